package owb.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character table: byte-level BPE runs on text whose every UTF-8 byte
 * is spelled as one printable character. Printable Latin-1 bytes stand for themselves; the other
 * 68 (controls, space, soft hyphen, ...) take U+0100 onwards in byte order, so a space is 'Ġ'
 * (U+0120) and a newline 'Ċ' (U+010A). Source: openai/gpt-2 encoder.py, bytes_to_unicode.
 */
final class ByteLevel {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Indexed by character (all below U+0144); -1 where the character stands for no byte. */
    private static final int[] BYTE_OF_CHAR = new int[0x144];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevel() {}

    /** The byte-level spelling of text's UTF-8 bytes. */
    static String encode(String text) {
        StringBuilder spelled = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x80) {
                spelled.append(CHAR_OF_BYTE[c]);
            } else if (c < 0x800) {
                spelled.append(CHAR_OF_BYTE[0xC0 | c >> 6]).append(CHAR_OF_BYTE[0x80 | c & 0x3F]);
            } else if (c < 0x10000) {
                // A lone surrogate is not text; Java's encoder writes '?' for it, and so do we.
                if (Character.isSurrogate((char) c)) {
                    spelled.append(CHAR_OF_BYTE['?']);
                    continue;
                }
                spelled.append(CHAR_OF_BYTE[0xE0 | c >> 12]).append(CHAR_OF_BYTE[0x80 | c >> 6 & 0x3F])
                        .append(CHAR_OF_BYTE[0x80 | c & 0x3F]);
            } else {
                spelled.append(CHAR_OF_BYTE[0xF0 | c >> 18]).append(CHAR_OF_BYTE[0x80 | c >> 12 & 0x3F])
                        .append(CHAR_OF_BYTE[0x80 | c >> 6 & 0x3F]).append(CHAR_OF_BYTE[0x80 | c & 0x3F]);
            }
        }
        return spelled.toString();
    }

    /** The character that spells a byte. */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b];
    }

    /** The byte a character stands for, or -1 when it is not in the table. */
    static int byteOf(int codePoint) {
        return codePoint >= 0 && codePoint < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[codePoint] : -1;
    }

    /** Whether every character of the token is in the table (a token spelled byte-level). */
    static boolean isSpelled(String token) {
        for (int i = 0; i < token.length(); i++) {
            if (byteOf(token.charAt(i)) < 0) return false;
        }
        return true;
    }

    /**
     * Appends the bytes a byte-level token stands for; a token with any character outside the
     * table (an added token such as "<|endoftext|>" written plainly) contributes its own UTF-8.
     */
    static void appendBytes(String token, ByteSink out) {
        if (isSpelled(token)) {
            for (int i = 0; i < token.length(); i++) out.add((byte) byteOf(token.charAt(i)));
        } else {
            for (byte b : token.getBytes(StandardCharsets.UTF_8)) out.add(b);
        }
    }
}

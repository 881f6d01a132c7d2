package owb.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer for decoding, turned into text as Rust's from_utf8_lossy does. */
final class ByteSink {
    private byte[] bytes = new byte[64];
    private int size;

    void add(byte b) {
        if (size == bytes.length) bytes = Arrays.copyOf(bytes, size * 2);
        bytes[size++] = b;
    }

    int size() { return size; }

    boolean isEmpty() { return size == 0; }

    void clear() { size = 0; }

    /** Whether the bytes are well-formed UTF-8. */
    boolean isUtf8() {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, size));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The bytes as text, each maximal ill-formed subsequence replaced by U+FFFD. */
    String toStringLossy() {
        return new String(bytes, 0, size, StandardCharsets.UTF_8);
    }

    /** The bytes as text, each byte of an ill-formed sequence written as {@code <0xNN>}. */
    String toStringMarkingInvalidBytes() {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, size);
        CharBuffer out = CharBuffer.allocate(size * 6);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                for (int i = 0; i < result.length(); i++) out.put(BpeModel.byteToken(in.get() & 0xFF));
            } else {
                decoder.flush(out);
                return out.flip().toString();
            }
        }
    }

    byte[] toArray() { return Arrays.copyOf(bytes, size); }
}

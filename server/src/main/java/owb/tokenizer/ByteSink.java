package owb.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
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

    byte[] toArray() { return Arrays.copyOf(bytes, size); }
}

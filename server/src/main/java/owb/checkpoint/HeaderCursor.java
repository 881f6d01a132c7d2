package owb.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Bounds-checked little-endian reads through a mapped file, for parsing headers. Each read names
 * the field it reads, so a truncated file gets an error saying which field ran past the end and
 * where.
 */
final class HeaderCursor {
    private static final ValueLayout.OfShort I16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Strings up to this long are decoded through {@link #stringBytes}. */
    private static final int STRING_BUFFER_BYTES = 4096;

    private final MemorySegment segment;
    private final Path file;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;
    private final byte[] stringBytes = new byte[STRING_BUFFER_BYTES];

    HeaderCursor(MemorySegment segment, Path file) {
        this.segment = segment;
        this.file = file;
    }

    long position() { return position; }

    long size() { return segment.byteSize(); }

    long remaining() { return segment.byteSize() - position; }

    int u8(String field) { return segment.get(ValueLayout.JAVA_BYTE, take(1, field)) & 0xFF; }

    byte i8(String field) { return segment.get(ValueLayout.JAVA_BYTE, take(1, field)); }

    int u16(String field) { return segment.get(I16, take(2, field)) & 0xFFFF; }

    short i16(String field) { return segment.get(I16, take(2, field)); }

    long u32(String field) { return segment.get(I32, take(4, field)) & 0xFFFF_FFFFL; }

    int i32(String field) { return segment.get(I32, take(4, field)); }

    /** A u64 or i64 as the raw 64 bits: a u64 above {@code Long.MAX_VALUE} reads as negative. */
    long i64(String field) { return segment.get(I64, take(8, field)); }

    float f32(String field) { return segment.get(F32, take(4, field)); }

    double f64(String field) { return segment.get(F64, take(8, field)); }

    /**
     * {@code length} bytes decoded as strict UTF-8; the caller has bounded {@code length}. The
     * String constructor decodes a GGUF vocabulary's 10^5 strings several times faster than a
     * CharsetDecoder over a slice; it replaces malformed input with U+FFFD, so a string holding
     * that character is decoded again, strictly.
     */
    String utf8(long length, String field) {
        long at = take(length, field);
        if (length <= STRING_BUFFER_BYTES) {
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, at, stringBytes, 0, (int) length);
            String s = new String(stringBytes, 0, (int) length, StandardCharsets.UTF_8);
            if (s.indexOf('\uFFFD') < 0) return s;
        }
        try {
            return utf8.decode(segment.asSlice(at, length).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw error(at, field + " is not valid UTF-8");
        }
    }

    CheckpointException error(long offset, String problem) {
        return new CheckpointException(file, null, offset, problem);
    }

    CheckpointException error(String tensor, long offset, String problem) {
        return new CheckpointException(file, tensor, offset, problem);
    }

    /** Advances past {@code n} bytes and returns where they start, or fails naming the field. */
    private long take(long n, String field) {
        long left = remaining();
        if (n > left) {
            throw error(position, "truncated: " + field + " needs " + n + " bytes but the file ends "
                    + (left == 0 ? "here" : "after " + left));
        }
        long at = position;
        position += n;
        return at;
    }
}

package owb.checkpoint;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of every supported format. Plain types are blocks of one element; ggml's quantized
 * types are blocks of {@code blockElements} values stored in {@code blockBytes} bytes
 * (sizes from ggml's ggml-common.h, as listed in shared/anchors.md).
 */
public enum DType {
    F64(1, 8, 28), F32(1, 4, 0), F16(1, 2, 1), BF16(1, 2, 30),
    F8_E4M3(1, 1, -1), F8_E5M2(1, 1, -1),
    I64(1, 8, 27), I32(1, 4, 26), I16(1, 2, 25), I8(1, 1, 24), U8(1, 1, -1), BOOL(1, 1, -1),
    Q4_0(32, 18, 2), Q4_1(32, 20, 3), Q5_0(32, 22, 6), Q5_1(32, 24, 7), Q8_0(32, 34, 8),
    Q2_K(256, 84, 10), Q3_K(256, 110, 11), Q4_K(256, 144, 12), Q5_K(256, 176, 13), Q6_K(256, 210, 14);

    private final int blockElements;
    private final int blockBytes;
    private final int ggmlType;

    DType(int blockElements, int blockBytes, int ggmlType) {
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.ggmlType = ggmlType;
    }

    /** Values per block: 1 for plain types, 32 or 256 for ggml quantized types. */
    public int blockElements() { return blockElements; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    /** The ggml type id (ggml.h enum ggml_type), or -1 where GGUF has no such type. */
    public int ggmlType() { return ggmlType; }

    public boolean quantized() { return blockElements > 1; }

    public boolean floatingPoint() {
        return switch (this) {
            case I64, I32, I16, I8, U8, BOOL -> false;
            default -> true;
        };
    }

    /**
     * Bytes needed for {@code elements} values, or -1 when the count is not a whole number of
     * blocks or the size overflows a long.
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockElements != 0) return -1;
        try {
            return Math.multiplyExact(elements / blockElements, (long) blockBytes);
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** The safetensors spelling of a dtype ("F32", "BF16", "F8_E4M3", ...). */
    public static Optional<DType> fromSafetensors(String name) {
        if (name == null) return Optional.empty();
        for (DType t : values()) {
            if (!t.quantized() && t.name().equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** The type for a ggml type id, or empty for ids this reader does not support. */
    public static Optional<DType> fromGgmlType(int id) {
        for (DType t : values()) {
            if (t.ggmlType == id) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** Lower-case name as JSON and tables show it. */
    public String label() { return name().toUpperCase(Locale.ROOT); }
}

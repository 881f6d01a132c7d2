package owb.tensor.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.random.RandomGenerator;
import owb.checkpoint.DType;

/**
 * Fills memory with a random, valid weight tensor of any dtype the kernels support: values in
 * [-1, 1) for plain dtypes; random quants and f16 scales in [-0.05, 0.05) for ggml blocks.
 */
public final class RandomWeights {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {}

    /** Writes {@code elements} random values of {@code dtype} at the start of {@code target}. */
    public static void fill(MemorySegment target, DType dtype, long elements, RandomGenerator random) {
        long size = dtype.byteSize(elements);
        if (size < 0 || size > target.byteSize()) {
            throw new IllegalArgumentException(elements + " values of " + dtype + " do not fit in " + target.byteSize() + " bytes");
        }
        switch (dtype) {
            case F32 -> {
                for (long i = 0; i < elements; i++) target.set(FLOAT_LE, 4 * i, uniform(random, 1));
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) target.set(SHORT_LE, 2 * i, Float.floatToFloat16(uniform(random, 1)));
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    target.set(SHORT_LE, 2 * i, (short) (Float.floatToIntBits(uniform(random, 1)) >>> 16));
                }
            }
            case Q8_0, Q4_0, Q4_1, Q4_K, Q6_K -> {
                long words = size / 8;
                for (long i = 0; i < words; i++) target.set(LONG_LE, 8 * i, random.nextLong());
                for (long i = words * 8; i < size; i++) target.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                long blocks = elements / dtype.blockElements();
                for (long b = 0; b < blocks; b++) {
                    for (int field : scaleFields(dtype)) {
                        target.set(SHORT_LE, b * dtype.blockBytes() + field, Float.floatToFloat16(uniform(random, 0.05f)));
                    }
                }
            }
            default -> throw new IllegalArgumentException("no random generator for " + dtype);
        }
    }

    /** Byte offsets of the f16 scale fields in one block (ggml-common.h). */
    private static int[] scaleFields(DType dtype) {
        return switch (dtype) {
            case Q8_0, Q4_0 -> new int[] {0};        // d
            case Q4_1, Q4_K -> new int[] {0, 2};     // d, m / d, dmin
            case Q6_K -> new int[] {208};            // d after ql, qh, scales
            default -> new int[0];
        };
    }

    private static float uniform(RandomGenerator random, float bound) {
        return (2 * random.nextFloat() - 1) * bound;
    }
}

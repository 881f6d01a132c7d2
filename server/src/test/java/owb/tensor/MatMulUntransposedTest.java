package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

class MatMulUntransposedTest {

    @ParameterizedTest
    @CsvSource({"F32, 1, 64, 96", "F32, 7, 130, 520", "F16, 3, 33, 300", "BF16, 40, 64, 256", "BF16, 2, 1, 8"})
    void matchesTheScalarReference(DType dtype, int m, int k, int n) {
        Random random = new Random(m * 31L + k * 7L + n);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) bias[i] = (float) random.nextGaussian();
        try (Arena arena = Arena.ofShared()) {
            TensorEntry w = weight(arena, dtype, k, n, random);
            float[] fast = new float[m * n];
            float[] reference = new float[m * n];
            MatMulUntransposed.matmul(x, m, k, w, bias, fast);
            MatMulUntransposed.matmulScalar(x, m, k, w, bias, reference);
            for (int i = 0; i < fast.length; i++) {
                assertEquals(reference[i], fast[i], 1e-5 * Math.max(1, Math.abs(reference[i])) * Math.sqrt(k), "y[" + i + "]");
            }
        }
    }

    private static TensorEntry weight(Arena arena, DType dtype, int k, int n, Random random) {
        int count = k * n;
        MemorySegment data = arena.allocate((long) count * (dtype == DType.F32 ? 4 : 2));
        var le32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var le16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            float v = (float) random.nextGaussian();
            switch (dtype) {
                case F32 -> data.set(le32, 4L * i, v);
                case F16 -> data.set(le16, 2L * i, Float.floatToFloat16(v));
                case BF16 -> data.set(le16, 2L * i, (short) (Float.floatToRawIntBits(v) >>> 16));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new TensorEntry("w", dtype, new long[] {k, n}, Path.of("test"), 0, data);
    }
}

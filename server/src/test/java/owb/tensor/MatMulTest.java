package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * Every matmul path against the scalar reference, on sizes that are not multiples of the tile, the
 * panel or the vector. Float sums are taken in another order than the reference's, so a result
 * passes within 1e-5 of the sum of |x * w| over its dot product.
 */
class MatMulTest {
    private static final double RELATIVE = 1e-5;
    /**
     * Token counts: generation; the dot-product path; full panels with a few tokens left over for
     * dot products (33, 300) or a nearly full padded panel (60, 250); several panels and M-blocks.
     */
    private static final int[] M = {1, 3, 4, 15, 16, 17, 31, 32, 33, 60, 128, 250, 300};
    private static final int[] N = {1, 7, 49, 130};

    @TempDir
    static Path dir;
    private static TestWeights weights;

    @BeforeAll
    static void open() {
        weights = new TestWeights(dir, 42);
    }

    @AfterAll
    static void close() {
        weights.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q6_K"})
    void matmulMatchesScalarReferenceForEveryDtype(DType dtype) {
        int[] ks = dtype.blockElements() == 256 ? new int[] {256, 768} : new int[] {64, 96, 576};
        for (int k : ks) {
            for (int n : N) {
                TensorEntry w = weights.weight(dtype, n, k);
                float[] wf = ScalarReference.dequantize(w);
                for (int m : M) {
                    float[] x = weights.floats(m * k);
                    float[] bias = (m + n) % 2 == 0 ? weights.floats(n) : null;
                    float[] y = unwritten(m * n);
                    MatMul.matmul(x, m, k, w, bias, y);
                    assertClose(ScalarReference.matmul(x, m, k, wf, n, bias),
                            ScalarReference.magnitudes(x, m, k, wf, n), bias, y,
                            dtype + " m=" + m + " k=" + k + " n=" + n);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void plainDtypesHandleKThatIsNoMultipleOfTheVector(DType dtype) {
        for (int k : new int[] {1, 7, 33}) {
            TensorEntry w = weights.weight(dtype, 9, k);
            float[] wf = ScalarReference.dequantize(w);
            for (int m : new int[] {1, 5, 40}) {
                float[] x = weights.floats(m * k);
                float[] bias = weights.floats(9);
                float[] y = unwritten(m * 9);
                MatMul.matmul(x, m, k, w, bias, y);
                assertClose(ScalarReference.matmul(x, m, k, wf, 9, bias),
                        ScalarReference.magnitudes(x, m, k, wf, 9), bias, y, dtype + " m=" + m + " k=" + k);
            }
        }
    }

    @Test
    void matmulF32MultipliesByTheTransposeOfItsSecondMatrix() {
        for (int m : new int[] {1, 2, 9, 16, 70}) {
            for (int k : new int[] {1, 13, 64}) {
                for (int n : new int[] {1, 5, 33, 100}) {
                    float[] x = weights.floats(m * k);
                    float[] w = weights.floats(n * k);
                    float[] y = unwritten(m * n);
                    MatMul.matmulF32(x, m, k, w, n, y);
                    assertClose(ScalarReference.matmul(x, m, k, w, n, null),
                            ScalarReference.magnitudes(x, m, k, w, n), null, y, "m=" + m + " k=" + k + " n=" + n);
                }
            }
        }
    }

    @Test
    void matmulF32NoTransposeMultipliesByItsSecondMatrixAsIs() {
        for (int m : new int[] {1, 3, 8, 13, 70}) {
            for (int k : new int[] {1, 13, 64}) {
                for (int n : new int[] {1, 5, 32, 33, 100}) {
                    float[] x = weights.floats(m * k);
                    float[] b = weights.floats(k * n);
                    float[] bt = ScalarReference.transpose(b, k, n);
                    float[] y = unwritten(m * n);
                    MatMul.matmulF32NoTranspose(x, m, k, b, n, y);
                    assertClose(ScalarReference.matmul(x, m, k, bt, n, null),
                            ScalarReference.magnitudes(x, m, k, bt, n), null, y, "m=" + m + " k=" + k + " n=" + n);
                }
            }
        }
    }

    @Test
    void emptyInnerDimensionGivesTheBias() {
        float[] y = new float[6];
        MatMul.matmulF32(new float[0], 2, 0, new float[0], 3, y);
        assertEquals(0f, y[5]);
        WeightRows w = WeightRows.of(new float[0], 3, 0);
        MatMul.matmul(new float[0], 2, 0, w, new float[] {1, 2, 3}, y);
        assertEquals(3f, y[5]);
    }

    @Test
    void mismatchedSizesAreRejected() {
        WeightRows w = WeightRows.of(new float[12], 3, 4);
        assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(new float[8], 2, 5, w, null, new float[6]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(new float[7], 2, 4, w, null, new float[6]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(new float[8], 2, 4, w, null, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(new float[8], 2, 4, w, new float[2], new float[6]));
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmulF32NoTranspose(new float[8], 2, 4, new float[11], 3, new float[6]));
    }

    /** An output buffer of NaNs, so an element the kernel forgets to write fails the comparison. */
    private static float[] unwritten(int size) {
        float[] y = new float[size];
        Arrays.fill(y, Float.NaN);
        return y;
    }

    /** |y - expected| <= 1e-5 * (sum |x*w| + |bias|) for every element. */
    static void assertClose(float[] expected, float[] magnitude, float[] bias, float[] actual, String what) {
        int n = bias == null ? 0 : bias.length;
        for (int i = 0; i < expected.length; i++) {
            double scale = magnitude[i] + (bias == null ? 0 : Math.abs(bias[i % n]));
            double error = Math.abs((double) actual[i] - expected[i]);
            if (!(error <= RELATIVE * scale + Float.MIN_NORMAL)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (error " + error + ", allowed " + RELATIVE * scale + ")");
            }
        }
    }
}

package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/** The vector dequantizers and fused dots of every weight dtype against the scalar reference. */
class WeightRowsTest {
    @TempDir
    static Path dir;
    private static TestWeights weights;

    @BeforeAll
    static void open() {
        weights = new TestWeights(dir, 7);
    }

    @AfterAll
    static void close() {
        weights.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q6_K"})
    void decodeRowsGivesTheReferenceValues(DType dtype) {
        int k = dtype.blockElements() == 256 ? 512 : 96;
        TensorEntry w = weights.weight(dtype, 11, k);
        WeightRows rows = WeightRows.of(w);
        float[] out = new float[5 * k];
        rows.decodeRows(3, 5, out);
        for (int r = 0; r < 5; r++) {
            float[] expected = ScalarReference.row(w, 3 + r);
            for (int c = 0; c < k; c++) {
                float actual = out[r * k + c];
                // the vector code may fuse a multiply-add that the reference rounds twice
                if (Math.abs(actual - expected[c]) > 2 * Math.ulp(expected[c]) + Float.MIN_VALUE) {
                    fail(dtype + " row " + (3 + r) + " column " + c + ": " + actual + " != " + expected[c]);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q6_K"})
    void dotMatchesTheReferenceDot(DType dtype) {
        int k = dtype.blockElements() == 256 ? 768 : 576;
        TensorEntry w = weights.weight(dtype, 4, k);
        WeightRows rows = WeightRows.of(w);
        float[] x = weights.floats(k + 3);
        for (int j = 0; j < 4; j++) {
            float[] row = ScalarReference.row(w, j);
            double expected = 0, magnitude = 0;
            for (int c = 0; c < k; c++) {
                expected += (double) row[c] * x[3 + c];
                magnitude += Math.abs((double) row[c] * x[3 + c]);
            }
            assertEquals(expected, rows.dot(j, x, 3), 1e-5 * magnitude, dtype + " row " + j);
        }
    }

    /**
     * The rows 128-bit CPUs use for quantized weights (decode, then an F32 dot), checked here on
     * every machine: on this one {@link WeightRows#of} picks the fused kernels instead.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q6_K"})
    void decodedRowsGiveTheReferenceValuesAndDots(DType dtype) {
        int k = dtype.blockElements() == 256 ? 768 : 576;
        TensorEntry w = weights.weight(dtype, 6, k);
        WeightRows rows = new DecodedRows(w, 6, k);
        float[] out = new float[2 * k];
        rows.decodeRows(3, 2, out);
        float[] x = weights.floats(k + 3);
        for (int r = 0; r < 6; r++) {
            float[] expected = ScalarReference.row(w, r);
            if (r == 3 || r == 4) {
                for (int c = 0; c < k; c++) {
                    float actual = out[(r - 3) * k + c];
                    assertTrue(Math.abs(actual - expected[c]) <= 2 * Math.ulp(expected[c]) + Float.MIN_VALUE,
                            dtype + " row " + r + " column " + c + ": " + actual + " != " + expected[c]);
                }
            }
            double dot = 0, magnitude = 0;
            for (int c = 0; c < k; c++) {
                dot += (double) expected[c] * x[3 + c];
                magnitude += Math.abs((double) expected[c] * x[3 + c]);
            }
            assertEquals(dot, rows.dot(r, x, 3), 1e-5 * magnitude, dtype + " row " + r);
        }
        float[] y = new float[6];
        rows.gemv(0, 6, java.util.Arrays.copyOfRange(x, 3, 3 + k), null, y);
        for (int r = 0; r < 6; r++) assertEquals(rows.dot(r, x, 3), y[r], 0f, "gemv row " + r);
    }

    @Test
    void halfPrecisionDecodingIsExactForEveryBitPattern() {
        ByteBuffer all = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 65536; bits++) all.putShort((short) bits);
        TensorEntry w = weights.map(DType.F16, new long[] {1, 65536}, all.array());
        float[] out = new float[65536];
        WeightRows.of(w).decodeRows(0, 1, out);
        for (int bits = 0; bits < 65536; bits++) {
            float expected = Float.float16ToFloat((short) bits);
            boolean same = Float.isNaN(expected) ? Float.isNaN(out[bits])
                    : Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(out[bits]);
            if (!same) fail(String.format("f16 0x%04x decodes to %s, expected %s", bits, out[bits], expected));
        }
    }

    @Test
    void decodingOneRowReadsAnEmbedding() {
        TensorEntry w = weights.weight(DType.Q8_0, 20, 64);
        float[] row = new float[64];
        WeightRows.of(w).decodeRows(17, 1, row);
        float[] expected = ScalarReference.row(w, 17);
        for (int c = 0; c < 64; c++) assertEquals(expected[c], row[c], 0f);
    }

    @Test
    void unsupportedOrMisshapenWeightsAreRejectedWithTheTensorName() {
        TensorEntry q5 = weights.map(DType.Q5_0, new long[] {1, 32}, new byte[22]);
        var e = assertThrows(IllegalArgumentException.class, () -> WeightRows.of(q5));
        assertTrue(e.getMessage().contains(q5.name()) && e.getMessage().contains("Q5_0"), e.getMessage());

        TensorEntry vector = weights.map(DType.F32, new long[] {8}, new byte[32]);
        assertThrows(IllegalArgumentException.class, () -> WeightRows.of(vector));

        TensorEntry partialBlock = weights.map(DType.Q8_0, new long[] {2, 16}, new byte[34]);
        assertThrows(IllegalArgumentException.class, () -> WeightRows.of(partialBlock));

        TensorEntry shortData = weights.map(DType.Q4_0, new long[] {2, 32}, new byte[35]);
        assertThrows(IllegalArgumentException.class, () -> WeightRows.of(shortData));
    }
}

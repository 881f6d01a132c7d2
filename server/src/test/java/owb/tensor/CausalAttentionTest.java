package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The blocked attention kernel against a plain scalar reference in double precision, on shapes that
 * are not multiples of the query block, the 8-query tile, the key panel or the vector, and on both
 * the packed path (8 queries or more) and the in-place one (generation).
 */
class CausalAttentionTest {
    @ParameterizedTest(name = "{0} heads / {1} kv, d {2}, {3} queries from {4}, window {5}")
    @CsvSource({
            "4, 4, 16, 33, 0, 0",       // multi-head, no cache
            "9, 3, 64, 70, 0, 0",       // SmolLM2's grouped-query heads, three query blocks
            "4, 2, 16, 40, 0, 8",       // sliding window shorter than the prompt
            "4, 2, 16, 20, 13, 8",      // continuing a cache, with a window
            "6, 2, 20, 45, 37, 0",      // continuing a cache; d_head not a multiple of the vector
            "9, 3, 64, 1, 100, 0",      // one generated token over a long cache (keys read in place)
            "4, 2, 16, 7, 30, 8",       // the most queries read in place, with a window
            "9, 3, 64, 8, 200, 0",      // the fewest queries that pack the keys
            "4, 1, 16, 1, 0, 0",        // the very first token
            "2, 2, 24, 130, 5, 64"})    // several blocks, window crossing panels
    void matchesTheDoublePrecisionReference(int heads, int kvHeads, int dHead, int n, int start, int window) {
        var shape = new CausalAttention.Shape(heads, kvHeads, dHead, n, start, window);
        Random random = new Random(heads * 1000L + n * 10L + start);
        int t = start + n;
        float[] q = gaussian(random, n * heads * dHead, 2);
        float[] keys = gaussian(random, (t + 3) * kvHeads * dHead, 2);   // a cache longer than start + n
        float[] values = gaussian(random, (t + 3) * kvHeads * dHead, 1);
        double[][] reference = reference(q, keys, values, shape);        // [0] scores, [1] pattern, [2] z

        var attention = new CausalAttention(keys, values, shape);
        float[] z = attention.attend(q);
        assertClose(reference[2], z, 2e-5, "z");

        float[] att = attention.scores(q);
        for (int e = 0; e < att.length; e++) {
            if (reference[0][e] == Double.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, att[e], "masked score " + e);
        }
        assertClose(reference[0], att, 1e-5, "scores");
        attention.softmax(att);
        assertClose(reference[1], att, 1e-5, "pattern");   // carries the scores' float32 rounding
        assertArrayEquals(z, attention.mix(att), "the staged pass gives the fused pass's numbers");
    }

    @ParameterizedTest(name = "window {0}")
    @CsvSource({"0", "8"})
    void queriesContinuingACacheGetTheWholePromptsNumbersBitForBit(int window) {
        int heads = 4, kvHeads = 2, dHead = 16, t = 70, split = 13;
        Random random = new Random(7);
        float[] q = gaussian(random, t * heads * dHead, 2);
        float[] keys = gaussian(random, t * kvHeads * dHead, 2);
        float[] values = gaussian(random, t * kvHeads * dHead, 1);
        float[] whole = new CausalAttention(keys, values, new CausalAttention.Shape(heads, kvHeads, dHead, t, 0, window)).attend(q);
        float[] rest = new CausalAttention(keys, values, new CausalAttention.Shape(heads, kvHeads, dHead, t - split, split, window))
                .attend(java.util.Arrays.copyOfRange(q, split * heads * dHead, q.length));
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, split * heads * dHead, whole.length), rest);
    }

    @Test
    void expIsWithinTwoUlpOfMathExpAndTheSameInEveryLane() {
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = -90f * i / (x.length - 1);
        x[1] = -0f;
        x[2] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i += Vectors.L) {
            float[] lanes = Exp.exp(FloatVector.fromArray(Vectors.F, x, i)).toArray();
            for (int l = 0; l < lanes.length; l++) {
                float scalar = Exp.exp(x[i + l]);
                assertEquals(scalar, lanes[l], "lane " + l + " of exp(" + x[i + l] + ")");
                double exact = Math.exp(x[i + l]);
                double tolerance = x[i + l] < -87 ? 2e-38 : 2 * Math.ulp((float) exact);
                assertEquals(exact, scalar, tolerance, "exp(" + x[i + l] + ")");
            }
        }
    }

    @Test
    void aShapeThatCannotBeAttendedIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention.Shape(6, 4, 16, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention.Shape(4, 2, 16, 0, 0, 0));
        var shape = new CausalAttention.Shape(4, 2, 16, 10, 5, 0);
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention(new float[14 * 32], new float[15 * 32], shape));
    }

    /** Scores [head, query, key] (-inf masked), pattern (0 masked) and z [n, heads, d_head], all in double. */
    private static double[][] reference(float[] q, float[] keys, float[] values, CausalAttention.Shape s) {
        int n = s.queries(), t = s.keys(), d = s.dHead(), heads = s.heads(), kvHeads = s.kvHeads();
        double[] scores = new double[heads * n * t];
        double[] pattern = new double[heads * n * t];
        double[] z = new double[n * heads * d];
        for (int h = 0; h < heads; h++) {
            int kv = h / (heads / kvHeads);
            for (int i = 0; i < n; i++) {
                int row = (h * n + i) * t;
                int p = s.start() + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    boolean attended = j <= p && (s.window() == 0 || p - s.window() < j);
                    double score = Double.NEGATIVE_INFINITY;
                    if (attended) {
                        score = 0;
                        for (int e = 0; e < d; e++) score += (double) q[(i * heads + h) * d + e] * keys[(j * kvHeads + kv) * d + e];
                        score /= Math.sqrt(d);
                        max = Math.max(max, score);
                    }
                    scores[row + j] = score;
                }
                double sum = 0;
                for (int j = 0; j < t; j++) sum += scores[row + j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[row + j] - max);
                for (int j = 0; j < t; j++) {
                    if (scores[row + j] == Double.NEGATIVE_INFINITY) continue;
                    pattern[row + j] = Math.exp(scores[row + j] - max) / sum;
                    for (int e = 0; e < d; e++) z[(i * heads + h) * d + e] += pattern[row + j] * values[(j * kvHeads + kv) * d + e];
                }
            }
        }
        return new double[][] {scores, pattern, z};
    }

    private static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int e = 0; e < expected.length; e++) {
            if (expected[e] == Double.NEGATIVE_INFINITY) continue;
            assertEquals(expected[e], actual[e], tolerance * Math.max(1, Math.abs(expected[e])), what + " " + e);
        }
    }

    private static float[] gaussian(Random random, int size, double sigma) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (random.nextGaussian() * sigma);
        return x;
    }
}

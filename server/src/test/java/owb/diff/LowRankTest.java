package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class LowRankTest {

    /** rows x cols, rank-r product plus iid noise of the given standard deviation. */
    static float[] lowRankPlusNoise(int rows, int cols, int r, double noise, long seed) {
        Random rnd = new Random(seed);
        double[] u = new double[rows * r], v = new double[r * cols];
        for (int i = 0; i < u.length; i++) u[i] = rnd.nextGaussian();
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
        float[] a = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int t = 0; t < r; t++) s += u[i * r + t] * v[t * cols + j];
                a[i * cols + j] = (float) (s + noise * rnd.nextGaussian());
            }
        }
        return a;
    }

    @Test
    void randomizedTopSingularValuesMatchTheFullSvd() {
        int rows = 300, cols = 200;
        float[] a = lowRankPlusNoise(rows, cols, 12, 0.05, 1);
        double[] full = LowRank.svd(LowRank.toDouble(a, rows, cols));
        LowRank lr = LowRank.of(a, rows, cols);
        assertFalse(lr.exact(), "short side 200 > k + p: randomized path");
        assertEquals(LowRank.DEFAULT_K, lr.singularValues().length);
        for (int i = 0; i < 10; i++) {
            assertEquals(full[i], lr.singularValues()[i], full[i] * 1e-4, "sigma_" + (i + 1));
        }
        // The noise floor (~0.05 (sqrt 300 + sqrt 200) = 1.6) is above 1e-3 of sigma_1 (~250): the
        // numerical rank saturates, and the spectral gap after sigma_12 shows the rank-12 part.
        assertTrue(lr.saturated());
        assertEquals(12, lr.dominantRank());
        assertTrue(lr.verdict(1.0, 200).startsWith("rank-12 update over a noise floor"), lr.verdict(1.0, 200));
    }

    @Test
    void exactLowRankDeltaHasExactRankEnergyOneAndStableRankAtMostRank() {
        float[] a = lowRankPlusNoise(256, 192, 6, 0, 2);
        LowRank lr = LowRank.of(a, 256, 192);
        assertEquals(6, lr.rank());
        assertEquals(1.0, lr.energy()[5], 1e-6);
        assertTrue(lr.stableRank() >= 1 && lr.stableRank() <= 6, "stable rank " + lr.stableRank());
        assertTrue(lr.effectiveRank() > 1 && lr.effectiveRank() < 7, "effective rank " + lr.effectiveRank());
        assertEquals("rank-6 update, consistent with a merged LoRA", lr.verdict(0.01, 192));
    }

    @Test
    void pureNoiseIsFullRank() {
        LowRank lr = LowRank.of(lowRankPlusNoise(200, 200, 0, 1.0, 4), 200, 200);
        assertEquals(0, lr.dominantRank());
        assertEquals("full-rank, large", lr.verdict(1.0, 200));
    }

    @Test
    void zeroDeltaIsUnchanged() {
        LowRank lr = LowRank.of(new float[40 * 30], 40, 30);
        assertEquals(0, lr.rank());
        assertEquals("unchanged", lr.verdict(0, 30));
    }

    @Test
    void sameSeedSameSpectrum() {
        float[] a = lowRankPlusNoise(200, 150, 20, 0.1, 3);
        assertEquals(LowRank.of(a, 200, 150).singularValues()[63], LowRank.of(a, 200, 150).singularValues()[63]);
    }
}

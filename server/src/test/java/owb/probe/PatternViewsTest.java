package owb.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import owb.model.Activation;

class PatternViewsTest {

    /** A causal previous-token pattern [2 heads, n, n]: head 0 attends i -> i-1 (0 -> 0), head 1 uniformly. */
    private static Activation pattern(int n) {
        float[] data = new float[2 * n * n];
        for (int q = 0; q < n; q++) {
            data[q * n + Math.max(0, q - 1)] = 1;
            for (int k = 0; k <= q; k++) data[(n + q) * n + k] = 1f / (q + 1);
        }
        return new Activation(data, new int[] {2, n, n});
    }

    @Test
    void denseIsThePatternRowByRow() {
        Activation p = pattern(5);
        float[][] dense = PatternViews.dense(p, 1);
        assertEquals(5, dense.length);
        for (int q = 0; q < 5; q++) {
            for (int k = 0; k < 5; k++) assertEquals(p.get(1, q, k), dense[q][k]);
        }
        assertArrayEquals(dense[3], PatternViews.downsample(p, 1, 5)[3], "no more positions than size: dense");
        assertArrayEquals(dense[3], PatternViews.downsample(p, 1, 64)[3]);
    }

    @Test
    void blocksKeepEachRowADistribution() {
        Activation p = pattern(100);
        for (int head = 0; head < 2; head++) {
            float[][] small = PatternViews.downsample(p, head, 7);            // blocks of 14 or 15 positions
            assertEquals(7, small.length);
            for (float[] row : small) {
                assertEquals(7, row.length);
                double sum = 0;
                for (float v : row) sum += v;
                assertEquals(1.0, sum, 1e-5);
            }
        }
    }

    @Test
    void aBlockIsTheMeanOverItsQueriesOfTheAttentionToItsKeys() {
        float[][] small = PatternViews.downsample(pattern(6), 0, 3);         // blocks {0,1} {2,3} {4,5}
        // previous-token head: queries 0,1 attend key 0; 2 -> 1, 3 -> 2; 4 -> 3, 5 -> 4
        assertArrayEquals(new float[] {1, 0, 0}, small[0]);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0}, small[1]);
        assertArrayEquals(new float[] {0, 0.5f, 0.5f}, small[2]);
        float[][] uneven = PatternViews.downsample(pattern(5), 0, 2);        // blocks {0,1} {2,3,4}
        assertArrayEquals(new float[] {1, 0}, uneven[0]);
        assertArrayEquals(new float[] {1f / 3, 2f / 3}, uneven[1], 1e-7f);
    }

    @Test
    void refusesWhatIsNotAHeadsPattern() {
        Activation p = pattern(3);
        assertThrows(IllegalArgumentException.class, () -> PatternViews.downsample(p, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> PatternViews.downsample(p, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> PatternViews.dense(new Activation(new float[4], new int[] {2, 2}), 0));
    }
}

package owb.probe;

import owb.model.Activation;

/**
 * One head's attention pattern, from {@code blocks.L.attn.hook_pattern} [head, q, k], as a matrix
 * small enough to show: dense, or downsampled in blocks. Downsampling keeps what a pattern means:
 * a cell is the attention the queries of one block pay, on average, to the keys of another block,
 * so every row still sums to 1 (a heatmap of a 1000-token previous-token head still shows its
 * diagonal at full strength instead of fading to 1/40 of it).
 */
public final class PatternViews {
    private PatternViews() {}

    /** The head's pattern as rows [q][k]. */
    public static float[][] dense(Activation pattern, int head) {
        return downsample(pattern, head, Integer.MAX_VALUE);
    }

    /**
     * The head's pattern reduced to at most {@code size} x {@code size}: queries and keys are cut into
     * min(size, length) contiguous blocks, block b of m over n positions being [b·n/m, (b+1)·n/m),
     * and cell (i, j) is the mean over block i's queries of the summed attention to block j's keys.
     * With no more positions than {@code size} this is the dense pattern.
     *
     * @return rows [min(size, q)][min(size, k)]
     */
    public static float[][] downsample(Activation pattern, int head, int size) {
        if (pattern.rank() != 3) throw new IllegalArgumentException("a pattern is [head, q, k], got " + pattern);
        if (head < 0 || head >= pattern.dim(0)) {
            throw new IllegalArgumentException("head " + head + " outside 0.." + (pattern.dim(0) - 1));
        }
        if (size < 1) throw new IllegalArgumentException("size must be at least 1");
        int queries = pattern.dim(1);
        int keys = pattern.dim(2);
        int rows = Math.min(size, queries);
        int cols = Math.min(size, keys);
        float[] data = pattern.data();
        float[][] out = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            int qFrom = start(i, queries, rows);
            int qTo = start(i + 1, queries, rows);
            for (int j = 0; j < cols; j++) {
                int kFrom = start(j, keys, cols);
                int kTo = start(j + 1, keys, cols);
                double sum = 0;
                for (int q = qFrom; q < qTo; q++) {
                    int at = (head * queries + q) * keys;
                    for (int k = kFrom; k < kTo; k++) sum += data[at + k];
                }
                out[i][j] = (float) (sum / (qTo - qFrom));
            }
        }
        return out;
    }

    /** The first position of block {@code b} when {@code length} positions are cut into {@code blocks}. */
    private static int start(int b, int length, int blocks) {
        return (int) ((long) b * length / blocks);
    }
}

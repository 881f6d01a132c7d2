package owb.audit;

/**
 * The 64 bins of a tensor's histogram and two exact ways to find a value's bin.
 *
 * <p>Edges are computed as {@code numpy.linspace(first, last, 65)} in float64 (step, then
 * {@code i * step + first}, the last edge set to {@code last}), and {@link #binOf(double)} is
 * numpy's own rule from {@code numpy/lib/_histograms_impl.py}: an index from the linear formula,
 * then one correction step against the edges. The kernel uses {@link #upperThreshold}: for float
 * data, "x >= edge k" is the same as "x >= the smallest float not below edge k", so a bin is the
 * number of those float thresholds at or below x, which a vector compare can test.
 */
final class BinEdges {
    static final int BINS = Histogram.BINS;

    /** Added to the float bin formula's result so that it never lands above the true bin; see {@link #fastPath}. */
    static final float FORMULA_SLACK = 1e-4f;

    final double firstEdge;
    final double lastEdge;
    private final double[] edges = new double[BINS + 1];
    /** thresholdBits[j] = bits of the smallest float >= edges[j + 1]; [63] is +Inf: the last bin is closed. */
    private final int[] thresholdBits = new int[BINS];
    /** True when the float formula in the kernel is accurate enough to be corrected by one compare. */
    final boolean fastPath;
    final float minF;
    final float scaleF;

    /** Bins for finite values in [min, max]; with no finite value ({@code min > max}) numpy's [0, 1]. */
    BinEdges(double min, double max) {
        double first = min;
        double last = max;
        if (!(min <= max)) {
            first = 0;
            last = 1;
        } else if (first == last) {
            first -= 0.5;
            last += 0.5;
        }
        firstEdge = first;
        lastEdge = last;
        double delta = last - first;
        double step = delta / BINS;
        for (int i = 0; i < BINS; i++) {
            edges[i] = step == 0 ? (i / (double) BINS) * delta + first : i * step + first;
        }
        edges[BINS] = last;
        for (int j = 0; j < BINS - 1; j++) thresholdBits[j] = Float.floatToRawIntBits(ceilToFloat(edges[j + 1]));
        thresholdBits[BINS - 1] = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);

        // The kernel's index is trunc((x - min) * scale - slack) in float. Its error against the
        // exact (x - min) * 64 / (max - min) is at most 4 roundings of 2^-24 relative on a value
        // <= 64, about 1.5e-5, below the slack, so the index is the true bin or one less and one
        // compare with the next threshold finds the bin. That holds for a normal, finite float range.
        minF = (float) min;
        float rangeF = (float) max - (float) min;
        scaleF = BINS / rangeF;
        fastPath = min < max && (float) min == min && (float) max == max
                && rangeF >= Float.MIN_NORMAL && Float.isFinite(rangeF) && Float.isFinite(scaleF) && scaleF > 0;
    }

    double[] edges() { return edges.clone(); }

    int[] thresholdBits() { return thresholdBits; }

    /** The smallest float threshold at or above edge {@code j + 1}, as the kernel compares. */
    float upperThreshold(int j) { return Float.intBitsToFloat(thresholdBits[j]); }

    /** numpy's bin for a finite value in [firstEdge, lastEdge]. */
    int binOf(double x) {
        double norm = lastEdge - firstEdge;
        int index = (int) ((x - firstEdge) / norm * BINS);
        if (index >= BINS) index = BINS - 1;
        if (index < 0) index = 0;
        if (x < edges[index]) {
            index--;
        } else if (index != BINS - 1 && x >= edges[index + 1]) {
            index++;
        }
        return Math.clamp(index, 0, BINS - 1);
    }

    private static float ceilToFloat(double edge) {
        float f = (float) edge;
        return (double) f < edge ? Math.nextUp(f) : f;
    }
}

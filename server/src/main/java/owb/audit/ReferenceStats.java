package owb.audit;

/**
 * The statistics by their definition, one value at a time: what the kernel must agree with.
 * Two passes like numpy: the range and the mean first, then the squared deviations (about the
 * mean) and the histogram by numpy's own binning rule. Sums are compensated (Neumaier), so the
 * reference is accurate to a few units in the last place: a plain running sum of 10^5 squares
 * drifts by 1e-12 relative on quantised data.
 */
final class ReferenceStats {
    private ReferenceStats() {}

    static TensorStats compute(float[] values) {
        long nans = 0;
        long infs = 0;
        long zeros = 0;
        long finite = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        CompensatedSum sum = new CompensatedSum();
        CompensatedSum sumSquares = new CompensatedSum();
        for (float x : values) {
            if (Float.isNaN(x)) {
                nans++;
            } else if (Float.isInfinite(x)) {
                infs++;
            } else {
                finite++;
                if (x == 0) zeros++;
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum.add(x);
                sumSquares.add((double) x * x);
            }
        }
        double zeroFraction = values.length == 0 ? 0 : zeros / (double) values.length;
        BinEdges edges = new BinEdges(finite == 0 ? Double.NaN : min, finite == 0 ? Double.NaN : max);
        long[] counts = new long[Histogram.BINS];
        Histogram empty = new Histogram(edges.edges(), counts);
        if (finite == 0) {
            return new TensorStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    nans, infs, zeroFraction, empty);
        }
        double mean = sum.value() / finite;
        CompensatedSum squaredDeviations = new CompensatedSum();
        for (float x : values) {
            if (Float.isFinite(x)) {
                double d = x - mean;
                squaredDeviations.add(d * d);
                counts[edges.binOf(x)]++;
            }
        }
        return new TensorStats(finite, mean, Math.sqrt(squaredDeviations.value() / finite), min, max,
                Math.max(Math.abs(min), Math.abs(max)), Math.sqrt(sumSquares.value()), nans, infs, zeroFraction,
                new Histogram(edges.edges(), counts));
    }

    /** Neumaier's compensated summation. */
    private static final class CompensatedSum {
        private double sum;
        private double compensation;

        void add(double x) {
            double t = sum + x;
            compensation += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
            sum = t;
        }

        double value() { return sum + compensation; }
    }
}

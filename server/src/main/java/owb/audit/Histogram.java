package owb.audit;

/**
 * 64 equal-width bins over a tensor's finite values, as {@code numpy.histogram(x, bins=64)} makes
 * them on the values in float64: {@code edges} are {@code numpy.linspace(min, max, 65)} (widened
 * to {@code [min - 0.5, max + 0.5]} when min == max), every bin is half-open except the last, which
 * includes {@code max}.
 */
public record Histogram(double[] edges, long[] counts) {
    public static final int BINS = 64;

    public Histogram {
        if (edges.length != BINS + 1 || counts.length != BINS) {
            throw new IllegalArgumentException("a histogram has 65 edges and 64 counts");
        }
        edges = edges.clone();
        counts = counts.clone();
    }

    @Override
    public double[] edges() { return edges.clone(); }

    @Override
    public long[] counts() { return counts.clone(); }

    public long total() {
        long n = 0;
        for (long c : counts) n += c;
        return n;
    }
}

package owb.audit;

/**
 * Statistics of one tensor's values (quantized tensors: of their dequantized values).
 * {@code count}, mean, std (population), min, max, absMax, l2Norm and the histogram cover the
 * finite values only; NaN and ±Inf are counted apart. {@code zeroFraction} is zeros over all
 * elements. With no finite value, the moments are NaN and the histogram spans [0, 1] with zero
 * counts, as numpy's does for an empty array.
 */
public record TensorStats(long count, double mean, double std, double min, double max, double absMax,
                          double l2Norm, long nanCount, long infCount, double zeroFraction,
                          Histogram histogram) {

    public long elements() { return count + nanCount + infCount; }

    public boolean hasNonFinite() { return nanCount + infCount > 0; }
}

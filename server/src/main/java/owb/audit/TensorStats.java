// STUB: replaced by the audit branch
package owb.audit;

public record TensorStats(long count, double mean, double std, double min, double max, double absMax,
                          double l2Norm, long nanCount, long infCount, double zeroFraction,
                          Histogram histogram) {}

// STUB: replaced by the audit branch
package owb.audit;

public record TensorReport(String name, String dtype, long[] shape, TensorStats stats) {}

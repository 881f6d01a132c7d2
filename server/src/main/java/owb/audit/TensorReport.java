package owb.audit;

/** A tensor as the audit reports it: name as stored, dtype label, shape outermost-first, statistics. */
public record TensorReport(String name, String dtype, long[] shape, TensorStats stats) {

    public TensorReport {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }
}

package owb.audit;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * The statistics of one tensor, computed chunk by chunk, any chunk on any thread: pass 1 over
 * every chunk, then {@link #finishPass1}, then (for {@link #twoPasses()} jobs) pass 2 over every
 * chunk, then {@link #stats()}. Results are deterministic: floating-point partial results are
 * combined in chunk order, whatever thread computed them.
 *
 * <p>Two strategies, chosen by {@link #of}:
 * <ul>
 *   <li>{@link TwoPassJob}, for every dtype: an exact histogram needs the range before the first
 *       value is binned, so pass 1 finds the range and the moments and pass 2 bins.</li>
 *   <li>{@link ValueTableJob}, for large F16 and BF16 tensors: 16-bit values take at most 65536
 *       distinct values, so one pass counting each bit pattern gives every statistic exactly.</li>
 * </ul>
 */
abstract sealed class TensorJob permits TwoPassJob, ValueTableJob {
    final TensorEntry tensor;
    final long elements;
    final int chunkElements;
    final int chunks;

    TensorJob(TensorEntry tensor, int chunkElements) {
        this.tensor = tensor;
        this.elements = tensor.numel();
        this.chunkElements = chunkElements;
        this.chunks = (int) Math.max(1, (elements + chunkElements - 1) / chunkElements);
    }

    static TensorJob of(TensorEntry t) {
        boolean sixteenBit = t.dtype() == DType.F16 || t.dtype() == DType.BF16;
        return sixteenBit && t.numel() >= ValueTableJob.MIN_ELEMENTS ? new ValueTableJob(t) : new TwoPassJob(t);
    }

    abstract boolean twoPasses();

    /** The kernels this job runs that have vector and scalar forms. */
    abstract java.util.Set<KernelWarmup.Kernel> kernels();

    abstract void pass1(int chunk);

    abstract void finishPass1();

    abstract void pass2(int chunk);

    abstract TensorStats stats();

    long chunkStart(int c) { return (long) c * chunkElements; }

    int chunkCount(int c) { return (int) Math.min(chunkElements, elements - chunkStart(c)); }

    /** File bytes of chunk {@code c}. */
    long chunkBytes(int c) { return tensor.dtype().byteSize(chunkCount(c)); }

    static TensorStats noFiniteValues(long nans, long infs, double zeroFraction) {
        return new TensorStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                nans, infs, zeroFraction, new Histogram(new BinEdges(Double.NaN, Double.NaN).edges(), new long[Histogram.BINS]));
    }
}

package owb.audit;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.lang.foreign.MemorySegment;

/**
 * Statistics of a large F16 or BF16 tensor in one pass: count every 16-bit pattern, then compute
 * everything from the 65536 counts, each value decoded once. Moments come out exact up to the
 * final double roundings (count times value is exact in double), and the histogram bins each
 * distinct value by numpy's rule. One read of the data and a scalar increment per value is
 * cheaper than two vector passes at two bytes per value.
 */
final class ValueTableJob extends TensorJob {
    /** Below this, summarising the 65536-entry table would cost more than two vector passes. */
    static final long MIN_ELEMENTS = 1 << 18;
    /**
     * Elements per chunk: 32 MiB. Each chunk's table (65536 counts) is added to the total and
     * cleared, which with 8 MiB chunks cost about 5% of the counting and now about 1%; a 1 GiB BF16
     * checkpoint still makes 32 chunks for two cores.
     */
    static final int CHUNK = 1 << 24;
    private static final int PATTERNS = 1 << 16;
    private static final ThreadLocal<int[]> TABLE = ThreadLocal.withInitial(() -> new int[PATTERNS]);

    /** Counts per bit pattern over the chunks done so far; allocated by the first chunk, dropped once summarised. */
    private long[] total;
    private TensorStats stats;

    ValueTableJob(TensorEntry tensor) {
        super(tensor, CHUNK);
    }

    @Override boolean twoPasses() { return false; }

    /**
     * The counting loop is plain Java, compiled on the fly (an on-stack replacement within the first
     * chunk): no vector kernel to warm up.
     */
    @Override
    java.util.Set<KernelWarmup.Kernel> kernels() { return java.util.EnumSet.noneOf(KernelWarmup.Kernel.class); }

    @Override
    void pass1(int c) {
        int[] table = TABLE.get();
        countValues(tensor.data(), 2 * chunkStart(c), chunkCount(c), table);
        synchronized (this) {
            if (total == null) total = new long[PATTERNS];
            for (int v = 0; v < PATTERNS; v++) total[v] += table[v];
        }
        java.util.Arrays.fill(table, 0);
    }

    /**
     * {@code table[bits]++} for {@code n} 16-bit values at {@code offset}, read two to an int. The
     * values are taken from four streams at once, one in each quarter of the range: the same work
     * as one walk over the range, but measured 15% faster on the 1 GiB BF16 benchmark file (two
     * threads, 10.3-10.7 against 11.9-12.3 GB/s); eight streams ran out of registers (7.6).
     */
    static void countValues(MemorySegment data, long offset, int n, int[] table) {
        int ints = n / 8;   // per stream
        long o0 = offset;
        long o1 = o0 + 4L * ints;
        long o2 = o1 + 4L * ints;
        long o3 = o2 + 4L * ints;
        for (int i = 0; i < ints; i++) {
            int a = data.get(VectorKernels.INT_LE, o0 + 4L * i);
            int b = data.get(VectorKernels.INT_LE, o1 + 4L * i);
            int c = data.get(VectorKernels.INT_LE, o2 + 4L * i);
            int d = data.get(VectorKernels.INT_LE, o3 + 4L * i);
            table[a & 0xffff]++;
            table[b & 0xffff]++;
            table[c & 0xffff]++;
            table[d & 0xffff]++;
            table[a >>> 16]++;
            table[b >>> 16]++;
            table[c >>> 16]++;
            table[d >>> 16]++;
        }
        for (long at = o0 + 16L * ints, end = offset + 2L * n; at < end; at += 2) {
            table[data.get(VectorKernels.SHORT_LE, at) & 0xffff]++;
        }
    }

    @Override
    void finishPass1() {
        long[] total = this.total;
        this.total = null;
        boolean bf16 = tensor.dtype() == DType.BF16;
        float[] value = new float[PATTERNS];
        long nans = 0;
        long infs = 0;
        long zeros = 0;
        long finite = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sumSquares = 0;
        for (int v = 0; v < PATTERNS; v++) {
            long count = total[v];
            if (count == 0) continue;
            float x = bf16 ? Float.intBitsToFloat(v << 16) : Float.float16ToFloat((short) v);
            value[v] = x;
            if (Float.isNaN(x)) {
                nans += count;
            } else if (Float.isInfinite(x)) {
                infs += count;
            } else {
                finite += count;
                if (x == 0) zeros += count;
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum += count * (double) x;
                sumSquares += count * ((double) x * x);
            }
        }
        double zeroFraction = elements == 0 ? 0 : zeros / (double) elements;
        if (finite == 0) {
            stats = noFiniteValues(nans, infs, zeroFraction);
            return;
        }
        double mean = sum / finite;
        double squaredDeviations = 0;
        BinEdges edges = new BinEdges(min, max);
        long[] counts = new long[Histogram.BINS];
        for (int v = 0; v < PATTERNS; v++) {
            long count = total[v];
            float x = value[v];
            if (count == 0 || !Float.isFinite(x)) continue;
            double d = x - mean;
            squaredDeviations += count * (d * d);
            counts[edges.binOf(x)] += count;
        }
        stats = new TensorStats(finite, mean, Math.sqrt(squaredDeviations / finite), min, max,
                Math.max(Math.abs(min), Math.abs(max)), Math.sqrt(sumSquares), nans, infs, zeroFraction,
                new Histogram(edges.edges(), counts));
    }

    @Override
    void pass2(int chunk) {
        throw new IllegalStateException("a value-table job has one pass");
    }

    @Override
    TensorStats stats() { return stats; }
}

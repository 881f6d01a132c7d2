package owb.audit;

import jdk.incubator.vector.IntVector;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

import java.lang.foreign.MemorySegment;

/**
 * The statistics of one tensor, computed chunk by chunk in two passes, any chunk on any thread.
 *
 * <p>An exact histogram needs the range before the first value is binned, so pass 1 finds min,
 * max and the NaN, Inf and zero counts (and hashes the bytes); pass 2 computes the moments and the
 * histogram. A chunk that fits the cache is read from memory once: {@link StatsKernel} runs both
 * passes of a one-chunk tensor back to back on one thread. Moments are sums of
 * {@code x - shift} and {@code (x - shift)^2} in double with the shift the midrange, known from
 * pass 1, which keeps the variance free of cancellation when the mean is far from zero.
 *
 * <p>Results are deterministic: per-chunk sums are added in chunk order, whatever thread ran them.
 */
final class TensorJob {
    /** Floats per block: the decode buffer (16 KiB) and the block's pair indices stay in L1. */
    static final int BLOCK = 4096;
    /** Elements per chunk, the unit of parallel work: 4 MiB of F32. A multiple of every block size. */
    static final int CHUNK = 1 << 20;

    final TensorEntry tensor;
    final long elements;
    final int chunks;
    private final VectorKernels.Range[] ranges;
    private final long[] chunkHashes;
    private final double[] chunkSums1;
    private final double[] chunkSums2;
    private final long[] counts = new long[Histogram.BINS];

    private VectorKernels.Range range;
    private BinEdges edges;
    private IntVector[] thresholds;
    private float shift;

    TensorJob(TensorEntry tensor) {
        this.tensor = tensor;
        this.elements = tensor.numel();
        this.chunks = (int) Math.max(1, (elements + CHUNK - 1) / CHUNK);
        this.ranges = new VectorKernels.Range[chunks];
        this.chunkHashes = new long[chunks];
        this.chunkSums1 = new double[chunks];
        this.chunkSums2 = new double[chunks];
    }

    /** File bytes of chunk {@code c}. */
    long chunkBytes(int c) {
        return tensor.dtype().byteSize(chunkElements(c));
    }

    private long chunkStart(int c) { return (long) c * CHUNK; }

    private int chunkElements(int c) { return (int) Math.min(CHUNK, elements - chunkStart(c)); }

    void pass1(int c) {
        BlockScratch s = BlockScratch.get();
        VectorKernels.Range r = new VectorKernels.Range();
        long hash = c;
        long start = chunkStart(c);
        int n = chunkElements(c);
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            long first = start + done;
            long rawOffset = tensor.dtype().byteSize(first);
            long rawBytes = tensor.dtype().byteSize(count);
            hash = VectorKernels.mix(hash ^ VectorKernels.hashBytes(tensor.data(), rawOffset, rawBytes, done));
            load(first, count, s);
            if (!VectorKernels.scanRange(s.segment, s.offset, count, r)) {
                VectorKernels.scanRangeScalar(s.segment, s.offset, count, r);
            }
        }
        ranges[c] = r;
        chunkHashes[c] = hash;
    }

    /** Between the passes: the range over all chunks fixes the bins and the shift. */
    void finishPass1() {
        range = new VectorKernels.Range();
        for (VectorKernels.Range r : ranges) range.merge(r);
        edges = new BinEdges(range.min, range.max);
        thresholds = edges.fastPath ? VectorKernels.thresholdTable(edges) : null;
        shift = range.min <= range.max ? (float) ((range.min + (double) range.max) / 2) : 0f;
    }

    void pass2(int c) {
        BlockScratch s = BlockScratch.get();
        long[] chunkCounts = new long[Histogram.BINS];
        double[] sums = new double[2];
        boolean sanitise = ranges[c].nonFinite() > 0;
        long start = chunkStart(c);
        int n = chunkElements(c);
        long replaced = 0;
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            load(start + done, count, s);
            if (sanitise) {
                s.copyToBuffer(count);
                replaced += VectorKernels.replaceNonFinite(s.floats, count, shift);
            }
            VectorKernels.accumulateMoments(s.segment, s.offset, count, shift, sums, s.lanes);
            if (edges.fastPath) {
                VectorKernels.countBins(s.segment, s.offset, count, edges, thresholds, s.pairIndex, s.pairCounts);
            } else {
                for (int i = 0; i < count; i++) {
                    chunkCounts[edges.binOf(s.segment.get(VectorKernels.FLOAT_LE, s.offset + 4L * i))]++;
                }
            }
        }
        if (edges.fastPath) VectorKernels.foldPairs(s.pairCounts, chunkCounts);
        if (replaced > 0) chunkCounts[edges.binOf(shift)] -= replaced;
        chunkSums1[c] = sums[0];
        chunkSums2[c] = sums[1];
        synchronized (counts) {
            for (int b = 0; b < Histogram.BINS; b++) counts[b] += chunkCounts[b];
        }
    }

    /** Points {@code s.segment}/{@code s.offset} at {@code count} floats from element {@code first}. */
    private void load(long first, int count, BlockScratch s) {
        MemorySegment data = tensor.data();
        DType dtype = tensor.dtype();
        switch (dtype) {
            case F32 -> s.pointAt(data, 4L * first);
            case BF16 -> {
                VectorKernels.decodeBf16(data, 2L * first, count, s.floats);
                s.pointAtBuffer();
            }
            case F16 -> {
                VectorKernels.decodeF16(data, 2L * first, count, s.floats);
                s.pointAtBuffer();
            }
            default -> {
                TensorReader.readFloats(tensor, first, count, s.floats, 0);
                s.pointAtBuffer();
            }
        }
    }

    /** After pass 2. */
    TensorStats stats() {
        long finite = elements - range.nonFinite();
        double sum1 = 0;
        double sum2 = 0;
        for (int c = 0; c < chunks; c++) {
            sum1 += chunkSums1[c];
            sum2 += chunkSums2[c];
        }
        double zeroFraction = elements == 0 ? 0 : range.zeros / (double) elements;
        Histogram histogram = new Histogram(edges.edges(), counts);
        if (finite == 0) {
            return new TensorStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    range.nans, range.infs, zeroFraction, histogram);
        }
        double k = shift;
        double meanOffset = sum1 / finite;
        double variance = Math.max(0, sum2 / finite - meanOffset * meanOffset);
        double sumSquares = Math.max(0, sum2 + 2 * k * sum1 + finite * k * k);
        double min = range.min;
        double max = range.max;
        return new TensorStats(finite, k + meanOffset, Math.sqrt(variance), min, max,
                Math.max(Math.abs(min), Math.abs(max)), Math.sqrt(sumSquares), range.nans, range.infs,
                zeroFraction, histogram);
    }

    /** A hash of the tensor's bytes, after pass 1; equal bytes give equal hashes. */
    long contentHash() {
        long h = VectorKernels.mix(elements ^ tensor.dtype().ordinal());
        for (long chunkHash : chunkHashes) h = VectorKernels.mix(h ^ chunkHash);
        return h;
    }

    /** Per-thread buffers, reused across blocks and tensors. */
    static final class BlockScratch {
        private static final ThreadLocal<BlockScratch> PER_THREAD = ThreadLocal.withInitial(BlockScratch::new);

        final float[] floats = new float[BLOCK];
        final MemorySegment buffer = MemorySegment.ofArray(floats);
        final int[] pairIndex = new int[BLOCK / 2];
        final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
        final double[] lanes = new double[VectorKernels.D.length()];
        MemorySegment segment;
        long offset;

        static BlockScratch get() { return PER_THREAD.get(); }

        void pointAt(MemorySegment segment, long offset) {
            this.segment = segment;
            this.offset = offset;
        }

        void pointAtBuffer() { pointAt(buffer, 0); }

        /** Makes the buffer hold the current block (a no-op when it already does). */
        void copyToBuffer(int count) {
            if (segment != buffer) {
                MemorySegment.copy(segment, VectorKernels.FLOAT_LE, offset, floats, 0, count);
                pointAtBuffer();
            }
        }
    }
}

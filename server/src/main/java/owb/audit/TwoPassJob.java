package owb.audit;

import jdk.incubator.vector.IntVector;
import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

import java.lang.foreign.MemorySegment;

/**
 * Statistics in two passes over floats: F32 read straight from the mapped file, BF16 and F16
 * decoded a block at a time by vector bit operations, every other dtype through
 * {@link TensorReader#readFloats}.
 *
 * <p>Pass 1 finds range, zeros, NaN and Inf counts and the moments, as sums of {@code x - shift}
 * and {@code (x - shift)^2} in double with the shift a pilot mean of the chunk (so a mean far
 * from zero costs no precision); chunks merge by Chan et al.'s pairwise update. Pass 2 bins. A
 * tensor of one chunk is measured by one thread, both passes back to back, so its second read
 * comes from cache.
 */
final class TwoPassJob extends TensorJob {
    /** Floats per block: the decode buffer (16 KiB) and the block's pair indices stay in L1. */
    static final int BLOCK = 4096;
    /** Elements per chunk, the unit of parallel work: 4 MiB of F32. A multiple of every block size. */
    static final int CHUNK = 1 << 20;

    private final VectorKernels.BlockStats[] chunkStats;
    private final long[] counts = new long[Histogram.BINS];
    private VectorKernels.BlockStats range;
    private BinEdges edges;
    private IntVector[] thresholds;

    TwoPassJob(TensorEntry tensor) {
        super(tensor, CHUNK);
        chunkStats = new VectorKernels.BlockStats[chunks];
    }

    @Override boolean twoPasses() { return true; }

    @Override
    void pass1(int c) {
        Scratch s = Scratch.get();
        long start = chunkStart(c);
        int n = chunkCount(c);
        VectorKernels.BlockStats stats = null;
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            hash(c, start + done, count);
            load(start + done, count, s);
            if (stats == null) stats = new VectorKernels.BlockStats(pilotMean(s, count));
            if (!VectorKernels.scanBlock(s.segment, s.offset, count, stats, s.lanes)) {
                VectorKernels.scanBlockScalar(s.segment, s.offset, count, stats);
            }
        }
        chunkStats[c] = stats != null ? stats : new VectorKernels.BlockStats(0);
    }

    /**
     * The shift for a chunk's sums: the mean of its first (up to) 256 finite values, rounded to a
     * float. The variance is a difference of sums whose error grows with
     * {@code (mean - shift)^2 / variance}; a pilot mean keeps that near 1, where a single value
     * (an outlier, a zero) could make it 10^4.
     */
    private static double pilotMean(Scratch s, int count) {
        double sum = 0;
        int finite = 0;
        for (int i = 0; i < count && finite < 256; i++) {
            float x = s.segment.get(VectorKernels.FLOAT_LE, s.offset + 4L * i);
            if (Float.isFinite(x)) {
                sum += x;
                finite++;
            }
        }
        return finite == 0 ? 0 : (float) (sum / finite);
    }

    @Override
    void finishPass1() {
        range = new VectorKernels.BlockStats(0);
        for (VectorKernels.BlockStats b : chunkStats) {
            range.min = Math.min(range.min, b.min);
            range.max = Math.max(range.max, b.max);
            range.zeros += b.zeros;
            range.nans += b.nans;
            range.infs += b.infs;
        }
        edges = new BinEdges(range.min, range.max);
        thresholds = edges.fastPath && VectorKernels.vectorBinning() ? VectorKernels.thresholdTable(edges) : null;
    }

    @Override
    void pass2(int c) {
        if (range.min > range.max) return; // no finite value to bin
        Scratch s = Scratch.get();
        long[] chunkCounts = new long[Histogram.BINS];
        boolean sanitise = chunkStats[c].nonFinite() > 0;
        long start = chunkStart(c);
        int n = chunkCount(c);
        long replaced = 0;
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            load(start + done, count, s);
            if (sanitise) {
                s.copyToBuffer(count);
                replaced += VectorKernels.replaceNonFinite(s.floats, count, range.min);
            }
            if (thresholds != null) {
                VectorKernels.countBinPairs(s.segment, s.offset, count, edges, thresholds, s.pairIndex, s.pairCounts);
            } else if (edges.fastPath) {
                for (int i = 0; i < count; i++) {
                    chunkCounts[VectorKernels.binScalar(s.segment.get(VectorKernels.FLOAT_LE, s.offset + 4L * i), edges)]++;
                }
            } else {
                for (int i = 0; i < count; i++) {
                    chunkCounts[edges.binOf(s.segment.get(VectorKernels.FLOAT_LE, s.offset + 4L * i))]++;
                }
            }
        }
        if (thresholds != null) VectorKernels.foldPairs(s.pairCounts, chunkCounts);
        chunkCounts[edges.binOf(range.min)] -= replaced;
        synchronized (counts) {
            for (int b = 0; b < Histogram.BINS; b++) counts[b] += chunkCounts[b];
        }
    }

    /** Points {@code s.segment}/{@code s.offset} at {@code count} floats from element {@code first}. */
    private void load(long first, int count, Scratch s) {
        MemorySegment data = tensor.data();
        switch (tensor.dtype()) {
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

    @Override
    TensorStats stats() {
        long finite = elements - range.nonFinite();
        double zeroFraction = elements == 0 ? 0 : range.zeros / (double) elements;
        if (finite == 0) return noFiniteValues(range.nans, range.infs, zeroFraction);
        // Chan, Golub and LeVeque's pairwise update, chunk by chunk in order
        long n = 0;
        double mean = 0;
        double m2 = 0;
        double sumSquares = 0;
        for (int c = 0; c < chunks; c++) {
            VectorKernels.BlockStats b = chunkStats[c];
            long nb = chunkCount(c) - b.nonFinite();
            if (nb == 0) continue;
            double meanB = b.shift + b.sum1 / nb;
            double m2B = Math.max(0, b.sum2 - b.sum1 * b.sum1 / nb);
            long total = n + nb;
            double delta = meanB - mean;
            mean += delta * nb / total;
            m2 += m2B + delta * delta * ((double) n * nb / total);
            n = total;
            sumSquares += b.sum2 + 2 * b.shift * b.sum1 + nb * b.shift * b.shift;
        }
        double min = range.min;
        double max = range.max;
        return new TensorStats(finite, mean, Math.sqrt(m2 / finite), min, max, Math.max(Math.abs(min), Math.abs(max)),
                Math.sqrt(Math.max(0, sumSquares)), range.nans, range.infs, zeroFraction, new Histogram(edges.edges(), counts));
    }

    /** Per-thread buffers, reused across blocks and tensors. */
    static final class Scratch {
        private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

        final float[] floats = new float[BLOCK];
        final MemorySegment buffer = MemorySegment.ofArray(floats);
        final int[] pairIndex = new int[BLOCK / 2];
        final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
        final double[] lanes = new double[VectorKernels.D.length()];
        MemorySegment segment;
        long offset;

        static Scratch get() { return PER_THREAD.get(); }

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

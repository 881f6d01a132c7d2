package owb.audit;

import jdk.incubator.vector.IntVector;
import owb.audit.KernelWarmup.Kernel;
import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

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
    private static final int BLOCK = BlockScratch.BLOCK;
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
    Set<Kernel> kernels() {
        return switch (tensor.dtype()) {
            case BF16 -> EnumSet.of(Kernel.DECODE_BF16, Kernel.SCAN, Kernel.BINS);
            case F16 -> EnumSet.of(Kernel.DECODE_F16, Kernel.SCAN, Kernel.BINS);
            default -> EnumSet.of(Kernel.SCAN, Kernel.BINS);
        };
    }

    @Override
    void pass1(int c) {
        BlockScratch s = BlockScratch.get();
        long start = chunkStart(c);
        int n = chunkCount(c);
        VectorKernels.BlockStats stats = null;
        boolean vectorScan = KernelWarmup.ready(Kernel.SCAN);
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            load(start + done, count, s, !vectorScan);
            if (stats == null) stats = new VectorKernels.BlockStats(pilotMean(s, count));
            boolean allFinite;
            if (vectorScan) {
                s.forVectors(count);
                allFinite = VectorKernels.scanBlock(s.segment, s.offset, count, stats, s.lanes);
            } else {
                allFinite = ScalarKernels.scanBlock(s.floats, count, stats);
            }
            if (!allFinite) {
                s.copyToBuffer(count);
                ScalarKernels.scanBlockWithNonFinite(s.floats, count, stats);
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
    private static double pilotMean(BlockScratch s, int count) {
        double sum = 0;
        int finite = 0;
        for (int i = 0; i < count && finite < 256; i++) {
            float x = s.inBuffer() ? s.floats[i] : s.segment.get(VectorKernels.FLOAT_LE, s.offset + 4L * i);
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
        BlockScratch s = BlockScratch.get();
        long[] chunkCounts = new long[Histogram.BINS];
        boolean sanitise = chunkStats[c].nonFinite() > 0;
        long start = chunkStart(c);
        int n = chunkCount(c);
        long replaced = 0;
        boolean vector = KernelWarmup.ready(Kernel.BINS) && thresholds != null;
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            load(start + done, count, s, !vector);
            if (sanitise) {
                s.copyToBuffer(count);
                replaced += VectorKernels.replaceNonFinite(s.floats, count, range.min);
            }
            if (vector) {
                s.forVectors(count);
                VectorKernels.countBinPairs(s.segment, s.offset, count, edges, thresholds, s.pairIndex, s.pairCounts);
            } else if (edges.fastPath) {
                ScalarKernels.countBins(s.floats, count, edges, s.pairCounts);
            } else {
                for (int i = 0; i < count; i++) chunkCounts[edges.binOf(s.floats[i])]++;
            }
        }
        VectorKernels.foldPairs(s.pairCounts, chunkCounts);
        chunkCounts[edges.binOf(range.min)] -= replaced;
        synchronized (counts) {
            for (int b = 0; b < Histogram.BINS; b++) counts[b] += chunkCounts[b];
        }
    }

    /**
     * Makes the block's floats available at {@code s.segment}/{@code s.offset}: F32 stays in the
     * mapped file unless {@code intoBuffer} (scalar kernels read {@code s.floats}); other dtypes are
     * always decoded into {@code s.floats}.
     */
    private void load(long first, int count, BlockScratch s, boolean intoBuffer) {
        MemorySegment data = tensor.data();
        switch (tensor.dtype()) {
            case F32 -> {
                s.pointAt(data, 4L * first);
                if (intoBuffer) s.copyToBuffer(count);
            }
            case BF16 -> {
                if (KernelWarmup.ready(Kernel.DECODE_BF16)) {
                    VectorKernels.decodeBf16(data, 2L * first, count, s.floats);
                } else {
                    s.copyHalves(data, 2L * first, count);
                    ScalarKernels.decodeBf16(s.halves, count, s.floats);
                }
                s.pointAtBuffer();
            }
            case F16 -> {
                if (KernelWarmup.ready(Kernel.DECODE_F16)) {
                    VectorKernels.decodeF16(data, 2L * first, count, s.floats);
                } else {
                    s.copyHalves(data, 2L * first, count);
                    ScalarKernels.decodeF16(s.halves, count, s.floats);
                }
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
}

package owb.audit;

import jdk.incubator.vector.IntVector;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides, kernel by kernel, when the vector kernels take over from their scalar twins, and gets
 * them compiled meanwhile.
 *
 * <p>Vector API code is fast only once C2 has compiled it; the interpreter and C1 run each vector
 * operation as a boxed, allocating call, hundreds of times slower. Left to real data, the kernels
 * would reach C2 after about 60,000 loop iterations in the interpreter (HotSpot's tier-3 back-edge
 * threshold) and 40,000 more in C1: the first 64 MiB of a cold audit took 6 s instead of 0.1 s.
 * So daemon threads call the vector kernels on small synthetic blocks, reaching HotSpot's
 * thresholds cheaply, and time each against its scalar twin ({@link ScalarKernels}, plain Java
 * over arrays, which C1 and C2 compile quickly): a kernel takes over once it wins three checks in
 * a row. Meanwhile a small audit runs on the scalar twins and a large one waits (see
 * {@link StatsKernel}). The twins give bit-identical results, so the switch changes nothing but
 * speed. Where a vector kernel never wins (no usable SIMD, {@code -Xint}), its twin stays in use.
 */
final class KernelWarmup {

    /** The kernels that have a vector and a scalar form. */
    enum Kernel { SCAN, BINS, DECODE_BF16, DECODE_F16 }

    private static final boolean[] READY = new boolean[Kernel.values().length];
    private static volatile boolean published;
    private static final Deque<Kernel> QUEUE = new ArrayDeque<>();
    /** Kernels queued or being warmed. */
    private static final Set<Kernel> PENDING = EnumSet.noneOf(Kernel.class);
    /** Warm-up threads alive; up to one per core, each warming one kernel at a time. */
    private static int warmers;
    /** Where the warm-up maps its own view of real data: a tensor of the latest audit. */
    private static FileRegion mappedSample;

    private record FileRegion(Path file, long offset, long length) {}

    /**
     * Values per warm-up call: three steps of a kernel's two-vector loop, then one of its
     * one-vector loop and a scalar tail. Every call walks every path, so the profile C2 compiles
     * from has seen them all whenever the compile starts: a path the profile never saw becomes a
     * trap that deoptimises and recompiles (an early compile from calls too short to count a pair
     * once met the first long block that way, and the binning kernel was compiled four times over,
     * 0.25 s of the only C2 thread).
     *
     * <p>Calls stay short because of how HotSpot counts: C2 compiles a method after 600 calls whose
     * loop iterations add up to 15000 with the calls, but compiles a loop on its own (on-stack
     * replacement, a second compile of much the same code) once 40000 iterations have run. A few
     * iterations a call reach the first well before the second. The launcher gives the kernels a
     * tenth of those thresholds, so a cold audit has C2 code after some 60 calls.
     */
    private static final int CALL = 7 * VectorKernels.LANES + 3;
    /**
     * The binning kernel's calls run 16 steps: compiled from three-step calls, it came out half as
     * fast on real blocks (5 against 10 GB/s over a 1 GiB F32 file). Its pair counting has a method
     * of its own, so 16 steps are 16 of its own loop iterations and stay clear of a loop compile.
     */
    private static final int BINS_CALL = 33 * VectorKernels.LANES + 3;
    /** Values per timed comparison. */
    private static final int TIMED = 256;
    private static final int CALLS_BETWEEN_CHECKS = 40;
    private static final int WINS_NEEDED = 3;
    private static final long GIVE_UP_NANOS = 30_000_000_000L;

    private KernelWarmup() {}

    /** Whether {@code k}'s vector form is compiled and faster than its scalar twin. */
    static boolean ready(Kernel k) {
        return published && READY[k.ordinal()];
    }

    /**
     * Queues the kernels an audit needs for warming on background threads, those the most bytes
     * need first; each thread warms one kernel at a time.
     *
     * @param auditWaits whether the audit waits for the kernels: then its cores are idle and one
     *                   warm-up thread a core shortens the wait; otherwise one thread, beside the
     *                   audit's workers on the scalar twins
     * @param mapped a memory-mapped tensor of the audit, or null: the warm-up maps part of its file
     *               read-only in a shared arena of its own, as readers do, and warms the kernels
     *               on it too; C2 code compiled from a profile that saw only heap arrays
     *               deoptimises at the first mapped file
     */
    static synchronized void request(Map<Kernel, Long> bytesNeeding, TensorEntry mapped, boolean auditWaits) {
        if (mapped != null && mapped.byteSize() >= 4L * BlockScratch.BLOCK) {
            mappedSample = new FileRegion(mapped.file(), mapped.fileOffset(), mapped.byteSize());
        }
        List<Kernel> wanted = new ArrayList<>(bytesNeeding.keySet());
        wanted.sort(Comparator.comparing((Kernel k) -> bytesNeeding.get(k)).reversed());
        for (Kernel k : wanted) {
            if (!READY[k.ordinal()] && PENDING.add(k)) QUEUE.add(k);
        }
        int threads = Math.min(QUEUE.size(), auditWaits ? Runtime.getRuntime().availableProcessors() : 1);
        for (; warmers < threads; warmers++) {
            Thread.ofPlatform().daemon().name("owb-kernel-warm-up").start(KernelWarmup::warmQueued);
        }
    }

    private static void warmQueued() {
        FileRegion sample;
        synchronized (KernelWarmup.class) {
            sample = mappedSample;
        }
        try (Arena arena = Arena.ofShared()) {
            warmQueued(new Workload(mapOwnView(sample, arena)));
        }
    }

    /** Up to 4 MiB of the sample region, mapped read-only; null without a sample or when it cannot be mapped. */
    private static MemorySegment mapOwnView(FileRegion sample, Arena arena) {
        if (sample == null) return null;
        long length = Math.min(sample.length(), 4L << 20) / 4 * 4;
        try (FileChannel ch = FileChannel.open(sample.file(), StandardOpenOption.READ)) {
            if (sample.offset() + length > ch.size()) return null;
            return ch.map(FileChannel.MapMode.READ_ONLY, sample.offset(), length, arena);
        } catch (IOException e) {
            // the audit has its own mapping; the warm-up then warms on heap memory alone
            return null;
        }
    }

    private static void warmQueued(Workload w) {
        while (true) {
            Kernel k;
            synchronized (KernelWarmup.class) {
                k = QUEUE.poll();
                if (k == null) {
                    warmers--;
                    return;
                }
            }
            warm(k, w);
            synchronized (KernelWarmup.class) {
                PENDING.remove(k);
                KernelWarmup.class.notifyAll();
            }
        }
    }

    /**
     * Waits until none of {@code kernels} is still being warmed (each is then ready, or known not
     * to be faster), or {@code timeoutNanos} pass.
     */
    static synchronized void await(Set<Kernel> kernels, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (kernels.stream().anyMatch(PENDING::contains)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            KernelWarmup.class.wait(Math.max(1, left / 1_000_000));
        }
    }

    private static void warm(Kernel k, Workload w) {
        long deadline = System.nanoTime() + GIVE_UP_NANOS;
        int wins = 0;
        while (wins < WINS_NEEDED && System.nanoTime() < deadline) {
            for (int i = 0; i < CALLS_BETWEEN_CHECKS; i++) w.vector(k, k == Kernel.BINS ? BINS_CALL : CALL);
            wins = bestOf(w, k, true) < bestOf(w, k, false) ? wins + 1 : 0;
        }
        if (wins >= WINS_NEEDED) {
            READY[k.ordinal()] = true;
            published = true; // volatile write: makes READY visible to the workers
        }
        if (DEBUG) {
            System.err.printf("owb: %s vector kernel %s at %.2f s%n", k, READY[k.ordinal()] ? "ready" : "not faster",
                    (System.nanoTime() - START) / 1e9);
        }
    }

    /** {@code -Dowb.debugWarmup=true} logs when each kernel switches, to stderr. */
    private static final boolean DEBUG = Boolean.getBoolean("owb.debugWarmup");
    private static final long START = System.nanoTime();

    private static long bestOf(Workload w, Kernel k, boolean vector) {
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long start = System.nanoTime();
            if (vector) w.vector(k, TIMED); else w.scalar(k, TIMED);
            best = Math.min(best, System.nanoTime() - start);
        }
        return best;
    }

    /**
     * A block of synthetic F32 and 16-bit data, with two NaNs near its end (so the kernels' non-finite
     * exits are in the profile too), and the buffers the kernels write, sized as real blocks are.
     */
    private static final class Workload {
        private static final int N = BlockScratch.BLOCK;
        private final float[] values = new float[N];
        private final MemorySegment floats;
        private final MemorySegment halves;
        /** The audit's own mapped data when there is some, else the off-heap copies again. */
        private final MemorySegment mapped;
        private final int[] halfWords = new int[N / 2];
        private final float[] decoded = new float[N];
        private final BinEdges edges = new BinEdges(-0.02f, 0.02f);
        private final IntVector[] thresholds;
        /** Bins spanning the mapped sample's first block, or null when it is not all finite. */
        private final BinEdges mappedEdges;
        private final IntVector[] mappedThresholds;
        private final int[] pairIndex = new int[N / 2];
        private final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
        private final double[] lanes = new double[VectorKernels.D.length()];
        private int calls;

        Workload(MemorySegment mappedSample) {
            short[] bits = new short[N];
            for (int i = 0; i < N; i++) {
                values[i] = (float) Math.sin(i * 0.7) * 0.02f;
                bits[i] = Float.floatToFloat16(values[i]);
            }
            values[N - 1] = Float.NaN;
            values[N - 8] = Float.NaN;
            // off-heap, as BlockScratch hands blocks to the vector kernels
            floats = Arena.ofAuto().allocate(4L * N, 64);
            MemorySegment.copy(values, 0, floats, VectorKernels.FLOAT_LE, 0, N);
            halves = Arena.ofAuto().allocate(2L * N, 64);
            MemorySegment.copy(bits, 0, halves, VectorKernels.SHORT_LE, 0, N);
            MemorySegment.copy(halves, VectorKernels.INT_LE, 0, halfWords, 0, N / 2);
            thresholds = VectorKernels.vectorBinning() ? VectorKernels.thresholdTable(edges) : null;
            mapped = mappedSample != null && mappedSample.byteSize() >= 4L * N ? mappedSample : floats;
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            boolean finite = true;
            for (int i = 0; i < N; i++) {
                float x = mapped.get(VectorKernels.FLOAT_LE, 4L * i);
                finite &= Float.isFinite(x);
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            BinEdges e = finite ? new BinEdges(lo, hi) : null;
            mappedEdges = e != null && e.fastPath && thresholds != null ? e : null;
            mappedThresholds = mappedEdges != null ? VectorKernels.thresholdTable(mappedEdges) : null;
        }

        /** Runs {@code k}'s vector form on n values, on off-heap and mapped memory by turns, as real audits do. */
        void vector(Kernel k, int n) {
            calls++;
            boolean onMapped = (calls & 1) == 0;
            MemorySegment f = onMapped ? mapped : floats;
            // the synthetic block ends in NaNs: one call in 8 (off-heap) meets one, in the vector
            // loop or in the scalar tail by turns (two exits, each needed in the profile);
            // in mapped data, offsets range over all of it, as real blocks' offsets do
            long at = switch (calls & 15) {
                case 1 -> 4L * (N - n);      // the NaN at N - 8 falls in the vector loop
                case 9 -> 4L * (N - 7 - n);  // the same NaN is the window's last value: the tail
                default -> 0;
            };
            if (onMapped && mapped != floats) at = mappedOffset(calls % 17);
            switch (k) {
                case SCAN -> VectorKernels.scanBlock(f, at, n, new VectorKernels.BlockStats(0), lanes);
                case BINS -> {
                    // without AVX-512 there is no vector binning: it never wins, the scalar twin stays
                    if (thresholds == null) return;
                    if (onMapped && mappedEdges != null) {
                        VectorKernels.countBinPairs(mapped, 0, n, mappedEdges, mappedThresholds, pairIndex, pairCounts);
                    } else {
                        VectorKernels.countBinPairs(floats, 0, n, edges, thresholds, pairIndex, pairCounts);
                    }
                    java.util.Arrays.fill(pairCounts, 0);
                }
                case DECODE_BF16 -> VectorKernels.decodeBf16(onMapped ? mapped : halves, 0, n, decoded);
                case DECODE_F16 -> VectorKernels.decodeF16(onMapped ? mapped : halves, 0, n, decoded);
            }
        }

        /** The start of one of 17 whole blocks spread over the mapped sample, in bytes. */
        private long mappedOffset(int which) {
            long blocks = mapped.byteSize() / (4L * N);
            return (blocks - 1) * which / 16 * 4L * N;
        }

        void scalar(Kernel k, int n) {
            switch (k) {
                case SCAN -> ScalarKernels.scanBlock(values, n, new VectorKernels.BlockStats(0));
                case BINS -> {
                    ScalarKernels.countBins(values, n, edges, pairCounts);
                    java.util.Arrays.fill(pairCounts, 0);
                }
                case DECODE_BF16 -> ScalarKernels.decodeBf16(halfWords, n, decoded);
                case DECODE_F16 -> ScalarKernels.decodeF16(halfWords, n, decoded);
            }
        }
    }
}

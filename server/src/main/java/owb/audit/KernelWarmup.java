package owb.audit;

import jdk.incubator.vector.IntVector;

import java.lang.foreign.MemorySegment;
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
 * So real data starts on {@link ScalarKernels} (plain Java over arrays, which C1 and C2 compile
 * quickly), while a daemon thread calls the vector kernels on tiny synthetic blocks, reaching
 * HotSpot's invocation thresholds cheaply, and times each against its twin: a kernel takes over
 * once it wins three checks in a row. The twins give bit-identical results, so the switch changes
 * nothing but speed. Where a vector kernel never wins (no usable SIMD, {@code -Xint}), its scalar
 * twin stays in use.
 */
final class KernelWarmup {

    /** The kernels that have a vector and a scalar form. */
    enum Kernel { HASH_AND_SCAN, BINS, HASH, SCAN, DECODE_BF16, DECODE_F16 }

    private static final boolean[] READY = new boolean[Kernel.values().length];
    private static volatile boolean published;
    private static final Deque<Kernel> QUEUE = new ArrayDeque<>();
    /** Kernels queued or being warmed. */
    private static final Set<Kernel> PENDING = EnumSet.noneOf(Kernel.class);
    private static Thread worker;
    private static MemorySegment mappedSample;

    /** Values per warm-up call: enough for every loop to run once, so each slow call is cheap. */
    private static final int SMALL = 2 * VectorKernels.LANES;
    /** Values per timed comparison. */
    private static final int TIMED = 256;
    /** HotSpot's Tier4InvocationThreshold: C2 is not asked to compile a method before this many calls. */
    private static final int CALLS_BEFORE_CHECKS = 5000;
    private static final int CALLS_BETWEEN_CHECKS = 200;
    private static final int WINS_NEEDED = 3;
    private static final long GIVE_UP_NANOS = 30_000_000_000L;

    private KernelWarmup() {}

    /** Whether {@code k}'s vector form is compiled and faster than its scalar twin. */
    static boolean ready(Kernel k) {
        return published && READY[k.ordinal()];
    }

    /**
     * Queues the kernels an audit needs for warming on a background thread: one kernel at a time
     * (each one's C2 compile overlaps the next one's warm-up), those the most bytes need first.
     *
     * @param mapped a mapped tensor of the audit, or null: the kernels also warm on its kind of
     *               segment, as a profile that saw only heap arrays would make C2 compile code that
     *               deoptimises at the first mapped file
     */
    static synchronized void request(Map<Kernel, Long> bytesNeeding, MemorySegment mapped) {
        if (mappedSample == null && mapped != null && mapped.byteSize() >= 4L * TIMED) mappedSample = mapped;
        List<Kernel> wanted = new ArrayList<>(bytesNeeding.keySet());
        wanted.sort(Comparator.comparing((Kernel k) -> bytesNeeding.get(k)).reversed());
        for (Kernel k : wanted) {
            if (!READY[k.ordinal()] && PENDING.add(k)) QUEUE.add(k);
        }
        if (!QUEUE.isEmpty() && (worker == null || !worker.isAlive())) {
            worker = Thread.ofPlatform().daemon().name("owb-kernel-warm-up").start(KernelWarmup::warmQueued);
        }
    }

    private static void warmQueued() {
        Workload small;
        Workload timed;
        synchronized (KernelWarmup.class) {
            small = new Workload(SMALL, mappedSample);
            timed = new Workload(TIMED, mappedSample);
        }
        while (true) {
            Kernel k;
            synchronized (KernelWarmup.class) {
                k = QUEUE.poll();
                if (k == null) {
                    worker = null;
                    return;
                }
            }
            warm(k, small, timed);
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

    private static void warm(Kernel k, Workload small, Workload timed) {
        long deadline = System.nanoTime() + GIVE_UP_NANOS;
        for (int i = 0; i < CALLS_BEFORE_CHECKS; i++) small.vector(k);
        int wins = 0;
        while (wins < WINS_NEEDED && System.nanoTime() < deadline) {
            for (int i = 0; i < CALLS_BETWEEN_CHECKS; i++) small.vector(k);
            wins = bestOf(timed, k, true) < bestOf(timed, k, false) ? wins + 1 : 0;
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
            if (vector) w.vector(k); else w.scalar(k);
            best = Math.min(best, System.nanoTime() - start);
        }
        return best;
    }

    /** One synthetic block of F32 and 16-bit data, and the buffers the kernels write. */
    private static final class Workload {
        private final int n;
        private final float[] values;
        private final MemorySegment floats;
        private final MemorySegment halves;
        /** The audit's own mapped data when there is some, else the heap arrays again. */
        private final MemorySegment mapped;
        private int calls;
        private final int[] halfWords;
        private final long[] rawLongs;
        private final float[] decoded;
        private final BinEdges edges = new BinEdges(-0.02f, 0.02f);
        private final IntVector[] thresholds;
        /** Bins spanning the mapped sample's first n floats, or null when they are not all finite. */
        private final BinEdges mappedEdges;
        private final IntVector[] mappedThresholds;
        private final int[] pairIndex;
        private final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
        private final double[] lanes = new double[VectorKernels.D.length()];
        private final long[] hash = new long[1];

        Workload(int n, MemorySegment mappedSample) {
            this.n = n;
            values = new float[n];
            short[] bits = new short[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) Math.sin(i * 0.7) * 0.02f;
                bits[i] = Float.floatToFloat16(values[i]);
            }
            floats = MemorySegment.ofArray(values);
            halves = MemorySegment.ofArray(bits);
            halfWords = new int[n / 2];
            MemorySegment.copy(halves, VectorKernels.INT_LE, 0, halfWords, 0, n / 2);
            rawLongs = new long[n / 2 + 1];
            MemorySegment.copy(floats, VectorKernels.LONG_LE, 0, rawLongs, 0, n / 2);
            decoded = new float[n];
            pairIndex = new int[n / 2];
            thresholds = VectorKernels.vectorBinning() ? VectorKernels.thresholdTable(edges) : null;
            mapped = mappedSample != null ? mappedSample : floats;
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            boolean finite = true;
            for (int i = 0; i < n; i++) {
                float x = mapped.get(VectorKernels.FLOAT_LE, 4L * i);
                finite &= Float.isFinite(x);
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            BinEdges e = finite ? new BinEdges(lo, hi) : null;
            mappedEdges = e != null && e.fastPath && thresholds != null ? e : null;
            mappedThresholds = mappedEdges != null ? VectorKernels.thresholdTable(mappedEdges) : null;
        }

        /** Runs {@code k}'s vector form, on heap and mapped memory by turns, as real audits do. */
        void vector(Kernel k) {
            MemorySegment f = (calls++ & 1) == 0 ? floats : mapped;
            MemorySegment h = (calls & 2) == 0 ? halves : mapped;
            switch (k) {
                case HASH -> VectorKernels.hashBytes(f, 0, 4L * n, 0);
                case SCAN -> VectorKernels.scanBlock(f, 0, n, new VectorKernels.BlockStats(0), lanes);
                case HASH_AND_SCAN -> VectorKernels.hashAndScanBlock(f, 0, n, new VectorKernels.BlockStats(0), lanes, 0, hash);
                case BINS -> {
                    // without AVX-512 there is no vector binning: it never wins, the scalar twin stays
                    if (thresholds == null) return;
                    if (f == mapped && mappedEdges != null) {
                        VectorKernels.countBinPairs(f, 0, n, mappedEdges, mappedThresholds, pairIndex, pairCounts);
                    } else {
                        VectorKernels.countBinPairs(floats, 0, n, edges, thresholds, pairIndex, pairCounts);
                    }
                    java.util.Arrays.fill(pairCounts, 0);
                }
                case DECODE_BF16 -> VectorKernels.decodeBf16(h, 0, n, decoded);
                case DECODE_F16 -> VectorKernels.decodeF16(h, 0, n, decoded);
            }
        }

        void scalar(Kernel k) {
            switch (k) {
                case HASH -> ScalarKernels.hashBytes(rawLongs, 4L * n, 0);
                case SCAN -> ScalarKernels.scanBlock(values, n, new VectorKernels.BlockStats(0));
                case HASH_AND_SCAN -> {
                    ScalarKernels.hashBytes(rawLongs, 4L * n, 0);
                    ScalarKernels.scanBlock(values, n, new VectorKernels.BlockStats(0));
                }
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

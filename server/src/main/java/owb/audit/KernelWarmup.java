package owb.audit;

import jdk.incubator.vector.IntVector;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

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
    enum Kernel { HASH, SCAN, HASH_AND_SCAN, BINS, DECODE_BF16, DECODE_F16 }

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final boolean[] READY = new boolean[Kernel.values().length];
    private static volatile boolean published;

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

    /** Starts warming the vector kernels in the background, once per process. */
    static void start() {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("owb-kernel-warm-up").start(KernelWarmup::warmUp);
        }
    }

    private static void warmUp() {
        Workload small = new Workload(SMALL);
        Workload timed = new Workload(TIMED);
        int[] wins = new int[Kernel.values().length];
        for (int i = 0; i < CALLS_BEFORE_CHECKS; i++) {
            for (Kernel k : Kernel.values()) small.vector(k);
        }
        long deadline = System.nanoTime() + GIVE_UP_NANOS;
        boolean pending = true;
        while (pending && System.nanoTime() < deadline) {
            pending = false;
            for (Kernel k : Kernel.values()) {
                if (READY[k.ordinal()]) continue;
                for (int i = 0; i < CALLS_BETWEEN_CHECKS; i++) small.vector(k);
                wins[k.ordinal()] = bestOf(timed, k, true) < bestOf(timed, k, false) ? wins[k.ordinal()] + 1 : 0;
                if (wins[k.ordinal()] >= WINS_NEEDED) {
                    READY[k.ordinal()] = true;
                    published = true; // volatile write: makes READY visible to the workers
                } else {
                    pending = true;
                }
            }
        }
    }

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
        private final int[] halfWords;
        private final long[] rawLongs;
        private final float[] decoded;
        private final BinEdges edges = new BinEdges(-0.02f, 0.02f);
        private final IntVector[] thresholds;
        private final int[] pairIndex;
        private final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
        private final double[] lanes = new double[VectorKernels.D.length()];
        private final long[] hash = new long[1];

        Workload(int n) {
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
        }

        void vector(Kernel k) {
            switch (k) {
                case HASH -> VectorKernels.hashBytes(floats, 0, 4L * n, 0);
                case SCAN -> VectorKernels.scanBlock(floats, 0, n, new VectorKernels.BlockStats(0), lanes);
                case HASH_AND_SCAN -> VectorKernels.hashAndScanBlock(floats, 0, n, new VectorKernels.BlockStats(0), lanes, 0, hash);
                case BINS -> {
                    // without AVX-512 there is no vector binning: it never wins, the scalar twin stays
                    if (thresholds == null) return;
                    VectorKernels.countBinPairs(floats, 0, n, edges, thresholds, pairIndex, pairCounts);
                    java.util.Arrays.fill(pairCounts, 0);
                }
                case DECODE_BF16 -> VectorKernels.decodeBf16(halves, 0, n, decoded);
                case DECODE_F16 -> VectorKernels.decodeF16(halves, 0, n, decoded);
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

package owb.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gets the engine's hottest kernels compiled while a command is still opening its model.
 *
 * <p>Vector API code is fast only once C2 has compiled it. Left to a real forward pass, the GEMM
 * tile runs its 576-step loops in C1 (hundreds of times slower) until HotSpot compiles that loop on
 * its own (on-stack replacement, 180 ms of the only C2 thread), then the whole method again; the
 * attention kernels likewise, three compiles each, all while the first layers wait. Called on
 * short inputs from a daemon thread instead, each kernel reaches HotSpot's call-count threshold
 * before its loop-count one and is compiled once, whole, from a profile of every path; the launcher
 * gives these packages a tenth of HotSpot's thresholds, so that takes some 60 calls. Results do not
 * depend on it: compiled or not, the kernels compute the same bits ({@code ReproducibleOutputTest}).
 */
public final class KernelWarmUp {
    private static final int TILE_K = 16;
    /** Tile calls to reach C2's thresholds (at a tenth of HotSpot's, some 90 calls of K = 16). */
    private static final int TILE_CALLS = 150;
    /**
     * Attention over 40 queries: a full key panel and a part of one, and more queries than one
     * 8-row tile, so that every path a long prompt takes is in the profile.
     */
    private static final int QUERIES = 40;
    private static final int D_HEAD = 64;
    private static final int ATTENTION_CALLS = 40;
    /**
     * Once a kernel has had its calls, one call every 10 ms keeps its compile in C2's queue (HotSpot
     * drops a queued compile whose method has not run for 50 ms) until it is in: a call that takes
     * under a twentieth of the third call's time (the first two also load classes) is C2 code.
     */
    private static final long KEEP_ALIVE_MILLIS = 10;
    private static final int SPEED_UP = 20;
    private static final long GIVE_UP_NANOS = 3_000_000_000L;
    private static final boolean DEBUG = Boolean.getBoolean("owb.debugWarmup");

    private KernelWarmUp() {}

    /**
     * Starts the warm-up on a daemon thread; it ends by itself once the kernels are compiled.
     * {@code -Dowb.engineWarmUp=false} skips it (to measure without it).
     */
    public static void start() {
        if (!Boolean.parseBoolean(System.getProperty("owb.engineWarmUp", "true"))) return;
        // under -Xint nothing gets compiled, and the thread would only take time from the command
        if (System.getProperty("java.vm.info", "").contains("interpreted mode")) return;
        Thread.ofPlatform().daemon().name("owb-engine-kernels-warm-up").start(KernelWarmUp::run);
    }

    /** One kernel, called on warm-up data. */
    private static final class Kernel {
        final String name;
        final Runnable call;
        long baseline = -1;
        boolean compiled;
        int calls;

        Kernel(String name, Runnable call) {
            this.name = name;
            this.call = call;
        }

        void call() {
            long t0 = System.nanoTime();
            call.run();
            long took = System.nanoTime() - t0;
            if (calls++ == 2) baseline = took;
            compiled = calls > 3 && took * SPEED_UP < baseline;
        }
    }

    static void run() {
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(7);
        float[] a = randoms(random, GemmKernels.TILE_ROWS * TILE_K);
        float[] b = randoms(random, TILE_K * GemmKernels.PANEL);
        float[] tile = new float[GemmKernels.TILE_ROWS * GemmKernels.PANEL];
        Kernel gemm = new Kernel("GEMM tile", () -> GemmKernels.outer8(a, 0, TILE_K, b, 0, TILE_K, tile));

        // one head, so that each call runs on this thread alone and leaves the cores to the command
        var shape = new CausalAttention.Shape(1, 1, D_HEAD, QUERIES, 0, 0);
        float[] keys = randoms(random, QUERIES * D_HEAD);
        float[] values = randoms(random, QUERIES * D_HEAD);
        float[] q = randoms(random, QUERIES * D_HEAD);
        Kernel attention = new Kernel("attention", () -> {
            CausalAttention att = new CausalAttention(keys, values, shape);
            att.attend(q);                                 // the fused pass: no hook wants the pattern
            float[] pattern = att.scores(q);               // the three stages: a hook reads the pattern
            att.softmax(pattern);
            att.mix(pattern);
        });

        for (int c = 0; c < TILE_CALLS; c++) gemm.call();
        for (int c = 0; c < ATTENTION_CALLS; c++) attention.call();
        long deadline = start + GIVE_UP_NANOS;
        List<Kernel> waiting = new ArrayList<>(List.of(gemm, attention));
        while (true) {
            waiting.removeIf(k -> k.compiled);
            if (waiting.isEmpty() || System.nanoTime() > deadline) break;
            try {
                Thread.sleep(KEEP_ALIVE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            for (Kernel k : waiting) k.call();
        }
        if (DEBUG) {
            System.err.printf("owb: engine kernels warm-up done at %.3f s: GEMM tile %s after %d calls, attention %s after %d%n",
                    (System.nanoTime() - start) / 1e9, gemm.compiled ? "compiled" : "not compiled", gemm.calls,
                    attention.compiled ? "compiled" : "not compiled", attention.calls);
        }
    }

    private static float[] randoms(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextDouble() - 0.5);
        return x;
    }
}

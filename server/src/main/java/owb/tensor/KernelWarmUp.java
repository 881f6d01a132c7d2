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
 * attention kernels likewise, two or three compiles each, all while the first layers wait. Called
 * on short inputs from a daemon thread instead, the kernels are compiled while the model loads, from
 * a profile of every path: the tile and the softmax once, whole (short calls reach HotSpot's
 * call-count threshold before its loop-count one); the score and key-packing loops still get a
 * loop compile first, then the whole method, both before the forward pass starts
 * ({@code -XX:+LogCompilation}). The launcher gives these packages a tenth of HotSpot's
 * thresholds, so that takes some 60 calls. Results do not
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
    /** For {@link #start}: the command's heaviest products have many rows, whatever the prompt. */
    public static final int MANY_ROWS = Integer.MAX_VALUE;
    /** Dot-product calls over 256 columns (16 vector steps) to reach C2's thresholds: some 90. */
    private static final int DOT_K = 256;
    private static final int DOT_CALLS = 120;
    /**
     * After its calls, each kernel is called once every 10 ms for 0.4 s more: HotSpot drops a queued
     * compile whose method has not run for 50 ms, and C2, one thread, may still be busy with others.
     */
    private static final long KEEP_ALIVE_EVERY_MILLIS = 10;
    private static final long KEEP_ALIVE_NANOS = 400_000_000L;
    private static final boolean DEBUG = Boolean.getBoolean("owb.debugWarmup");

    private KernelWarmUp() {}

    /**
     * Starts the warm-up for a first forward pass over about {@code tokens} tokens, on a daemon
     * thread; it ends by itself after about half a second. From {@link MatMul#OUTER_PRODUCT_MIN_M}
     * tokens the pass multiplies with the GEMM tile, below it with 1x4 dot-product blocks (and 4x4
     * from {@link MatMul#DOT_4X4_MIN_M}); attention either way. A six-token prompt on the SmolLM2
     * GGUF spent about a second in the dot blocks cold, compiled while they ran; warming a set the
     * pass does not use would cost the only C2 thread as much (180 ms for the 4x4 block alone).
     * Commands whose heaviest products have many rows whatever the prompt pass
     * {@link #MANY_ROWS} (the logit lens unembeds every layer's residual stream in one product:
     * warming the dot blocks first made a cold six-token lens on the GGUF slower, 2.67 s against 2.10).
     * {@code -Dowb.engineWarmUp=false} skips it (to measure without it).
     */
    public static void start(int tokens) {
        if (!Boolean.parseBoolean(System.getProperty("owb.engineWarmUp", "true"))) return;
        // under -Xint nothing gets compiled, and the thread would only take time from the command
        if (System.getProperty("java.vm.info", "").contains("interpreted mode")) return;
        // Speculative work: at the lowest priority it yields the cores to the command's own threads and
        // to the JIT compilers it feeds (where Java priorities reach the OS: the launcher's one-shot flags).
        Thread.ofPlatform().daemon().name("owb-engine-kernels-warm-up").priority(Thread.MIN_PRIORITY).start(() -> run(tokens));
    }

    /** One kernel on warm-up data, and the calls that get it to C2's threshold. */
    private record Kernel(String name, int firstCalls, Runnable call) {}

    static void run(int tokens) {
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(7);
        float[] a = randoms(random, GemmKernels.TILE_ROWS * TILE_K);
        float[] b = randoms(random, TILE_K * GemmKernels.PANEL);
        float[] tile = new float[GemmKernels.TILE_ROWS * GemmKernels.PANEL];

        // one head, so that each call runs on this thread alone and leaves the cores to the command
        var shape = new CausalAttention.Shape(1, 1, D_HEAD, QUERIES, 0, 0);
        float[] keys = randoms(random, QUERIES * D_HEAD);
        float[] values = randoms(random, QUERIES * D_HEAD);
        float[] q = randoms(random, QUERIES * D_HEAD);
        CausalAttention attention = new CausalAttention(keys, values, shape);
        float[] scores = attention.scores(q);
        float[] pattern = new float[scores.length];
        float[] token = randoms(random, 4 * DOT_K);
        float[] rows = randoms(random, 4 * DOT_K);
        float[] bias = randoms(random, 4);
        float[] dots = new float[4 * 4];
        int[] dotCalls = {0};
        // each stage on its own, so that each is known to be compiled before the calls stop
        List<Kernel> kernels = new ArrayList<>();
        if (tokens >= MatMul.OUTER_PRODUCT_MIN_M) {
            kernels.add(new Kernel("GEMM tile", TILE_CALLS, () -> GemmKernels.outer8(a, 0, TILE_K, b, 0, TILE_K, tile)));
        } else {
            // with and without a bias, as models come
            kernels.add(new Kernel("1x4 dot block", DOT_CALLS, () -> GemmKernels.dot1x4(token, 0, rows, 0, DOT_K,
                    dotCalls[0]++ % 2 == 0 ? null : bias, 0, dots, 0)));
            if (tokens >= MatMul.DOT_4X4_MIN_M) {
                kernels.add(new Kernel("4x4 dot block", DOT_CALLS, () -> GemmKernels.dot4x4(token, 0, rows, 0, DOT_K,
                        dotCalls[0]++ % 2 == 0 ? null : bias, 0, dots, 0, 4)));
            }
        }
        kernels.add(new Kernel("attention scores", ATTENTION_CALLS, () -> new CausalAttention(keys, values, shape).scores(q)));
        kernels.add(new Kernel("softmax", ATTENTION_CALLS, () -> {
            System.arraycopy(scores, 0, pattern, 0, scores.length);
            attention.softmax(pattern);
        }));
        kernels.add(new Kernel("attention mix", ATTENTION_CALLS, () -> attention.mix(pattern)));
        kernels.add(new Kernel("fused attention", ATTENTION_CALLS, () -> attention.attend(q)));

        for (Kernel k : kernels) {
            for (int c = 0; c < k.firstCalls(); c++) k.call().run();
        }
        long keepAliveEnd = System.nanoTime() + KEEP_ALIVE_NANOS;
        while (System.nanoTime() < keepAliveEnd) {
            try {
                Thread.sleep(KEEP_ALIVE_EVERY_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            for (Kernel k : kernels) k.call().run();
        }
        if (DEBUG) {
            System.err.printf("owb: engine kernels warm-up (%s) done after %.3f s%n",
                    String.join(", ", kernels.stream().map(Kernel::name).toList()), (System.nanoTime() - start) / 1e9);
        }
    }

    private static float[] randoms(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextDouble() - 0.5);
        return x;
    }
}

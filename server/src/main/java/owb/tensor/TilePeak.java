package owb.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How fast the prefill GEMM's 8-row outer-product tile runs with its operands in cache, on every
 * core at once: the ceiling of any F32 product here, whatever the blocking around the tile. For
 * benchmarks, to say how far a timed product is from what this machine can do at the moment
 * (a shared machine's clock and neighbours change from run to run).
 */
public final class TilePeak {
    private static final int K = 576;

    private TilePeak() {}

    /**
     * GFLOP/s of the tile on {@code threads} threads, each with its own operands (an 8 x K block of
     * A and a K x {@link GemmKernels#PANEL} panel of B, 150 KB: L2), the median of 5 samples of
     * about {@code sampleSeconds} each after a warm-up.
     */
    public static double gflops(int threads, double sampleSeconds) throws InterruptedException {
        if (threads < 1 || !(sampleSeconds > 0)) throw new IllegalArgumentException("threads and seconds must be positive");
        long flopsPerCall = 2L * GemmKernels.TILE_ROWS * GemmKernels.PANEL * K;
        warmUp();
        int calls = Math.max(1, (int) (calibrate() * sampleSeconds));
        double[] samples = new double[5];
        for (int s = 0; s < samples.length; s++) {
            List<Thread> workers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                Operands o = new Operands(t);
                workers.add(Thread.ofPlatform().start(() -> o.run(calls)));
            }
            for (Thread w : workers) w.join();
            samples[s] = (double) flopsPerCall * calls * threads / ((System.nanoTime() - start) / 1e9) / 1e9;
        }
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }

    /** Long enough for C2 to compile the tile from a profile of real-length loops. */
    private static void warmUp() {
        Operands o = new Operands(-1);
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (int round = 0; round < 50 && System.nanoTime() < deadline; round++) o.run(200);
    }

    /** Tile calls a second on one thread. */
    private static double calibrate() {
        Operands o = new Operands(-2);
        long start = System.nanoTime();
        o.run(2000);
        return 2000 / ((System.nanoTime() - start) / 1e9);
    }

    private static final class Operands {
        final float[] a = new float[GemmKernels.TILE_ROWS * K];
        final float[] b = new float[K * GemmKernels.PANEL];
        final float[] tile = new float[GemmKernels.TILE_ROWS * GemmKernels.PANEL];

        Operands(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        }

        void run(int calls) {
            for (int c = 0; c < calls; c++) GemmKernels.outer8(a, 0, K, b, 0, K, tile);
        }
    }
}

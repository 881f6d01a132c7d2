package owb.audit;

/**
 * Scalar twins of {@link VectorKernels}, bit for bit: the same lanes, accumulated in the same
 * order, so a tensor's statistics do not depend on which set ran. They carry the work while the
 * JIT has not yet compiled the vector kernels (see {@link KernelWarmup}), and wherever those are
 * not faster. They read Java arrays, which the block is first copied into: memory-segment
 * accessors, like vector operations, are slow until C2 has compiled them, while array loops are
 * quick even in C1.
 */
final class ScalarKernels {
    private static final int LANES = VectorKernels.LANES;
    private static final int HALF = VectorKernels.D.length();

    private ScalarKernels() {}

    /** {@link VectorKernels#scanBlock}, lane by lane. */
    static boolean scanBlock(float[] x, int n, VectorKernels.BlockStats s) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(x[i])) return false;
        }
        int whole = n - n % LANES;
        double[] sum1 = new double[LANES];
        double[] sum2 = new double[LANES];
        float[] min = new float[LANES];
        float[] max = new float[LANES];
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        long zeros = 0;
        for (int i = 0; i < whole; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                float v = x[i + l];
                if (v == 0) zeros++;
                if (v < min[l]) min[l] = v;
                if (max[l] < v) max[l] = v;
                double d = v - s.shift;
                sum1[l] += d;
                sum2[l] = Math.fma(d, d, sum2[l]);
            }
        }
        // the vector kernel adds lanes l and l + HALF (its two double vectors), then lanes in order
        double total1 = 0;
        double total2 = 0;
        for (int l = 0; l < HALF; l++) total1 += sum1[l] + sum1[l + HALF];
        for (int l = 0; l < HALF; l++) total2 += sum2[l] + sum2[l + HALF];
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < LANES; l++) {
            lo = Math.min(lo, min[l]);
            hi = Math.max(hi, max[l]);
        }
        for (int i = whole; i < n; i++) {
            float v = x[i];
            if (v == 0) zeros++;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
            double d = v - s.shift;
            total1 += d;
            total2 += d * d;
        }
        s.min = Math.min(s.min, lo);
        s.max = Math.max(s.max, hi);
        s.zeros += zeros;
        s.sum1 += total1;
        s.sum2 += total2;
        return true;
    }

    /** Pass 1 for a block with non-finite values, which it counts apart (used by both kernel sets). */
    static void scanBlockWithNonFinite(float[] x, int n, VectorKernels.BlockStats s) {
        for (int i = 0; i < n; i++) {
            float v = x[i];
            if (Float.isNaN(v)) {
                s.nans++;
            } else if (Float.isInfinite(v)) {
                s.infs++;
            } else {
                if (v == 0) s.zeros++;
                s.min = Math.min(s.min, v);
                s.max = Math.max(s.max, v);
                double d = v - s.shift;
                s.sum1 += d;
                s.sum2 += d * d;
            }
        }
    }

    /** {@link VectorKernels#countBinPairs}: the same bins, counted one at a time into the singles slots. */
    static void countBins(float[] x, int n, BinEdges edges, int[] pairCounts) {
        int singles = Histogram.BINS * Histogram.BINS;
        for (int i = 0; i < n; i++) pairCounts[singles + VectorKernels.binScalar(x[i], edges)]++;
    }

    /** {@link VectorKernels#decodeBf16}, in its order, from the block's raw bytes as little-endian ints. */
    static void decodeBf16(int[] raw, int n, float[] out) {
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            for (int l = 0; l < LANES; l++) {
                int w = raw[i / 2 + l];
                out[i + l] = Float.intBitsToFloat(w << 16);
                out[i + LANES + l] = Float.intBitsToFloat(w & 0xffff0000);
            }
        }
        for (; i < n; i++) out[i] = Float.intBitsToFloat(half(raw, i) << 16);
    }

    /** {@link VectorKernels#decodeF16}, in its order, from the block's raw bytes as little-endian ints. */
    static void decodeF16(int[] raw, int n, float[] out) {
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            for (int l = 0; l < LANES; l++) {
                int w = raw[i / 2 + l];
                out[i + l] = Float.float16ToFloat((short) w);
                out[i + LANES + l] = Float.float16ToFloat((short) (w >>> 16));
            }
        }
        for (; i < n; i++) out[i] = Float.float16ToFloat((short) half(raw, i));
    }

    private static int half(int[] raw, int i) {
        return (raw[i / 2] >>> (16 * (i % 2))) & 0xffff;
    }
}

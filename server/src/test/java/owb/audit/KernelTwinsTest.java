package owb.audit;

import jdk.incubator.vector.IntVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scalar twins give the vector kernels' results bit for bit, so switching between them changes nothing. */
class KernelTwinsTest {

    private static float[] values(int n, long seed, boolean specials) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            v[i] = u < 0.05 ? 0f : u < 0.08 ? -0f : (float) (0.3 + r.nextGaussian() * 0.05);
            if (specials && u > 0.999) v[i] = Float.NaN;
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 31, 32, 33, 100, 4095, 4096})
    void scanBlockTwinsAgree(int n) {
        for (boolean specials : new boolean[] {false, true}) {
            float[] x = values(n, n, specials);
            MemorySegment seg = MemorySegment.ofArray(x);
            VectorKernels.BlockStats v = new VectorKernels.BlockStats(0.25);
            VectorKernels.BlockStats s = new VectorKernels.BlockStats(0.25);
            double[] lanes = new double[VectorKernels.D.length()];
            assertEquals(VectorKernels.scanBlock(seg, 0, n, v, lanes), ScalarKernels.scanBlock(x, n, s));
            assertEquals(Float.floatToRawIntBits(v.min), Float.floatToRawIntBits(s.min), "min");
            assertEquals(Float.floatToRawIntBits(v.max), Float.floatToRawIntBits(s.max), "max");
            assertEquals(v.zeros, s.zeros, "zeros");
            assertEquals(Double.doubleToRawLongBits(v.sum1), Double.doubleToRawLongBits(s.sum1), "sum1");
            assertEquals(Double.doubleToRawLongBits(v.sum2), Double.doubleToRawLongBits(s.sum2), "sum2");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 31, 32, 33, 100, 4096})
    void binCountingTwinsAgree(int n) {
        if (!VectorKernels.vectorBinning()) return;
        float[] v = values(n, 7 * n, false);
        MemorySegment seg = MemorySegment.ofArray(v);
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        BinEdges edges = new BinEdges(n == 0 ? 0 : lo, n == 0 ? 1 : hi);
        if (!edges.fastPath) return;
        IntVector[] thresholds = VectorKernels.thresholdTable(edges);
        int[] pairsV = new int[VectorKernels.PAIR_SLOTS];
        int[] pairsS = new int[VectorKernels.PAIR_SLOTS];
        VectorKernels.countBinPairs(seg, 0, n, edges, thresholds, new int[n / 2 + 1], pairsV);
        ScalarKernels.countBins(v, n, edges, pairsS);
        long[] countsV = new long[Histogram.BINS];
        long[] countsS = new long[Histogram.BINS];
        VectorKernels.foldPairs(pairsV, countsV);
        VectorKernels.foldPairs(pairsS, countsS);
        assertArrayEquals(countsS, countsV);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 31, 32, 33, 65, 4096})
    void decodeTwinsAgree(int n) {
        SplittableRandom r = new SplittableRandom(n);
        short[] bits = new short[n];
        for (int i = 0; i < n; i++) bits[i] = (short) r.nextInt(1 << 16);
        MemorySegment seg = MemorySegment.ofArray(bits);
        int[] words = new int[n / 2 + 1];
        for (int i = 0; i < n; i++) words[i / 2] |= (bits[i] & 0xffff) << (16 * (i % 2));
        float[] v = new float[n];
        float[] s = new float[n];
        VectorKernels.decodeBf16(seg, 0, n, v);
        ScalarKernels.decodeBf16(words, n, s);
        assertSameFloats(s, v);
        VectorKernels.decodeF16(seg, 0, n, v);
        ScalarKernels.decodeF16(words, n, s);
        assertSameFloats(s, v);
    }

    private static void assertSameFloats(float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i]) && Float.isNaN(got[i])) continue; // NaN payloads may differ
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "value " + i);
        }
    }
}

package owb.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsKernelTest {

    @TempDir
    Path dir;

    /** Sizes around the vector length, the block and the chunk, so every tail path runs. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 15, 16, 17, 31, 33, 4095, 4096, 4097, 9000, 100_003, 2_621_447})
    void f32KernelMatchesScalarReference(int n) {
        float[] values = gaussianWithSpecials(n, 42 + n, 0.02f, 0.5f);
        assertMatchesReference(DType.F32, values, values);
    }

    /** Large 16-bit tensors go through the value table (one chunk, then several), small ones through two vector passes. */
    @ParameterizedTest
    @ValueSource(ints = {1, 17, 33, 4097, 100_003, 262_150, 262_151, 1_500_001, 4_200_001})
    void bf16KernelMatchesScalarReference(int n) {
        float[] values = gaussianWithSpecials(n, 7 + n, 0.05f, 3f);
        float[] stored = new float[n];
        for (int i = 0; i < n; i++) stored[i] = TestTensors.fromBf16(TestTensors.toBf16(values[i]));
        assertMatchesReference(DType.BF16, values, stored);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 33, 4097, 100_003, 262_149, 300_001})
    void f16KernelMatchesScalarReference(int n) {
        float[] values = gaussianWithSpecials(n, 9 + n, 0.05f, 3f);
        values[0] = 3e-6f; // a half subnormal
        float[] stored = new float[n];
        for (int i = 0; i < n; i++) stored[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        assertMatchesReference(DType.F16, values, stored);
    }

    @Test
    void meanFarFromZeroKeepsItsVariance() {
        // like a norm weight: 1.0 +- 0.001; a naive E[x^2] - E[x]^2 would lose most digits
        SplittableRandom r = new SplittableRandom(3);
        float[] values = new float[200_000];
        for (int i = 0; i < values.length; i++) values[i] = (float) (1000 + r.nextGaussian() * 0.001);
        TensorStats s = assertMatchesReference(DType.F32, values, values);
        assertEquals(0.001, s.std(), 0.0001);
    }

    @Test
    void constantTensorBinsLikeNumpy() {
        float[] values = new float[5000];
        java.util.Arrays.fill(values, 0.25f);
        TensorStats s = assertMatchesReference(DType.F32, values, values);
        assertEquals(-0.25, s.histogram().edges()[0]);
        assertEquals(0.75, s.histogram().edges()[64]);
        assertEquals(5000, s.histogram().counts()[32]);
        assertEquals(0.0, s.std());
    }

    @Test
    void allNaNTensorHasNoMoments() {
        float[] values = new float[100];
        java.util.Arrays.fill(values, Float.NaN);
        TensorStats s = assertMatchesReference(DType.F32, values, values);
        assertEquals(0, s.count());
        assertEquals(100, s.nanCount());
        assertTrue(Double.isNaN(s.mean()));
        assertEquals(0, s.histogram().total());
    }

    @Test
    void valuesOnBinEdgesLandWhereNumpyPutsThem() {
        // min -1, max 1: edges are exact multiples of 1/32, and every value below sits on one
        float[] values = new float[65 * 40];
        for (int i = 0; i < values.length; i++) values[i] = -1f + (i % 65) / 32f;
        TensorStats s = assertMatchesReference(DType.F32, values, values);
        for (int b = 0; b < 63; b++) assertEquals(40, s.histogram().counts()[b], "bin " + b);
        assertEquals(80, s.histogram().counts()[63]);
    }

    @Test
    void hugeRangeFallsBackToExactScalarBinning() {
        float[] values = {-3e38f, 3e38f, 0f, 1f, -1f, 2e38f, Float.NaN};
        assertMatchesReference(DType.F32, values, values);
    }

    /**
     * An audit measures tensors together, the second pass over one beside the first over the next:
     * each gets the statistics it gets alone, bit for bit, whatever mix of jobs surrounds it.
     */
    @Test
    void tensorsMeasuredTogetherGetTheirOwnStatistics() {
        try (TestTensors tensors = new TestTensors(dir)) {
            int n = 2_621_447;   // several chunks of F32 (F16: one chunk of the value table)
            tensors.add("a", DType.F32, new long[] {n}, gaussianWithSpecials(n, 1, 0.02f, 0.5f));
            int m = ValueTableJob.CHUNK + 104_801;   // two chunks of the one-pass value table
            tensors.add("b", DType.BF16, new long[] {m}, gaussianWithSpecials(m, 2, 0.05f, 3f));
            tensors.add("b2", DType.F16, new long[] {m}, gaussianWithSpecials(m, 6, 0.05f, 3f));   // one batch with b
            tensors.add("c", DType.F32, new long[] {n}, gaussianWithSpecials(n, 3, 1f, 50f));
            tensors.add("small", DType.F32, new long[] {1000}, gaussianWithSpecials(1000, 4, 0.1f, 1f));
            tensors.add("d", DType.F16, new long[] {n}, gaussianWithSpecials(n, 5, 0.05f, 3f));
            List<TensorEntry> mapped = tensors.map();
            List<TensorStats> together = StatsKernel.computeAll(mapped);
            for (int i = 0; i < mapped.size(); i++) {
                TensorStats alone = StatsKernel.compute(mapped.get(i));
                TensorStats got = together.get(i);
                assertEquals(alone.mean(), got.mean(), mapped.get(i).name() + " mean");
                assertEquals(alone.std(), got.std(), mapped.get(i).name() + " std");
                assertEquals(alone.l2Norm(), got.l2Norm(), mapped.get(i).name() + " l2");
                assertSameStats(alone, got);
            }
        }
    }

    /** A failure in any piece of work ends the whole measurement with that failure, and the pool stays usable. */
    @Test
    void aFailingPieceOfWorkIsRethrownAndTheOthersStop() {
        try (TestTensors tensors = new TestTensors(dir)) {
            int n = 2_621_447;   // several chunks each
            for (String name : new String[] {"a", "b", "c"}) {
                tensors.add(name, DType.F32, new long[] {n}, gaussianWithSpecials(n, name.hashCode(), 0.02f, 0.5f));
            }
            List<TensorEntry> mapped = tensors.map();
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> StatsKernel.measureAll(mapped, StatsKernel.sharedPool(), (t, b) -> {
                        if (calls.incrementAndGet() == 3) throw new IllegalStateException("third piece fails");
                    }));
            Throwable root = e;   // ForkJoin may rethrow a copy of it, with the original as cause
            while (root.getCause() != null) root = root.getCause();
            assertEquals("third piece fails", root.getMessage());
            assertTrue(calls.get() < 3 + StatsKernel.sharedPool().getParallelism() + 1, "stopped soon after: " + calls.get());
            assertEquals(StatsKernel.computeAll(mapped).size(), 3);
        }
    }

    private TensorStats assertMatchesReference(DType dtype, float[] values, float[] storedValues) {
        try (TestTensors tensors = new TestTensors(dir)) {
            TensorEntry t = tensors.add("t", dtype, new long[] {values.length}, values).map().getFirst();
            TensorStats got = StatsKernel.compute(t);
            TensorStats want = ReferenceStats.compute(storedValues);
            assertSameStats(want, got);
            return got;
        }
    }

    static void assertSameStats(TensorStats want, TensorStats got) {
        assertEquals(want.count(), got.count(), "count");
        assertEquals(want.nanCount(), got.nanCount(), "nan");
        assertEquals(want.infCount(), got.infCount(), "inf");
        assertEquals(want.zeroFraction(), got.zeroFraction(), "zero fraction");
        assertEquals(want.min(), got.min(), "min");
        assertEquals(want.max(), got.max(), "max");
        assertEquals(want.absMax(), got.absMax(), "abs max");
        assertClose(want.mean(), got.mean(), want.std() + Math.abs(want.mean()), "mean");
        assertClose(want.std(), got.std(), want.std(), "std");
        assertClose(want.l2Norm(), got.l2Norm(), want.l2Norm(), "l2");
        assertArrayEquals(want.histogram().edges(), got.histogram().edges(), "edges");
        assertArrayEquals(want.histogram().counts(), got.histogram().counts(), "counts");
    }

    private static void assertClose(double want, double got, double scale, String what) {
        if (Double.isNaN(want)) {
            assertTrue(Double.isNaN(got), what + " should be NaN, was " + got);
            return;
        }
        assertEquals(want, got, 1e-12 * scale + Double.MIN_VALUE, what);
    }

    /** Gaussian values with zeros, NaN, ±Inf and a few far outliers sprinkled in. */
    static float[] gaussianWithSpecials(int n, long seed, float sigma, float mean) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            if (u < 0.001) v[i] = Float.NaN;
            else if (u < 0.0015) v[i] = r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            else if (u < 0.02) v[i] = 0f;
            else if (u < 0.0201) v[i] = mean + sigma * 80 * (r.nextBoolean() ? 1 : -1);
            else v[i] = (float) (mean + r.nextGaussian() * sigma);
        }
        return v;
    }
}

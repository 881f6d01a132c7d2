package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/** The vector kernels against the scalar reference, for every way a pair is read. */
class DeltaStatsTest {

    /** Rows of 64: the element counts below cross lane, run (1024) and chunk (65536) boundaries. */
    private static final int COLUMNS = 64;

    @ParameterizedTest(name = "{0} vs {1}, {2} rows, heads {3}")
    @CsvSource({
            "F32, F32, 1, 0", "F32, F32, 17, 0", "F32, F32, 2050, 0",
            "BF16, BF16, 3, 0", "BF16, BF16, 2049, 0",
            "F32, BF16, 1025, 0", "BF16, F32, 40, 0", "F16, F32, 1030, 0", "F16, F16, 33, 0",
            "F32, F32, 64, 4", "BF16, BF16, 1024, 8"})
    void kernelsAgreeWithTheScalarReference(DType baseType, DType derivativeType, int rows, int heads) {
        SplittableRandom random = new SplittableRandom(rows * 31L + heads);
        int n = rows * COLUMNS;
        float[] base = new float[n];
        float[] derivative = new float[n];
        for (int i = 0; i < n; i++) {
            base[i] = (float) (random.nextGaussian() * 0.05);
            switch (i % 5) {
                case 0 -> derivative[i] = base[i];                                   // unchanged
                case 1 -> derivative[i] = base[i] + 1e-9f;                           // within the tolerance
                case 2 -> derivative[i] = -base[i];                                  // a sign flip
                default -> derivative[i] = base[i] + (float) (random.nextGaussian() * 0.01);
            }
        }
        base[n / 2] = 0;
        derivative[n - 1] = 3;   // the largest delta in the last element (a tail, when n is not a multiple of lanes)
        TensorView b = new TensorView(entry(baseType, rows, base), heads);
        TensorView d = new TensorView(entry(derivativeType, rows, derivative), heads);

        DeltaStats vector = DeltaStats.compute(b, d, n);
        DeltaStats scalar = DeltaStats.computeScalar(b, d, n);
        assertEquals(scalar.elements(), vector.elements());
        assertEquals(scalar.normBase(), vector.normBase(), 1e-6 * scalar.normBase());
        assertEquals(scalar.normDerivative(), vector.normDerivative(), 1e-6 * scalar.normDerivative());
        assertEquals(scalar.normDelta(), vector.normDelta(), 1e-6 * scalar.normDelta());
        assertEquals(scalar.cosine(), vector.cosine(), 1e-6);
        assertEquals(scalar.maxAbsDelta(), vector.maxAbsDelta());
        assertEquals(scalar.meanAbsDelta(), vector.meanAbsDelta(), 1e-6 * scalar.meanAbsDelta());
        assertEquals(scalar.fractionChanged(), vector.fractionChanged());
        assertEquals(scalar.fractionBeyondTolerance(), vector.fractionBeyondTolerance());
        assertEquals(scalar.signFlips(), vector.signFlips());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"F32", "BF16"})
    void identicalTensorsHaveNoDelta(DType type) {
        float[] w = new float[70_000];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i);
        TensorView v = TensorView.of(entry(type, w.length / 10, w));
        DeltaStats s = DeltaStats.compute(v, v, w.length);
        assertEquals(0.0, s.normDelta());
        assertEquals(0.0, s.relChange());
        assertEquals(1.0, s.cosine(), 1e-6);
        assertEquals(0.0, s.fractionChanged());
        assertEquals(0, s.signFlips());
    }

    /** A [rows, n / rows] tensor of {@code type} holding {@code values} (rounded to the type). */
    private static TensorEntry entry(DType type, int rows, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate((int) type.byteSize(values.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (type) {
                case F32 -> bytes.putFloat(v);
                case F16 -> bytes.putShort(Float.floatToFloat16(v));
                case BF16 -> {
                    int bits = Float.floatToRawIntBits(v);
                    bytes.putShort((short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16));
                }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return new TensorEntry("t", type, new long[] {rows, values.length / rows}, Path.of("t"), 0,
                MemorySegment.ofArray(bytes.array()));
    }
}

package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.GgufReader;
import owb.checkpoint.TensorEntry;
import owb.testing.GgufFixtures;
import owb.testing.NpyFile;

class TensorReaderTest {

    private static TensorEntry inMemory(DType type, byte[] bytes, long... shape) {
        return new TensorEntry("t", type, shape, Path.of("memory"), 0, MemorySegment.ofArray(bytes));
    }

    private static byte[] randomBytes(long seed, int n) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void scalarReferenceMatchesGgufPyForEveryFixtureTensor() throws IOException {
        Path folder = GgufFixtures.ggufFolder();
        try (Checkpoint c = GgufReader.open(folder.resolve("all_types.gguf"))) {
            for (TensorEntry t : c.tensors()) {
                float[] expected = NpyFile.read(folder.resolve("expected/all_types/" + t.name() + ".npy")).values();
                float[] scalar = new float[expected.length];
                TensorReader.readFloatsScalar(t, 0, scalar.length, scalar, 0);
                assertBitwiseEqual(expected, scalar, t.name() + " (scalar)");
            }
        }
    }

    @Test
    void readsBlockAlignedRangesIntoAnyOutputOffset() throws IOException {
        Path folder = GgufFixtures.ggufFolder();
        try (Checkpoint c = GgufReader.open(folder.resolve("all_types.gguf"))) {
            for (TensorEntry t : c.tensors()) {
                float[] all = TensorReader.readAll(t);
                int block = t.dtype().blockElements();
                int blocks = (int) (t.numel() / block);
                int first = blocks / 3 * block;
                int count = (blocks - blocks / 3) / 2 * block;
                float[] out = new float[count + 5];
                TensorReader.readFloats(t, first, count, out, 5);
                for (int i = 0; i < count; i++) {
                    assertEquals(Float.floatToRawIntBits(all[first + i]),
                            Float.floatToRawIntBits(out[5 + i]), t.name() + " element " + (first + i));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q6_K",
            "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q5_K", "F16"})
    void vectorKernelsEqualTheScalarReferenceOnRandomBlocks(DType type) {
        // Random bytes make every bit pattern of scales and quants, NaN and Inf scales included.
        int blocks = 4099;
        byte[] bytes = randomBytes(type.ordinal(), blocks * type.blockBytes());
        TensorEntry t = inMemory(type, bytes, (long) blocks * type.blockElements());
        int n = (int) t.numel();
        float[] vector = new float[n];
        float[] scalar = new float[n];
        TensorReader.readFloats(t, 0, n, vector, 0);
        TensorReader.readFloatsScalar(t, 0, n, scalar, 0);
        // Where two NaN operands meet (a NaN scale d and a NaN min m in Q4_1/Q5_1), x86 returns
        // the first operand's payload and the two paths may order the operands differently; any
        // other difference fails.
        assertBitwiseEqualOrBothNaN(scalar, vector, type.toString());
    }

    @Test
    void decodesF8E4M3fnAsTheFormatDefines() {
        assertEquals(448f, Float8.e4m3fnToFloat((byte) 0x7E), "largest finite");
        assertEquals(-448f, Float8.e4m3fnToFloat((byte) 0xFE));
        assertTrue(Float.isNaN(Float8.e4m3fnToFloat((byte) 0x7F)), "S.1111.111 is NaN");
        assertTrue(Float.isNaN(Float8.e4m3fnToFloat((byte) 0xFF)));
        assertEquals(1f, Float8.e4m3fnToFloat((byte) 0x38));
        assertEquals(0x1p-6f, Float8.e4m3fnToFloat((byte) 0x08), "smallest normal");
        assertEquals(0x1p-9f, Float8.e4m3fnToFloat((byte) 0x01), "smallest subnormal");
        assertEquals(0x1.cp-7f, Float8.e4m3fnToFloat((byte) 0x07), "largest subnormal");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Float8.e4m3fnToFloat((byte) 0x80)));
        assertEquals(240f, Float8.e4m3fnToFloat((byte) 0x77), "exponent 1110 is finite in fn");
        for (int b = 0; b < 256; b++) {
            int exponent = (b >> 3) & 15;
            int mantissa = b & 7;
            if (exponent == 15 && mantissa == 7) continue;
            double magnitude = exponent == 0 ? mantissa / 8.0 * Math.pow(2, -6)
                    : (1 + mantissa / 8.0) * Math.pow(2, exponent - 7);
            assertEquals((float) ((b & 0x80) != 0 ? -magnitude : magnitude),
                    Float8.e4m3fnToFloat((byte) b), "byte " + b);
        }
    }

    @Test
    void decodesF8E5M2AsTheFormatDefines() {
        assertEquals(57344f, Float8.e5m2ToFloat((byte) 0x7B), "largest finite");
        assertEquals(Float.POSITIVE_INFINITY, Float8.e5m2ToFloat((byte) 0x7C));
        assertEquals(Float.NEGATIVE_INFINITY, Float8.e5m2ToFloat((byte) 0xFC));
        assertTrue(Float.isNaN(Float8.e5m2ToFloat((byte) 0x7D)));
        assertEquals(1f, Float8.e5m2ToFloat((byte) 0x3C));
        assertEquals(0x1p-16f, Float8.e5m2ToFloat((byte) 0x01), "smallest subnormal");
        assertEquals(0x1p-14f, Float8.e5m2ToFloat((byte) 0x04), "smallest normal");
        assertEquals(-1.5f, Float8.e5m2ToFloat((byte) 0xBE));
    }

    @Test
    void decodesTheSafetensorsOnlyTypes() {
        byte[] bytes = {0, 1, 2, (byte) 0x7F, (byte) 0x80, (byte) 0xFF};
        assertArrayEquals(new float[] {0, 1, 2, 127, 128, 255}, TensorReader.readAll(inMemory(DType.U8, bytes, 6)));
        assertArrayEquals(new float[] {0, 1, 2, 127, -128, -1}, TensorReader.readAll(inMemory(DType.I8, bytes, 2, 3)));
        assertArrayEquals(new float[] {0, 1, 1, 1, 1, 1}, TensorReader.readAll(inMemory(DType.BOOL, bytes, 6)));
        assertArrayEquals(new float[] {0, 0x1p-9f, 0x1p-8f, Float.NaN, -0f, Float.NaN},
                TensorReader.readAll(inMemory(DType.F8_E4M3, bytes, 6)));
        assertArrayEquals(new float[] {0, 0x1p-16f, 0x1p-15f, Float.NaN, -0f, Float.NaN},
                TensorReader.readAll(inMemory(DType.F8_E5M2, bytes, 6)));
    }

    @Test
    void convertsWideTypesToTheNearestFloat() {
        ByteBuffer b = ByteBuffer.allocate(8 * 3 + 4 * 2 + 2 * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(1.0 / 3).putDouble(1e300).putDouble(-0.0);
        assertArrayEquals(new float[] {1f / 3, Float.POSITIVE_INFINITY, -0f},
                TensorReader.readAll(inMemory(DType.F64, slice(b, 0, 24), 3)));
        b.clear();
        b.putLong((1L << 24) + 1).putLong(Long.MIN_VALUE).putLong(-7);
        assertArrayEquals(new float[] {1 << 24, -0x1p63f, -7},
                TensorReader.readAll(inMemory(DType.I64, slice(b, 0, 24), 3)));
        b.clear();
        b.putInt(Integer.MAX_VALUE).putInt(-5).putShort((short) -32768).putShort((short) 12);
        assertArrayEquals(new float[] {0x1p31f, -5}, TensorReader.readAll(inMemory(DType.I32, slice(b, 0, 8), 2)));
        assertArrayEquals(new float[] {-32768, 12}, TensorReader.readAll(inMemory(DType.I16, slice(b, 8, 4), 2)));
    }

    private static byte[] slice(ByteBuffer b, int from, int length) {
        byte[] bytes = new byte[length];
        b.get(from, bytes);
        return bytes;
    }

    @Test
    void refusesRangesThatSplitABlockOrLeaveTheTensor() {
        TensorEntry q = inMemory(DType.Q8_0, new byte[34 * 4], 4 * 32);
        float[] out = new float[256];
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class,
                () -> TensorReader.readFloats(q, 16, 32, out, 0));
        assertTrue(split.getMessage().contains("32-value blocks"), split.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorReader.readFloats(q, 0, 48, out, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> TensorReader.readFloats(q, 96, 64, out, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> TensorReader.readFloats(q, -32, 32, out, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> TensorReader.readFloats(q, 0, 128, out, 200));

        TensorEntry plain = inMemory(DType.F32, new byte[4 * 5], 5);
        float[] tail = new float[3];
        TensorReader.readFloats(plain, 2, 3, tail, 0); // a range may end at the last element
        assertThrows(IndexOutOfBoundsException.class, () -> TensorReader.readFloats(plain, 3, 3, tail, 0));
    }

    @Test
    void readAllRefusesTensorsTooLargeForOneArray() {
        TensorEntry huge = inMemory(DType.F32, new byte[4], TensorReader.READ_ALL_LIMIT + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorReader.readAll(huge));
        assertTrue(e.getMessage().contains("read it in ranges"), e.getMessage());
    }

    @Test
    void convertsEveryHalfAsNumpyDoes() {
        for (int bits = 0; bits < 65536; bits++) {
            float value = Half.toFloat((short) bits);
            int exponent = (bits >> 10) & 31;
            int mantissa = bits & 1023;
            if (exponent == 31) {
                int expected = ((bits & 0x8000) << 16) | 0x7F80_0000 | (mantissa << 13);
                assertEquals(expected, Float.floatToRawIntBits(value), "payload kept: " + bits);
            } else {
                double magnitude = exponent == 0 ? mantissa * Math.pow(2, -24)
                        : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
                float expected = (float) ((bits & 0x8000) != 0 ? -magnitude : magnitude);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(value), "half " + bits);
            }
        }
    }

    static void assertBitwiseEqualOrBothNaN(float[] expected, float[] actual, String what) {
        float[] copy = actual.clone();
        for (int i = 0; i < copy.length; i++) {
            if (Float.isNaN(expected[i]) && Float.isNaN(copy[i])) copy[i] = expected[i];
        }
        assertBitwiseEqual(expected, copy, what);
    }

    static void assertBitwiseEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "), expected "
                        + expected[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i]))
                        + ")");
            }
        }
    }
}

package owb.tensor;

import static owb.tensor.Vectors.DOUBLE_LE;
import static owb.tensor.Vectors.FLOAT_LE;
import static owb.tensor.Vectors.INT_LE;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.LONG_LE;
import static owb.tensor.Vectors.SHORT_LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Element types of one value each: {@code count} values from byte {@code at} of {@code src} into
 * {@code dst[dstAt ..]}. Integers convert to the nearest float, bools to 0 and 1.
 */
final class PlainDecoding {
    private PlainDecoding() {}

    static void f64(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = (float) src.get(DOUBLE_LE, at + 8L * i);
    }

    static void f32(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        MemorySegment.copy(src, FLOAT_LE, at, dst, dstAt, count);
    }

    static void f16Scalar(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = Half.toFloat(src.get(SHORT_LE, at + 2L * i));
    }

    static void f16(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        int i = 0;
        if (Vectors.VECTOR_DEQUANT) {
            for (int bound = Vectors.F.loopBound(count); i < bound; i += Vectors.L) {
                Half.toFloats(widen(src, at + 2L * i)).intoArray(dst, dstAt + i);
            }
        }
        f16Scalar(src, at + 2L * i, count - i, dst, dstAt + i);
    }

    static void bf16Scalar(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = bf16ToFloat(src.get(SHORT_LE, at + 2L * i));
    }

    static void bf16(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        int i = 0;
        if (Vectors.VECTOR_DEQUANT) {
            for (int bound = Vectors.F.loopBound(count); i < bound; i += Vectors.L) {
                widen(src, at + 2L * i).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .intoArray(dst, dstAt + i);
            }
        }
        bf16Scalar(src, at + 2L * i, count - i, dst, dstAt + i);
    }

    /** bfloat16 is the top half of a float32. */
    static float bf16ToFloat(short bits) { return Float.intBitsToFloat(bits << 16); }

    static void f8e4m3(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) {
            dst[dstAt + i] = Float8.e4m3fnToFloat(src.get(ValueLayout.JAVA_BYTE, at + i));
        }
    }

    static void f8e5m2(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) {
            dst[dstAt + i] = Float8.e5m2ToFloat(src.get(ValueLayout.JAVA_BYTE, at + i));
        }
    }

    static void i64(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = (float) src.get(LONG_LE, at + 8L * i);
    }

    static void i32(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = (float) src.get(INT_LE, at + 4L * i);
    }

    static void i16(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = src.get(SHORT_LE, at + 2L * i);
    }

    static void i8(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = src.get(ValueLayout.JAVA_BYTE, at + i);
    }

    static void u8(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) dst[dstAt + i] = src.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF;
    }

    /** Any nonzero byte is true. */
    static void bool(MemorySegment src, long at, int count, float[] dst, int dstAt) {
        for (int i = 0; i < count; i++) {
            dst[dstAt + i] = src.get(ValueLayout.JAVA_BYTE, at + i) != 0 ? 1f : 0f;
        }
    }

    /** One vector of 16-bit values from {@code at}, sign-extended to int lanes. */
    private static IntVector widen(MemorySegment src, long at) {
        return (IntVector) ShortVector.fromMemorySegment(Vectors.SHORTS, src, at, LE)
                .convertShape(VectorOperators.S2I, Vectors.INTS, 0);
    }
}

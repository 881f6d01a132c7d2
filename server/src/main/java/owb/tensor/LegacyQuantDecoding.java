package owb.tensor;

import static owb.tensor.Vectors.INT_LE;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORT_LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's original 32-value block types, decoded as ggml-quants.c {@code dequantize_row_q*_0/1}
 * does (block layouts from ggml-common.h). Each method decodes {@code blocks} blocks from byte
 * {@code at} of {@code src} into {@code dst[dstAt ..]}. Arithmetic is one float multiply (and one
 * add for the _1 types, never fused), so results are bit-identical to ggml built without FMA
 * contraction and to gguf-py's numpy reference.
 *
 * <p>In every type value j of a block comes from the low nibble (or low bits) of quant byte j and
 * value j + 16 from its high nibble.
 */
final class LegacyQuantDecoding {
    private LegacyQuantDecoding() {}

    static final int BLOCK = 32;

    private static byte at(MemorySegment src, long offset) { return src.get(ValueLayout.JAVA_BYTE, offset); }

    static float half(MemorySegment src, long offset) { return Half.toFloat(src.get(SHORT_LE, offset)); }

    // block_q4_0 (18 bytes): f16 d, u8 qs[16]; value = (nibble - 8) * d
    static void q4_0Scalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 18, dstAt += BLOCK) {
            float d = half(src, at);
            for (int j = 0; j < 16; j++) {
                int q = at(src, at + 2 + j);
                dst[dstAt + j] = ((q & 0x0F) - 8) * d;
                dst[dstAt + j + 16] = (((q >> 4) & 0x0F) - 8) * d;
            }
        }
    }

    static void q4_0(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        if (!Vectors.VECTOR_DEQUANT) {
            q4_0Scalar(src, at, blocks, dst, dstAt);
            return;
        }
        for (int b = 0; b < blocks; b++, at += 18, dstAt += BLOCK) {
            float d = half(src, at);
            for (int j = 0; j < 16; j += Vectors.L) {
                ByteVector q = ByteVector.fromMemorySegment(Vectors.BYTES, src, at + 2 + j, LE);
                floats(lowNibbles(q).sub((byte) 8)).mul(d).intoArray(dst, dstAt + j);
                floats(highNibbles(q).sub((byte) 8)).mul(d).intoArray(dst, dstAt + j + 16);
            }
        }
    }

    // block_q4_1 (20 bytes): f16 d, f16 m, u8 qs[16]; value = nibble * d + m
    static void q4_1Scalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 20, dstAt += BLOCK) {
            float d = half(src, at);
            float m = half(src, at + 2);
            for (int j = 0; j < 16; j++) {
                int q = at(src, at + 4 + j);
                dst[dstAt + j] = (q & 0x0F) * d + m;
                dst[dstAt + j + 16] = ((q >> 4) & 0x0F) * d + m;
            }
        }
    }

    static void q4_1(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        if (!Vectors.VECTOR_DEQUANT) {
            q4_1Scalar(src, at, blocks, dst, dstAt);
            return;
        }
        for (int b = 0; b < blocks; b++, at += 20, dstAt += BLOCK) {
            float d = half(src, at);
            float m = half(src, at + 2);
            for (int j = 0; j < 16; j += Vectors.L) {
                ByteVector q = ByteVector.fromMemorySegment(Vectors.BYTES, src, at + 4 + j, LE);
                floats(lowNibbles(q)).mul(d).add(m).intoArray(dst, dstAt + j);
                floats(highNibbles(q)).mul(d).add(m).intoArray(dst, dstAt + j + 16);
            }
        }
    }

    // block_q5_0 (22 bytes): f16 d, u32 qh (bit j = 5th bit of value j), u8 qs[16];
    // value = (nibble | high bit << 4) - 16, times d
    static void q5_0Scalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 22, dstAt += BLOCK) {
            float d = half(src, at);
            int qh = src.get(INT_LE, at + 2);
            for (int j = 0; j < 16; j++) {
                int q = at(src, at + 6 + j);
                int low = (q & 0x0F) | (((qh >>> j) & 1) << 4);
                int high = ((q >> 4) & 0x0F) | (((qh >>> (j + 16)) & 1) << 4);
                dst[dstAt + j] = (low - 16) * d;
                dst[dstAt + j + 16] = (high - 16) * d;
            }
        }
    }

    // block_q5_1 (24 bytes): f16 d, f16 m, u32 qh, u8 qs[16]; value = 5-bit q * d + m
    static void q5_1Scalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 24, dstAt += BLOCK) {
            float d = half(src, at);
            float m = half(src, at + 2);
            int qh = src.get(INT_LE, at + 4);
            for (int j = 0; j < 16; j++) {
                int q = at(src, at + 8 + j);
                int low = (q & 0x0F) | (((qh >>> j) & 1) << 4);
                int high = ((q >> 4) & 0x0F) | (((qh >>> (j + 16)) & 1) << 4);
                dst[dstAt + j] = low * d + m;
                dst[dstAt + j + 16] = high * d + m;
            }
        }
    }

    // block_q8_0 (34 bytes): f16 d, i8 qs[32]; value = q * d
    static void q8_0Scalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 34, dstAt += BLOCK) {
            float d = half(src, at);
            for (int j = 0; j < BLOCK; j++) dst[dstAt + j] = at(src, at + 2 + j) * d;
        }
    }

    static void q8_0(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        if (!Vectors.VECTOR_DEQUANT) {
            q8_0Scalar(src, at, blocks, dst, dstAt);
            return;
        }
        for (int b = 0; b < blocks; b++, at += 34, dstAt += BLOCK) {
            float d = half(src, at);
            for (int j = 0; j < BLOCK; j += Vectors.L) {
                floats(ByteVector.fromMemorySegment(Vectors.BYTES, src, at + 2 + j, LE))
                        .mul(d).intoArray(dst, dstAt + j);
            }
        }
    }

    static ByteVector lowNibbles(ByteVector q) { return q.and((byte) 0x0F); }

    static ByteVector highNibbles(ByteVector q) {
        return q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
    }

    /** Signed bytes to floats, lane for lane. */
    static FloatVector floats(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, 0);
    }
}

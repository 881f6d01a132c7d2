package owb.tensor;

import static owb.tensor.Vectors.LE;
import static owb.tensor.LegacyQuantDecoding.floats;
import static owb.tensor.LegacyQuantDecoding.half;
import static owb.tensor.LegacyQuantDecoding.highNibbles;
import static owb.tensor.LegacyQuantDecoding.lowNibbles;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's k-quants: 256-value super-blocks of 16- or 32-value sub-blocks with quantized scales,
 * decoded as ggml-quants.c {@code dequantize_row_q2_K .. q6_K} does (layouts from ggml-common.h).
 * Each method decodes {@code blocks} super-blocks from byte {@code at} of {@code src} into
 * {@code dst[dstAt ..]}. The float operations and their order are ggml's
 * ({@code (d * scale) * q - dmin * min}), never fused, so results are bit-identical to
 * gguf-py's numpy reference.
 */
final class KQuantDecoding {
    private KQuantDecoding() {}

    static final int BLOCK = 256;

    private static int u8(MemorySegment src, long offset) {
        return src.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    // block_q2_K (84 bytes): u8 scales[16] (low nibble scale, high nibble min), u8 qs[64]
    // (four 2-bit values per byte), f16 d, f16 dmin. Each half of 128 values reads 32 quant
    // bytes four times, two bits further each time; each 16 values have their own scale byte.
    static void q2_KScalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 84) {
            float d = half(src, at + 80);
            float dmin = half(src, at + 82);
            int scale = 0;
            for (int half = 0; half < 2; half++) {
                long qs = at + 16 + 32 * half;
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int part = 0; part < 32; part += 16) {
                        int sc = u8(src, at + scale++);
                        float dl = d * (sc & 0x0F);
                        float ml = dmin * (sc >> 4);
                        for (int l = 0; l < 16; l++) {
                            dst[dstAt++] = dl * ((u8(src, qs + part + l) >> shift) & 3) - ml;
                        }
                    }
                }
            }
        }
    }

    // block_q3_K (110 bytes): u8 hmask[32] (the third bit of each value), u8 qs[64] (low two
    // bits), u8 scales[12] (sixteen 6-bit scales, biased by 32), f16 d. Value = d * (scale - 32)
    // * (low bits - (hmask bit set ? 0 : 4)); hmask bit k covers the k-th run of 32 values.
    static void q3_KScalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        int[] scales = new int[16];
        for (int b = 0; b < blocks; b++, at += 110) {
            float d = half(src, at + 108);
            q3_KScales(src, at + 96, scales);
            int scale = 0;
            int maskBit = 0;
            for (int half = 0; half < 2; half++) {
                long qs = at + 32 + 32 * half;
                for (int shift = 0; shift < 8; shift += 2, maskBit++) {
                    for (int part = 0; part < 32; part += 16) {
                        float dl = d * (scales[scale++] - 32);
                        for (int l = 0; l < 16; l++) {
                            int low = (u8(src, qs + part + l) >> shift) & 3;
                            int high = (u8(src, at + part + l) >> maskBit) & 1;
                            dst[dstAt++] = dl * (low - (high != 0 ? 0 : 4));
                        }
                    }
                }
            }
        }
    }

    /**
     * The 16 6-bit scales of a Q3_K block: scale j has its low 4 bits in nibble (j / 8) of byte
     * (j % 8) and its high 2 bits at bit 2 * (j / 4) of byte 8 + j % 4.
     */
    private static void q3_KScales(MemorySegment src, long scalesAt, int[] scales) {
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? u8(src, scalesAt + j) & 0x0F : u8(src, scalesAt + j - 8) >> 4;
            int high = (u8(src, scalesAt + 8 + j % 4) >> (2 * (j / 4))) & 3;
            scales[j] = low | (high << 4);
        }
    }

    /** Q4_K/Q5_K sub-block j's 6-bit scale from the 12 packed bytes (ggml get_scale_min_k4). */
    private static int k4Scale(MemorySegment src, long scalesAt, int j) {
        return j < 4
                ? u8(src, scalesAt + j) & 63
                : (u8(src, scalesAt + j + 4) & 0x0F) | ((u8(src, scalesAt + j - 4) >> 6) << 4);
    }

    /** Q4_K/Q5_K sub-block j's 6-bit min (ggml get_scale_min_k4). */
    private static int k4Min(MemorySegment src, long scalesAt, int j) {
        return j < 4
                ? u8(src, scalesAt + j + 4) & 63
                : (u8(src, scalesAt + j + 4) >> 4) | ((u8(src, scalesAt + j) >> 6) << 4);
    }

    // block_q4_K (144 bytes): f16 d, f16 dmin, u8 scales[12], u8 qs[128]. Eight sub-blocks of
    // 32; each 32 quant bytes hold sub-block 2g in their low nibbles and 2g + 1 in their high.
    static void q4_KScalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 144, dstAt += BLOCK) {
            float d = half(src, at);
            float dmin = half(src, at + 2);
            for (int g = 0; g < 4; g++) {
                float d1 = d * k4Scale(src, at + 4, 2 * g);
                float m1 = dmin * k4Min(src, at + 4, 2 * g);
                float d2 = d * k4Scale(src, at + 4, 2 * g + 1);
                float m2 = dmin * k4Min(src, at + 4, 2 * g + 1);
                long qs = at + 16 + 32 * g;
                int out = dstAt + 64 * g;
                for (int l = 0; l < 32; l++) {
                    int q = u8(src, qs + l);
                    dst[out + l] = d1 * (q & 0x0F) - m1;
                    dst[out + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    static void q4_K(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        if (!Vectors.VECTOR_DEQUANT) {
            q4_KScalar(src, at, blocks, dst, dstAt);
            return;
        }
        for (int b = 0; b < blocks; b++, at += 144, dstAt += BLOCK) {
            float d = half(src, at);
            float dmin = half(src, at + 2);
            for (int g = 0; g < 4; g++) {
                float d1 = d * k4Scale(src, at + 4, 2 * g);
                float m1 = dmin * k4Min(src, at + 4, 2 * g);
                float d2 = d * k4Scale(src, at + 4, 2 * g + 1);
                float m2 = dmin * k4Min(src, at + 4, 2 * g + 1);
                long qs = at + 16 + 32 * g;
                int out = dstAt + 64 * g;
                for (int l = 0; l < 32; l += Vectors.L) {
                    ByteVector q = ByteVector.fromMemorySegment(Vectors.BYTES, src, qs + l, LE);
                    floats(lowNibbles(q)).mul(d1).sub(m1).intoArray(dst, out + l);
                    floats(highNibbles(q)).mul(d2).sub(m2).intoArray(dst, out + 32 + l);
                }
            }
        }
    }

    // block_q5_K (176 bytes): f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]. As Q4_K,
    // plus a fifth bit per value: bit 2g of qh[l] for sub-block 2g, bit 2g + 1 for 2g + 1.
    static void q5_KScalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 176, dstAt += BLOCK) {
            float d = half(src, at);
            float dmin = half(src, at + 2);
            for (int g = 0; g < 4; g++) {
                float d1 = d * k4Scale(src, at + 4, 2 * g);
                float m1 = dmin * k4Min(src, at + 4, 2 * g);
                float d2 = d * k4Scale(src, at + 4, 2 * g + 1);
                float m2 = dmin * k4Min(src, at + 4, 2 * g + 1);
                long qs = at + 48 + 32 * g;
                int out = dstAt + 64 * g;
                for (int l = 0; l < 32; l++) {
                    int q = u8(src, qs + l);
                    int qh = u8(src, at + 16 + l);
                    dst[out + l] = d1 * ((q & 0x0F) + (((qh >> (2 * g)) & 1) << 4)) - m1;
                    dst[out + 32 + l] = d2 * ((q >> 4) + (((qh >> (2 * g + 1)) & 1) << 4)) - m2;
                }
            }
        }
    }

    // block_q6_K (210 bytes): u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), i8 scales[16],
    // f16 d. Each half of 128 values uses 64 ql bytes, 32 qh bytes and 8 scales; value
    // = d * scale * (6-bit q - 32), one scale per 16 values.
    static void q6_KScalar(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        for (int b = 0; b < blocks; b++, at += 210) {
            float d = half(src, at + 208);
            for (int half = 0; half < 2; half++, dstAt += 128) {
                long ql = at + 64 * half;
                long qh = at + 128 + 32 * half;
                long sc = at + 192 + 8 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int low = u8(src, ql + l);
                    int lowNext = u8(src, ql + 32 + l);
                    int high = u8(src, qh + l);
                    int q1 = ((low & 0x0F) | ((high & 3) << 4)) - 32;
                    int q2 = ((lowNext & 0x0F) | (((high >> 2) & 3) << 4)) - 32;
                    int q3 = ((low >> 4) | (((high >> 4) & 3) << 4)) - 32;
                    int q4 = ((lowNext >> 4) | (((high >> 6) & 3) << 4)) - 32;
                    dst[dstAt + l] = d * scale(src, sc + is) * q1;
                    dst[dstAt + l + 32] = d * scale(src, sc + is + 2) * q2;
                    dst[dstAt + l + 64] = d * scale(src, sc + is + 4) * q3;
                    dst[dstAt + l + 96] = d * scale(src, sc + is + 6) * q4;
                }
            }
        }
    }

    static void q6_K(MemorySegment src, long at, int blocks, float[] dst, int dstAt) {
        if (!Vectors.VECTOR_DEQUANT) {
            q6_KScalar(src, at, blocks, dst, dstAt);
            return;
        }
        for (int b = 0; b < blocks; b++, at += 210) {
            float d = half(src, at + 208);
            for (int half = 0; half < 2; half++, dstAt += 128) {
                long ql = at + 64 * half;
                long qh = at + 128 + 32 * half;
                long sc = at + 192 + 8 * half;
                // with 8 or 16 lanes a vector never straddles the 16-value scale boundary
                for (int l = 0; l < 32; l += Vectors.L) {
                    int is = l / 16;
                    ByteVector low = ByteVector.fromMemorySegment(Vectors.BYTES, src, ql + l, LE);
                    ByteVector lowNext = ByteVector.fromMemorySegment(Vectors.BYTES, src, ql + 32 + l, LE);
                    ByteVector high = ByteVector.fromMemorySegment(Vectors.BYTES, src, qh + l, LE);
                    floats(sixBits(lowNibbles(low), high, 0))
                            .mul(d * scale(src, sc + is)).intoArray(dst, dstAt + l);
                    floats(sixBits(lowNibbles(lowNext), high, 2))
                            .mul(d * scale(src, sc + is + 2)).intoArray(dst, dstAt + l + 32);
                    floats(sixBits(highNibbles(low), high, 4))
                            .mul(d * scale(src, sc + is + 4)).intoArray(dst, dstAt + l + 64);
                    floats(sixBits(highNibbles(lowNext), high, 6))
                            .mul(d * scale(src, sc + is + 6)).intoArray(dst, dstAt + l + 96);
                }
            }
        }
    }

    /** (low 4 bits | bits [shift, shift + 2) of high, as bits 4-5) - 32. */
    private static ByteVector sixBits(ByteVector low, ByteVector high, int shift) {
        ByteVector top = high.lanewise(VectorOperators.LSHR, shift).and((byte) 3)
                .lanewise(VectorOperators.LSHL, 4);
        return low.or(top).sub((byte) 32);
    }

    private static int scale(MemorySegment src, long offset) {
        return src.get(ValueLayout.JAVA_BYTE, offset);
    }
}

package owb.tensor;

import static owb.tensor.Vectors.BYTES;
import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORT_LE;
import static owb.tensor.Vectors.floats;
import static owb.tensor.Vectors.highNibbles;
import static owb.tensor.Vectors.lowNibbles;
import static owb.tensor.Vectors.shiftLeftWithin16;
import static owb.tensor.Vectors.shiftRightWithin16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q6_K (ggml-common.h block_q6_K): 210-byte super-blocks of 256 values,
 * {@code u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}. Each half h of 128 values uses
 * ql[64h ..], qh[32h ..] and scales[8h ..]; for l in 0..31 (ggml-quants.c dequantize_row_q6_K):
 * <pre>
 *   value l      = low  nibble of ql[l]      | bits 0-1 of qh[l] << 4, scale scales[l/16]
 *   value l + 32 = low  nibble of ql[l + 32] | bits 2-3 of qh[l] << 4, scale scales[l/16 + 2]
 *   value l + 64 = high nibble of ql[l]      | bits 4-5 of qh[l] << 4, scale scales[l/16 + 4]
 *   value l + 96 = high nibble of ql[l + 32] | bits 6-7 of qh[l] << 4, scale scales[l/16 + 6]
 * </pre>
 * each 6-bit q giving d * scale * (q - 32).
 */
final class Q6KRows extends WeightRows {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final byte HIGH_BITS = 0x30;
    private static final byte OFFSET = 32;

    private final MemorySegment data;
    private final long rowBytes;

    Q6KRows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
        this.rowBytes = (long) (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        long block = firstRow * rowBytes;
        int blocks = count * (cols() / BLOCK);
        for (int b = 0, o = 0; b < blocks; b++, block += BLOCK_BYTES, o += BLOCK) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long ql = block + 64 * h;
                long qh = block + QH + 32 * h;
                long scales = block + SCALES + 8 * h;
                int y = o + 128 * h;
                for (int c = 0; c < 32; c += L) {
                    ByteVector lowQl = ByteVector.fromMemorySegment(BYTES, data, ql + c, LE);
                    ByteVector highQl = ByteVector.fromMemorySegment(BYTES, data, ql + 32 + c, LE);
                    ByteVector bits = ByteVector.fromMemorySegment(BYTES, data, qh + c, LE);
                    long scale = scales + c / 16;
                    floats(quant0(lowQl, bits)).mul(d * scale(scale)).intoArray(out, y + c);
                    floats(quant1(highQl, bits)).mul(d * scale(scale + 2)).intoArray(out, y + 32 + c);
                    floats(quant2(lowQl, bits)).mul(d * scale(scale + 4)).intoArray(out, y + 64 + c);
                    floats(quant3(highQl, bits)).mul(d * scale(scale + 6)).intoArray(out, y + 96 + c);
                }
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0, xb = xOff; b < blocks; b++, block += BLOCK_BYTES, xb += BLOCK) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long ql = block + 64 * h;
                long qh = block + QH + 32 * h;
                long scales = block + SCALES + 8 * h;
                int xi = xb + 128 * h;
                for (int c = 0; c < 32; c += L) {
                    ByteVector lowQl = ByteVector.fromMemorySegment(BYTES, data, ql + c, LE);
                    ByteVector highQl = ByteVector.fromMemorySegment(BYTES, data, ql + 32 + c, LE);
                    ByteVector bits = ByteVector.fromMemorySegment(BYTES, data, qh + c, LE);
                    long scale = scales + c / 16;
                    acc0 = floats(quant0(lowQl, bits)).mul(d * scale(scale))
                            .fma(FloatVector.fromArray(F, x, xi + c), acc0);
                    acc1 = floats(quant1(highQl, bits)).mul(d * scale(scale + 2))
                            .fma(FloatVector.fromArray(F, x, xi + 32 + c), acc1);
                    acc2 = floats(quant2(lowQl, bits)).mul(d * scale(scale + 4))
                            .fma(FloatVector.fromArray(F, x, xi + 64 + c), acc2);
                    acc3 = floats(quant3(highQl, bits)).mul(d * scale(scale + 6))
                            .fma(FloatVector.fromArray(F, x, xi + 96 + c), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    // The four 6-bit quants of one ql/qh lane, minus 32 (signed bytes in [-32, 31]).

    private static ByteVector quant0(ByteVector lowQl, ByteVector bits) {
        return lowNibbles(lowQl).or(shiftLeftWithin16(bits, 4).and(HIGH_BITS)).sub(OFFSET);
    }

    private static ByteVector quant1(ByteVector highQl, ByteVector bits) {
        return lowNibbles(highQl).or(shiftLeftWithin16(bits, 2).and(HIGH_BITS)).sub(OFFSET);
    }

    private static ByteVector quant2(ByteVector lowQl, ByteVector bits) {
        return highNibbles(lowQl).or(bits.and(HIGH_BITS)).sub(OFFSET);
    }

    private static ByteVector quant3(ByteVector highQl, ByteVector bits) {
        return highNibbles(highQl).or(shiftRightWithin16(bits, 2).and(HIGH_BITS)).sub(OFFSET);
    }

    private int scale(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at);
    }
}

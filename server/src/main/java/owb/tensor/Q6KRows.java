package owb.tensor;

import static owb.tensor.Vectors.BYTES;
import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORT_LE;
import static owb.tensor.Vectors.floats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q6_K (ggml-common.h block_q6_K): 210-byte super-blocks of 256 values,
 * {@code u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}. Each half h of 128 values uses
 * ql[64h ..] and qh[32h ..]; for l in 0..31 (ggml-quants.c dequantize_row_q6_K):
 * <pre>
 *   value l      = low  nibble of ql[l]      | bits 0-1 of qh[l] << 4
 *   value l + 32 = low  nibble of ql[l + 32] | bits 2-3 of qh[l] << 4
 *   value l + 64 = high nibble of ql[l]      | bits 4-5 of qh[l] << 4
 *   value l + 96 = high nibble of ql[l + 32] | bits 6-7 of qh[l] << 4
 * </pre>
 * each 6-bit q giving d * scales[v / 16] * (q - 32) for value v of the block.
 *
 * <p>A block is decoded in two passes, quants into a 256-byte buffer and then scaled floats: done
 * in one pass, the vector expression is big enough that C2 stops inlining the Vector API calls
 * (NodeCountInliningCutoff) and every vector is boxed, which is ten times slower.
 */
final class Q6KRows extends WeightRows {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final int GROUP = 16;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ByteVector LOW_NIBBLE = ByteVector.broadcast(BYTES, (byte) 0x0F);
    private static final ByteVector BITS_4_5 = ByteVector.broadcast(BYTES, (byte) 0x30);
    private static final ByteVector OFFSET = ByteVector.broadcast(BYTES, (byte) 32);

    private final MemorySegment data;
    private final long rowBytes;

    Q6KRows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
        this.rowBytes = (long) (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        byte[] quants = new byte[BLOCK];
        long block = firstRow * rowBytes;
        int blocks = count * (cols() / BLOCK);
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) decodeBlock(block, quants, out, b * BLOCK);
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return dot(row, x, xOff, new byte[BLOCK]);
    }

    @Override
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        byte[] quants = new byte[BLOCK];
        for (int j = firstRow; j < firstRow + count; j++) {
            float dot = dot(j, x, 0, quants);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    private float dot(int row, float[] x, int xOff, byte[] quants) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0, xb = xOff; b < blocks; b++, block += BLOCK_BYTES, xb += BLOCK) {
            unpackQuants(block, quants);
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            long scales0to7 = data.get(LONG_LE, block + SCALES);
            long scales8to15 = data.get(LONG_LE, block + SCALES + 8);
            for (int g = 0; g < BLOCK / GROUP; g += 2) {
                float scale0 = d * scale(scales0to7, scales8to15, g);
                float scale1 = d * scale(scales0to7, scales8to15, g + 1);
                for (int i = 0; i < GROUP; i += L) {
                    int v = GROUP * g + i;
                    acc0 = floats(ByteVector.fromArray(BYTES, quants, v)).mul(scale0)
                            .fma(FloatVector.fromArray(F, x, xb + v), acc0);
                    acc1 = floats(ByteVector.fromArray(BYTES, quants, v + GROUP)).mul(scale1)
                            .fma(FloatVector.fromArray(F, x, xb + v + GROUP), acc1);
                }
            }
        }
        return LaneSum.of(acc0.add(acc1));
    }

    private void decodeBlock(long block, byte[] quants, float[] out, int o) {
        unpackQuants(block, quants);
        float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
        long scales0to7 = data.get(LONG_LE, block + SCALES);
        long scales8to15 = data.get(LONG_LE, block + SCALES + 8);
        for (int g = 0; g < BLOCK / GROUP; g++) {
            float scale = d * scale(scales0to7, scales8to15, g);
            for (int i = 0; i < GROUP; i += L) {
                floats(ByteVector.fromArray(BYTES, quants, GROUP * g + i)).mul(scale).intoArray(out, o + GROUP * g + i);
            }
        }
    }

    /** The signed scale of 16-value group g, from the block's 16 scale bytes read as two longs. */
    private static int scale(long scales0to7, long scales8to15, int g) {
        return (byte) ((g < 8 ? scales0to7 : scales8to15) >>> (8 * (g & 7)));
    }

    /** The 256 six-bit quants of a block, minus 32, in value order. */
    private void unpackQuants(long block, byte[] quants) {
        for (int h = 0; h < 2; h++) {
            long ql = block + 64 * h;
            long qh = block + QH + 32 * h;
            for (int c = 0; c < 32; c += L) {
                ByteVector lowQl = ByteVector.fromMemorySegment(BYTES, data, ql + c, LE);
                ByteVector highQl = ByteVector.fromMemorySegment(BYTES, data, ql + 32 + c, LE);
                ByteVector bits = ByteVector.fromMemorySegment(BYTES, data, qh + c, LE);
                // x86 has no byte shifts: shift 16-bit pairs and mask off what crossed between bytes
                ShortVector bitPairs = bits.reinterpretAsShorts();
                ByteVector highQlDown = highQl.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
                ByteVector lowQlDown = lowQl.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
                int v = 128 * h + c;
                lowQl.and(LOW_NIBBLE)
                        .or(bitPairs.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(BITS_4_5))
                        .sub(OFFSET).intoArray(quants, v);
                highQl.and(LOW_NIBBLE)
                        .or(bitPairs.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and(BITS_4_5))
                        .sub(OFFSET).intoArray(quants, v + 32);
                lowQlDown.and(LOW_NIBBLE)
                        .or(bits.and(BITS_4_5))
                        .sub(OFFSET).intoArray(quants, v + 64);
                highQlDown.and(LOW_NIBBLE)
                        .or(bitPairs.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(BITS_4_5))
                        .sub(OFFSET).intoArray(quants, v + 96);
            }
        }
    }
}

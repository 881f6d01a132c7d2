package owb.tensor;

import static owb.tensor.Vectors.BYTES;
import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORT_LE;
import static owb.tensor.Vectors.floats;
import static owb.tensor.Vectors.highNibbles;
import static owb.tensor.Vectors.lowNibbles;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_K (ggml-common.h block_q4_K): 144-byte super-blocks of 256 values,
 * {@code f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}. Eight sub-blocks of 32 values each have a
 * 6-bit scale sc and min m packed into {@code scales} (unpacked as ggml-quants.c
 * get_scale_min_k4 does); value = d * sc * q - dmin * m. The 64 values of group g come from
 * qs[32g .. 32g + 32): low nibbles are values 64g + i (sub-block 2g), high nibbles 64g + 32 + i
 * (sub-block 2g + 1).
 */
final class Q4KRows extends WeightRows {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int SUB = 32;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    private final MemorySegment data;
    private final long rowBytes;

    Q4KRows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
        this.rowBytes = (long) (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        long block = firstRow * rowBytes;
        int blocks = count * (cols() / BLOCK);
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) decodeBlock(block, out, b * BLOCK);
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return dot(row, x, xOff, subBlockSums(x, xOff, cols()));
    }

    @Override
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        float[] xSums = subBlockSums(x, 0, cols());
        for (int j = firstRow; j < firstRow + count; j++) {
            float dot = dot(j, x, 0, xSums);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    /**
     * Per sub-block s: d*sc_s * sum(q * x) - dmin*m_s * sum(x), with sum(x) over each 32-value
     * sub-block computed once per x ({@code xSums}) rather than once per row.
     */
    private float dot(int row, float[] x, int xOff, float[] xSums) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        float minTerms = 0f;
        for (int b = 0, xb = xOff; b < blocks; b++, block += BLOCK_BYTES, xb += BLOCK) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float dmin = Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            long scales0to7 = data.get(LONG_LE, block + SCALES);
            int scales8to11 = data.get(INT_LE, block + SCALES + 8);
            for (int g = 0; g < 4; g++) {
                int j = 2 * g;
                int xi = xb + 2 * SUB * g;
                FloatVector qxLow = FloatVector.zero(F), qxHigh = qxLow;
                for (int c = 0; c < SUB; c += L) {
                    ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + SUB * g + c, LE);
                    qxLow = floats(lowNibbles(q)).fma(FloatVector.fromArray(F, x, xi + c), qxLow);
                    qxHigh = floats(highNibbles(q)).fma(FloatVector.fromArray(F, x, xi + SUB + c), qxHigh);
                }
                acc = qxLow.fma(FloatVector.broadcast(F, d * scale(scales0to7, scales8to11, j)), acc);
                acc = qxHigh.fma(FloatVector.broadcast(F, d * scale(scales0to7, scales8to11, j + 1)), acc);
                int sub = (b * BLOCK) / SUB + j;
                minTerms += dmin * (min(scales0to7, scales8to11, j) * xSums[sub]
                        + min(scales0to7, scales8to11, j + 1) * xSums[sub + 1]);
            }
        }
        return LaneSum.of(acc) - minTerms;
    }

    /** sum(x) over each 32-value sub-block of x[xOff .. xOff + k). */
    private static float[] subBlockSums(float[] x, int xOff, int k) {
        float[] sums = new float[k / SUB];
        for (int s = 0; s < sums.length; s++) {
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < SUB; c += L) sum = sum.add(FloatVector.fromArray(F, x, xOff + SUB * s + c));
            sums[s] = LaneSum.of(sum);
        }
        return sums;
    }

    private void decodeBlock(long block, float[] out, int o) {
        float d = Float.float16ToFloat(data.get(SHORT_LE, block));
        float dmin = Float.float16ToFloat(data.get(SHORT_LE, block + 2));
        long scales0to7 = data.get(LONG_LE, block + SCALES);
        int scales8to11 = data.get(INT_LE, block + SCALES + 8);
        for (int g = 0; g < 4; g++) {
            int j = 2 * g;
            float scaleLow = d * scale(scales0to7, scales8to11, j);
            float minLow = -dmin * min(scales0to7, scales8to11, j);
            float scaleHigh = d * scale(scales0to7, scales8to11, j + 1);
            float minHigh = -dmin * min(scales0to7, scales8to11, j + 1);
            int y = o + 2 * SUB * g;
            for (int c = 0; c < SUB; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + SUB * g + c, LE);
                floats(lowNibbles(q)).fma(scaleLow, minLow).intoArray(out, y + c);
                floats(highNibbles(q)).fma(scaleHigh, minHigh).intoArray(out, y + SUB + c);
            }
        }
    }

    /** 6-bit scale of sub-block j (0..7), as get_scale_min_k4 unpacks it. */
    private static int scale(long scales0to7, int scales8to11, int j) {
        return j < 4
                ? scaleByte(scales0to7, scales8to11, j) & 63
                : (scaleByte(scales0to7, scales8to11, j + 4) & 0xF)
                        | ((scaleByte(scales0to7, scales8to11, j - 4) >> 6) << 4);
    }

    /** 6-bit min of sub-block j (0..7), as get_scale_min_k4 unpacks it. */
    private static int min(long scales0to7, int scales8to11, int j) {
        return j < 4
                ? scaleByte(scales0to7, scales8to11, j + 4) & 63
                : (scaleByte(scales0to7, scales8to11, j + 4) >> 4)
                        | ((scaleByte(scales0to7, scales8to11, j) >> 6) << 4);
    }

    /** scales[i] of the block, from its first eight bytes (a long) and last four (an int). */
    private static int scaleByte(long scales0to7, int scales8to11, int i) {
        return i < 8 ? (int) (scales0to7 >>> (8 * i)) & 0xFF : (scales8to11 >>> (8 * (i - 8))) & 0xFF;
    }
}

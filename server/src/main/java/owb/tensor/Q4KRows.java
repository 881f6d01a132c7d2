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
 * 6-bit scale sc and min m packed into {@code scales} (unpacking as ggml-quants.c
 * get_scale_min_k4); value = d * sc * q - dmin * m. The 64 values of group g come from
 * qs[32g .. 32g + 32): low nibbles are values 64g + i (sub-block 2g), high nibbles 64g + 32 + i
 * (sub-block 2g + 1).
 */
final class Q4KRows extends WeightRows {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int SUB = 32;

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
        for (int b = 0, o = 0; b < blocks; b++, block += BLOCK_BYTES, o += BLOCK) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float dmin = Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            for (int g = 0; g < 4; g++) {
                float scaleLow = d * scale(block, 2 * g), minLow = -dmin * min(block, 2 * g);
                float scaleHigh = d * scale(block, 2 * g + 1), minHigh = -dmin * min(block, 2 * g + 1);
                int y = o + 2 * SUB * g;
                for (int c = 0; c < SUB; c += L) {
                    ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + SUB * g + c, LE);
                    floats(lowNibbles(q)).fma(scaleLow, minLow).intoArray(out, y + c);
                    floats(highNibbles(q)).fma(scaleHigh, minHigh).intoArray(out, y + SUB + c);
                }
            }
        }
    }

    /** Per sub-block: d*sc * sum(q * x) - dmin*m * sum(x). */
    @Override
    public float dot(int row, float[] x, int xOff) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, xb = xOff; b < blocks; b++, block += BLOCK_BYTES, xb += BLOCK) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float dmin = Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            for (int g = 0; g < 4; g++) {
                FloatVector qxLow = FloatVector.zero(F), qxHigh = qxLow, xLow = qxLow, xHigh = qxLow;
                int xi = xb + 2 * SUB * g;
                for (int c = 0; c < SUB; c += L) {
                    ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + SUB * g + c, LE);
                    FloatVector lowX = FloatVector.fromArray(F, x, xi + c);
                    FloatVector highX = FloatVector.fromArray(F, x, xi + SUB + c);
                    qxLow = floats(lowNibbles(q)).fma(lowX, qxLow);
                    qxHigh = floats(highNibbles(q)).fma(highX, qxHigh);
                    xLow = xLow.add(lowX);
                    xHigh = xHigh.add(highX);
                }
                acc = qxLow.fma(FloatVector.broadcast(F, d * scale(block, 2 * g)), acc);
                acc = xLow.fma(FloatVector.broadcast(F, -dmin * min(block, 2 * g)), acc);
                acc = qxHigh.fma(FloatVector.broadcast(F, d * scale(block, 2 * g + 1)), acc);
                acc = xHigh.fma(FloatVector.broadcast(F, -dmin * min(block, 2 * g + 1)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** 6-bit scale of sub-block j (0..7), as get_scale_min_k4 unpacks it. */
    private int scale(long block, int j) {
        return j < 4
                ? scaleByte(block, j) & 63
                : (scaleByte(block, j + 4) & 0xF) | ((scaleByte(block, j - 4) >> 6) << 4);
    }

    /** 6-bit min of sub-block j (0..7), as get_scale_min_k4 unpacks it. */
    private int min(long block, int j) {
        return j < 4
                ? scaleByte(block, j + 4) & 63
                : (scaleByte(block, j + 4) >> 4) | ((scaleByte(block, j) >> 6) << 4);
    }

    private int scaleByte(long block, int i) {
        return data.get(ValueLayout.JAVA_BYTE, block + SCALES + i) & 0xFF;
    }
}

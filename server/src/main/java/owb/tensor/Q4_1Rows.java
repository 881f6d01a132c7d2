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
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_1 (ggml-common.h block_q4_1): 20-byte blocks of 32 values, {@code f16 d; f16 m; u8 qs[16]};
 * the low nibble of qs[i] is value i, the high nibble value i + 16, each q * d + m.
 */
final class Q4_1Rows extends WeightRows {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 20;
    private static final int QS = 4;
    private static final int HALF = BLOCK / 2;

    private final MemorySegment data;
    private final long rowBytes;

    Q4_1Rows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
        this.rowBytes = (long) (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        long block = firstRow * rowBytes;
        int blocks = count * (cols() / BLOCK);
        for (int b = 0, o = 0; b < blocks; b++, block += BLOCK_BYTES, o += BLOCK) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block + 2)));
            for (int c = 0; c < HALF; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE);
                floats(lowNibbles(q)).fma(d, m).intoArray(out, o + c);
                floats(highNibbles(q)).fma(d, m).intoArray(out, o + HALF + c);
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return dot(row, x, xOff, blockSums(x, xOff, cols()));
    }

    @Override
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        float[] xSums = blockSums(x, 0, cols());
        for (int j = firstRow; j < firstRow + count; j++) {
            float dot = dot(j, x, 0, xSums);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    /** Per block: d * sum(q * x) + m * sum(x), with sum(x) per block computed once per x. */
    private float dot(int row, float[] x, int xOff, float[] xSums) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        float minTerms = 0f;
        for (int b = 0, xi = xOff; b < blocks; b++, block += BLOCK_BYTES, xi += BLOCK) {
            FloatVector qx = FloatVector.zero(F);
            for (int c = 0; c < HALF; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE);
                qx = floats(lowNibbles(q)).fma(FloatVector.fromArray(F, x, xi + c), qx);
                qx = floats(highNibbles(q)).fma(FloatVector.fromArray(F, x, xi + HALF + c), qx);
            }
            acc = qx.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block))), acc);
            minTerms += Float.float16ToFloat(data.get(SHORT_LE, block + 2)) * xSums[b];
        }
        return LaneSum.of(acc) + minTerms;
    }

    /** sum(x) over each 32-value block of x[xOff .. xOff + k). */
    private static float[] blockSums(float[] x, int xOff, int k) {
        float[] sums = new float[k / BLOCK];
        for (int s = 0; s < sums.length; s++) {
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c += L) sum = sum.add(FloatVector.fromArray(F, x, xOff + BLOCK * s + c));
            sums[s] = LaneSum.of(sum);
        }
        return sums;
    }
}

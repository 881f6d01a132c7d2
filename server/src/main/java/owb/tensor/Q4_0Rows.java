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
 * ggml Q4_0 (ggml-common.h block_q4_0): 18-byte blocks of 32 values, {@code f16 d; u8 qs[16]};
 * the low nibble of qs[i] is value i, the high nibble value i + 16, each (q - 8) * d.
 */
final class Q4_0Rows extends WeightRows {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;
    private static final int HALF = BLOCK / 2;

    private final MemorySegment data;
    private final long rowBytes;

    Q4_0Rows(MemorySegment data, int rows, int cols) {
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
            for (int c = 0; c < HALF; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE);
                floats(lowNibbles(q).sub((byte) 8)).mul(d).intoArray(out, o + c);
                floats(highNibbles(q).sub((byte) 8)).mul(d).intoArray(out, o + HALF + c);
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        long block = row * rowBytes;
        int blocks = cols() / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, xi = xOff; b < blocks; b++, block += BLOCK_BYTES, xi += BLOCK) {
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < HALF; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE);
                sum = floats(lowNibbles(q).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xi + c), sum);
                sum = floats(highNibbles(q).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xi + HALF + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block))), acc);
        }
        return LaneSum.of(acc);
    }
}

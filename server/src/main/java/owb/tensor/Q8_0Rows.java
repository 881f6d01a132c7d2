package owb.tensor;

import static owb.tensor.Vectors.BYTES;
import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORT_LE;
import static owb.tensor.Vectors.floats;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q8_0 (ggml-common.h block_q8_0): 34-byte blocks of 32 values, {@code f16 d; int8 qs[32]},
 * value i = qs[i] * d.
 */
final class Q8_0Rows extends WeightRows {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private final MemorySegment data;
    private final long rowBytes;

    Q8_0Rows(MemorySegment data, int rows, int cols) {
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
            for (int c = 0; c < BLOCK; c += L) {
                floats(ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE)).mul(d).intoArray(out, o + c);
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
            for (int c = 0; c < BLOCK; c += L) {
                sum = floats(ByteVector.fromMemorySegment(BYTES, data, block + QS + c, LE))
                        .fma(FloatVector.fromArray(F, x, xi + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block))), acc);
        }
        return LaneSum.of(acc);
    }
}

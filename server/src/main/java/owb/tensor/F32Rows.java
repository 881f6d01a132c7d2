package owb.tensor;

import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.FLOAT_LE;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** F32 weights in the mapped file: row j is {@code cols} little-endian floats at byte {@code 4 * j * cols}. */
final class F32Rows extends WeightRows {
    private final MemorySegment data;

    F32Rows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        MemorySegment.copy(data, FLOAT_LE, (long) firstRow * cols() * Float.BYTES, out, 0, count * cols());
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        int k = cols();
        long base = (long) row * k * Float.BYTES;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int kk = 0;
        for (int kv2 = k - k % (2 * L); kk < kv2; kk += 2 * L) {
            long at = base + (long) kk * Float.BYTES;
            acc0 = FloatVector.fromMemorySegment(F, data, at, LE).fma(FloatVector.fromArray(F, x, xOff + kk), acc0);
            acc1 = FloatVector.fromMemorySegment(F, data, at + L * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(F, x, xOff + kk + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; kk < k; kk++) sum += data.get(FLOAT_LE, base + (long) kk * Float.BYTES) * x[xOff + kk];
        return sum;
    }
}

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

    /** Four accumulators: with fewer, the loop waits on the FMA latency instead of on memory. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        int k = cols();
        long base = (long) row * k * Float.BYTES;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int kk = 0;
        for (int bound = k - k % (4 * L); kk < bound; kk += 4 * L) {
            acc0 = load(base, kk).fma(FloatVector.fromArray(F, x, xOff + kk), acc0);
            acc1 = load(base, kk + L).fma(FloatVector.fromArray(F, x, xOff + kk + L), acc1);
            acc2 = load(base, kk + 2 * L).fma(FloatVector.fromArray(F, x, xOff + kk + 2 * L), acc2);
            acc3 = load(base, kk + 3 * L).fma(FloatVector.fromArray(F, x, xOff + kk + 3 * L), acc3);
        }
        for (int bound = F.loopBound(k); kk < bound; kk += L) {
            acc0 = load(base, kk).fma(FloatVector.fromArray(F, x, xOff + kk), acc0);
        }
        float sum = LaneSum.of(acc0.add(acc1).add(acc2.add(acc3)));
        for (; kk < k; kk++) sum += data.get(FLOAT_LE, base + (long) kk * Float.BYTES) * x[xOff + kk];
        return sum;
    }

    /** Four rows at a time share each vector of x: 5 loads per 4 FMAs instead of 8. */
    @Override
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        int k = cols();
        int kv = F.loopBound(k);
        int j = firstRow;
        for (int end = firstRow + count; j + 4 <= end; j += 4) {
            long r0 = (long) j * k * Float.BYTES, r1 = r0 + (long) k * Float.BYTES;
            long r2 = r1 + (long) k * Float.BYTES, r3 = r2 + (long) k * Float.BYTES;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int kk = 0; kk < kv; kk += L) {
                FloatVector xv = FloatVector.fromArray(F, x, kk);
                acc0 = load(r0, kk).fma(xv, acc0);
                acc1 = load(r1, kk).fma(xv, acc1);
                acc2 = load(r2, kk).fma(xv, acc2);
                acc3 = load(r3, kk).fma(xv, acc3);
            }
            y[j] = finish(acc0, r0, kv, x, bias, j);
            y[j + 1] = finish(acc1, r1, kv, x, bias, j + 1);
            y[j + 2] = finish(acc2, r2, kv, x, bias, j + 2);
            y[j + 3] = finish(acc3, r3, kv, x, bias, j + 3);
        }
        for (; j < firstRow + count; j++) {
            float dot = dot(j, x, 0);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    /** Reduces a row's accumulator and adds the K tail [kv, k) and the bias. */
    private float finish(FloatVector acc, long rowBase, int kv, float[] x, float[] bias, int row) {
        float sum = LaneSum.of(acc);
        for (int kk = kv; kk < cols(); kk++) sum += data.get(FLOAT_LE, rowBase + (long) kk * Float.BYTES) * x[kk];
        return bias == null ? sum : sum + bias[row];
    }

    private FloatVector load(long rowBase, int column) {
        return FloatVector.fromMemorySegment(F, data, rowBase + (long) column * Float.BYTES, LE);
    }
}

package owb.tensor;

import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;
import static owb.tensor.Vectors.LE;
import static owb.tensor.Vectors.SHORTS;
import static owb.tensor.Vectors.SHORT_LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** IEEE half-precision weights: row j is {@code cols} little-endian halves at byte {@code 2 * j * cols}. */
final class F16Rows extends WeightRows {
    private final MemorySegment data;

    F16Rows(MemorySegment data, int rows, int cols) {
        super(rows, cols);
        this.data = data;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        long base = (long) firstRow * cols() * Short.BYTES;
        int total = count * cols();
        int i = 0;
        for (int bound = F.loopBound(total); i < bound; i += L) {
            Vectors.halfToFloat(ShortVector.fromMemorySegment(SHORTS, data, base + (long) i * Short.BYTES, LE))
                    .intoArray(out, i);
        }
        for (; i < total; i++) out[i] = Float.float16ToFloat(data.get(SHORT_LE, base + (long) i * Short.BYTES));
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        int k = cols();
        long base = (long) row * k * Short.BYTES;
        FloatVector acc = FloatVector.zero(F);
        int kk = 0;
        for (int bound = F.loopBound(k); kk < bound; kk += L) {
            FloatVector w = Vectors.halfToFloat(
                    ShortVector.fromMemorySegment(SHORTS, data, base + (long) kk * Short.BYTES, LE));
            acc = w.fma(FloatVector.fromArray(F, x, xOff + kk), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; kk < k; kk++) {
            sum += Float.float16ToFloat(data.get(SHORT_LE, base + (long) kk * Short.BYTES)) * x[xOff + kk];
        }
        return sum;
    }
}

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

    /**
     * Two accumulators to overlap the FMA latency; four would inline four copies of the half
     * conversion, past what C2 inlines (NodeCountInliningCutoff), and box every vector.
     */
    @Override
    public float dot(int row, float[] x, int xOff) {
        int k = cols();
        long base = (long) row * k * Short.BYTES;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int kk = 0;
        for (int bound = k - k % (2 * L); kk < bound; kk += 2 * L) {
            acc0 = load(base, kk).fma(FloatVector.fromArray(F, x, xOff + kk), acc0);
            acc1 = load(base, kk + L).fma(FloatVector.fromArray(F, x, xOff + kk + L), acc1);
        }
        for (int bound = F.loopBound(k); kk < bound; kk += L) {
            acc0 = load(base, kk).fma(FloatVector.fromArray(F, x, xOff + kk), acc0);
        }
        float sum = LaneSum.of(acc0.add(acc1));
        for (; kk < k; kk++) {
            sum += Float.float16ToFloat(data.get(SHORT_LE, base + (long) kk * Short.BYTES)) * x[xOff + kk];
        }
        return sum;
    }

    private FloatVector load(long rowBase, int column) {
        return Vectors.halfToFloat(
                ShortVector.fromMemorySegment(SHORTS, data, rowBase + (long) column * Short.BYTES, LE));
    }
}

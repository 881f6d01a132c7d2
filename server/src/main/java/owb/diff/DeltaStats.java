package owb.diff;

import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How far a derivative tensor moved from its base, from one streaming pass over both: chunks are
 * decoded into per-thread buffers and reduced with the Vector API, chunks in parallel. Norms
 * accumulate in float within a short run of elements and in double across runs.
 *
 * @param elements               elements compared
 * @param normBase               ||W_base||_F
 * @param normDerivative         ||W_ft||_F
 * @param normDelta              ||W_ft - W_base||_F
 * @param relChange              normDelta / normBase (infinite when the base is all zeros and the delta is not)
 * @param cosine                 <W_base, W_ft> / (normBase · normDerivative)
 * @param maxAbsDelta            max |W_ft - W_base|
 * @param meanAbsDelta           mean |W_ft - W_base|
 * @param fractionChanged        share of elements whose value differs at all (W_ft != W_base)
 * @param fractionBeyondTolerance share with |W_ft - W_base| > {@link #TOLERANCE} · max(1, |W_base|):
 *                               differences beyond a few float32 rounding steps of a weight near 1
 * @param signFlips              elements with W_base · W_ft < 0
 */
public record DeltaStats(long elements, double normBase, double normDerivative, double normDelta,
                         double relChange, double cosine, double maxAbsDelta, double meanAbsDelta,
                         double fractionChanged, double fractionBeyondTolerance, long signFlips) {

    /** The relative tolerance of {@link #fractionBeyondTolerance}. */
    public static final float TOLERANCE = 1e-6f;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Elements per parallel work unit: a multiple of every block size (32, 256). */
    static final int CHUNK = 1 << 16;
    /** Elements summed in float before the sum moves to a double. */
    private static final int RUN = 1024;
    private static final ThreadLocal<float[][]> BUFFERS =
            ThreadLocal.withInitial(() -> new float[][] {new float[CHUNK], new float[CHUNK]});

    /** Compares canonical elements [0, elements) of both views. */
    public static DeltaStats compute(TensorView base, TensorView derivative, long elements) {
        int chunks = (int) ((elements + CHUNK - 1) / CHUNK);
        Partial total = IntStream.range(0, chunks).parallel()
                .mapToObj(c -> chunk(base, derivative, (long) c * CHUNK,
                        (int) Math.min(CHUNK, elements - (long) c * CHUNK)))
                .reduce(new Partial(), Partial::plus);
        return total.stats(elements);
    }

    private static Partial chunk(TensorView base, TensorView derivative, long first, int count) {
        float[][] buffers = BUFFERS.get();
        float[] b = buffers[0];
        float[] d = buffers[1];
        base.read(first, count, b, 0);
        derivative.read(first, count, d, 0);
        Partial p = new Partial();
        for (int start = 0; start < count; start += RUN) {
            int end = Math.min(count, start + RUN);
            FloatVector sbb = FloatVector.zero(F), sdd = FloatVector.zero(F), sxx = FloatVector.zero(F),
                    sbd = FloatVector.zero(F), sabs = FloatVector.zero(F), vmax = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += F.length()) {
                FloatVector vb = FloatVector.fromArray(F, b, i);
                FloatVector vd = FloatVector.fromArray(F, d, i);
                FloatVector delta = vd.sub(vb);
                FloatVector abs = delta.abs();
                sbb = vb.fma(vb, sbb);
                sdd = vd.fma(vd, sdd);
                sxx = delta.fma(delta, sxx);
                sbd = vb.fma(vd, sbd);
                sabs = sabs.add(abs);
                vmax = vmax.max(abs);
                VectorMask<Float> changed = vd.compare(VectorOperators.NE, vb);
                p.changed += changed.trueCount();
                FloatVector limit = vb.abs().max(1f).mul(TOLERANCE);
                p.beyond += abs.compare(VectorOperators.GT, limit).trueCount();
                p.flips += vb.mul(vd).compare(VectorOperators.LT, 0f).trueCount();
            }
            float bb = sbb.reduceLanes(VectorOperators.ADD), dd = sdd.reduceLanes(VectorOperators.ADD),
                    xx = sxx.reduceLanes(VectorOperators.ADD), bd = sbd.reduceLanes(VectorOperators.ADD),
                    sa = sabs.reduceLanes(VectorOperators.ADD), mx = vmax.reduceLanes(VectorOperators.MAX);
            for (; i < end; i++) {
                float delta = d[i] - b[i];
                float abs = Math.abs(delta);
                bb += b[i] * b[i];
                dd += d[i] * d[i];
                xx += delta * delta;
                bd += b[i] * d[i];
                sa += abs;
                mx = Math.max(mx, abs);
                if (d[i] != b[i]) p.changed++;
                if (abs > TOLERANCE * Math.max(1f, Math.abs(b[i]))) p.beyond++;
                if (b[i] * d[i] < 0f) p.flips++;
            }
            p.bb += bb;
            p.dd += dd;
            p.xx += xx;
            p.bd += bd;
            p.abs += sa;
            p.max = Math.max(p.max, mx);
        }
        return p;
    }

    private static final class Partial {
        double bb, dd, xx, bd, abs, max;
        long changed, beyond, flips;

        Partial plus(Partial o) {
            Partial s = new Partial();
            s.bb = bb + o.bb;
            s.dd = dd + o.dd;
            s.xx = xx + o.xx;
            s.bd = bd + o.bd;
            s.abs = abs + o.abs;
            s.max = Math.max(max, o.max);
            s.changed = changed + o.changed;
            s.beyond = beyond + o.beyond;
            s.flips = flips + o.flips;
            return s;
        }

        DeltaStats stats(long n) {
            double nb = Math.sqrt(bb), nd = Math.sqrt(dd), nx = Math.sqrt(xx);
            double rel = nb > 0 ? nx / nb : (nx > 0 ? Double.POSITIVE_INFINITY : 0);
            double cos = nb > 0 && nd > 0 ? bd / (nb * nd) : (nb == nd ? 1 : 0);
            double count = Math.max(1, n);
            return new DeltaStats(n, nb, nd, nx, rel, cos, max, abs / count, changed / count,
                    beyond / count, flips);
        }
    }
}

package owb.diff;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import owb.checkpoint.DType;
import owb.tensor.LaneSum;

/**
 * How far a derivative tensor moved from its base, from one streaming pass over both, chunks in
 * parallel on all cores. F32 and BF16 tensors in stored row order are read straight from the mapped
 * files (BF16 widened in registers); anything else (quantized or F16 tensors, GGUF q/k rows to
 * un-permute, one side of a mixed pair) is first decoded into a per-thread buffer. Norms accumulate
 * in float within a run of {@link #RUN} elements and in double across runs; counts in float lanes
 * within a run (exact: at most {@code RUN / lanes} per lane).
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
    /** As many ints, and shorts, as {@link #F} has floats: lane i widens to lane i. */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Elements per parallel work unit: a multiple of every block size (32, 256). */
    static final int CHUNK = 1 << 16;
    /** Elements summed in float before the sums move to doubles. */
    static final int RUN = 1024;
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

    /** The same statistics by plain scalar code over decoded values, in double: the kernels' reference. */
    public static DeltaStats computeScalar(TensorView base, TensorView derivative, long elements) {
        Partial p = new Partial();
        float[] b = new float[CHUNK];
        float[] d = new float[CHUNK];
        for (long first = 0; first < elements; first += CHUNK) {
            int count = (int) Math.min(CHUNK, elements - first);
            base.read(first, count, b, 0);
            derivative.read(first, count, d, 0);
            for (int i = 0; i < count; i++) {
                double delta = (double) d[i] - b[i];
                p.bb += (double) b[i] * b[i];
                p.dd += (double) d[i] * d[i];
                p.xx += delta * delta;
                p.bd += (double) b[i] * d[i];
                float abs = Math.abs(d[i] - b[i]);
                p.abs += abs;
                p.max = Math.max(p.max, abs);
                if (d[i] != b[i]) p.changed++;
                if (abs > TOLERANCE * Math.max(1f, Math.abs(b[i]))) p.beyond++;
                if (b[i] * d[i] < 0f) p.flips++;
            }
        }
        return p.stats(elements);
    }

    /** Whether a view's elements lie in its file as plain {@code dtype} values in canonical order. */
    private static boolean direct(TensorView v, DType dtype) {
        return !v.rearranged() && v.entry().dtype() == dtype;
    }

    private static Partial chunk(TensorView base, TensorView derivative, long first, int count) {
        Partial p = new Partial();
        if (direct(base, DType.BF16) && direct(derivative, DType.BF16)) {
            bf16(base.entry().data(), 2 * first, derivative.entry().data(), 2 * first, count, p);
            return p;
        }
        MemorySegment b;
        MemorySegment d;
        long bAt = 0;
        long dAt = 0;
        float[][] buffers = BUFFERS.get();
        if (direct(base, DType.F32)) {
            b = base.entry().data();
            bAt = 4 * first;
        } else {
            base.read(first, count, buffers[0], 0);
            b = MemorySegment.ofArray(buffers[0]);
        }
        if (direct(derivative, DType.F32)) {
            d = derivative.entry().data();
            dAt = 4 * first;
        } else {
            derivative.read(first, count, buffers[1], 0);
            d = MemorySegment.ofArray(buffers[1]);
        }
        f32(b, bAt, d, dAt, count, p);
        return p;
    }

    /**
     * Folds {@code count} float32 pairs, little-endian at {@code b[bAt..]} and {@code d[dAt..]}, into
     * {@code p}, one {@link #RUN} per call of the loop method. The loop method has no vector-returning
     * helper inside, so that C2 keeps every vector in a register (see owb.audit.VectorKernels). Until
     * C2 has compiled it (in a fresh JVM, the first ~1 s of a pass) it runs in the interpreter and C1 at
     * a small fraction of its speed; nothing here warms it up ahead of time.
     */
    static void f32(MemorySegment b, long bAt, MemorySegment d, long dAt, int count, Partial p) {
        for (int start = 0; start < count; start += RUN) f32Run(b, bAt, d, dAt, start, Math.min(count, start + RUN), p);
    }

    private static void f32Run(MemorySegment b, long bAt, MemorySegment d, long dAt, int start, int end, Partial p) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector sbb = FloatVector.zero(F), sdd = sbb, sxx = sbb, sbd = sbb, sabs = sbb, vmax = sbb;
        FloatVector changed = sbb, beyond = sbb, flips = sbb;
        int i = start;
        for (int upper = start + F.loopBound(end - start); i < upper; i += F.length()) {
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bAt + 4L * i, LE);
            FloatVector vd = FloatVector.fromMemorySegment(F, d, dAt + 4L * i, LE);
            FloatVector delta = vd.sub(vb);
            FloatVector abs = delta.abs();
            sbb = vb.fma(vb, sbb);
            sdd = vd.fma(vd, sdd);
            sxx = delta.fma(delta, sxx);
            sbd = vb.fma(vd, sbd);
            sabs = sabs.add(abs);
            vmax = vmax.max(abs);
            changed = changed.add(one, vd.compare(VectorOperators.NE, vb));
            beyond = beyond.add(one, abs.compare(VectorOperators.GT, vb.abs().max(one).mul(TOLERANCE)));
            flips = flips.add(one, vb.mul(vd).compare(VectorOperators.LT, 0f));
        }
        float bb = LaneSum.of(sbb), dd = LaneSum.of(sdd),
                xx = LaneSum.of(sxx), bd = LaneSum.of(sbd),
                sa = LaneSum.of(sabs), mx = vmax.reduceLanes(VectorOperators.MAX);
        long nChanged = (long) changed.reduceLanes(VectorOperators.ADD);
        long nBeyond = (long) beyond.reduceLanes(VectorOperators.ADD);
        long nFlips = (long) flips.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            float vb = b.get(FLOAT_LE, bAt + 4L * i);
            float vd = d.get(FLOAT_LE, dAt + 4L * i);
            float delta = vd - vb;
            float abs = Math.abs(delta);
            bb += vb * vb;
            dd += vd * vd;
            xx += delta * delta;
            bd += vb * vd;
            sa += abs;
            mx = Math.max(mx, abs);
            if (vd != vb) nChanged++;
            if (abs > TOLERANCE * Math.max(1f, Math.abs(vb))) nBeyond++;
            if (vb * vd < 0f) nFlips++;
        }
        p.add(bb, dd, xx, bd, sa, mx, nChanged, nBeyond, nFlips);
    }

    /** As {@link #f32} for bfloat16 pairs (2 bytes each), widened to float32 in registers. */
    static void bf16(MemorySegment b, long bAt, MemorySegment d, long dAt, int count, Partial p) {
        for (int start = 0; start < count; start += RUN) bf16Run(b, bAt, d, dAt, start, Math.min(count, start + RUN), p);
    }

    private static void bf16Run(MemorySegment b, long bAt, MemorySegment d, long dAt, int start, int end, Partial p) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector sbb = FloatVector.zero(F), sdd = sbb, sxx = sbb, sbd = sbb, sabs = sbb, vmax = sbb;
        FloatVector changed = sbb, beyond = sbb, flips = sbb;
        int i = start;
        for (int upper = start + F.loopBound(end - start); i < upper; i += F.length()) {
            FloatVector vb = ((IntVector) ShortVector.fromMemorySegment(S, b, bAt + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector vd = ((IntVector) ShortVector.fromMemorySegment(S, d, dAt + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector delta = vd.sub(vb);
            FloatVector abs = delta.abs();
            sbb = vb.fma(vb, sbb);
            sdd = vd.fma(vd, sdd);
            sxx = delta.fma(delta, sxx);
            sbd = vb.fma(vd, sbd);
            sabs = sabs.add(abs);
            vmax = vmax.max(abs);
            changed = changed.add(one, vd.compare(VectorOperators.NE, vb));
            beyond = beyond.add(one, abs.compare(VectorOperators.GT, vb.abs().max(one).mul(TOLERANCE)));
            flips = flips.add(one, vb.mul(vd).compare(VectorOperators.LT, 0f));
        }
        float bb = LaneSum.of(sbb), dd = LaneSum.of(sdd),
                xx = LaneSum.of(sxx), bd = LaneSum.of(sbd),
                sa = LaneSum.of(sabs), mx = vmax.reduceLanes(VectorOperators.MAX);
        long nChanged = (long) changed.reduceLanes(VectorOperators.ADD);
        long nBeyond = (long) beyond.reduceLanes(VectorOperators.ADD);
        long nFlips = (long) flips.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            float vb = Float.intBitsToFloat(b.get(SHORT_LE, bAt + 2L * i) << 16);
            float vd = Float.intBitsToFloat(d.get(SHORT_LE, dAt + 2L * i) << 16);
            float delta = vd - vb;
            float abs = Math.abs(delta);
            bb += vb * vb;
            dd += vd * vd;
            xx += delta * delta;
            bd += vb * vd;
            sa += abs;
            mx = Math.max(mx, abs);
            if (vd != vb) nChanged++;
            if (abs > TOLERANCE * Math.max(1f, Math.abs(vb))) nBeyond++;
            if (vb * vd < 0f) nFlips++;
        }
        p.add(bb, dd, xx, bd, sa, mx, nChanged, nBeyond, nFlips);
    }

    static final class Partial {
        double bb, dd, xx, bd, abs, max;
        long changed, beyond, flips;

        void add(float bb, float dd, float xx, float bd, float abs, float max, long changed, long beyond, long flips) {
            this.bb += bb;
            this.dd += dd;
            this.xx += xx;
            this.bd += bd;
            this.abs += abs;
            this.max = Math.max(this.max, max);
            this.changed += changed;
            this.beyond += beyond;
            this.flips += flips;
        }

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

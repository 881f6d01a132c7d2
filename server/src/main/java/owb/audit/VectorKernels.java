package owb.audit;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The loops of the statistics kernel, one block (a few thousand floats, in L1) at a time. Each loop
 * is its own small method so that C2 compiles it whole: a single method holding every vector
 * operation of a pass exceeds the JIT's inlining budget and then runs boxed, 10x slower.
 *
 * <p>Floats are read little-endian from a {@link MemorySegment}: the mapped file for F32, or a
 * heap segment over a decoded block for every other dtype. Lane tails run the same arithmetic in
 * scalar code.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    static final int LANES = F.length();

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Slots per pair table: bin(a) * 64 + bin(b) for two values counted at once, then 64 for single values. */
    static final int PAIR_SLOTS = Histogram.BINS * Histogram.BINS + Histogram.BINS;

    private VectorKernels() {}

    /** Minimum, maximum and zero count of one block, all finite values. */
    static final class Range {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        long zeros;
        long nans;
        long infs;

        void merge(Range o) {
            min = Math.min(min, o.min);
            max = Math.max(max, o.max);
            zeros += o.zeros;
            nans += o.nans;
            infs += o.infs;
        }

        long nonFinite() { return nans + infs; }
    }

    /**
     * Pass 1 over {@code n} floats at {@code offset}: folds min, max and zeros into {@code r} and
     * returns true, or returns false without touching {@code r} when the block holds a NaN or an
     * infinity (the caller then scans it with {@link #scanRangeScalar}). Keeping non-finite values
     * out of the loop leaves it free of per-element branches.
     */
    static boolean scanRange(MemorySegment src, long offset, int n, Range r) {
        FloatVector min = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        VectorMask<Float> finite = F.maskAll(true);
        long zeros = 0;
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(F, src, offset + 4L * i, LE);
            finite = finite.and(v.abs().compare(VectorOperators.LT, Float.POSITIVE_INFINITY));
            zeros += v.compare(VectorOperators.EQ, 0f).trueCount();
            min = min.blend(v, v.compare(VectorOperators.LT, min));
            max = max.blend(v, max.compare(VectorOperators.LT, v));
        }
        if (!finite.allTrue()) return false;
        float lo = min.reduceLanes(VectorOperators.MIN);
        float hi = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            float x = src.get(FLOAT_LE, offset + 4L * i);
            if (!Float.isFinite(x)) return false;
            if (x == 0) zeros++;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        r.min = Math.min(r.min, lo);
        r.max = Math.max(r.max, hi);
        r.zeros += zeros;
        return true;
    }

    /** Pass 1 for a block with non-finite values: counts them apart. */
    static void scanRangeScalar(MemorySegment src, long offset, int n, Range r) {
        for (int i = 0; i < n; i++) {
            float x = src.get(FLOAT_LE, offset + 4L * i);
            if (Float.isNaN(x)) {
                r.nans++;
            } else if (Float.isInfinite(x)) {
                r.infs++;
            } else {
                if (x == 0) r.zeros++;
                if (x < r.min) r.min = x;
                if (x > r.max) r.max = x;
            }
        }
    }

    /**
     * Pass 2: adds {@code sum(x - shift)} and {@code sum((x - shift)^2)} over the block, in
     * double, to {@code sums[0]} and {@code sums[1]}. All values must be finite. The lanes are
     * summed in a fixed order so that a tensor's statistics never depend on how the JIT reduces.
     */
    static void accumulateMoments(MemorySegment src, long offset, int n, double shift, double[] sums, double[] lanes) {
        DoubleVector k = DoubleVector.broadcast(D, shift);
        DoubleVector s1a = DoubleVector.zero(D);
        DoubleVector s1b = s1a;
        DoubleVector s2a = s1a;
        DoubleVector s2b = s1a;
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(F, src, offset + 4L * i, LE);
            DoubleVector a = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0)).sub(k);
            DoubleVector b = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1)).sub(k);
            s1a = s1a.add(a);
            s1b = s1b.add(b);
            s2a = a.fma(a, s2a);
            s2b = b.fma(b, s2b);
        }
        double s1 = sumInOrder(s1a.add(s1b), lanes);
        double s2 = sumInOrder(s2a.add(s2b), lanes);
        for (; i < n; i++) {
            double d = src.get(FLOAT_LE, offset + 4L * i) - shift;
            s1 += d;
            s2 += d * d;
        }
        sums[0] += s1;
        sums[1] += s2;
    }

    private static double sumInOrder(DoubleVector v, double[] lanes) {
        v.intoArray(lanes, 0);
        double s = 0;
        for (int j = 0; j < D.length(); j++) s += lanes[j];
        return s;
    }

    /**
     * The float thresholds of a {@link BinEdges} as int vectors, for a lane-wise table lookup:
     * {@code parts[p]} holds thresholds {@code p * LANES ..}.
     */
    static IntVector[] thresholdTable(BinEdges edges) {
        int[] bits = edges.thresholdBits();
        IntVector[] parts = new IntVector[Histogram.BINS / LANES];
        for (int p = 0; p < parts.length; p++) parts[p] = IntVector.fromArray(I, bits, p * LANES);
        return parts;
    }

    /**
     * Pass 2: counts the block's values into {@code pairCounts}, two at a time: the bins of lane j
     * of two consecutive vectors make one slot {@code a * 64 + b}, which halves the scalar
     * increments (the one part of a histogram that does not vectorise). The slot indices go
     * through {@code pairIndex} (at least n/2 long) before they are counted: counting straight
     * from a just-stored vector stalls on store forwarding. All values must be finite and within
     * the edges; {@code edges.fastPath} must hold.
     */
    static void countBins(MemorySegment src, long offset, int n, BinEdges edges, IntVector[] thresholds,
                          int[] pairIndex, int[] pairCounts) {
        FloatVector min = FloatVector.broadcast(F, edges.minF);
        FloatVector scale = FloatVector.broadcast(F, edges.scaleF);
        FloatVector slack = FloatVector.broadcast(F, -BinEdges.FORMULA_SLACK);
        int pairs = 0;
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, offset + 4L * i, LE);
            FloatVector b = FloatVector.fromMemorySegment(F, src, offset + 4L * (i + LANES), LE);
            IntVector binA = bins(a, min, scale, slack, thresholds);
            IntVector binB = bins(b, min, scale, slack, thresholds);
            binA.lanewise(VectorOperators.LSHL, 6).or(binB).intoArray(pairIndex, pairs);
            pairs += LANES;
        }
        for (int p = 0; p < pairs; p++) pairCounts[pairIndex[p]]++;
        int singles = Histogram.BINS * Histogram.BINS;
        for (; i < n; i++) pairCounts[singles + binScalar(src.get(FLOAT_LE, offset + 4L * i), edges)]++;
    }

    /**
     * Bin of each lane: {@code j = trunc((x - min) * scale - slack)} is the bin or one below it
     * (see {@link BinEdges}); one compare against threshold j, looked up lane-wise, settles it.
     */
    private static IntVector bins(FloatVector x, FloatVector min, FloatVector scale, FloatVector slack, IntVector[] thresholds) {
        IntVector j = (IntVector) x.sub(min).fma(scale, slack).convert(VectorOperators.F2I, 0);
        FloatVector next = lookup(j, thresholds).reinterpretAsFloats();
        return j.add(1, x.compare(VectorOperators.GE, next).cast(I));
    }

    /** {@code table[j]} per lane, for a 64-entry table split across vectors, via two-vector selects. */
    private static IntVector lookup(IntVector j, IntVector[] table) {
        if (table.length == 4) {
            IntVector low = j.selectFrom(table[0], table[1]);
            IntVector high = j.selectFrom(table[2], table[3]);
            return low.blend(high, j.compare(VectorOperators.GE, 2 * LANES));
        }
        IntVector result = j.selectFrom(table[0], table[1]);
        for (int p = 2; p < table.length; p += 2) {
            result = result.blend(j.selectFrom(table[p], table[p + 1]), j.compare(VectorOperators.GE, p * LANES));
        }
        return result;
    }

    /** The scalar twin of {@link #bins}, for lane tails. */
    static int binScalar(float x, BinEdges edges) {
        int j = (int) Math.fma(x - edges.minF, edges.scaleF, -BinEdges.FORMULA_SLACK);
        return x >= edges.upperThreshold(j) ? j + 1 : j;
    }

    /** Adds the pair table into 64 bin counts and clears it. */
    static void foldPairs(int[] pairCounts, long[] counts) {
        int bins = Histogram.BINS;
        for (int a = 0; a < bins; a++) {
            long row = 0;
            for (int b = 0; b < bins; b++) {
                int c = pairCounts[a * bins + b];
                row += c;
                counts[b] += c;
            }
            counts[a] += row + pairCounts[bins * bins + a];
        }
        java.util.Arrays.fill(pairCounts, 0);
    }

    /**
     * Replaces NaN and ±Inf in {@code block[0, n)} by {@code replacement}; returns how many. Pass 2
     * runs on sanitised blocks and subtracts the replacements afterwards.
     */
    static int replaceNonFinite(float[] block, int n, float replacement) {
        int replaced = 0;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(block[i])) {
                block[i] = replacement;
                replaced++;
            }
        }
        return replaced;
    }

    /**
     * Decodes {@code n} BF16 values to floats. Each int lane holds two values: shifted up it is the
     * first as float bits, masked it is the second. The block comes out in an order of its own
     * (first values of a vector's pairs, then the second ones), which no statistic depends on.
     */
    static void decodeBf16(MemorySegment src, long offset, int n, float[] out) {
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            IntVector w = IntVector.fromMemorySegment(I, src, offset + 2L * i, LE);
            w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, i);
            w.and(0xffff0000).reinterpretAsFloats().intoArray(out, i + LANES);
        }
        for (; i < n; i++) out[i] = Float.intBitsToFloat(src.get(SHORT_LE, offset + 2L * i) << 16);
    }

    /** Decodes {@code n} F16 values to floats, in the same order of its own as {@link #decodeBf16}. */
    static void decodeF16(MemorySegment src, long offset, int n, float[] out) {
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            IntVector w = IntVector.fromMemorySegment(I, src, offset + 2L * i, LE);
            halfToFloat(w.and(0xffff)).intoArray(out, i);
            halfToFloat(w.lanewise(VectorOperators.LSHR, 16)).intoArray(out, i + LANES);
        }
        for (; i < n; i++) out[i] = Float.float16ToFloat(src.get(SHORT_LE, offset + 2L * i));
    }

    /**
     * IEEE half (low 16 bits of each lane) to float: exponent and mantissa moved to float position
     * and scaled by 2^112 (the exponent bias difference, 127 - 15), which also turns half
     * subnormals into float normals exactly; Inf and NaN get the all-ones float exponent.
     */
    private static FloatVector halfToFloat(IntVector h) {
        IntVector magnitude = h.and(0x7fff);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        FloatVector finite = shifted.reinterpretAsFloats().mul(0x1p112f);
        IntVector special = shifted.or(0x7f800000);
        IntVector bits = finite.reinterpretAsInts().blend(special, magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(sign).reinterpretAsFloats();
    }

    private static final long PRIME_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME_2 = 0xC2B2AE3D27D4EB4FL;

    /**
     * A 64-bit hash of {@code length} raw bytes, seeded: two independent multiply-rotate chains
     * per long lane over 2 vectors at a time, folded with a 64-bit finaliser. Equal bytes give
     * equal hashes; callers confirm equal hashes by comparing the bytes.
     */
    static long hashBytes(MemorySegment src, long offset, long length, long seed) {
        LongVector lane = LongVector.zero(L).addIndex(1).mul(PRIME_2);
        LongVector h0 = lane.add(seed ^ PRIME_1);
        LongVector h1 = lane.add(seed ^ PRIME_2);
        long step = L.vectorByteSize();
        long p = 0;
        for (; p <= length - 2 * step; p += 2 * step) {
            LongVector a = LongVector.fromMemorySegment(L, src, offset + p, LE);
            LongVector b = LongVector.fromMemorySegment(L, src, offset + p + step, LE);
            h0 = h0.lanewise(VectorOperators.XOR, a).mul(PRIME_1).lanewise(VectorOperators.ROL, 31);
            h1 = h1.lanewise(VectorOperators.XOR, b).mul(PRIME_1).lanewise(VectorOperators.ROL, 31);
        }
        long h = seed ^ length;
        for (int j = 0; j < L.length(); j++) {
            h = mix(h ^ h0.lane(j));
            h = mix(h ^ h1.lane(j));
        }
        for (; p + 8 <= length; p += 8) h = mix(h ^ src.get(LONG_LE, offset + p));
        for (; p < length; p++) h = mix(h ^ (src.get(ValueLayout.JAVA_BYTE, offset + p) & 0xffL) ^ (p << 8));
        return h;
    }

    /** MurmurHash3's fmix64 finaliser. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}

package owb.audit;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The loops of the statistics kernel, one block (a few thousand values, in L1) at a time.
 *
 * <p>Each loop is one method with no helper calls inside: C2 inlines Vector API operations
 * whatever their size, but a helper of ours that returns a vector is inlined only while the
 * caller is small, and when it is not, every vector it returns is boxed and the loop runs ten
 * times slower.
 *
 * <p>Floats are read little-endian from a {@link MemorySegment}: the mapped file for F32, or a
 * heap segment over a decoded block for other dtypes. Lane tails run the same arithmetic in
 * scalar code.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int LANES = F.length();

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Slots per pair table: bin(a) * 64 + bin(b) for two values counted at once, then 64 for single values. */
    static final int PAIR_SLOTS = Histogram.BINS * Histogram.BINS + Histogram.BINS;

    private VectorKernels() {}

    /**
     * Pass-1 totals of a chunk: range, zeros, non-finite counts, and the finite values' sums of
     * {@code x - shift} and {@code (x - shift)^2} in double.
     */
    static final class BlockStats {
        final double shift;
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        long zeros;
        long nans;
        long infs;
        double sum1;
        double sum2;

        BlockStats(double shift) { this.shift = shift; }

        long nonFinite() { return nans + infs; }
    }

    /**
     * Pass 1 over {@code n} floats: folds min, max, zeros and the shifted sums into {@code s} and
     * returns true, or returns false without touching {@code s} when the block holds a NaN or an
     * infinity (the caller then uses {@link ScalarKernels#scanBlockWithNonFinite}); keeping
     * non-finite values out of the loop leaves it without a branch per element. A NaN or Inf turns the sum of
     * {@code x * 0} NaN, which is how the loop notices one at the cost of one FMA.
     */
    static boolean scanBlock(MemorySegment src, long offset, int n, BlockStats s, double[] lanes) {
        FloatVector min = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector poison = FloatVector.zero(F);
        FloatVector zero = FloatVector.zero(F);
        DoubleVector k = DoubleVector.broadcast(D, s.shift);
        DoubleVector s1a = DoubleVector.zero(D);
        DoubleVector s1b = s1a;
        DoubleVector s2a = s1a;
        DoubleVector s2b = s1a;
        long zeros = 0;
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(F, src, offset + 4L * i, LE);
            poison = v.fma(zero, poison);
            zeros += v.compare(VectorOperators.EQ, 0f).trueCount();
            min = min.blend(v, v.compare(VectorOperators.LT, min));
            max = max.blend(v, max.compare(VectorOperators.LT, v));
            DoubleVector a = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0)).sub(k);
            DoubleVector b = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1)).sub(k);
            // the vector just made is the receiver: its class is known exactly where C2 parses the
            // loop, while an accumulator's is not, and a profile too young to name it (a cold run's
            // early compile) left each add a virtual call that boxed every vector
            s1a = a.add(s1a);
            s1b = b.add(s1b);
            s2a = a.fma(a, s2a);
            s2b = b.fma(b, s2b);
        }
        if (poison.compare(VectorOperators.EQ, 0f).trueCount() != LANES) return false;
        // lanes are summed in a fixed order so that results never depend on how the JIT reduces;
        // -0.0 is the identity of addition and, a vector of known class, the receiver (see above)
        DoubleVector identity = DoubleVector.broadcast(D, -0.0);
        identity.add(s1a).add(s1b).intoArray(lanes, 0);
        double sum1 = 0;
        for (int j = 0; j < D.length(); j++) sum1 += lanes[j];
        identity.add(s2a).add(s2b).intoArray(lanes, 0);
        double sum2 = 0;
        for (int j = 0; j < D.length(); j++) sum2 += lanes[j];
        float lo = min.reduceLanes(VectorOperators.MIN);
        float hi = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            float x = src.get(FLOAT_LE, offset + 4L * i);
            if (!Float.isFinite(x)) return false;
            if (x == 0) zeros++;
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
            double d = x - s.shift;
            sum1 += d;
            sum2 += d * d;
        }
        s.min = Math.min(s.min, lo);
        s.max = Math.max(s.max, hi);
        s.zeros += zeros;
        s.sum1 += sum1;
        s.sum2 += sum2;
        return true;
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

    /** Whether {@link #countBinPairs} can look thresholds up on this machine (16 float lanes: AVX-512). */
    static boolean vectorBinning() { return LANES == 16; }

    /**
     * Pass 2: counts the block's values into {@code pairCounts}, two at a time: the bins of lane j
     * of two consecutive vectors make one slot {@code a * 64 + b}, which halves the scalar
     * increments, the one part of a histogram that does not vectorise. Slot indices go through
     * {@code pairIndex} (at least n/2 long) before being counted, two steps behind the vector
     * work: counting straight from a just-stored vector stalls on store forwarding.
     *
     * <p>A bin is found as {@code j = trunc((x - min) * scale - slack)}, which is the bin or one
     * below it (see {@link BinEdges}), then one compare with threshold j, looked up lane-wise in
     * the 64-entry table with two two-vector selects. All values must be finite and within the
     * edges; {@code edges.fastPath} and {@link #vectorBinning()} must hold.
     */
    static void countBinPairs(MemorySegment src, long offset, int n, BinEdges edges, IntVector[] thresholds,
                              int[] pairIndex, int[] pairCounts) {
        FloatVector min = FloatVector.broadcast(F, edges.minF);
        FloatVector scale = FloatVector.broadcast(F, edges.scaleF);
        FloatVector slack = FloatVector.broadcast(F, -BinEdges.FORMULA_SLACK);
        IntVector t0 = thresholds[0];
        IntVector t1 = thresholds[1];
        IntVector t2 = thresholds[2];
        IntVector t3 = thresholds[3];
        int pairs = 0;
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, offset + 4L * i, LE);
            FloatVector b = FloatVector.fromMemorySegment(F, src, offset + 4L * (i + LANES), LE);
            IntVector ja = (IntVector) a.sub(min).fma(scale, slack).convert(VectorOperators.F2I, 0);
            IntVector jb = (IntVector) b.sub(min).fma(scale, slack).convert(VectorOperators.F2I, 0);
            FloatVector nextA = ja.selectFrom(t0, t1).blend(ja.selectFrom(t2, t3), ja.compare(VectorOperators.GE, 2 * LANES))
                    .reinterpretAsFloats();
            FloatVector nextB = jb.selectFrom(t0, t1).blend(jb.selectFrom(t2, t3), jb.compare(VectorOperators.GE, 2 * LANES))
                    .reinterpretAsFloats();
            IntVector binA = ja.add(1, a.compare(VectorOperators.GE, nextA).cast(I));
            IntVector binB = jb.add(1, b.compare(VectorOperators.GE, nextB).cast(I));
            if (pairs >= 2 * LANES) {
                // count the slots of the step before last while this step's vector work runs: the
                // scalar increments and the vector arithmetic use different ports, so they overlap
                countSlots(pairIndex, pairs - 2 * LANES, pairs - LANES, pairCounts);
            }
            binA.lanewise(VectorOperators.LSHL, 6).or(binB).intoArray(pairIndex, pairs);
            pairs += LANES;
        }
        countSlots(pairIndex, Math.max(0, pairs - 2 * LANES), pairs, pairCounts);
        int singles = Histogram.BINS * Histogram.BINS;
        for (; i < n; i++) pairCounts[singles + binScalar(src.get(FLOAT_LE, offset + 4L * i), edges)]++;
    }

    /**
     * Counts {@code slots[from, to)} into {@code counts}. A method of its own so that HotSpot counts
     * its loop's iterations here and not in {@link #countBinPairs}: sixteen of them a step would
     * have the kernel's own loop compiled on its own (on-stack replacement) during the warm-up,
     * before and beside the whole method, which is the compile every real block uses. C2 inlines it.
     */
    private static void countSlots(int[] slots, int from, int to, int[] counts) {
        for (int p = from; p < to; p++) counts[slots[p]]++;
    }

    /** The scalar twin of the binning in {@link #countBinPairs}. */
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
     * runs on sanitised blocks and takes the replacements off the histogram afterwards.
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

    /**
     * Decodes {@code n} F16 values to floats, in the same order of its own as {@link #decodeBf16}:
     * exponent and mantissa move to float position and are scaled by 2^112 (the bias difference
     * 127 - 15), which also turns half subnormals into float normals exactly; Inf and NaN get the
     * all-ones float exponent.
     */
    static void decodeF16(MemorySegment src, long offset, int n, float[] out) {
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            IntVector w = IntVector.fromMemorySegment(I, src, offset + 2L * i, LE);
            IntVector first = w.and(0xffff);
            IntVector second = w.lanewise(VectorOperators.LSHR, 16);
            IntVector magnitude = first.and(0x7fff);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00))
                    .or(first.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(out, i);
            magnitude = second.and(0x7fff);
            shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00))
                    .or(second.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(out, i + LANES);
        }
        for (; i < n; i++) out[i] = Float.float16ToFloat(src.get(SHORT_LE, offset + 2L * i));
    }
}

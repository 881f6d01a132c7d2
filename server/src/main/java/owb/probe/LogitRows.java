package owb.probe;

import java.util.ArrayList;
import java.util.List;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import owb.tensor.Exp;
import owb.tensor.LaneSum;

/**
 * The logit lens's statistics of one row of logits x [vocab] with the Vector API, one exp per
 * element: with m = max x, S = Σ e^{x−m} and T = Σ e^{x−m}·(x−m),
 * log Z = m + ln S and the entropy is −Σ p ln p = ln S − T / S. Sums are accumulated in float
 * lanes over blocks of {@link #BLOCK} elements and in double across blocks.
 * {@link Distributions} holds the double-precision scalar versions the tests compare with.
 */
final class LogitRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 1024;

    private LogitRows() {}

    /** log Z and the entropy (nats) of softmax(x[from, from + vocab)). */
    record Softmax(double logZ, double entropy) {}

    static Softmax softmax(float[] x, int from, int vocab) {
        float max = max(x, from, vocab);
        FloatVector m = FloatVector.broadcast(F, max);
        double s = 0;
        double t = 0;
        for (int block = 0; block < vocab; block += BLOCK) {
            int end = Math.min(vocab, block + BLOCK);
            FloatVector sAcc = FloatVector.zero(F);
            FloatVector tAcc = FloatVector.zero(F);
            int i = block;
            for (int upper = block + F.loopBound(end - block); i < upper; i += F.length()) {
                FloatVector c = FloatVector.fromArray(F, x, from + i).sub(m);
                FloatVector e = Exp.exp(c);
                sAcc = sAcc.add(e);
                tAcc = e.fma(c, tAcc);
            }
            s += LaneSum.of(sAcc);
            t += LaneSum.of(tAcc);
            for (; i < end; i++) {
                double c = x[from + i] - max;
                double e = Math.exp(c);
                s += e;
                t += e * c;
            }
        }
        return new Softmax(max + Math.log(s), Math.log(s) - t / s);
    }

    /** p = e^{x − log Z} into out[0, vocab) (the final layer's distribution, kept for the KL of every other layer). */
    static void probabilities(float[] x, int from, int vocab, double logZ, float[] out) {
        FloatVector z = FloatVector.broadcast(F, (float) logZ);
        int i = 0;
        for (int upper = F.loopBound(vocab); i < upper; i += F.length()) {
            Exp.exp(FloatVector.fromArray(F, x, from + i).sub(z)).intoArray(out, i);
        }
        for (; i < vocab; i++) out[i] = (float) Math.exp(x[from + i] - logZ);
    }

    /**
     * KL(p ‖ q) with p = softmax(xp), q = softmax(x): Σ p (xp − x) − log Zp + log Z (no exp).
     *
     * @param p the probabilities of xp [vocab]
     */
    static double kl(float[] p, float[] xp, int fromP, double logZp, float[] x, int from, double logZ) {
        int vocab = p.length;
        double sum = 0;
        for (int block = 0; block < vocab; block += BLOCK) {
            int end = Math.min(vocab, block + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = block;
            for (int upper = block + F.loopBound(end - block); i < upper; i += F.length()) {
                FloatVector d = FloatVector.fromArray(F, xp, fromP + i).sub(FloatVector.fromArray(F, x, from + i));
                acc = FloatVector.fromArray(F, p, i).fma(d, acc);
            }
            sum += LaneSum.of(acc);
            for (; i < end; i++) sum += p[i] * ((double) xp[fromP + i] - x[from + i]);
        }
        return Math.max(0, sum - logZp + logZ);
    }

    /** 1-based rank of x[from + id]: one plus the number of strictly larger values. */
    static int rank(float[] x, int from, int vocab, int id) {
        float v = x[from + id];
        FloatVector target = FloatVector.broadcast(F, v);
        int rank = 1;
        int i = 0;
        for (int upper = F.loopBound(vocab); i < upper; i += F.length()) {
            rank += FloatVector.fromArray(F, x, from + i).compare(VectorOperators.GT, target).trueCount();
        }
        for (; i < vocab; i++) if (x[from + i] > v) rank++;
        return rank;
    }

    /**
     * The k largest of x[from, from + vocab) as (index, value), largest first, lower index first on
     * ties (as {@link Distributions#topValues}); a lane block is looked at element by element only
     * when one of its values beats the current k-th.
     */
    static List<TokenProb> top(float[] x, int from, int vocab, int k) {
        int[] best = new int[Math.min(k, vocab)];
        int count = 0;
        int i = 0;
        for (; i < vocab && count < best.length; i++) count = insert(x, from, best, count, i);
        for (int upper = i + F.loopBound(vocab - i); i < upper; i += F.length()) {
            float kth = x[from + best[count - 1]];
            VectorMask<Float> above = FloatVector.fromArray(F, x, from + i).compare(VectorOperators.GT, kth);
            if (!above.anyTrue()) continue;
            for (int j = i; j < i + F.length(); j++) count = insert(x, from, best, count, j);
        }
        for (; i < vocab; i++) count = insert(x, from, best, count, i);
        List<TokenProb> out = new ArrayList<>(count);
        for (int j = 0; j < count; j++) out.add(new TokenProb(best[j], null, x[from + best[j]]));
        return out;
    }

    private static int insert(float[] x, int from, int[] best, int count, int i) {
        if (count < best.length) {
            best[count++] = i;
        } else if (x[from + i] > x[from + best[count - 1]]) {
            best[count - 1] = i;
        } else {
            return count;
        }
        for (int j = count - 1; j > 0 && x[from + best[j]] > x[from + best[j - 1]]; j--) {
            int t = best[j]; best[j] = best[j - 1]; best[j - 1] = t;
        }
        return count;
    }

    private static float max(float[] x, int from, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (vocab >= F.length()) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int upper = F.loopBound(vocab); i < upper; i += F.length()) acc = acc.max(FloatVector.fromArray(F, x, from + i));
            max = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < vocab; i++) max = Math.max(max, x[from + i]);
        return max;
    }
}

package owb.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Softmax statistics over one row of logits, in double. */
public final class Distributions {
    private Distributions() {}

    /** log-softmax of logits[from, from + vocab). */
    public static double[] logSoftmax(float[] logits, int from, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[from + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[from + i] - max);
        double logZ = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) out[i] = logits[from + i] - logZ;
        return out;
    }

    /** Entropy in nats. */
    public static double entropy(double[] logp) {
        double h = 0;
        for (double lp : logp) {
            if (lp > Double.NEGATIVE_INFINITY) h -= Math.exp(lp) * lp;
        }
        return h;
    }

    /** KL(p || q) in nats. */
    public static double kl(double[] logp, double[] logq) {
        double kl = 0;
        for (int i = 0; i < logp.length; i++) {
            if (logp[i] > Double.NEGATIVE_INFINITY) kl += Math.exp(logp[i]) * (logp[i] - logq[i]);
        }
        return Math.max(0, kl);
    }

    /**
     * Jensen-Shannon divergence in nats between two probability vectors p[pFrom, pFrom + n) and
     * q[qFrom, qFrom + n): ½ KL(p ‖ m) + ½ KL(q ‖ m) with m = (p + q) / 2. Symmetric, 0 for equal
     * inputs, at most ln 2 (disjoint supports).
     */
    public static double jensenShannon(float[] p, int pFrom, float[] q, int qFrom, int n) {
        double js = 0;
        for (int i = 0; i < n; i++) {
            double a = p[pFrom + i], b = q[qFrom + i];
            double m = (a + b) / 2;
            if (a > 0) js += a * Math.log(a / m);
            if (b > 0) js += b * Math.log(b / m);
        }
        return Math.min(Math.log(2), Math.max(0, js / 2));
    }

    /** 1-based rank of {@code id}: one plus the number of tokens strictly more likely. */
    public static int rank(double[] logp, int id) {
        int rank = 1;
        for (double lp : logp) {
            if (lp > logp[id]) rank++;
        }
        return rank;
    }

    /** The k likeliest tokens, likeliest first (lower id first on ties). */
    public static List<TokenProb> top(double[] logp, int k, IntFunction<String> text) {
        List<TokenProb> out = new ArrayList<>();
        for (TokenProb t : topValues(logp, k)) out.add(new TokenProb(t.id(), text.apply(t.id()), Math.exp(t.prob())));
        return out;
    }

    /** The k largest values as (index, value), largest first (lower index first on ties); text is null. */
    public static List<TokenProb> topValues(double[] logp, int k) {
        int[] best = new int[Math.min(k, logp.length)];
        int count = 0;
        for (int i = 0; i < logp.length; i++) {
            if (count < best.length) {
                best[count++] = i;
            } else if (logp[i] > logp[best[count - 1]]) {
                best[count - 1] = i;
            } else {
                continue;
            }
            for (int j = count - 1; j > 0 && logp[best[j]] > logp[best[j - 1]]; j--) {
                int t = best[j]; best[j] = best[j - 1]; best[j - 1] = t;
            }
        }
        List<TokenProb> out = new ArrayList<>(count);
        for (int j = 0; j < count; j++) out.add(new TokenProb(best[j], null, logp[best[j]]));
        return out;
    }
}

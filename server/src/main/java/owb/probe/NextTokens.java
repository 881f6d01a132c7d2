package owb.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** The likeliest next tokens after each position of a forward pass, from its logits. */
public final class NextTokens {
    private NextTokens() {}

    /** A token and its log-probability (nats) under one position's output distribution. */
    public record Prediction(int id, String text, double logprob) {}

    /**
     * @param logits [positions, vocab]
     * @return per position, the {@code k} likeliest tokens, likeliest first (lower id first on ties)
     */
    public static List<List<Prediction>> top(float[] logits, int positions, int vocab, int k, IntFunction<String> text) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1");
        if ((long) positions * vocab != logits.length) {
            throw new IllegalArgumentException("logits must be [" + positions + ", " + vocab + "]");
        }
        List<List<Prediction>> out = new ArrayList<>(positions);
        for (int p = 0; p < positions; p++) {
            double[] logp = Distributions.logSoftmax(logits, p * vocab, vocab);
            List<Prediction> best = new ArrayList<>(k);
            for (TokenProb t : Distributions.topValues(logp, k)) best.add(new Prediction(t.id(), text.apply(t.id()), t.prob()));
            out.add(List.copyOf(best));
        }
        return List.copyOf(out);
    }
}

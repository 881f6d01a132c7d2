package owb.model;

/** The last step of every family: final-norm output to logits. */
final class Unembedding {
    private Unembedding() {}

    /** Row {@code token} of W_U [d_vocab, d_model]: logit(token) = normed · row. */
    static float[] row(Linear unembed, int token) {
        if (!(unembed instanceof StoredLinear stored)) throw new IllegalStateException("unembedding is stored [vocab, d]");
        if (token < 0 || token >= stored.out()) {
            throw new ModelException("token id " + token + " is outside the vocabulary (0.." + (stored.out() - 1) + ")");
        }
        float[] row = new float[stored.in()];
        stored.weight().decodeRows(token, 1, row);
        return row;
    }

    /** logits [n, d_vocab] from normed [n, d], or [1, d_vocab] for the last position only. */
    static float[] logits(Linear unembed, float[] normed, int n, int d, boolean allPositions) {
        if (allPositions) return unembed.apply(normed, n);
        float[] last = new float[d];
        System.arraycopy(normed, (n - 1) * d, last, 0, d);
        return unembed.apply(last, 1);
    }
}

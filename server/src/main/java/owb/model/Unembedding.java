package owb.model;

/** The last step of every family: final-norm output to logits. */
final class Unembedding {
    private Unembedding() {}

    /** logits [n, d_vocab] from normed [n, d], or [1, d_vocab] for the last position only. */
    static float[] logits(Linear unembed, float[] normed, int n, int d, boolean allPositions) {
        if (allPositions) return unembed.apply(normed, n);
        float[] last = new float[d];
        System.arraycopy(normed, (n - 1) * d, last, 0, d);
        return unembed.apply(last, 1);
    }
}

package owb.model;

import owb.tensor.MatMul;

import java.util.Arrays;

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

    /**
     * logits [n, d_vocab] from normed [n, d], or [1, d_vocab] for the last position only.
     *
     * <p>The last position of a prompt is unembedded together with the positions before it, up to
     * {@link MatMul#OUTER_PRODUCT_MIN_M} rows in all, so that the product takes the kernel the
     * prompt's own products took (the GEMM tile, or below that many tokens the dot-product blocks),
     * compiled by then; one row alone would take the matrix-vector kernel, which a fresh process has
     * not compiled before it is generating (it then ran over the whole unembedding in C1). A
     * 128-token prompt: a quarter of the unembedding's arithmetic (cold `owb run` 1.16 -> 1.04 s,
     * alternating, median of 10).
     */
    static float[] logits(Linear unembed, float[] normed, int n, int d, boolean allPositions) {
        if (allPositions) return unembed.apply(normed, n);
        int rows = Math.min(n, MatMul.OUTER_PRODUCT_MIN_M);
        float[] tail = rows == n ? normed : Arrays.copyOfRange(normed, (n - rows) * d, n * d);
        float[] logits = unembed.apply(tail, rows);
        if (rows == 1) return logits;
        int vocab = logits.length / rows;
        return Arrays.copyOfRange(logits, (rows - 1) * vocab, rows * vocab);
    }
}

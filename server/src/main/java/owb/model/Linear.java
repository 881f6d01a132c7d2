package owb.model;

/**
 * A linear layer over activations: y [m, out] = x [m, in] · Wᵀ (+ b). The weight stays in the
 * checkpoint's stored encoding; the tensor package's kernels dequantize it as they go.
 */
sealed interface Linear permits StoredLinear, Conv1dLinear {
    int in();

    int out();

    /** The bias [out], or null. */
    float[] bias();

    /**
     * One input vector x [in] split into {@code groups} equal slices (attention heads): row g of
     * the result [groups, out] is slice g of x times the matching columns of Wᵀ, without the bias,
     * so the rows sum to apply(x) - bias.
     */
    float[] groupProducts(float[] x, int groups);

    /** y [m, out] (overwritten) from x [m, in]. */
    void apply(float[] x, int m, float[] y);

    default float[] apply(float[] x, int m) {
        float[] y = new float[m * out()];
        apply(x, m, y);
        return y;
    }
}

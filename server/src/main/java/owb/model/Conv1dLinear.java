package owb.model;

import owb.checkpoint.TensorEntry;
import owb.tensor.MatMulUntransposed;

/**
 * A weight stored input-major, {@code [in, out]}: Hugging Face GPT-2's Conv1D ({@code c_attn},
 * {@code c_proj}, {@code c_fc}), which computes x · W + b.
 */
record Conv1dLinear(TensorEntry weight, float[] bias) implements Linear {
    @Override public int in() { return (int) weight.dim(0); }

    @Override public int out() { return (int) weight.dim(1); }

    @Override
    public void apply(float[] x, int m, float[] y) {
        MatMulUntransposed.matmul(x, m, in(), weight, bias, y);
    }
}

package owb.model;

import owb.checkpoint.TensorEntry;
import owb.tensor.MatMulUntransposed;
import owb.tensor.TensorReader;

/**
 * A weight stored input-major, {@code [in, out]}: Hugging Face GPT-2's Conv1D ({@code c_attn},
 * {@code c_proj}, {@code c_fc}), which computes x · W + b.
 */
record Conv1dLinear(TensorEntry weight, float[] bias) implements Linear {
    @Override public int in() { return (int) weight.dim(0); }

    @Override public int out() { return (int) weight.dim(1); }

    @Override
    public float[] groupProducts(float[] x, int groups) {
        int in = in();
        int out = out();
        int width = in / groups;
        float[] row = new float[out];
        float[] y = new float[groups * out];                        // [groups, out]
        for (int i = 0; i < in; i++) {                              // row i of W [in, out] meets x[i]
            TensorReader.readFloats(weight, (long) i * out, out, row, 0);
            int g = i / width;
            for (int r = 0; r < out; r++) y[g * out + r] += x[i] * row[r];
        }
        return y;
    }

    @Override
    public void apply(float[] x, int m, float[] y) {
        MatMulUntransposed.matmul(x, m, in(), weight, bias, y);
    }
}

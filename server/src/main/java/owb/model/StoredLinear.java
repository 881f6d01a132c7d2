package owb.model;

import owb.checkpoint.TensorEntry;
import owb.tensor.MatMul;
import owb.tensor.WeightRows;

/** A weight stored output-major, {@code [out, in]}: torch's nn.Linear and every GGUF matrix. */
record StoredLinear(WeightRows weight, float[] bias) implements Linear {
    StoredLinear(TensorEntry weight, float[] bias) {
        this(WeightRows.of(weight), bias);
    }

    @Override public int in() { return weight.cols(); }

    @Override public int out() { return weight.rows(); }

    @Override
    public float[] groupProducts(float[] x, int groups) {
        int in = in();
        int out = out();
        int width = in / groups;
        float[] row = new float[in];
        float[] y = new float[groups * out];                        // [groups, out]
        for (int r = 0; r < out; r++) {
            weight.decodeRows(r, 1, row);
            for (int g = 0; g < groups; g++) {
                float sum = 0;
                for (int j = g * width; j < (g + 1) * width; j++) sum += row[j] * x[j];
                y[g * out + r] = sum;
            }
        }
        return y;
    }

    @Override
    public void apply(float[] x, int m, float[] y) {
        MatMul.matmul(x, m, in(), weight, bias, y);
    }
}

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
    public void apply(float[] x, int m, float[] y) {
        MatMul.matmul(x, m, in(), weight, bias, y);
    }
}

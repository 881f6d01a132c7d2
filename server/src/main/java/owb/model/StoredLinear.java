package owb.model;

import java.util.stream.IntStream;

import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

/** A weight stored output-major, {@code [out, in]}: torch's nn.Linear and every GGUF matrix. */
record StoredLinear(TensorEntry weight, float[] bias) implements Linear {
    @Override public int in() { return (int) weight.dim(1); }

    @Override public int out() { return (int) weight.dim(0); }

    // TODO(kernels merge): MatMul.matmul(x, m, in(), weight, bias, y)
    @Override
    public void apply(float[] x, int m, float[] y) {
        int k = in();
        int n = out();
        int chunk = 16;
        IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
            int first = c * chunk;
            int rows = Math.min(chunk, n - first);
            float[] w = new float[rows * k];
            TensorReader.readFloats(weight, (long) first * k, rows * k, w, 0);
            for (int j = 0; j < rows; j++) {
                for (int i = 0; i < m; i++) {
                    float dot = 0;
                    for (int e = 0; e < k; e++) dot += x[i * k + e] * w[j * k + e];
                    y[i * n + first + j] = bias == null ? dot : dot + bias[first + j];
                }
            }
        });
    }
}

package owb.model;

/** The MLP non-linearities, element-wise in float32. */
final class Activations {
    private Activations() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /**
     * GPT-2's GELU, tanh approximation (Hugging Face {@code gelu_new}):
     * 0.5 · x · (1 + tanh(sqrt(2/π) · (x + 0.044715 · x³))).
     */
    static float[] geluNew(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            y[i] = (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
        }
        return y;
    }

    /** SwiGLU's product silu(gate) · up, silu(g) = g / (1 + e^-g). */
    static float[] siluTimes(float[] gate, float[] up) {
        float[] y = new float[gate.length];
        for (int i = 0; i < gate.length; i++) {
            float g = gate[i];
            y[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
        return y;
    }

    /** a + b element-wise, into a new array (the residual stream keeps every step's value). */
    static float[] add(float[] a, float[] b) {
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }
}

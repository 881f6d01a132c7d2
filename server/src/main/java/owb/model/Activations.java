package owb.model;

/** The MLP non-linearities, element-wise in float32; long arrays are split over all cores. */
final class Activations {
    private Activations() {}

    /** Elements per parallel work unit: below this, one thread is faster. */
    private static final int CHUNK = 1 << 14;

    private interface Range {
        void run(int from, int to);
    }

    private static void forRanges(int length, Range range) {
        if (length <= CHUNK) {
            range.run(0, length);
            return;
        }
        java.util.stream.IntStream.range(0, (length + CHUNK - 1) / CHUNK).parallel()
                .forEach(c -> range.run(c * CHUNK, Math.min(length, (c + 1) * CHUNK)));
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /**
     * GPT-2's GELU, tanh approximation (Hugging Face {@code gelu_new}):
     * 0.5 · x · (1 + tanh(sqrt(2/π) · (x + 0.044715 · x³))).
     */
    static float[] geluNew(float[] x) {
        float[] y = new float[x.length];
        forRanges(x.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
            }
        });
        return y;
    }

    /** SwiGLU's product silu(gate) · up, silu(g) = g / (1 + e^-g). */
    static float[] siluTimes(float[] gate, float[] up) {
        float[] y = new float[gate.length];
        forRanges(gate.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = gate[i];
                y[i] = g / (1f + (float) Math.exp(-g)) * up[i];
            }
        });
        return y;
    }

    /** a + b element-wise, into a new array (the residual stream keeps every step's value). */
    static float[] add(float[] a, float[] b) {
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }
}

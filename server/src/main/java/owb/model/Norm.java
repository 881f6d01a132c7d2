package owb.model;

/**
 * LayerNorm (GPT-2) or RMSNorm (the Llama family) over the last axis, with TransformerLens'
 * two hook points:
 * <ul>
 *   <li>{@code PREFIX.hook_scale} [pos, 1]: sqrt(mean((x - mean)²) + eps) for LayerNorm,
 *       sqrt(mean(x²) + eps) for RMSNorm;</li>
 *   <li>{@code PREFIX.hook_normalized} [pos, d_model]: (x - mean) / scale, resp. x / scale,
 *       <em>before</em> the norm's weight and bias. That is what TransformerLens shows for a model
 *       loaded the default way (fold_ln: the weights are folded into the next layer, its LNPre and
 *       RMSNormPre hook this value). The weight and bias are applied after the hook, so the
 *       module's output is hook_normalized · weight + bias.</li>
 * </ul>
 * A write to either hook point changes what follows: the normalized vector is computed from the
 * (possibly edited) scale.
 *
 * @param bias null for RMSNorm
 * @param eps  added in float32, as the reference implementations do
 */
record Norm(Kind kind, float[] weight, float[] bias, float eps) {

    enum Kind { LAYER_NORM, RMS_NORM }

    int dim() { return weight.length; }

    /** x [n, d] (not modified) to the norm's output [n, d]. */
    float[] forward(float[] x, int n, Hooks hooks, String prefix) {
        int d = weight.length;
        float[] scale = new float[n];                 // [n, 1]
        float[] normalized = new float[n * d];        // [n, d]: first centered x, then divided by the scale
        for (int i = 0; i < n; i++) {
            int row = i * d;
            float mean = 0;
            if (kind == Kind.LAYER_NORM) {
                double sum = 0;
                for (int j = 0; j < d; j++) sum += x[row + j];
                mean = (float) (sum / d);
            }
            double squares = 0;
            for (int j = 0; j < d; j++) {
                float c = x[row + j] - mean;
                normalized[row + j] = c;
                squares += (double) c * c;
            }
            scale[i] = (float) Math.sqrt((float) (squares / d) + eps);
        }
        hooks.at(prefix + ".hook_scale", scale, n, 1);
        for (int i = 0; i < n; i++) {
            for (int j = 0, row = i * d; j < d; j++) normalized[row + j] /= scale[i];
        }
        hooks.at(prefix + ".hook_normalized", normalized, n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0, row = i * d; j < d; j++) {
                float y = normalized[row + j] * weight[j];
                normalized[row + j] = bias == null ? y : y + bias[j];
            }
        }
        return normalized;
    }
}

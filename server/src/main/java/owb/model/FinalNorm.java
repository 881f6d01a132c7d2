package owb.model;

/**
 * The model's final norm as parameters: LayerNorm ({@code centered}, GPT-2) or RMSNorm (the Llama
 * family). Its output is (x - mean if centered) / scale · weight + bias, scale as {@code ln_final.hook_scale}.
 *
 * @param bias null for RMSNorm
 */
public record FinalNorm(boolean centered, float[] weight, float[] bias, float eps) {
    static FinalNorm of(Norm norm) {
        return new FinalNorm(norm.kind() == Norm.Kind.LAYER_NORM, norm.weight().clone(),
                norm.bias() == null ? null : norm.bias().clone(), norm.eps());
    }
}

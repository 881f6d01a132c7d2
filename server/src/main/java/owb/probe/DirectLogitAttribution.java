package owb.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import owb.model.ActivationCache;
import owb.model.FinalNorm;
import owb.model.Hooks;
import owb.model.LanguageModel;

/**
 * Direct logit attribution: the residual stream at one position is the sum of what the
 * embeddings, every attention head (z_h · W_O[h]), every attention output bias and every MLP wrote
 * into it. Holding the final norm's scale at that position fixed ({@code ln_final.hook_scale}, as
 * TransformerLens' {@code apply_ln_to_stack} does), the norm is linear, so each component's share
 * of the logit of a token — or of the difference of two tokens' logits — is
 * (c − mean(c) for LayerNorm) / scale · w · u, with u the token's W_U row (minus the other's);
 * the norm's bias adds b · u. The shares sum to the model's logit (difference).
 */
public final class DirectLogitAttribution {
    private DirectLogitAttribution() {}

    /**
     * One component's share of the logit (difference).
     *
     * @param name {@code embed}, {@code pos_embed}, {@code L3H5} (layer 3, head 5), {@code L3.attn_bias},
     *             {@code L3.mlp}, {@code ln_final.bias}
     * @param layer -1 outside the blocks
     * @param head  -1 for everything but a head
     */
    public record Component(String name, int layer, int head, double value) {}

    /**
     * @param against the token whose logit is subtracted, when empty the plain logit of {@code token}
     * @param logit   the model's own logit (difference) at {@code position}
     */
    public record Result(int position, int token, OptionalInt against, double logit, List<Component> components) {
        public double sum() { return components.stream().mapToDouble(Component::value).sum(); }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("position", position);
            m.put("token", token);
            against.ifPresent(a -> m.put("against", a));
            m.put("logit", logit);
            m.put("components", components.stream().map(c -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", c.name());
                e.put("layer", c.layer());
                e.put("head", c.head());
                e.put("value", c.value());
                return e;
            }).toList());
            return m;
        }
    }

    public static Hooks hooks() {
        return new Hooks().capture("hook_embed").capture("hook_pos_embed").capture("blocks.*.attn.hook_z")
                .capture("blocks.*.hook_mlp_out").capture("ln_final.hook_scale");
    }

    /** Runs the model on {@code tokens} and attributes the logit of {@code token} (minus {@code against}'s) at {@code position}. */
    public static Result run(LanguageModel model, int[] tokens, int position, int token, OptionalInt against) {
        Hooks hooks = hooks();
        float[] logits = model.forward(tokens, hooks);
        return read(model, hooks.cache(), logits, tokens.length, position, token, against);
    }

    /**
     * From captured activations alone, when the pass's logits were not kept: the logit at
     * {@code position} is recomputed from the last block's {@code hook_resid_post} (which must be
     * captured too) through the final norm and unembedding; it equals the forward pass's logit to
     * float rounding.
     */
    public static Result read(LanguageModel model, ActivationCache cache, int positions, int position, int token,
                              OptionalInt against) {
        int d = model.config().dModel();
        checkPosition(position, positions);
        float[] resid = new float[d];
        String last = "blocks." + (model.config().nLayers() - 1) + ".hook_resid_post";
        System.arraycopy(cache.get(last).data(), position * d, resid, 0, d);
        float[] logits = model.unembedResidual(resid, 1);              // [1, d_vocab]
        double logit = logits[token] - (against.isPresent() ? logits[against.getAsInt()] : 0.0);
        return attribute(model, cache, position, token, against, logit);
    }

    /** From a forward pass's logits [n, d_vocab] and its captured activations (see {@link #hooks}). */
    public static Result read(LanguageModel model, ActivationCache cache, float[] logits, int positions, int position,
                              int token, OptionalInt against) {
        int vocab = model.config().dVocab();
        checkPosition(position, positions);
        double logit = logits[position * vocab + token];
        if (against.isPresent()) logit -= logits[position * vocab + against.getAsInt()];
        return attribute(model, cache, position, token, against, logit);
    }

    private static void checkPosition(int position, int positions) {
        if (position < 0 || position >= positions) throw new IllegalArgumentException("position " + position + " outside 0.." + (positions - 1));
    }

    /** The components' shares; {@code logit} is the model's own logit (difference) they add up to. */
    private static Result attribute(LanguageModel model, ActivationCache cache, int position, int token,
                                    OptionalInt against, double logit) {
        int d = model.config().dModel();
        int heads = model.config().nHeads();
        int dHead = model.config().dHead();
        float[] u = model.unembeddingRow(token);                    // [d]
        if (against.isPresent()) {
            float[] other = model.unembeddingRow(against.getAsInt());
            for (int j = 0; j < d; j++) u[j] -= other[j];
        }
        FinalNorm norm = model.finalNorm();
        double scale = cache.get("ln_final.hook_scale").data()[position];
        double[] v = new double[d];                                 // a component's value is c · v
        double mean = 0;
        for (int j = 0; j < d; j++) {
            v[j] = norm.weight()[j] * (double) u[j] / scale;
            mean += v[j] / d;
        }
        if (norm.centered()) {
            for (int j = 0; j < d; j++) v[j] -= mean;               // Σ (c_j − mean c) v_j = Σ c_j (v_j − mean v)
        }

        List<Component> out = new ArrayList<>();
        out.add(new Component("embed", -1, -1, dot(cache.get("hook_embed").data(), position * d, v)));
        cache.find("hook_pos_embed").ifPresent(a -> out.add(new Component("pos_embed", -1, -1, dot(a.data(), position * d, v))));
        float[] z = new float[heads * dHead];
        for (int l = 0; l < model.config().nLayers(); l++) {
            System.arraycopy(cache.get("blocks." + l + ".attn.hook_z").data(), position * heads * dHead, z, 0, z.length);
            float[] perHead = model.headOutputs(l, z);              // [heads, d]
            for (int h = 0; h < heads; h++) out.add(new Component("L" + l + "H" + h, l, h, dot(perHead, h * d, v)));
            float[] bias = model.attentionOutputBias(l);
            if (!allZero(bias)) out.add(new Component("L" + l + ".attn_bias", l, -1, dot(bias, 0, v)));
            out.add(new Component("L" + l + ".mlp", l, -1, dot(cache.get("blocks." + l + ".hook_mlp_out").data(), position * d, v)));
        }
        if (norm.bias() != null) out.add(new Component("ln_final.bias", -1, -1, dot(norm.bias(), 0, toDouble(u))));
        return new Result(position, token, against, logit, List.copyOf(out));
    }

    private static double dot(float[] x, int from, double[] v) {
        double s = 0;
        for (int j = 0; j < v.length; j++) s += x[from + j] * v[j];
        return s;
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        return out;
    }

    private static boolean allZero(float[] x) {
        for (float f : x) if (f != 0) return false;
        return true;
    }
}

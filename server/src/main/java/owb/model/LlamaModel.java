package owb.model;

import static owb.model.Activations.add;

import java.util.List;

/**
 * The Llama family (Llama 2 and 3, Mistral, Qwen2, SmolLM2, TinyLlama): pre-norm blocks of
 * RMSNorm, rotary grouped-query attention (optionally with q/k/v biases and a sliding window) and
 * a SwiGLU MLP; a final RMSNorm; an unembedding, or the token embedding when tied.
 */
final class LlamaModel extends PreNormModel {

    /** Biases are null where the checkpoint has none (Qwen2 has q/k/v biases). */
    record Layer(Norm ln1, Linear q, Linear k, Linear v, Linear o, Norm ln2, Linear gate, Linear up,
                 Linear down) {}

    /**
     * @param interleavedQk q/k rows permuted by llama.cpp's converter (GGUF llama files): the
     *                      activations are moved back to the rotate-half layout, see {@link Rope}
     */
    record Weights(Embedding tokenEmbedding, List<Layer> layers, Norm lnFinal, Linear unembed, Rope rope,
                   boolean interleavedQk) {}

    private final Weights w;

    LlamaModel(ModelConfig cfg, Weights w) {
        super(cfg, w.lnFinal(), w.unembed());
        this.w = w;
    }

    @Override
    Linear attentionOutput(int layer) { return w.layers().get(layer).o(); }

    @Override
    public float[] forward(int[] tokens, KvCache cache, Hooks hooks, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        int d = cfg.dModel();
        LanguageModel.checkInput(tokens, start, cfg, maxPositions());

        float[] resid = w.tokenEmbedding().lookup(tokens);                      // [n, d]
        hooks.at("hook_embed", resid, n, d);
        resid = blocks(0, resid, n, cache, hooks);                              // [n, d]
        return logits(resid, n, hooks, allPositions);                           // [n or 1, d_vocab]
    }

    @Override
    float[] block(int l, float[] resid, Sequences seq, Hooks hooks) {
        int n = seq.rows();
        Layer layer = w.layers().get(l);
        String b = "blocks." + l + ".";
        int d = cfg.dModel();
        int heads = cfg.nHeads();
        int kvHeads = cfg.nKvHeads();
        int dHead = cfg.dHead();
        int dMlp = cfg.dMlp();
        hooks.at(b + "hook_resid_pre", resid, n, d);

        float[] x = layer.ln1().forward(resid, n, hooks, b + "ln1");            // [n, d]
        float[] q = layer.q().apply(x, n);                                      // [n, heads, d_head]
        float[] k = layer.k().apply(x, n);                                      // [n, kv_heads, d_head]
        float[] v = layer.v().apply(x, n);                                      // [n, kv_heads, d_head]
        if (w.interleavedQk()) {
            Rope.interleavedToHalves(q, n * heads, dHead);
            Rope.interleavedToHalves(k, n * kvHeads, dHead);
        }
        hooks.at(b + "attn.hook_q", q, n, heads, dHead);
        hooks.at(b + "attn.hook_k", k, n, kvHeads, dHead);
        hooks.at(b + "attn.hook_v", v, n, kvHeads, dHead);
        seq.rotate(w.rope(), q, heads);
        seq.rotate(w.rope(), k, kvHeads);
        hooks.at(b + "attn.hook_rot_q", q, n, heads, dHead);
        hooks.at(b + "attn.hook_rot_k", k, n, kvHeads, dHead);
        seq.store(l, k, v);
        float[] z = seq.attend(l, q, cfg, cfg.slidingWindow(l), hooks, b + "attn.");  // [n, heads, d_head]
        hooks.at(b + "attn.hook_z", z, n, heads, dHead);
        float[] attnOut = layer.o().apply(z, n);                                // [n, d]
        hooks.at(b + "hook_attn_out", attnOut, n, d);
        float[] mid = add(resid, attnOut);                                      // [n, d]
        hooks.at(b + "hook_resid_mid", mid, n, d);

        x = layer.ln2().forward(mid, n, hooks, b + "ln2");                      // [n, d]
        float[] gate = layer.gate().apply(x, n);                                // [n, d_mlp]
        hooks.at(b + "mlp.hook_pre", gate, n, dMlp);
        float[] up = layer.up().apply(x, n);                                    // [n, d_mlp]
        hooks.at(b + "mlp.hook_pre_linear", up, n, dMlp);
        float[] post = Activations.siluTimes(gate, up);                         // [n, d_mlp]
        hooks.at(b + "mlp.hook_post", post, n, dMlp);
        float[] mlpOut = layer.down().apply(post, n);                           // [n, d]
        hooks.at(b + "hook_mlp_out", mlpOut, n, d);
        float[] out = add(mid, mlpOut);                                         // [n, d]
        hooks.at(b + "hook_resid_post", out, n, d);
        return out;
    }
}

package owb.model;

import static owb.model.Activations.add;

import java.util.List;

/**
 * GPT-2: learned position embeddings; pre-norm blocks of LayerNorm, multi-head attention (one
 * fused qkv projection, biases everywhere) and a GELU MLP; a final LayerNorm; tied unembedding.
 */
final class Gpt2Model extends PreNormModel {

    record Layer(Norm ln1, Linear qkv, Linear attnOut, Norm ln2, Linear mlpIn, Linear mlpOut) {}

    record Weights(Embedding tokenEmbedding, Embedding positionEmbedding, List<Layer> layers, Norm lnFinal,
                   Linear unembed) {}

    private final Weights w;

    Gpt2Model(ModelConfig cfg, Weights w) {
        super(cfg, w.lnFinal(), w.unembed());
        this.w = w;
    }

    /** Positions the learned position embedding covers (n_ctx, or fewer rows in the file). */
    @Override
    int maxPositions() { return Math.min(cfg.nCtx(), w.positionEmbedding().rows()); }

    @Override
    Linear attentionOutput(int layer) { return w.layers().get(layer).attnOut(); }

    @Override
    public float[] forward(int[] tokens, KvCache cache, Hooks hooks, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        int d = cfg.dModel();
        LanguageModel.checkInput(tokens, start, cfg, maxPositions());

        float[] embed = w.tokenEmbedding().lookup(tokens);                      // [n, d]
        hooks.at("hook_embed", embed, n, d);
        float[] posEmbed = w.positionEmbedding().range(start, n);               // [n, d]
        hooks.at("hook_pos_embed", posEmbed, n, d);
        float[] resid = add(embed, posEmbed);                                   // [n, d]
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
        int dHead = cfg.dHead();
        int width = heads * dHead;
        hooks.at(b + "hook_resid_pre", resid, n, d);

        float[] x = layer.ln1().forward(resid, n, hooks, b + "ln1");            // [n, d]
        float[] qkv = layer.qkv().apply(x, n);                                  // [n, 3 · heads · d_head]
        float[] q = slice(qkv, n, 3 * width, 0, width);                         // [n, heads, d_head]
        float[] k = slice(qkv, n, 3 * width, width, width);
        float[] v = slice(qkv, n, 3 * width, 2 * width, width);
        hooks.at(b + "attn.hook_q", q, n, heads, dHead);
        hooks.at(b + "attn.hook_k", k, n, heads, dHead);
        hooks.at(b + "attn.hook_v", v, n, heads, dHead);
        seq.store(l, k, v);
        float[] z = seq.attend(l, q, cfg, 0, hooks, b + "attn.");              // [n, heads, d_head]
        hooks.at(b + "attn.hook_z", z, n, heads, dHead);
        float[] attnOut = layer.attnOut().apply(z, n);                          // [n, d]
        hooks.at(b + "hook_attn_out", attnOut, n, d);
        float[] mid = add(resid, attnOut);                                      // [n, d]
        hooks.at(b + "hook_resid_mid", mid, n, d);

        x = layer.ln2().forward(mid, n, hooks, b + "ln2");                      // [n, d]
        float[] pre = layer.mlpIn().apply(x, n);                                // [n, d_mlp]
        hooks.at(b + "mlp.hook_pre", pre, n, cfg.dMlp());
        float[] post = Activations.geluNew(pre);                                // [n, d_mlp]
        hooks.at(b + "mlp.hook_post", post, n, cfg.dMlp());
        float[] mlpOut = layer.mlpOut().apply(post, n);                         // [n, d]
        hooks.at(b + "hook_mlp_out", mlpOut, n, d);
        float[] out = add(mid, mlpOut);                                         // [n, d]
        hooks.at(b + "hook_resid_post", out, n, d);
        return out;
    }

    /** Columns [from, from + width) of x [n, cols]. */
    private static float[] slice(float[] x, int n, int cols, int from, int width) {
        float[] out = new float[n * width];
        for (int i = 0; i < n; i++) System.arraycopy(x, i * cols + from, out, i * width, width);
        return out;
    }
}

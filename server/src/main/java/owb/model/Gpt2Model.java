package owb.model;

import static owb.model.Activations.add;

import java.util.List;

/**
 * GPT-2: learned position embeddings; pre-norm blocks of LayerNorm, multi-head attention (one
 * fused qkv projection, biases everywhere) and a GELU MLP; a final LayerNorm; tied unembedding.
 */
final class Gpt2Model implements LanguageModel {

    record Layer(Norm ln1, Linear qkv, Linear attnOut, Norm ln2, Linear mlpIn, Linear mlpOut) {}

    record Weights(Embedding tokenEmbedding, Embedding positionEmbedding, List<Layer> layers, Norm lnFinal,
                   Linear unembed) {}

    private final ModelConfig cfg;
    private final Weights w;

    Gpt2Model(ModelConfig cfg, Weights w) {
        this.cfg = cfg;
        this.w = w;
    }

    @Override
    public ModelConfig config() { return cfg; }

    @Override
    public float[] unembedResidual(float[] resid, int n) {
        if (n < 1 || resid.length != n * cfg.dModel()) throw new IllegalArgumentException("resid must be [n, d_model]");
        float[] normed = w.lnFinal().forward(resid, n, Hooks.none(), "ln_final");
        return Unembedding.logits(w.unembed(), normed, n, cfg.dModel(), true);
    }

    @Override
    public FinalNorm finalNorm() { return FinalNorm.of(w.lnFinal()); }

    @Override
    public float[] unembeddingRow(int token) { return Unembedding.row(w.unembed(), token); }

    @Override
    public float[] headOutputs(int layer, float[] z) {
        if (z.length != cfg.nHeads() * cfg.dHead()) throw new IllegalArgumentException("z must be [heads, d_head]");
        return w.layers().get(layer).attnOut().groupProducts(z, cfg.nHeads());
    }

    @Override
    public float[] attentionOutputBias(int layer) {
        float[] bias = w.layers().get(layer).attnOut().bias();
        return bias == null ? new float[cfg.dModel()] : bias.clone();
    }

    @Override
    public float[] forward(int[] tokens, KvCache cache, Hooks hooks, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        int d = cfg.dModel();
        LanguageModel.checkInput(tokens, start, cfg, Math.min(cfg.nCtx(), w.positionEmbedding().rows()));

        float[] embed = w.tokenEmbedding().lookup(tokens);                      // [n, d]
        hooks.at("hook_embed", embed, n, d);
        float[] posEmbed = w.positionEmbedding().range(start, n);               // [n, d]
        hooks.at("hook_pos_embed", posEmbed, n, d);
        float[] resid = add(embed, posEmbed);                                   // [n, d]
        resid = blocks(0, resid, n, cache, hooks);                              // [n, d]
        float[] normed = w.lnFinal().forward(resid, n, hooks, "ln_final");      // [n, d]
        return Unembedding.logits(w.unembed(), normed, n, d, allPositions);     // [n or 1, d_vocab]
    }

    @Override
    public float[] runBlocks(int layer, float[] resid, KvCache cache, Hooks hooks) {
        int n = LanguageModel.checkResidual(layer, resid, cfg);
        if ((long) cache.length() + n > Math.min(cfg.nCtx(), w.positionEmbedding().rows())) {
            throw new ModelException((cache.length() + n) + " positions exceed the model's "
                    + Math.min(cfg.nCtx(), w.positionEmbedding().rows()));
        }
        return blocks(layer, resid.clone(), n, cache, hooks);
    }

    /** Blocks [first, n_layers) on resid [n, d] at positions [cache.length(), +n); the residual after the last. */
    private float[] blocks(int first, float[] resid, int n, KvCache cache, Hooks hooks) {
        int start = cache.length();
        cache.reserve(start + n);
        for (int l = first; l < cfg.nLayers(); l++) resid = block(l, resid, n, start, cache, hooks);
        cache.advance(n);
        return resid;
    }

    private float[] block(int l, float[] resid, int n, int start, KvCache cache, Hooks hooks) {
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
        cache.put(l, start, k, v, n);
        float[] z = Attention.forward(q, n, start, cache.keys(l), cache.values(l), cfg, 0, hooks,
                b + "attn.");                                                   // [n, heads, d_head]
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

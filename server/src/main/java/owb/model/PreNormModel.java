package owb.model;

import java.util.List;

/**
 * What GPT-2 and the Llama family share around their blocks: the final norm and the unembedding,
 * the attention output projection of each block (for per-head attribution), and running blocks in
 * order over the KV cache. A family supplies its embeddings, its block and its input checks.
 */
abstract sealed class PreNormModel implements LanguageModel permits Gpt2Model, LlamaModel {
    final ModelConfig cfg;
    private final Norm lnFinal;
    private final Linear unembed;

    PreNormModel(ModelConfig cfg, Norm lnFinal, Linear unembed) {
        this.cfg = cfg;
        this.lnFinal = lnFinal;
        this.unembed = unembed;
    }

    /** Block {@code layer}'s attention output projection [d_model, heads * d_head]. */
    abstract Linear attentionOutput(int layer);

    /** Block {@code l} on resid [seq.rows(), d] of the sequences {@code seq}; its output residual. */
    abstract float[] block(int l, float[] resid, Sequences seq, Hooks hooks);

    @Override
    public final ModelConfig config() { return cfg; }

    /** Positions the model can take; a family with learned position embeddings has a limit. */
    int maxPositions() { return Integer.MAX_VALUE; }

    @Override
    public final float[] runBlocks(int layer, float[] resid, List<KvCache> caches, Hooks hooks) {
        int rows = LanguageModel.checkResidual(layer, resid, cfg);
        Sequences seq = Sequences.of(caches, LanguageModel.rowsPerSequence(rows, caches));
        if ((long) seq.start + seq.length > maxPositions()) {
            throw new ModelException((seq.start + seq.length) + " positions exceed the model's " + maxPositions());
        }
        return blocks(layer, resid.clone(), seq, hooks);
    }

    @Override
    public final float[] unembedResidual(float[] resid, int n) {
        if (n < 1 || resid.length != n * cfg.dModel()) throw new IllegalArgumentException("resid must be [n, d_model]");
        return logits(resid, n, Hooks.none(), true);
    }

    @Override
    public final FinalNorm finalNorm() { return FinalNorm.of(lnFinal); }

    @Override
    public final float[] unembeddingRow(int token) { return Unembedding.row(unembed, token); }

    @Override
    public final float[] headOutputs(int layer, float[] z) {
        if (z.length != cfg.nHeads() * cfg.dHead()) throw new IllegalArgumentException("z must be [heads, d_head]");
        return attentionOutput(layer).groupProducts(z, cfg.nHeads());
    }

    @Override
    public final float[] attentionOutputBias(int layer) {
        float[] bias = attentionOutput(layer).bias();
        return bias == null ? new float[cfg.dModel()] : bias.clone();
    }

    /** The final norm (hooked as {@code ln_final}) and the unembedding of resid [n, d]: [n or 1, d_vocab]. */
    final float[] logits(float[] resid, int n, Hooks hooks, boolean allPositions) {
        float[] normed = lnFinal.forward(resid, n, hooks, "ln_final");
        return Unembedding.logits(unembed, normed, n, cfg.dModel(), allPositions);
    }

    /** Blocks [first, n_layers) on resid [n, d] at positions [cache.length(), +n); the residual after the last. */
    final float[] blocks(int first, float[] resid, int n, KvCache cache, Hooks hooks) {
        return blocks(first, resid, Sequences.one(cache, n), hooks);
    }

    /** Blocks [first, n_layers) on the stacked rows of {@code seq}; the residual after the last. */
    final float[] blocks(int first, float[] resid, Sequences seq, Hooks hooks) {
        seq.reserve();
        for (int l = first; l < cfg.nLayers(); l++) resid = block(l, resid, seq, hooks);
        seq.advance();
        return resid;
    }
}

package owb.model;

import owb.tensor.CausalAttention;

/**
 * Causal scaled dot-product attention over the keys and values of a {@link KvCache} layer, with
 * grouped-query heads and an optional sliding window; the blocked kernel is {@link CausalAttention}.
 *
 * <p>Query i (absolute position p = start + i) attends key j when j &lt;= p and, with a window w,
 * p - w &lt; j. Scores are q·k / sqrt(d_head); the softmax runs in float32 after subtracting the
 * row's maximum. Query head h reads key/value head h / (heads per kv head).
 *
 * <p>Hook points {@code hook_attn_scores} and {@code hook_pattern}, both [head, query_pos, key_pos]
 * with key_pos over every cached position, masked scores -inf and masked pattern entries 0 (as
 * TransformerLens has them), exist only when a hook wants one of them; otherwise each block of
 * queries is scored, normalised and applied in a scratch buffer. Both ways give identical numbers.
 */
final class Attention {
    private Attention() {}

    /**
     * @param q      rotated queries [n, heads, d_head]
     * @param keys   cache keys [≥ start + n, kv_heads, d_head], rotated
     * @param values cache values [≥ start + n, kv_heads, d_head]
     * @param window 0 for full causal attention
     * @param prefix hook name prefix, e.g. {@code blocks.3.attn.}
     * @return z [n, heads, d_head]: each head's pattern · v
     */
    static float[] forward(float[] q, int n, int start, float[] keys, float[] values, ModelConfig cfg,
                           int window, Hooks hooks, String prefix) {
        var shape = new CausalAttention.Shape(cfg.nHeads(), cfg.nKvHeads(), cfg.dHead(), n, start, window);
        var attention = new CausalAttention(keys, values, shape);
        String scoresName = prefix + "hook_attn_scores";
        String patternName = prefix + "hook_pattern";
        if (!hooks.wants(scoresName) && !hooks.wants(patternName)) return attention.attend(q);
        int t = shape.keys();
        float[] att = attention.scores(q);              // [head, query, key]
        hooks.at(scoresName, att, shape.heads(), n, t);
        attention.softmax(att);                         // masked keys (outside the window) get 0
        hooks.atUnchanged(patternName, att, shape.heads(), n, t);
        return attention.mix(att);
    }
}

package owb.model;

import java.util.Arrays;
import java.util.List;

/**
 * The rows a block runs on: {@code count} independent sequences of {@code length} positions each,
 * stacked [count * length, ...], all continuing from position {@code start}, each with its own KV
 * cache. One sequence is an ordinary forward pass. Several are patched runs that resume at the
 * same block (activation patching): norms, projections and the MLP then run once over every row,
 * so each weight matrix is dequantized once for all of them, while rotary positions, the caches and
 * attention stay per sequence.
 */
final class Sequences {
    final int count;
    final int length;
    final int start;
    private final List<KvCache> caches;

    private Sequences(List<KvCache> caches, int length) {
        this.count = caches.size();
        this.length = length;
        this.start = caches.getFirst().length();
        this.caches = caches;
        for (KvCache c : caches) {
            if (c.length() != start) {
                throw new ModelException("batched sequences must continue from the same position; caches hold "
                        + start + " and " + c.length() + " positions");
            }
        }
    }

    static Sequences one(KvCache cache, int length) { return new Sequences(List.of(cache), length); }

    static Sequences of(List<KvCache> caches, int length) {
        if (caches.isEmpty()) throw new ModelException("no sequences to run");
        return new Sequences(List.copyOf(caches), length);
    }

    /** Rows of every sequence together. */
    int rows() { return count * length; }

    void reserve() {
        for (KvCache c : caches) c.reserve(start + length);
    }

    void advance() {
        for (KvCache c : caches) c.advance(length);
    }

    /** Rotates x [rows, heads, d_head] in place, each sequence's rows at positions [start, start + length). */
    void rotate(Rope rope, float[] x, int heads) {
        for (int s = 0; s < count; s++) rope.rotate(x, s * length, length, heads, start);
    }

    /** Stores one layer's k, v [rows, kv_heads, d_head] in each sequence's cache. */
    void store(int layer, float[] k, float[] v) {
        for (int s = 0; s < count; s++) caches.get(s).put(layer, start, k, v, s * length, length);
    }

    /**
     * Each sequence's causal attention over its own cache: z [rows, heads, d_head]. The attention
     * scores and pattern are one sequence's: a batch refuses hooks that ask for them.
     */
    float[] attend(int layer, float[] q, ModelConfig cfg, int window, Hooks hooks, String prefix) {
        if (count == 1) {
            KvCache c = caches.getFirst();
            return Attention.forward(q, length, start, c.keys(layer), c.values(layer), cfg, window, hooks, prefix);
        }
        if (hooks.wants(prefix + "hook_attn_scores") || hooks.wants(prefix + "hook_pattern")) {
            throw new ModelException(prefix + "hook_attn_scores and hook_pattern are one sequence's; a batch of "
                    + count + " sequences does not offer them");
        }
        int width = cfg.nHeads() * cfg.dHead();
        float[] z = new float[rows() * width];
        for (int s = 0; s < count; s++) {
            float[] qs = Arrays.copyOfRange(q, s * length * width, (s + 1) * length * width);
            KvCache c = caches.get(s);
            float[] zs = Attention.forward(qs, length, start, c.keys(layer), c.values(layer), cfg, window, Hooks.none(), prefix);
            System.arraycopy(zs, 0, z, s * length * width, length * width);
        }
        return z;
    }
}

package owb.model;

import java.util.Arrays;
import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal scaled dot-product attention over the keys and values of a {@link KvCache} layer, with
 * grouped-query heads and an optional sliding window; parallel over heads.
 *
 * <p>Query i (absolute position p = start + i) attends key j when j &lt;= p and, with a window w,
 * p - w &lt; j. Scores are q·k / sqrt(d_head); the softmax runs in float32 after subtracting the
 * row's maximum. Query head h reads key/value head h / (heads per kv head).
 *
 * <p>Hook points {@code hook_attn_scores} and {@code hook_pattern}, both [head, query_pos, key_pos]
 * with key_pos over every cached position, masked scores -inf and masked pattern entries 0 (as
 * TransformerLens has them), exist only when a hook wants one of them; otherwise each query's row
 * is computed, normalised and applied in a scratch buffer. Both ways give identical numbers.
 */
final class Attention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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
        Shape s = new Shape(cfg.nHeads(), cfg.nKvHeads(), cfg.dHead(), n, start, window,
                (float) (1 / Math.sqrt(cfg.dHead())));
        float[] z = new float[n * s.heads * s.dHead];
        String scoresName = prefix + "hook_attn_scores";
        String patternName = prefix + "hook_pattern";
        if (!hooks.wants(scoresName) && !hooks.wants(patternName)) {
            IntStream.range(0, s.heads).parallel().forEach(h -> {
                float[] row = new float[s.keys()];
                for (int i = 0; i < n; i++) {
                    int from = s.firstKey(i);
                    int to = s.lastKey(i) + 1;
                    scores(q, keys, s, h, i, from, to, row, 0);
                    softmax(row, 0, from, to);
                    mix(row, 0, values, s, h, i, from, to, z);
                }
            });
            return z;
        }
        int t = s.keys();
        float[] att = new float[s.heads * n * t];       // [head, query, key]
        IntStream.range(0, s.heads).parallel().forEach(h -> {
            for (int i = 0; i < n; i++) {
                int at = (h * n + i) * t;
                Arrays.fill(att, at, at + t, Float.NEGATIVE_INFINITY);
                scores(q, keys, s, h, i, s.firstKey(i), s.lastKey(i) + 1, att, at);
            }
        });
        hooks.at(scoresName, att, s.heads, n, t);
        // masked keys (outside [firstKey, lastKey]) skip the softmax and the mix: their pattern entry is 0
        IntStream.range(0, s.heads).parallel().forEach(h -> {
            for (int i = 0; i < n; i++) {
                int at = (h * n + i) * t;
                int from = s.firstKey(i);
                int to = s.lastKey(i) + 1;
                softmax(att, at, from, to);
                Arrays.fill(att, at, at + from, 0f);
                Arrays.fill(att, at + to, at + t, 0f);
            }
        });
        hooks.atUnchanged(patternName, att, s.heads, n, t);
        IntStream.range(0, s.heads).parallel().forEach(h -> {
            for (int i = 0; i < n; i++) mix(att, (h * n + i) * t, values, s, h, i, s.firstKey(i), s.lastKey(i) + 1, z);
        });
        return z;
    }

    private record Shape(int heads, int kvHeads, int dHead, int n, int start, int window, float scale) {
        int keys() { return start + n; }

        int lastKey(int query) { return start + query; }

        int firstKey(int query) { return window > 0 ? Math.max(0, start + query - window + 1) : 0; }

        int kvHead(int head) { return head / (heads / kvHeads); }
    }

    /** row[at + j] = q_i · k_j · scale for keys j in [from, to). */
    private static void scores(float[] q, float[] keys, Shape s, int h, int i, int from, int to, float[] row, int at) {
        int qAt = (i * s.heads + h) * s.dHead;
        int kv = s.kvHead(h);
        for (int j = from; j < to; j++) {
            row[at + j] = dot(q, qAt, keys, (j * s.kvHeads + kv) * s.dHead, s.dHead) * s.scale;
        }
    }

    /** In-place softmax of row[at + from .. at + to), max-subtracted, float32. */
    private static void softmax(float[] row, int at, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) max = Math.max(max, row[at + j]);
        float sum = 0;
        for (int j = from; j < to; j++) {
            float e = (float) Math.exp(row[at + j] - max);
            row[at + j] = e;
            sum += e;
        }
        for (int j = from; j < to; j++) row[at + j] /= sum;
    }

    /** z[i, h, :] = Σ_j pattern[j] · v_j for keys j in [from, to). */
    private static void mix(float[] pattern, int at, float[] values, Shape s, int h, int i, int from, int to, float[] z) {
        int zAt = (i * s.heads + h) * s.dHead;
        int kv = s.kvHead(h);
        for (int j = from; j < to; j++) {
            float p = pattern[at + j];
            if (p == 0) continue;   // masked keys (adding 0 · v would change nothing)
            int vAt = (j * s.kvHeads + kv) * s.dHead;
            FloatVector pv = FloatVector.broadcast(F, p);
            int e = 0;
            for (int upper = F.loopBound(s.dHead); e < upper; e += F.length()) {
                FloatVector.fromArray(F, values, vAt + e).fma(pv, FloatVector.fromArray(F, z, zAt + e)).intoArray(z, zAt + e);
            }
            for (; e < s.dHead; e++) z[zAt + e] += p * values[vAt + e];
        }
    }

    private static float dot(float[] a, int aAt, float[] b, int bAt, int length) {
        int e = 0;
        float sum = 0;
        if (length >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int upper = F.loopBound(length); e < upper; e += F.length()) {
                acc = FloatVector.fromArray(F, a, aAt + e).fma(FloatVector.fromArray(F, b, bAt + e), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; e < length; e++) sum += a[aAt + e] * b[bAt + e];
        return sum;
    }
}

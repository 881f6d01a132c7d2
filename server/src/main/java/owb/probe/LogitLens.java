package owb.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

import owb.model.ActivationCache;
import owb.model.Hooks;
import owb.model.LanguageModel;

/**
 * The logit lens: the residual stream before each block ({@code blocks.L.hook_resid_pre}, L < n)
 * and after the last ({@code blocks.{n-1}.hook_resid_post}, "layer n"), read through the model's
 * own final norm (with its weight and bias) and unembedding, as if the model stopped there. Layer
 * n is the model's output distribution.
 *
 * <p>Cost: one unembedding of every (layer, position) — (n + 1) · positions rows times W_U, the
 * bulk of the time on a large vocabulary — then one exp per logit (see {@link LogitRows}), the
 * positions of a layer in parallel.
 */
public final class LogitLens {
    private LogitLens() {}

    /**
     * One (layer, position) cell.
     *
     * @param klToFinal  KL(final ‖ this layer) in nats
     * @param targetRank 1-based rank of the target token, null without a target
     */
    public record Cell(int layer, int position, List<TokenProb> top, double entropy, double klToFinal,
                       Integer targetRank, Double targetProb) {

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", layer);
            m.put("position", position);
            m.put("top", top.stream().map(t -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("id", t.id());
                e.put("text", t.text());
                e.put("prob", t.prob());
                return e;
            }).toList());
            m.put("entropy", entropy);
            m.put("kl_to_final", klToFinal);
            if (targetRank != null) {
                m.put("target_rank", targetRank);
                m.put("target_prob", targetProb);
            }
            return m;
        }
    }

    /** Every (layer 0..layers, position) cell once, layer-major. */
    public record Result(int layers, int positions, OptionalInt target, List<Cell> rows) {
        public Cell cell(int layer, int position) { return rows.get(layer * positions + position); }

        /** {@code {layers, positions, target?, rows: [...]}} for a JSON writer. */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layers", layers);
            m.put("positions", positions);
            target.ifPresent(t -> m.put("target", t));
            m.put("rows", rows.stream().map(Cell::toJson).toList());
            return m;
        }
    }

    /** The hooks {@link #read} needs. */
    public static Hooks hooks(LanguageModel model) {
        int n = model.config().nLayers();
        return new Hooks().capture("blocks.*.hook_resid_pre").capture("blocks." + (n - 1) + ".hook_resid_post");
    }

    /** Runs the model on {@code tokens} and reads the lens. */
    public static Result run(LanguageModel model, int[] tokens, int topK, OptionalInt target, IntFunction<String> text) {
        Hooks hooks = hooks(model);
        model.forward(tokens, hooks);
        return read(model, hooks.cache(), tokens.length, topK, target, text);
    }

    /**
     * The lens over a forward pass's captured residuals (see {@link #hooks}).
     *
     * @param text a token's display text (for the top lists)
     */
    public static Result read(LanguageModel model, ActivationCache cache, int positions, int topK, OptionalInt target,
                              IntFunction<String> text) {
        if (topK < 1) throw new IllegalArgumentException("top k must be at least 1");
        int n = model.config().nLayers();
        int vocab = model.config().dVocab();
        target.ifPresent(t -> {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("target token " + t + " is outside the vocabulary");
        });
        // the final distribution of every position: the reference for each layer's KL
        float[] finalLogits = model.unembedResidual(residual(cache, n, n), positions);   // [positions, vocab]
        LogitRows.Softmax[] finalSoftmax = new LogitRows.Softmax[positions];
        float[][] finalProbs = new float[positions][vocab];
        IntStream.range(0, positions).parallel().forEach(p -> {
            finalSoftmax[p] = LogitRows.softmax(finalLogits, p * vocab, vocab);
            LogitRows.probabilities(finalLogits, p * vocab, vocab, finalSoftmax[p].logZ(), finalProbs[p]);
        });

        Cell[] rows = new Cell[(n + 1) * positions];
        for (int layer = 0; layer <= n; layer++) {
            int l = layer;
            float[] logits = layer == n ? finalLogits : model.unembedResidual(residual(cache, layer, n), positions);
            IntStream.range(0, positions).parallel().forEach(p -> {
                int from = p * vocab;
                LogitRows.Softmax softmax = l == n ? finalSoftmax[p] : LogitRows.softmax(logits, from, vocab);
                double logZ = softmax.logZ();
                Integer rank = target.isPresent() ? LogitRows.rank(logits, from, vocab, target.getAsInt()) : null;
                Double prob = target.isPresent() ? Math.exp(logits[from + target.getAsInt()] - logZ) : null;
                double kl = l == n ? 0 : LogitRows.kl(finalProbs[p], finalLogits, from, finalSoftmax[p].logZ(), logits, from, logZ);
                List<TokenProb> top = new ArrayList<>(topK);
                for (TokenProb t : LogitRows.top(logits, from, vocab, topK)) {
                    top.add(new TokenProb(t.id(), null, Math.exp(t.prob() - logZ)));
                }
                rows[l * positions + p] = new Cell(l, p, top, softmax.entropy(), kl, rank, prob);
            });
        }
        for (int i = 0; i < rows.length; i++) {     // texts on this thread: the text function need not be thread-safe
            Cell c = rows[i];
            List<TokenProb> top = c.top().stream().map(t -> new TokenProb(t.id(), text.apply(t.id()), t.prob())).toList();
            rows[i] = new Cell(c.layer(), c.position(), top, c.entropy(), c.klToFinal(), c.targetRank(), c.targetProb());
        }
        return new Result(n, positions, target, List.of(rows));
    }

    /** The residual stream entering block {@code layer}, or leaving the last block for layer n. */
    private static float[] residual(ActivationCache cache, int layer, int n) {
        String name = layer < n ? "blocks." + layer + ".hook_resid_pre" : "blocks." + (n - 1) + ".hook_resid_post";
        return cache.get(name).data();
    }
}

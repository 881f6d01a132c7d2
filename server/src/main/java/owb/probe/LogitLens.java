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
import owb.model.KvCache;
import owb.model.LanguageModel;

/**
 * The logit lens: the residual stream before each block ({@code blocks.L.hook_resid_pre}, L < n)
 * and after the last ({@code blocks.{n-1}.hook_resid_post}, "layer n"), read through the model's
 * own final norm (with its weight and bias) and unembedding, as if the model stopped there. Layer
 * n is the model's output distribution.
 *
 * <p>Cost: one unembedding of every (layer, position) — (n + 1) · positions rows times W_U, the
 * bulk of the time on a large vocabulary; a short prompt's layers share products (see
 * {@link #GROUP_ROWS}) — then one exp per logit (see {@link LogitRows}), the cells in parallel.
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
        model.forward(tokens, new KvCache(model.config()), hooks, false);
        return read(model, hooks.cache(), tokens.length, topK, target, text);
    }

    /**
     * The lens at the last position only, layers 0..n: what a next-token question needs, for one
     * unembedding of n + 1 rows instead of (n + 1) · positions.
     */
    public static List<Cell> lastPosition(LanguageModel model, int[] tokens, int topK, OptionalInt target,
                                          IntFunction<String> text) {
        check(model, topK, target);
        int n = model.config().nLayers();
        int d = model.config().dModel();
        int vocab = model.config().dVocab();
        int last = tokens.length - 1;
        Hooks hooks = hooks(model);
        model.forward(tokens, new KvCache(model.config()), hooks, false);
        float[] stacked = new float[(n + 1) * d];                               // [n + 1, d]
        for (int l = 0; l <= n; l++) System.arraycopy(residual(hooks.cache(), l, n), last * d, stacked, l * d, d);
        float[] logits = model.unembedResidual(stacked, n + 1);                 // [n + 1, vocab]
        int finalFrom = n * vocab;
        LogitRows.Softmax finalSoftmax = LogitRows.softmax(logits, finalFrom, vocab);
        float[] finalProbs = new float[vocab];
        LogitRows.probabilities(logits, finalFrom, vocab, finalSoftmax.logZ(), finalProbs);
        List<Cell> cells = new ArrayList<>();
        for (int l = 0; l <= n; l++) {
            Cell c = cell(l, last, logits, l * vocab, l == n, logits, finalFrom, finalSoftmax, finalProbs, vocab, topK, target);
            cells.add(withTexts(c, text));
        }
        return List.copyOf(cells);
    }

    /**
     * The lens over a forward pass's captured residuals (see {@link #hooks}).
     *
     * @param text a token's display text (for the top lists)
     */
    public static Result read(LanguageModel model, ActivationCache cache, int positions, int topK, OptionalInt target,
                              IntFunction<String> text) {
        check(model, topK, target);
        int n = model.config().nLayers();
        int vocab = model.config().dVocab();
        // the final distribution of every position: the reference for each layer's KL
        float[] finalLogits = model.unembedResidual(residual(cache, n, n), positions);   // [positions, vocab]
        LogitRows.Softmax[] finalSoftmax = new LogitRows.Softmax[positions];
        float[][] finalProbs = new float[positions][vocab];
        IntStream.range(0, positions).parallel().forEach(p -> {
            finalSoftmax[p] = LogitRows.softmax(finalLogits, p * vocab, vocab);
            LogitRows.probabilities(finalLogits, p * vocab, vocab, finalSoftmax[p].logZ(), finalProbs[p]);
        });

        Cell[] rows = new Cell[(n + 1) * positions];
        for (int first = 0, layers; first <= n; first += layers) {
            // layers below n share one unembedding (see GROUP_ROWS); layer n is the final logits above
            layers = first == n ? 1 : layersPerProduct(positions, vocab, n - first);
            float[] logits = first == n ? finalLogits : logits(model, cache, first, layers, positions);
            int firstLayer = first;
            IntStream.range(0, layers * positions).parallel().forEach(i -> {
                int l = firstLayer + i / positions, p = i % positions;
                rows[l * positions + p] = cell(l, p, logits, i * vocab, l == n, finalLogits, p * vocab,
                        finalSoftmax[p], finalProbs[p], vocab, topK, target);
            });
        }
        for (int i = 0; i < rows.length; i++) rows[i] = withTexts(rows[i], text);   // here: text need not be thread-safe
        return new Result(n, positions, target, List.of(rows));
    }

    /**
     * Rows a lens unembedding aims for: W_U's rows are dequantized once per product and swept over
     * every residual row in it, so a short prompt's few rows a layer ran several times slower per row
     * (SmolLM2, Q8_0 W_U: 1.44 ms a row with 6 rows, 0.32 ms with 128 or more). Layers are grouped
     * until a product has this many rows.
     */
    static final int GROUP_ROWS = 128;
    /** ... and a group's logits stay under this many bytes. */
    static final long GROUP_BYTES = 64L << 20;

    /** Layers (at most {@code remaining}) to unembed together for {@code positions} rows a layer. */
    public static int layersPerProduct(int positions, int vocab, int remaining) {
        if (positions < 1 || remaining < 1) throw new IllegalArgumentException("no rows to unembed");
        int layers = Math.min(remaining, Math.max(1, (GROUP_ROWS + positions - 1) / positions));
        while (layers > 1 && (long) layers * positions * vocab * Float.BYTES > GROUP_BYTES) layers--;
        return layers;
    }

    /** One cell from its row of logits and the final layer's at the same position (no texts yet). */
    private static Cell cell(int layer, int position, float[] logits, int from, boolean isFinal, float[] finalLogits,
                             int finalFrom, LogitRows.Softmax finalSoftmax, float[] finalProbs, int vocab, int topK,
                             OptionalInt target) {
        LogitRows.Softmax softmax = isFinal ? finalSoftmax : LogitRows.softmax(logits, from, vocab);
        double logZ = softmax.logZ();
        Integer rank = target.isPresent() ? LogitRows.rank(logits, from, vocab, target.getAsInt()) : null;
        Double prob = target.isPresent() ? Math.exp(logits[from + target.getAsInt()] - logZ) : null;
        double kl = isFinal ? 0 : LogitRows.kl(finalProbs, finalLogits, finalFrom, finalSoftmax.logZ(), logits, from, logZ);
        List<TokenProb> top = new ArrayList<>(topK);
        for (TokenProb t : LogitRows.top(logits, from, vocab, topK)) top.add(new TokenProb(t.id(), null, Math.exp(t.prob() - logZ)));
        return new Cell(layer, position, top, softmax.entropy(), kl, rank, prob);
    }

    private static Cell withTexts(Cell c, IntFunction<String> text) {
        List<TokenProb> top = c.top().stream().map(t -> new TokenProb(t.id(), text.apply(t.id()), t.prob())).toList();
        return new Cell(c.layer(), c.position(), top, c.entropy(), c.klToFinal(), c.targetRank(), c.targetProb());
    }

    private static void check(LanguageModel model, int topK, OptionalInt target) {
        if (topK < 1) throw new IllegalArgumentException("top k must be at least 1");
        int vocab = model.config().dVocab();
        target.ifPresent(t -> {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("target token " + t + " is outside the vocabulary");
        });
    }

    /**
     * The lens logits of layers [first, first + layers) from a forward pass's captured residuals (see
     * {@link #hooks}), in one product, stacked layer after layer: [layers * positions, d_vocab]. Layer
     * L &lt; n reads the stream entering block L, layer n the model's output. Take {@code layers} from
     * {@link #layersPerProduct}.
     */
    public static float[] logits(LanguageModel model, ActivationCache cache, int first, int layers, int positions) {
        int n = model.config().nLayers();
        if (first < 0 || layers < 1 || first + layers > n + 1) {
            throw new IllegalArgumentException("layers " + first + ".." + (first + layers - 1) + " are outside 0.." + n);
        }
        if (layers == 1) return model.unembedResidual(residual(cache, first, n), positions);
        int d = model.config().dModel();
        float[] stacked = new float[layers * positions * d];      // [layers * positions, d]
        for (int j = 0; j < layers; j++) {
            System.arraycopy(residual(cache, first + j, n), 0, stacked, j * positions * d, positions * d);
        }
        return model.unembedResidual(stacked, layers * positions);
    }

    /** The residual stream entering block {@code layer}, or leaving the last block for layer n. */
    private static float[] residual(ActivationCache cache, int layer, int n) {
        String name = layer < n ? "blocks." + layer + ".hook_resid_pre" : "blocks." + (n - 1) + ".hook_resid_post";
        return cache.get(name).data();
    }
}

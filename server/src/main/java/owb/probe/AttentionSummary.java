package owb.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;

import owb.model.Activation;
import owb.model.ActivationCache;
import owb.model.Hooks;
import owb.model.LanguageModel;

/**
 * Every head's attention pattern ({@code blocks.L.attn.hook_pattern} [head, q, k]) and per-head
 * scores, each a mean over the query positions where it is defined (NaN where none is):
 * <ul>
 *   <li>{@code entropy}: of each query's attention distribution, nats;</li>
 *   <li>{@code sink}: attention to position 0;</li>
 *   <li>{@code previous_token}: attention from i to i - 1 (queries i ≥ 1);</li>
 *   <li>{@code duplicate_token}: attention from i to earlier positions holding the same token
 *       (queries whose token occurred before);</li>
 *   <li>{@code induction}: attention from i to the positions just after earlier occurrences of
 *       token i (same queries). On {@link #inductionPrompt} — a random sequence repeated — an
 *       induction head scores near 1 (Olsson et al., "In-context learning and induction heads").</li>
 * </ul>
 */
public final class AttentionSummary {
    private AttentionSummary() {}

    public record HeadScores(int layer, int head, double entropy, double sink, double previousToken,
                             double duplicateToken, double induction) {

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", layer);
            m.put("head", head);
            m.put("entropy", finite(entropy));
            m.put("sink", finite(sink));
            m.put("previous_token", finite(previousToken));
            m.put("duplicate_token", finite(duplicateToken));
            m.put("induction", finite(induction));
            return m;
        }
    }

    /** A key and the attention weight a query gives it. */
    public record KeyWeight(int key, float weight) {}

    /** @param patterns per layer, [head, q, k] */
    public record Result(int[] tokens, List<Activation> patterns, List<HeadScores> heads) {
        public Activation pattern(int layer) { return patterns.get(layer); }

        public HeadScores scores(int layer, int head) {
            int perLayer = patterns.get(layer).dim(0);
            return heads.get(layer * perLayer + head);
        }

        /** {@code {positions, layers, heads_per_layer, heads: [...]}} for a JSON writer. */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("positions", tokens.length);
            m.put("layers", patterns.size());
            m.put("heads_per_layer", patterns.isEmpty() ? 0 : patterns.getFirst().dim(0));
            m.put("heads", heads.stream().map(HeadScores::toJson).toList());
            return m;
        }
    }

    public static Hooks hooks() { return new Hooks().capture("blocks.*.attn.hook_pattern"); }

    public static Result run(LanguageModel model, int[] tokens) {
        Hooks hooks = hooks();
        model.forward(tokens, hooks);
        return read(hooks.cache(), model.config().nLayers(), tokens);
    }

    /**
     * Long prompts: every head's scores and each query's {@code k} heaviest keys, read from each
     * layer's pattern while the forward pass holds it, so no [head, q, k] matrix outlives its layer.
     *
     * @param topKeys per layer, per head, per query: the heaviest keys first
     */
    public record Sparse(int[] tokens, List<HeadScores> heads, List<List<List<List<KeyWeight>>>> topKeys) {}

    public static Sparse runTopKeys(LanguageModel model, int[] tokens, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1");
        int layers = model.config().nLayers();
        List<List<HeadScores>> scores = new ArrayList<>();
        List<List<List<List<KeyWeight>>>> keys = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            scores.add(null);
            keys.add(null);
        }
        Hooks hooks = new Hooks().intervene("blocks.*.attn.hook_pattern", (name, pattern) -> {
            int l = Integer.parseInt(name.substring("blocks.".length(), name.indexOf(".attn.")));
            List<HeadScores> layerScores = new ArrayList<>();
            List<List<List<KeyWeight>>> layerKeys = new ArrayList<>();
            for (int h = 0; h < pattern.dim(0); h++) {
                layerScores.add(score(l, h, pattern, tokens));
                layerKeys.add(topKeys(pattern, h, k));
            }
            scores.set(l, List.copyOf(layerScores));
            keys.set(l, List.copyOf(layerKeys));
        });
        model.forward(tokens, hooks);
        return new Sparse(tokens.clone(), scores.stream().flatMap(List::stream).toList(), List.copyOf(keys));
    }

    /** Scores from a forward pass's captured patterns (see {@link #hooks}). */
    public static Result read(ActivationCache cache, int layers, int[] tokens) {
        List<Activation> patterns = new ArrayList<>(layers);
        List<HeadScores> heads = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            Activation pattern = cache.get("blocks." + l + ".attn.hook_pattern");
            patterns.add(pattern);
            for (int h = 0; h < pattern.dim(0); h++) heads.add(score(l, h, pattern, tokens));
        }
        return new Result(tokens.clone(), List.copyOf(patterns), List.copyOf(heads));
    }

    /** The scores of head {@code head} of one layer's pattern [head, q, k] over {@code tokens}. */
    public static HeadScores score(int layer, int head, Activation pattern, int[] tokens) {
        checkShape(pattern, tokens);
        return new HeadScores(layer, head, entropy(pattern, head), sink(pattern, head), previousToken(pattern, head),
                duplicateToken(pattern, head, tokens), induction(pattern, head, tokens));
    }

    public static double entropy(Activation pattern, int head) {
        int n = pattern.dim(1);
        int keys = pattern.dim(2);
        double total = 0;
        for (int q = 0; q < n; q++) {
            double h = 0;
            for (int k = 0; k < keys; k++) {
                double a = at(pattern, head, q, k);
                if (a > 0) h -= a * Math.log(a);
            }
            total += h;
        }
        return n == 0 ? Double.NaN : total / n;
    }

    public static double sink(Activation pattern, int head) {
        int n = pattern.dim(1);
        double total = 0;
        for (int q = 0; q < n; q++) total += at(pattern, head, q, 0);
        return n == 0 ? Double.NaN : total / n;
    }

    public static double previousToken(Activation pattern, int head) {
        int n = pattern.dim(1);
        double total = 0;
        for (int q = 1; q < n; q++) total += at(pattern, head, q, q - 1);
        return n < 2 ? Double.NaN : total / (n - 1);
    }

    public static double duplicateToken(Activation pattern, int head, int[] tokens) {
        return meanOverRepeats(pattern, head, tokens, 0);
    }

    public static double induction(Activation pattern, int head, int[] tokens) {
        return meanOverRepeats(pattern, head, tokens, 1);
    }

    /** Mean over queries i whose token occurred before of Σ attention(i → j + offset), j < i with tokens[j] == tokens[i]. */
    private static double meanOverRepeats(Activation pattern, int head, int[] tokens, int offset) {
        checkShape(pattern, tokens);
        double total = 0;
        int queries = 0;
        for (int q = 1; q < tokens.length; q++) {
            double sum = 0;
            boolean repeat = false;
            for (int j = 0; j < q; j++) {
                if (tokens[j] != tokens[q]) continue;
                repeat = true;
                if (j + offset <= q) sum += at(pattern, head, q, j + offset);
            }
            if (repeat) {
                total += sum;
                queries++;
            }
        }
        return queries == 0 ? Double.NaN : total / queries;
    }

    /** For each query, its {@code k} most attended keys, heaviest first: a long prompt's pattern without the full matrix. */
    public static List<List<KeyWeight>> topKeys(Activation pattern, int head, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1");
        int n = pattern.dim(1);
        int keys = pattern.dim(2);
        List<List<KeyWeight>> out = new ArrayList<>(n);
        double[] row = new double[keys];
        for (int q = 0; q < n; q++) {
            for (int j = 0; j < keys; j++) row[j] = at(pattern, head, q, j);
            List<KeyWeight> best = new ArrayList<>();
            for (TokenProb t : Distributions.topValues(row, k)) best.add(new KeyWeight(t.id(), (float) t.prob()));
            out.add(List.copyOf(best));
        }
        return out;
    }

    /** {@code [r, r]}: {@code length} uniform random ids in [0, vocab) from {@code seed}, twice. */
    public static int[] inductionPrompt(long seed, int length, int vocab) {
        return inductionPrompt(seed, length, vocab, OptionalInt.empty());
    }

    /** {@code [bos?, r, r]}: as {@link #inductionPrompt(long, int, int)}, after {@code bos} when given. */
    public static int[] inductionPrompt(long seed, int length, int vocab, OptionalInt bos) {
        if (length < 1 || vocab < 1) throw new IllegalArgumentException("length and vocab must be positive");
        SplittableRandom random = new SplittableRandom(seed);
        int lead = bos.isPresent() ? 1 : 0;
        int[] tokens = new int[lead + 2 * length];
        bos.ifPresent(b -> tokens[0] = b);
        for (int i = 0; i < length; i++) {
            tokens[lead + i] = random.nextInt(vocab);
            tokens[lead + length + i] = tokens[lead + i];
        }
        return tokens;
    }

    private static double at(Activation pattern, int head, int q, int k) {
        int n = pattern.dim(1);
        int keys = pattern.dim(2);
        return pattern.data()[(head * n + q) * keys + k];
    }

    private static void checkShape(Activation pattern, int[] tokens) {
        if (pattern.rank() != 3 || pattern.dim(1) != tokens.length || pattern.dim(2) < tokens.length) {
            throw new IllegalArgumentException("pattern " + pattern + " does not fit " + tokens.length + " tokens");
        }
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }
}

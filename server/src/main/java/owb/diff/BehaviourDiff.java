package owb.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

import owb.checkpoint.Checkpoint;
import owb.model.Activation;
import owb.model.ActivationCache;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelConfig;
import owb.model.ModelLoader;
import owb.probe.Distributions;
import owb.probe.LogitLens;
import owb.probe.TokenProb;
import owb.tokenizer.CheckpointTokenizer;
import owb.tokenizer.Tokenizer;

/**
 * What a fine-tune does to behaviour on a prompt: base and derivative run on the same token ids
 * (the base's tokenizer) and are compared layer by layer.
 * <ul>
 *   <li>{@code lens_kl}: per lens layer L (as {@link LogitLens} numbers them: L &lt; n reads the
 *       residual stream entering block L, n is the output) and position, KL(P_base ‖ P_derivative)
 *       in nats between the two logit-lens distributions, each model read through its own final
 *       norm and unembedding. When the vocabularies differ in size (a resized vocabulary) both
 *       distributions are taken over the shared ids [0, min) and renormalised there.</li>
 *   <li>{@code attention_js}: per layer and head, the Jensen-Shannon divergence (nats, 0 to ln 2)
 *       between the two attention patterns, each query position's distribution over its keys,
 *       averaged over query positions.</li>
 *   <li>{@code moved_tokens}: at the last position, the output tokens whose probability rose most
 *       and fell most, each model's full softmax over its own vocabulary (a token a model does not
 *       have has probability 0 there); moves under {@link #MIN_MOVE} are left out.</li>
 * </ul>
 * Two forward passes of the same weights are not always bit-identical: the first passes in a JVM
 * run partly before HotSpot has compiled the vector kernels, whose interpreted forms round lane
 * sums differently. An unedited layer then shows a KL or JS of order 1e-12 (a warm JVM gives 0).
 * The base's attention patterns are held while the derivative runs, so prompts are bounded by
 * {@link #MAX_PATTERN_BYTES}.
 */
public final class BehaviourDiff {
    private BehaviourDiff() {}

    /** Tokens listed per direction in {@code moved_tokens} by default. */
    public static final int DEFAULT_MOVED = 10;
    /**
     * The smallest change of an output token's probability listed in {@code moved_tokens}: the
     * rounding differences between a cold and a warm forward pass move probabilities by ~1e-7.
     */
    public static final double MIN_MOVE = 1e-6;
    /** The base's patterns (layers · heads · positions² floats) held for the comparison, at most. */
    public static final long MAX_PATTERN_BYTES = 512L << 20;

    public record LensKl(int layer, int position, double kl) {}

    public record HeadJs(int layer, int head, double js) {}

    public record MovedToken(int id, String text, double pBase, double pDerivative) {
        public double delta() { return pDerivative - pBase; }
    }

    /**
     * One prompt's comparison.
     *
     * @param layers      n: lens layers are 0..n, attention layers 0..n-1
     * @param sharedVocab the ids {@code lensKl} compares, [0, sharedVocab)
     * @param lensKl      layer-major, (n + 1) · positions cells
     * @param attentionJs layer-major, n · heads cells
     * @param movedTokens the largest rises (largest first), then the largest falls (largest first)
     */
    public record Result(String prompt, int[] tokens, List<String> tokenTexts, int layers, int heads, int sharedVocab,
                         List<LensKl> lensKl, List<HeadJs> attentionJs, List<MovedToken> movedTokens,
                         List<String> notes) {
        public int positions() { return tokens.length; }

        public double kl(int layer, int position) { return lensKl.get(layer * tokens.length + position).kl(); }

        public double js(int layer, int head) { return attentionJs.get(layer * heads + head).js(); }
    }

    /**
     * Token ids and their text for both models: the base's tokenizer encodes; the derivative's,
     * when it has one, must give every id both have the same text.
     *
     * @param notes what could not be checked, for the reader of the report
     */
    public record Vocabulary(Tokenizer base, Tokenizer derivative, List<String> notes) {

        /**
         * The two checkpoints' tokenizers, checked against each other.
         *
         * @throws IllegalArgumentException when the base has no tokenizer, or the two give some
         *                                  shared id different text
         */
        public static Vocabulary of(Checkpoint base, Checkpoint derivative) {
            CheckpointTokenizer b = CheckpointTokenizer.of(base);
            CheckpointTokenizer d = CheckpointTokenizer.of(derivative);
            if (!b.present()) {
                throw new IllegalArgumentException("the base has no tokenizer to encode the prompt with (" + b.reason() + ")");
            }
            return check(b.tokenizer(), d.tokenizer(), d.reason());
        }

        /** @param derivativeReason why the derivative has no tokenizer (when it is null) */
        public static Vocabulary check(Tokenizer base, Tokenizer derivative, String derivativeReason) {
            List<String> notes = new ArrayList<>();
            if (derivative == null) {
                notes.add("the derivative has no tokenizer (" + derivativeReason
                        + "): its token ids are taken to mean what the base's do");
                return new Vocabulary(base, null, List.copyOf(notes));
            }
            int shared = Math.min(base.vocabSize(), derivative.vocabSize());
            int differing = 0;
            int first = -1;
            for (int id = 0; id < shared; id++) {
                if (!Tokenizer.textOrId(base, id).equals(Tokenizer.textOrId(derivative, id))) {
                    if (first < 0) first = id;
                    differing++;
                }
            }
            if (differing > 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "the vocabularies differ: token %d is %s in the base and %s in the derivative (%d of %d shared"
                                + " ids differ), so the same ids are not the same text and a behavioural diff would"
                                + " compare unrelated tokens", first, quote(Tokenizer.textOrId(base, first)),
                        quote(Tokenizer.textOrId(derivative, first)), differing, shared));
            }
            if (base.vocabSize() != derivative.vocabSize()) {
                notes.add("the tokenizers have " + base.vocabSize() + " and " + derivative.vocabSize()
                        + " tokens; the shared ids read the same");
            }
            return new Vocabulary(base, derivative, List.copyOf(notes));
        }

        /** The base's encoding of a prompt, special tokens (BOS) added as the model expects. */
        public int[] encode(String prompt) {
            int[] ids = base.encode(prompt, true);
            if (ids.length == 0) throw new IllegalArgumentException("the prompt encodes to no tokens");
            return ids;
        }

        /** A token's text: the base's, else the derivative's (ids only it has), else {@code <id>}. */
        public String text(int id) {
            String t = textOrNull(base, id);
            if (t == null && derivative != null) t = textOrNull(derivative, id);
            return t == null ? "<" + id + ">" : t;
        }

        private static String textOrNull(Tokenizer t, int id) {
            try {
                return id < t.vocabSize() ? t.tokenText(id) : null;
            } catch (IllegalArgumentException noSuchToken) {
                return null;
            }
        }
    }

    /**
     * Base and derivative loaded for a behavioural diff, checked to be comparable (vocabularies,
     * layers and heads) before anything runs.
     */
    public record Models(LanguageModel base, LanguageModel derivative, Vocabulary vocabulary) {

        /** @throws IllegalArgumentException when the two cannot be compared (see {@link Vocabulary#of}, {@link #run}) */
        public static Models load(Checkpoint base, Checkpoint derivative) {
            Vocabulary vocabulary = Vocabulary.of(base, derivative);
            Models models = new Models(ModelLoader.load(base), ModelLoader.load(derivative), vocabulary);
            checkShapes(models.base.config(), models.derivative.config());
            return models;
        }

        /** Each prompt's token ids, every one checked against both vocabularies and the length limit. */
        public List<int[]> encode(List<String> prompts) {
            List<int[]> out = new ArrayList<>();
            for (String prompt : prompts) {
                int[] ids = vocabulary.encode(prompt);
                checkTokens(base.config(), derivative.config(), ids);
                out.add(ids);
            }
            return out;
        }

        /** @param moved tokens per direction in {@code moved_tokens} */
        public List<Result> compare(List<String> prompts, int moved) {
            List<int[]> encoded = encode(prompts);
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                Result r = run(base, derivative, encoded.get(i), vocabulary::text, moved);
                List<String> notes = new ArrayList<>(vocabulary.notes());
                notes.addAll(r.notes());
                results.add(new Result(prompts.get(i), r.tokens(), r.tokenTexts(), r.layers(), r.heads(),
                        r.sharedVocab(), r.lensKl(), r.attentionJs(), r.movedTokens(), List.copyOf(notes)));
            }
            return List.copyOf(results);
        }
    }

    /** Loads both models and compares them on each prompt; see {@link Models}. */
    public static List<Result> compare(Checkpoint base, Checkpoint derivative, List<String> prompts, int moved) {
        return Models.load(base, derivative).compare(prompts, moved);
    }

    /**
     * Runs both models on {@code tokens} and compares them.
     *
     * @param text  a token's display text
     * @param moved tokens per direction in {@code moved_tokens}
     * @throws IllegalArgumentException when the models differ in layers or heads, a token is outside
     *                                  either vocabulary, or the prompt is too long to compare
     */
    public static Result run(LanguageModel base, LanguageModel derivative, int[] tokens, IntFunction<String> text,
                             int moved) {
        ModelConfig b = base.config();
        ModelConfig d = derivative.config();
        checkShapes(b, d);
        checkTokens(b, d, tokens);
        if (moved < 0) throw new IllegalArgumentException("moved tokens must not be negative");
        int shared = Math.min(b.dVocab(), d.dVocab());
        int n = b.nLayers();
        int heads = b.nHeads();
        int positions = tokens.length;

        // The base first, keeping its residuals and patterns; then the derivative, whose patterns are
        // compared with the base's layer by layer as the forward pass produces them.
        Hooks baseHooks = LogitLens.hooks(base).capture("blocks.*.attn.hook_pattern");
        base.forward(tokens, baseHooks);
        ActivationCache baseCache = baseHooks.cache();
        double[] js = new double[n * heads];
        Hooks derivativeHooks = LogitLens.hooks(derivative).intervene("blocks.*.attn.hook_pattern", (name, pattern) -> {
            int layer = Integer.parseInt(name.substring("blocks.".length(), name.indexOf(".attn.")));
            Activation basePattern = baseCache.get(name);
            for (int h = 0; h < heads; h++) js[layer * heads + h] = meanJensenShannon(basePattern, pattern, h);
        });
        derivative.forward(tokens, derivativeHooks);
        ActivationCache derivativeCache = derivativeHooks.cache();

        List<LensKl> kl = new ArrayList<>((n + 1) * positions);
        double[] lastBase = null;
        double[] lastDerivative = null;
        for (int first = 0, layers; first <= n; first += layers) {
            // a short prompt's layers in one product each side (LogitLens.layersPerProduct)
            layers = LogitLens.layersPerProduct(positions, Math.max(b.dVocab(), d.dVocab()), n + 1 - first);
            float[] lb = LogitLens.logits(base, baseCache, first, layers, positions);              // [layers * positions, d_vocab base]
            float[] ld = LogitLens.logits(derivative, derivativeCache, first, layers, positions);  // [layers * positions, d_vocab derivative]
            for (int j = 0; j < layers; j++) {
                for (int p = 0; p < positions; p++) {
                    int row = j * positions + p;
                    double[] pb = Distributions.logSoftmax(lb, row * b.dVocab(), shared);
                    double[] pd = Distributions.logSoftmax(ld, row * d.dVocab(), shared);
                    kl.add(new LensKl(first + j, p, Distributions.kl(pb, pd)));
                }
                if (first + j == n) {
                    int last = j * positions + positions - 1;
                    lastBase = Distributions.logSoftmax(lb, last * b.dVocab(), b.dVocab());
                    lastDerivative = Distributions.logSoftmax(ld, last * d.dVocab(), d.dVocab());
                }
            }
        }
        List<HeadJs> attention = new ArrayList<>(n * heads);
        for (int l = 0; l < n; l++) {
            for (int h = 0; h < heads; h++) attention.add(new HeadJs(l, h, js[l * heads + h]));
        }
        List<String> texts = new ArrayList<>(positions);
        for (int id : tokens) texts.add(text.apply(id));
        List<String> notes = new ArrayList<>();
        if (b.dVocab() != d.dVocab()) {
            notes.add("the models have " + b.dVocab() + " and " + d.dVocab() + " output tokens; lens_kl compares the "
                    + shared + " shared ids, renormalised");
        }
        return new Result(null, tokens.clone(), List.copyOf(texts), n, heads, shared, List.copyOf(kl),
                List.copyOf(attention), movedTokens(lastBase, lastDerivative, moved, text), List.copyOf(notes));
    }

    private static void checkShapes(ModelConfig b, ModelConfig d) {
        if (b.nLayers() != d.nLayers() || b.nHeads() != d.nHeads()) {
            throw new IllegalArgumentException("the models differ in shape (base " + b.nLayers() + " layers of "
                    + b.nHeads() + " heads, derivative " + d.nLayers() + " of " + d.nHeads()
                    + "); a behavioural diff compares them layer by layer and head by head");
        }
    }

    private static void checkTokens(ModelConfig b, ModelConfig d, int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to run");
        int shared = Math.min(b.dVocab(), d.dVocab());
        for (int id : tokens) {
            if (id < 0 || id >= shared) {
                throw new IllegalArgumentException("token id " + id + " is outside the "
                        + (id >= 0 && id < b.dVocab() ? "derivative's vocabulary (0.." + (d.dVocab() - 1) + ")"
                        : "base's vocabulary (0.." + (b.dVocab() - 1) + ")"));
            }
        }
        long positions = tokens.length;
        long patternBytes = 4L * b.nLayers() * b.nHeads() * positions * positions;
        if (patternBytes > MAX_PATTERN_BYTES) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "a prompt of %d tokens needs %d MiB of"
                    + " attention patterns held for the comparison, over the limit of %d MiB; use a shorter prompt",
                    positions, patternBytes >> 20, MAX_PATTERN_BYTES >> 20));
        }
    }

    /** Mean over query positions of JS(base[head, q, :], derivative[head, q, :]); patterns [head, q, k]. */
    static double meanJensenShannon(Activation base, Activation derivative, int head) {
        int queries = base.dim(1);
        int keys = base.dim(2);
        float[] a = base.data();
        float[] c = derivative.data();
        double sum = 0;
        for (int q = 0; q < queries; q++) {
            int row = (head * queries + q) * keys;
            sum += Distributions.jensenShannon(a, row, c, row, keys);
        }
        return sum / queries;
    }

    /** The {@code k} largest rises of p_derivative - p_base, then the {@code k} largest falls, each at least {@link #MIN_MOVE}. */
    static List<MovedToken> movedTokens(double[] logpBase, double[] logpDerivative, int k, IntFunction<String> text) {
        int vocab = Math.max(logpBase.length, logpDerivative.length);
        double[] rise = new double[vocab];
        double[] fall = new double[vocab];
        for (int id = 0; id < vocab; id++) {
            double delta = prob(logpDerivative, id) - prob(logpBase, id);
            rise[id] = delta;
            fall[id] = -delta;
        }
        List<MovedToken> out = new ArrayList<>();
        for (double[] direction : List.of(rise, fall)) {
            for (TokenProb t : Distributions.topValues(direction, k)) {
                if (t.prob() < MIN_MOVE) break;
                out.add(new MovedToken(t.id(), text.apply(t.id()), prob(logpBase, t.id()), prob(logpDerivative, t.id())));
            }
        }
        return List.copyOf(out);
    }

    private static double prob(double[] logp, int id) {
        return id < logp.length ? Math.exp(logp[id]) : 0;
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format(Locale.ROOT, "\\x%02x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }
}

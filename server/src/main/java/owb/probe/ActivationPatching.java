package owb.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import owb.model.Activation;
import owb.model.ActivationCache;
import owb.model.Hooks;
import owb.model.KvCache;
import owb.model.LanguageModel;

/**
 * Activation patching (denoising), as in TransformerLens' patching demos: a clean and a corrupted
 * prompt of equal token length; the corrupted prompt runs again with one activation replaced by
 * the clean run's value, and the metric says how much of the clean behaviour that one activation
 * restores:
 * <pre>
 *   logit_diff = logit(answer) − logit(wrong) at the last position
 *   patched    = (logit_diff(patched) − logit_diff(corrupted)) / (logit_diff(clean) − logit_diff(corrupted))
 * </pre>
 * 0 is the corrupted behaviour, 1 the clean one. Grids: {@code blocks.L.hook_resid_pre},
 * {@code hook_attn_out} and {@code hook_mlp_out} per (layer, position); {@code blocks.L.attn.hook_z}
 * per (layer, head), one head at every position at a time.
 *
 * <p>Cost, and what is saved exactly: a patch at block L changes nothing below L, and a patch at
 * position p changes nothing before p. So each patched pass resumes at block L
 * ({@link LanguageModel#runBlocks}) from the corrupted run's residual, for the positions from the
 * first one where the prompts differ, with the corrupted run's keys and values of the shared prefix
 * in the cache; the metric reads the last position's residual through the final norm and two rows
 * of the unembedding, not the whole vocabulary. Passes that resume at the same block run as one
 * batch of sequences ({@link LanguageModel#runBlocks(int, float[], List, Hooks)}, about
 * {@link #BATCH_ROWS} rows), so each weight matrix is dequantized once for all of them rather than
 * once a pass, and their products are large enough for the GEMM's register tiles. A patch whose clean and corrupted
 * values are equal (every position before the first difference; position p of layer 0's residual
 * when both prompts have the same token there) is a no-op and scores 0 without a pass.
 */
public final class ActivationPatching {
    private ActivationPatching() {}

    /** What is patched: one grid each. */
    public enum Kind {
        RESID_PRE("resid_pre", "hook_resid_pre"),
        ATTN_OUT("attn_out", "hook_attn_out"),
        MLP_OUT("mlp_out", "hook_mlp_out"),
        /** One head's {@code hook_z} at every position. */
        HEADS("heads", "attn.hook_z");

        private final String key;
        private final String hook;

        Kind(String key, String hook) {
            this.key = key;
            this.hook = hook;
        }

        /** The JSON key and the suites' name: {@code resid_pre}, {@code attn_out}, {@code mlp_out}, {@code heads}. */
        public String key() { return key; }

        public String hook(int layer) { return "blocks." + layer + "." + hook; }

        public static Kind of(String key) {
            for (Kind k : values()) if (k.key.equals(key)) return k;
            throw new IllegalArgumentException("unknown patching kind '" + key + "' (resid_pre, attn_out, mlp_out, heads)");
        }
    }

    /** A clean and a corrupted prompt of equal length, and the two tokens whose logit difference is the metric. */
    public record Pair(int[] clean, int[] corrupted, int answer, int wrong) {
        public Pair {
            if (clean.length == 0 || clean.length != corrupted.length) {
                throw new IllegalArgumentException("clean and corrupted prompts must have the same number of tokens, got "
                        + clean.length + " and " + corrupted.length);
            }
            if (Arrays.equals(clean, corrupted)) {
                throw new IllegalArgumentException("clean and corrupted prompts are the same tokens: nothing to patch");
            }
            if (answer == wrong) throw new IllegalArgumentException("answer and wrong are the same token " + answer);
            clean = clean.clone();
            corrupted = corrupted.clone();
        }

        @Override public int[] clean() { return clean.clone(); }

        @Override public int[] corrupted() { return corrupted.clone(); }

        public int length() { return clean.length; }

        /** The first position whose tokens differ. */
        public int firstDifference() {
            int p = 0;
            while (clean[p] == corrupted[p]) p++;
            return p;
        }
    }

    /**
     * Rows of patched passes run as one batch: about this many residual rows, so that each weight
     * matrix is dequantized once for the batch and its products take the outer-product path.
     */
    static final int BATCH_ROWS = 256;
    /** A batch takes patches from higher layers while it has fewer rows than this. */
    static final int BATCH_MIN_ROWS = 96;
    /** At most this many bytes of KV caches for the sequences of one batch. */
    static final long BATCH_CACHE_BYTES = 64L << 20;

    /** Told as patched passes finish, a batch at a time. */
    @FunctionalInterface
    public interface Progress {
        void update(int passesDone, int passesTotal);

        Progress NONE = (done, total) -> {};
    }

    /** One cell of a grid: a layer and a position (or a head), and its normalised value. */
    public record Cell(Kind kind, int layer, int index, double value) {}

    /**
     * @param grids         per kind, [layer][position] (or [layer][head]), normalised
     * @param forwardPasses patched passes run (no-op patches are not run)
     */
    public record Result(Pair pair, double cleanDiff, double corruptedDiff, int layers, int heads,
                         Map<Kind, double[][]> grids, int forwardPasses) {

        public double[][] grid(Kind kind) {
            double[][] g = grids.get(kind);
            if (g == null) throw new IllegalArgumentException(kind.key() + " was not patched");
            return g;
        }

        /** The {@code k} cells of a grid with the largest values, largest first. */
        public List<Cell> top(Kind kind, int k) {
            double[][] g = grid(kind);
            List<Cell> cells = new ArrayList<>();
            for (int l = 0; l < g.length; l++) {
                for (int i = 0; i < g[l].length; i++) cells.add(new Cell(kind, l, i, g[l][i]));
            }
            cells.sort(Comparator.comparingDouble(Cell::value).reversed());
            return List.copyOf(cells.subList(0, Math.min(k, cells.size())));
        }

        /** The largest value of a grid. */
        public double max(Kind kind) { return top(kind, 1).getFirst().value(); }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("metric", "(patched - corrupted) / (clean - corrupted) of logit(answer) - logit(wrong) at the last position");
            m.put("clean_tokens", pair.clean());
            m.put("corrupted_tokens", pair.corrupted());
            m.put("answer", pair.answer());
            m.put("wrong", pair.wrong());
            m.put("clean_logit_diff", cleanDiff);
            m.put("corrupted_logit_diff", corruptedDiff);
            m.put("layers", layers);
            m.put("positions", pair.length());
            m.put("heads_per_layer", heads);
            m.put("first_differing_position", pair.firstDifference());
            m.put("forward_passes", forwardPasses);
            Map<String, Object> g = new LinkedHashMap<>();
            grids.forEach((kind, grid) -> g.put(kind.key(), grid));
            m.put("grids", g);
            return m;
        }
    }

    /** Every grid. */
    public static Result run(LanguageModel model, Pair pair) {
        return run(model, pair, EnumSet.allOf(Kind.class), Progress.NONE);
    }

    public static Result run(LanguageModel model, Pair pair, Set<Kind> kinds, Progress progress) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        int d = model.config().dModel();
        int dHead = model.config().dHead();
        int n = pair.length();
        int first = pair.firstDifference();
        checkTokens(model, pair);

        String out = "blocks." + (layers - 1) + ".hook_resid_post";
        Hooks cleanHooks = new Hooks().capture(out);
        Hooks corruptedHooks = new Hooks().capture("blocks.*.hook_resid_pre").capture(out);
        for (Kind kind : kinds) {
            cleanHooks.capture("blocks.*." + kind.hook);
            corruptedHooks.capture("blocks.*." + kind.hook);
        }
        LogitDifference metric = LogitDifference.of(model, pair.answer, pair.wrong);
        model.forward(pair.clean, new KvCache(model.config()), cleanHooks, false);
        double cleanDiff = metric.of(cleanHooks.cache().get(out).data(), n - 1);
        KvCache prefix = new KvCache(model.config());
        model.forward(pair.corrupted, prefix, corruptedHooks, false);
        double corruptedDiff = metric.of(corruptedHooks.cache().get(out).data(), n - 1);
        prefix.truncate(first);     // the corrupted run's keys and values of the positions both prompts share
        double span = cleanDiff - corruptedDiff;
        if (!(Math.abs(span) > 1e-6 * Math.max(1, Math.abs(cleanDiff)))) {
            throw new IllegalArgumentException(String.format(
                    "clean and corrupted prompts give the same logit difference (%.6f): nothing for patching to restore;"
                            + " choose a corruption that changes the answer", cleanDiff));
        }
        ActivationCache clean = cleanHooks.cache();
        ActivationCache corrupted = corruptedHooks.cache();

        // the patches that change something, each with where its values go
        List<Patch> patches = new ArrayList<>();
        Map<Kind, double[][]> grids = new EnumMap<>(Kind.class);
        for (Kind kind : kinds) {
            int width = kind == Kind.HEADS ? heads : n;
            grids.put(kind, new double[layers][width]);
            for (int l = 0; l < layers; l++) {
                float[] cleanValue = clean.get(kind.hook(l)).data();
                float[] corruptedValue = corrupted.get(kind.hook(l)).data();
                for (int i = 0; i < width; i++) {
                    Patch p = kind == Kind.HEADS ? Patch.head(kind, l, i, cleanValue, first, n, heads, dHead)
                            : Patch.position(kind, l, i, cleanValue, first, d);
                    if (p != null && p.changes(corruptedValue, first)) patches.add(p);
                }
            }
        }

        // Patches run in batches, each patch as its own sequence after its own copy of the prefix's
        // cache, all resuming at the batch's lowest layer: their projections and MLPs share one pass
        // over the weights. A patch at a higher layer runs the blocks below it unpatched first, which
        // reproduces the corrupted run there; that costs a few blocks and keeps small batches
        // (a one-position suffix gives one row a patch) off the slow small-product path.
        patches.sort(Comparator.comparingInt(Patch::layer));
        int rows = n - first;
        // each sequence's cache holds the prefix and its own rows, in every layer, keys and values,
        // and may double as it grows: a bigger model's batches stay within BATCH_CACHE_BYTES
        long cacheBytes = 2L * 2 * layers * model.config().nKvHeads() * model.config().dHead() * Float.BYTES
                * Math.max(first + rows, 2L * first);
        int batch = (int) Math.max(1, Math.min(BATCH_ROWS / rows, BATCH_CACHE_BYTES / cacheBytes));
        int done = 0;
        for (int from = 0; from < patches.size(); ) {
            int layer = patches.get(from).layer;
            int to = from + 1;
            while (to < patches.size() && to - from < batch
                    && (patches.get(to).layer == layer || (to - from) * rows < BATCH_MIN_ROWS)) {
                to++;
            }
            List<Patch> group = patches.subList(from, to);
            float[] resid = corrupted.get(Kind.RESID_PRE.hook(layer)).data();
            float[] stacked = new float[group.size() * rows * d];                   // [group * (n - first), d]
            List<KvCache> caches = new ArrayList<>(group.size());
            for (int b = 0; b < group.size(); b++) {
                System.arraycopy(resid, first * d, stacked, b * rows * d, rows * d);
                caches.add(prefix.copy());
            }
            Hooks hooks = new Hooks();
            for (int l = layer; l <= group.getLast().layer; l++) {
                for (Kind kind : kinds) {
                    int patchLayer = l;
                    hooks.intervene(kind.hook(l), (name, a) -> {
                        for (int b = 0; b < group.size(); b++) {
                            Patch p = group.get(b);
                            if (p.kind == kind && p.layer == patchLayer) p.apply(a, first, b * rows);
                        }
                    });
                }
            }
            float[] after = model.runBlocks(layer, stacked, caches, hooks);         // [group * (n - first), d]
            for (int b = 0; b < group.size(); b++) {
                Patch p = group.get(b);
                double patched = metric.of(after, b * rows + rows - 1);
                grids.get(p.kind)[p.layer][p.index] = (patched - corruptedDiff) / span;
            }
            done += group.size();
            progress.update(done, patches.size());
            from = to;
        }
        return new Result(pair, cleanDiff, corruptedDiff, layers, heads, grids, done);
    }

    /**
     * The logit difference after replacing rows {@code positions} of any [pos, ...] activation
     * {@code hook} with the clean run's: full forward passes, nothing resumed or skipped (a
     * reference for the grids, and multi-position patches).
     */
    public static double patchedLogitDiff(LanguageModel model, Pair pair, String hook, int... positions) {
        checkTokens(model, pair);
        Hooks cleanHooks = new Hooks().capture(hook);
        model.forward(pair.clean, new KvCache(model.config()), cleanHooks, false);
        Activation clean = cleanHooks.cache().get(hook);
        int row = clean.size() / clean.dim(0);
        Hooks hooks = new Hooks().intervene(hook, (name, a) -> {
            for (int p : positions) System.arraycopy(clean.data(), p * row, a.data(), p * row, row);
        });
        return logitDiff(model.forward(pair.corrupted, new KvCache(model.config()), hooks, false), pair);
    }

    /** logit(answer) − logit(wrong) at the last position, the unpatched prompt's. */
    public static double logitDiff(LanguageModel model, int[] tokens, int answer, int wrong) {
        float[] logits = model.forward(tokens, new KvCache(model.config()), Hooks.none(), false);
        return logits[answer] - (double) logits[wrong];
    }

    private static double logitDiff(float[] lastLogits, Pair pair) {
        return lastLogits[pair.answer] - (double) lastLogits[pair.wrong];
    }

    private static void checkTokens(LanguageModel model, Pair pair) {
        int vocab = model.config().dVocab();
        for (int t : new int[] {pair.answer, pair.wrong}) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
    }

    /**
     * One patch: the clean values of some elements of one activation, as flat offsets into the
     * full prompt's activation [n, ...]; in a pass over positions [first, n) they sit {@code first}
     * rows earlier.
     */
    private record Patch(Kind kind, int layer, int index, int[] offsets, float[] values, int rowSize) {

        /** Row {@code position} of a [pos, d] activation; null before the first difference (a no-op). */
        static Patch position(Kind kind, int layer, int position, float[] clean, int first, int d) {
            if (position < first) return null;
            int[] offsets = new int[d];
            for (int j = 0; j < d; j++) offsets[j] = position * d + j;
            return new Patch(kind, layer, position, offsets, pick(clean, offsets), d);
        }

        /** Head {@code head} of z [pos, heads, d_head] at positions [first, n). */
        static Patch head(Kind kind, int layer, int head, float[] clean, int first, int n, int heads, int dHead) {
            int[] offsets = new int[(n - first) * dHead];
            for (int p = first, k = 0; p < n; p++) {
                for (int e = 0; e < dHead; e++) offsets[k++] = (p * heads + head) * dHead + e;
            }
            return new Patch(kind, layer, head, offsets, pick(clean, offsets), heads * dHead);
        }

        boolean changes(float[] corrupted, int first) {
            for (int k = 0; k < offsets.length; k++) {
                if (Float.floatToIntBits(corrupted[offsets[k]]) != Float.floatToIntBits(values[k])) return true;
            }
            return false;
        }

        /**
         * Writes the clean values into the activation of a pass that starts at position {@code first},
         * into the sequence whose rows start at row {@code firstRow} of a batch.
         */
        void apply(Activation a, int first, int firstRow) {
            float[] data = a.data();
            int shift = (firstRow - first) * rowSize;
            for (int k = 0; k < offsets.length; k++) data[offsets[k] + shift] = values[k];
        }

        private static float[] pick(float[] values, int[] offsets) {
            float[] out = new float[offsets.length];
            for (int k = 0; k < offsets.length; k++) out[k] = values[offsets[k]];
            return out;
        }
    }
}

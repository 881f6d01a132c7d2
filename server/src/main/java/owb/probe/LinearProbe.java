package owb.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import owb.model.Activation;
import owb.model.Hooks;
import owb.model.KvCache;
import owb.model.LanguageModel;
import owb.probe.LinearClassifier.Method;

/**
 * Linear probes: is a label linearly readable from the activations at a hook? One forward pass per
 * labelled prompt captures every hook point matching a glob ({@code blocks.*.hook_resid_post}: one
 * per layer), pooled over positions (the last token, or the mean); then per hook point a
 * {@link LinearClassifier} is fitted on a seeded, stratified training split and scored on the rest.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /** How a [pos, ...] activation becomes one vector. */
    public enum Pooling {
        LAST, MEAN;

        public String key() { return name().toLowerCase(Locale.ROOT); }

        public static Pooling of(String key) {
            for (Pooling p : values()) if (p.key().equals(key)) return p;
            throw new IllegalArgumentException("unknown pooling '" + key + "' (last, mean)");
        }
    }

    /**
     * @param hook        a glob of hook points with a position axis first
     * @param testFraction of each label's examples held out, in [0, 1)
     */
    public record Options(String hook, Pooling pooling, Method method, double lambda, double testFraction, long seed) {
        public Options {
            if (hook.contains("hook_pattern") || hook.contains("hook_attn_scores")) {
                throw new IllegalArgumentException("probe hooks need a position axis first; " + hook + " is [head, q, k]");
            }
            if (!(testFraction >= 0 && testFraction < 1)) throw new IllegalArgumentException("test fraction must be in [0, 1), got " + testFraction);
            if (!(lambda > 0)) throw new IllegalArgumentException("lambda must be positive, got " + lambda);
        }
    }

    /** Which examples train and which test: sorted, disjoint, together all of them. */
    public record Split(int[] train, int[] test) {
        /**
         * Per label, a seeded shuffle of its examples; the first round(fraction · count) of them
         * test (at least one when the fraction is positive and the label has two or more).
         */
        public static Split stratified(int[] labels, double testFraction, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (int label : Arrays.stream(labels).distinct().sorted().toArray()) {
                int[] members = java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
                for (int i = members.length - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = members[i]; members[i] = members[j]; members[j] = t;
                }
                int held = (int) Math.round(testFraction * members.length);
                if (testFraction > 0 && members.length >= 2) held = Math.clamp(held, 1, members.length - 1);
                for (int k = 0; k < members.length; k++) (k < held ? test : train).add(members[k]);
            }
            return of(train, test);
        }

        /**
         * Whole groups to one side (contrastive twins such as "Paris is in France." / "Paris is in
         * Japan." share a group: split apart, a probe would learn the wording and score below chance):
         * the groups in a seeded shuffle, taken for the test until it holds round(fraction · examples)
         * examples (at least one group when the fraction is positive, and never all of them).
         */
        public static Split grouped(String[] groups, double testFraction, long seed) {
            List<String> distinct = Arrays.stream(groups).distinct().collect(java.util.stream.Collectors.toCollection(ArrayList::new));
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = distinct.size() - 1; i > 0; i--) java.util.Collections.swap(distinct, i, random.nextInt(i + 1));
            long wanted = Math.round(testFraction * groups.length);
            java.util.Set<String> held = new java.util.HashSet<>();
            int heldExamples = 0;
            for (String g : distinct) {
                boolean enough = heldExamples >= wanted && (testFraction == 0 || !held.isEmpty());
                if (enough || held.size() == distinct.size() - 1) break;
                held.add(g);
                for (String x : groups) if (x.equals(g)) heldExamples++;
            }
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (int i = 0; i < groups.length; i++) (held.contains(groups[i]) ? test : train).add(i);
            return of(train, test);
        }

        private static Split of(List<Integer> train, List<Integer> test) {
            return new Split(train.stream().mapToInt(Integer::intValue).sorted().toArray(),
                    test.stream().mapToInt(Integer::intValue).sorted().toArray());
        }
    }

    /** One hook point's probe: {@code layer} is -1 outside the blocks; test accuracy NaN without a test split. */
    public record Site(String hook, int layer, double trainAccuracy, double testAccuracy) {}

    public record Result(Options options, int examples, Split split, List<Site> sites) {

        /** The site with the best test accuracy (train accuracy, then the earliest, on ties). */
        public Site best() {
            Site best = sites.getFirst();
            for (Site s : sites) {
                if (key(s) > key(best)) best = s;
            }
            return best;
        }

        private static double key(Site s) {
            return (Double.isNaN(s.testAccuracy) ? 0 : s.testAccuracy) * 2 + s.trainAccuracy * 1e-3;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hook", options.hook());
            m.put("pooling", options.pooling().key());
            m.put("method", options.method().key());
            m.put("lambda", options.lambda());
            m.put("test_fraction", options.testFraction());
            m.put("seed", options.seed());
            m.put("examples", examples);
            m.put("train_examples", split.train().length);
            m.put("test_examples", split.test().length);
            m.put("sites", sites.stream().map(LinearProbe::siteJson).toList());
            m.put("best", siteJson(best()));
            return m;
        }
    }

    /** Activations of every prompt at every matching hook point, pooled: hook name → [example][width], in forward order. */
    public static Map<String, double[][]> features(LanguageModel model, List<int[]> prompts, String hook, Pooling pooling) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (int e = 0; e < prompts.size(); e++) {
            int[] tokens = prompts.get(e);
            Hooks hooks = new Hooks().capture(hook);
            model.forward(tokens, new KvCache(model.config()), hooks, false);
            if (hooks.cache().size() == 0) throw new IllegalArgumentException("no hook point matches '" + hook + "'");
            for (String name : hooks.cache().names()) {
                Activation a = hooks.cache().get(name);
                if (a.rank() < 2 || a.dim(0) != tokens.length) {
                    throw new IllegalArgumentException(name + " " + a + " has no position axis first");
                }
                double[] pooled = pool(a, pooling);
                double[][] rows = out.computeIfAbsent(name, k -> new double[prompts.size()][]);
                rows[e] = pooled;
            }
        }
        return out;
    }

    /** Runs every prompt, then fits and scores a probe at each hook point (a stratified split). */
    public static Result run(LanguageModel model, List<int[]> prompts, int[] labels, Options options) {
        return run(model, prompts, labels, null, options);
    }

    /** As {@link #run(LanguageModel, List, int[], Options)}, with whole groups to one side of the split when {@code groups} is given. */
    public static Result run(LanguageModel model, List<int[]> prompts, int[] labels, String[] groups, Options options) {
        if (prompts.size() != labels.length || groups != null && groups.length != labels.length) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + labels.length + " labels"
                    + (groups == null ? "" : " and " + groups.length + " groups"));
        }
        Split split = groups == null ? Split.stratified(labels, options.testFraction(), options.seed())
                : Split.grouped(groups, options.testFraction(), options.seed());
        return fit(features(model, prompts, options.hook(), options.pooling()), labels, split, options);
    }

    /** Fits and scores a probe on each site's features [example][width], with a stratified split. */
    public static Result fit(Map<String, double[][]> features, int[] labels, Options options) {
        return fit(features, labels, Split.stratified(labels, options.testFraction(), options.seed()), options);
    }

    public static Result fit(Map<String, double[][]> features, int[] labels, Split split, Options options) {
        List<Site> sites = new ArrayList<>();
        features.forEach((name, x) -> {
            LinearClassifier c = LinearClassifier.fit(x, labels, split.train(), options.method(), options.lambda());
            sites.add(new Site(name, layerOf(name), c.accuracy(x, labels, split.train()), c.accuracy(x, labels, split.test())));
        });
        return new Result(options, labels.length, split, List.copyOf(sites));
    }

    private static double[] pool(Activation a, Pooling pooling) {
        int n = a.dim(0);
        int width = a.size() / n;
        float[] data = a.data();
        double[] v = new double[width];
        if (pooling == Pooling.LAST) {
            for (int j = 0; j < width; j++) v[j] = data[(n - 1) * width + j];
        } else {
            for (int p = 0; p < n; p++) for (int j = 0; j < width; j++) v[j] += data[p * width + j] / (double) n;
        }
        return v;
    }

    /** L of a {@code blocks.L.} hook name, else -1. */
    static int layerOf(String hook) {
        if (!hook.startsWith("blocks.")) return -1;
        int dot = hook.indexOf('.', "blocks.".length());
        try {
            return Integer.parseInt(hook.substring("blocks.".length(), dot));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static Map<String, Object> siteJson(Site s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hook", s.hook());
        m.put("layer", s.layer() < 0 ? null : s.layer());
        m.put("train_accuracy", s.trainAccuracy());
        m.put("test_accuracy", Double.isNaN(s.testAccuracy()) ? null : s.testAccuracy());
        return m;
    }
}

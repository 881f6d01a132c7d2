package owb.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Consumer;

import owb.model.LanguageModel;
import owb.probe.ProbeReport.Expectation;
import owb.probe.ProbeSuite.InductionSpec;
import owb.probe.ProbeSuite.LensItem;
import owb.probe.ProbeSuite.LensSpec;
import owb.probe.ProbeSuite.PatchingPair;
import owb.probe.ProbeSuite.PatchingSpec;
import owb.probe.ProbeSuite.ProbeSpec;
import owb.tokenizer.TokenSpec;
import owb.tokenizer.Tokenizer;

/**
 * Runs a {@link ProbeSuite} on a model: the suite's instrument on its prompts, a report of what it
 * found (JSON-ready maps and text) and the suite's expectations checked against it.
 * <ul>
 *   <li>{@code logit_lens}: per prompt, the target's rank and probability at the last position after
 *       every layer ({@link LogitLens#lastPosition}), the first layer where it is the top token, the
 *       final rank and probability. Checks: {@code final_rank1_at_least} (prompts whose target is the
 *       model's top token), {@code first_rank1_layer_at_least} (the earliest such layer of any prompt).</li>
 *   <li>{@code induction}: every head's scores on a repeated random sequence, the top heads by induction
 *       score. Checks: {@code top_induction_at_least}, {@code heads_above_half_at_least}.</li>
 *   <li>{@code patching}: per pair the grids of {@link ActivationPatching}, their top cells, and each
 *       layer's value at the last position; over pairs, the mean head grid and its top heads. Checks
 *       {@code KIND_max_at_least}: the smallest over pairs of the grid's largest cell.</li>
 *   <li>{@code linear_probe}: {@link LinearProbe} at every matching hook point. Check:
 *       {@code best_test_accuracy_at_least}.</li>
 * </ul>
 */
public final class ProbeRunner {
    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final Consumer<String> progress;

    /**
     * @param tokenizer null when the model has none (suites then need token ids)
     * @param progress  told what a long run is doing (patching passes), one line at a time
     */
    public ProbeRunner(LanguageModel model, Tokenizer tokenizer, Consumer<String> progress) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.progress = progress;
    }

    public ProbeReport run(ProbeSuite suite, String modelName) {
        List<Expectation> expectations = new ArrayList<>();
        Map<String, Object> results;
        StringBuilder text = new StringBuilder();
        text.append(String.format("suite   %s (%s): %s%nmodel   %s (%s: %d layers, %d heads)%n", suite.name(),
                suite.spec().instrument().key(), suite.description(), modelName, model.config().architecture(),
                model.config().nLayers(), model.config().nHeads()));
        Map<String, Double> measured = new LinkedHashMap<>();
        results = switch (suite.spec()) {
            case LensSpec s -> lens(suite, s, measured, text);
            case InductionSpec s -> induction(s, measured, text);
            case PatchingSpec s -> patching(suite, s, measured, text);
            case ProbeSpec s -> linearProbe(suite, s, measured, text);
        };
        suite.expect().forEach((check, expected) -> expectations.add(new Expectation(check, expected,
                measured.getOrDefault(check, Double.NaN))));
        text.append(ProbeReport.expectationLines(suite, expectations));
        return new ProbeReport(suite, modelName, results, List.copyOf(expectations), text.toString());
    }

    // ---- logit lens ----------------------------------------------------------------------------------

    private Map<String, Object> lens(ProbeSuite suite, LensSpec spec, Map<String, Double> measured, StringBuilder text) {
        int n = model.config().nLayers();
        List<Map<String, Object>> prompts = new ArrayList<>();
        int finalTop = 0;
        int earliest = Integer.MAX_VALUE;
        List<Integer> firsts = new ArrayList<>();
        text.append(String.format("the target's rank at the last position after each layer (layer %d is the output)%n", n));
        text.append(String.format("%-40s %-14s %9s %10s %10s %s%n", "prompt", "target", "top from", "final rank", "final p",
                "best rank before the output (layer)"));
        for (int i = 0; i < spec.prompts().size(); i++) {
            LensItem item = spec.prompts().get(i);
            String where = suite.file() + ": prompts[" + i + "]";
            int[] tokens = tokens(item.prompt(), where);
            Token target = token(item.target(), where + ".target");
            List<LogitLens.Cell> cells = LogitLens.lastPosition(model, tokens, spec.top(), OptionalInt.of(target.id), this::text);
            int[] ranks = cells.stream().mapToInt(LogitLens.Cell::targetRank).toArray();
            Integer first = null;
            for (int l = 0; l <= n && first == null; l++) if (ranks[l] == 1) first = l;
            int bestBefore = 0;
            for (int l = 1; l < n; l++) if (ranks[l] < ranks[bestBefore]) bestBefore = l;
            LogitLens.Cell out = cells.get(n);
            if (out.targetRank() == 1) finalTop++;
            if (first != null) {
                earliest = Math.min(earliest, first);
                firsts.add(first);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", item.prompt().text());
            m.put("tokens", tokenList(tokens));
            m.put("target", target.json());
            m.put("first_rank1_layer", first);
            m.put("final_rank", out.targetRank());
            m.put("final_prob", out.targetProb());
            Map<String, Object> top1 = new LinkedHashMap<>();      // fixed key order: Map.of's varies by run
            top1.put("id", out.top().getFirst().id());
            top1.put("text", out.top().getFirst().text());
            top1.put("prob", out.top().getFirst().prob());
            m.put("final_top", top1);
            m.put("ranks", Arrays.stream(ranks).boxed().toList());
            m.put("probs", cells.stream().map(LogitLens.Cell::targetProb).toList());
            prompts.add(m);
            text.append(String.format(Locale.ROOT, "%-40s %-14s %9s %10d %10.4f %d (%d)%n", cut(promptText(item.prompt(), tokens), 40),
                    cut(quote(text(target.id)), 14), first == null ? "-" : first, out.targetRank(), out.targetProb(),
                    ranks[bestBefore], bestBefore));
            if (target.note != null) text.append("  note: ").append(target.note).append('\n');
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("prompts", prompts.size());
        summary.put("final_rank1", finalTop);
        summary.put("earliest_first_rank1_layer", earliest == Integer.MAX_VALUE ? null : earliest);
        summary.put("median_first_rank1_layer", firsts.isEmpty() ? null : median(firsts));
        text.append(String.format("%d of %d targets are the model's top token; the earliest layer where one is the lens's top: %s%n",
                finalTop, prompts.size(), earliest == Integer.MAX_VALUE ? "-" : earliest));
        measured.put("final_rank1_at_least", (double) finalTop);
        measured.put("first_rank1_layer_at_least", earliest == Integer.MAX_VALUE ? Double.NaN : earliest);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("layers", n);
        results.put("prompts", prompts);
        results.put("summary", summary);
        return results;
    }

    // ---- induction -----------------------------------------------------------------------------------

    private Map<String, Object> induction(InductionSpec spec, Map<String, Double> measured, StringBuilder text) {
        int vocab = tokenizer == null ? model.config().dVocab() : Math.min(model.config().dVocab(), tokenizer.vocabSize());
        int[] tokens = AttentionSummary.inductionPrompt(spec.seed(), spec.length(), vocab,
                tokenizer == null ? OptionalInt.empty() : tokenizer.bos());
        AttentionSummary.Result r = AttentionSummary.run(model, tokens);
        List<AttentionSummary.HeadScores> sorted = r.heads().stream()
                .sorted(Comparator.comparingDouble((AttentionSummary.HeadScores h) -> h.induction()).reversed()).toList();
        List<AttentionSummary.HeadScores> top = sorted.subList(0, Math.min(spec.top(), sorted.size()));
        long aboveHalf = r.heads().stream().filter(h -> h.induction() > 0.5).count();
        text.append(String.format("%d random tokens (seed %d) twice%s: %d positions; %d heads with induction score > 0.5%n",
                spec.length(), spec.seed(), tokenizer != null && tokenizer.bos().isPresent() ? " after BOS" : "", tokens.length,
                aboveHalf));
        text.append(String.format("%5s %4s %9s %8s %6s %9s%n", "layer", "head", "induction", "prev-tok", "sink", "entropy"));
        for (AttentionSummary.HeadScores h : top) {
            text.append(String.format(Locale.ROOT, "%5d %4d %9.3f %8.3f %6.3f %9.3f%n", h.layer(), h.head(), h.induction(),
                    h.previousToken(), h.sink(), h.entropy()));
        }
        measured.put("top_induction_at_least", sorted.getFirst().induction());
        measured.put("heads_above_half_at_least", (double) aboveHalf);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("seed", spec.seed());
        results.put("length", spec.length());
        results.put("tokens", Arrays.stream(tokens).boxed().toList());
        results.put("heads_above_half", aboveHalf);
        results.put("top_heads", top.stream().map(AttentionSummary.HeadScores::toJson).toList());
        results.put("heads", r.heads().stream().map(AttentionSummary.HeadScores::toJson).toList());
        return results;
    }

    // ---- activation patching -------------------------------------------------------------------------

    private Map<String, Object> patching(ProbeSuite suite, PatchingSpec spec, Map<String, Double> measured, StringBuilder text) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        EnumSet<ActivationPatching.Kind> kinds = EnumSet.copyOf(spec.kinds());
        List<Map<String, Object>> pairs = new ArrayList<>();
        Map<ActivationPatching.Kind, Double> smallestMax = new LinkedHashMap<>();
        Map<ActivationPatching.Kind, double[]> lastByLayer = new LinkedHashMap<>();
        double[][] meanHeads = new double[layers][heads];
        int count = spec.pairs().size();
        for (int i = 0; i < count; i++) {
            PatchingPair p = spec.pairs().get(i);
            String where = suite.file() + ": pairs[" + i + "]";
            int[] clean = tokens(p.clean(), where + ".clean");
            int[] corrupted = tokens(p.corrupted(), where + ".corrupted");
            Token answer = token(p.answer(), where + ".answer");
            Token wrong = token(p.wrong(), where + ".wrong");
            ActivationPatching.Pair pair;
            try {
                pair = new ActivationPatching.Pair(clean, corrupted, answer.id, wrong.id);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            int index = i + 1;
            ActivationPatching.Result r;
            try {
                r = ActivationPatching.run(model, pair, kinds, (done, total) -> {
                    if (done % 20 == 0 || done == total) progress.accept("pair " + index + "/" + count + ": " + done + "/" + total + " patched passes");
                });
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            text.append(String.format(Locale.ROOT, "%npair %d: %s%n   vs   %s%n  logit(%s) - logit(%s): clean %.3f, corrupted %.3f;"
                            + " %d patched passes%n", index, promptText(p.clean(), clean), promptText(p.corrupted(), corrupted),
                    quote(text(answer.id)), quote(text(wrong.id)), r.cleanDiff(), r.corruptedDiff(), r.forwardPasses()));
            for (String note : new String[] {answer.note, wrong.note}) if (note != null) text.append("  note: ").append(note).append('\n');
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("clean", p.clean().text());
            m.put("corrupted", p.corrupted().text());
            m.put("clean_tokens", tokenList(clean));
            m.put("corrupted_tokens", tokenList(corrupted));
            m.put("answer", answer.json());
            m.put("wrong", wrong.json());
            m.put("clean_logit_diff", r.cleanDiff());
            m.put("corrupted_logit_diff", r.corruptedDiff());
            m.put("forward_passes", r.forwardPasses());
            Map<String, Object> top = new LinkedHashMap<>();
            for (ActivationPatching.Kind kind : kinds) {
                List<ActivationPatching.Cell> cells = r.top(kind, spec.top());
                top.put(kind.key(), cells.stream().map(c -> cellJson(c, clean)).toList());
                text.append(String.format("  %-9s", kind.key()));
                for (ActivationPatching.Cell c : cells) text.append("  ").append(cellText(c, clean));
                text.append('\n');
                smallestMax.merge(kind, r.max(kind), Math::min);
                if (kind != ActivationPatching.Kind.HEADS) {
                    double[] column = lastByLayer.computeIfAbsent(kind, k -> new double[layers]);
                    for (int l = 0; l < layers; l++) column[l] += r.grid(kind)[l][clean.length - 1] / count;
                } else {
                    for (int l = 0; l < layers; l++) for (int h = 0; h < heads; h++) meanHeads[l][h] += r.grid(kind)[l][h] / count;
                }
            }
            m.put("top", top);
            Map<String, Object> grids = new LinkedHashMap<>();
            for (ActivationPatching.Kind kind : kinds) grids.put(kind.key(), r.grid(kind));
            m.put("grids", grids);
            pairs.add(m);
        }

        Map<String, Object> summary = new LinkedHashMap<>();
        if (!lastByLayer.isEmpty()) {
            text.append(String.format("%nmean over pairs of patching each layer at the last position:%n%5s", "layer"));
            lastByLayer.keySet().forEach(k -> text.append(String.format(" %9s", k.key())));
            text.append('\n');
            for (int l = 0; l < layers; l++) {
                text.append(String.format("%5d", l));
                for (double[] column : lastByLayer.values()) text.append(String.format(Locale.ROOT, " %9.3f", column[l]));
                text.append('\n');
            }
            Map<String, Object> last = new LinkedHashMap<>();
            lastByLayer.forEach((k, v) -> last.put(k.key(), v));
            summary.put("mean_last_position_by_layer", last);
        }
        if (kinds.contains(ActivationPatching.Kind.HEADS)) {
            List<Map<String, Object>> topHeads = new ArrayList<>();
            List<int[]> order = new ArrayList<>();
            for (int l = 0; l < layers; l++) for (int h = 0; h < heads; h++) order.add(new int[] {l, h});
            order.sort(Comparator.comparingDouble((int[] lh) -> meanHeads[lh[0]][lh[1]]).reversed());
            text.append("\ntop heads, mean over pairs:");
            for (int[] lh : order.subList(0, Math.min(spec.top(), order.size()))) {
                Map<String, Object> head = new LinkedHashMap<>();
                head.put("layer", lh[0]);
                head.put("head", lh[1]);
                head.put("value", meanHeads[lh[0]][lh[1]]);
                topHeads.add(head);
                text.append(String.format(Locale.ROOT, "  L%dH%d %.3f", lh[0], lh[1], meanHeads[lh[0]][lh[1]]));
            }
            text.append('\n');
            summary.put("mean_heads", meanHeads);
            summary.put("top_heads", topHeads);
        }
        Map<String, Object> maxima = new LinkedHashMap<>();
        smallestMax.forEach((k, v) -> {
            maxima.put(k.key(), v);
            measured.put(k.key() + "_max_at_least", v);
        });
        summary.put("smallest_max_over_pairs", maxima);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("metric", "(patched - corrupted) / (clean - corrupted) of logit(answer) - logit(wrong) at the last position");
        results.put("kinds", kinds.stream().map(ActivationPatching.Kind::key).toList());
        results.put("pairs", pairs);
        results.put("summary", summary);
        return results;
    }

    private Map<String, Object> cellJson(ActivationPatching.Cell c, int[] tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", c.layer());
        if (c.kind() == ActivationPatching.Kind.HEADS) {
            m.put("head", c.index());
        } else {
            m.put("position", c.index());
            m.put("token", text(tokens[c.index()]));
        }
        m.put("value", c.value());
        return m;
    }

    private String cellText(ActivationPatching.Cell c, int[] tokens) {
        String at = c.kind() == ActivationPatching.Kind.HEADS ? "L" + c.layer() + "H" + c.index()
                : "L" + c.layer() + "@" + c.index() + cut(quote(text(tokens[c.index()])), 10);
        return String.format(Locale.ROOT, "%s %.2f", at, c.value());
    }

    // ---- linear probe --------------------------------------------------------------------------------

    private Map<String, Object> linearProbe(ProbeSuite suite, ProbeSpec spec, Map<String, Double> measured, StringBuilder text) {
        List<int[]> prompts = new ArrayList<>();
        int[] labels = new int[spec.examples().size()];
        for (int i = 0; i < labels.length; i++) {
            prompts.add(tokens(spec.examples().get(i).prompt(), suite.file() + ": examples[" + i + "]"));
            labels[i] = spec.examples().get(i).label();
        }
        LinearProbe.Options o = spec.options();
        String[] groups = spec.examples().getFirst().group() == null ? null
                : spec.examples().stream().map(ProbeSuite.LabelledPrompt::group).toArray(String[]::new);
        LinearProbe.Result r = LinearProbe.run(model, prompts, labels, groups, o);
        long ones = Arrays.stream(labels).filter(l -> l == 1).count();
        text.append(String.format(Locale.ROOT, "%d examples (%d labelled true), %d train / %d test (seed %d%s); %s at %s, %s pooling,"
                        + " lambda %s%n", labels.length, ones, r.split().train().length, r.split().test().length, o.seed(),
                groups == null ? "" : ", whole groups",
                o.method().key(), o.hook(), o.pooling().key(), ProbeReport.num(o.lambda())));
        text.append(String.format("%-28s %6s %6s%n", "hook", "train", "test"));
        for (LinearProbe.Site s : r.sites()) {
            text.append(String.format(Locale.ROOT, "%-28s %6.3f %6s%n", s.hook(), s.trainAccuracy(),
                    Double.isNaN(s.testAccuracy()) ? "-" : String.format(Locale.ROOT, "%.3f", s.testAccuracy())));
        }
        LinearProbe.Site best = r.best();
        text.append(String.format(Locale.ROOT, "best: %s, test accuracy %.3f (chance %.3f)%n", best.hook(), best.testAccuracy(),
                Math.max(ones, labels.length - ones) / (double) labels.length));
        measured.put("best_test_accuracy_at_least", best.testAccuracy());
        return r.toJson();
    }

    // ---- tokens --------------------------------------------------------------------------------------

    /** A resolved token, with a note when its text encodes to several tokens (the first is used). */
    private record Token(int id, String text, String note) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("text", text);
            if (note != null) m.put("note", note);
            return m;
        }
    }

    private int[] tokens(ProbeSuite.Prompt prompt, String where) {
        int[] ids;
        if (prompt.tokens() != null) {
            ids = prompt.tokens();
        } else {
            if (tokenizer == null) throw new IllegalArgumentException(where + ": text needs the model's tokenizer, which it lacks; give token ids");
            ids = tokenizer.encode(prompt.text(), true);
            if (ids.length == 0) throw new IllegalArgumentException(where + ": the prompt encodes to no tokens");
        }
        for (int id : ids) {
            if (id >= model.config().dVocab()) {
                throw new IllegalArgumentException(where + ": token id " + id + " is outside the vocabulary (0.." + (model.config().dVocab() - 1) + ")");
            }
        }
        return ids;
    }

    private Token token(ProbeSuite.TokenRef ref, String where) {
        if (ref.id() != null) {
            if (ref.id() >= model.config().dVocab()) throw new IllegalArgumentException(where + ": token id " + ref.id() + " is outside the vocabulary");
            return new Token(ref.id(), text(ref.id()), null);
        }
        if (tokenizer == null) throw new IllegalArgumentException(where + ": text needs the model's tokenizer, which it lacks; give #ID");
        TokenSpec t = TokenSpec.fromText(ref.text(), tokenizer, model.config().dVocab(), where + ":");
        String note = t.encodedLength() == 1 ? null : quote(ref.text()) + " encodes to " + t.encodedLength()
                + " tokens; using the first, " + t.id() + ":" + quote(text(t.id()));
        return new Token(t.id(), text(t.id()), note);
    }

    private String text(int id) { return Tokenizer.textOrId(tokenizer, id); }

    private List<Map<String, Object>> tokenList(int[] ids) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int id : ids) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("text", text(id));
            out.add(m);
        }
        return out;
    }

    private String promptText(ProbeSuite.Prompt prompt, int[] tokens) {
        if (prompt.text() != null) return quote(prompt.text());
        StringBuilder sb = new StringBuilder();
        for (int id : tokens) sb.append(text(id));
        return quote(sb.toString());
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    private static String cut(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }

    private static double median(List<Integer> values) {
        int[] s = values.stream().mapToInt(Integer::intValue).sorted().toArray();
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2.0;
    }
}

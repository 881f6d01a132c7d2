package owb.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;


import owb.json.JsonText;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Activation;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.AttentionSummary;
import owb.tensor.KernelWarmUp;

/** {@code owb attention}: per-head attention scores over a prompt, and one head's pattern. */
final class AttentionCommand implements Command, ArgsSpec {

    /** Past this many positions a pattern is shown as each query's top keys, not as a matrix. */
    private static final int MATRIX_LIMIT = 24;

    /** Past this many positions no layer's full pattern is kept (see AttentionSummary.runTopKeys). */
    private static final int LONG_PROMPT = 256;

    @Override public String name() { return "attention"; }

    @Override public String summary() { return "attention heads: entropy, sink, previous-token, duplicate and induction scores, patterns"; }

    @Override
    public String usage() {
        return """
                usage: owb attention MODEL (--prompt TEXT | --tokens ID,ID,... | --induction N)
                                     [--layer L [--head H]] [--top-keys K] [--json]

                Per head (blocks.L.attn.hook_pattern), means over query positions: entropy (nats),
                sink (attention to position 0), previous-token (i to i-1), duplicate-token (to earlier
                copies of the query's token) and induction (to the token after an earlier copy; '-'
                where the prompt repeats no token).

                  --induction N    N random tokens repeated once (after BOS when the tokenizer has
                                   one; --seed S, default 0): induction heads score near 1
                  --layer L        only layer L's heads
                  --head H         with --layer: also head H's pattern (a matrix up to 24 positions,
                                   each query's top keys beyond)
                  --top-keys K     keys per query for long patterns (default 3); past 256
                                   positions no full pattern is kept and --json gives
                                   pattern.top_keys [q][{key, weight}] instead of weights
                  --json           one JSON document: tokens, heads [{layer, head, entropy, sink,
                                   previous_token, duplicate_token, induction}], and with --head the
                                   pattern [q][k]
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of("prompt", "tokens", "induction", "seed", "layer", "head", "top-keys"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path modelPath = Path.of(args.onePositional("MODEL (a model file or folder)"));
        int induction = args.intOption("induction", 0);
        // compiles the engine's kernels while the model is opened (an induction prompt: BOS and twice N ids)
        KernelWarmUp.start(induction > 0 ? 1 + 2 * induction : PromptTokens.estimatedCount(args));
        if (args.option("induction", null) != null) {
            if (induction < 1) throw new UsageException("--induction must be at least 1");
            if (args.option("prompt", null) != null || args.option("tokens", null) != null) {
                throw new UsageException("give one of --prompt, --tokens and --induction");
            }
        } else {
            PromptTokens.checkOptions(args);
        }
        int layer = args.intOption("layer", -1);
        int head = args.intOption("head", -1);
        if (head >= 0 && layer < 0) throw new UsageException("--head needs --layer");
        int topKeys = args.intOption("top-keys", 3);
        if (topKeys < 1) throw new UsageException("--top-keys must be at least 1");
        boolean json = args.flag("json");

        try (Checkpoint checkpoint = Checkpoints.open(modelPath)) {
            LanguageModel model = ModelLoader.load(checkpoint);
            if (layer >= model.config().nLayers() || (args.option("layer", null) != null && layer < 0)) {
                throw new UsageException("--layer must be in 0.." + (model.config().nLayers() - 1));
            }
            if (head >= model.config().nHeads() || (args.option("head", null) != null && head < 0)) {
                throw new UsageException("--head must be in 0.." + (model.config().nHeads() - 1));
            }
            PromptTokens input = induction > 0
                    ? PromptTokens.induction(checkpoint, args.intOption("seed", 0), induction, model.config().dVocab())
                    : PromptTokens.of(args, checkpoint);
            if (input.tokenizer().tokenizer() == null) {
                err.println("warning: " + input.tokenizer().reason() + "; token texts are shown as <id>");
            }
            int n = input.ids().length;
            List<AttentionSummary.HeadScores> all;
            Activation pattern = null;                              // up to LONG_PROMPT positions
            List<List<AttentionSummary.KeyWeight>> top = null;      // past it, or for long text output
            if (n > LONG_PROMPT) {
                AttentionSummary.Sparse sparse = AttentionSummary.runTopKeys(model, input.ids(), topKeys);
                all = sparse.heads();
                if (head >= 0) top = sparse.topKeys().get(layer).get(head);
            } else {
                AttentionSummary.Result result = AttentionSummary.run(model, input.ids());
                all = result.heads();
                if (head >= 0) {
                    pattern = result.pattern(layer);
                    if (n > MATRIX_LIMIT) top = AttentionSummary.topKeys(pattern, head, topKeys);
                }
            }
            List<AttentionSummary.HeadScores> heads = all.stream().filter(s -> layer < 0 || s.layer() == layer).toList();
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", modelPath.toString());
                doc.put("architecture", model.config().architecture());
                doc.put("tokens", RunCommand.tokenList(input.ids(), input.texts()));
                doc.put("positions", n);
                doc.put("layers", model.config().nLayers());
                doc.put("heads_per_layer", model.config().nHeads());
                doc.put("heads", heads.stream().map(AttentionSummary.HeadScores::toJson).toList());
                if (head >= 0) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("layer", layer);
                    p.put("head", head);
                    if (pattern != null) p.put("weights", weights(pattern, head));
                    else p.put("top_keys", top.stream().map(q -> q.stream().map(w -> {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("key", w.key());
                        e.put("weight", w.weight());
                        return e;
                    }).toList()).toList());
                    doc.put("pattern", p);
                }
                out.println(JsonText.pretty(doc));
                return 0;
            }
            out.printf("model   %s (%s: %d layers, %d heads)%n", modelPath, model.config().architecture(),
                    model.config().nLayers(), model.config().nHeads());
            StringBuilder tokens = new StringBuilder();
            for (int i = 0; i < input.ids().length; i++) {
                tokens.append(i == 0 ? "" : " ").append(i).append(':').append(RunCommand.quote(input.texts().text(input.ids()[i])));
            }
            out.printf("tokens  %d: %s%n", input.ids().length, tokens);
            out.printf("%5s %4s %8s %6s %9s %9s %9s%n", "layer", "head", "entropy", "sink", "prev-tok", "dup-tok", "induction");
            for (AttentionSummary.HeadScores s : heads) {
                out.printf("%5d %4d %8s %6s %9s %9s %9s%n", s.layer(), s.head(), num(s.entropy()), num(s.sink()),
                        num(s.previousToken()), num(s.duplicateToken()), num(s.induction()));
            }
            if (head >= 0) printPattern(out, pattern, top, layer, head, input);
        }
        return 0;
    }

    private static List<List<Float>> weights(Activation pattern, int head) {
        int n = pattern.dim(1);
        List<List<Float>> rows = new ArrayList<>(n);
        for (int q = 0; q < n; q++) {
            List<Float> row = new ArrayList<>(pattern.dim(2));
            for (int k = 0; k < pattern.dim(2); k++) row.add(pattern.get(head, q, k));
            rows.add(row);
        }
        return rows;
    }

    /** The matrix when {@code top} is null, else each query's top keys. */
    private static void printPattern(PrintStream out, Activation pattern, List<List<AttentionSummary.KeyWeight>> top,
                                     int layer, int head, PromptTokens input) {
        int n = input.ids().length;
        out.printf("%npattern of layer %d head %d (rows: queries, columns: keys)%n", layer, head);
        if (top == null) {
            StringBuilder header = new StringBuilder(String.format("%-14s", ""));
            for (int k = 0; k < n; k++) header.append(String.format("%5d", k));
            out.println(header);
            for (int q = 0; q < n; q++) {
                StringBuilder line = new StringBuilder(String.format("%3d %-10s", q, cut(input.texts().text(input.ids()[q]))));
                for (int k = 0; k <= q && k < pattern.dim(2); k++) line.append(String.format("%5.2f", pattern.get(head, q, k)));
                out.println(line);
            }
            return;
        }
        for (int q = 0; q < n; q++) {
            StringBuilder line = new StringBuilder(String.format("%4d %-10s ->", q, cut(input.texts().text(input.ids()[q]))));
            for (AttentionSummary.KeyWeight w : top.get(q)) line.append(String.format("  %d (%.2f)", w.key(), w.weight()));
            out.println(line);
        }
    }

    private static String cut(String text) {
        String q = RunCommand.quote(text);
        return q.length() <= 10 ? q : q.substring(0, 9) + "…";
    }

    private static String num(double v) { return Double.isFinite(v) ? String.format("%.3f", v) : "-"; }
}

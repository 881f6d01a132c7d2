package owb.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;


import owb.json.JsonText;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.LogitLens;
import owb.tensor.KernelWarmUp;

/** {@code owb lens}: the logit lens over a prompt, every layer and position. */
final class LensCommand implements Command, ArgsSpec {

    /** Characters of a token's text shown in a grid cell. */
    private static final int CELL_TEXT = 10;

    @Override public String name() { return "lens"; }

    @Override public String summary() { return "logit lens: what each layer's residual stream predicts at each position"; }

    @Override
    public String usage() {
        return """
                usage: owb lens MODEL (--prompt TEXT | --tokens ID,ID,...) [--top K] [--target TOKEN] [--json]

                Reads the residual stream before every block (and after the last: the output) through
                the model's own final norm and unembedding: per layer and position the top K tokens
                with probabilities, the entropy (nats) and KL(final || layer).

                  --prompt TEXT    text, tokenized with the model's tokenizer (special tokens added)
                  --tokens IDS     token ids instead of text, comma-separated
                  --top K          tokens per cell (default 5; the grid shows the first)
                  --target TOKEN   also the rank and probability of TOKEN in every cell: a token as
                                   the text it stands for (" Paris"; if it encodes to several tokens,
                                   the first is used and a note says so) or #ID
                  --json           one JSON document: tokens, target, rows [{layer, position, top
                                   [{id, text, prob}], entropy, kl_to_final, target_rank, target_prob}]
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of("prompt", "tokens", "top", "target"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        KernelWarmUp.start(KernelWarmUp.MANY_ROWS);   // compiles the engine's kernels while the model is opened
        Path modelPath = Path.of(args.onePositional("MODEL (a model file or folder)"));
        PromptTokens.checkOptions(args);
        int top = args.intOption("top", 5);
        if (top < 1) throw new UsageException("--top must be at least 1");
        String targetSpec = args.option("target", null);
        boolean json = args.flag("json");

        try (Checkpoint checkpoint = Checkpoints.open(modelPath)) {
            LanguageModel model = ModelLoader.load(checkpoint);
            PromptTokens input = PromptTokens.of(args, checkpoint);
            PromptTokens.Target target = targetSpec == null ? null : input.target(targetSpec, model.config().dVocab());
            if (input.tokenizer().tokenizer() == null) {
                err.println("warning: " + input.tokenizer().reason() + "; token texts are shown as <id>");
            }
            if (target != null && target.note() != null) err.println("note: " + target.note());
            LogitLens.Result lens = LogitLens.run(model, input.ids(), top,
                    target == null ? OptionalInt.empty() : OptionalInt.of(target.id()), input.texts()::text);
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", modelPath.toString());
                doc.put("architecture", model.config().architecture());
                doc.put("tokens", RunCommand.tokenList(input.ids(), input.texts()));
                if (target != null) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("id", target.id());
                    t.put("text", input.texts().text(target.id()));
                    if (target.note() != null) t.put("note", target.note());
                    doc.put("target", t);
                }
                Map<String, Object> body = lens.toJson();
                body.remove("target");
                doc.putAll(body);
                out.println(JsonText.pretty(doc));
            } else {
                printGrid(out, modelPath, model, input, lens, target);
            }
        }
        return 0;
    }

    private static void printGrid(PrintStream out, Path modelPath, LanguageModel model, PromptTokens input,
                                  LogitLens.Result lens, PromptTokens.Target target) {
        out.printf("model   %s (%s: %d layers)%n", modelPath, model.config().architecture(), model.config().nLayers());
        out.println("layer L reads the residual stream entering block L; layer " + lens.layers()
                + " is the output. Each cell: top token and its probability.");
        if (target != null) {
            out.printf("target  %d:%s (rank and probability at the last position in the right column)%n", target.id(),
                    RunCommand.quote(input.texts().text(target.id())));
        }
        int width = CELL_TEXT + 2 + 5;
        StringBuilder header = new StringBuilder(String.format("%5s", "layer"));
        for (int id : input.ids()) header.append("  ").append(pad(cut(RunCommand.quote(input.texts().text(id))), width));
        if (target != null) header.append("  target rank (p)");
        out.println(header.toString().stripTrailing());
        int last = lens.positions() - 1;
        for (int layer = 0; layer <= lens.layers(); layer++) {
            StringBuilder line = new StringBuilder(String.format("%5d", layer));
            for (int p = 0; p < lens.positions(); p++) {
                LogitLens.Cell cell = lens.cell(layer, p);
                var best = cell.top().getFirst();
                line.append("  ").append(pad(cut(RunCommand.quote(best.text())), CELL_TEXT + 2))
                        .append(String.format("%5.2f", best.prob()));
            }
            if (target != null) {
                LogitLens.Cell cell = lens.cell(layer, last);
                line.append(String.format("  %6d (%.4f)", cell.targetRank(), cell.targetProb()));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String cut(String quoted) {
        return quoted.length() <= CELL_TEXT + 2 ? quoted : quoted.substring(0, CELL_TEXT + 1) + "…";
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}

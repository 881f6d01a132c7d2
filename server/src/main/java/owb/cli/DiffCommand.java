package owb.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;


import owb.json.JsonText;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.BehaviourDiff;
import owb.diff.DiffJson;
import owb.diff.FineTuneDiff;
import owb.diff.FineTuneDiff.Aggregate;
import owb.diff.FineTuneDiff.TensorDiff;
import owb.diff.ModuleKind;
import owb.diff.TensorPairing.Status;

/**
 * {@code owb diff BASE DERIVATIVE [--json] [--prompt TEXT]...}: a fine-tune against its base, tensor by
 * tensor, and with prompts what it does to behaviour ({@link BehaviourDiff}).
 */
final class DiffCommand implements Command, ArgsSpec {
    @Override public String name() { return "diff"; }

    @Override public String summary() { return "diff a fine-tune against its base, tensor by tensor"; }

    @Override
    public String usage() {
        return """
                usage: owb diff BASE DERIVATIVE [--json] [--prompt TEXT]... [--moved K]
                  BASE, DERIVATIVE  checkpoints (safetensors file or folder, GGUF file); formats may differ
                  --json            one JSON document instead of the report
                  --prompt TEXT     also run both models on TEXT (the base's tokenizer; repeat for several
                                    prompts) and compare them: KL(base || derivative) of the logit lens per
                                    layer and position, Jensen-Shannon divergence of each head's attention,
                                    and the output tokens whose probability moved most at the last position
                  --moved K         tokens listed per direction (rose, fell); default 10
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of("prompt", "moved"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (args.positionals().size() != 2) throw new UsageException("expected BASE and DERIVATIVE");
        Path basePath = Path.of(args.positionals().get(0));
        Path derivativePath = Path.of(args.positionals().get(1));
        for (Path p : List.of(basePath, derivativePath)) {
            if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
        }
        List<String> prompts = args.all("prompt");
        if (prompts.stream().anyMatch(String::isEmpty)) throw new UsageException("--prompt is empty");
        int moved = args.intOption("moved", BehaviourDiff.DEFAULT_MOVED);
        if (moved < 0) throw new UsageException("--moved must not be negative");
        try (Checkpoint base = Checkpoints.open(basePath); Checkpoint derivative = Checkpoints.open(derivativePath)) {
            FineTuneDiff.Report report;
            List<BehaviourDiff.Result> behaviours;
            try {
                // the behavioural diff's checks (tokenizers, shapes, prompt lengths) before the long part
                BehaviourDiff.Models models = prompts.isEmpty() ? null : BehaviourDiff.Models.load(base, derivative);
                if (models != null) models.encode(prompts);
                // A progress line on the terminal only (not when stderr is captured or redirected).
                boolean terminal = err == System.err && System.console() != null;
                report = FineTuneDiff.run(base, derivative, (done, total, bytesDone, bytesTotal, tensor) -> {
                    if (terminal) err.print("\rdiff: " + done + "/" + total + " tensors" + (done == total ? "\n" : ""));
                });
                if (terminal && !prompts.isEmpty()) err.println("diff: running both models on " + prompts.size() + " prompt(s)");
                behaviours = models == null ? List.of() : models.compare(prompts, moved);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                err.println("error: " + String.valueOf(e.getMessage()).replace('\n', ' '));
                return 2;
            }
            if (args.flag("json")) {
                out.println(JsonText.pretty(
                        DiffJson.toTree(basePath.toString(), derivativePath.toString(), report, behaviours)));
            } else {
                out.print(text(report, basePath, derivativePath));
                for (BehaviourDiff.Result b : behaviours) out.print(behaviourText(b));
            }
        }
        return 0;
    }

    static String text(FineTuneDiff.Report report, Path base, Path derivative) {
        StringBuilder sb = new StringBuilder();
        int[] counts = new int[Status.values().length];
        for (TensorDiff t : report.tensors()) counts[t.status().ordinal()]++;
        sb.append("base        ").append(base).append('\n');
        sb.append("derivative  ").append(derivative).append('\n');
        List<String> summary = new ArrayList<>();
        for (Status s : Status.values()) summary.add(counts[s.ordinal()] + " " + s.label());
        sb.append("tensors     ").append(String.join(", ", summary)).append("\n\n");

        // Per-layer x module table of rel_change (-: absent, 0: unchanged).
        EnumSet<ModuleKind> kinds = EnumSet.noneOf(ModuleKind.class);
        TreeMap<Integer, TreeMap<ModuleKind, Aggregate>> rows = new TreeMap<>();
        for (Aggregate a : report.aggregates()) {
            kinds.add(a.kind());
            rows.computeIfAbsent(a.layer(), k -> new TreeMap<>()).put(a.kind(), a);
        }
        sb.append("rel_change = ||W_ft - W_base||_F / ||W_base||_F per layer and module\n");
        sb.append(String.format("%-6s", "layer"));
        for (ModuleKind k : kinds) sb.append(String.format("%11s", k.label()));
        sb.append('\n');
        for (var row : rows.entrySet()) {
            sb.append(String.format("%-6s", row.getKey() < 0 ? "-" : row.getKey().toString()));
            for (ModuleKind k : kinds) {
                Aggregate a = row.getValue().get(k);
                String cell = a == null ? "" : a.changed() == 0 ? "0" : String.format(Locale.ROOT, "%.2e", a.relChange());
                sb.append(String.format("%11s", cell));
            }
            sb.append('\n');
        }
        sb.append("\nchanged tensors\n");
        sb.append(String.format("%-48s %-9s %10s %9s %6s  %s%n", "name", "status", "rel_change", "cosine", "rank", "verdict"));
        for (TensorDiff t : report.tensors()) {
            if (t.status() == Status.UNCHANGED) continue;
            String rel = t.stats() == null ? "-" : String.format(Locale.ROOT, "%.3e", t.stats().relChange());
            String cos = t.stats() == null ? "-" : String.format(Locale.ROOT, "%.6f", t.stats().cosine());
            String rank = t.lowRank() == null ? "-" : (t.lowRank().saturated() ? ">=" : "") + t.lowRank().rank();
            String verdict = t.verdict();
            if (t.status() == Status.RESHAPED) {
                verdict = t.pair().base().shapeString() + " -> " + t.pair().derivative().shapeString()
                        + ", " + t.pair().newRows() + " new rows"
                        + (t.stats() != null && t.stats().fractionChanged() == 0 ? ", shared rows unchanged" : "");
            }
            sb.append(String.format("%-48s %-9s %10s %9s %6s  %s%n", t.name(), t.status().label(), rel, cos, rank, verdict));
        }
        return sb.toString();
    }

    /** Heads listed in the report, the most changed first. */
    private static final int TOP_HEADS = 10;

    static String behaviourText(BehaviourDiff.Result b) {
        StringBuilder sb = new StringBuilder();
        int last = b.positions() - 1;
        sb.append("\nbehaviour on ").append(RunCommand.quote(b.prompt() == null ? "" : b.prompt()))
                .append(" (").append(b.positions()).append(" tokens, the base's tokenizer)\n");
        for (String note : b.notes()) sb.append("note: ").append(note).append('\n');
        sb.append("logit lens, KL(base || derivative) in nats; layer L reads the stream entering block L, layer ")
                .append(b.layers()).append(" is the output\n");
        sb.append(String.format("%-6s %12s %12s %12s%n", "layer", "last pos", "mean", "max"));
        for (int layer = 0; layer <= b.layers(); layer++) {
            double sum = 0, max = 0;
            for (int p = 0; p <= last; p++) {
                sum += b.kl(layer, p);
                max = Math.max(max, b.kl(layer, p));
            }
            sb.append(String.format(Locale.ROOT, "%-6d %12s %12s %12s%n", layer, small(b.kl(layer, last)),
                    small(sum / b.positions()), small(max)));
        }
        List<BehaviourDiff.HeadJs> heads = new ArrayList<>(b.attentionJs());
        heads.sort((x, y) -> Double.compare(y.js(), x.js()));
        sb.append("\nheads whose attention changed most (Jensen-Shannon in nats, at most ln 2 = 0.693; mean over queries)\n");
        sb.append(String.format("%-6s %5s %12s%n", "layer", "head", "js"));
        for (BehaviourDiff.HeadJs h : heads.subList(0, Math.min(TOP_HEADS, heads.size()))) {
            sb.append(String.format(Locale.ROOT, "%-6d %5d %12s%n", h.layer(), h.head(), small(h.js())));
        }
        sb.append("\noutput tokens whose probability moved most after ")
                .append(RunCommand.quote(b.tokenTexts().get(last))).append('\n');
        sb.append(String.format("%-24s %7s %10s %12s %10s%n", "token", "id", "p_base", "p_derivative", "delta"));
        for (BehaviourDiff.MovedToken m : b.movedTokens()) {
            sb.append(String.format(Locale.ROOT, "%-24s %7d %10.4f %12.4f %+10.2e%n", RunCommand.quote(m.text()), m.id(),
                    m.pBase(), m.pDerivative(), m.delta()));
        }
        if (b.movedTokens().isEmpty()) sb.append("(no probability moved by " + BehaviourDiff.MIN_MOVE + " or more)\n");
        return sb.toString();
    }

    /** 0 as "0", else three significant digits. */
    private static String small(double v) {
        return v == 0 ? "0" : String.format(Locale.ROOT, "%.3e", v);
    }
}

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

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.FineTuneDiff;
import owb.diff.FineTuneDiff.Aggregate;
import owb.diff.FineTuneDiff.TensorDiff;
import owb.diff.ModuleKind;
import owb.diff.TensorPairing.Status;
import owb.diff.TensorView;

/** {@code owb diff BASE DERIVATIVE [--json]}: a fine-tune against its base, tensor by tensor. */
final class DiffCommand implements Command, ArgsSpec {
    @Override public String name() { return "diff"; }

    @Override public String summary() { return "diff a fine-tune against its base, tensor by tensor"; }

    @Override
    public String usage() {
        return """
                usage: owb diff BASE DERIVATIVE [--json]
                  BASE, DERIVATIVE  checkpoints (safetensors file or folder, GGUF file); formats may differ
                  --json            one JSON document instead of the report
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of(); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (args.positionals().size() != 2) throw new UsageException("expected BASE and DERIVATIVE");
        Path basePath = Path.of(args.positionals().get(0));
        Path derivativePath = Path.of(args.positionals().get(1));
        for (Path p : List.of(basePath, derivativePath)) {
            if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
        }
        try (Checkpoint base = Checkpoints.open(basePath); Checkpoint derivative = Checkpoints.open(derivativePath)) {
            FineTuneDiff.Report report;
            try {
                // A progress line on the terminal only (not when stderr is captured or redirected).
                boolean terminal = err == System.err && System.console() != null;
                report = FineTuneDiff.run(base, derivative, (done, total) -> {
                    if (terminal) err.print("\rdiff: " + done + "/" + total + " tensors" + (done == total ? "\n" : ""));
                });
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                err.println("error: " + String.valueOf(e.getMessage()).replace('\n', ' '));
                return 2;
            }
            if (args.flag("json")) {
                out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(json(report)));
            } else {
                out.print(text(report, basePath, derivativePath));
            }
        }
        return 0;
    }

    static ObjectNode json(FineTuneDiff.Report report) {
        ObjectNode root = JsonMapper.builder().build().createObjectNode();
        ArrayNode tensors = root.putArray("tensors");
        for (TensorDiff t : report.tensors()) {
            ObjectNode n = tensors.addObject();
            n.put("name", t.name());
            n.put("status", t.status().label());
            shape(n, "shape_base", t.pair().base());
            shape(n, "shape_derivative", t.pair().derivative());
            n.put("layer", t.layer());
            n.put("module", t.kind().label());
            if (t.status() == Status.RESHAPED) n.put("new_rows", t.pair().newRows());
            if (t.stats() != null) {
                var s = t.stats();
                n.put("rel_change", s.relChange());
                n.put("cosine", s.cosine());
                n.put("max_abs_delta", s.maxAbsDelta());
                n.put("mean_abs_delta", s.meanAbsDelta());
                n.put("fraction_changed", s.fractionChanged());
                n.put("fraction_beyond_tolerance", s.fractionBeyondTolerance());
                n.put("sign_flips", s.signFlips());
            } else if (t.status() == Status.UNCHANGED) {
                n.put("rel_change", 0.0);
                n.put("cosine", 1.0);
                n.put("max_abs_delta", 0.0);
            } else {
                n.putNull("rel_change");
            }
            if (t.lowRank() != null) {
                var lr = t.lowRank();
                n.put("rank", lr.rank());
                n.put("rank_is_lower_bound", lr.saturated());
                n.put("dominant_rank", lr.dominantRank());
                n.put("effective_rank", lr.effectiveRank());
                n.put("stable_rank", lr.stableRank());
                ArrayNode sv = n.putArray("singular_values");
                for (double v : lr.singularValues()) sv.add(v);
                ArrayNode energy = n.putArray("energy");
                for (double v : lr.energy()) energy.add(v);
            } else {
                n.putNull("rank");
                n.putArray("singular_values");
            }
            n.put("verdict", t.verdict());
            if (!t.note().isEmpty()) n.put("note", t.note());
        }
        ArrayNode cells = root.putArray("aggregates");
        for (Aggregate a : report.aggregates()) {
            ObjectNode c = cells.addObject();
            c.put("layer", a.layer());
            c.put("module", a.kind().label());
            c.put("tensors", a.tensors());
            c.put("changed", a.changed());
            c.put("rel_change", a.relChange());
        }
        return root;
    }

    private static void shape(ObjectNode n, String key, TensorView v) {
        if (v == null) {
            n.putNull(key);
            return;
        }
        ArrayNode a = n.putArray(key);
        for (long d : v.entry().shape()) a.add(d);
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
                verdict = t.pair().base().entry().shapeString() + " -> " + t.pair().derivative().entry().shapeString()
                        + ", " + t.pair().newRows() + " new rows"
                        + (t.stats() != null && t.stats().fractionChanged() == 0 ? ", shared rows unchanged" : "");
            }
            sb.append(String.format("%-48s %-9s %10s %9s %6s  %s%n", t.name(), t.status().label(), rel, cos, rank, verdict));
        }
        return sb.toString();
    }
}

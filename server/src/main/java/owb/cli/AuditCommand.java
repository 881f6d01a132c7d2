package owb.cli;

import owb.audit.Architecture;
import owb.audit.AuditJson;
import owb.audit.AuditProgress;
import owb.audit.AuditReport;
import owb.audit.Auditor;
import owb.audit.Finding;
import owb.audit.Severity;
import owb.audit.TensorReport;
import owb.audit.TensorStats;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** {@code owb audit PATH [--json] [--threads N]}: statistics of every tensor and what looks wrong. */
final class AuditCommand implements Command, ArgsSpec {

    /** How a path becomes a checkpoint; tests substitute their own. */
    @FunctionalInterface
    interface Opener {
        Checkpoint open(Path path) throws IOException;
    }

    private final Opener opener;

    AuditCommand() { this(Checkpoints::open); }

    AuditCommand(Opener opener) { this.opener = opener; }

    @Override public String name() { return "audit"; }

    @Override public String summary() { return "statistics of every tensor of a checkpoint, and what looks wrong"; }

    @Override
    public String usage() {
        return """
                usage: owb audit PATH [--json] [--threads N]

                Reads every tensor of a checkpoint (a safetensors or GGUF file, a sharded index, a model
                folder) and reports per tensor: count, mean, std, min, max, abs_max, L2 norm, NaN and Inf
                counts, zero fraction and a 64-bin histogram (quantized tensors: of their dequantized
                values); then findings: NaN/Inf, all-zero and identical tensors, outliers, tensors missing
                from or unexpected in the declared architecture (config.json or GGUF metadata), shapes
                that disagree with it, mixed dtypes, the parameter count.

                  --json       print one JSON document on stdout instead of the summary and table
                  --threads N  worker threads (default: one per core)

                Exit status: 0 when the audit completed, whatever it found (findings are the result,
                not a failure); 2 when the input cannot be read or the command line is wrong.
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of("threads"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path path = Path.of(args.onePositional("checkpoint path"));
        int threads = args.intOption("threads", Runtime.getRuntime().availableProcessors());
        if (threads < 1) throw new UsageException("--threads must be at least 1, got " + threads);
        boolean json = args.flag("json");
        try (Checkpoint c = opener.open(path)) {
            ProgressBar bar = System.console() != null ? new ProgressBar(err) : null;
            AuditReport report = Auditor.audit(c, bar == null ? AuditProgress.NONE : bar, threads);
            if (bar != null) bar.clear();
            if (json) {
                out.println(AuditJson.toJson(report));
            } else {
                printSummary(c, report, out);
                out.println();
                printTable(report, out);
            }
        }
        return 0;
    }

    private static void printSummary(Checkpoint c, AuditReport r, PrintStream out) {
        long bytes = 0;
        for (var t : c.tensors()) bytes += t.byteSize();
        out.println("checkpoint    " + c.path());
        out.println("format        " + r.format() + ", " + c.files().size() + (c.files().size() == 1 ? " file" : " files"));
        Optional<Architecture> a = Architecture.of(c);
        out.println("architecture  " + a.map(Architecture::describe).orElse("not declared"));
        out.println("tensors       " + r.tensorCount() + ", " + String.format(Locale.ROOT, "%,d", r.parameterCount())
                + " parameters, " + humanBytes(bytes));
        out.println("findings      " + r.count(Severity.ERROR) + " errors, " + r.count(Severity.WARNING) + " warnings, "
                + r.count(Severity.INFO) + " info");
        for (Severity s : Severity.values()) {
            List<Finding> of = r.findings().stream().filter(f -> f.severity() == s).toList();
            if (of.isEmpty()) continue;
            out.println();
            out.println(s.label() + ":");
            for (Finding f : of) out.println("  " + (f.tensor() == null ? "" : f.tensor() + ": ") + f.message());
        }
    }

    private static void printTable(AuditReport r, PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"name", "dtype", "shape", "mean", "std", "min", "max", "abs_max", "nan/inf", "zero%"});
        for (TensorReport t : r.tensors()) {
            TensorStats s = t.stats();
            rows.add(new String[] {t.name(), t.dtype(), Arrays.toString(t.shape()), number(s.mean()), number(s.std()),
                    number(s.min()), number(s.max()), number(s.absMax()), s.nanCount() + "/" + s.infCount(),
                    String.format(Locale.ROOT, "%.2f", 100 * s.zeroFraction())});
        }
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                // names, dtypes and shapes read left to right; numbers line up on the right
                boolean text = i < 3;
                String cell = text ? pad(row[i], width[i], false) : pad(row[i], width[i], true);
                sb.append(cell).append(i == row.length - 1 ? "" : "  ");
            }
            out.println(sb.toString().stripTrailing());
            sb.setLength(0);
        }
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    private static String number(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4g", d) : "-";
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** A one-line bar on the terminal, redrawn at most ten times a second. */
    private static final class ProgressBar implements AuditProgress {
        private static final int WIDTH = 30;
        private final PrintStream err;
        private long lastDrawn;

        ProgressBar(PrintStream err) { this.err = err; }

        @Override
        public void update(long done, long total, String tensor) {
            long now = System.nanoTime();
            if (done < total && now - lastDrawn < 100_000_000L) return;
            lastDrawn = now;
            double f = total == 0 ? 1 : done / (double) total;
            int filled = (int) Math.round(f * WIDTH);
            String name = tensor.length() > 40 ? "..." + tensor.substring(tensor.length() - 37) : tensor;
            err.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] "
                    + String.format(Locale.ROOT, "%3.0f%% %s / %s  %-40s", 100 * f, humanBytes(done), humanBytes(total), name));
            err.flush();
        }

        void clear() {
            err.print("\r" + " ".repeat(WIDTH + 80) + "\r");
            err.flush();
        }
    }
}

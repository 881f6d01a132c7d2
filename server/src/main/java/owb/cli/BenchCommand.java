package owb.cli;

import owb.bench.AuditBenchmark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;

/** {@code owb bench audit ...}: benchmarks against a peer measured in the same run. */
final class BenchCommand implements Command, ArgsSpec {

    @Override public String name() { return "bench"; }

    @Override public String summary() { return "benchmarks against numpy in the same run (owb bench audit)"; }

    @Override
    public String usage() {
        return """
                usage: owb bench audit [--size-gib G] [--repeat N] [--dir DIR] [--python PY] [--no-processes]

                Writes synthetic checkpoints once (F32, BF16, F16 safetensors; Q8_0, Q4_K GGUF; at least
                G GiB of tensor data each, default 1) into DIR (default samples/generated/bench), then
                measures the statistics kernel's throughput on a warm page cache against numpy's on the
                same files (samples/bench_audit_numpy.py), and the wall time of whole processes:
                ./owb audit FILE --json against the numpy script (skipped with --no-processes).
                Reports medians of N runs (default 5). Progress on stderr, the table on stdout.
                numpy runs in PY (default: the .venv that samples/python-env.sh makes).
                """;
    }

    @Override public Set<String> flags() { return Set.of("no-processes"); }

    @Override public Set<String> valued() { return Set.of("size-gib", "repeat", "dir", "python"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        if (!args.onePositional("benchmark name (audit)").equals("audit")) {
            throw new UsageException("the only benchmark is 'audit'");
        }
        double sizeGib = doubleOption(args, "size-gib", 1);
        int repeat = args.intOption("repeat", 5);
        if (sizeGib <= 0 || repeat < 1) throw new UsageException("--size-gib and --repeat must be positive");
        Path root = Path.of(System.getProperty("owb.root", ".")).toAbsolutePath().normalize();
        Path dir = Path.of(args.option("dir", root.resolve("samples/generated/bench").toString()));
        String python = args.option("python", System.getProperty("owb.python"));
        if (python == null) python = pythonFromEnvScript(root);
        AuditBenchmark.run(new AuditBenchmark.Options(sizeGib, repeat, dir, root, python, !args.flag("no-processes")), out, err);
        return 0;
    }

    private static double doubleOption(Args args, String name, double fallback) {
        String v = args.option(name, null);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    /** samples/python-env.sh makes the venv with numpy and gguf when missing and prints its python. */
    private static String pythonFromEnvScript(Path root) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", root.resolve("samples/python-env.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String python = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || python.isEmpty()) throw new IOException("samples/python-env.sh failed: no Python with numpy");
        return python;
    }
}

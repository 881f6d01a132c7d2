package owb.cli;

import owb.bench.AuditBenchmark;
import owb.bench.DiffBenchmark;
import owb.bench.DiffStreamBenchmark;
import owb.bench.ForwardBenchmark;
import owb.bench.LensBenchmark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code owb bench audit|forward|diff|lens ...}: benchmarks against a peer measured in the same run. */
final class BenchCommand implements Command, ArgsSpec {

    @Override public String name() { return "bench"; }

    @Override public String summary() { return "benchmarks against numpy, PyTorch, llama.cpp in the same run (audit, forward, diff, lens)"; }

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

                usage: owb bench diff [--only stream|spectrum] [--size-gib G] [--repeat N] [--dir DIR]
                                      [--size N] [--ejml-size M] [--python PY]

                Streaming: writes (once) an F32 and a BF16 safetensors base of at least G GiB of tensor
                data (default 1) and a dense fine-tune of each into DIR (default samples/generated/bench),
                then measures the delta statistics pass over both memory-mapped files (GB/s of both
                files' bytes, median of N passes, default 5) against numpy doing the same statistics on
                the same files (samples/bench_diff_numpy.py), and checks that the two agree.
                Spectrum: randomized top-64 singular values of an NxN fine-tune delta (default 4096)
                against numpy's full SVD of it and EJML's full SVD of its leading MxM block (default
                1024, time extrapolated by (N/M)^3; M = N measures it), with the error of the top 10.

                """ + ForwardBenchmark.usage() + "\n" + LensBenchmark.usage();
    }

    // Args is parsed with the union of the three benchmarks' options; run() rejects another's
    private static final Set<String> AUDIT_OPTIONS = Set.of("size-gib", "repeat", "dir", "python", "no-processes");
    private static final Set<String> DIFF_OPTIONS = Set.of("size", "ejml-size", "python", "only", "size-gib", "repeat", "dir");
    private static final Set<String> FORWARD_VALUED = Set.of("lengths", "repeat", "threads", "cold-runs", "json-out", "python");
    private static final Set<String> FORWARD_FLAGS = Set.of("no-peers");
    private static final Set<String> LENS_OPTIONS = Set.of("length", "repeat", "model", "json-out", "python", "no-peers");

    @Override public Set<String> flags() { return Set.of("no-processes", "no-peers"); }

    @Override public Set<String> valued() {
        return Set.of("size-gib", "repeat", "dir", "python", "lengths", "threads", "cold-runs", "json-out",
                "size", "ejml-size", "only", "length", "model");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String which = args.onePositional("benchmark name (audit, forward, diff or lens)");
        Path root = Path.of(System.getProperty("owb.root", ".")).toAbsolutePath().normalize();
        Set<String> own = switch (which) {
            case "audit" -> AUDIT_OPTIONS;
            case "diff" -> DIFF_OPTIONS;
            case "forward" -> union(FORWARD_VALUED, FORWARD_FLAGS);
            case "lens" -> LENS_OPTIONS;
            default -> throw new UsageException("unknown benchmark '" + which + "': audit, forward, diff or lens");
        };
        for (String name : args.optionNames()) {
            if (!own.contains(name)) throw new UsageException("--" + name + " is not an option of 'owb bench " + which + "'");
        }
        return switch (which) {
            case "forward" -> ForwardBenchmark.run(forwardArgs(args), out, err);
            case "diff" -> runDiff(args, root, out, err);
            case "lens" -> runLens(args, root, out, err);
            default -> runAudit(args, root, out, err);
        };
    }

    private static int runAudit(Args args, Path root, PrintStream out, PrintStream err) throws Exception {
        double sizeGib = doubleOption(args, "size-gib", 1);
        int repeat = args.intOption("repeat", 5);
        if (sizeGib <= 0 || repeat < 1) throw new UsageException("--size-gib and --repeat must be positive");
        Path dir = Path.of(args.option("dir", root.resolve("samples/generated/bench").toString()));
        AuditBenchmark.run(new AuditBenchmark.Options(sizeGib, repeat, dir, root, python(args, root),
                !args.flag("no-processes")), out, err);
        return 0;
    }

    private static int runDiff(Args args, Path root, PrintStream out, PrintStream err) throws Exception {
        String only = args.option("only", "");
        if (!only.isEmpty() && !only.equals("stream") && !only.equals("spectrum")) {
            throw new UsageException("--only takes stream or spectrum");
        }
        String python = python(args, root);
        if (!only.equals("spectrum")) {
            double sizeGib = doubleOption(args, "size-gib", 1);
            int repeat = args.intOption("repeat", 5);
            if (sizeGib <= 0 || repeat < 1) throw new UsageException("--size-gib and --repeat must be positive");
            Path dir = Path.of(args.option("dir", root.resolve("samples/generated/bench").toString()));
            DiffStreamBenchmark.run(new DiffStreamBenchmark.Options(sizeGib, repeat, dir, root, python), out, err);
        }
        if (!only.equals("stream")) {
            if (only.isEmpty()) out.println();
            DiffBenchmark.run(args.intOption("size", 4096), args.intOption("ejml-size", 1024), python, out);
        }
        return 0;
    }

    private static int runLens(Args args, Path root, PrintStream out, PrintStream err) throws Exception {
        int length = args.intOption("length", 128);
        int repeat = args.intOption("repeat", 5);
        if (length < 1 || repeat < 1) throw new UsageException("--length and --repeat must be positive");
        String model = args.option("model", null);
        Path gguf = model != null ? Path.of(model) : Path.of(lastLine(script(root, "samples/fetch-smollm2.sh")));
        Path jsonOut = Path.of(args.option("json-out", root.resolve("target/bench-lens.json").toString()));
        String python = args.flag("no-peers") ? null : python(args, root);
        LensBenchmark.run(new LensBenchmark.Options(length, repeat, gguf, jsonOut, root, python), out, err);
        return 0;
    }

    private static String script(Path root, String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", root.resolve(script).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(script + " failed");
        return stdout;
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** --python, else -Dowb.python, else the test venv samples/python-env.sh makes. */
    private static String python(Args args, Path root) throws IOException, InterruptedException {
        String python = args.option("python", System.getProperty("owb.python"));
        return python != null ? python : pythonFromEnvScript(root);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /** Re-spells the parsed options for ForwardBenchmark, which parses its own command line. */
    private static List<String> forwardArgs(Args args) {
        List<String> argv = new ArrayList<>();
        for (String name : FORWARD_VALUED) {
            for (String v : args.all(name)) {
                argv.add("--" + name);
                argv.add(v);
            }
        }
        for (String name : FORWARD_FLAGS) if (args.flag(name)) argv.add("--" + name);
        return argv;
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

package owb.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Hooks;
import owb.model.KvCache;
import owb.model.LanguageModel;
import owb.model.ModelLoader;

/**
 * {@code owb bench forward}: prompt-processing speed of owb's engine on SmolLM2-135M-Instruct beside
 * PyTorch transformers and llama.cpp on the same prompt, machine and thread count, and the cold path
 * (a whole {@code owb run} process saving every attention pattern) beside a fresh Python process.
 *
 * <p>Configurations, each warmed up once and then timed {@code --repeat} times (medians reported):
 * <ul>
 *   <li>owb F32 (the safetensors folder of samples/fetch-smollm2-f32.sh), logits for every position as
 *       transformers computes them, with no hooks and with {@code blocks.*.attn.hook_pattern} captured
 *       (the peer of transformers eager with output_attentions=True);</li>
 *   <li>owb Q4_1 (the GGUF of samples/fetch-smollm2.sh), logits of the last position only as llama.cpp
 *       computes them, with no hooks and with every pattern captured.</li>
 * </ul>
 * The peers come from samples/bench_forward_peers.py (run with the reference venv, its JSON parsed);
 * the cold Python peer is samples/bench_cold_python.py. Tokens per CPU-second (process CPU time, all
 * threads) is reported beside wall-clock tokens/s: on a shared machine it is the steadier figure.
 */
public final class ForwardBenchmark {
    static final String PATTERNS = "blocks.*.attn.hook_pattern";

    private record Options(List<Integer> lengths, int repeat, boolean peers, int threads, int coldRuns,
                           Path jsonOut, Path root, Path python) {}

    /** Timing of one configuration: medians over the timed runs. */
    record Timing(int tokens, double secondsMedian, double tokensPerSecondMedian, double tokensPerSecondMin,
                  double tokensPerSecondMax, double tokensPerCpuSecondMedian, int runs) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tokens_per_s_median", round(tokensPerSecondMedian, 2));
            m.put("tokens_per_s_min", round(tokensPerSecondMin, 2));
            m.put("tokens_per_s_max", round(tokensPerSecondMax, 2));
            m.put("seconds_median", round(secondsMedian, 4));
            m.put("tokens_per_cpu_s_median", Double.isNaN(tokensPerCpuSecondMedian) ? null
                    : round(tokensPerCpuSecondMedian, 2));
            m.put("runs", runs);
            return m;
        }
    }

    private ForwardBenchmark() {}

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    public static String usage() {
        return """
                usage: owb bench forward [--lengths 128,512] [--repeat N] [--threads N] [--no-peers]
                                         [--cold-runs N] [--json-out FILE] [--python PY]

                Prompt-processing tokens/s of owb on SmolLM2-135M-Instruct (F32 safetensors and Q4_1
                GGUF, with no hooks and with every attention pattern captured) beside PyTorch
                transformers (eager, output_attentions=True) and llama.cpp (llama-cpp-python), and the
                cold path: `owb run` saving every attention pattern vs a fresh Python process.

                  --lengths L,L    prompt lengths, first L ids of samples/fixtures/smollm2/bench_prompt.json
                  --repeat N       timed runs per configuration after one warm-up (default 5)
                  --threads N      threads for owb and the peers (default: all cores)
                  --no-peers       owb only (no Python; no ratios, no cold path)
                  --cold-runs N    whole-process runs of each cold path, owb and Python taking
                                   turns (default 3; 0 skips it)
                  --json-out FILE  where the JSON goes (default target/bench-forward.json)
                  --python PY      the reference venv's python (default .venv-ref/bin/python)
                """;
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(usage());
            return 2;
        }
        try {
            return bench(o, out, err);
        } catch (IOException | UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return 1;
        }
    }

    private static Options parse(List<String> args) {
        List<Integer> lengths = List.of(128, 512);
        int repeat = 5;
        boolean peers = true;
        int threads = Runtime.getRuntime().availableProcessors();
        int coldRuns = 3;
        Path jsonOut = null;
        Path root = Path.of(System.getProperty("owb.root", ".")).toAbsolutePath().normalize();
        Path python = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--no-peers" -> peers = false;
                case "--lengths" -> lengths = Arrays.stream(value(args, ++i, a).split(","))
                        .map(s -> positive(s.trim(), a)).toList();
                case "--repeat" -> repeat = positive(value(args, ++i, a), a);
                case "--threads" -> threads = positive(value(args, ++i, a), a);
                case "--cold-runs" -> coldRuns = nonNegative(value(args, ++i, a), a);
                case "--json-out" -> jsonOut = Path.of(value(args, ++i, a));
                case "--python" -> python = Path.of(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (python == null) python = root.resolve(".venv-ref/bin/python");
        if (jsonOut == null) jsonOut = root.resolve("target/bench-forward.json");
        return new Options(lengths, repeat, peers, threads, coldRuns, jsonOut, root, python);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) throw new IllegalArgumentException(option + " needs a value");
        return args.get(i);
    }

    private static int positive(String s, String option) {
        int v = nonNegative(s, option);
        if (v < 1) throw new IllegalArgumentException(option + " must be at least 1");
        return v;
    }

    private static int nonNegative(String s, String option) {
        try {
            int v = Integer.parseInt(s);
            if (v < 0) throw new IllegalArgumentException(option + " must not be negative");
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: " + s);
        }
    }

    // ---- the benchmark ---------------------------------------------------------------------------------

    private static int bench(Options o, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        // owb's kernels (owb.tensor.Parallel) and its attention (the common pool) take their thread
        // counts from these when first used, which is after this point
        System.setProperty("owb.threads", Integer.toString(o.threads));
        System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", Integer.toString(Math.max(1, o.threads - 1)));
        int[] allIds = BenchPrompt.ids(o.root);
        int longest = o.lengths.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (longest > allIds.length) {
            throw new IOException("bench_prompt.json has " + allIds.length + " ids, fewer than " + longest);
        }
        Path gguf = Path.of(lastLine(script(o.root, "samples/fetch-smollm2.sh", err)));
        Path f32 = Path.of(lastLine(script(o.root, "samples/fetch-smollm2-f32.sh", err)));
        double[] loadBefore = Machine.loadAverage();

        Map<String, Map<Integer, Timing>> owb = new LinkedHashMap<>();
        timeOwb("owb-f32", f32, true, o, allIds, owb, err);
        timeOwb("owb-q4_1", gguf, false, o, allIds, owb, err);

        JsonNode peers = null;
        List<Double> coldOwb = List.of();
        List<Double> coldPython = List.of();
        if (o.peers) {
            peers = runPeers(o, err);
            if (o.coldRuns > 0) {
                int coldTokens = o.lengths.contains(128) ? 128 : o.lengths.getFirst();
                ColdRuns cold = coldRuns(o, f32, Arrays.copyOf(allIds, coldTokens), err);
                coldOwb = cold.owb();
                coldPython = cold.python();
            }
        }
        double[] loadAfter = Machine.loadAverage();

        Report report = new Report(o, owb, peers, coldOwb, coldPython, loadBefore, loadAfter);
        out.print(report.table());
        Files.createDirectories(o.jsonOut.toAbsolutePath().getParent());
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build()
                .writeValue(o.jsonOut.toFile(), report.json());
        err.println("owb bench forward: JSON written to " + o.jsonOut);
        return 0;
    }

    private static void timeOwb(String name, Path weights, boolean allPositions, Options o, int[] allIds,
                                Map<String, Map<Integer, Timing>> results, PrintStream err) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(weights)) {
            LanguageModel model = ModelLoader.load(checkpoint);
            for (boolean hooked : new boolean[] {false, true}) {
                String config = hooked ? name + "-patterns" : name;
                for (int n : o.lengths) {
                    int[] ids = Arrays.copyOf(allIds, n);
                    Runnable pass = () -> {
                        Hooks hooks = hooked ? new Hooks().capture(PATTERNS) : Hooks.none();
                        model.forward(ids, new KvCache(model.config()), hooks, allPositions);
                        if (hooked && hooks.cache().size() != model.config().nLayers()) {
                            throw new IllegalStateException("captured " + hooks.cache().size() + " patterns");
                        }
                    };
                    Timing t = time(n, pass, o.repeat);
                    results.computeIfAbsent(config, k -> new LinkedHashMap<>()).put(n, t);
                    err.printf(Locale.ROOT, "%s %d: %.2f tok/s (%.2f tok/cpu-s)%n", config, n,
                            t.tokensPerSecondMedian, t.tokensPerCpuSecondMedian);
                }
            }
        }
    }

    /** One warm-up, then {@code repeats} timed runs: wall clock and this process's CPU time (all threads). */
    static Timing time(int tokens, Runnable pass, int repeats) {
        TimedRuns runs = TimedRuns.of(pass, repeats);
        double[] walls = runs.walls();
        double[] cpus = runs.cpus();
        double[] rates = Arrays.stream(walls).map(w -> tokens / w).sorted().toArray();
        double[] cpuRates = Arrays.stream(cpus).map(c -> tokens / c).sorted().toArray();
        return new Timing(tokens, Median.of(walls), Median.of(rates), rates[0], rates[rates.length - 1],
                Median.of(cpuRates), repeats);
    }

    // ---- peers and the cold path -----------------------------------------------------------------------

    private static JsonNode runPeers(Options o, PrintStream err) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(o.python.toString(), "samples/bench_forward_peers.py",
                "--repeats", Integer.toString(o.repeat), "--threads", Integer.toString(o.threads), "--lengths"));
        o.lengths.forEach(n -> cmd.add(Integer.toString(n)));
        err.println("owb bench forward: " + String.join(" ", cmd));
        String json = capture(o.root, cmd, err);
        return JsonMapper.builder().build().readTree(json);
    }

    /** Seconds of each timed cold run, owb's and Python's. */
    private record ColdRuns(List<Double> owb, List<Double> python) {}

    /**
     * Whole-process runs of the cold path, owb's and Python's taking turns: this VM goes through
     * slow and fast spells of minutes, and five runs of one then five of the other had the two meet
     * different spells (Python's cold path took 4.9 to 6.6 s over one evening, and the ratio moved
     * with it). Round 0 builds if needed and warms the page cache; it is not timed.
     */
    private static ColdRuns coldRuns(Options o, Path f32, int[] ids, PrintStream err)
            throws IOException, InterruptedException {
        String tokens = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
        List<Double> owb = new ArrayList<>();
        List<Double> python = new ArrayList<>();
        for (int r = -1; r < o.coldRuns; r++) {
            double s = coldRun(o.root, "owb-cold-", dir -> List.of(o.root.resolve("owb").toString(), "run",
                    f32.toString(), "--tokens", tokens, "--save-hooks", PATTERNS, "--out", dir.toString()), err);
            double p = coldRun(o.root, "owb-cold-python-", dir -> List.of(o.python.toString(),
                    "samples/bench_cold_python.py", "--folder", f32.toString(), "--out", dir.toString(),
                    "--tokens", Integer.toString(ids.length), "--threads", Integer.toString(o.threads)), err);
            if (r >= 0) {
                owb.add(s);
                python.add(p);
                err.printf(Locale.ROOT, "cold run %d: owb %.2f s, python %.2f s%n", r + 1, s, p);
            }
        }
        return new ColdRuns(owb, python);
    }

    /** Seconds for one process writing its .npy files into a new temporary folder (checked, then deleted). */
    private static double coldRun(Path root, String prefix, Function<Path, List<String>> command,
                                  PrintStream err) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(prefix);
        try {
            double s = timeProcess(root, command.apply(dir), err);
            checkSaved(dir);
            return s;
        } finally {
            deleteTree(dir);
        }
    }

    private static void checkSaved(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long saved = files.filter(p -> p.getFileName().toString().endsWith(".npy")).count();
            if (saved == 0) throw new IOException("the cold run saved no .npy files in " + dir);
        }
    }

    private static double timeProcess(Path root, List<String> cmd, PrintStream err)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        capture(root, cmd, err);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Runs {@code cmd} in {@code root}; its stderr goes to ours, its stdout is returned. */
    private static String capture(Path root, List<String> cmd, PrintStream err) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(root.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        byte[] stdout = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        if (rc != 0) throw new IOException(String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + " exited with " + rc);
        return new String(stdout, StandardCharsets.UTF_8);
    }

    private static String script(Path root, String script, PrintStream err) throws IOException, InterruptedException {
        return capture(root, List.of("bash", root.resolve(script).toString()), err);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    // ---- the report --------------------------------------------------------------------------------------

    private record Report(Options o, Map<String, Map<Integer, Timing>> owb, JsonNode peers, List<Double> coldOwb,
                          List<Double> coldPython, double[] loadBefore, double[] loadAfter) {

        /** tokens/s median of a peer configuration, NaN when absent. */
        double peer(String config, int n, String field) {
            if (peers == null) return Double.NaN;
            JsonNode v = peers.path("results").path(config).path(Integer.toString(n)).path(field);
            return v.isNumber() ? v.asDouble() : Double.NaN;
        }

        double own(String config, int n, boolean cpu) {
            Timing t = owb.getOrDefault(config, Map.of()).get(n);
            if (t == null) return Double.NaN;
            return cpu ? t.tokensPerCpuSecondMedian : t.tokensPerSecondMedian;
        }

        /** Hook capture overhead in %: extra wall time of the hooked pass over the plain one. */
        double overhead(String config, int n) {
            Timing plain = owb.get(config).get(n);
            Timing hooked = owb.get(config + "-patterns").get(n);
            return (hooked.secondsMedian / plain.secondsMedian - 1) * 100;
        }

        /** The same in process CPU time (steadier on a shared machine), NaN when not measured. */
        double cpuOverhead(String config, int n) {
            Timing plain = owb.get(config).get(n);
            Timing hooked = owb.get(config + "-patterns").get(n);
            return (plain.tokensPerCpuSecondMedian / hooked.tokensPerCpuSecondMedian - 1) * 100;
        }

        String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "owb bench forward: SmolLM2-135M-Instruct, %d threads, median of %d runs"
                    + " after 1 warm-up; load average %s before, %s after%n", o.threads, o.repeat,
                    Machine.format(loadBefore), Machine.format(loadAfter)));
            sb.append(String.format(Locale.ROOT, "%-32s %6s %10s %12s %14s %14s%n", "configuration", "tokens", "tok/s",
                    "tok/cpu-s", "owb/peer", "owb/peer cpu"));
            for (int n : o.lengths) {
                row(sb, "owb F32 (all logits)", n, own("owb-f32", n, false), own("owb-f32", n, true), null, null);
                row(sb, "owb F32 + patterns", n, own("owb-f32-patterns", n, false), own("owb-f32-patterns", n, true), null, null);
                row(sb, "owb Q4_1 (last logits)", n, own("owb-q4_1", n, false), own("owb-q4_1", n, true), null, null);
                row(sb, "owb Q4_1 + patterns", n, own("owb-q4_1-patterns", n, false), own("owb-q4_1-patterns", n, true), null, null);
                if (peers != null) {
                    peerRow(sb, "transformers eager", "transformers-eager", n, "owb-f32");
                    peerRow(sb, "transformers eager + attentions", "transformers-eager-attentions", n,
                            "owb-f32-patterns");
                    peerRow(sb, "transformers sdpa", "transformers-sdpa", n, "owb-f32");
                    peerRow(sb, "llama.cpp Q4_1", "llama.cpp-q4_1", n, "owb-q4_1");
                }
            }
            sb.append(String.format(Locale.ROOT, "%nhook capture overhead (every attention pattern):%n"));
            for (int n : o.lengths) {
                sb.append(String.format(Locale.ROOT, "  %d tokens: F32 %+.1f%% wall, %+.1f%% CPU; Q4_1 %+.1f%% wall,"
                        + " %+.1f%% CPU%n", n, overhead("owb-f32", n), cpuOverhead("owb-f32", n),
                        overhead("owb-q4_1", n), cpuOverhead("owb-q4_1", n)));
            }
            if (!coldOwb.isEmpty()) {
                sb.append(String.format(Locale.ROOT, "%ncold path (whole process, %d tokens, every pattern saved as .npy;"
                        + " owb and Python taking turns), median of %d:%n", coldTokens(), coldOwb.size()));
                sb.append(String.format(Locale.ROOT, "  owb run         %7.2f s   %s%n", Median.of(coldOwb), fmtRuns(coldOwb)));
                sb.append(String.format(Locale.ROOT, "  python (torch)  %7.2f s   %s%n", Median.of(coldPython), fmtRuns(coldPython)));
                sb.append(String.format(Locale.ROOT, "  python / owb    %7.2fx%n", Median.of(coldPython) / Median.of(coldOwb)));
            }
            sb.append(String.format(Locale.ROOT, "%ntargets (issue 3):%n"));
            for (Map<String, Object> t : targets()) {
                sb.append(String.format(Locale.ROOT, "  %-56s %-32s %s%n", t.get("target"), t.get("measured"),
                        t.get("met") == null ? "n/a" : (Boolean) t.get("met") ? "MET" : "NOT MET"));
            }
            return sb.toString();
        }

        int coldTokens() { return o.lengths.contains(128) ? 128 : o.lengths.getFirst(); }

        List<Map<String, Object>> targets() {
            List<Map<String, Object>> out = new ArrayList<>();
            for (int n : o.lengths) {
                double ratio = own("owb-f32-patterns", n, false) / peer("transformers-eager-attentions", n, "tokens_per_s_median");
                double cpu = own("owb-f32-patterns", n, true) / peer("transformers-eager-attentions", n, "tokens_per_cpu_s_median");
                out.add(target("F32+patterns >= PyTorch eager+attentions / 1.25 @" + n,
                        "owb/torch " + fmtRatio(ratio) + " (CPU " + fmtRatio(cpu) + ")",
                        Double.isNaN(ratio) ? null : ratio >= 1 / 1.25));
            }
            for (int n : o.lengths) {
                double ratio = own("owb-q4_1", n, false) / peer("llama.cpp-q4_1", n, "tokens_per_s_median");
                double cpu = own("owb-q4_1", n, true) / peer("llama.cpp-q4_1", n, "tokens_per_cpu_s_median");
                out.add(target("Q4_1 >= 0.5 x llama.cpp @" + n,
                        "owb/llama.cpp " + fmtRatio(ratio) + " (CPU " + fmtRatio(cpu) + ")",
                        Double.isNaN(ratio) ? null : ratio >= 0.5));
            }
            for (int n : o.lengths) {
                double oh = overhead("owb-f32", n);
                out.add(target("F32 pattern capture overhead <= 20% (wall) @" + n,
                        String.format(Locale.ROOT, "%+.1f%% (CPU %+.1f%%)", oh, cpuOverhead("owb-f32", n)), oh <= 20));
            }
            if (!coldOwb.isEmpty()) {
                double ratio = Median.of(coldPython) / Median.of(coldOwb);
                out.add(target("cold path >= 5x faster than Python", "python/owb " + fmtRatio(ratio), ratio >= 5));
            }
            return out;
        }

        static Map<String, Object> target(String what, String measured, Boolean met) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", what);
            m.put("measured", measured);
            m.put("met", met);
            return m;
        }

        private void row(StringBuilder sb, String label, int n, double rate, double cpuRate, String ratio,
                         String cpuRatio) {
            sb.append(String.format(Locale.ROOT, "%-32s %6d %10.1f %12s %14s %14s%n", label, n, rate,
                    Double.isNaN(cpuRate) ? "-" : String.format(Locale.ROOT, "%.1f", cpuRate), ratio == null ? "" : ratio,
                    cpuRatio == null ? "" : cpuRatio));
        }

        /** A peer's row, with owb's configuration {@code ownConfig} over the peer (wall and CPU). */
        private void peerRow(StringBuilder sb, String label, String config, int n, String ownConfig) {
            double rate = peer(config, n, "tokens_per_s_median");
            double cpu = peer(config, n, "tokens_per_cpu_s_median");
            row(sb, label, n, rate, cpu, fmtRatio(own(ownConfig, n, false) / rate), fmtRatio(own(ownConfig, n, true) / cpu));
        }

        Map<String, Object> json() {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", "SmolLM2-135M-Instruct");
            doc.put("prompt", "samples/fixtures/smollm2/bench_prompt.json (first N ids, no BOS)");
            doc.put("metric", "prompt tokens / wall seconds of one forward over the whole prompt from an empty cache"
                    + " (median of the timed runs after one warm-up), and / process CPU seconds (all threads);"
                    + " owb F32 returns logits for every position (as transformers), owb Q4_1 for the last only"
                    + " (as llama.cpp); '-patterns' captures " + PATTERNS);
            doc.put("threads", o.threads);
            doc.put("repeats", o.repeat);
            Map<String, Object> own = new LinkedHashMap<>();
            owb.forEach((config, byLength) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                byLength.forEach((n, t) -> m.put(Integer.toString(n), t.json()));
                own.put(config, m);
            });
            doc.put("owb", own);
            Map<String, Object> overheads = new LinkedHashMap<>();
            for (int n : o.lengths) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("f32_wall", round(overhead("owb-f32", n), 1));
                m.put("f32_cpu", round(cpuOverhead("owb-f32", n), 1));
                m.put("q4_1_wall", round(overhead("owb-q4_1", n), 1));
                m.put("q4_1_cpu", round(cpuOverhead("owb-q4_1", n), 1));
                overheads.put(Integer.toString(n), m);
            }
            doc.put("hook_capture_overhead_percent", overheads);
            doc.put("peers", peers);
            if (!coldOwb.isEmpty()) {
                Map<String, Object> cold = new LinkedHashMap<>();
                cold.put("tokens", coldTokens());
                cold.put("owb_seconds", coldOwb.stream().map(s -> round(s, 3)).toList());
                cold.put("python_seconds", coldPython.stream().map(s -> round(s, 3)).toList());
                cold.put("owb_seconds_median", round(Median.of(coldOwb), 3));
                cold.put("python_seconds_median", round(Median.of(coldPython), 3));
                cold.put("python_over_owb", round(Median.of(coldPython) / Median.of(coldOwb), 2));
                doc.put("cold_path", cold);
            }
            doc.put("targets", targets());
            doc.put("loadavg_before", loadBefore);
            doc.put("loadavg_after", loadAfter);
            doc.put("java", Runtime.version().toString());
            doc.put("logical_cpus", Runtime.getRuntime().availableProcessors());
            return doc;
        }

        private static String fmtRuns(List<Double> runs) {
            return runs.stream().map(s -> String.format(Locale.ROOT, "%.2f", s)).collect(Collectors.joining(", ", "[", "]"));
        }

        private static String fmtRatio(double r) {
            return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2fx", r);
        }
    }
}

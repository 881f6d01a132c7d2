package owb.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import owb.audit.StatsKernel;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.CheckpointException;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code owb bench audit}: the statistics kernel against numpy on the same files in the same run.
 *
 * <ol>
 *   <li>Writes (once) a synthetic checkpoint per dtype: F32, BF16, F16 as safetensors, Q8_0 and
 *       Q4_K as GGUF, each at least {@code --size-gib} of tensor data.</li>
 *   <li>Kernel throughput: file bytes per second of {@link StatsKernel#compute} over every tensor,
 *       page cache warm, JIT warm, median of {@code --repeat} runs; beside it numpy's throughput on
 *       the same file ({@code samples/bench_audit_numpy.py --timing}, which excludes its startup;
 *       quantized tensors are cut to a prefix for numpy, whose dequantization is slow).</li>
 *   <li>Whole process: wall time of {@code ./owb audit FILE --json} against
 *       {@code python samples/bench_audit_numpy.py FILE}, both printing one JSON document,
 *       median of {@code --repeat}, for the float files.</li>
 * </ol>
 * Progress goes to stderr; stdout gets only the result table.
 */
public final class AuditBenchmark {

    public record Options(double sizeGib, int repeat, Path dir, Path root, String python, boolean processes) {}

    private static final List<DType> DTYPES = List.of(DType.F32, DType.BF16, DType.F16, DType.Q8_0, DType.Q4_K);
    /** Bytes per tensor numpy dequantizes for the quantized files (a prefix; see the class comment). */
    private static final long NUMPY_QUANTIZED_PREFIX = 4L << 20;

    private final Options options;
    private final PrintStream log;

    private AuditBenchmark(Options options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public static void run(Options options, PrintStream out, PrintStream log) throws IOException, InterruptedException {
        new AuditBenchmark(options, log).run(out);
    }

    /**
     * One line of the kernel table: throughput per wall second, and per CPU second (what one core
     * does, which holds still when other processes share the machine); {@code unavailable} says
     * why owb could not read the file, else null.
     */
    private record KernelRow(DType dtype, Path file, long bytes, double owbGbps, double owbGbpsPerCore,
                             double numpyGbps, double numpyGbpsPerCore, long numpyBytes, String unavailable) {}

    private record ProcessRow(Path file, double owbSeconds, double numpySeconds) {}

    private void run(PrintStream out) throws IOException, InterruptedException {
        long minBytes = (long) (options.sizeGib() * (1L << 30));
        List<BenchFile> files = new ArrayList<>();
        for (DType d : DTYPES) files.add(BenchFile.ensure(options.dir(), d, minBytes, log::println));

        List<KernelRow> kernel = new ArrayList<>();
        for (BenchFile f : files) {
            try {
                kernel.add(measureKernel(f));
            } catch (CheckpointException e) {
                // a build whose TensorReader lacks this dtype still measures the others
                log.println("  skipped: " + e.getMessage());
                kernel.add(new KernelRow(f.dtype(), f.path(), f.tensorBytes(), Double.NaN, Double.NaN, Double.NaN,
                        Double.NaN, 0, e.getMessage()));
            }
        }
        List<ProcessRow> processes = new ArrayList<>();
        if (options.processes()) {
            for (BenchFile f : files) {
                if (!f.dtype().quantized()) processes.add(measureProcesses(f));
            }
        }
        printTable(out, kernel, processes);
    }

    private KernelRow measureKernel(BenchFile f) throws IOException, InterruptedException {
        log.println("kernel: " + f.path().getFileName());
        double[] gbps = new double[options.repeat()];
        double[] perCore = new double[options.repeat()];
        try (Checkpoint c = f.map(Arena.ofShared())) {
            warmPageCache(c);
            StatsKernel.warmUp(c.tensors());
            timeKernel(c); // every call site compiled too
            for (int r = 0; r < options.repeat(); r++) {
                long cpu = Machine.processCpuNanos();
                gbps[r] = f.tensorBytes() / timeKernel(c) / 1e9;
                perCore[r] = f.tensorBytes() / ((Machine.processCpuNanos() - cpu) / 1e9) / 1e9;
                log.printf(Locale.ROOT, "  run %d: %.2f GB/s, %.2f GB/s per core%n", r + 1, gbps[r], perCore[r]);
            }
        }
        long numpyLimit = f.dtype().quantized() ? NUMPY_QUANTIZED_PREFIX : Long.MAX_VALUE;
        double[] numpy = new double[f.dtype().quantized() ? 1 : Math.min(3, options.repeat())];
        double[] numpyPerCore = new double[numpy.length];
        long numpyBytes = 0;
        for (int r = 0; r < numpy.length; r++) {
            JsonNode timing = numpyTiming(f.path(), numpyLimit);
            numpyBytes = timing.get("bytes").asLong();
            numpy[r] = numpyBytes / timing.get("seconds").asDouble() / 1e9;
            numpyPerCore[r] = numpyBytes / timing.get("cpu_seconds").asDouble() / 1e9;
            log.printf(Locale.ROOT, "  numpy run %d: %.3f GB/s, %.3f GB/s per core, over %d bytes%n", r + 1, numpy[r],
                    numpyPerCore[r], numpyBytes);
        }
        return new KernelRow(f.dtype(), f.path(), f.tensorBytes(), Median.of(gbps), Median.of(perCore), Median.of(numpy),
                Median.of(numpyPerCore), numpyBytes, null);
    }

    /** Seconds for the statistics of every tensor, measured together as an audit measures them. */
    private static double timeKernel(Checkpoint c) {
        long start = System.nanoTime();
        StatsKernel.computeAll(c.tensors());
        return (System.nanoTime() - start) / 1e9;
    }

    /** Loads every page so that the timed runs read from memory, not disk. */
    private static void warmPageCache(Checkpoint c) {
        for (TensorEntry t : c.tensors()) t.data().load();
    }

    private JsonNode numpyTiming(Path file, long limit) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(options.python(), script().toString(), file.toString(), "--timing"));
        if (limit != Long.MAX_VALUE) cmd.addAll(List.of("--max-bytes", Long.toString(limit)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("numpy reference failed: " + String.join(" ", cmd));
        return new ObjectMapper().readTree(stdout);
    }

    private Path script() { return options.root().resolve("samples").resolve("bench_audit_numpy.py"); }

    private ProcessRow measureProcesses(BenchFile f) throws IOException, InterruptedException {
        log.println("whole process: " + f.path().getFileName());
        List<String> owb = List.of(options.root().resolve("owb").toString(), "audit", f.path().toString(), "--json");
        List<String> numpy = List.of(options.python(), script().toString(), f.path().toString());
        wall(owb); // builds the launcher's classes if needed and warms the cache
        double[] owbTimes = new double[options.repeat()];
        double[] numpyTimes = new double[Math.min(3, options.repeat())];
        for (int r = 0; r < owbTimes.length; r++) {
            owbTimes[r] = wall(owb);
            log.printf(Locale.ROOT, "  owb audit --json: %.2f s%n", owbTimes[r]);
        }
        for (int r = 0; r < numpyTimes.length; r++) {
            numpyTimes[r] = wall(numpy);
            log.printf(Locale.ROOT, "  numpy script: %.2f s%n", numpyTimes[r]);
        }
        return new ProcessRow(f.path(), Median.of(owbTimes), Median.of(numpyTimes));
    }

    /** Wall seconds of a command, stdout discarded; a failure is an error. */
    private static double wall(List<String> cmd) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + err.strip());
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private void printTable(PrintStream out, List<KernelRow> kernel, List<ProcessRow> processes) throws IOException {
        out.printf(Locale.ROOT, "owb bench audit, %s, %s, %d cores, %s of tensor data per file, median of %d,"
                + " load average %.1f at the end%n", LocalDate.now(), Machine.cpuModel(), Runtime.getRuntime().availableProcessors(),
                humanGib(kernel.getFirst().bytes()), options.repeat(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.println();
        out.println("statistics kernel, warm page cache (file bytes / s; per core: / CPU s, owb on all cores, numpy on one)");
        out.printf(Locale.ROOT, "%-6s %-24s %9s %10s %11s %12s %7s%n", "dtype", "file", "owb GB/s", "per core",
                "numpy GB/s", "per core", "ratio");
        for (KernelRow k : kernel) {
            if (k.unavailable() != null) {
                out.printf(Locale.ROOT, "%-6s %-24s %s%n", k.dtype().label(), k.file().getFileName(), "not measured: " + k.unavailable());
                continue;
            }
            out.printf(Locale.ROOT, "%-6s %-24s %9.2f %10.2f %11.3f %12.3f %6.1fx%s%n", k.dtype().label(),
                    k.file().getFileName(), k.owbGbps(), k.owbGbpsPerCore(), k.numpyGbps(), k.numpyGbpsPerCore(),
                    k.owbGbps() / k.numpyGbps(),
                    k.dtype().quantized() ? "  (numpy on the first " + (NUMPY_QUANTIZED_PREFIX >> 20) + " MiB of each tensor)" : "");
        }
        if (!processes.isEmpty()) {
            out.println();
            out.println("whole process, wall time: ./owb audit FILE --json  vs  python samples/bench_audit_numpy.py FILE");
            out.printf(Locale.ROOT, "%-24s %12s %12s %8s%n", "file", "owb s", "numpy s", "ratio");
            for (ProcessRow p : processes) {
                out.printf(Locale.ROOT, "%-24s %12.2f %12.2f %7.1fx%n", p.file().getFileName(), p.owbSeconds(),
                        p.numpySeconds(), p.numpySeconds() / p.owbSeconds());
            }
        }
    }

    private static String humanGib(long bytes) { return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30)); }
}

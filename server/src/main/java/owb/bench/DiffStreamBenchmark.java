package owb.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;
import owb.diff.DeltaStats;
import owb.diff.TensorView;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The diff's streaming pass ({@link DeltaStats} over every tensor pair) against numpy doing the same
 * statistics ({@code samples/bench_diff_numpy.py}) on the same two memory-mapped files, in one run.
 *
 * <p>For F32 and BF16: a base of at least {@code --size-gib} of tensor data ({@link BenchFile}) and a
 * dense fine-tune of it ({@link BenchFile#ensureDerivative}), written once. Throughput is the bytes of
 * both files' tensors per second (decimal GB), page cache warm. Three figures for owb: the median of
 * {@code --repeat} passes over mappings whose pages are already touched (as numpy's timed passes
 * are), that per CPU second (what one core does; steady when other processes share the machine),
 * and the first pass over fresh mappings of the same files (the page-table faults a one-shot
 * {@code owb diff} pays). Then the largest disagreement between the two implementations' results.
 */
public final class DiffStreamBenchmark {

    public record Options(double sizeGib, int repeat, Path dir, Path root, String python) {}

    private static final List<DType> DTYPES = List.of(DType.F32, DType.BF16);

    private record Row(DType dtype, long bytes, double owbGbps, double owbPerCore, double firstPassGbps,
                       double freshMapGbps, double numpyGbps, double numpyPerCore, String agreement) {}

    private DiffStreamBenchmark() {}

    public static void run(Options options, PrintStream out, PrintStream log) throws IOException, InterruptedException {
        long minBytes = (long) (options.sizeGib() * (1L << 30));
        List<Row> rows = new ArrayList<>();
        for (DType dtype : DTYPES) {
            BenchFile base = BenchFile.ensure(options.dir(), dtype, minBytes, log::println);
            BenchFile derivative = BenchFile.ensureDerivative(base, log::println);
            rows.add(measure(options, base, derivative, log));
        }
        out.printf(Locale.ROOT, "owb bench diff (streaming), %s, %s, %d cores, median of %d, load average %.1f at the end%n",
                LocalDate.now(), Machine.cpuModel(), Runtime.getRuntime().availableProcessors(), options.repeat(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.println("delta statistics over two memory-mapped safetensors files, page cache warm; GB/s = bytes of both"
                + " files' tensors / s; per core: / CPU s");
        out.println("first pass: fresh mappings, kernel not yet compiled (a one-shot owb diff); fresh map: fresh"
                + " mappings, kernel compiled");
        out.printf(Locale.ROOT, "%-5s %10s %9s %9s %11s %10s %11s %9s %7s%n", "dtype", "both files", "owb GB/s",
                "per core", "first pass", "fresh map", "numpy GB/s", "per core", "ratio");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-5s %10s %9.2f %9.2f %11.2f %10.2f %11.3f %9.3f %6.1fx%n", r.dtype().label(),
                    String.format(Locale.ROOT, "%.2f GiB", r.bytes() / (double) (1L << 30)), r.owbGbps(), r.owbPerCore(),
                    r.firstPassGbps(), r.freshMapGbps(), r.numpyGbps(), r.numpyPerCore(), r.owbGbps() / r.numpyGbps());
        }
        for (Row r : rows) out.println(r.dtype().label() + ": " + r.agreement());
    }

    /** GB/s of one pass over both files mapped anew (page-table faults included). */
    private static double passOverFreshMappings(BenchFile base, BenchFile derivative, long bytes) throws IOException {
        try (Checkpoint b = base.map(Arena.ofShared()); Checkpoint d = derivative.map(Arena.ofShared())) {
            long start = System.nanoTime();
            pass(b, d);
            return bytes / ((System.nanoTime() - start) / 1e9) / 1e9;
        }
    }

    private static Row measure(Options options, BenchFile base, BenchFile derivative, PrintStream log)
            throws IOException, InterruptedException {
        log.println("diff stream: " + base.path().getFileName() + " vs " + derivative.path().getFileName());
        long bytes = base.tensorBytes() + derivative.tensorBytes();
        double firstPass = passOverFreshMappings(base, derivative, bytes);
        log.printf(Locale.ROOT, "  first pass over fresh mappings, code not yet compiled: %.2f GB/s%n", firstPass);
        double[] gbps = new double[options.repeat()];
        double[] perCore = new double[options.repeat()];
        List<DeltaStats> ours;
        String agreement;
        double owb, owbPerCore, numpyMedian, numpyMedianPerCore;
        try (Checkpoint b = base.map(Arena.ofShared()); Checkpoint d = derivative.map(Arena.ofShared())) {
            for (TensorEntry t : b.tensors()) t.data().load();
            for (TensorEntry t : d.tensors()) t.data().load();
            pass(b, d); // every call site compiled
            ours = pass(b, d);
            for (int r = 0; r < gbps.length; r++) {
                long cpu = Machine.processCpuNanos();
                long start = System.nanoTime();
                pass(b, d);
                gbps[r] = bytes / ((System.nanoTime() - start) / 1e9) / 1e9;
                perCore[r] = bytes / ((Machine.processCpuNanos() - cpu) / 1e9) / 1e9;
                log.printf(Locale.ROOT, "  run %d: %.2f GB/s, %.2f GB/s per core%n", r + 1, gbps[r], perCore[r]);
            }
            JsonNode numpy = numpy(options, base.path(), derivative.path(), Math.min(3, options.repeat()));
            double[] seconds = values(numpy.get("seconds"));
            double[] cpu = values(numpy.get("cpu_seconds"));
            double numpyBytes = numpy.get("bytes").asDouble();
            double[] numpyGbps = new double[seconds.length];
            double[] numpyPerCore = new double[seconds.length];
            for (int i = 0; i < seconds.length; i++) {
                numpyGbps[i] = numpyBytes / seconds[i] / 1e9;
                numpyPerCore[i] = numpyBytes / cpu[i] / 1e9;
                log.printf(Locale.ROOT, "  numpy run %d: %.3f GB/s, %.3f GB/s per core%n", i + 1, numpyGbps[i], numpyPerCore[i]);
            }
            agreement = agreement(b.tensors(), ours, numpy.get("tensors"));
            owb = Median.of(gbps);
            owbPerCore = Median.of(perCore);
            numpyMedian = Median.of(numpyGbps);
            numpyMedianPerCore = Median.of(numpyPerCore);
        }
        double freshMap = passOverFreshMappings(base, derivative, bytes);
        log.printf(Locale.ROOT, "  a pass over fresh mappings, code compiled: %.2f GB/s%n", freshMap);
        return new Row(base.dtype(), bytes, owb, owbPerCore, firstPass, freshMap, numpyMedian, numpyMedianPerCore, agreement);
    }

    /** The delta statistics of every tensor pair, in file order. */
    static List<DeltaStats> pass(Checkpoint base, Checkpoint derivative) {
        List<DeltaStats> out = new ArrayList<>();
        List<TensorEntry> b = base.tensors();
        List<TensorEntry> d = derivative.tensors();
        for (int i = 0; i < b.size(); i++) {
            out.add(DeltaStats.compute(TensorView.of(b.get(i)), TensorView.of(d.get(i)), b.get(i).numel()));
        }
        return out;
    }

    /** The largest relative difference in rel_change and cosine - 1, and whether the counts are equal. */
    private static String agreement(List<TensorEntry> tensors, List<DeltaStats> ours, JsonNode numpy) {
        double rel = 0, cos = 0, max = 0;
        long countsDiffer = 0;
        for (int i = 0; i < tensors.size(); i++) {
            DeltaStats s = ours.get(i);
            JsonNode n = numpy.get(tensors.get(i).name());
            rel = Math.max(rel, Math.abs(s.relChange() - n.get("rel_change").asDouble()) / n.get("rel_change").asDouble());
            cos = Math.max(cos, Math.abs((1 - s.cosine()) - (1 - n.get("cosine").asDouble())) / (1 - n.get("cosine").asDouble()));
            max = Math.max(max, Math.abs(s.maxAbsDelta() - n.get("max_abs_delta").asDouble()));
            long elements = s.elements();
            if (Math.round(s.fractionChanged() * elements) != Math.round(n.get("fraction_changed").asDouble() * elements)
                    || Math.round(s.fractionBeyondTolerance() * elements)
                    != Math.round(n.get("fraction_beyond_tolerance").asDouble() * elements)
                    || s.signFlips() != n.get("sign_flips").asLong()) {
                countsDiffer++;
            }
        }
        return String.format(Locale.ROOT, "owb vs numpy over %d tensors: rel_change within %.1e (relative), 1 - cosine"
                        + " within %.1e (relative), max |delta| within %.1e; counts (changed, beyond tolerance, sign"
                        + " flips) %s", tensors.size(), rel, cos, max,
                countsDiffer == 0 ? "equal" : "differ in " + countsDiffer + " tensors");
    }

    private static JsonNode numpy(Options options, Path base, Path derivative, int repeat)
            throws IOException, InterruptedException {
        List<String> cmd = List.of(options.python(), options.root().resolve("samples/bench_diff_numpy.py").toString(),
                base.toString(), derivative.toString(), "--repeat", Integer.toString(repeat));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("numpy reference failed: " + String.join(" ", cmd));
        return new ObjectMapper().readTree(stdout);
    }

    private static double[] values(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) v[i] = array.get(i).asDouble();
        return v;
    }

}

package owb.tensor.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;
import owb.tensor.MatMul;

/**
 * GFLOP/s of {@link MatMul#matmul} for every weight dtype on the projection shapes of
 * SmolLM2-135M (hidden 576, MLP 1536, vocabulary 49152), next to numpy's float32 matmul
 * (OpenBLAS) timed on the same shapes in the same run by samples/bench_gemm_numpy.py, right
 * after the first dtype measured on each shape.
 *
 * <p>Y [M, N] = X [M, K] · Wᵀ with W [N, K] in native memory, as a mapped checkpoint holds it.
 * K is 576 except for the 256-element K-quants, which cannot split 576 and use 512. Each figure is
 * the median of several samples after a warm-up; a sample repeats the product for about 0.1 s.
 * Never asserted anywhere: timings on a shared machine are noisy, so read the ratios.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp server/target/classes owb.tensor.bench.GemmBench \
 *      [--dtypes F32,Q4_0] [--m 1,128,512] [--n 576,1536,49152] [--samples 5] [--no-numpy]
 * </pre>
 * The Python used is {@code -Dowb.python}, else {@code .venv/bin/python} of the repository,
 * else /work/main/.venv/bin/python.
 */
public final class GemmBench {
    private static final double SAMPLE_SECONDS = 0.1;
    private static final double WARMUP_ROUND_SECONDS = 0.2;
    private static final int MAX_WARMUP_ROUNDS = 25;
    private static final int MIN_WARMUP_CALLS = 50;

    private record Shape(int m, int k, int n) {
        double flops() {
            return 2.0 * m * k * n;
        }
    }

    /**
     * Median seconds of one product, by the wall clock and by process CPU time (all threads), and
     * the bytes all threads allocated per product: a kernel whose vectors C2 failed to keep in
     * registers shows up here as kilobytes per call (a warm kernel allocates only work-unit bookkeeping).
     */
    private record Timing(double seconds, double cpuSeconds, double allocatedBytes) {}

    private record Result(DType dtype, Shape shape, Timing timing, long weightBytes) {}

    /** numpy's throughput on one shape: by the wall clock and per CPU-second. */
    private record Peer(double gflops, double gflopsPerCpuSecond) {}

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> options = options(args);
        List<DType> dtypes = Arrays.stream(options.getOrDefault("dtypes", "F32,F16,BF16,Q8_0,Q4_0,Q4_1,Q4_K,Q6_K")
                .split(",")).map(s -> DType.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
        int[] ms = ints(options.getOrDefault("m", "1,128,512"));
        int[] ns = ints(options.getOrDefault("n", "576,1536,49152"));
        int samples = Integer.parseInt(options.getOrDefault("samples", "5"));

        System.out.printf(Locale.ROOT, "GemmBench: %d threads, %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + Runtime.version(), System.getProperty("os.arch"));
        SplittableRandom random = new SplittableRandom(1);
        warmUp(dtypes, random);
        boolean withNumpy = !options.containsKey("no-numpy");
        Map<Shape, Peer> numpy = new LinkedHashMap<>();
        List<Result> results = new ArrayList<>();
        for (DType dtype : dtypes) {
            int k = dtype.blockElements() == 256 ? 512 : 576;
            for (int n : ns) {
                try (Arena arena = Arena.ofShared()) { // the kernels read it from every core
                    long bytes = dtype.byteSize((long) n * k);
                    MemorySegment data = arena.allocate(bytes, 64);
                    RandomWeights.fill(data, dtype, (long) n * k, random);
                    TensorEntry w = new TensorEntry("bench." + dtype, dtype, new long[] {n, k},
                            Path.of("(memory)"), 0, data.asReadOnly());
                    for (int m : ms) {
                        Shape shape = new Shape(m, k, n);
                        Timing timing = time(shape, w, random, samples);
                        results.add(new Result(dtype, shape, timing, bytes));
                        // the peer runs right after the first dtype on each shape, so that both see
                        // about the same load on a shared machine
                        if (withNumpy && !numpy.containsKey(shape)) numpy.putAll(numpy(List.of(shape), samples));
                        System.out.printf(Locale.ROOT, "  %-5s M=%-4d K=%-4d N=%-6d %9.1f GFLOP/s %9.1f GFLOP/CPU-s%n",
                                dtype, m, k, n, shape.flops() / timing.seconds / 1e9, shape.flops() / timing.cpuSeconds / 1e9);
                    }
                }
            }
        }
        printTable(results, numpy);
    }

    /** Gets every path of every dtype compiled by C2 before anything is timed. */
    private static void warmUp(List<DType> dtypes, SplittableRandom random) {
        int n = 256;
        int k = 512;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : dtypes) {
                MemorySegment data = arena.allocate(dtype.byteSize((long) n * k), 64);
                RandomWeights.fill(data, dtype, (long) n * k, random);
                TensorEntry w = new TensorEntry("warmup", dtype, new long[] {n, k}, Path.of("(memory)"), 0, data);
                for (int m : new int[] {1, 4, 64}) {
                    float[] x = new float[m * k];
                    float[] y = new float[m * n];
                    for (int call = 0; call < 20_000 / m; call++) MatMul.matmul(x, m, k, w, null, y);
                }
            }
        }
    }

    /** Median wall-clock and CPU seconds of one product. */
    private static Timing time(Shape s, TensorEntry w, SplittableRandom random, int samples) {
        float[] x = new float[s.m * s.k];
        for (int i = 0; i < x.length; i++) x[i] = (float) (2 * random.nextDouble() - 1);
        float[] y = new float[s.m * s.n];
        // Warm up in rounds until a round is no faster than the one before: the Vector API is only
        // fast once C2 has compiled the kernels, and on a loaded machine that takes a while.
        double once = Double.MAX_VALUE;
        int totalCalls = 0;
        for (int round = 0; round < MAX_WARMUP_ROUNDS; round++) {
            long roundEnd = System.nanoTime() + (long) (WARMUP_ROUND_SECONDS * 1e9);
            int calls = 0;
            long start = System.nanoTime();
            do {
                MatMul.matmul(x, s.m, s.k, w, null, y);
                calls++;
            } while (System.nanoTime() < roundEnd);
            double perCall = (System.nanoTime() - start) / 1e9 / calls;
            totalCalls += calls;
            boolean settled = perCall > 0.95 * once;
            once = Math.min(once, perCall);
            if (settled && round >= 2 && totalCalls >= MIN_WARMUP_CALLS) break;
        }
        int reps = (int) Math.max(1, Math.min(1_000_000, SAMPLE_SECONDS / once));
        double[] wall = new double[samples];
        double[] cpu = new double[samples];
        long allocated0 = THREADS.getTotalThreadAllocatedBytes();
        for (int t = 0; t < samples; t++) {
            long cpu0 = OS.getProcessCpuTime();
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) MatMul.matmul(x, s.m, s.k, w, null, y);
            wall[t] = (System.nanoTime() - t0) / 1e9 / reps;
            cpu[t] = Math.max(1, OS.getProcessCpuTime() - cpu0) / 1e9 / reps;
        }
        double allocated = (double) (THREADS.getTotalThreadAllocatedBytes() - allocated0) / samples / reps;
        Arrays.sort(wall);
        Arrays.sort(cpu);
        return new Timing(wall[samples / 2], cpu[samples / 2], allocated);
    }

    /** GFLOP/s of numpy on each shape, or an empty map (with a note) when Python cannot run. */
    private static Map<Shape, Peer> numpy(List<Shape> shapes, int samples) throws InterruptedException {
        Path root = repositoryRoot();
        Path script = root.resolve("samples/bench_gemm_numpy.py");
        String python = python(root);
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "--samples", String.valueOf(samples)));
        for (Shape s : shapes) command.add(s.m + "," + s.k + "," + s.n);
        Map<Shape, Peer> out = new LinkedHashMap<>();
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length != 5) continue;
                    out.put(new Shape(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])),
                            new Peer(Double.parseDouble(f[3]), Double.parseDouble(f[4])));
                }
            }
            if (p.waitFor() != 0) System.out.println("numpy: " + python + " exited with " + p.exitValue());
        } catch (IOException e) {
            System.out.println("numpy: not measured (" + e.getMessage() + ")");
        }
        return out;
    }

    private static void printTable(List<Result> results, Map<Shape, Peer> numpy) {
        System.out.println();
        System.out.println("| dtype | M | K | N | ms | GFLOP/s | GFLOP/CPU-s | weights GB/s | alloc KB "
                + "| numpy GFLOP/s | numpy GFLOP/CPU-s | ratio | ratio per CPU-s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Result r : results) {
            Shape s = r.shape;
            double gflops = s.flops() / r.timing.seconds / 1e9;
            double perCpu = s.flops() / r.timing.cpuSeconds / 1e9;
            Peer peer = numpy.get(s);
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.3f | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s |%n",
                    r.dtype, s.m, s.k, s.n, r.timing.seconds * 1e3, gflops, perCpu,
                    r.weightBytes / r.timing.seconds / 1e9, r.timing.allocatedBytes / 1024,
                    peer == null ? "-" : format(peer.gflops), peer == null ? "-" : format(peer.gflopsPerCpuSecond),
                    peer == null ? "-" : String.format(Locale.ROOT, "%.2f", gflops / peer.gflops),
                    peer == null ? "-" : String.format(Locale.ROOT, "%.2f", perCpu / peer.gflopsPerCpuSecond));
        }
        System.out.println("ratio: this kernel / numpy float32 (OpenBLAS) on the same M, K, N, medians; per CPU-s: "
                + "the same per second of process CPU time, which other load on a shared machine disturbs less");
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("samples/bench_gemm_numpy.py"))) return p;
        }
        return Path.of("").toAbsolutePath();
    }

    private static String python(Path root) {
        String configured = System.getProperty("owb.python");
        if (configured != null && !configured.isBlank()) return configured;
        Path venv = root.resolve(".venv/bin/python");
        if (Files.isExecutable(venv)) return venv.toString();
        return "/work/main/.venv/bin/python";
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
            String name = args[i].substring(2);
            if (name.equals("no-numpy")) out.put(name, "");
            else if (i + 1 < args.length) out.put(name, args[++i]);
            else throw new IllegalArgumentException("--" + name + " needs a value");
        }
        return out;
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }
}

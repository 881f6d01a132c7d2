package owb.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import owb.diff.LowRank;
import owb.report.Npy;

/**
 * Times the spectrum of a synthetic fine-tune delta (rank-r plus Gaussian noise) three ways, in one
 * run on the same matrices: owb's randomized top-64 ({@link LowRank}), EJML's full SVD (singular
 * values only) and numpy's {@code linalg.svd(compute_uv=False)} (LAPACK gesdd, subprocess).
 * EJML's full SVD of n×n takes minutes at n = 4096, so it runs on the leading m×m block and its
 * time is extrapolated by (n/m)³ (the SVD's cost order), stated as such. The errors are those of
 * the randomized top-10 singular values against the full SVD of the same matrix.
 *
 * <p>usage: owb bench diff [--size N] [--ejml-size M] [--python PY] (defaults 4096, 1024, the test venv)
 */
public final class DiffBenchmark {
    private DiffBenchmark() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        String python = args.length > 2 ? args[2] : ".venv/bin/python";
        run(n, m, python, System.out);
    }

    /** Times n×n randomized, n×n numpy and m×m EJML; prints the table to {@code out}. */
    public static void run(int n, int m, String python, java.io.PrintStream out) throws Exception {
        int rank = 16;
        double noise = 1e-4;
        out.printf(Locale.ROOT, "delta: %dx%d, rank-%d + N(0, %.0e) noise; %d cores (%s %s)%n",
                n, n, rank, noise, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        float[] a = synthetic(n, rank, noise, 7);

        LowRank.of(block(a, n, 256), 256, 256);   // warm-up
        long t0 = System.nanoTime();
        LowRank big = LowRank.of(a, n, n);
        double randomizedS = (System.nanoTime() - t0) / 1e9;

        float[] small = block(a, n, m);
        t0 = System.nanoTime();
        LowRank smallRandomized = LowRank.of(small, m, m);
        double smallRandomizedS = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        double[] ejml = ejmlSingularValues(small, m);
        double ejmlS = (System.nanoTime() - t0) / 1e9;

        Path file = Files.createTempFile("owb-diffbench-", ".npy");
        List<Double> numpy = new ArrayList<>();
        double numpyS;
        try {
            Npy.write(file, a, n, n);
            numpyS = numpySvd(python, file, numpy);
        } finally {
            Files.deleteIfExists(file);
        }

        out.printf(Locale.ROOT, "owb randomized top-64 (k=64, p=%d, q=%d), %dx%d: %8.2f s%n",
                LowRank.OVERSAMPLING, LowRank.POWER_ITERATIONS, n, n, randomizedS);
        out.printf(Locale.ROOT, "numpy linalg.svd (values only), %dx%d:            %8.2f s%n", n, n, numpyS);
        out.printf(Locale.ROOT, "owb randomized top-64, %dx%d:                     %8.2f s%n", m, m, smallRandomizedS);
        if (m == n) {
            out.printf(Locale.ROOT, "EJML full SVD (values only), %dx%d:               %8.2f s (measured)%n", m, m, ejmlS);
        } else {
            out.printf(Locale.ROOT, "EJML full SVD (values only), %dx%d:               %8.2f s"
                            + "  -> %dx%d extrapolated x(n/m)^3: ~%.0f s (not measured)%n",
                    m, m, ejmlS, n, n, ejmlS * Math.pow((double) n / m, 3));
        }
        out.printf(Locale.ROOT, "randomized top-64 vs full SVD at %dx%d: %.1fx faster than EJML%s; at %dx%d: %.1fx faster than numpy%n",
                m, m, ejmlS / smallRandomizedS, m == n ? "" : " (measured at this size)", n, n, numpyS / randomizedS);
        out.printf(Locale.ROOT, "top-10 max relative error, randomized vs numpy (%d):  %.2e%n", n,
                maxRelError(big.singularValues(), numpy));
        out.printf(Locale.ROOT, "top-10 max relative error, randomized vs EJML  (%d):  %.2e%n", m,
                maxRelError(smallRandomized.singularValues(), box(ejml)));
        out.printf(Locale.ROOT, "rank found: %s%d (%s)%n", big.saturated() ? ">=" : "", big.rank(),
                big.verdict(0.01, n));
    }

    private static double maxRelError(double[] approx, List<Double> exact) {
        double worst = 0;
        for (int i = 0; i < 10; i++) worst = Math.max(worst, Math.abs(approx[i] - exact.get(i)) / exact.get(i));
        return worst;
    }

    private static List<Double> box(double[] v) {
        List<Double> l = new ArrayList<>();
        for (double d : v) l.add(d);
        return l;
    }

    private static double[] ejmlSingularValues(float[] a, int m) {
        var mat = new org.ejml.data.DMatrixRMaj(m, m);
        for (int i = 0; i < a.length; i++) mat.getData()[i] = a[i];
        var svd = org.ejml.dense.row.factory.DecompositionFactory_DDRM.svd(m, m, false, false, true);
        if (!svd.decompose(mat)) throw new IllegalStateException("EJML SVD did not converge");
        double[] s = svd.getSingularValues().clone();
        java.util.Arrays.sort(s);
        double[] desc = new double[s.length];
        for (int i = 0; i < s.length; i++) desc[i] = s[s.length - 1 - i];
        return desc;
    }

    /** Runs numpy on the .npy file; fills the top 10 singular values and returns the seconds the SVD took. */
    private static double numpySvd(String python, Path file, List<Double> top) throws IOException, InterruptedException {
        String script = """
                import sys, time, numpy as np
                a = np.load(sys.argv[1])
                t = time.perf_counter(); s = np.linalg.svd(a, compute_uv=False); t = time.perf_counter() - t
                print(t); print(' '.join(repr(float(v)) for v in s[:10]))
                """;
        Process p = new ProcessBuilder(python, "-c", script, file.toString()).redirectErrorStream(true).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        if (p.waitFor() != 0 || lines.size() < 2) throw new IllegalStateException("numpy failed: " + lines);
        for (String s : lines.get(lines.size() - 1).split(" ")) top.add(Double.parseDouble(s));
        return Double.parseDouble(lines.get(lines.size() - 2));
    }

    private static float[] block(float[] a, int n, int m) {
        float[] b = new float[m * m];
        for (int i = 0; i < m; i++) System.arraycopy(a, i * n, b, i * m, m);
        return b;
    }

    /** U [n, r] · V [r, n] with decaying column scales 1/(1+i), plus iid noise. */
    static float[] synthetic(int n, int r, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] u = new float[n * r], v = new float[r * n];
        for (int i = 0; i < u.length; i++) u[i] = (float) (gaussian(random) / Math.sqrt(n));
        for (int i = 0; i < v.length; i++) v[i] = (float) (gaussian(random) / (1 + i / n) / Math.sqrt(n));
        float[] a = new float[n * n];
        IntStream.range(0, n).parallel().forEach(i -> {
            SplittableRandom rowRandom = new SplittableRandom(seed * 31 + i);
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int t = 0; t < r; t++) s += u[i * r + t] * v[t * n + j];
                a[i * n + j] = s + (float) (noise * gaussian(rowRandom));
            }
        });
        return a;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }
}

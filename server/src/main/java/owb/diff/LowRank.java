package owb.diff;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

import owb.tensor.MatMul;

/**
 * The spectrum of a 2-D delta: its top singular values by randomized SVD (Halko, Martinsson and
 * Tropp 2011, algorithms 4.4 and 5.1): Y = (A Aᵀ)^q A Ω with Ω a seeded Gaussian n×(k+p),
 * re-orthonormalised (QR) after every product, then B = Qᵀ A and the small SVD of B by EJML.
 * A matrix no larger than k+p on its short side gets EJML's full SVD instead.
 *
 * @param singularValues  the top min(k, rows, cols) singular values, descending
 * @param rank            numerical rank: singular values above {@link #RANK_TOLERANCE}·σ₁; equals
 *                        singularValues.length when the spectrum was cut off there (then "at least")
 * @param energy          energy[r-1] = Σ_{i≤r} σᵢ² / ||Δ||_F², the share of the delta rank r captures
 * @param effectiveRank   exp(-Σ pᵢ ln pᵢ), pᵢ = σᵢ/Σσ over the computed values (Roy and Vetterli 2007)
 * @param stableRank      ||Δ||_F² / σ₁²
 * @param exact           whether the spectrum is complete (full SVD) rather than the top k
 */
public record LowRank(double[] singularValues, int rank, double[] energy, double effectiveRank,
                      double stableRank, boolean exact) {

    /**
     * Relative cut-off of the numerical rank. A float32 delta of weights w carries rounding noise
     * of about 2⁻²⁴·|w| per element, a spectral norm near 2⁻²⁴·|w|·(√m+√n), i.e. ~1e-5 of σ₁ for
     * the smallest deltas worth reporting; 1e-3 sits well above that and well below the smallest
     * component a fine-tune puts in on purpose.
     */
    public static final double RANK_TOLERANCE = 1e-3;
    public static final int DEFAULT_K = 64;
    public static final int OVERSAMPLING = 16;
    public static final int POWER_ITERATIONS = 3;
    /** Largest delta analysed (a 4096×4096 float delta, 64 MiB); larger ones are skipped. */
    public static final long MAX_ELEMENTS = 4096L * 4096L;

    /** Randomized SVD with the defaults and seed 0. */
    public static LowRank of(float[] delta, int rows, int cols) {
        return of(delta, rows, cols, DEFAULT_K, OVERSAMPLING, POWER_ITERATIONS, 0L);
    }

    /** @param delta row-major [rows, cols] */
    public static LowRank of(float[] delta, int rows, int cols, int k, int p, int q, long seed) {
        if ((long) rows * cols != delta.length) throw new IllegalArgumentException("delta is not rows × cols");
        double frob2 = 0;
        for (float v : delta) frob2 += (double) v * v;
        int shortSide = Math.min(rows, cols);
        double[] sigma;
        boolean exact = shortSide <= k + p;
        if (exact) {
            sigma = svd(toDouble(delta, rows, cols));
        } else {
            sigma = randomized(delta, rows, cols, k + p, q, seed);
        }
        sigma = Arrays.copyOf(sigma, Math.min(sigma.length, Math.min(k, shortSide)));
        return summarise(sigma, frob2, exact && sigma.length == shortSide);
    }

    static LowRank summarise(double[] sigma, double frob2, boolean exact) {
        double s1 = sigma.length == 0 ? 0 : sigma[0];
        int rank = 0;
        while (rank < sigma.length && s1 > 0 && sigma[rank] > RANK_TOLERANCE * s1) rank++;
        double[] energy = new double[sigma.length];
        double acc = 0, sum = 0;
        for (int i = 0; i < sigma.length; i++) {
            acc += sigma[i] * sigma[i];
            energy[i] = frob2 > 0 ? Math.min(1, acc / frob2) : 1;
            sum += sigma[i];
        }
        double entropy = 0;
        for (double s : sigma) {
            double pi = sum > 0 ? s / sum : 0;
            if (pi > 0) entropy -= pi * Math.log(pi);
        }
        double stable = s1 > 0 ? frob2 / (s1 * s1) : 0;
        return new LowRank(sigma, rank, energy, sum > 0 ? Math.exp(entropy) : 0, stable, exact);
    }

    /** Spectral gap σ_r/σ_{r+1} from which {@link #dominantRank} reads a low-rank update over noise. */
    public static final double GAP = 10;
    /** Share of the delta's energy the top r values must hold for {@link #dominantRank}. */
    public static final double DOMINANT_ENERGY = 0.9;

    /**
     * The smallest r with σ_r/σ_{r+1} ≥ {@link #GAP} and energy[r-1] ≥ {@link #DOMINANT_ENERGY}, else 0:
     * a low-rank update under a floor of full-rank noise, as quantizing base and fine-tune each
     * (independently) adds, which hides it from the numerical {@link #rank}.
     */
    public int dominantRank() {
        for (int r = 1; r < singularValues.length; r++) {
            if (singularValues[r - 1] >= GAP * singularValues[r] && energy[r - 1] >= DOMINANT_ENERGY) return r;
        }
        return 0;
    }

    /** Whether the rank is cut off by the number of computed values (so it is a lower bound). */
    public boolean saturated() { return !exact && rank == singularValues.length; }

    /** A one-line reading of the spectrum for a tensor of short side {@code shortSide}. */
    public String verdict(double relChange, int shortSide) {
        if (singularValues.length == 0 || singularValues[0] == 0) return "unchanged";
        String size = relChange < 0.1 ? "small" : "large";
        if (!saturated() && rank <= Math.max(1, shortSide / 4)) {
            return "rank-" + rank + " update, consistent with a merged LoRA"
                    + (rank <= 256 ? "" : " of large rank");
        }
        int dominant = dominantRank();
        if (dominant > 0 && dominant <= Math.max(1, shortSide / 4)) {
            return "rank-" + dominant + " update over a noise floor (" + Math.round(100 * energy[dominant - 1])
                    + "% of the energy), consistent with a merged LoRA";
        }
        return "full-rank, " + size;
    }

    private static double[] randomized(float[] a, int m, int n, int l, int q, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] omega = new float[n * l];              // [n, l]
        for (int i = 0; i < omega.length; i++) omega[i] = (float) gaussian(random);
        float[] y = new float[m * l];                  // [m, l]
        MatMul.matmulF32NoTranspose(a, m, n, omega, l, y);
        float[] qt = orthonormalTransposed(y, m, l);   // Qᵀ [l, m]
        float[] zt = new float[l * n];                 // (Aᵀ Q)ᵀ = Qᵀ A [l, n]
        for (int it = 0; it < q; it++) {
            MatMul.matmulF32NoTranspose(qt, l, m, a, n, zt);
            float[] qzt = orthonormalTransposed(transpose(zt, l, n), n, l);  // [l, n]
            MatMul.matmulF32NoTranspose(a, m, n, transpose(qzt, l, n), l, y);
            qt = orthonormalTransposed(y, m, l);
        }
        MatMul.matmulF32NoTranspose(qt, l, m, a, n, zt);  // B = Qᵀ A [l, n]
        return svd(toDouble(zt, l, n));
    }

    /** Qᵀ [cols, rows] of the thin QR of x [rows, cols], in double. */
    private static float[] orthonormalTransposed(float[] x, int rows, int cols) {
        DMatrixRMaj m = toDouble(x, rows, cols);
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(rows, cols);
        if (!qr.decompose(m)) throw new IllegalStateException("QR failed");
        DMatrixRMaj qm = qr.getQ(null, true);          // [rows, cols]
        float[] t = new float[cols * rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = (float) qm.get(i, j);
        }
        return t;
    }

    static double[] svd(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        if (!svd.decompose(m)) throw new IllegalStateException("SVD did not converge");
        double[] s = svd.getSingularValues().clone();
        int count = Math.min(m.numRows, m.numCols);
        s = Arrays.copyOf(s, count);
        Arrays.sort(s);
        for (int i = 0; i < count / 2; i++) {
            double t = s[i];
            s[i] = s[count - 1 - i];
            s[count - 1 - i] = t;
        }
        return s;
    }

    static DMatrixRMaj toDouble(float[] x, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        double[] data = m.getData();
        for (int i = 0; i < x.length; i++) data[i] = x[i];
        return m;
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        }
        return t;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; one of the pair is enough here.
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}

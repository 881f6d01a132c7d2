package owb.probe;

import java.util.Arrays;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.simple.SimpleMatrix;

/**
 * A binary linear classifier on standardised features: label 1 when w · (x − mean) / scale + b > 0.
 * Fitted by
 * <ul>
 *   <li>{@code RIDGE}: least squares on targets ±1 with penalty λ‖w‖² (closed form), bias unpenalised;</li>
 *   <li>{@code LOGISTIC}: logistic loss Σ log(1 + e^{−y·s}) + λ/2 ‖w‖², bias unpenalised, by Newton's
 *       method (IRLS) with step halving; with λ &gt; 0 the minimum is unique even on separable data.</li>
 * </ul>
 * With fewer examples m than features d (probes on a 576-wide residual from a few dozen prompts),
 * both optima lie in the span of the (standardised) examples, so the fit runs in m coordinates from
 * a thin QR of Xᵀ = QR (X Q = Rᵀ; w = Q w') and costs O(m²d), not O(d³).
 *
 * @param mean  per feature, of the training examples
 * @param scale per feature: the training standard deviation (1 where it is 0)
 */
public record LinearClassifier(double[] mean, double[] scale, double[] weights, double bias) {

    public enum Method {
        RIDGE, LOGISTIC;

        public String key() { return name().toLowerCase(java.util.Locale.ROOT); }

        public static Method of(String key) {
            for (Method m : values()) if (m.key().equals(key)) return m;
            throw new IllegalArgumentException("unknown probe method '" + key + "' (ridge, logistic)");
        }
    }

    private static final int MAX_NEWTON_STEPS = 100;

    /** The decision value w · (x − mean) / scale + b. */
    public double score(double[] x) {
        double s = bias;
        for (int j = 0; j < weights.length; j++) s += weights[j] * (x[j] - mean[j]) / scale[j];
        return s;
    }

    public int predict(double[] x) { return score(x) > 0 ? 1 : 0; }

    /** The fraction of {@code rows} of x whose label is predicted; NaN for no rows. */
    public double accuracy(double[][] x, int[] labels, int[] rows) {
        if (rows.length == 0) return Double.NaN;
        int right = 0;
        for (int i : rows) if (predict(x[i]) == labels[i]) right++;
        return (double) right / rows.length;
    }

    /**
     * Fits on the examples {@code rows} of x [examples][d] with labels 0/1.
     *
     * @param lambda the L2 penalty, positive
     */
    public static LinearClassifier fit(double[][] x, int[] labels, int[] rows, Method method, double lambda) {
        if (!(lambda > 0)) throw new IllegalArgumentException("lambda must be positive, got " + lambda);
        int m = rows.length;
        if (m < 2) throw new IllegalArgumentException("a probe needs at least 2 training examples, got " + m);
        int d = x[rows[0]].length;
        double[] y = new double[m];
        int ones = 0;
        for (int i = 0; i < m; i++) {
            int label = labels[rows[i]];
            if (label != 0 && label != 1) throw new IllegalArgumentException("labels must be 0 or 1, got " + label);
            if (x[rows[i]].length != d) throw new IllegalArgumentException("examples of different widths: " + d + " and " + x[rows[i]].length);
            y[i] = label;
            ones += label;
        }
        if (ones == 0 || ones == m) throw new IllegalArgumentException("the training examples all have label " + labels[rows[0]]);

        double[] mean = new double[d];
        double[] scale = new double[d];
        for (int i : rows) for (int j = 0; j < d; j++) mean[j] += x[i][j] / m;
        for (int i : rows) for (int j = 0; j < d; j++) scale[j] += (x[i][j] - mean[j]) * (x[i][j] - mean[j]) / m;
        for (int j = 0; j < d; j++) scale[j] = scale[j] > 1e-24 ? Math.sqrt(scale[j]) : 1;
        DMatrixRMaj z = new DMatrixRMaj(m, d);                      // standardised examples [m, d]
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < d; j++) z.set(i, j, (x[rows[i]][j] - mean[j]) / scale[j]);
        }

        // coordinates c [m, k] with k = min(m, d), and the basis q [d, k] they are in
        SimpleMatrix c;
        SimpleMatrix q;
        if (m < d) {
            QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(d, m);
            DMatrixRMaj zt = new DMatrixRMaj(d, m);
            org.ejml.dense.row.CommonOps_DDRM.transpose(z, zt);
            if (!qr.decompose(zt)) throw new IllegalStateException("QR of the training examples failed");
            q = SimpleMatrix.wrap(qr.getQ(null, true));                // [d, m]
            c = SimpleMatrix.wrap(qr.getR(null, true)).transpose();    // [m, m]
        } else {
            q = null;
            c = SimpleMatrix.wrap(z);
        }
        double[] w;
        double b;
        if (method == Method.RIDGE) {
            // targets ±1, centred; the features are centred already, so the bias is the targets' mean
            SimpleMatrix t = new SimpleMatrix(m, 1);
            double tMean = 0;
            for (int i = 0; i < m; i++) tMean += (2 * y[i] - 1) / m;
            for (int i = 0; i < m; i++) t.set(i, 0, 2 * y[i] - 1 - tMean);
            int k = c.getNumCols();
            SimpleMatrix normal = c.transpose().mult(c).plus(SimpleMatrix.identity(k).scale(lambda));
            w = normal.solve(c.transpose().mult(t)).getDDRM().getData();
            b = tMean;
        } else {
            double[] theta = logistic(c, y, lambda);
            w = Arrays.copyOf(theta, theta.length - 1);
            b = theta[theta.length - 1];
        }
        double[] weights = q == null ? w : q.mult(new SimpleMatrix(w.length, 1, true, w)).getDDRM().getData();
        return new LinearClassifier(mean, scale, weights, b);
    }

    /** Newton's method on the L2-penalised logistic loss; returns (w [k], b). */
    private static double[] logistic(SimpleMatrix c, double[] y, double lambda) {
        int m = c.getNumRows();
        int k = c.getNumCols();
        SimpleMatrix a = new SimpleMatrix(m, k + 1);                    // [c, 1]
        a.insertIntoThis(0, 0, c);
        for (int i = 0; i < m; i++) a.set(i, k, 1);
        double[] theta = new double[k + 1];
        double loss = logisticLoss(a, y, theta, lambda);
        for (int step = 0; step < MAX_NEWTON_STEPS; step++) {
            double[] s = a.mult(new SimpleMatrix(k + 1, 1, true, theta)).getDDRM().getData();
            SimpleMatrix weighted = new SimpleMatrix(m, k + 1);          // diag(p (1 − p)) a
            SimpleMatrix residual = new SimpleMatrix(m, 1);
            for (int i = 0; i < m; i++) {
                double p = sigmoid(s[i]);
                residual.set(i, 0, p - y[i]);
                double v = Math.max(p * (1 - p), 1e-12);
                for (int j = 0; j <= k; j++) weighted.set(i, j, v * a.get(i, j));
            }
            SimpleMatrix gradient = a.transpose().mult(residual);
            SimpleMatrix hessian = a.transpose().mult(weighted);
            for (int j = 0; j < k; j++) {
                gradient.set(j, 0, gradient.get(j, 0) + lambda * theta[j]);
                hessian.set(j, j, hessian.get(j, j) + lambda);
            }
            hessian.set(k, k, hessian.get(k, k) + 1e-12);
            double[] delta = hessian.solve(gradient).getDDRM().getData();
            double t = 1;
            double[] next = new double[k + 1];
            double nextLoss;
            while (true) {
                for (int j = 0; j <= k; j++) next[j] = theta[j] - t * delta[j];
                nextLoss = logisticLoss(a, y, next, lambda);
                if (nextLoss <= loss || t < 1e-10) break;
                t /= 2;
            }
            double moved = 0;
            for (int j = 0; j <= k; j++) moved = Math.max(moved, Math.abs(next[j] - theta[j]));
            theta = next.clone();
            boolean converged = moved < 1e-10 * (1 + max(theta)) || loss - nextLoss < 1e-14 * (1 + Math.abs(loss));
            loss = nextLoss;
            if (converged) break;
        }
        return theta;
    }

    private static double logisticLoss(SimpleMatrix a, double[] y, double[] theta, double lambda) {
        double[] s = a.mult(new SimpleMatrix(theta.length, 1, true, theta)).getDDRM().getData();
        double loss = 0;
        for (int i = 0; i < s.length; i++) loss += softplus(s[i]) - y[i] * s[i];
        for (int j = 0; j < theta.length - 1; j++) loss += lambda / 2 * theta[j] * theta[j];
        return loss;
    }

    /** log(1 + e^s) without overflow. */
    private static double softplus(double s) { return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)); }

    private static double sigmoid(double s) {
        return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
    }

    private static double max(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}

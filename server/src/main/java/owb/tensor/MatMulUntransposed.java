package owb.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import owb.checkpoint.TensorEntry;

/**
 * y [m, n] = x [m, k] · w + bias for a checkpoint weight stored {@code [k, n]} (input-major: GPT-2's
 * Conv1D layout in Hugging Face checkpoints), without transposing or copying the whole matrix.
 *
 * <p>Each work unit owns a band of {@value #BAND} output columns: it dequantizes a panel of
 * {@value #PANEL_ROWS} weight rows of that band (row r of w is contiguous along n, so a band of a
 * row is one decode) and adds {@code x[i, r] · w[r, band]} into every token's output row, a
 * vector axpy along n. The panel is decoded once and reused for all m tokens.
 */
public final class MatMulUntransposed {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Output columns per work unit: a multiple of every block size up to 256 and of the vector length. */
    static final int BAND = 256;
    /** Weight rows decoded per panel (BAND x PANEL_ROWS floats = 64 KiB). */
    static final int PANEL_ROWS = 64;

    private MatMulUntransposed() {}

    /**
     * @param w    [k, n] in any dtype {@link TensorReader} decodes; n a whole number of its blocks
     * @param bias [n] or null
     * @throws IllegalArgumentException when the shapes do not fit
     */
    public static void matmul(float[] x, int m, int k, TensorEntry w, float[] bias, float[] y) {
        int n = columns(w, k);
        if ((long) m * k > x.length || (long) m * n > y.length || (bias != null && bias.length < n)) {
            throw new IllegalArgumentException("x [" + m + ", " + k + "], y [" + m + ", " + n
                    + "] or the bias do not fit their arrays");
        }
        int bands = (n + BAND - 1) / BAND;
        Parallel.forEach(bands, band -> {
            int first = band * BAND;
            int cols = Math.min(BAND, n - first);
            for (int i = 0; i < m; i++) {
                if (bias == null) java.util.Arrays.fill(y, i * n + first, i * n + first + cols, 0f);
                else System.arraycopy(bias, first, y, i * n + first, cols);
            }
            float[] panel = new float[PANEL_ROWS * cols];
            for (int r0 = 0; r0 < k; r0 += PANEL_ROWS) {
                int rows = Math.min(PANEL_ROWS, k - r0);
                for (int r = 0; r < rows; r++) {
                    TensorReader.readFloats(w, (long) (r0 + r) * n + first, cols, panel, r * cols);
                }
                for (int i = 0; i < m; i++) {
                    for (int r = 0; r < rows; r++) {
                        axpy(x[i * k + r0 + r], panel, r * cols, y, i * n + first, cols);
                    }
                }
            }
        });
    }

    /** The same product computed one element at a time in double: the reference the kernel is tested against. */
    public static void matmulScalar(float[] x, int m, int k, TensorEntry w, float[] bias, float[] y) {
        int n = columns(w, k);
        float[] row = new float[n];
        double[] acc = new double[m * n];
        for (int r = 0; r < k; r++) {
            TensorReader.readFloatsScalar(w, (long) r * n, n, row, 0);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) acc[i * n + j] += (double) x[i * k + r] * row[j];
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) y[i * n + j] = (float) (acc[i * n + j] + (bias == null ? 0 : bias[j]));
        }
    }

    private static int columns(TensorEntry w, int k) {
        if (w.rank() != 2 || w.dim(0) != k || w.dim(1) > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(w.name() + ": expected a [" + k + ", n] matrix, shape is " + w.shapeString());
        }
        int n = (int) w.dim(1);
        if (n % w.dtype().blockElements() != 0) {
            throw new IllegalArgumentException(w.name() + ": " + n + " columns are not whole " + w.dtype() + " blocks");
        }
        return n;
    }

    /** y[yOff ..+ len] += a * v[vOff ..+ len] */
    private static void axpy(float a, float[] v, int vOff, float[] y, int yOff, int len) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector.fromArray(F, v, vOff + i).lanewise(VectorOperators.FMA, av, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = Math.fma(a, v[vOff + i], y[yOff + i]);
    }
}

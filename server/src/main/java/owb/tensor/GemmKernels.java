package owb.tensor;

import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F32 micro-kernels of the GEMM, with no knowledge of dtypes or threads.
 *
 * <p><b>Outer-product tiles</b> compute {@code C[r][c] = sum_k A[r][k] * B[k][c]} for a tile of up to
 * 8 rows of A by {@link #PANEL} columns of B: each step broadcasts one element of each A row and
 * multiplies it with two vectors of a B row, so the 16 accumulators never need a horizontal
 * reduction. A is read in place (rows {@code lda} apart); B is a packed panel, [k][PANEL]. The
 * panel stride is a constant on purpose: with a variable stride C2 keeps a bounds check on every
 * load and the tile runs 15% slower.
 *
 * <p><b>Dot-product tiles</b> compute {@code Y[i][j] = dot(X_i, W_j)} for 4x4 blocks with vectors
 * along K and one reduction per output; used when M is too small to fill the outer-product panel.
 */
final class GemmKernels {
    /** Columns of B in one outer-product tile: two vectors. */
    static final int PANEL = 2 * L;
    /** Rows of A in the widest outer-product tile. */
    static final int TILE_ROWS = 8;

    private GemmKernels() {}

    // ---- packing -------------------------------------------------------------------------------

    /** Panels needed to cover {@code columns} columns. */
    static int panels(int columns) {
        return (columns + PANEL - 1) / PANEL;
    }

    /**
     * Packs rows {@code [panel*PANEL, panel*PANEL + PANEL)} of {@code x} [m, k] transposed into
     * {@code packed[panel*k*PANEL ..]} laid out [k][PANEL]; rows past {@code m} are zero.
     */
    static void packTransposedPanel(float[] x, int m, int k, int panel, float[] packed) {
        int first = panel * PANEL;
        int rows = Math.min(PANEL, m - first);
        for (int kk = 0, dst = panel * k * PANEL; kk < k; kk++, dst += PANEL) {
            for (int r = 0, src = first * k + kk; r < rows; r++, src += k) packed[dst + r] = x[src];
            if (rows < PANEL) Arrays.fill(packed, dst + rows, dst + PANEL, 0f);
        }
    }

    /**
     * Copies columns {@code [first, first + PANEL)} of {@code b} [k, n] into {@code packed} laid out
     * [k][PANEL]; columns past {@code n} are zero.
     */
    static void packColumnPanel(float[] b, int k, int n, int first, float[] packed) {
        int cols = Math.min(PANEL, n - first);
        for (int kk = 0; kk < k; kk++) {
            System.arraycopy(b, kk * n + first, packed, kk * PANEL, cols);
            Arrays.fill(packed, kk * PANEL + cols, kk * PANEL + PANEL, 0f);
        }
    }

    // ---- outer-product tiles: tile[r * PANEL + c] = C[r][c] ------------------------------------

    static void outer8(float[] a, int aOff, int lda, float[] b, int bOff, int k, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
                c70 = c00, c71 = c00;
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda,
                a6 = a5 + lda, a7 = a6 + lda;
        for (int kk = 0, p = bOff; kk < k; kk++, p += PANEL) {
            FloatVector b0 = FloatVector.fromArray(F, b, p);
            FloatVector b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector s = FloatVector.broadcast(F, a[a0 + kk]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[a1 + kk]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[a2 + kk]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[a3 + kk]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[a4 + kk]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[a5 + kk]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[a6 + kk]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[a7 + kk]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, PANEL);
        c11.intoArray(tile, PANEL + L);
        c20.intoArray(tile, 2 * PANEL);
        c21.intoArray(tile, 2 * PANEL + L);
        c30.intoArray(tile, 3 * PANEL);
        c31.intoArray(tile, 3 * PANEL + L);
        c40.intoArray(tile, 4 * PANEL);
        c41.intoArray(tile, 4 * PANEL + L);
        c50.intoArray(tile, 5 * PANEL);
        c51.intoArray(tile, 5 * PANEL + L);
        c60.intoArray(tile, 6 * PANEL);
        c61.intoArray(tile, 6 * PANEL + L);
        c70.intoArray(tile, 7 * PANEL);
        c71.intoArray(tile, 7 * PANEL + L);
    }

    static void outer4(float[] a, int aOff, int lda, float[] b, int bOff, int k, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00;
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int kk = 0, p = bOff; kk < k; kk++, p += PANEL) {
            FloatVector b0 = FloatVector.fromArray(F, b, p);
            FloatVector b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector s = FloatVector.broadcast(F, a[a0 + kk]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[a1 + kk]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[a2 + kk]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[a3 + kk]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, PANEL);
        c11.intoArray(tile, PANEL + L);
        c20.intoArray(tile, 2 * PANEL);
        c21.intoArray(tile, 2 * PANEL + L);
        c30.intoArray(tile, 3 * PANEL);
        c31.intoArray(tile, 3 * PANEL + L);
    }

    static void outer1(float[] a, int aOff, float[] b, int bOff, int k, float[] tile) {
        // two accumulator pairs over even and odd k halve the FMA dependency chain
        FloatVector c0 = FloatVector.zero(F), c1 = c0, d0 = c0, d1 = c0;
        int kk = 0, p = bOff;
        for (; kk + 1 < k; kk += 2, p += 2 * PANEL) {
            FloatVector s = FloatVector.broadcast(F, a[aOff + kk]);
            c0 = s.fma(FloatVector.fromArray(F, b, p), c0);
            c1 = s.fma(FloatVector.fromArray(F, b, p + L), c1);
            FloatVector t = FloatVector.broadcast(F, a[aOff + kk + 1]);
            d0 = t.fma(FloatVector.fromArray(F, b, p + PANEL), d0);
            d1 = t.fma(FloatVector.fromArray(F, b, p + PANEL + L), d1);
        }
        if (kk < k) {
            FloatVector s = FloatVector.broadcast(F, a[aOff + kk]);
            c0 = s.fma(FloatVector.fromArray(F, b, p), c0);
            c1 = s.fma(FloatVector.fromArray(F, b, p + L), c1);
        }
        c0.add(d0).intoArray(tile, 0);
        c1.add(d1).intoArray(tile, L);
    }

    // ---- dot-product tiles: Y[i][j] = dot(x row i, w row j) (+ bias[j]) --------------------------

    /**
     * A 4x4 block of outputs: x rows at {@code xOff + r*k}, w rows at {@code wOff + c*k},
     * written to {@code y[yOff + r*ldy + c]}; {@code bias[biasOff + c]} added when bias is non-null.
     */
    static void dot4x4(float[] x, int xOff, float[] w, int wOff, int k, float[] bias, int biasOff,
                       float[] y, int yOff, int ldy) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00,
                c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00,
                c32 = c00, c33 = c00;
        int x0 = xOff, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int w0 = wOff, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        int kv = F.loopBound(k);
        for (int kk = 0; kk < kv; kk += L) {
            FloatVector a0 = FloatVector.fromArray(F, x, x0 + kk);
            FloatVector a1 = FloatVector.fromArray(F, x, x1 + kk);
            FloatVector a2 = FloatVector.fromArray(F, x, x2 + kk);
            FloatVector a3 = FloatVector.fromArray(F, x, x3 + kk);
            FloatVector b = FloatVector.fromArray(F, w, w0 + kk);
            c00 = a0.fma(b, c00);
            c10 = a1.fma(b, c10);
            c20 = a2.fma(b, c20);
            c30 = a3.fma(b, c30);
            b = FloatVector.fromArray(F, w, w1 + kk);
            c01 = a0.fma(b, c01);
            c11 = a1.fma(b, c11);
            c21 = a2.fma(b, c21);
            c31 = a3.fma(b, c31);
            b = FloatVector.fromArray(F, w, w2 + kk);
            c02 = a0.fma(b, c02);
            c12 = a1.fma(b, c12);
            c22 = a2.fma(b, c22);
            c32 = a3.fma(b, c32);
            b = FloatVector.fromArray(F, w, w3 + kk);
            c03 = a0.fma(b, c03);
            c13 = a1.fma(b, c13);
            c23 = a2.fma(b, c23);
            c33 = a3.fma(b, c33);
        }
        int x1Off = xOff + k, x2Off = x1Off + k, x3Off = x2Off + k;
        int y1 = yOff + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
        finish(c00, x, xOff, w, w0, kv, k, bias, biasOff, y, yOff);
        finish(c01, x, xOff, w, w1, kv, k, bias, biasOff + 1, y, yOff + 1);
        finish(c02, x, xOff, w, w2, kv, k, bias, biasOff + 2, y, yOff + 2);
        finish(c03, x, xOff, w, w3, kv, k, bias, biasOff + 3, y, yOff + 3);
        finish(c10, x, x1Off, w, w0, kv, k, bias, biasOff, y, y1);
        finish(c11, x, x1Off, w, w1, kv, k, bias, biasOff + 1, y, y1 + 1);
        finish(c12, x, x1Off, w, w2, kv, k, bias, biasOff + 2, y, y1 + 2);
        finish(c13, x, x1Off, w, w3, kv, k, bias, biasOff + 3, y, y1 + 3);
        finish(c20, x, x2Off, w, w0, kv, k, bias, biasOff, y, y2);
        finish(c21, x, x2Off, w, w1, kv, k, bias, biasOff + 1, y, y2 + 1);
        finish(c22, x, x2Off, w, w2, kv, k, bias, biasOff + 2, y, y2 + 2);
        finish(c23, x, x2Off, w, w3, kv, k, bias, biasOff + 3, y, y2 + 3);
        finish(c30, x, x3Off, w, w0, kv, k, bias, biasOff, y, y3);
        finish(c31, x, x3Off, w, w1, kv, k, bias, biasOff + 1, y, y3 + 1);
        finish(c32, x, x3Off, w, w2, kv, k, bias, biasOff + 2, y, y3 + 2);
        finish(c33, x, x3Off, w, w3, kv, k, bias, biasOff + 3, y, y3 + 3);
    }

    /** One x row against 4 w rows; same addressing as {@link #dot4x4}. */
    static void dot1x4(float[] x, int xOff, float[] w, int wOff, int k, float[] bias, int biasOff,
                       float[] y, int yOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int w0 = wOff, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        int kv = F.loopBound(k);
        for (int kk = 0; kk < kv; kk += L) {
            FloatVector a = FloatVector.fromArray(F, x, xOff + kk);
            c0 = a.fma(FloatVector.fromArray(F, w, w0 + kk), c0);
            c1 = a.fma(FloatVector.fromArray(F, w, w1 + kk), c1);
            c2 = a.fma(FloatVector.fromArray(F, w, w2 + kk), c2);
            c3 = a.fma(FloatVector.fromArray(F, w, w3 + kk), c3);
        }
        finish(c0, x, xOff, w, w0, kv, k, bias, biasOff, y, yOff);
        finish(c1, x, xOff, w, w1, kv, k, bias, biasOff + 1, y, yOff + 1);
        finish(c2, x, xOff, w, w2, kv, k, bias, biasOff + 2, y, yOff + 2);
        finish(c3, x, xOff, w, w3, kv, k, bias, biasOff + 3, y, yOff + 3);
    }

    /** Reduces one accumulator, adds the scalar K tail [kv, k) and the bias, stores y[yIndex]. */
    private static void finish(FloatVector acc, float[] x, int xOff, float[] w, int wOff, int kv, int k,
                               float[] bias, int biasIndex, float[] y, int yIndex) {
        float sum = LaneSum.of(acc) + scalarDot(x, xOff, w, wOff, kv, k);
        y[yIndex] = bias == null ? sum : sum + bias[biasIndex];
    }

    /** dot(x[xOff ..], w[wOff ..]) over k elements; four accumulators hide the FMA latency. */
    static float dot(float[] x, int xOff, float[] w, int wOff, int k) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int kk = 0;
        for (int bound = k - k % (4 * L); kk < bound; kk += 4 * L) {
            c0 = FloatVector.fromArray(F, x, xOff + kk).fma(FloatVector.fromArray(F, w, wOff + kk), c0);
            c1 = FloatVector.fromArray(F, x, xOff + kk + L).fma(FloatVector.fromArray(F, w, wOff + kk + L), c1);
            c2 = FloatVector.fromArray(F, x, xOff + kk + 2 * L).fma(FloatVector.fromArray(F, w, wOff + kk + 2 * L), c2);
            c3 = FloatVector.fromArray(F, x, xOff + kk + 3 * L).fma(FloatVector.fromArray(F, w, wOff + kk + 3 * L), c3);
        }
        int kv = F.loopBound(k);
        for (; kk < kv; kk += L) {
            c0 = FloatVector.fromArray(F, x, xOff + kk).fma(FloatVector.fromArray(F, w, wOff + kk), c0);
        }
        return LaneSum.of(c0.add(c1).add(c2.add(c3))) + scalarDot(x, xOff, w, wOff, kv, k);
    }

    /** The K tail that does not fill a vector: elements [from, k). */
    private static float scalarDot(float[] x, int xOff, float[] w, int wOff, int from, int k) {
        float sum = 0f;
        for (int kk = from; kk < k; kk++) sum += x[xOff + kk] * w[wOff + kk];
        return sum;
    }
}

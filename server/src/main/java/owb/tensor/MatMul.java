package owb.tensor;

import static owb.tensor.GemmKernels.PANEL;
import static owb.tensor.GemmKernels.TILE_ROWS;

import java.util.Arrays;
import owb.checkpoint.TensorEntry;

/**
 * Matrix products of the forward pass, on all cores. Activations are row-major {@code float[]}
 * (token i, feature f at {@code i * features + f}); weights stay in the checkpoint's own encoding
 * and are dequantized a few rows at a time into a per-thread buffer, never as a whole. Their
 * memory must be readable from any thread (a shared, global or automatic arena, as the
 * checkpoint readers map files), since worker threads read it.
 *
 * <p>Three strategies, picked by the number of tokens M:
 * <ul>
 *   <li>M = 1 (generation): every output is one fused dequantize-and-dot over a weight row.</li>
 *   <li>M &lt; {@value #OUTER_PRODUCT_MIN_M}: a chunk of weight rows is dequantized and 4x4
 *       blocks of dot products (vectors along K, one reduction per output) run over it; 1x4
 *       blocks alone below {@value #DOT_4X4_MIN_M} tokens.</li>
 *   <li>otherwise (prefill): X is packed transposed into panels of {@link GemmKernels#PANEL}
 *       tokens and Yᵀ = W · Xᵀ is computed by 8x{@code PANEL} outer-product tiles that broadcast
 *       one dequantized weight against vectors of tokens, so no accumulator is ever reduced
 *       across lanes. A chunk of weight rows is dequantized once per M-block of tokens (sized to
 *       stay in L2) and reused for all of them; tokens past the last full panel take the
 *       dot-product blocks unless they nearly fill a panel.</li>
 * </ul>
 * Work is split over weight-row chunks (and M-blocks) handed out dynamically; see {@link Parallel}.
 */
public final class MatMul {
    /**
     * From this many tokens the outer-product path beats dot products (measured, single core). It is
     * also the path {@link KernelWarmUp} compiles first for a long prompt.
     */
    public static final int OUTER_PRODUCT_MIN_M = 32;
    /**
     * From this many tokens the dot-product path takes four at a time ({@link GemmKernels#dot4x4}):
     * below it, one at a time. The 4x4 block is C2's largest compile among the dot kernels (180 ms
     * of its only thread in a cold run), more than a few-token prompt gains from it.
     */
    static final int DOT_4X4_MIN_M = 8;
    /** Weight rows per GEMV work unit. */
    private static final int GEMV_ROWS = 64;
    /** Upper bound on weight rows dequantized per work unit; a multiple of 8 and 4. */
    private static final int MAX_CHUNK_ROWS = 64;
    /** Bytes of packed Xᵀ swept at a time by a chunk of weight rows: half a Zen 4 core's L2. */
    private static final int XT_BLOCK_BYTES = 512 * 1024;
    /** Work units per thread to aim for, so a core slowed by other load can hand work over. */
    private static final int UNITS_PER_THREAD = 6;

    private MatMul() {}

    /** y [m, n] = x [m, k] · wᵀ + bias, for a checkpoint weight w [n, k]; bias [n] may be null. */
    public static void matmul(float[] x, int m, int k, TensorEntry w, float[] bias, float[] y) {
        matmul(x, m, k, WeightRows.of(w), bias, y);
    }

    /** y [m, n] = x [m, k] · wᵀ + bias, for w [n, k]; bias [n] may be null. */
    public static void matmul(float[] x, int m, int k, WeightRows w, float[] bias, float[] y) {
        int n = w.rows();
        if (w.cols() != k) {
            throw new IllegalArgumentException("x has k = " + k + " features, w has " + w.cols() + " columns");
        }
        checkSizes(x, m, k, n, y);
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias has " + bias.length + " values, w has " + n + " rows");
        }
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                if (bias == null) Arrays.fill(y, i * n, i * n + n, 0f);
                else System.arraycopy(bias, 0, y, i * n, n);
            }
        } else if (m == 1) {
            gemv(x, w, bias, y);
        } else if (m < OUTER_PRODUCT_MIN_M) {
            dotProducts(x, m, k, w, bias, y);
        } else {
            outerProducts(x, m, k, w, bias, y);
        }
    }

    /** y [m, n] = x [m, k] · wᵀ for two heap matrices, w [n, k] (attention scores: Q · Kᵀ). */
    public static void matmulF32(float[] x, int m, int k, float[] w, int n, float[] y) {
        matmul(x, m, k, WeightRows.of(w, n, k), null, y);
    }

    /** y [m, n] = x [m, k] · b for two heap matrices, b [k, n] not transposed (attention: pattern · V). */
    public static void matmulF32NoTranspose(float[] x, int m, int k, float[] b, int n, float[] y) {
        checkSizes(x, m, k, n, y);
        if ((long) k * n > b.length) {
            throw new IllegalArgumentException("b needs " + k + "x" + n + " floats, has " + b.length);
        }
        if (m == 0 || n == 0) return;
        if (k == 0) {
            Arrays.fill(y, 0, m * n, 0f);
            return;
        }
        int panels = GemmKernels.panels(n);
        int rowBlock = Math.max(TILE_ROWS, roundUp(ceilDiv(m, Math.max(1, targetUnits() / panels)), TILE_ROWS));
        int rowBlocks = ceilDiv(m, rowBlock);
        Parallel.forEach(panels * rowBlocks, unit -> {
            int panel = unit / rowBlocks;
            int firstRow = (unit % rowBlocks) * rowBlock;
            int lastRow = Math.min(m, firstRow + rowBlock);
            int firstCol = panel * PANEL;
            int cols = Math.min(PANEL, n - firstCol);
            Scratch scratch = Scratch.get();
            float[] bPanel = scratch.rows(k * PANEL);
            GemmKernels.packColumnPanel(b, k, n, firstCol, bPanel);
            float[] tile = scratch.tile;
            int i = firstRow;
            for (; i + TILE_ROWS <= lastRow; i += TILE_ROWS) {
                GemmKernels.outer8(x, i * k, k, bPanel, 0, k, tile);
                storeRows(tile, TILE_ROWS, cols, y, i * n + firstCol, n);
            }
            for (; i + 4 <= lastRow; i += 4) {
                GemmKernels.outer4(x, i * k, k, bPanel, 0, k, tile);
                storeRows(tile, 4, cols, y, i * n + firstCol, n);
            }
            for (; i < lastRow; i++) {
                GemmKernels.outer1(x, i * k, bPanel, 0, k, tile);
                storeRows(tile, 1, cols, y, i * n + firstCol, n);
            }
        });
    }

    // ---- M = 1 -------------------------------------------------------------------------------

    private static void gemv(float[] x, WeightRows w, float[] bias, float[] y) {
        int n = w.rows();
        Parallel.forEach(ceilDiv(n, GEMV_ROWS), unit -> {
            int first = unit * GEMV_ROWS;
            w.gemv(first, Math.min(GEMV_ROWS, n - first), x, bias, y);
        });
    }

    // ---- small M: 4x4 dot-product blocks over dequantized rows -------------------------------------

    private static void dotProducts(float[] x, int m, int k, WeightRows w, float[] bias, float[] y) {
        int n = w.rows();
        int chunkRows = chunkRows(n, 1, 4);
        Parallel.forEach(ceilDiv(n, chunkRows), unit -> {
            int first = unit * chunkRows;
            int count = Math.min(chunkRows, n - first);
            RowChunk rows = RowChunk.of(w, first, count, Scratch.get());
            dotBlock(x, k, 0, m, rows, bias, y, n);
        });
    }

    /** Y[i, j] for tokens i in [firstToken, lastToken) and the weight rows j of {@code rows}. */
    private static void dotBlock(float[] x, int k, int firstToken, int lastToken, RowChunk rows, float[] bias,
                                 float[] y, int n) {
        boolean fourTokensAtATime = lastToken - firstToken >= DOT_4X4_MIN_M;
        int j = 0;
        for (; j + 4 <= rows.count; j += 4) {
            int wOff = rows.offset + j * k;
            int col = rows.first + j;
            int i = firstToken;
            for (; fourTokensAtATime && i + 4 <= lastToken; i += 4) {
                GemmKernels.dot4x4(x, i * k, rows.values, wOff, k, bias, col, y, i * n + col, n);
            }
            for (; i < lastToken; i++) GemmKernels.dot1x4(x, i * k, rows.values, wOff, k, bias, col, y, i * n + col);
        }
        for (; j < rows.count; j++) {
            int col = rows.first + j;
            for (int i = firstToken; i < lastToken; i++) {
                float dot = GemmKernels.dot(x, i * k, rows.values, rows.offset + j * k, k);
                y[i * n + col] = bias == null ? dot : dot + bias[col];
            }
        }
    }

    // ---- prefill: Yᵀ = W · Xᵀ with outer-product tiles --------------------------------------------

    private static void outerProducts(float[] x, int m, int k, WeightRows w, float[] bias, float[] y) {
        int n = w.rows();
        // Tokens past the last full panel: a panel at least 3/4 full is padded with zeros, fewer
        // tokens than that are cheaper as dot products against the same dequantized rows.
        int rest = m % PANEL;
        int panels = rest >= PANEL * 3 / 4 ? GemmKernels.panels(m) : m / PANEL;
        if (panels == 0) {
            dotProducts(x, m, k, w, bias, y);
            return;
        }
        int firstDotToken = Math.min(m, panels * PANEL);
        // packed Xᵀ: panel p holds tokens [p*PANEL, p*PANEL + PANEL) as [k][PANEL]
        float[] packed = Scratch.get().packed(panels * k * PANEL);
        Parallel.forEach(panels, panel -> GemmKernels.packTransposedPanel(x, m, k, panel, packed));

        // Each unit dequantizes a chunk of weight rows once, then sweeps the tokens one M-block of
        // panels at a time so that the block stays in L2 while every row of the chunk passes over it.
        int panelsPerBlock = Math.max(1, Math.min(panels, XT_BLOCK_BYTES / (k * PANEL * Float.BYTES)));
        int chunkRows = chunkRows(n, 1, TILE_ROWS);
        Parallel.forEach(ceilDiv(n, chunkRows), unit -> {
            int first = unit * chunkRows;
            Scratch scratch = Scratch.get();
            RowChunk rows = RowChunk.of(w, first, Math.min(chunkRows, n - first), scratch);
            for (int firstPanel = 0; firstPanel < panels; firstPanel += panelsPerBlock) {
                int lastPanel = Math.min(panels, firstPanel + panelsPerBlock);
                outerBlock(rows, k, packed, firstPanel, lastPanel, m, bias, y, n, scratch.tile);
            }
            if (firstDotToken < m) dotBlock(x, k, firstDotToken, m, rows, bias, y, n);
        });
    }

    /** Y for the weight rows of {@code rows} and the tokens of packed panels [firstPanel, lastPanel). */
    private static void outerBlock(RowChunk rows, int k, float[] packed, int firstPanel, int lastPanel, int m,
                                   float[] bias, float[] y, int n, float[] tile) {
        int r = 0;
        for (; r + TILE_ROWS <= rows.count; r += TILE_ROWS) {
            for (int p = firstPanel; p < lastPanel; p++) {
                GemmKernels.outer8(rows.values, rows.offset + r * k, k, packed, p * k * PANEL, k, tile);
                storeTransposed(tile, TILE_ROWS, p * PANEL, m, rows.first + r, n, bias, y);
            }
        }
        for (; r + 4 <= rows.count; r += 4) {
            for (int p = firstPanel; p < lastPanel; p++) {
                GemmKernels.outer4(rows.values, rows.offset + r * k, k, packed, p * k * PANEL, k, tile);
                storeTransposed(tile, 4, p * PANEL, m, rows.first + r, n, bias, y);
            }
        }
        for (; r < rows.count; r++) {
            for (int p = firstPanel; p < lastPanel; p++) {
                GemmKernels.outer1(rows.values, rows.offset + r * k, packed, p * k * PANEL, k, tile);
                storeTransposed(tile, 1, p * PANEL, m, rows.first + r, n, bias, y);
            }
        }
    }

    /**
     * Writes a tile of Yᵀ (tile[r * PANEL + c] = Y[firstToken + c][firstCol + r]) into y [m, n],
     * skipping the zero-padded tokens past m.
     */
    private static void storeTransposed(float[] tile, int tileRows, int firstToken, int m, int firstCol, int n,
                                        float[] bias, float[] y) {
        int tokens = Math.min(PANEL, m - firstToken);
        if (tileRows == TILE_ROWS) {
            float b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
            if (bias != null) {
                b0 = bias[firstCol]; b1 = bias[firstCol + 1]; b2 = bias[firstCol + 2]; b3 = bias[firstCol + 3];
                b4 = bias[firstCol + 4]; b5 = bias[firstCol + 5]; b6 = bias[firstCol + 6]; b7 = bias[firstCol + 7];
            }
            for (int c = 0, at = firstToken * n + firstCol; c < tokens; c++, at += n) {
                y[at] = tile[c] + b0;
                y[at + 1] = tile[PANEL + c] + b1;
                y[at + 2] = tile[2 * PANEL + c] + b2;
                y[at + 3] = tile[3 * PANEL + c] + b3;
                y[at + 4] = tile[4 * PANEL + c] + b4;
                y[at + 5] = tile[5 * PANEL + c] + b5;
                y[at + 6] = tile[6 * PANEL + c] + b6;
                y[at + 7] = tile[7 * PANEL + c] + b7;
            }
            return;
        }
        for (int c = 0; c < tokens; c++) {
            int at = (firstToken + c) * n + firstCol;
            for (int r = 0; r < tileRows; r++) {
                float v = tile[r * PANEL + c];
                y[at + r] = bias == null ? v : v + bias[firstCol + r];
            }
        }
    }

    /** Writes tile rows (tile[r * PANEL + c]) to y rows {@code ldy} apart, the first {@code cols} columns. */
    private static void storeRows(float[] tile, int tileRows, int cols, float[] y, int yOff, int ldy) {
        for (int r = 0; r < tileRows; r++) System.arraycopy(tile, r * PANEL, y, yOff + r * ldy, cols);
    }

    // ---- sizing ---------------------------------------------------------------------------------

    /**
     * Weight rows per work unit: at most {@link #MAX_CHUNK_ROWS}, a multiple of {@code multiple},
     * and small enough that there are about {@link #UNITS_PER_THREAD} units per thread.
     */
    private static int chunkRows(int n, int unitsPerChunk, int multiple) {
        int wanted = ceilDiv(targetUnits(), unitsPerChunk);
        int rows = roundUp(ceilDiv(n, wanted), multiple);
        return Math.max(multiple, Math.min(MAX_CHUNK_ROWS, rows));
    }

    private static int targetUnits() {
        return Parallel.threads() * UNITS_PER_THREAD;
    }

    private static void checkSizes(float[] x, int m, int k, int n, float[] y) {
        if (m < 0 || k < 0 || n < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " k=" + k + " n=" + n);
        }
        if ((long) m * k > x.length) {
            throw new IllegalArgumentException("x needs " + m + "x" + k + " floats, has " + x.length);
        }
        if ((long) m * n > y.length) {
            throw new IllegalArgumentException("y needs " + m + "x" + n + " floats, has " + y.length);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }

    /**
     * Weight rows [first, first + count) as floats: row {@code first + j} at
     * {@code values[offset + j * k]}. Heap matrices are used in place; anything else is
     * dequantized into the thread's scratch buffer.
     */
    private record RowChunk(float[] values, int offset, int first, int count) {
        static RowChunk of(WeightRows w, int first, int count, Scratch scratch) {
            if (w instanceof ArrayRows heap) return new RowChunk(heap.values(), first * w.cols(), first, count);
            float[] buffer = scratch.rows(count * w.cols());
            w.decodeRows(first, count, buffer);
            return new RowChunk(buffer, 0, first, count);
        }
    }

    /** Per-thread buffers, grown on demand and reused by every call on that thread. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

        final float[] tile = new float[TILE_ROWS * PANEL];
        private float[] rows = new float[0];
        private float[] packed = new float[0];

        static Scratch get() {
            return LOCAL.get();
        }

        /** A buffer for dequantized weight rows (or a packed B panel). */
        float[] rows(int size) {
            if (rows.length < size) rows = new float[size];
            return rows;
        }

        /** The packed Xᵀ of the call this thread is making. */
        float[] packed(int size) {
            if (packed.length < size) packed = new float[size];
            return packed;
        }
    }
}

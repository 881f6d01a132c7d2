package owb.tensor;

import static owb.tensor.GemmKernels.PANEL;
import static owb.tensor.GemmKernels.TILE_ROWS;
import static owb.tensor.Vectors.F;
import static owb.tensor.Vectors.L;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Causal scaled dot-product attention of n queries over the keys and values of one layer's cache,
 * with grouped-query heads and an optional sliding window, as blocked GEMMs.
 *
 * <p>Query i (absolute position p = start + i) attends key j when j &lt;= p and, with a window w,
 * p - w &lt; j. Scores are q·k / sqrt(d_head); the softmax runs in float32 after subtracting the
 * row's maximum. Query head h reads key/value head h / (heads per kv head).
 *
 * <p>The keys of each kv head are packed transposed into panels [d_head][{@link GemmKernels#PANEL}]
 * and the values into panels [key][PANEL] of d_head columns, so S = Q_h K_hᵀ and Z_h = P V_h are
 * both outer-product tiles of {@link GemmKernels} (8 queries at a time, no horizontal reduction per
 * key); tiles wholly above the causal diagonal or left of the window are skipped. Work units are
 * (head, block of {@value #BLOCK} queries), latest blocks (the most keys) first. With fewer than 8
 * queries (generation) packing would cost as much as the attention itself, so keys and values are
 * read in place instead: one vector dot product per score, one broadcast FMA per key and value row.
 *
 * <p>Every score and every output element is one sequential FMA chain (over d_head, over keys in
 * order), whichever tile computes it, and the softmax is the same code for every row, so the fused
 * {@link #attend} and the staged {@link #scores}, {@link #softmax}, {@link #mix} give identical numbers.
 */
public final class CausalAttention {
    /** Queries per work unit. */
    static final int BLOCK = 32;

    /**
     * @param heads   query heads, a multiple of kvHeads
     * @param queries n, the new positions
     * @param start   positions already in the cache before them
     * @param window  0 for full causal attention
     */
    public record Shape(int heads, int kvHeads, int dHead, int queries, int start, int window) {
        public Shape {
            if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || dHead <= 0 || queries <= 0
                    || start < 0 || window < 0) {
                throw new IllegalArgumentException("bad attention shape: " + heads + " heads, " + kvHeads
                        + " kv heads, d_head " + dHead + ", " + queries + " queries from " + start
                        + ", window " + window);
            }
        }

        /** Keys in the cache: start + n. */
        public int keys() { return start + queries; }

        /** First key query i attends. */
        public int firstKey(int query) { return window > 0 ? Math.max(0, start + query - window + 1) : 0; }

        /** One past the last key query i attends. */
        public int endKey(int query) { return start + query + 1; }

        public int kvHead(int head) { return head / (heads / kvHeads); }

        public float scale() { return (float) (1 / Math.sqrt(dHead)); }
    }

    private final Shape s;
    private final float[] keys;
    private final float[] values;
    private final boolean packed;    // n >= 8: the GEMM path; otherwise in place
    private final int keyPanels;
    private final int columnPanels;
    private final float[] keysT;     // [kv_head, key panel, d_head, PANEL]
    private final float[] valuesP;   // [kv_head, column panel, key, PANEL]

    /**
     * Packs the keys and values of positions [0, start + n) when there are 8 queries or more.
     *
     * @param keys   [≥ start + n, kv_heads, d_head]
     * @param values [≥ start + n, kv_heads, d_head]
     */
    public CausalAttention(float[] keys, float[] values, Shape shape) {
        this.s = shape;
        int t = s.keys(), d = s.dHead();
        if ((long) t * s.kvHeads() * d > Math.min(keys.length, values.length)) {
            throw new IllegalArgumentException("keys or values hold fewer than " + t + " positions");
        }
        this.keys = keys;
        this.values = values;
        packed = s.queries() >= TILE_ROWS;
        keyPanels = GemmKernels.panels(t);
        columnPanels = GemmKernels.panels(d);
        keysT = new float[packed ? s.kvHeads() * keyPanels * d * PANEL : 0];
        valuesP = new float[packed ? s.kvHeads() * columnPanels * t * PANEL : 0];
        if (packed) Parallel.forEach(2 * s.kvHeads(), u -> {
            if (u % 2 == 0) packKeys(u / 2);
            else packValues(u / 2);
        });
    }

    public Shape shape() { return s; }

    private void packKeys(int kv) {
        int d = s.dHead();
        for (int j = 0; j < s.keys(); j++) {
            int src = (j * s.kvHeads() + kv) * d;
            int dst = (kv * keyPanels + j / PANEL) * d * PANEL + j % PANEL;
            for (int e = 0; e < d; e++) keysT[dst + e * PANEL] = keys[src + e];
        }
    }

    private void packValues(int kv) {
        int d = s.dHead(), t = s.keys();
        for (int j = 0; j < t; j++) {
            int src = (j * s.kvHeads() + kv) * d;
            for (int cp = 0; cp < columnPanels; cp++) {
                int cols = Math.min(PANEL, d - cp * PANEL);
                System.arraycopy(values, src + cp * PANEL, valuesP, ((kv * columnPanels + cp) * t + j) * PANEL, cols);
            }
        }
    }

    // ---- the fused pass and its three stages ----------------------------------------------------

    /**
     * @param q rotated queries [n, heads, d_head]
     * @return z [n, heads, d_head]: each head's softmax(q kᵀ · scale) · v
     */
    public float[] attend(float[] q) {
        float[] z = new float[s.queries() * s.heads() * s.dHead()];
        forEachUnit((h, i0, i1) -> {
            int from = s.firstKey(i0), to = s.endKey(i1 - 1), width = to - from;
            float[] p = scratch((i1 - i0) * width);
            int at = -from;                        // p[at + (i - i0) * width + j] holds (query i, key j)
            float[] tile = new float[TILE_ROWS * PANEL];
            scoreBlock(q, h, i0, i1, p, at, width, tile);
            for (int i = i0; i < i1; i++) normalise(p, at + (i - i0) * width, from, to, i);
            mixBlock(p, at, width, h, i0, i1, z, tile);
        });
        return z;
    }

    /**
     * @param q rotated queries [n, heads, d_head]
     * @return scores [head, query, key] over all start + n keys: q·k · scale, masked keys -inf
     */
    public float[] scores(float[] q) {
        int n = s.queries(), t = s.keys();
        float[] att = new float[s.heads() * n * t];
        forEachUnit((h, i0, i1) -> {
            int at = (h * n + i0) * t;
            Arrays.fill(att, at, at + (i1 - i0) * t, Float.NEGATIVE_INFINITY);
            scoreBlock(q, h, i0, i1, att, at, t, new float[TILE_ROWS * PANEL]);
        });
        return att;
    }

    /** In place: scores [head, query, key] to the pattern; masked keys get 0 whatever their score. */
    public void softmax(float[] att) {
        int n = s.queries(), t = s.keys();
        forEachUnit((h, i0, i1) -> {
            for (int i = i0; i < i1; i++) normalise(att, (h * n + i) * t, 0, t, i);
        });
    }

    /** @return z [n, heads, d_head]: pattern [head, query, key] · v */
    public float[] mix(float[] pattern) {
        int n = s.queries(), t = s.keys();
        float[] z = new float[n * s.heads() * s.dHead()];
        forEachUnit((h, i0, i1) -> mixBlock(pattern, (h * n + i0) * t, t, h, i0, i1, z, new float[TILE_ROWS * PANEL]));
        return z;
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** A per-thread buffer of at least {@code size} floats, contents undefined. */
    private static float[] scratch(int size) {
        float[] buffer = SCRATCH.get();
        if (buffer.length < size) {
            buffer = new float[Math.max(size, BLOCK * 1024)];
            SCRATCH.set(buffer);
        }
        return buffer;
    }

    private interface Unit {
        void run(int head, int firstQuery, int endQuery);
    }

    private void forEachUnit(Unit unit) {
        int blocks = (s.queries() + BLOCK - 1) / BLOCK, heads = s.heads();
        Parallel.forEach(heads * blocks, u -> {
            int block = blocks - 1 - u / heads;
            int i0 = block * BLOCK;
            unit.run(u % heads, i0, Math.min(s.queries(), i0 + BLOCK));
        });
    }

    // ---- blocks ---------------------------------------------------------------------------------

    /**
     * out[at + (i - i0) * ld + j] = q_i · k_j · scale for queries [i0, i1) and their attended keys;
     * other entries untouched.
     */
    private void scoreBlock(float[] q, int h, int i0, int i1, float[] out, int at, int ld, float[] tile) {
        int d = s.dHead(), lda = s.heads() * d, kv = s.kvHead(h);
        float scale = s.scale();
        if (!packed) {
            for (int i = i0; i < i1; i++) {
                int dst = at + (i - i0) * ld, qAt = (i * s.heads() + h) * d;
                for (int j = s.firstKey(i); j < s.endKey(i); j++) {
                    out[dst + j] = GemmKernels.dot(q, qAt, keys, (j * s.kvHeads() + kv) * d, d) * scale;
                }
            }
            return;
        }
        FloatVector vScale = FloatVector.broadcast(F, scale);
        for (int g0 = i0; g0 < i1; g0 += TILE_ROWS) {
            int rows = Math.min(TILE_ROWS, i1 - g0);
            int aOff = (g0 * s.heads() + h) * d;
            int firstPanel = s.firstKey(g0) / PANEL, lastPanel = (s.endKey(g0 + rows - 1) - 1) / PANEL;
            for (int panel = firstPanel; panel <= lastPanel; panel++) {
                tile(q, aOff, lda, keysT, (kv * keyPanels + panel) * d * PANEL, d, rows, tile);
                int k0 = panel * PANEL;
                for (int r = 0; r < rows; r++) {
                    int i = g0 + r;
                    int lo = Math.max(s.firstKey(i), k0), hi = Math.min(s.endKey(i), k0 + PANEL);
                    int dst = at + (i - i0) * ld;
                    if (lo == k0 && hi == k0 + PANEL) {
                        FloatVector.fromArray(F, tile, r * PANEL).mul(vScale).intoArray(out, dst + k0);
                        FloatVector.fromArray(F, tile, r * PANEL + L).mul(vScale).intoArray(out, dst + k0 + L);
                    } else {
                        for (int j = lo; j < hi; j++) out[dst + j] = tile[r * PANEL + j - k0] * scale;
                    }
                }
            }
        }
    }

    /** Softmax of query i's attended keys in row[at + ..], zero on the rest of [from, to). */
    private void normalise(float[] row, int at, int from, int to, int i) {
        int first = s.firstKey(i), end = s.endKey(i);
        softmaxRow(row, at + first, end - first);
        Arrays.fill(row, at + from, at + first, 0f);
        Arrays.fill(row, at + end, at + to, 0f);
    }

    /**
     * z[i, h, :] += Σ_j pattern[at + (i - i0) * ld + j] · v_j over each 8-query group's key range;
     * the pattern must be 0 on keys a query does not attend within its group's range.
     */
    private void mixBlock(float[] pattern, int at, int ld, int h, int i0, int i1, float[] z, float[] tile) {
        int d = s.dHead(), t = s.keys(), kv = s.kvHead(h);
        if (!packed) {
            for (int i = i0; i < i1; i++) {
                int zAt = (i * s.heads() + h) * d;
                for (int j = s.firstKey(i); j < s.endKey(i); j++) {
                    axpy(pattern[at + (i - i0) * ld + j], values, (j * s.kvHeads() + kv) * d, z, zAt, d);
                }
            }
            return;
        }
        for (int g0 = i0; g0 < i1; g0 += TILE_ROWS) {
            int rows = Math.min(TILE_ROWS, i1 - g0);
            int from = s.firstKey(g0), to = s.endKey(g0 + rows - 1);
            int aOff = at + (g0 - i0) * ld + from;
            for (int cp = 0; cp < columnPanels; cp++) {
                tile(pattern, aOff, ld, valuesP, ((kv * columnPanels + cp) * t + from) * PANEL, to - from, rows, tile);
                int c0 = cp * PANEL, cols = Math.min(PANEL, d - c0);
                for (int r = 0; r < rows; r++) {
                    int dst = ((g0 + r) * s.heads() + h) * d + c0;
                    if (cols == PANEL) {
                        FloatVector.fromArray(F, tile, r * PANEL).intoArray(z, dst);
                        FloatVector.fromArray(F, tile, r * PANEL + L).intoArray(z, dst + L);
                    } else {
                        System.arraycopy(tile, r * PANEL, z, dst, cols);
                    }
                }
            }
        }
    }

    // ---- kernels --------------------------------------------------------------------------------

    /** tile[r][c] = Σ_k a[aOff + r * lda + k] · b[bOff + k * PANEL + c] for r < rows (≤ 8). */
    static void tile(float[] a, int aOff, int lda, float[] b, int bOff, int k, int rows, float[] tile) {
        if (rows == TILE_ROWS) {
            GemmKernels.outer8(a, aOff, lda, b, bOff, k, tile);
            return;
        }
        int r = 0;
        if (rows >= 4) {
            GemmKernels.outer4(a, aOff, lda, b, bOff, k, tile);
            r = 4;
        }
        for (; r < rows; r++) outerRow(a, aOff + r * lda, b, bOff, k, tile, r * PANEL);
    }

    /** y[yAt ..] += a · x[xAt ..] over d elements. */
    private static void axpy(float a, float[] x, int xAt, float[] y, int yAt, int d) {
        FloatVector va = FloatVector.broadcast(F, a);
        int e = 0;
        for (int bound = F.loopBound(d); e < bound; e += L) {
            FloatVector.fromArray(F, x, xAt + e).fma(va, FloatVector.fromArray(F, y, yAt + e)).intoArray(y, yAt + e);
        }
        for (; e < d; e++) y[yAt + e] = Math.fma(a, x[xAt + e], y[yAt + e]);
    }

    /** One row of an outer-product tile with the same single FMA chain per element as outer8. */
    private static void outerRow(float[] a, int aOff, float[] b, int bOff, int k, float[] tile, int tileOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int kk = 0, p = bOff; kk < k; kk++, p += PANEL) {
            FloatVector x = FloatVector.broadcast(F, a[aOff + kk]);
            c0 = x.fma(FloatVector.fromArray(F, b, p), c0);
            c1 = x.fma(FloatVector.fromArray(F, b, p + L), c1);
        }
        c0.intoArray(tile, tileOff);
        c1.intoArray(tile, tileOff + L);
    }

    /**
     * In-place softmax of x[at .. at + length), max-subtracted, float32, with {@link Exp#exp}. Lanes are
     * summed in a fixed order, so the result does not depend on how the JIT compiled the caller.
     */
    static void softmaxRow(float[] x, int at, int length) {
        int bound = F.loopBound(length);
        FloatVector vMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < bound; i += L) vMax = vMax.max(FloatVector.fromArray(F, x, at + i));
        float max = vMax.reduceLanes(VectorOperators.MAX);   // exact in any order
        for (int i = bound; i < length; i++) max = Math.max(max, x[at + i]);
        FloatVector vm = FloatVector.broadcast(F, max);
        FloatVector vSum = FloatVector.zero(F);
        for (int i = 0; i < bound; i += L) {
            FloatVector e = Exp.exp(FloatVector.fromArray(F, x, at + i).sub(vm));
            e.intoArray(x, at + i);
            vSum = vSum.add(e);
        }
        // lanes summed in order even when no vector ran (all zero then): a branch on it was a JIT
        // trap, recompiling this method once rows of fewer keys than lanes came after longer ones
        float sum = 0;
        for (float lane : vSum.toArray()) sum += lane;
        for (int i = bound; i < length; i++) {
            float e = Exp.exp(x[at + i] - max);
            x[at + i] = e;
            sum += e;
        }
        FloatVector vs = FloatVector.broadcast(F, sum);
        for (int i = 0; i < bound; i += L) FloatVector.fromArray(F, x, at + i).div(vs).intoArray(x, at + i);
        for (int i = bound; i < length; i++) x[at + i] /= sum;
    }
}

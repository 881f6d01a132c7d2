package owb.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * The slow, obviously-correct versions of the kernels, one value at a time, written straight from
 * the block layouts of ggml's ggml-common.h and the dequantize_row_* loops of ggml-quants.c. The
 * vector kernels are tested against these; nothing on a hot path calls them.
 */
final class ScalarReference {
    private static final ValueLayout.OfShort SHORT_LE = Vectors.SHORT_LE;
    private static final ValueLayout.OfFloat FLOAT_LE = Vectors.FLOAT_LE;

    private ScalarReference() {}

    /** Row {@code row} of a 2-D weight [N, K] as K floats. */
    public static float[] row(TensorEntry w, int row) {
        int k = Math.toIntExact(w.dim(1));
        DType t = w.dtype();
        long rowBytes = t.byteSize(k);
        MemorySegment r = w.data().asSlice(row * rowBytes, rowBytes);
        float[] out = new float[k];
        int blocks = k / t.blockElements();
        for (int b = 0; b < blocks; b++) {
            MemorySegment block = r.asSlice((long) b * t.blockBytes(), t.blockBytes());
            int o = b * t.blockElements();
            switch (t) {
                case F32 -> out[o] = block.get(FLOAT_LE, 0);
                case F16 -> out[o] = half(block, 0);
                case BF16 -> out[o] = Float.intBitsToFloat((block.get(SHORT_LE, 0) & 0xFFFF) << 16);
                case Q8_0 -> q8_0(block, out, o);
                case Q4_0 -> q4_0(block, out, o);
                case Q4_1 -> q4_1(block, out, o);
                case Q4_K -> q4_K(block, out, o);
                case Q6_K -> q6_K(block, out, o);
                default -> throw new IllegalArgumentException("no reference decoder for " + t);
            }
        }
        return out;
    }

    /** The whole weight [N, K] as floats, row-major (small test tensors only). */
    public static float[] dequantize(TensorEntry w) {
        int n = Math.toIntExact(w.dim(0));
        int k = Math.toIntExact(w.dim(1));
        float[] all = new float[n * k];
        for (int j = 0; j < n; j++) System.arraycopy(row(w, j), 0, all, j * k, k);
        return all;
    }

    /** y [m, n] = x [m, k] · wᵀ + bias with w [n, k]; sums in double. Bias may be null. */
    public static float[] matmul(float[] x, int m, int k, float[] w, int n, float[] bias) {
        float[] y = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = bias == null ? 0 : bias[j];
                for (int kk = 0; kk < k; kk++) sum += (double) x[i * k + kk] * w[j * k + kk];
                y[i * n + j] = (float) sum;
            }
        }
        return y;
    }

    /** sum over k of |x[i, k] * w[j, k]| for every (i, j): the scale of the rounding error of y[i, j]. */
    public static float[] magnitudes(float[] x, int m, int k, float[] w, int n) {
        float[] absX = abs(x, m * k);
        float[] absW = abs(w, n * k);
        return matmul(absX, m, k, absW, n, null);
    }

    /** b [k, n] transposed to [n, k]. */
    public static float[] transpose(float[] b, int k, int n) {
        float[] t = new float[n * k];
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < n; j++) t[j * k + kk] = b[kk * n + j];
        }
        return t;
    }

    private static float[] abs(float[] a, int size) {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) out[i] = Math.abs(a[i]);
        return out;
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(SHORT_LE, at));
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    /** block_q8_0 {f16 d; int8 qs[32]}: qs[i] * d. */
    private static void q8_0(MemorySegment block, float[] out, int o) {
        float d = half(block, 0);
        for (int i = 0; i < 32; i++) out[o + i] = i8(block, 2 + i) * d;
    }

    /** block_q4_0 {f16 d; u8 qs[16]}: (nibble - 8) * d; low nibbles first, then high. */
    private static void q4_0(MemorySegment block, float[] out, int o) {
        float d = half(block, 0);
        for (int i = 0; i < 16; i++) {
            int q = u8(block, 2 + i);
            out[o + i] = ((q & 0xF) - 8) * d;
            out[o + i + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** block_q4_1 {f16 d; f16 m; u8 qs[16]}: nibble * d + m. */
    private static void q4_1(MemorySegment block, float[] out, int o) {
        float d = half(block, 0);
        float m = half(block, 2);
        for (int i = 0; i < 16; i++) {
            int q = u8(block, 4 + i);
            out[o + i] = (q & 0xF) * d + m;
            out[o + i + 16] = (q >> 4) * d + m;
        }
    }

    /** block_q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}, as dequantize_row_q4_K. */
    private static void q4_K(MemorySegment block, float[] out, int o) {
        float d = half(block, 0);
        float dmin = half(block, 2);
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int j = 0; j < 8; j++) { // get_scale_min_k4
            if (j < 4) {
                sc[j] = u8(block, 4 + j) & 63;
                mn[j] = u8(block, 4 + j + 4) & 63;
            } else {
                sc[j] = (u8(block, 4 + j + 4) & 0xF) | ((u8(block, 4 + j - 4) >> 6) << 4);
                mn[j] = (u8(block, 4 + j + 4) >> 4) | ((u8(block, 4 + j) >> 6) << 4);
            }
        }
        for (int g = 0; g < 4; g++) {
            float d1 = d * sc[2 * g], m1 = dmin * mn[2 * g];
            float d2 = d * sc[2 * g + 1], m2 = dmin * mn[2 * g + 1];
            for (int l = 0; l < 32; l++) {
                int q = u8(block, 16 + 32 * g + l);
                out[o + 64 * g + l] = d1 * (q & 0xF) - m1;
                out[o + 64 * g + 32 + l] = d2 * (q >> 4) - m2;
            }
        }
    }

    /** block_q6_K {u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}, as dequantize_row_q6_K. */
    private static void q6_K(MemorySegment block, float[] out, int o) {
        float d = half(block, 208);
        for (int h = 0; h < 2; h++) {
            int ql = 64 * h, qh = 128 + 32 * h, sc = 192 + 8 * h, y = o + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int bits = u8(block, qh + l);
                int q1 = ((u8(block, ql + l) & 0xF) | ((bits & 3) << 4)) - 32;
                int q2 = ((u8(block, ql + l + 32) & 0xF) | (((bits >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(block, ql + l) >> 4) | (((bits >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(block, ql + l + 32) >> 4) | (((bits >> 6) & 3) << 4)) - 32;
                out[y + l] = d * i8(block, sc + is) * q1;
                out[y + l + 32] = d * i8(block, sc + is + 2) * q2;
                out[y + l + 64] = d * i8(block, sc + is + 4) * q3;
                out[y + l + 96] = d * i8(block, sc + is + 6) * q4;
            }
        }
    }
}

package owb.tensor;

import java.lang.foreign.MemorySegment;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * A weight matrix W [rows = N out, cols = K in] as the checkpoint stores it, read row by row
 * without ever materialising the whole matrix as floats. Quantized blocks run along K, so row j
 * is {@code cols / blockElements} consecutive blocks starting at byte {@code j * rowBytes}.
 *
 * <p>Two operations serve the GEMM: {@link #decodeRows} dequantizes a few rows into a reusable
 * float buffer (prefill: the buffer is then reused for every token), and {@link #dot} fuses
 * dequantization into one dot product (generation: each weight is used once).
 */
public abstract sealed class WeightRows
        permits ArrayRows, DecodedRows, F32Rows, F16Rows, Bf16Rows, Q8_0Rows, Q4_0Rows, Q4_1Rows, Q4KRows, Q6KRows {

    private final int rows;
    private final int cols;

    WeightRows(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** N: output features. */
    public final int rows() {
        return rows;
    }

    /** K: input features. */
    public final int cols() {
        return cols;
    }

    /** Dequantizes rows [firstRow, firstRow + count) into {@code out[0 .. count*cols)}, row-major. */
    public abstract void decodeRows(int firstRow, int count, float[] out);

    /** dot(W[row, :], x[xOff .. xOff + cols)). */
    public abstract float dot(int row, float[] x, int xOff);

    /**
     * y[j] = dot(W[j, :], x) (+ bias[j]) for rows [firstRow, firstRow + count): the GEMV of one
     * work unit. Dtypes that need scratch buffers for a fused dot override it to allocate them once.
     */
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        for (int j = firstRow; j < firstRow + count; j++) {
            float dot = dot(j, x, 0);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    /** Dtypes that {@link #of(TensorEntry)} accepts. */
    public static boolean supports(DType dtype) {
        return switch (dtype) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * The rows of a 2-D weight [N, K] of a supported dtype.
     *
     * @throws IllegalArgumentException for another rank or dtype, a K that is not a whole number of
     *         blocks, or a data slice whose size does not match the shape
     */
    public static WeightRows of(TensorEntry w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException(w.name() + ": a weight matrix needs 2 dimensions, shape is " + w.shapeString());
        }
        if (!supports(w.dtype())) {
            throw new IllegalArgumentException(w.name() + ": no matmul kernel for dtype " + w.dtype());
        }
        long n = w.dim(0);
        long k = w.dim(1);
        if (n < 0 || k < 0 || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(w.name() + ": shape " + w.shapeString() + " is out of range");
        }
        int blockElements = w.dtype().blockElements();
        if (k % blockElements != 0) {
            throw new IllegalArgumentException(w.name() + ": K = " + k + " is not a multiple of the "
                    + w.dtype() + " block (" + blockElements + " elements)");
        }
        long expected = w.dtype().byteSize(n * k);
        if (expected < 0 || w.data().byteSize() != expected) {
            throw new IllegalArgumentException(w.name() + ": data holds " + w.data().byteSize()
                    + " bytes, shape " + w.shapeString() + " as " + w.dtype() + " needs " + expected);
        }
        MemorySegment data = w.data();
        int rows = (int) n;
        int cols = (int) k;
        if (w.dtype().quantized() && Vectors.BYTES == null) return new DecodedRows(w, rows, cols);
        return switch (w.dtype()) {
            case F32 -> new F32Rows(data, rows, cols);
            case F16 -> new F16Rows(data, rows, cols);
            case BF16 -> new Bf16Rows(data, rows, cols);
            case Q8_0 -> new Q8_0Rows(data, rows, cols);
            case Q4_0 -> new Q4_0Rows(data, rows, cols);
            case Q4_1 -> new Q4_1Rows(data, rows, cols);
            case Q4_K -> new Q4KRows(data, rows, cols);
            case Q6_K -> new Q6KRows(data, rows, cols);
            default -> throw new AssertionError(w.dtype());
        };
    }

    /** The rows of a row-major float matrix [rows, cols] held on the heap (activations, tests). */
    public static WeightRows of(float[] values, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols > values.length) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix does not fit in "
                    + values.length + " floats");
        }
        return new ArrayRows(values, rows, cols);
    }
}

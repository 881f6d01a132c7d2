package owb.tensor;

/** Rows of a row-major float matrix on the heap; the kernels read it in place. */
final class ArrayRows extends WeightRows {
    private final float[] values;

    ArrayRows(float[] values, int rows, int cols) {
        super(rows, cols);
        this.values = values;
    }

    /** The backing array, row j at offset {@code j * cols()}. */
    float[] values() {
        return values;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        System.arraycopy(values, firstRow * cols(), out, 0, count * cols());
    }

    /** Four rows at a time share each vector of x. */
    @Override
    void gemv(int firstRow, int count, float[] x, float[] bias, float[] y) {
        int k = cols();
        int j = firstRow;
        for (int end = firstRow + count; j + 4 <= end; j += 4) {
            GemmKernels.dot1x4(x, 0, values, j * k, k, bias, j, y, j);
        }
        for (; j < firstRow + count; j++) {
            float dot = dot(j, x, 0);
            y[j] = bias == null ? dot : dot + bias[j];
        }
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return GemmKernels.dot(x, xOff, values, row * cols(), cols());
    }
}

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

    @Override
    public float dot(int row, float[] x, int xOff) {
        return GemmKernels.dot(x, xOff, values, row * cols(), cols());
    }
}

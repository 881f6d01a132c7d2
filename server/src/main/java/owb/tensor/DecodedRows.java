package owb.tensor;

import owb.checkpoint.TensorEntry;

/**
 * Quantized weight rows on CPUs whose vectors hold 4 floats (128 bits, e.g. ARM NEON): the fused
 * dequantize-and-dot kernels need a byte vector of the same lane count, which does not exist there,
 * so a row is decoded to floats (by {@link TensorReader}, which falls back to scalar decoding on such
 * CPUs) and then multiplied as F32. Prefill decodes rows into the GEMM's buffer either way.
 */
final class DecodedRows extends WeightRows {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private final TensorEntry weights;

    DecodedRows(TensorEntry weights, int rows, int cols) {
        super(rows, cols);
        this.weights = weights;
    }

    @Override
    public void decodeRows(int firstRow, int count, float[] out) {
        TensorReader.readFloats(weights, (long) firstRow * cols(), count * cols(), out, 0);
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        float[] decoded = ROW.get();
        if (decoded.length < cols()) {
            decoded = new float[cols()];
            ROW.set(decoded);
        }
        decodeRows(row, 1, decoded);
        return GemmKernels.dot(x, xOff, decoded, 0, cols());
    }
}

package owb.model;

import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

/** A table of vectors [rows, dim] in its stored encoding (token or position embeddings); a lookup decodes only the rows it returns. */
record Embedding(TensorEntry table) {

    int rows() { return (int) table.dim(0); }

    int dim() { return (int) table.dim(1); }

    /** [ids.length, dim]: row ids[i] at i. */
    float[] lookup(int[] ids) {
        int d = dim();
        float[] out = new float[ids.length * d];
        for (int i = 0; i < ids.length; i++) decodeRow(ids[i], out, i * d);
        return out;
    }

    /** [count, dim]: rows first .. first + count - 1. */
    float[] range(int first, int count) {
        int d = dim();
        float[] out = new float[count * d];
        for (int i = 0; i < count; i++) decodeRow(first + i, out, i * d);
        return out;
    }

    private void decodeRow(int row, float[] out, int at) {
        int d = dim();
        long first = (long) row * d;
        int block = table.dtype().blockElements();
        if (first % block == 0 && d % block == 0) {
            TensorReader.readFloats(table, first, d, out, at);
            return;
        }
        // a row that starts or ends inside a quantization block: decode the blocks around it
        long from = first / block * block;
        long to = (first + d + block - 1) / block * block;
        float[] blocks = new float[(int) (to - from)];
        TensorReader.readFloats(table, from, blocks.length, blocks, 0);
        System.arraycopy(blocks, (int) (first - from), out, at, d);
    }
}

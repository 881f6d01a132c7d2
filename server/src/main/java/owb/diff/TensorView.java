package owb.diff;

import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

/**
 * One tensor read in its Hugging Face (canonical) layout: elements numbered row-major over
 * {@code [rows, rowLength]}, rows being the outermost dimension. A GGUF Llama {@code attn_q} /
 * {@code attn_k} has its rows permuted within each head by llama.cpp's converter
 * ({@code LlamaModel.permute} in convert_hf_to_gguf.py: the two rotary halves of a head become
 * interleaved pairs); with {@code rotaryHeads > 0} this view undoes that, row by row.
 */
public final class TensorView {
    private final TensorEntry entry;
    private final int rotaryHeads;
    private final long rows;
    private final long rowLength;

    public TensorView(TensorEntry entry, int rotaryHeads) {
        this.entry = entry;
        this.rotaryHeads = rotaryHeads;
        this.rows = entry.rank() >= 2 ? entry.dim(0) : (rotaryHeads > 0 ? entry.numel() : 1);
        this.rowLength = rows == 0 ? 0 : entry.numel() / rows;
        if (rotaryHeads > 0 && (rows % rotaryHeads != 0 || (rows / rotaryHeads) % 2 != 0)) {
            throw new IllegalArgumentException("tensor '" + entry.name() + "': " + rows
                    + " rows do not split into " + rotaryHeads + " heads of even size");
        }
    }

    /** An unpermuted view. */
    public static TensorView of(TensorEntry entry) { return new TensorView(entry, 0); }

    public TensorEntry entry() { return entry; }

    /** Heads whose rotary row order this view undoes; 0 when it reads rows as stored. */
    public int rotaryHeads() { return rotaryHeads; }

    public long rows() { return rows; }

    public long rowLength() { return rowLength; }

    /** Decodes canonical elements {@code [first, first + count)} into {@code out[off ..]}. */
    public void read(long first, int count, float[] out, int off) {
        if (rotaryHeads == 0) {
            TensorReader.readFloats(entry, first, count, out, off);
            return;
        }
        long end = first + count;
        for (long e = first; e < end; ) {
            long row = e / rowLength;
            long column = e - row * rowLength;
            int piece = (int) Math.min(end - e, rowLength - column);
            TensorReader.readFloats(entry, storedRow(row) * rowLength + column, piece, out, off);
            off += piece;
            e += piece;
        }
    }

    /** The stored (GGUF) row holding canonical row {@code row}: within a head of size d, Hugging
     *  Face row s·d/2 + j is stored at 2j + s. */
    long storedRow(long row) {
        long headSize = rows / rotaryHeads;
        long half = headSize / 2;
        long head = row / headSize;
        long within = row % headSize;
        long s = within / half;
        long j = within % half;
        return head * headSize + 2 * j + s;
    }
}

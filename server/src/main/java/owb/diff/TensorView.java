package owb.diff;

import java.lang.ref.SoftReference;

import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

/**
 * One tensor read in its Hugging Face (canonical) layout: elements numbered row-major over
 * {@code [rows, rowLength]}, rows being the outermost dimension. A GGUF Llama {@code attn_q} /
 * {@code attn_k} has its rows permuted within each head by llama.cpp's converter
 * ({@code LlamaModel.permute} in convert_hf_to_gguf.py: the two rotary halves of a head become
 * interleaved pairs); with {@code rotaryHeads > 0} this view undoes that, row by row. A GGUF GPT-2
 * Conv1D weight ({@code attn_qkv}, {@code attn_output}, {@code ffn_up}, {@code ffn_down}) is stored
 * transposed from Hugging Face's {@code [in, out]} (the converter transposes them); a
 * {@link #transposed} view reads it back as {@code [in, out]}, from one decoded copy (GPT-2's
 * matrices are small; {@link #MAX_TRANSPOSED_ELEMENTS} bounds it).
 */
public final class TensorView {
    /** The largest tensor a transposed view decodes whole (256 MiB of floats). */
    public static final long MAX_TRANSPOSED_ELEMENTS = 1L << 26;

    private final TensorEntry entry;
    private final int rotaryHeads;
    private final boolean transposed;
    private final long rows;
    private final long rowLength;
    /**
     * A transposed view's stored values, decoded on first read. Softly held: a diff report keeps its
     * views, and every Conv1D matrix of a large GPT-2 decoded at once would not fit; the GC may drop
     * a copy between reads, and the next read decodes it again.
     */
    private SoftReference<float[]> decoded = new SoftReference<>(null);

    public TensorView(TensorEntry entry, int rotaryHeads) {
        this(entry, rotaryHeads, false);
    }

    private TensorView(TensorEntry entry, int rotaryHeads, boolean transposed) {
        this.entry = entry;
        this.rotaryHeads = rotaryHeads;
        this.transposed = transposed;
        if (transposed) {
            if (entry.rank() != 2 || rotaryHeads != 0 || entry.numel() > MAX_TRANSPOSED_ELEMENTS) {
                throw new IllegalArgumentException("tensor '" + entry.name() + "' " + entry.shapeString()
                        + ": only a matrix of at most " + MAX_TRANSPOSED_ELEMENTS + " elements is read transposed");
            }
            this.rows = entry.dim(1);
            this.rowLength = entry.dim(0);
            return;
        }
        this.rows = entry.rank() >= 2 ? entry.dim(0) : (rotaryHeads > 0 ? entry.numel() : 1);
        this.rowLength = rows == 0 ? 0 : entry.numel() / rows;
        if (rotaryHeads > 0 && (rows % rotaryHeads != 0 || (rows / rotaryHeads) % 2 != 0)) {
            throw new IllegalArgumentException("tensor '" + entry.name() + "': " + rows
                    + " rows do not split into " + rotaryHeads + " heads of even size");
        }
    }

    /** An unpermuted view. */
    public static TensorView of(TensorEntry entry) { return new TensorView(entry, 0); }

    /** A stored {@code [out, in]} matrix read as {@code [in, out]}. */
    public static TensorView transposed(TensorEntry entry) { return new TensorView(entry, 0, true); }

    public TensorEntry entry() { return entry; }

    /** Heads whose rotary row order this view undoes; 0 when it reads rows as stored. */
    public int rotaryHeads() { return rotaryHeads; }

    public boolean isTransposed() { return transposed; }

    /** Whether elements come in another order than stored (un-permuted or transposed). */
    public boolean rearranged() { return rotaryHeads > 0 || transposed; }

    /** The shape in the canonical layout, outermost first. */
    public long[] shape() { return transposed ? new long[] {rows, rowLength} : entry.shape(); }

    public String shapeString() { return java.util.Arrays.toString(shape()); }

    public long rows() { return rows; }

    public long rowLength() { return rowLength; }

    /** Decodes canonical elements {@code [first, first + count)} into {@code out[off ..]}. */
    public void read(long first, int count, float[] out, int off) {
        if (transposed) {
            float[] stored = decoded();                           // [rowLength (out), rows (in)]
            for (int i = 0; i < count; i++) {
                long e = first + i;
                long row = e / rowLength;                        // in
                long column = e - row * rowLength;               // out
                out[off + i] = stored[(int) (column * rows + row)];
            }
            return;
        }
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

    private synchronized float[] decoded() {
        float[] values = decoded.get();
        if (values == null) {
            values = TensorReader.readAll(entry);
            decoded = new SoftReference<>(values);
        }
        return values;
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

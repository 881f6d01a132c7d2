package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TensorViewTest {

    @Test
    void storedRowUndoesTheConvertersPerHeadPermutation() {
        // Two heads of 4 rows: HF rows (h, s, j) are stored at (h, j, s): HF [0 1 | 2 3] -> GGUF [0 2 1 3].
        long[] expected = {0, 2, 1, 3, 4, 6, 5, 7};
        var entry = new owb.checkpoint.TensorEntry("blk.0.attn_q.weight", owb.checkpoint.DType.F32,
                new long[] {8, 2}, java.nio.file.Path.of("x"), 0,
                java.lang.foreign.MemorySegment.ofArray(new float[16]));
        TensorView view = new TensorView(entry, 2);
        for (int r = 0; r < 8; r++) assertEquals(expected[r], view.storedRow(r), "row " + r);
    }
}

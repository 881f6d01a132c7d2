package owb.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a checkpoint: its name as the file has it, its element type, its shape
 * outermost-first (PyTorch order, GGUF's {@code ne} reversed), and a read-only slice of the mapped
 * file holding exactly its {@code byteSize} bytes.
 */
public record TensorEntry(String name, DType dtype, long[] shape, Path file, long fileOffset,
                          MemorySegment data) {

    public TensorEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i]; }

    /** Number of elements; validated by the readers not to overflow. */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() { return data.byteSize(); }

    public String shapeString() { return Arrays.toString(shape); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t && t.name.equals(name) && t.file.equals(file)
                && t.fileOffset == fileOffset;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Long.hashCode(fileOffset); }

    @Override
    public String toString() { return name + " " + dtype + " " + shapeString(); }
}

package owb.audit;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes tensors into one file and maps it, as a checkpoint reader would: each {@link TensorEntry}
 * is a slice of the mapped file. Close it to unmap; the file stays in the test's temp folder.
 */
final class TestTensors implements AutoCloseable {
    private final Path file;
    private final Arena arena = Arena.ofShared();
    private final List<Pending> pending = new ArrayList<>();
    private final ByteArrayBuilder bytes = new ByteArrayBuilder();
    private MemorySegment mapped;

    private record Pending(String name, DType dtype, long[] shape, long offset, long length) {}

    TestTensors(Path dir) {
        try {
            this.file = Files.createTempFile(dir, "tensors", ".bin");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path file() { return file; }

    /** Adds a tensor stored as {@code dtype}, from float values (rounded to nearest for F16/BF16). */
    TestTensors add(String name, DType dtype, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * switch (dtype) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            default -> throw new IllegalArgumentException(dtype.toString());
        }).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(Float.floatToFloat16(v));
                default -> b.putShort(toBf16(v));
            }
        }
        return addRaw(name, dtype, shape, b.array());
    }

    TestTensors addRaw(String name, DType dtype, long[] shape, byte[] data) {
        bytes.align(32);
        pending.add(new Pending(name, dtype, shape, bytes.size(), data.length));
        bytes.append(data);
        return this;
    }

    /** Writes the file, maps it and returns the tensors in the order added. */
    List<TensorEntry> map() {
        try {
            Files.write(file, bytes.toArray());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                mapped = ch.size() == 0 ? MemorySegment.ofArray(new byte[0])
                        : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<TensorEntry> out = new ArrayList<>();
        for (Pending p : pending) {
            out.add(new TensorEntry(p.name, p.dtype, p.shape, file, p.offset, mapped.asSlice(p.offset, p.length)));
        }
        return out;
    }

    Arena arena() { return arena; }

    /** BF16 by round-to-nearest-even of the float bits, NaN kept NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static float fromBf16(short s) { return Float.intBitsToFloat((s & 0xffff) << 16); }

    @Override
    public void close() {
        arena.close();
    }

    private static final class ByteArrayBuilder {
        private byte[] data = new byte[1024];
        private int size;

        int size() { return size; }

        void align(int a) {
            while (size % a != 0) append(new byte[] {0});
        }

        void append(byte[] b) {
            if (size + b.length > data.length) data = java.util.Arrays.copyOf(data, Math.max(2 * data.length, size + b.length));
            System.arraycopy(b, 0, data, size, b.length);
            size += b.length;
        }

        byte[] toArray() { return java.util.Arrays.copyOf(data, size); }
    }
}

package owb.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;
import owb.tensor.bench.RandomWeights;

/**
 * Random weight tensors written to temp files and memory-mapped, as a checkpoint reader would hand
 * them over: a read-only slice of a mapped file, placed at an odd byte offset so no load is aligned.
 * Values come from {@link RandomWeights}.
 */
final class TestWeights implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Path dir;
    private final Random random;
    private int files;

    TestWeights(Path dir, long seed) {
        this.dir = dir;
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    /** A random weight [n, k] of the given dtype. */
    TensorEntry weight(DType dtype, int n, int k) {
        byte[] bytes = new byte[Math.toIntExact(dtype.byteSize((long) n * k))];
        RandomWeights.fill(MemorySegment.ofArray(bytes), dtype, (long) n * k, random);
        return map(dtype, new long[] {n, k}, bytes);
    }

    /** A weight [n, k] of the given dtype holding exactly these bytes. */
    TensorEntry map(DType dtype, long[] shape, byte[] data) {
        int prefix = 1 + random.nextInt(15); // odd placement in the file, like a real checkpoint
        Path file = dir.resolve("weight" + (files++) + ".bin");
        try {
            byte[] content = new byte[prefix + data.length];
            System.arraycopy(data, 0, content, prefix, data.length);
            Files.write(file, content);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, content.length, arena);
                return new TensorEntry("w" + files, dtype, shape, file, prefix, mapped.asSlice(prefix, data.length));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    float[] floats(int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = uniform(-1, 1);
        return v;
    }

    private float uniform(float lo, float hi) {
        return lo + (hi - lo) * random.nextFloat();
    }

    @Override
    public void close() {
        arena.close();
    }
}

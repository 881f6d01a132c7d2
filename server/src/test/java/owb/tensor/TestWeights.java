package owb.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * Random weight tensors written to temp files and memory-mapped, as a checkpoint reader would hand
 * them over: a read-only slice of a mapped file, placed at an odd byte offset so no load is aligned.
 * Quantized blocks get random quants and f16 scales in a sane range.
 */
final class TestWeights implements AutoCloseable {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        long size = dtype.byteSize((long) n * k);
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        int blocks = Math.toIntExact((long) n * k / dtype.blockElements());
        for (int b = 0; b < blocks; b++) {
            int at = b * dtype.blockBytes();
            switch (dtype) {
                case F32 -> bytes.putFloat(at, uniform(-1, 1));
                case F16 -> bytes.putShort(at, Float.floatToFloat16(uniform(-1, 1)));
                case BF16 -> bytes.putShort(at, (short) (Float.floatToIntBits(uniform(-1, 1)) >>> 16));
                default -> {
                    byte[] block = new byte[dtype.blockBytes()];
                    random.nextBytes(block);
                    bytes.put(at, block);
                    for (int scaleAt : scaleOffsets(dtype)) {
                        bytes.putShort(at + scaleAt, Float.floatToFloat16(uniform(-0.05f, 0.05f)));
                    }
                }
            }
        }
        return map(dtype, new long[] {n, k}, bytes.array());
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

    /** Byte offsets of the f16 scale fields inside one block (ggml-common.h). */
    private static int[] scaleOffsets(DType dtype) {
        return switch (dtype) {
            case Q8_0, Q4_0 -> new int[] {0};
            case Q4_1, Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(dtype.toString());
        };
    }

    static short half(MemorySegment s, long at) {
        return s.get(SHORT_LE, at);
    }

    @Override
    public void close() {
        arena.close();
    }
}

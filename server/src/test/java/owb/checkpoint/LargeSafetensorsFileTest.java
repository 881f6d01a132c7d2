package owb.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static owb.checkpoint.SafetensorsReaderTest.tensor;

/**
 * Offsets past 2 GiB and 4 GiB (where int arithmetic or a ByteBuffer would break), on a sparse
 * file: only the header and the last 16 bytes are written, so no real disk is used.
 */
class LargeSafetensorsFileTest {

    private static final long BIG_BYTES = 4L * 1024 * 1024 * 1024 + 512L * 1024 * 1024; // 4.5 GiB

    @Test
    void aSmallTensorAfterA4AndAHalfGibTensorReadsBack(@TempDir Path dir) throws Exception {
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + BIG_BYTES + "],\"data_offsets\":[0," + BIG_BYTES + "]},"
                + "\"small\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + BIG_BYTES + "," + (BIG_BYTES + 16) + "]}}";
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + headerBytes.length;
        Path file = dir.resolve("large.safetensors");
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.setLength(dataStart + BIG_BYTES + 16);
            out.write(SafetensorsBytes.lengthPrefix(headerBytes.length));
            out.write(headerBytes);
            out.seek(dataStart + BIG_BYTES);
            out.write(SafetensorsBytes.f32(1f, -2f, 3.5f, 1e30f));
        }
        try (Checkpoint checkpoint = Checkpoints.open(file)) {
            TensorEntry big = tensor(checkpoint, "big");
            assertEquals(BIG_BYTES, big.byteSize());
            assertEquals(dataStart, big.fileOffset());
            assertEquals(0, big.data().get(ValueLayout.JAVA_BYTE, BIG_BYTES - 1), "a hole reads as zero");

            TensorEntry small = tensor(checkpoint, "small");
            assertEquals(dataStart + BIG_BYTES, small.fileOffset());
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[4];
            for (int i = 0; i < 4; i++) values[i] = small.data().getAtIndex(f32, i);
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 1e30f}, values);
        }
    }
}

package owb.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsReaderTest {

    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void everyDtypeReadsAsPythonReadsTheHeader() throws Exception {
        Path file = SafetensorsFixtures.everyDtype();
        JsonNode expected = new ObjectMapper().readTree(
                SafetensorsFixtures.root().resolve("every_dtype.expected.json").toFile()).get("tensors");
        try (Checkpoint checkpoint = Checkpoints.open(file)) {
            assertEquals(Checkpoint.Format.SAFETENSORS, checkpoint.format());
            assertEquals(List.of(file), checkpoint.files());
            assertEquals(expected.size(), checkpoint.tensorCount());
            for (TensorEntry t : checkpoint.tensors()) {
                JsonNode e = expected.get(t.name());
                assertEquals(e.get("dtype").asText(), t.dtype().name(), t.name());
                assertArrayEquals(longs(e.get("shape")), t.shape(), t.name());
                assertEquals(e.get("begin").asLong(), t.fileOffset(), t.name());
                assertEquals(e.get("end").asLong() - e.get("begin").asLong(), t.byteSize(), t.name());
                assertEquals(file, t.file());
                assertTrue(t.data().isReadOnly(), "tensor bytes are mapped read-only");
            }
        }
    }

    @Test
    void tensorsComeInTheOrderOfTheirDataOffsets() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.everyDtype())) {
            List<TensorEntry> tensors = checkpoint.tensors();
            List<TensorEntry> sorted = new ArrayList<>(tensors);
            sorted.sort(Comparator.comparingLong(TensorEntry::fileOffset));
            assertEquals(sorted, tensors);
            for (int i = 1; i < tensors.size(); i++) {
                TensorEntry previous = tensors.get(i - 1);
                assertEquals(previous.fileOffset() + previous.byteSize(), tensors.get(i).fileOffset(),
                        "contiguous after " + previous.name());
            }
        }
    }

    @Test
    void valuesAreReadStraightFromTheMappedFile() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.everyDtype())) {
            MemorySegment f32 = tensor(checkpoint, "f32").data();
            float[] values = new float[6];
            for (int i = 0; i < values.length; i++) values[i] = f32.getAtIndex(F32, i);
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 0.125f, -7f}, values);

            TensorEntry scalar = tensor(checkpoint, "scalar");
            assertEquals(0, scalar.rank());
            assertEquals(1, scalar.numel());
            assertEquals(42f, scalar.data().get(F32, 0));

            TensorEntry empty = tensor(checkpoint, "empty");
            assertArrayEquals(new long[] {0, 4}, empty.shape());
            assertEquals(0, empty.byteSize());

            // BF16 1.0 is 0x3F80; F8 E4M3 1.0 is 0x38, E5M2 1.0 is 0x3C.
            assertEquals((short) 0x3F80, tensor(checkpoint, "bf16").data().get(I16, 0));
            assertEquals((byte) 0x38, tensor(checkpoint, "f8_e4m3").data().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals((byte) 0x3C, tensor(checkpoint, "f8_e5m2").data().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1L << 62, tensor(checkpoint, "i64").data().getAtIndex(I64, 2));
            assertEquals((byte) 255, tensor(checkpoint, "u8").data().get(ValueLayout.JAVA_BYTE, 2));
        }
    }

    @Test
    void metadataIsTheHeadersMetadataMap() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.everyDtype())) {
            assertEquals(Map.of("format", "pt", "owb.fixture", "every-dtype"), checkpoint.metadata());
            assertTrue(checkpoint.config().isEmpty(), "no config.json beside this file");
        }
    }

    @Test
    void closingTheCheckpointUnmapsItsTensors() throws Exception {
        Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.everyDtype());
        MemorySegment data = tensor(checkpoint, "f32").data();
        checkpoint.close();
        assertThrows(IllegalStateException.class, () -> data.get(F32, 0));
    }

    @Test
    void anEmptyCheckpointIsValid(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("empty.safetensors");
        Files.write(file, SafetensorsBytes.file("{}      ", 0));
        try (Checkpoint checkpoint = SafetensorsReader.open(file)) {
            assertEquals(0, checkpoint.tensorCount());
        }
    }

    @Test
    void nullMetadataIsReadAsNone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.safetensors");
        Files.write(file, SafetensorsBytes.file(
                "{\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        try (Checkpoint checkpoint = SafetensorsReader.open(file)) {
            assertEquals(Map.of(), checkpoint.metadata());
            assertEquals(1, checkpoint.tensorCount());
        }
    }

    @Test
    void longNamesAndMetadataAreAccepted(@TempDir Path dir) throws Exception {
        String name = "n".repeat(100_000);
        String value = "v".repeat(21_000_000); // past Jackson's default 20M-char string limit
        Path file = dir.resolve("long.safetensors");
        Files.write(file, SafetensorsBytes.file("{\"__metadata__\":{\"k\":\"" + value + "\"},\"" + name
                + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        try (Checkpoint checkpoint = SafetensorsReader.open(file)) {
            assertEquals(name, checkpoint.tensors().getFirst().name());
            assertEquals(value.length(), ((String) checkpoint.metadata().get("k")).length());
        }
    }

    @Test
    void readingNeverWritesTheFile() throws Exception {
        Path file = SafetensorsFixtures.everyDtype();
        byte[] before = Files.readAllBytes(file);
        var modified = Files.getLastModifiedTime(file);
        try (Checkpoint checkpoint = Checkpoints.open(file)) {
            checkpoint.tensors().forEach(t -> t.data().toArray(ValueLayout.JAVA_BYTE));
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(modified, Files.getLastModifiedTime(file));
    }

    static TensorEntry tensor(Checkpoint checkpoint, String name) {
        return checkpoint.tensor(name).orElseThrow(() -> new AssertionError("no tensor " + name));
    }

    private static long[] longs(JsonNode array) {
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) values[i] = array.get(i).asLong();
        return values;
    }
}

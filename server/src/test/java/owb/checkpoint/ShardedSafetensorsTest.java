package owb.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static owb.checkpoint.SafetensorsReaderTest.tensor;

class ShardedSafetensorsTest {

    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void shardedFolderOpensAsOneCheckpoint() throws Exception {
        Path folder = SafetensorsFixtures.sharded();
        try (Checkpoint checkpoint = Checkpoints.open(folder)) {
            assertEquals(folder, checkpoint.path());
            assertEquals(List.of(folder.resolve("model-00001-of-00002.safetensors"),
                    folder.resolve("model-00002-of-00002.safetensors")), checkpoint.files());
            assertEquals(12, checkpoint.tensorCount());
            TensorEntry lmHead = tensor(checkpoint, "lm_head.weight");
            assertEquals(folder.resolve("model-00002-of-00002.safetensors"), lmHead.file());
            // lm_head = arange(800, 832) * 0.01, shape [8, 4]
            assertEquals(8.01f, lmHead.data().getAtIndex(F32, 1), 1e-5f);
            assertTrue(checkpoint.config().isEmpty(), "no config.json in this folder");
        }
    }

    @Test
    void indexMetadataIsKeptUnderIndexPrefixBesideShardMetadata() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.sharded())) {
            long bytes = checkpoint.tensors().stream().mapToLong(TensorEntry::byteSize).sum();
            assertEquals(bytes, checkpoint.metadata().get("index.total_size"));
            assertEquals("pt", checkpoint.metadata().get("format"));
        }
    }

    @Test
    void theIndexFileCanBeOpenedDirectly() throws Exception {
        Path index = SafetensorsFixtures.sharded().resolve("model.safetensors.index.json");
        try (Checkpoint checkpoint = Checkpoints.open(index)) {
            assertEquals(index, checkpoint.path());
            assertEquals(12, checkpoint.tensorCount());
        }
    }

    @Test
    void indexNamingAMissingShard() throws Exception {
        writeShards();
        Path index = writeIndex("{\"a\":\"one.safetensors\",\"b\":\"three.safetensors\"}");
        CheckpointException e = rejects(index);
        assertTrue(e.getMessage().contains("'three.safetensors'"), e.getMessage());
    }

    @Test
    void indexEscapingItsFolder() throws Exception {
        writeShards();
        Files.createDirectories(dir.resolve("inner"));
        Path index = dir.resolve("inner").resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../one.safetensors\"}}");
        CheckpointException e = rejects(index);
        assertEquals("a", e.tensor());
        assertTrue(e.getMessage().contains("not a plain file name"), e.getMessage());
    }

    @Test
    void indexWithAnAbsoluteShardPath() throws Exception {
        writeShards();
        Path index = writeIndex("{\"a\":\"" + dir.resolve("one.safetensors") + "\"}");
        assertEquals("a", rejects(index).tensor());
    }

    @Test
    void indexNamingATensorItsShardLacks() throws Exception {
        writeShards();
        Path index = writeIndex("{\"a\":\"one.safetensors\",\"b\":\"two.safetensors\",\"c\":\"two.safetensors\"}");
        CheckpointException e = rejects(index);
        assertEquals("c", e.tensor());
        assertTrue(e.getMessage().contains("no such tensor"), e.getMessage());
    }

    @Test
    void shardTensorMissingFromTheIndex() throws Exception {
        writeShards();
        Path index = writeIndex("{\"a\":\"one.safetensors\"}");
        // two.safetensors is not in the weight_map at all, so it is not opened: the index is
        // incomplete only if a listed shard holds an unlisted tensor.
        Files.write(dir.resolve("one.safetensors"), SafetensorsBytes.file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"extra\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        CheckpointException e = rejects(index);
        assertEquals("extra", e.tensor());
        assertTrue(e.getMessage().contains("missing from the weight_map"), e.getMessage());
    }

    @Test
    void indexPuttingATensorInTheWrongShard() throws Exception {
        writeShards();
        Path index = writeIndex("{\"a\":\"two.safetensors\",\"b\":\"one.safetensors\"}");
        CheckpointException e = rejects(index);
        assertTrue(e.getMessage().contains("weight_map puts the tensor in two.safetensors but it is in one.safetensors"),
                e.getMessage());
    }

    @Test
    void tensorInTwoShards() throws Exception {
        writeShards();
        Files.write(dir.resolve("two.safetensors"), SafetensorsBytes.file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        Path index = writeIndex("{\"a\":\"one.safetensors\",\"b\":\"two.safetensors\"}");
        CheckpointException e = rejects(index);
        assertEquals("a", e.tensor());
    }

    @Test
    void indexWithoutAWeightMap() throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\":{}}");
        rejects(index);
    }

    @Test
    void indexWithANonStringShard() throws Exception {
        assertEquals("a", rejects(writeIndex("{\"a\":1}")).tensor());
    }

    @Test
    void indexWithDuplicateKeys() throws Exception {
        writeShards();
        rejects(writeIndex("{\"a\":\"one.safetensors\",\"a\":\"one.safetensors\"}"));
    }

    @Test
    void indexThatIsNotJson() throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {");
        rejects(index);
    }

    @Test
    void aBrokenShardIsReportedByItsOwnName() throws Exception {
        writeShards();
        Files.write(dir.resolve("two.safetensors"), new byte[3]);
        Path index = writeIndex("{\"a\":\"one.safetensors\",\"b\":\"two.safetensors\"}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(index).close());
        assertEquals(dir.resolve("two.safetensors"), e.file());
    }

    /** one.safetensors holds tensor a, two.safetensors holds tensor b. */
    private void writeShards() throws Exception {
        Files.write(dir.resolve("one.safetensors"), SafetensorsBytes.file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        Files.write(dir.resolve("two.safetensors"), SafetensorsBytes.file(
                "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
    }

    private Path writeIndex(String weightMap) throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\":{\"total_size\":8},\"weight_map\":" + weightMap + "}");
        return index;
    }

    private static CheckpointException rejects(Path index) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(index).close());
        assertEquals(index, e.file());
        assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
        return e;
    }
}

package owb.checkpoint;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static owb.checkpoint.SafetensorsReaderTest.tensor;

/** Checkpoints.open on each kind of thing a user may point at, and discover over a tree of them. */
class CheckpointsTest {

    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String REVISION = "0123456789abcdef0123456789abcdef01234567";
    private static final String ONE_TENSOR = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    @TempDir
    Path dir;

    @Test
    void huggingFaceFolderComesWithItsConfig() throws Exception {
        Path folder = SafetensorsFixtures.hfFolder();
        try (Checkpoint checkpoint = Checkpoints.open(folder)) {
            assertEquals(folder, checkpoint.path());
            assertEquals(List.of(folder.resolve("model.safetensors")), checkpoint.files());
            assertEquals(12, checkpoint.tensorCount());
            Map<String, Object> config = checkpoint.config().orElseThrow();
            assertEquals("llama", config.get("model_type"));
            assertEquals(4L, config.get("hidden_size"));
            assertEquals(List.of("LlamaForCausalLM"), config.get("architectures"));
            assertEquals(1e-5, config.get("rms_norm_eps"));
        }
    }

    @Test
    void aWeightsFileNamedDirectlyAlsoGetsTheConfigBesideIt() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(SafetensorsFixtures.hfFolder().resolve("model.safetensors"))) {
            assertEquals(8L, checkpoint.config().orElseThrow().get("vocab_size"));
        }
    }

    @Test
    void hubCacheRepoOpensTheSnapshotThatRefsMainNames() throws Exception {
        Path repo = SafetensorsFixtures.hubRepo();
        try (Checkpoint checkpoint = Checkpoints.open(repo)) {
            assertEquals(repo, checkpoint.path());
            Path weights = repo.resolve("snapshots").resolve(REVISION).resolve("model.safetensors");
            assertEquals(List.of(weights), checkpoint.files());
            assertTrue(Files.isSymbolicLink(weights), "the fixture links into blobs/");
            assertEquals("llama", checkpoint.config().orElseThrow().get("model_type"));
            // The cache copy was written with scale 0.5: embed_tokens = arange(32) * 0.5
            assertEquals(1.5f, tensor(checkpoint, "model.embed_tokens.weight").data().getAtIndex(F32, 3));
        }
    }

    @Test
    void hubSnapshotFolderAndItsLinkedFileOpenToo() throws Exception {
        Path snapshot = SafetensorsFixtures.hubRepo().resolve("snapshots").resolve(REVISION);
        try (Checkpoint checkpoint = Checkpoints.open(snapshot)) {
            assertEquals(12, checkpoint.tensorCount());
            assertTrue(checkpoint.config().isPresent());
        }
        try (Checkpoint checkpoint = Checkpoints.open(snapshot.resolve("model.safetensors"))) {
            assertEquals(12, checkpoint.tensorCount());
        }
    }

    @Test
    void refsMainWinsOverANewerSnapshot() throws Exception {
        Path repo = cacheRepo("models--org--two", "aaaa", "bbbb");
        Files.writeString(repo.resolve("refs/main"), "aaaa\n");
        Files.setLastModifiedTime(repo.resolve("snapshots/bbbb"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        try (Checkpoint checkpoint = Checkpoints.open(repo)) {
            assertEquals(repo.resolve("snapshots/aaaa/model.safetensors"), checkpoint.files().getFirst());
        }
    }

    @Test
    void withoutRefsMainTheNewestSnapshotIsOpened() throws Exception {
        Path repo = cacheRepo("models--org--two", "aaaa", "bbbb");
        Files.setLastModifiedTime(repo.resolve("snapshots/aaaa"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        try (Checkpoint checkpoint = Checkpoints.open(repo)) {
            assertEquals(repo.resolve("snapshots/aaaa/model.safetensors"), checkpoint.files().getFirst());
        }
    }

    @Test
    void refsMainCannotPointOutsideSnapshots() throws Exception {
        Path repo = cacheRepo("models--org--one", "aaaa");
        Files.writeString(repo.resolve("refs/main"), "../../elsewhere");
        try (Checkpoint checkpoint = Checkpoints.open(repo)) {
            assertEquals(repo.resolve("snapshots/aaaa/model.safetensors"), checkpoint.files().getFirst());
        }
    }

    @Test
    void aSnapshotLinkLeavingTheCacheFolderIsRefused() throws Exception {
        Path outside = dir.resolve("outside.safetensors");
        Files.write(outside, SafetensorsBytes.file(ONE_TENSOR, 4));
        Path snapshot = Files.createDirectories(dir.resolve("hub/models--evil--x/snapshots/r"));
        Path link = Files.createSymbolicLink(snapshot.resolve("model.safetensors"), outside);
        for (Path target : List.of(dir.resolve("hub/models--evil--x"), snapshot, link)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(target).close());
            assertEquals(link, e.file());
            assertTrue(e.getMessage().contains("outside the cache folder"), e.getMessage());
        }
    }

    @Test
    void aDanglingSnapshotLinkIsAnIncompleteDownload() throws Exception {
        Path snapshot = Files.createDirectories(dir.resolve("models--org--gone/snapshots/r"));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/missing"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.open(dir.resolve("models--org--gone")).close());
        assertTrue(e.getMessage().contains("incomplete download"), e.getMessage());
    }

    @Test
    void aCacheRepoWithoutSnapshotsSaysSo() throws Exception {
        Files.createDirectories(dir.resolve("models--org--empty/snapshots"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.open(dir.resolve("models--org--empty")).close());
        assertTrue(e.getMessage().contains("no snapshot"), e.getMessage());
    }

    @Test
    void severalShardsWithoutAnIndexOpenTogether() throws Exception {
        Files.write(dir.resolve("part-b.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        Files.write(dir.resolve("part-a.safetensors"), SafetensorsBytes.file(ONE_TENSOR.replace("\"w\"", "\"v\""), 4));
        try (Checkpoint checkpoint = Checkpoints.open(dir)) {
            assertEquals(List.of(dir.resolve("part-a.safetensors"), dir.resolve("part-b.safetensors")), checkpoint.files());
            assertEquals(List.of("v", "w"), checkpoint.tensors().stream().map(TensorEntry::name).toList());
        }
    }

    @Test
    void theSameTensorInTwoUnindexedShardsIsRefused() throws Exception {
        Files.write(dir.resolve("a.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        Files.write(dir.resolve("b.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertEquals("w", e.tensor());
    }

    @Test
    void ggufFilesGoToTheGgufReader() throws Exception {
        Path byName = dir.resolve("model.gguf");
        Files.write(byName, new byte[] {1, 2, 3});
        Path byMagic = dir.resolve("model.bin");
        Files.write(byMagic, "GGUF\3\0\0\0".getBytes());
        Path onlyFileInFolder = Files.createDirectories(dir.resolve("folder"));
        Files.write(onlyFileInFolder.resolve("x.gguf"), new byte[] {1});
        for (Path target : List.of(byName, byMagic, onlyFileInFolder)) {
            Exception e = assertThrows(Exception.class, () -> Checkpoints.open(target).close());
            assertTrue(Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getClassName().equals(GgufReader.class.getName())),
                    target + " was not handed to GgufReader: " + e);
        }
    }

    @Test
    void severalGgufFilesInAFolderAskWhichOne() throws Exception {
        Files.write(dir.resolve("a.gguf"), new byte[] {1});
        Files.write(dir.resolve("b.gguf"), new byte[] {1});
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertTrue(e.getMessage().contains("a.gguf, b.gguf"), e.getMessage());
    }

    @Test
    void aFolderWithNothingLoadableListsWhatWasLookedFor() throws Exception {
        Files.writeString(dir.resolve("README.md"), "hello");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertEquals(dir, e.file());
        for (String lookedFor : List.of("model.safetensors.index.json", "model.safetensors", "*.safetensors", "*.gguf", "models--")) {
            assertTrue(e.getMessage().contains(lookedFor), e.getMessage());
        }
    }

    @Test
    @Timeout(10)
    void aPipeNamedLikeWeightsIsNotOpened() throws Exception {
        Path fifo = dir.resolve("model.safetensors");
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo here");
            return;
        }
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertTrue(e.getMessage().contains("no model weights"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.open(fifo).close());
        assertTrue(e.getMessage().contains("not a file"), e.getMessage());
    }

    @Test
    void pytorchWeightsGetAHint() throws Exception {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {1});
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertTrue(e.getMessage().contains("PyTorch"), e.getMessage());
    }

    @Test
    void anInvalidConfigJsonIsAnError() throws Exception {
        Files.write(dir.resolve("model.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 4,");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertEquals(dir.resolve("config.json"), e.file());
    }

    @Test
    void aConfigJsonThatIsNotAnObjectIsAnError() throws Exception {
        Files.write(dir.resolve("model.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        Files.writeString(dir.resolve("config.json"), "[1, 2]");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close());
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
    }

    @Test
    void aMissingPathIsACheckpointException() {
        Path missing = dir.resolve("nope.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(missing).close());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void discoverFindsEveryLoadableModelWithoutFollowingLinkLoops() throws Exception {
        Path hf = Files.createDirectories(dir.resolve("a-hf"));
        Files.write(hf.resolve("model.safetensors"), SafetensorsBytes.file(ONE_TENSOR, 4));
        Path gguf = Files.createDirectories(dir.resolve("b-gguf")).resolve("m.Q4_0.gguf");
        Files.write(gguf, new byte[] {1});
        Path cache = cacheRepo("c-hub/models--org--name", "aaaa");
        Path sharded = Files.createDirectories(dir.resolve("d-sharded"));
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{}");
        Path tooDeep = Files.createDirectories(dir.resolve("e/1/2")); // deep.gguf is 4 levels down
        Files.write(tooDeep.resolve("deep.gguf"), new byte[] {1});
        Files.createDirectories(dir.resolve("f-empty"));
        Files.createSymbolicLink(dir.resolve("a-hf/loop"), dir);

        assertEquals(List.of(hf, gguf, cache, sharded), Checkpoints.discover(dir, 3));
        assertEquals(List.of(hf, gguf, cache, sharded, tooDeep.resolve("deep.gguf")), Checkpoints.discover(dir, 4));
        assertEquals(List.of(), Checkpoints.discover(dir, 0));
        assertEquals(List.of(hf), Checkpoints.discover(hf, 0));
        assertEquals(List.of(), Checkpoints.discover(dir.resolve("missing"), 3));
    }

    /** A hub cache repo with one tiny model.safetensors per revision, linked from blobs/ like the hub does. */
    private Path cacheRepo(String name, String... revisions) throws Exception {
        Path repo = Files.createDirectories(dir.resolve(name));
        Files.createDirectories(repo.resolve("refs"));
        for (String revision : revisions) {
            Path blob = Files.createDirectories(repo.resolve("blobs")).resolve("blob-" + revision);
            Files.write(blob, SafetensorsBytes.file(ONE_TENSOR, 4));
            Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(revision));
            Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/blob-" + revision));
        }
        return repo;
    }
}

package owb.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens whatever a user points at, and finds what there is to open under a folder.
 *
 * <ul>
 *   <li>a file ending {@code .gguf} or starting with the magic {@code GGUF}: {@link GgufReader};</li>
 *   <li>a file ending {@code .index.json}: a sharded safetensors checkpoint;</li>
 *   <li>any other file: one safetensors file;</li>
 *   <li>a folder: a Hugging Face model folder, a hub cache repo {@code models--ORG--NAME}, or one
 *       of its snapshots (see {@link ModelFolder}).</li>
 * </ul>
 * For safetensors, a config.json beside the weights becomes {@link Checkpoint#config()}.
 */
public final class Checkpoints {

    private static final byte[] GGUF_MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

    private Checkpoints() {}

    /**
     * @throws CheckpointException when the path is missing, unreadable, malformed or holds nothing
     *                             loadable
     * @throws IOException         when reading fails for another reason (an I/O error)
     */
    public static Checkpoint open(Path path) throws IOException {
        try {
            if (Files.isDirectory(path)) return ModelFolder.open(path);
            if (!Files.exists(path)) throw new CheckpointException(path, "no such file or folder");
            if (!Files.isRegularFile(path)) throw new CheckpointException(path, "not a file or folder");
            if (isGguf(path)) return GgufReader.open(path);
            Path folder = path.toAbsolutePath().getParent();
            FileCheck check = HfCacheRepo.ofSnapshot(folder).<FileCheck>map(repo -> repo::requireInside)
                    .orElse(FileCheck.NONE);
            check.check(path);
            Map<String, Object> config = ModelFolder.configBeside(folder, check);
            if (path.getFileName().toString().endsWith(".index.json")) {
                return ShardedSafetensorsReader.open(path, path, config, check);
            }
            return SafetensorsReader.open(List.of(path), path, config);
        } catch (NoSuchFileException e) {
            // A link whose target vanished, or a file removed while opening.
            throw new CheckpointException(pathOf(e, path), "no such file (a broken link?)");
        } catch (AccessDeniedException e) {
            throw new CheckpointException(pathOf(e, path), "permission denied");
        }
    }

    /**
     * The loadable models under {@code root}, found by names alone (no tensor data is read): each
     * .gguf file, each folder holding safetensors weights, and each hub cache repo folder
     * {@code models--ORG--NAME} (not descended into). Unreadable entries are skipped; a folder
     * reached twice through links is visited once.
     *
     * @param maxDepth how many levels below {@code root} to look, as Files.walk counts them (0: root
     *                 only, 1: its entries, ...)
     * @return paths in depth-first, name order
     */
    public static List<Path> discover(Path root, int maxDepth) {
        List<Path> found = new ArrayList<>();
        visit(root, 0, maxDepth, found, new HashSet<>());
        return found;
    }

    private static void visit(Path path, int depth, int maxDepth, List<Path> found, Set<Object> visited) {
        try {
            if (!Files.isDirectory(path)) {
                if (ModelFolder.isGgufName(path) && Files.isRegularFile(path)) found.add(path);
                return;
            }
            if (!visited.add(folderIdentity(path))) return;
            if (HfCacheRepo.isRepo(path)) {
                found.add(path);
                return;
            }
            if (ModelFolder.hasSafetensorsWeights(path)) found.add(path);
            if (depth >= maxDepth) return;
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                entries.forEach(children::add);
            }
            children.sort(null);
            for (Path child : children) visit(child, depth + 1, maxDepth, found, visited);
        } catch (IOException | UncheckedIOException | SecurityException unreadable) {
            // Listing a model root must not fail because one entry cannot be read: skip it.
        }
    }

    /** The folder's inode where the file system has one, else its real path. */
    private static Object folderIdentity(Path dir) throws IOException {
        Object key = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
        return key != null ? key : dir.toRealPath();
    }

    private static Path pathOf(FileSystemException e, Path opened) {
        return e.getFile() == null ? opened : Path.of(e.getFile());
    }

    private static boolean isGguf(Path file) throws IOException {
        if (ModelFolder.isGgufName(file)) return true;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(GGUF_MAGIC.length);
            while (head.hasRemaining() && channel.read(head) >= 0) { /* short reads: keep reading */ }
            return !head.hasRemaining() && head.flip().equals(ByteBuffer.wrap(GGUF_MAGIC));
        }
    }
}

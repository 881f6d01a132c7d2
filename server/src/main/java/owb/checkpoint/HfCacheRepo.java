package owb.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model repo in the Hugging Face hub cache (huggingface_hub's layout):
 * <pre>
 * models--ORG--NAME/
 *   blobs/&lt;sha&gt;            file contents
 *   refs/main              the commit hash that "main" pointed to when downloaded
 *   snapshots/&lt;commit&gt;/    the repo's files, as symlinks into ../../blobs/
 * </pre>
 * Files are read through the snapshot's links, and every link must resolve inside the repo
 * folder: a planted link elsewhere is refused, not followed.
 */
record HfCacheRepo(Path folder) {

    static final String PREFIX = "models--";

    /** A commit hash or branch name: one path segment, never "." or "..". */
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9_.-]{1,255}");

    static boolean isRepo(Path dir) {
        Path name = dir.getFileName();
        return name != null && name.toString().startsWith(PREFIX)
                && Files.isDirectory(dir.resolve("snapshots"));
    }

    /** The repo that {@code dir} is a snapshot of, when it is {@code models--X--Y/snapshots/REV}. */
    static Optional<HfCacheRepo> ofSnapshot(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        Path snapshots = absolute.getParent();
        if (snapshots == null || snapshots.getFileName() == null
                || !snapshots.getFileName().toString().equals("snapshots")) {
            return Optional.empty();
        }
        Path repo = snapshots.getParent();
        return repo != null && isRepo(repo) ? Optional.of(new HfCacheRepo(repo)) : Optional.empty();
    }

    /** The snapshot {@code refs/main} names, else the only one, else the most recently modified. */
    Path snapshot() throws IOException {
        Path snapshots = folder.resolve("snapshots");
        Optional<Path> main = mainRevision().map(snapshots::resolve).filter(Files::isDirectory);
        if (main.isPresent()) return main.get();
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(snapshots, Files::isDirectory)) {
            entries.forEach(all::add);
        }
        if (all.isEmpty()) {
            throw new CheckpointException(folder, "Hugging Face cache folder has no snapshot in snapshots/"
                    + " (download incomplete?)");
        }
        return all.stream().max(Comparator.comparing(HfCacheRepo::modified).thenComparing(Path::toString))
                .orElseThrow();
    }

    /** Refuses a file whose link target is missing or lies outside the repo folder. */
    void requireInside(Path file) throws IOException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "link target is missing (incomplete download?)");
        }
        if (!real.startsWith(folder.toRealPath())) {
            throw new CheckpointException(file, "links to " + real + ", outside the cache folder " + folder);
        }
    }

    private Optional<String> mainRevision() throws IOException {
        Path ref = folder.resolve("refs").resolve("main");
        if (!Files.isRegularFile(ref) || Files.size(ref) > 1024) return Optional.empty();
        String revision = new String(Files.readAllBytes(ref), StandardCharsets.UTF_8).strip();
        boolean valid = REVISION.matcher(revision).matches() && !revision.equals(".") && !revision.equals("..");
        return valid ? Optional.of(revision) : Optional.empty();
    }

    private static FileTime modified(Path dir) {
        try {
            return Files.getLastModifiedTime(dir);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}

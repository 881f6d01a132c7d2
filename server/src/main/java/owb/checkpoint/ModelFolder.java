package owb.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the weights in a folder: a Hugging Face model folder (config.json beside
 * model.safetensors, an index and its shards, several shards without an index, or one .gguf), a
 * hub cache repo folder {@code models--ORG--NAME}, or one of its snapshot folders.
 */
final class ModelFolder {

    static final String CONFIG = "config.json";
    static final String SINGLE_FILE = "model.safetensors";
    static final String DEFAULT_INDEX = "model" + SafetensorsIndex.SUFFIX;

    enum Layout { SAFETENSORS_INDEX, SAFETENSORS_FILES, GGUF }

    /** The files that hold a folder's weights, in reading order. */
    record Weights(Layout layout, List<Path> files) {}

    private ModelFolder() {}

    static Checkpoint open(Path dir) throws IOException {
        Path folder = dir;
        HfCacheRepo repo;
        if (HfCacheRepo.isRepo(dir)) {
            repo = new HfCacheRepo(dir);
            folder = repo.snapshot();
        } else {
            repo = HfCacheRepo.ofSnapshot(dir).orElse(null);
        }
        FileCheck check =
                repo == null ? FileCheck.NONE : repo::requireInside;
        Weights weights = weightsIn(folder);
        for (Path file : weights.files()) check.check(file);
        return switch (weights.layout()) {
            case GGUF -> GgufReader.open(weights.files().getFirst());
            case SAFETENSORS_INDEX -> ShardedSafetensorsReader.open(weights.files().getFirst(), dir,
                    configBeside(folder, check), check);
            case SAFETENSORS_FILES -> SafetensorsReader.open(weights.files(), dir, configBeside(folder, check));
        };
    }

    /**
     * config.json in {@code folder} as a JSON map, or null when there is none.
     *
     * @throws CheckpointException when it is there but not a JSON object
     */
    static Map<String, Object> configBeside(Path folder, FileCheck check)
            throws IOException {
        Path config = folder.resolve(CONFIG);
        if (!Files.exists(config)) return null;
        if (!Files.isRegularFile(config)) throw new CheckpointException(config, "not a regular file");
        check.check(config);
        return JsonFiles.readMap(config);
    }

    /** Whether a folder holds safetensors weights, judged by file names alone (nothing opened). */
    static boolean hasSafetensorsWeights(Path dir) throws IOException {
        for (String name : fileNames(dir)) {
            if (name.endsWith(".safetensors") || name.endsWith(SafetensorsIndex.SUFFIX)) return true;
        }
        return false;
    }

    static boolean isGgufName(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /** Preference: an index, then model.safetensors, then every *.safetensors, then one .gguf. */
    static Weights weightsIn(Path folder) throws IOException {
        List<String> names = fileNames(folder);
        List<String> indexes = names.stream().filter(n -> n.endsWith(SafetensorsIndex.SUFFIX)).toList();
        if (indexes.contains(DEFAULT_INDEX)) return weights(Layout.SAFETENSORS_INDEX, folder, List.of(DEFAULT_INDEX));
        if (indexes.size() == 1) return weights(Layout.SAFETENSORS_INDEX, folder, indexes);
        if (indexes.size() > 1) {
            throw new CheckpointException(folder, "several safetensors indexes " + indexes
                    + "; open one of them");
        }
        if (names.contains(SINGLE_FILE)) return weights(Layout.SAFETENSORS_FILES, folder, List.of(SINGLE_FILE));
        List<String> shards = names.stream().filter(n -> n.endsWith(".safetensors")).toList();
        if (!shards.isEmpty()) return weights(Layout.SAFETENSORS_FILES, folder, shards);
        List<String> ggufs = names.stream().filter(n -> isGgufName(Path.of(n))).toList();
        if (ggufs.size() == 1) return weights(Layout.GGUF, folder, ggufs);
        if (ggufs.size() > 1) {
            throw new CheckpointException(folder, "several GGUF files " + ggufs + "; open one of them");
        }
        throw new CheckpointException(folder, "no model weights here: looked for " + DEFAULT_INDEX
                + " (or another *" + SafetensorsIndex.SUFFIX + "), " + SINGLE_FILE
                + ", *.safetensors and *.gguf files, and for a Hugging Face cache folder"
                + " (models--ORG--NAME with snapshots/)" + hint(folder, names));
    }

    private static String hint(Path folder, List<String> names) throws IOException {
        if (names.stream().anyMatch(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth"))) {
            return "; PyTorch .bin/.pt files are not read, convert them to safetensors";
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, HfCacheRepo::isRepo)) {
            if (entries.iterator().hasNext()) return "; this looks like a hub cache: open one of its models--* folders";
        }
        return "";
    }

    private static Weights weights(Layout layout, Path folder, List<String> names) {
        List<Path> files = new ArrayList<>();
        for (String name : names) files.add(folder.resolve(name));
        return new Weights(layout, List.copyOf(files));
    }

    /**
     * Names of the regular files, and of dangling links (so that an incomplete download is
     * reported as such rather than as an empty folder), sorted. Pipes and devices are left out:
     * opening one could block forever.
     */
    private static List<String> fileNames(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        DirectoryStream.Filter<Path> filesOrDanglingLinks =
                p -> Files.isRegularFile(p) || (Files.isSymbolicLink(p) && !Files.exists(p));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, filesOrDanglingLinks)) {
            for (Path p : entries) names.add(p.getFileName().toString());
        }
        names.sort(null);
        return names;
    }
}

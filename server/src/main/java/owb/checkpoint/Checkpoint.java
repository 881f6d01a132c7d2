package owb.checkpoint;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened checkpoint: every tensor of every file it spans, memory-mapped read-only in one arena.
 * Closing it unmaps the files; tensors must not be read after that.
 */
public final class Checkpoint implements AutoCloseable {

    public enum Format {
        SAFETENSORS("safetensors"), GGUF("gguf");

        private final String label;

        Format(String label) { this.label = label; }

        /** As the JSON output spells it. */
        public String label() { return label; }
    }

    private final Format format;
    private final Path path;
    private final List<Path> files;
    private final Map<String, Object> metadata;
    private final Map<String, TensorEntry> tensors;
    private final Map<String, Object> config;
    private final Arena arena;

    /**
     * @param path     what the user named: a file, an index, a folder
     * @param files    the data files, in the order their tensors appear
     * @param metadata safetensors {@code __metadata__} (merged over shards) or GGUF key-values;
     *                 values are String, Long, Double, Boolean or List of those
     * @param tensors  in file order; names must be unique (readers reject duplicates first)
     * @param config   the folder's config.json as a JSON map, or null
     */
    public Checkpoint(Format format, Path path, List<Path> files, Map<String, Object> metadata,
                      List<TensorEntry> tensors, Map<String, Object> config, Arena arena) {
        this.format = format;
        this.path = path;
        this.files = List.copyOf(files);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        LinkedHashMap<String, TensorEntry> byName = new LinkedHashMap<>();
        for (TensorEntry t : tensors) {
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw new CheckpointException(t.file(), t.name(), t.fileOffset(),
                        "duplicate tensor name");
            }
        }
        this.tensors = Collections.unmodifiableMap(byName);
        this.config = config == null ? null : Collections.unmodifiableMap(config);
        this.arena = arena;
    }

    public Format format() { return format; }

    public Path path() { return path; }

    public List<Path> files() { return files; }

    public Map<String, Object> metadata() { return metadata; }

    public List<TensorEntry> tensors() { return List.copyOf(tensors.values()); }

    public Optional<TensorEntry> tensor(String name) { return Optional.ofNullable(tensors.get(name)); }

    public int tensorCount() { return tensors.size(); }

    public long parameterCount() {
        long n = 0;
        for (TensorEntry t : tensors.values()) n += t.numel();
        return n;
    }

    /** config.json next to safetensors weights, when there is one. */
    public Optional<Map<String, Object>> config() { return Optional.ofNullable(config); }

    @Override
    public void close() { arena.close(); }
}

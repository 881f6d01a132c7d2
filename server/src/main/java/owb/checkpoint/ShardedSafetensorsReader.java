package owb.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens a sharded safetensors checkpoint through its index, all shards in one arena, and checks
 * that the index and the shards agree: every tensor the weight_map names is in the shard it names,
 * every tensor of every shard is in the weight_map, and no name appears twice.
 *
 * <p>Metadata: each shard's {@code __metadata__} merged (first shard wins; a later shard whose value
 * differs keeps it under {@code "<shard file>:<key>"}), then the index's {@code metadata} under
 * {@code "index."} (so {@code index.total_size}).
 */
final class ShardedSafetensorsReader {

    static final String INDEX_METADATA_PREFIX = "index.";

    private ShardedSafetensorsReader() {}

    /**
     * @param shownAs   what the user named (the index or its folder)
     * @param config    the folder's config.json, or null
     * @param checkFile applied to each shard before it is opened (the cache layout's symlink rule)
     */
    static Checkpoint open(Path indexFile, Path shownAs, Map<String, Object> config,
                           FileCheck checkFile) throws IOException {
        SafetensorsIndex index = SafetensorsIndex.read(indexFile);
        for (Path shard : index.shards()) checkFile.check(shard);
        Arena arena = Arena.ofShared();
        try {
            List<SafetensorsFile> shards = new ArrayList<>();
            for (Path shard : index.shards()) shards.add(SafetensorsReader.map(shard, arena));
            List<TensorEntry> tensors = agreeingTensors(index, shards);
            return new Checkpoint(Checkpoint.Format.SAFETENSORS, shownAs, index.shards(),
                    mergedMetadata(index, shards), tensors, config, arena);
        } catch (Throwable failure) {
            arena.close();
            throw failure;
        }
    }

    private static List<TensorEntry> agreeingTensors(SafetensorsIndex index, List<SafetensorsFile> shards) {
        Path indexFile = index.file();
        Map<String, String> foundIn = new HashMap<>();
        List<TensorEntry> tensors = new ArrayList<>();
        for (SafetensorsFile shard : shards) {
            String shardName = shard.file().getFileName().toString();
            for (TensorEntry t : shard.tensors()) {
                String earlier = foundIn.putIfAbsent(t.name(), shardName);
                if (earlier != null) {
                    throw new CheckpointException(indexFile, t.name(), -1,
                            "tensor is in both " + earlier + " and " + shardName);
                }
                String listed = index.weightMap().get(t.name());
                if (listed == null) {
                    throw new CheckpointException(indexFile, t.name(), -1,
                            "tensor of shard " + shardName + " is missing from the weight_map");
                }
                if (!listed.equals(shardName)) {
                    throw new CheckpointException(indexFile, t.name(), -1, "weight_map puts the tensor in "
                            + listed + " but it is in " + shardName);
                }
                tensors.add(t);
            }
        }
        for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
            if (!foundIn.containsKey(e.getKey())) {
                throw new CheckpointException(indexFile, e.getKey(), -1,
                        "weight_map puts the tensor in " + e.getValue() + " but that shard has no such tensor");
            }
        }
        return tensors;
    }

    private static Map<String, Object> mergedMetadata(SafetensorsIndex index, List<SafetensorsFile> shards) {
        Map<String, Object> merged = new LinkedHashMap<>();
        for (SafetensorsFile shard : shards) {
            String shardName = shard.file().getFileName().toString();
            shard.metadata().forEach((key, value) -> {
                Object first = merged.putIfAbsent(key, value);
                if (first != null && !first.equals(value)) merged.put(shardName + ":" + key, value);
            });
        }
        index.metadata().forEach((key, value) -> merged.put(INDEX_METADATA_PREFIX + key, value));
        return merged;
    }
}

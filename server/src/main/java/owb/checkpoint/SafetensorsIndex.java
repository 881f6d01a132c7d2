package owb.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A sharded checkpoint's index ({@code model.safetensors.index.json}, as written by transformers'
 * {@code save_pretrained}): {@code {"metadata": {...}, "weight_map": {tensor: shard file}}}.
 * Shard names must be plain file names in the index's own folder.
 *
 * @param weightMap tensor name to shard file name, in index order
 * @param metadata  the index's {@code metadata} object, flattened ({@code total_size},
 *                  nested objects as dotted keys), values String, Long, Double, Boolean or List
 * @param shards    the distinct shard files, sorted by name (model-00001-of-00003 first)
 */
record SafetensorsIndex(Path file, Map<String, String> weightMap, Map<String, Object> metadata,
                        List<Path> shards) {

    static final String SUFFIX = ".safetensors.index.json";

    static SafetensorsIndex read(Path file) throws IOException {
        ObjectNode root = JsonFiles.readObject(file);
        JsonNode weightMapNode = root.get("weight_map");
        if (!(weightMapNode instanceof ObjectNode weightMapObject)) {
            throw new CheckpointException(file, "index has no \"weight_map\" object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        TreeSet<String> shardNames = new TreeSet<>();
        for (Map.Entry<String, JsonNode> e : weightMapObject.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointException(file, e.getKey(), -1,
                        "weight_map value is not a file name: " + e.getValue());
            }
            String shard = e.getValue().asText();
            requirePlainFileName(file, e.getKey(), shard);
            weightMap.put(e.getKey(), shard);
            shardNames.add(shard);
        }
        List<Path> shards = new ArrayList<>();
        for (String name : shardNames) {
            Path shard = file.resolveSibling(name);
            if (!Files.isRegularFile(shard)) {
                throw new CheckpointException(file, "shard '" + name + "' named in weight_map is not a file"
                        + " in " + file.toAbsolutePath().getParent());
            }
            shards.add(shard);
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        JsonNode metadataNode = root.get("metadata");
        if (metadataNode != null && !metadataNode.isNull()) {
            if (!metadataNode.isObject()) throw new CheckpointException(file, "index \"metadata\" is not an object");
            flatten("", metadataNode, metadata);
        }
        return new SafetensorsIndex(file, Collections.unmodifiableMap(weightMap),
                Collections.unmodifiableMap(metadata), List.copyOf(shards));
    }

    /** A shard must name a file beside the index: no separators, no "..", nothing absolute. */
    private static void requirePlainFileName(Path index, String tensor, String shard) {
        boolean plain = !shard.isEmpty() && !shard.equals(".") && !shard.equals("..")
                && shard.indexOf('/') < 0 && shard.indexOf('\\') < 0 && shard.indexOf('\0') < 0;
        if (plain) {
            try {
                Path asPath = Path.of(shard);
                plain = asPath.getNameCount() == 1 && !asPath.isAbsolute();
            } catch (InvalidPathException e) {
                plain = false;
            }
        }
        if (!plain) {
            throw new CheckpointException(index, tensor, -1, "shard '" + shard
                    + "' is not a plain file name in the index's folder");
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, Object> into) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = prefix + e.getKey();
            if (e.getValue().isObject()) {
                flatten(key + ".", e.getValue(), into);
            } else {
                Object value = scalarOrList(e.getValue());
                if (value != null) into.put(key, value);
            }
        }
    }

    private static Object scalarOrList(JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isBoolean()) return node.asBoolean();
        if (node.isIntegralNumber()) return node.canConvertToLong() ? (Object) node.asLong() : node.asText();
        if (node.isNumber()) return node.asDouble();
        if (node.isArray()) {
            List<Object> values = new ArrayList<>();
            for (JsonNode item : node) {
                Object value = item.isObject() ? item.toString() : scalarOrList(item);
                if (value != null) values.add(value);
            }
            return values;
        }
        return null; // JSON null: left out
    }
}

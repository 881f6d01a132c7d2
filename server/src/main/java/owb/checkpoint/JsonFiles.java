package owb.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import owb.json.JsonTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The small JSON files beside weights (config.json, index files), read strictly and bounded. */
final class JsonFiles {

    /** Far above any real config.json or index (a 400B model's index is a few MB). */
    static final long MAX_BYTES = 100_000_000L;

    private JsonFiles() {}

    /**
     * The file's top-level JSON object as a map: numbers as Long or Double (BigInteger/BigDecimal
     * when they do not fit), arrays as List, objects as Map, in file order.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readMap(Path file) throws IOException {
        return (Map<String, Object>) JsonTree.toPlain(readObject(file));
    }

    /** The file's top-level JSON object; anything else is a CheckpointException naming the file. */
    static ObjectNode readObject(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new CheckpointException(file, "JSON file of " + size + " bytes is larger than the "
                    + MAX_BYTES + "-byte limit");
        }
        byte[] bytes = Files.readAllBytes(file);
        JsonNode root;
        try {
            root = JsonTree.parse(JsonTree.STRICT, bytes, JsonTree.Ints.LONG);
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : Math.max(-1, e.getLocation().getByteOffset());
            throw new CheckpointException(file, at, "invalid JSON: " + e.getOriginalMessage());
        }
        if (root == null) throw new CheckpointException(file, "empty JSON file");
        if (!(root instanceof ObjectNode object)) {
            throw new CheckpointException(file, 0, "expected a JSON object, found " + root.getNodeType());
        }
        return object;
    }
}

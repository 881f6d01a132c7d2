package owb.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import owb.testing.GgufFixtures;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixtures samples/make_tokenizer_fixtures.py writes into {owb.fixtures}/tokenizer: tokenizer.json
 * files, GGUF tokenizer metadata dumped as JSON, and the ids Hugging Face gives for the corpus.
 * Generated on demand when the property is missing (running the script with {owb.python}).
 */
final class TokenizerFixtures {
    static final ObjectMapper JSON = new ObjectMapper();
    private static Path folder;

    private TokenizerFixtures() {}

    static synchronized Path folder() throws IOException, InterruptedException {
        if (folder != null) return folder;
        Path root = repositoryRoot();
        Path fixtures = GgufFixtures.generatedRoot();
        Path tokenizer = fixtures.resolve("tokenizer");
        if (!Files.isRegularFile(tokenizer.resolve("expected.json"))) {
            String python = System.getProperty("owb.python", root.resolve(".venv/bin/python").toString());
            Assumptions.assumeTrue(Files.isExecutable(Path.of(python)),
                    "no tokenizer fixtures and no Python to make them: run samples/test-all.sh");
            Process process = new ProcessBuilder(python, root.resolve("samples/make_tokenizer_fixtures.py").toString(),
                    fixtures.toString()).inheritIO().start();
            Assumptions.assumeTrue(process.waitFor() == 0, "samples/make_tokenizer_fixtures.py failed");
        }
        folder = tokenizer;
        return folder;
    }

    static JsonNode expected() throws IOException, InterruptedException {
        return JSON.readTree(folder().resolve("expected.json").toFile());
    }

    static Tokenizer load(JsonNode entry) throws IOException, InterruptedException {
        if (entry.has("tokenizer_json")) return Tokenizer.fromTokenizerJson(folder().resolve(entry.get("tokenizer_json").asText()));
        return Tokenizer.fromGgufMetadata(ggufMetadata(folder().resolve(entry.get("gguf_metadata").asText())));
    }

    /**
     * GGUF key-values dumped by the gguf package, in the shape the GGUF reader gives them:
     * integers as Long, floats as Double, arrays as List.
     */
    static Map<String, Object> ggufMetadata(Path json) throws IOException {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : JSON.readTree(json.toFile()).properties()) {
            metadata.put(e.getKey(), ggufValue(e.getValue()));
        }
        return metadata;
    }

    private static Object ggufValue(JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isBoolean()) return node.asBoolean();
        if (node.isIntegralNumber()) return node.asLong();
        if (node.isNumber()) return node.asDouble();
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            for (JsonNode item : node) list.add(ggufValue(item));
            return list;
        }
        throw new IllegalArgumentException("not a GGUF value: " + node);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("samples")) ? here : here.getParent();
    }
}

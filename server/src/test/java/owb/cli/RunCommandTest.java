package owb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.report.Npy;
import owb.testing.GgufFixtures;

class RunCommandTest {

    record Result(int status, String out, String err) {
        JsonNode json() throws IOException { return new JsonMapper().readTree(out); }
    }

    static Result owb(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Path fixturesRoot() { return GgufFixtures.generatedRoot(); }

    static Path fixture(String model) { return GgufFixtures.tinyModel(model); }

    @Test
    void jsonListsTokensPredictionsPerPositionAndTheGreedyContinuation() throws IOException {
        // prompt p0 of the fixtures; its greedy continuation is in samples/fixtures/models/README.md
        Result r = owb("run", fixture("llama").toString(), "--tokens", "500,483,367,52,402", "--top", "3",
                "--generate", "10", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        assertEquals(5, doc.get("tokens").size());
        assertEquals(500, doc.get("tokens").get(0).get("id").asInt());
        assertEquals("<500>", doc.get("tokens").get(0).get("text").asText(), "no tokenizer: ids as text");
        JsonNode predictions = doc.get("predictions");
        assertEquals(5, predictions.size(), "one list per input position");
        for (JsonNode next : predictions) {
            assertEquals(3, next.size());
            double previous = 0;
            for (JsonNode p : next) {
                assertTrue(p.has("id") && p.has("text") && p.has("logprob"), p.toString());
                assertTrue(p.get("logprob").asDouble() <= previous, "sorted, log-probabilities");
                previous = p.get("logprob").asDouble();
            }
        }
        List<Integer> generated = new ArrayList<>();
        doc.get("generated").forEach(t -> generated.add(t.get("id").asInt()));
        assertEquals(expectedGreedy(), generated);
        assertEquals(generated.getFirst(), predictions.get(4).get(0).get("id").asInt());
        assertTrue(doc.get("generated_text").isTextual());
    }

    private static List<Integer> expectedGreedy() throws IOException {
        // p0.generated of llama/expected.safetensors, read the way the model tests read it
        try (var c = owb.checkpoint.Checkpoints.open(fixture("llama").resolve("expected.safetensors"))) {
            float[] ids = owb.tensor.TensorReader.readAll(c.tensor("p0.generated").orElseThrow());
            List<Integer> out = new ArrayList<>();
            for (float id : ids) out.add((int) id);
            return out;
        }
    }

    @Test
    void saveHooksWritesOneNpyPerHookPointShapedAsTransformerLens(@TempDir Path dir) throws IOException {
        Result r = owb("run", fixture("gpt2").resolve("model-q8_0.gguf").toString(), "--tokens", "1,2,3,4,5",
                "--save-hooks", "blocks.0.attn.hook_*", "--save-hooks", "hook_embed", "--out", dir.toString());
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(new int[] {5, 64}, Npy.read(dir.resolve("hook_embed.npy")).shape());
        assertArrayEquals(new int[] {5, 4, 16}, Npy.read(dir.resolve("blocks.0.attn.hook_q.npy")).shape());
        assertArrayEquals(new int[] {5, 4, 16}, Npy.read(dir.resolve("blocks.0.attn.hook_z.npy")).shape());
        Npy.Array pattern = Npy.read(dir.resolve("blocks.0.attn.hook_pattern.npy"));
        assertArrayEquals(new int[] {4, 5, 5}, pattern.shape());
        assertEquals(1f, pattern.values()[0], 1e-6, "the first query sees only itself");
        assertFalse(Files.exists(dir.resolve("blocks.0.attn.hook_rot_q.npy")), "GPT-2 has no rotary");
        assertFalse(Files.exists(dir.resolve("blocks.1.attn.hook_q.npy")), "only what matches");
        assertTrue(r.out().contains("saved"), r.out());
    }

    @Test
    void aPromptIsTokenizedByTheTokenizerJsonBesideTheWeights(@TempDir Path dir) throws IOException {
        Path tokenizer = fixturesRoot().resolve("tokenizer/llama2-spm.tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            GgufFixtures.run(List.of(GgufFixtures.python(), "samples/make_tokenizer_fixtures.py", fixturesRoot().toString()));
        }
        // the llama fixture's weights with a SentencePiece tokenizer of ids that fit its 512 rows
        for (String file : List.of("config.json", "model.safetensors")) Files.copy(fixture("llama").resolve(file), dir.resolve(file));
        Files.copy(tokenizer, dir.resolve("tokenizer.json"));
        Result r = owb("run", dir.toString(), "--prompt", "the cat", "--top", "1", "--generate", "2", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode tokens = r.json().get("tokens");
        assertEquals("<s>", tokens.get(0).get("text").asText(), "BOS added by the post-processor");
        assertEquals(" the", tokens.get(1).get("text").asText());
        assertTrue(r.json().get("predictions").get(0).get(0).get("text").isTextual());
    }

    @Test
    void readableOutputShowsTheNextTokens() {
        Result r = owb("run", fixture("qwen2").toString(), "--tokens", "1,2,3", "--top", "2", "--generate", "3");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("next token after \"<3>\""), r.out());
        assertTrue(r.out().contains(" 2. "), r.out());
        assertTrue(r.out().contains("generated  3 tokens"), r.out());
    }

    @Test
    void badInputEndsInOneErrorLineAndExitTwo(@TempDir Path dir) throws IOException {
        String llama = fixture("llama").toString();
        assertError(owb("run", llama, "--tokens", "1,512"), "token id 512 is outside the vocabulary");
        assertError(owb("run", llama, "--tokens", "1,x"), "--tokens expects");
        assertError(owb("run", llama, "--prompt", ""), "--prompt is empty");
        assertError(owb("run", llama, "--prompt", "hello"), "no tokenizer.json");
        assertError(owb("run", llama, "--prompt", "a", "--tokens", "1"), "either --prompt or --tokens");
        assertError(owb("run", llama, "--tokens", "1", "--save-hooks", "*"), "--save-hooks and --out go together");
        assertError(owb("run", llama, "--tokens", "1", "--save-hooks", "blocks.9.*", "--out", dir.toString()),
                "matches no hook point");
        assertError(owb("run", dir.resolve("missing").toString(), "--tokens", "1"), "no such file");

        Path bert = Files.createDirectories(dir.resolve("bert"));
        Files.copy(fixture("llama").resolve("model.safetensors"), bert.resolve("model.safetensors"));
        Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\"}");
        assertError(owb("run", bert.toString(), "--tokens", "1"), "unsupported architecture 'bert'");

        Path deeper = Files.createDirectories(dir.resolve("deeper"));
        Files.copy(fixture("llama").resolve("model.safetensors"), deeper.resolve("model.safetensors"));
        Files.writeString(deeper.resolve("config.json"), Files.readString(fixture("llama").resolve("config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        assertError(owb("run", deeper.toString(), "--tokens", "1"), "needs tensor 'model.layers.2.");
    }

    private static void assertError(Result r, String fragment) {
        assertEquals(2, r.status(), r.out() + r.err());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("error: ") && first.contains(fragment), "stderr: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void smolLm2ContinuesTheCapitalOfFranceWithParis() throws IOException {
        Result r = owb("run", GgufFixtures.smollm2().toString(), "--prompt", "The capital of France is",
                "--generate", "20", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        assertEquals("The", doc.get("tokens").get(0).get("text").asText(), "no BOS: SmolLM2's tokenizer adds none");
        assertEquals(20, doc.get("generated").size());
        assertTrue(doc.get("generated_text").asText().startsWith(" Paris"), doc.get("generated_text").asText());
    }

    private static void assertArrayEquals(int[] expected, int[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }
}

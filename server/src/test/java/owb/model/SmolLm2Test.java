package owb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import owb.testing.GgufFixtures;
import owb.testing.SmolLm2Model;
import owb.tokenizer.Tokenizer;

/**
 * End to end on a released model nobody here made: SmolLM2-135M-Instruct, Q4_1 GGUF (with a Q8_0
 * token embedding), against the reference continuations in samples/fixtures/smollm2.
 */
class SmolLm2Test {
    private static SmolLm2Model smollm2;
    private static LanguageModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        smollm2 = SmolLm2Model.open();
        model = smollm2.model();
        tokenizer = smollm2.tokenizer();
    }

    @AfterAll
    static void close() {
        if (smollm2 != null) smollm2.close();
    }

    @Test
    void continuesTheCapitalOfFranceWithParis() {
        int[] prompt = tokenizer.encode("The capital of France is", true);
        String text = tokenizer.decode(model.generate(prompt, 20), false);
        assertTrue(text.startsWith(" Paris"), text);
    }

    /**
     * samples/fixtures/smollm2/continuations.json: 20 greedy tokens for five prompts from
     * transformers (float32 on the dequantized GGUF weights, the computation this engine does)
     * and from llama.cpp (which quantizes activations to 8 bits for quantized matmuls, so its
     * continuations part from transformers' where the top two logits are close). Ours must equal
     * transformers' everywhere and llama.cpp's up to the step where llama.cpp and transformers part.
     */
    @Test
    void greedyContinuationsEqualTheReferences() throws IOException {
        Path file = GgufFixtures.repoRoot().resolve("samples/fixtures/smollm2/continuations.json");
        assumeTrue(Files.isRegularFile(file), "no " + file);
        JsonNode doc = new JsonMapper().readTree(file.toFile());
        for (JsonNode p : doc.get("prompts")) {
            String text = p.get("text").asText();
            int[] prompt = ids(p.get("prompt_ids"));
            assertArrayEquals(prompt, tokenizer.encode(text, true), "tokens of " + text);
            int[] ours = model.generate(prompt, doc.get("new_tokens").asInt());
            assertArrayEquals(ids(p.get("transformers").get("ids")), ours, "continuation of " + text);
            int[] llamaCpp = ids(p.get("llama_cpp").get("ids"));
            JsonNode divergence = p.get("first_divergence");
            int agree = divergence == null || divergence.isNull() ? llamaCpp.length : divergence.get("step").asInt();
            assertArrayEquals(Arrays.copyOf(llamaCpp, agree), Arrays.copyOf(ours, agree), "llama.cpp's continuation of " + text);
            assertEquals(llamaCpp.length, ours.length);
        }
    }

    private static int[] ids(JsonNode list) {
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = list.get(i).asInt();
        return ids;
    }
}

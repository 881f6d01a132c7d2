package owb.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.testing.GgufFixtures;
import owb.tokenizer.Tokenizer;

/** End to end on a released model nobody here made: SmolLM2-135M-Instruct, Q4_1 GGUF (with Q8_0 embeddings). */
class SmolLm2Test {

    @Test
    void continuesTheCapitalOfFranceWithParis() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(GgufFixtures.smollm2())) {
            LanguageModel model = ModelLoader.load(checkpoint);
            Tokenizer tokenizer = Tokenizer.fromGgufMetadata(checkpoint.metadata());
            int[] prompt = tokenizer.encode("The capital of France is", true);
            long t0 = System.nanoTime();
            int[] generated = model.generate(prompt, 20);
            String text = tokenizer.decode(generated, false);
            System.out.printf("SmolLM2: %s -> %s (%.1f s)%n", java.util.Arrays.toString(prompt), text.replace("\n", "\\n"),
                    (System.nanoTime() - t0) / 1e9);
            assertTrue(text.startsWith(" Paris"), text);
        }
    }
}

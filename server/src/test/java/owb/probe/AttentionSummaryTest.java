package owb.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Activation;
import owb.model.LanguageModel;
import owb.model.ModelLoader;

class AttentionSummaryTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama-gqa", "mistral"})
    void patternsAreTheHookPatternsHuggingFaceComputed(String name) throws IOException {
        Path dir = ProbeFixtures.model(name);
        Map<String, float[]> expected = ProbeFixtures.expected(dir.resolve("expected.safetensors"));
        int[] tokens = ProbeFixtures.ids(expected.get("p1.tokens"));
        try (Checkpoint checkpoint = Checkpoints.open(dir.resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            AttentionSummary.Result result = AttentionSummary.run(model, tokens);
            int heads = model.config().nHeads();
            assertEquals(model.config().nLayers() * heads, result.heads().size());
            float[] attentions = expected.get("p1.attentions");        // [layers, heads, q, k]: Hugging Face's output_attentions
            int size = heads * tokens.length * tokens.length;
            for (int l = 0; l < model.config().nLayers(); l++) {
                float[] got = result.pattern(l).data();
                assertEquals(size, got.length);
                for (int i = 0; i < size; i++) assertEquals(attentions[l * size + i], got[i], 1e-5, "layer " + l + " at " + i);
                for (int h = 0; h < heads; h++) {
                    AttentionSummary.HeadScores s = result.scores(l, h);
                    assertEquals(l, s.layer());
                    assertEquals(h, s.head());
                    assertTrue(s.entropy() >= 0 && s.entropy() <= Math.log(tokens.length), s.toString());
                    assertTrue(s.sink() >= 0 && s.sink() <= 1 + 1e-6, s.toString());
                    assertTrue(s.previousToken() >= 0 && s.previousToken() <= 1 + 1e-6, s.toString());
                }
                List<List<AttentionSummary.KeyWeight>> top = AttentionSummary.topKeys(result.pattern(l), 0, 2);
                for (int q = 0; q < tokens.length; q++) {
                    float max = 0;
                    for (int k = 0; k < tokens.length; k++) max = Math.max(max, result.pattern(l).get(0, q, k));
                    assertEquals(max, top.get(q).getFirst().weight());
                    assertTrue(top.get(q).getFirst().key() <= q);
                }
            }
            assertEquals(heads * model.config().nLayers(),
                    ((List<?>) result.toJson().get("heads")).size());
        }
    }

    /** tokens 5 7 9 5 7 9 and one head whose rows are written by hand. */
    @Test
    void scoresOfAConstructedPattern() {
        int[] tokens = {5, 7, 9, 5, 7, 9};
        int n = tokens.length;
        Activation pattern = new Activation(new float[n * n], new int[] {1, n, n});
        pattern.set(1f, 0, 0, 0);
        pattern.set(1f, 0, 1, 0);
        pattern.set(1f, 0, 2, 1);
        pattern.set(0.4f, 0, 3, 0);    // earlier 5 at 0: duplicate
        pattern.set(0.6f, 0, 3, 1);    // after the earlier 5: induction
        pattern.set(0.5f, 0, 4, 2);    // after the earlier 7: induction
        pattern.set(0.5f, 0, 4, 4);
        pattern.set(1f, 0, 5, 3);      // after the earlier 9: induction
        AttentionSummary.HeadScores s = AttentionSummary.score(0, 0, pattern, tokens);
        assertEquals((0.6 + 0.5 + 1.0) / 3, s.induction(), 1e-7);
        assertEquals(0.4 / 3, s.duplicateToken(), 1e-7);
        assertEquals(2.0 / 5, s.previousToken(), 1e-7);
        assertEquals(2.4 / 6, s.sink(), 1e-7);
        double h3 = -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4));
        assertEquals((h3 + Math.log(2)) / 6, s.entropy(), 1e-7);
    }

    @Test
    void noRepeatsLeavesInductionUndefined() {
        int[] tokens = {1, 2, 3};
        Activation pattern = new Activation(new float[] {1, 0, 0, .5f, .5f, 0, .2f, .3f, .5f}, new int[] {1, 3, 3});
        AttentionSummary.HeadScores s = AttentionSummary.score(0, 0, pattern, tokens);
        assertTrue(Double.isNaN(s.induction()));
        assertTrue(Double.isNaN(s.duplicateToken()));
        assertEquals(null, s.toJson().get("induction"));
    }

    @Test
    void inductionPromptIsARandomSequenceTwice() {
        int[] a = AttentionSummary.inductionPrompt(7, 20, 500, OptionalInt.of(1));
        assertEquals(41, a.length);
        assertEquals(1, a[0]);
        assertArrayEquals(Arrays.copyOfRange(a, 1, 21), Arrays.copyOfRange(a, 21, 41));
        assertArrayEquals(a, AttentionSummary.inductionPrompt(7, 20, 500, OptionalInt.of(1)));
        assertNotEquals(Arrays.toString(a), Arrays.toString(AttentionSummary.inductionPrompt(8, 20, 500, OptionalInt.of(1))));
        int[] b = AttentionSummary.inductionPrompt(7, 10, 50);
        assertEquals(20, b.length);
        for (int t : b) assertTrue(t >= 0 && t < 50);
    }

    @Test
    void topKeysWithoutKeepingPatternsAgreeWithTheFullPatterns() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model("llama-gqa").resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int[] tokens = AttentionSummary.inductionPrompt(1, 12, 512, OptionalInt.of(1));
            AttentionSummary.Result full = AttentionSummary.run(model, tokens);
            AttentionSummary.Sparse sparse = AttentionSummary.runTopKeys(model, tokens, 3);
            assertEquals(full.heads(), sparse.heads());
            for (int l = 0; l < model.config().nLayers(); l++) {
                for (int h = 0; h < model.config().nHeads(); h++) {
                    assertEquals(AttentionSummary.topKeys(full.pattern(l), h, 3), sparse.topKeys().get(l).get(h));
                }
            }
        }
    }
}

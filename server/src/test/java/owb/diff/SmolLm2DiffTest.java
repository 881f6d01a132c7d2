package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.FineTuneDiff.TensorDiff;
import owb.diff.TensorPairing.Status;

/**
 * The released SmolLM2-135M-Instruct Q4_1 GGUF against the fine-tunes of samples/make_smollm2_diff.py:
 * the diff finds exactly the three edits, across formats too.
 */
class SmolLm2DiffTest {

    private static final double ZERO = 1e-10;   // see BehaviourDiffTest.ZERO

    private static Map<String, TensorDiff> diff(Path base, Path derivative) throws IOException {
        try (Checkpoint b = Checkpoints.open(base); Checkpoint d = Checkpoints.open(derivative)) {
            Map<String, TensorDiff> byName = new HashMap<>();
            for (TensorDiff t : FineTuneDiff.run(b, d).tensors()) byName.put(t.name(), t);
            return byName;
        }
    }

    private static JsonNode expected(Path pair) throws IOException {
        return JsonMapper.builder().build().readTree(pair.resolve("expected.json").toFile());
    }

    @Test
    void theGgufAgainstTheFloat32FineTuneShowsExactlyTheEditsAcrossFormats() throws IOException {
        Path pair = DiffFixtures.smollm2Pair();
        Map<String, TensorDiff> diffs = diff(DiffFixtures.smollm2Gguf(), pair.resolve("derivative"));
        assertFindsExactlyTheEdits(expected(pair), diffs);
        TensorDiff k = diffs.get("model.layers.3.self_attn.k_proj.weight");
        assertEquals(3, k.pair().base().rotaryHeads(), "GGUF k rows un-permuted against the Hugging Face order");
        assertEquals("equal after decoding", k.note(), "Q4_1 decoded equals the float32 export");
        assertEquals(9, diffs.get("model.layers.12.self_attn.q_proj.weight").pair().base().rotaryHeads());
    }

    @Test
    void theGgufAgainstItsEditedCopyShowsExactlyTheEdits() throws IOException {
        Path pair = DiffFixtures.smollm2Pair();
        Map<String, TensorDiff> diffs = diff(DiffFixtures.smollm2Gguf(), pair.resolve("derivative.gguf"));
        assertFindsExactlyTheEdits(expected(pair), diffs);
        assertNull(diffs.get("model.layers.0.mlp.up_proj.weight").stats(), "bitwise equal: nothing to read");
    }

    private static void assertFindsExactlyTheEdits(JsonNode expected, Map<String, TensorDiff> diffs) {
        Set<String> seen = new HashSet<>();
        for (JsonNode edit : expected.get("changed")) {
            String name = edit.get("tensor").asText();
            seen.add(name);
            TensorDiff t = diffs.get(name);
            assertEquals(Status.CHANGED, t.status(), name);
            double rel = edit.get("rel_change").asDouble();
            assertEquals(rel, t.stats().relChange(), rel * 0.01, name);
            if (edit.get("kind").asText().equals("low_rank")) {
                assertEquals(edit.get("rank").asInt(), t.lowRank().rank(), name + " " + t.verdict());
                assertTrue(t.verdict().startsWith("rank-4 update, consistent with a merged LoRA"), t.verdict());
            } else {
                assertNull(t.lowRank(), name);
            }
        }
        for (JsonNode u : expected.get("unchanged")) {
            seen.add(u.asText());
            assertEquals(Status.UNCHANGED, diffs.get(u.asText()).status(), u.asText());
        }
        assertEquals(seen, diffs.keySet(), "no tensor added or removed");
        assertEquals(272, diffs.size());
    }

    @Test
    void behaviourMovesFromTheFirstEditedBlockOn() throws IOException {
        Path pair = DiffFixtures.smollm2Pair();
        int edited = expected(pair).get("layer").asInt();
        try (Checkpoint b = Checkpoints.open(DiffFixtures.smollm2Gguf());
             Checkpoint d = Checkpoints.open(pair.resolve("derivative.gguf"))) {
            BehaviourDiff.Result r = BehaviourDiff.compare(b, d, List.of("The capital of France is"), 5).getFirst();
            assertTrue(r.notes().isEmpty(), r.notes().toString());
            for (int p = 0; p < r.positions(); p++) {
                for (int layer = 0; layer <= edited; layer++) assertEquals(0.0, r.kl(layer, p), ZERO, layer + "," + p);
            }
            for (int layer = edited + 1; layer <= r.layers(); layer++) {
                assertTrue(r.kl(layer, r.positions() - 1) > 1e-6, "layer " + layer + ": " + r.kl(layer, r.positions() - 1));
            }
            for (int h = 0; h < r.heads(); h++) {
                for (int layer = 0; layer < edited; layer++) assertEquals(0.0, r.js(layer, h), ZERO);
            }
            double layerMax = 0;
            for (int h = 0; h < r.heads(); h++) layerMax = Math.max(layerMax, r.js(edited, h));
            assertTrue(layerMax > 1e-4, "q_proj of block " + edited + " changed its patterns: " + layerMax);
        }
    }

    @Test
    void theGgufVocabularyAndTheExportedTokenizerJsonAgree() throws IOException {
        Path pair = DiffFixtures.smollm2Pair();
        try (Checkpoint b = Checkpoints.open(DiffFixtures.smollm2Gguf());
             Checkpoint d = Checkpoints.open(pair.resolve("derivative"))) {
            BehaviourDiff.Vocabulary v = BehaviourDiff.Vocabulary.of(b, d);
            assertTrue(v.notes().isEmpty(), v.notes().toString());
            assertEquals(" Paris", v.text(7042));
        }
    }
}

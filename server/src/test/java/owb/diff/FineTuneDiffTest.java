package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.FineTuneDiff.TensorDiff;
import owb.diff.TensorPairing.Status;

class FineTuneDiffTest {

    private static Map<String, TensorDiff> diff(Path base, Path derivative) throws IOException {
        try (Checkpoint b = Checkpoints.open(base); Checkpoint d = Checkpoints.open(derivative)) {
            Map<String, TensorDiff> byName = new HashMap<>();
            for (TensorDiff t : FineTuneDiff.run(b, d).tensors()) byName.put(t.name(), t);
            return byName;
        }
    }

    @Test
    void findsExactlyTheKnownEditsOfTheSafetensorsFineTune() throws IOException {
        Path folder = DiffFixtures.folder();
        assertFindsKnownEdits(diff(folder.resolve("base"), folder.resolve("derivative")));
    }

    @Test
    void findsTheSameEditsInTheGgufConversionAfterUndoingTheRotaryPermutation() throws IOException {
        Path folder = DiffFixtures.folder();
        Map<String, TensorDiff> diffs = diff(folder.resolve("base"), folder.resolve("derivative.gguf"));
        assertFindsKnownEdits(diffs);
        TensorDiff k = diffs.get("model.layers.0.self_attn.k_proj.weight");
        assertEquals(2, k.pair().derivative().rotaryHeads());
        assertEquals(Status.UNCHANGED, k.status(), "k_proj equal once un-permuted");
    }

    private static void assertFindsKnownEdits(Map<String, TensorDiff> diffs) throws IOException {
        JsonNode expected = DiffFixtures.expected();
        Set<String> seen = new HashSet<>();
        for (JsonNode edit : expected.get("changed")) {
            String name = edit.get("tensor").asText();
            seen.add(name);
            TensorDiff t = diffs.get(name);
            assertEquals(Status.CHANGED, t.status(), name);
            double rel = edit.get("rel_change").asDouble();
            assertEquals(rel, t.stats().relChange(), rel * 0.01, name + " rel_change");
            switch (edit.get("kind").asText()) {
                case "low_rank" -> {
                    assertEquals(edit.get("rank").asInt(), t.lowRank().rank(), name + " rank");
                    assertTrue(t.verdict().startsWith("rank-" + edit.get("rank").asInt() + " update"), t.verdict());
                    assertEquals(1.0, t.lowRank().energy()[t.lowRank().rank() - 1], 1e-6);
                }
                case "full_rank" -> {
                    assertTrue(t.lowRank().rank() >= 60, name + " rank " + t.lowRank().rank());
                    assertEquals("full-rank, small", t.verdict());
                }
                case "norm" -> assertNull(t.lowRank(), "1-D tensors have no spectrum");
                default -> throw new AssertionError(edit.toString());
            }
        }
        for (JsonNode r : expected.get("reshaped")) {
            String name = r.get("tensor").asText();
            seen.add(name);
            TensorDiff t = diffs.get(name);
            assertEquals(Status.RESHAPED, t.status(), name);
            assertEquals(r.get("new_rows").asLong(), t.pair().newRows());
            assertEquals(r.get("shape_base").get(0).asLong(), t.pair().sharedRows());
            assertEquals(0.0, t.stats().fractionChanged(), name + ": the shared rows are untouched");
        }
        for (JsonNode u : expected.get("unchanged")) {
            String name = u.asText();
            seen.add(name);
            assertEquals(Status.UNCHANGED, diffs.get(name).status(), name);
        }
        assertEquals(seen, diffs.keySet(), "no tensor added or removed");
    }

    @Test
    void findsTheEditsBetweenTwoQ8_0ConversionsWithLowRankUpdatesAboveTheQuantizationNoise() throws IOException {
        Path folder = DiffFixtures.folder();
        Map<String, TensorDiff> diffs = diff(folder.resolve("base.q8_0.gguf"), folder.resolve("derivative.q8_0.gguf"));
        JsonNode expected = DiffFixtures.expected();
        for (JsonNode u : expected.get("unchanged")) {
            assertEquals(Status.UNCHANGED, diffs.get(u.asText()).status(), u.asText());
        }
        for (JsonNode r : expected.get("reshaped")) {
            assertEquals(Status.RESHAPED, diffs.get(r.get("tensor").asText()).status());
        }
        for (JsonNode edit : expected.get("changed")) {
            TensorDiff t = diffs.get(edit.get("tensor").asText());
            assertEquals(Status.CHANGED, t.status(), t.name());
            if (!edit.get("kind").asText().equals("low_rank")) continue;
            // Base and fine-tune are quantized independently: Q8_0 noise (~0.7% of the weights) adds
            // a full-rank floor, so the numerical rank saturates; the spectral gap still shows the update.
            double rel = edit.get("rel_change").asDouble();
            assertEquals(rel, t.stats().relChange(), rel * 0.02, t.name());
            assertTrue(t.lowRank().saturated());
            assertEquals(edit.get("rank").asInt(), t.lowRank().dominantRank(), t.name());
            assertTrue(t.verdict().startsWith("rank-" + edit.get("rank").asInt() + " update over a noise floor"),
                    t.verdict());
        }
        assertTrue(diffs.get("model.layers.3.self_attn.v_proj.weight").verdict().startsWith("full-rank"));
    }

    @Test
    void aggregatesPerLayerAndModuleKind() throws IOException {
        Path folder = DiffFixtures.folder();
        try (Checkpoint b = Checkpoints.open(folder.resolve("base"));
             Checkpoint d = Checkpoints.open(folder.resolve("derivative"))) {
            var cells = FineTuneDiff.run(b, d).aggregates();
            var q1 = cells.stream().filter(c -> c.layer() == 1 && c.kind() == ModuleKind.ATTN_Q).findFirst().orElseThrow();
            assertEquals(1, q1.changed());
            assertEquals(0.05, q1.relChange(), 0.0005);
            var q0 = cells.stream().filter(c -> c.layer() == 0 && c.kind() == ModuleKind.ATTN_Q).findFirst().orElseThrow();
            assertEquals(0, q0.changed());
            assertNotNull(q0);
        }
    }
}

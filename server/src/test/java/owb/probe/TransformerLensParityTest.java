package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Activation;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.testing.GgufFixtures;

/**
 * The probes give TransformerLens's numbers: patterns, the logit lens, direct logit attribution and
 * activation patching on the tiny fixture models, against what transformer-lens computed on the same checkpoints
 * (samples/fixtures/transformer_lens/, written by samples/transformer_lens_reference.py).
 * Tolerances: float32 forward passes on both sides, compared in absolute terms on values of order 1.
 */
class TransformerLensParityTest {

    static final double PATTERN_TOLERANCE = 1e-5;
    static final double PROB_TOLERANCE = 1e-5;
    static final double NATS_TOLERANCE = 1e-4;
    static final double LOGIT_TOLERANCE = 1e-4;
    /** Normalised patching values: a logit tolerance over a clean-corrupted gap of order 10. */
    static final double PATCHING_TOLERANCE = 1e-4;

    static JsonNode reference(String model) throws IOException {
        Path file = GgufFixtures.repoRoot().resolve("samples/fixtures/transformer_lens/" + model + ".json");
        return new ObjectMapper().readTree(file.toFile());
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }


    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama-gqa"})
    void attentionPatternsEqualTransformerLens(String name) throws IOException {
        JsonNode ref = reference(name);
        int[] tokens = ints(ref.get("tokens"));
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            Hooks hooks = new Hooks().capture("blocks.*.attn.hook_pattern");
            model.forward(tokens, hooks);
            JsonNode patterns = ref.get("patterns");
            int n = tokens.length;
            for (int l = 0; l < model.config().nLayers(); l++) {
                Activation pattern = hooks.cache().get("blocks." + l + ".attn.hook_pattern"); // [head, q, k]
                for (int h = 0; h < model.config().nHeads(); h++) {
                    for (int q = 0; q < n; q++) {
                        for (int k = 0; k < n; k++) {
                            assertEquals(patterns.get(l).get(h).get(q).get(k).asDouble(),
                                    pattern.data()[(h * n + q) * n + k], PATTERN_TOLERANCE,
                                    name + " L" + l + "H" + h + " q" + q + " k" + k);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama-gqa"})
    void logitLensEqualsTransformerLens(String name) throws IOException {
        JsonNode ref = reference(name);
        int[] tokens = ints(ref.get("tokens"));
        int answer = ref.get("answer").asInt();
        JsonNode lens = ref.get("lens");
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            LogitLens.Result ours = LogitLens.run(model, tokens, 1, OptionalInt.of(answer), id -> "<" + id + ">");
            for (int layer = 0; layer <= model.config().nLayers(); layer++) {
                for (int p = 0; p < tokens.length; p++) {
                    LogitLens.Cell cell = ours.cell(layer, p);
                    String where = name + " layer " + layer + " position " + p;
                    assertEquals(lens.get("entropy").get(layer).get(p).asDouble(), cell.entropy(), NATS_TOLERANCE, where);
                    assertEquals(lens.get("kl_to_final").get(layer).get(p).asDouble(), cell.klToFinal(), NATS_TOLERANCE, where);
                    assertEquals(lens.get("answer_prob").get(layer).get(p).asDouble(), cell.targetProb(), PROB_TOLERANCE, where);
                    assertEquals(lens.get("top").get(layer).get(p).asInt(), cell.top().getFirst().id(), where);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama-gqa"})
    void directLogitAttributionEqualsTransformerLens(String name) throws IOException {
        JsonNode ref = reference(name);
        int[] tokens = ints(ref.get("tokens"));
        int last = tokens.length - 1;
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            DirectLogitAttribution.Result dla = DirectLogitAttribution.run(model, tokens, last,
                    ref.get("answer").asInt(), OptionalInt.of(ref.get("wrong").asInt()));
            assertEquals(ref.get("clean_metric").asDouble(), dla.logit(), LOGIT_TOLERANCE, name + " logit difference");
            Map<String, Double> byName = new HashMap<>();
            for (DirectLogitAttribution.Component c : dla.components()) byName.put(c.name(), c.value());
            JsonNode heads = ref.get("dla").get("heads");
            JsonNode mlps = ref.get("dla").get("mlps");
            for (int l = 0; l < model.config().nLayers(); l++) {
                for (int h = 0; h < model.config().nHeads(); h++) {
                    assertEquals(heads.get(l).get(h).asDouble(), byName.get("L" + l + "H" + h), LOGIT_TOLERANCE,
                            name + " L" + l + "H" + h);
                }
                assertEquals(mlps.get(l).asDouble(), byName.get("L" + l + ".mlp"), LOGIT_TOLERANCE, name + " L" + l + ".mlp");
            }
        }
    }

    /**
     * TransformerLens's get_act_patch_resid_pre / _attn_out / _mlp_out / _attn_head_out_all_pos give
     * the raw metric of each patched run; ours is normalised by the clean and corrupted metrics.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama-gqa"})
    void activationPatchingEqualsTransformerLens(String name) throws IOException {
        JsonNode ref = reference(name);
        ActivationPatching.Pair pair = new ActivationPatching.Pair(ints(ref.get("tokens")), ints(ref.get("corrupted")),
                ref.get("answer").asInt(), ref.get("wrong").asInt());
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            ActivationPatching.Result ours = ActivationPatching.run(ModelLoader.load(checkpoint), pair);
            double clean = ref.get("clean_metric").asDouble();
            double corrupted = ref.get("corrupted_metric").asDouble();
            assertEquals(clean, ours.cleanDiff(), LOGIT_TOLERANCE, name + " clean logit difference");
            assertEquals(corrupted, ours.corruptedDiff(), LOGIT_TOLERANCE, name + " corrupted logit difference");
            Map<ActivationPatching.Kind, String> keys = Map.of(ActivationPatching.Kind.RESID_PRE, "resid_pre",
                    ActivationPatching.Kind.ATTN_OUT, "attn_out", ActivationPatching.Kind.MLP_OUT, "mlp_out",
                    ActivationPatching.Kind.HEADS, "head_out_all_pos");
            for (var e : keys.entrySet()) {
                JsonNode theirs = ref.get("patching").get(e.getValue());
                double[][] grid = ours.grid(e.getKey());
                assertEquals(theirs.size(), grid.length, name + " " + e.getValue() + " layers");
                for (int l = 0; l < grid.length; l++) {
                    assertEquals(theirs.get(l).size(), grid[l].length, name + " " + e.getValue() + " row " + l);
                    for (int i = 0; i < grid[l].length; i++) {
                        double expected = (theirs.get(l).get(i).asDouble() - corrupted) / (clean - corrupted);
                        assertEquals(expected, grid[l][i], PATCHING_TOLERANCE, name + " " + e.getValue() + " [" + l + "][" + i + "]");
                    }
                }
            }
        }
    }
}

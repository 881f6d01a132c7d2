package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelLoader;

class DirectLogitAttributionTest {
    private static final int[] TOKENS = {500, 483, 367, 52, 402, 17, 300};

    /** Embeddings + every head + attention biases + every MLP (+ the final norm's bias) == the logit. */
    @ParameterizedTest
    @CsvSource({"gpt2,model.safetensors,1e-4", "llama,model.safetensors,1e-4", "llama-gqa,model.safetensors,1e-4",
            "qwen2,model.safetensors,1e-4", "mistral,model.safetensors,1e-4", "llama-tied,model.safetensors,1e-4",
            "gpt2,model-q8_0.gguf,1e-4", "llama,model-q4_1.gguf,1e-4"})
    void componentsSumToTheLogitAndTheLogitDifference(String name, String weights, double tolerance) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve(weights))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int n = model.config().nLayers();
            int heads = model.config().nHeads();
            for (int position : new int[] {0, 3, TOKENS.length - 1}) {
                DirectLogitAttribution.Result plain = DirectLogitAttribution.run(model, TOKENS, position, 42, OptionalInt.empty());
                assertEquals(plain.logit(), plain.sum(), tolerance, plain.toString());
                long headCount = plain.components().stream().filter(c -> c.head() >= 0).count();
                assertEquals((long) n * heads, headCount);
                DirectLogitAttribution.Result diff = DirectLogitAttribution.run(model, TOKENS, position, 42, OptionalInt.of(7));
                assertEquals(diff.logit(), diff.sum(), tolerance, diff.toString());
                assertTrue(Math.abs(diff.logit()) > 1e-6);
            }
        }
    }

    /** Without the logits, from the last residual stream: the same components, the same logit to float rounding. */
    @ParameterizedTest
    @CsvSource({"gpt2", "llama-gqa"})
    void readsTheLogitFromTheFinalResidualWhenTheLogitsAreNotKept(String name) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            Hooks hooks = DirectLogitAttribution.hooks().capture("blocks.*.hook_resid_post");
            float[] logits = model.forward(TOKENS, hooks);
            for (int position : new int[] {0, 4}) {
                DirectLogitAttribution.Result withLogits = DirectLogitAttribution.read(model, hooks.cache(), logits,
                        TOKENS.length, position, 42, OptionalInt.of(7));
                DirectLogitAttribution.Result without = DirectLogitAttribution.read(model, hooks.cache(), TOKENS.length,
                        position, 42, OptionalInt.of(7));
                assertEquals(withLogits.logit(), without.logit(), 1e-5);
                assertEquals(withLogits.components(), without.components());
            }
        }
    }

    /** The heads' rows plus the output bias are hook_attn_out. */
    @ParameterizedTest
    @CsvSource({"gpt2", "llama-gqa"})
    void headOutputsSumToTheAttentionOutput(String name) throws IOException {
        Path dir = ProbeFixtures.model(name);
        try (Checkpoint checkpoint = Checkpoints.open(dir.resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int d = model.config().dModel();
            int width = model.config().nHeads() * model.config().dHead();
            Hooks hooks = new Hooks().capture("blocks.1.attn.hook_z").capture("blocks.1.hook_attn_out");
            model.forward(TOKENS, hooks);
            float[] z = new float[width];
            System.arraycopy(hooks.cache().get("blocks.1.attn.hook_z").data(), 2 * width, z, 0, width);
            float[] perHead = model.headOutputs(1, z);
            float[] bias = model.attentionOutputBias(1);
            float[] attnOut = hooks.cache().get("blocks.1.hook_attn_out").data();
            for (int j = 0; j < d; j++) {
                double sum = bias[j];
                for (int h = 0; h < model.config().nHeads(); h++) sum += perHead[h * d + j];
                assertEquals(attnOut[2 * d + j], sum, 1e-5);
            }
        }
    }

    /** Head h's row is what zeroing head h's z removes from hook_attn_out (so the heads are not permuted). */
    @ParameterizedTest
    @CsvSource({"gpt2,model.safetensors", "llama,model-q8_0.gguf", "llama-gqa,model.safetensors"})
    void eachHeadsRowIsWhatAblatingItRemoves(String name, String weights) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve(weights))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int d = model.config().dModel();
            int heads = model.config().nHeads();
            int dHead = model.config().dHead();
            int position = 4;
            Hooks clean = new Hooks().capture("blocks.0.attn.hook_z").capture("blocks.0.hook_attn_out");
            model.forward(TOKENS, clean);
            float[] z = new float[heads * dHead];
            System.arraycopy(clean.cache().get("blocks.0.attn.hook_z").data(), position * heads * dHead, z, 0, z.length);
            float[] perHead = model.headOutputs(0, z);
            float[] attnOut = clean.cache().get("blocks.0.hook_attn_out").data();
            for (int h = 0; h < heads; h++) {
                int head = h;
                Hooks ablated = new Hooks().intervene("blocks.0.attn.hook_z", (n, a) -> {
                    for (int p = 0; p < TOKENS.length; p++) {
                        java.util.Arrays.fill(a.data(), (p * heads + head) * dHead, (p * heads + head + 1) * dHead, 0f);
                    }
                }).capture("blocks.0.hook_attn_out");
                model.forward(TOKENS, ablated);
                float[] without = ablated.cache().get("blocks.0.hook_attn_out").data();
                for (int j = 0; j < d; j++) {
                    assertEquals(attnOut[position * d + j] - without[position * d + j], perHead[h * d + j], 1e-4,
                            "head " + h + " at " + j);
                }
            }
        }
    }
}

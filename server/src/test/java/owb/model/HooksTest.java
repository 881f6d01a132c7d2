package owb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;

/** Reading and writing activations at hook points, on one model of each family (and a GQA one). */
class HooksTest {
    static final int[] PROMPT = {347, 409, 43, 123, 121, 75, 63, 316, 220, 66, 285, 205};

    interface ModelTest {
        void run(LanguageModel model) throws IOException;
    }

    static void withModel(String name, ModelTest test) throws IOException {
        try (Checkpoint c = Checkpoints.open(ModelFixtures.model(name).resolve("model.safetensors"))) {
            test.run(ModelLoader.load(c));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void hookPointsHaveTransformerLensNamesAndShapes(String name) throws IOException {
        withModel(name, model -> {
            ModelConfig c = model.config();
            Hooks hooks = new Hooks().capture("*");
            model.forward(PROMPT, hooks);
            int n = PROMPT.length;
            boolean gpt2 = c.family() == ModelConfig.Family.GPT2;
            List<String> expected = new ArrayList<>(List.of("hook_embed"));
            if (gpt2) expected.add("hook_pos_embed");
            for (int l = 0; l < c.nLayers(); l++) {
                String b = "blocks." + l + ".";
                expected.addAll(List.of(b + "hook_resid_pre", b + "ln1.hook_scale", b + "ln1.hook_normalized",
                        b + "attn.hook_q", b + "attn.hook_k", b + "attn.hook_v"));
                if (!gpt2) expected.addAll(List.of(b + "attn.hook_rot_q", b + "attn.hook_rot_k"));
                expected.addAll(List.of(b + "attn.hook_attn_scores", b + "attn.hook_pattern", b + "attn.hook_z",
                        b + "hook_attn_out", b + "hook_resid_mid", b + "ln2.hook_scale", b + "ln2.hook_normalized",
                        b + "mlp.hook_pre"));
                if (!gpt2) expected.add(b + "mlp.hook_pre_linear");
                expected.addAll(List.of(b + "mlp.hook_post", b + "hook_mlp_out", b + "hook_resid_post"));
            }
            expected.addAll(List.of("ln_final.hook_scale", "ln_final.hook_normalized"));
            assertEquals(expected, List.copyOf(hooks.cache().names()), "hook points in forward order");

            ActivationCache cache = hooks.cache();
            assertArrayEquals(new int[] {n, c.dModel()}, cache.get("blocks.0.hook_resid_pre").shape());
            assertArrayEquals(new int[] {n, 1}, cache.get("blocks.0.ln1.hook_scale").shape());
            assertArrayEquals(new int[] {n, c.nHeads(), c.dHead()}, cache.get("blocks.0.attn.hook_q").shape());
            assertArrayEquals(new int[] {n, c.nKvHeads(), c.dHead()}, cache.get("blocks.0.attn.hook_k").shape());
            assertArrayEquals(new int[] {n, c.nKvHeads(), c.dHead()}, cache.get("blocks.0.attn.hook_v").shape());
            assertArrayEquals(new int[] {c.nHeads(), n, n}, cache.get("blocks.0.attn.hook_attn_scores").shape());
            assertArrayEquals(new int[] {n, c.nHeads(), c.dHead()}, cache.get("blocks.0.attn.hook_z").shape());
            assertArrayEquals(new int[] {n, c.dMlp()}, cache.get("blocks.0.mlp.hook_post").shape());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void captureRecordsOnlyWhatMatches(String name) throws IOException {
        withModel(name, model -> {
            Hooks hooks = new Hooks().capture("blocks.*.attn.hook_pattern");
            model.forward(PROMPT, hooks);
            Set<String> names = hooks.cache().names();
            assertEquals(model.config().nLayers(), names.size());
            assertTrue(names.stream().allMatch(n -> n.endsWith(".attn.hook_pattern")), names.toString());
            assertFalse(new Hooks().wants("blocks.0.attn.hook_pattern"), "no hooks: nothing materialised");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa", "mistral"})
    void materialisingThePatternDoesNotChangeTheResult(String name) throws IOException {
        withModel(name, model -> {
            float[] plain = model.forward(PROMPT);
            float[] observed = model.forward(PROMPT, new Hooks().capture("*"));
            assertArrayEquals(plain, observed);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void replacingTheResidualStreamWithItselfChangesNothing(String name) throws IOException {
        withModel(name, model -> {
            Hooks capture = new Hooks().capture("blocks.1.hook_resid_pre");
            float[] plain = model.forward(PROMPT, capture);
            float[] resid = capture.cache().get("blocks.1.hook_resid_pre").data();
            assertArrayEquals(plain, model.forward(PROMPT, new Hooks().replace("blocks.1.hook_resid_pre", resid)));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void addingZeroIsTheIdentity(String name) throws IOException {
        withModel(name, model -> {
            float[] plain = model.forward(PROMPT);
            float[] zeros = new float[PROMPT.length * model.config().dModel()];
            assertArrayEquals(plain, model.forward(PROMPT, new Hooks().add("blocks.*.hook_resid_mid", zeros)));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void zeroingOneHeadsOutputChangesTheLogitsThroughThatHeadOnly(String name) throws IOException {
        withModel(name, model -> {
            ModelConfig c = model.config();
            int head = 1;
            Hooks ablate = new Hooks().capture("blocks.0.attn.hook_z").capture("blocks.0.hook_attn_out")
                    .intervene("blocks.0.attn.hook_z", (hook, z) -> {
                        for (int pos = 0; pos < z.dim(0); pos++) {
                            for (int e = 0; e < c.dHead(); e++) z.set(0f, pos, head, e);
                        }
                    });
            float[] ablated = model.forward(PROMPT, ablate);
            Hooks plainHooks = new Hooks().capture("blocks.0.attn.hook_z");
            float[] plain = model.forward(PROMPT, plainHooks);
            assertFalse(Arrays.equals(plain, ablated), "zeroing a head changes the output");
            Activation z = ablate.cache().get("blocks.0.attn.hook_z");
            Activation before = plainHooks.cache().get("blocks.0.attn.hook_z");
            for (int pos = 0; pos < z.dim(0); pos++) {
                for (int h = 0; h < c.nHeads(); h++) {
                    for (int e = 0; e < c.dHead(); e++) {
                        assertEquals(h == head ? 0f : before.get(pos, h, e), z.get(pos, h, e), "the cache holds what the model used");
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void zeroingAHookPointZeroesItForTheRestOfThePass(String name) throws IOException {
        withModel(name, model -> {
            Hooks hooks = new Hooks().zero("blocks.1.hook_attn_out").capture("blocks.1.hook_*");
            model.forward(PROMPT, hooks);
            ActivationCache cache = hooks.cache();
            for (float v : cache.get("blocks.1.hook_attn_out").data()) assertEquals(0f, v);
            assertArrayEquals(cache.get("blocks.1.hook_resid_pre").data(), cache.get("blocks.1.hook_resid_mid").data());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void aReplacementOfTheWrongSizeIsRefused(String name) throws IOException {
        withModel(name, model -> {
            Hooks hooks = new Hooks().replace("blocks.0.hook_resid_pre", new float[3]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(PROMPT, hooks));
            assertTrue(e.getMessage().contains("blocks.0.hook_resid_pre"), e.getMessage());
        });
    }

    @org.junit.jupiter.api.Test
    void globsMatchAnyRunOfCharacters() {
        assertTrue(Hooks.matches("blocks.*.attn.hook_pattern", "blocks.12.attn.hook_pattern"));
        assertFalse(Hooks.matches("blocks.*.attn.hook_pattern", "blocks.12.attn.hook_z"));
        assertTrue(Hooks.matches("*", "hook_embed"));
        assertTrue(Hooks.matches("*hook_resid_post", "blocks.0.hook_resid_post"));
        assertFalse(Hooks.matches("blocks.1.*", "blocks.10.hook_resid_pre"));
        assertTrue(Hooks.matches("blocks.1*", "blocks.10.hook_resid_pre"));
        assertFalse(Hooks.matches("blocks.0.hook_resid_pre", "blocks.0xhook_resid_pre"), "dots are literal");
    }
}

package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.ActivationPatching.Kind;
import owb.probe.ActivationPatching.Pair;

class ActivationPatchingTest {
    private static final int[] CLEAN = {500, 483, 367, 52, 402, 17, 300, 91, 250};
    /** CLEAN with position 4 changed. */
    private static final int[] ONE_CHANGE = {500, 483, 367, 52, 77, 17, 300, 91, 250};
    /** CLEAN with positions 2 and 6 changed. */
    private static final int[] TWO_CHANGES = {500, 483, 11, 52, 402, 17, 301, 91, 250};
    private static final int ANSWER = 42;
    private static final int WRONG = 7;

    interface ModelTest {
        void run(LanguageModel model);
    }

    static void withModel(String name, ModelTest test) throws IOException {
        try (Checkpoint c = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            test.run(ModelLoader.load(c));
        }
    }

    /**
     * Patching the residual entering block 0 at the one position where the prompts differ is
     * running the clean prompt: it restores everything (1); every other position of layer 0 holds
     * the same token in both prompts and restores nothing (0, without a pass).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa", "qwen2"})
    void layerZeroResidualAtTheChangedPositionRestoresEverything(String name) throws IOException {
        withModel(name, model -> {
            ActivationPatching.Result r = ActivationPatching.run(model, new Pair(CLEAN, ONE_CHANGE, ANSWER, WRONG));
            double[][] resid = r.grid(Kind.RESID_PRE);
            for (int p = 0; p < CLEAN.length; p++) assertEquals(p == 4 ? 1.0 : 0.0, resid[0][p], 1e-4, "position " + p);
            for (int l = 0; l < r.layers(); l++) {
                for (int p = 0; p < 4; p++) {
                    for (Kind k : new Kind[] {Kind.RESID_PRE, Kind.ATTN_OUT, Kind.MLP_OUT}) {
                        assertEquals(0.0, r.grid(k)[l][p], "before the first difference nothing changes");
                    }
                }
            }
            assertTrue(Math.abs(r.cleanDiff() - r.corruptedDiff()) > 1e-3);
            assertEquals(CLEAN.length, r.grid(Kind.RESID_PRE)[1].length);
        });
    }

    /** With two changed positions, patching layer 0's residual at both restores 1; at all positions of any layer too. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void patchingEveryDifferingPositionRestoresEverything(String name) throws IOException {
        withModel(name, model -> {
            Pair pair = new Pair(CLEAN, TWO_CHANGES, ANSWER, WRONG);
            double clean = ActivationPatching.logitDiff(model, CLEAN, ANSWER, WRONG);
            double corrupted = ActivationPatching.logitDiff(model, TWO_CHANGES, ANSWER, WRONG);
            double both = ActivationPatching.patchedLogitDiff(model, pair, "blocks.0.hook_resid_pre", 2, 6);
            assertEquals(1.0, (both - corrupted) / (clean - corrupted), 1e-4);
            int[] all = java.util.stream.IntStream.range(0, CLEAN.length).toArray();
            double whole = ActivationPatching.patchedLogitDiff(model, pair, "blocks.1.hook_resid_pre", all);
            assertEquals(1.0, (whole - corrupted) / (clean - corrupted), 1e-4);
            ActivationPatching.Result r = ActivationPatching.run(model, pair);
            assertTrue(r.grid(Kind.RESID_PRE)[0][2] < 0.999 || r.grid(Kind.RESID_PRE)[0][6] < 0.999,
                    "one of two changes alone does not restore everything");
        });
    }

    /** The output residual at the last position is all the logits there read. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void finalResidualAtTheLastPositionRestoresEverything(String name) throws IOException {
        withModel(name, model -> {
            Pair pair = new Pair(CLEAN, TWO_CHANGES, ANSWER, WRONG);
            int last = model.config().nLayers() - 1;
            double clean = ActivationPatching.logitDiff(model, CLEAN, ANSWER, WRONG);
            double corrupted = ActivationPatching.logitDiff(model, TWO_CHANGES, ANSWER, WRONG);
            double patched = ActivationPatching.patchedLogitDiff(model, pair, "blocks." + last + ".hook_resid_post",
                    CLEAN.length - 1);
            assertEquals(clean, patched, 1e-4);
            assertEquals(1.0, (patched - corrupted) / (clean - corrupted), 1e-4);
        });
    }

    /**
     * Every (layer, position) cell of the resumed, prefix-cached grids against a full forward pass
     * of the corrupted prompt with that one activation replaced.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa", "mistral"})
    void everyCellMatchesAFullPatchedPass(String name) throws IOException {
        withModel(name, model -> {
            Pair pair = new Pair(CLEAN, TWO_CHANGES, ANSWER, WRONG);
            ActivationPatching.Result r = ActivationPatching.run(model, pair);
            double span = r.cleanDiff() - r.corruptedDiff();
            for (Kind kind : new Kind[] {Kind.RESID_PRE, Kind.ATTN_OUT, Kind.MLP_OUT}) {
                for (int l = 0; l < r.layers(); l++) {
                    for (int p = 0; p < CLEAN.length; p++) {
                        double full = ActivationPatching.patchedLogitDiff(model, pair, kind.hook(l), p);
                        assertEquals((full - r.corruptedDiff()) / span, r.grid(kind)[l][p], 1e-4,
                                kind + " layer " + l + " position " + p);
                    }
                }
            }
        });
    }

    /** One head cell by hand: the clean run's z of that head at every position, written into the corrupted run. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa"})
    void headCellByHand(String name) throws IOException {
        withModel(name, model -> {
            int layer = 1;
            int head = 2;
            int heads = model.config().nHeads();
            int dHead = model.config().dHead();
            int vocab = model.config().dVocab();
            int n = CLEAN.length;
            Hooks cleanHooks = new Hooks().capture("blocks.1.attn.hook_z");
            float[] cleanLogits = model.forward(CLEAN, cleanHooks);
            float[] cleanZ = cleanHooks.cache().get("blocks.1.attn.hook_z").data();   // [pos, heads, d_head]
            float[] corruptedLogits = model.forward(TWO_CHANGES);
            float[] patchedLogits = model.forward(TWO_CHANGES, new Hooks().intervene("blocks.1.attn.hook_z", (hook, z) -> {
                for (int p = 0; p < n; p++) {
                    for (int e = 0; e < dHead; e++) {
                        z.set(cleanZ[(p * heads + head) * dHead + e], p, head, e);
                    }
                }
            }));
            int at = (n - 1) * vocab;
            double clean = cleanLogits[at + ANSWER] - cleanLogits[at + WRONG];
            double corrupted = corruptedLogits[at + ANSWER] - corruptedLogits[at + WRONG];
            double patched = patchedLogits[at + ANSWER] - patchedLogits[at + WRONG];

            ActivationPatching.Result r = ActivationPatching.run(model, new Pair(CLEAN, TWO_CHANGES, ANSWER, WRONG),
                    EnumSet.of(Kind.HEADS), ActivationPatching.Progress.NONE);
            assertEquals(clean, r.cleanDiff(), 1e-4);
            assertEquals(corrupted, r.corruptedDiff(), 1e-4);
            assertEquals((patched - corrupted) / (clean - corrupted), r.grid(Kind.HEADS)[layer][head], 1e-4);
            assertEquals(heads, r.grid(Kind.HEADS)[layer].length);
            assertEquals(model.config().nLayers() * heads, r.forwardPasses());
            assertEquals(null, r.grids().get(Kind.RESID_PRE));
        });
    }

    @Test
    void identicalPromptsAreRejectedWithAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Pair(CLEAN, CLEAN.clone(), ANSWER, WRONG));
        assertEquals("clean and corrupted prompts are the same tokens: nothing to patch", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Pair(CLEAN, new int[] {1, 2}, ANSWER, WRONG));
        assertThrows(IllegalArgumentException.class, () -> new Pair(CLEAN, ONE_CHANGE, ANSWER, ANSWER));
    }

    /**
     * Mistral's sliding window (8 keys) over 2 layers carries position 0 no further than position
     * 14: with 20 tokens the last position's logits are the same in both runs, nothing can be restored.
     */
    @Test
    void equalLogitDifferencesAreRejectedWithAClearError() throws IOException {
        withModel("mistral", model -> {
            int[] clean = new int[20];
            for (int i = 0; i < clean.length; i++) clean[i] = 100 + 7 * i;
            int[] corrupted = clean.clone();
            corrupted[0] = 3;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ActivationPatching.run(model, new Pair(clean, corrupted, ANSWER, WRONG)));
            assertTrue(e.getMessage().startsWith("clean and corrupted prompts give the same logit difference"), e.getMessage());
            IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                    () -> ActivationPatching.run(model, new Pair(CLEAN, ONE_CHANGE, ANSWER, model.config().dVocab())));
            assertTrue(vocab.getMessage().contains("outside the vocabulary"), vocab.getMessage());
        });
    }

    /** Progress counts the passes run; the JSON has the grids under their kinds' names. */
    @Test
    void progressAndJson() throws IOException {
        withModel("llama", model -> {
            AtomicInteger last = new AtomicInteger();
            ActivationPatching.Result r = ActivationPatching.run(model, new Pair(CLEAN, ONE_CHANGE, ANSWER, WRONG),
                    EnumSet.allOf(Kind.class), (done, total) -> {
                        assertTrue(done <= total);
                        last.set(done);
                    });
            assertEquals(r.forwardPasses(), last.get());
            // positions 4..8 for each kind and layer, but layer 0's residual only at 4 (the same tokens after it);
            // heads: 2 layers x 4
            assertEquals(2 * 3 * 5 - 4 + 2 * 4, r.forwardPasses());
            var json = r.toJson();
            assertEquals(4, json.get("first_differing_position"));
            @SuppressWarnings("unchecked")
            var grids = (java.util.Map<String, double[][]>) json.get("grids");
            assertEquals(java.util.List.of("resid_pre", "attn_out", "mlp_out", "heads"), java.util.List.copyOf(grids.keySet()));
            assertEquals(2, grids.get("heads").length);
            assertEquals(CLEAN.length, grids.get("mlp_out")[1].length);
            assertEquals(r.max(Kind.RESID_PRE), r.top(Kind.RESID_PRE, 3).getFirst().value());
        });
    }
}

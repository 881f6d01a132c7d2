package owb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Running the blocks from one layer on from a captured residual stream (what activation patching runs). */
class RunBlocksTest {
    private static final int[] PROMPT = HooksTest.PROMPT;

    /** From block L on the residual entering it, the logits are the whole pass's, for every L. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa", "mistral"})
    void resumingAtAnyBlockGivesTheSameLogits(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int layers = model.config().nLayers();
            Hooks hooks = new Hooks().capture("blocks.*.hook_resid_pre").capture("blocks." + (layers - 1) + ".hook_resid_post");
            float[] logits = model.forward(PROMPT, hooks);
            for (int l = 0; l < layers; l++) {
                float[] resid = hooks.cache().get("blocks." + l + ".hook_resid_pre").data();
                float[] copy = resid.clone();
                float[] out = model.runBlocks(l, resid, new KvCache(model.config()), Hooks.none());
                assertArrayEquals(logits, model.unembedResidual(out, PROMPT.length), 1e-5f, "from block " + l);
                assertArrayEquals(copy, resid, "the caller's residual is not changed");
            }
            float[] out = hooks.cache().get("blocks." + (layers - 1) + ".hook_resid_post").data();
            assertArrayEquals(out, model.runBlocks(layers, out, new KvCache(model.config()), Hooks.none()), "no blocks left");
        });
    }

    /** The last positions alone after a cached prefix: the prefix's keys and values stand in for the blocks below. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral"})
    void resumingTheSuffixOfACachedPromptGivesItsLastLogits(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int n = PROMPT.length;
            int vocab = model.config().dVocab();
            int d = model.config().dModel();
            int prefix = 7;
            CachedPrefix run = cachedPrefix(model, prefix);
            KvCache cache = run.cache();
            float[] logits = run.logits();
            float[] suffix = run.suffix();
            for (int repeat = 0; repeat < 2; repeat++) {
                float[] out = model.runBlocks(1, suffix, cache, Hooks.none());         // [n - prefix, d]
                float[] last = model.unembedResidual(Arrays.copyOfRange(out, (n - prefix - 1) * d, (n - prefix) * d), 1);
                assertArrayEquals(Arrays.copyOfRange(logits, (n - 1) * vocab, n * vocab), last, 1e-5f);
                cache.truncate(prefix);
            }
        });
    }

    /**
     * Several suffixes resumed together, each after its own copy of the prefix: each comes out as it
     * does alone, whatever else shares its projections, and hooks see the stacked rows.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-gqa", "mistral"})
    void batchedSequencesComeOutAsEachDoesAlone(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int n = PROMPT.length;
            int d = model.config().dModel();
            int prefix = 7, rows = n - prefix, batch = 5;
            CachedPrefix run = cachedPrefix(model, prefix);
            KvCache cache = run.cache();
            float[] suffix = run.suffix();
            float[] stacked = new float[batch * rows * d];
            java.util.List<KvCache> caches = new java.util.ArrayList<>();
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < rows * d; i++) stacked[b * rows * d + i] = suffix[i] * (1 + 0.25f * b) + 0.01f * b;
                caches.add(cache.copy());
            }
            Hooks seen = new Hooks().capture("blocks.1.hook_mlp_out");
            float[] together = model.runBlocks(1, stacked, caches, seen);
            org.junit.jupiter.api.Assertions.assertEquals(batch * rows * d, seen.cache().get("blocks.1.hook_mlp_out").data().length);
            for (int b = 0; b < batch; b++) {
                org.junit.jupiter.api.Assertions.assertEquals(n, caches.get(b).length());
                KvCache alone = cache.copy();
                float[] expected = model.runBlocks(1, Arrays.copyOfRange(stacked, b * rows * d, (b + 1) * rows * d), alone, Hooks.none());
                float[] actual = Arrays.copyOfRange(together, b * rows * d, (b + 1) * rows * d);
                for (int i = 0; i < expected.length; i++) {
                    org.junit.jupiter.api.Assertions.assertEquals(expected[i], actual[i], 1e-4f * Math.max(1, Math.abs(expected[i])),
                            "sequence " + b + " value " + i);
                }
            }
            org.junit.jupiter.api.Assertions.assertEquals(prefix, cache.length(), "the shared prefix is not touched");
            KvCache shorter = new KvCache(model.config());
            assertThrows(ModelException.class, () -> model.runBlocks(1, stacked, java.util.List.of(cache.copy(), shorter), Hooks.none()));
            assertThrows(ModelException.class, () -> model.runBlocks(1, Arrays.copyOf(stacked, d * 3), java.util.List.of(cache.copy(), cache.copy()), Hooks.none()));
            assertThrows(ModelException.class, () -> model.runBlocks(1, Arrays.copyOf(stacked, 2 * rows * d),
                    java.util.List.of(cache.copy(), cache.copy()), new Hooks().capture("blocks.*.attn.hook_pattern")));
        });
    }

    /** The prompt's logits, its cache truncated to {@code prefix} positions, and the residual entering block 1 after them. */
    private record CachedPrefix(float[] logits, KvCache cache, float[] suffix) {}

    private static CachedPrefix cachedPrefix(LanguageModel model, int prefix) {
        int d = model.config().dModel();
        KvCache cache = new KvCache(model.config());
        Hooks hooks = new Hooks().capture("blocks.1.hook_resid_pre");
        float[] logits = model.forward(PROMPT, cache, hooks, true);
        cache.truncate(prefix);
        float[] suffix = Arrays.copyOfRange(hooks.cache().get("blocks.1.hook_resid_pre").data(), prefix * d, PROMPT.length * d);
        return new CachedPrefix(logits, cache, suffix);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void rejectsALayerOrShapeThatDoesNotFit(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int d = model.config().dModel();
            assertThrows(ModelException.class, () -> model.runBlocks(-1, new float[d], new KvCache(model.config()), Hooks.none()));
            assertThrows(ModelException.class, () -> model.runBlocks(3, new float[d], new KvCache(model.config()), Hooks.none()));
            assertThrows(ModelException.class, () -> model.runBlocks(0, new float[d + 1], new KvCache(model.config()), Hooks.none()));
        });
    }
}

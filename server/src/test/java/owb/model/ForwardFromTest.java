package owb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Resuming a forward pass at a block from a captured residual stream (what activation patching runs). */
class ForwardFromTest {
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
                assertArrayEquals(logits, model.forwardFrom(l, resid, new KvCache(model.config()), Hooks.none(), true),
                        1e-5f, "from block " + l);
                assertArrayEquals(copy, resid, "the caller's residual is not changed");
            }
            float[] out = hooks.cache().get("blocks." + (layers - 1) + ".hook_resid_post").data();
            assertArrayEquals(logits, model.forwardFrom(layers, out, new KvCache(model.config()), Hooks.none(), true), 1e-5f);
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
            KvCache cache = new KvCache(model.config());
            Hooks hooks = new Hooks().capture("blocks.1.hook_resid_pre");
            float[] logits = model.forward(PROMPT, cache, hooks, true);
            int prefix = 7;
            cache.truncate(prefix);
            float[] suffix = Arrays.copyOfRange(hooks.cache().get("blocks.1.hook_resid_pre").data(), prefix * d, n * d);
            for (int repeat = 0; repeat < 2; repeat++) {
                float[] last = model.forwardFrom(1, suffix, cache, Hooks.none(), false);
                assertArrayEquals(Arrays.copyOfRange(logits, (n - 1) * vocab, n * vocab), last, 1e-5f);
                cache.truncate(prefix);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void rejectsALayerOrShapeThatDoesNotFit(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int d = model.config().dModel();
            assertThrows(ModelException.class, () -> model.forwardFrom(-1, new float[d], new KvCache(model.config()), Hooks.none(), true));
            assertThrows(ModelException.class, () -> model.forwardFrom(3, new float[d], new KvCache(model.config()), Hooks.none(), true));
            assertThrows(ModelException.class, () -> model.forwardFrom(0, new float[d + 1], new KvCache(model.config()), Hooks.none(), true));
        });
    }
}

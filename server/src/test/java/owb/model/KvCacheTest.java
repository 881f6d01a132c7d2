package owb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KvCacheTest {
    /** Prompt p2 of the fixtures: 33 tokens, longer than mistral's window of 8. */
    static final int[] PROMPT = {172, 336, 153, 260, 362, 256, 83, 271, 507, 3, 480, 372, 356, 468, 164, 295, 458,
            257, 73, 139, 458, 358, 492, 296, 127, 61, 236, 99, 392, 441, 159, 158, 376};

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "mistral", "llama3", "qwen2"})
    void aPromptRunInPartsThroughOneCacheGivesTheSameLogits(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            float[] whole = model.forward(PROMPT);
            KvCache cache = new KvCache(model.config());
            int split = 13;
            model.forward(Arrays.copyOf(PROMPT, split), cache, Hooks.none(), true);
            float[] rest = model.forward(Arrays.copyOfRange(PROMPT, split, PROMPT.length), cache, Hooks.none(), true);
            assertEquals(PROMPT.length, cache.length());
            int vocab = model.config().dVocab();
            // the whole prompt's matmuls (m = 33) take the outer-product kernels, the parts' (m = 13, 20)
            // the dot-product ones, so every sum has another order; on these random models that float32
            // rounding reaches 1.0-1.1e-5 of a logit (mistral, llama3), hence 2e-5
            for (int i = 0; i < rest.length; i++) {
                float expected = whole[split * vocab + i];
                assertEquals(expected, rest[i], 2e-5 * Math.max(1, Math.abs(expected)), "logit " + i);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2"})
    void positionsPastTheLearnedOnesAreRefused(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            KvCache cache = new KvCache(model.config());
            int[] filler = new int[model.config().nCtx()];
            model.forward(filler, cache, Hooks.none(), false);
            ModelException e = assertThrows(ModelException.class, () -> model.forward(new int[] {1}, cache, Hooks.none(), false));
            assertEquals((model.config().nCtx() + 1) + " positions exceed the model's " + model.config().nCtx(), e.getMessage());
            assertEquals(model.config().nCtx(), cache.length(), "a refused pass adds nothing");
        });
    }
}

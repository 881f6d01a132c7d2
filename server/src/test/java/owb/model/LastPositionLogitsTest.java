package owb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LastPositionLogitsTest {
    /**
     * The last position's logits alone (unembedded with up to 32 positions before it) are the last row
     * of every position's, for prompts taking each product path: one token, dot-product blocks, the tile.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama3"})
    void theLastPositionAloneIsTheLastRowOfEveryPosition(String name) throws IOException {
        HooksTest.withModel(name, model -> {
            int vocab = model.config().dVocab();
            for (int n : new int[] {1, 5, 32, 33}) {
                int[] prompt = Arrays.copyOf(KvCacheTest.PROMPT, n);
                float[] all = model.forward(prompt, new KvCache(model.config()), Hooks.none(), true);
                float[] last = model.forward(prompt, new KvCache(model.config()), Hooks.none(), false);
                assertEquals(vocab, last.length, "n " + n);
                for (int i = 0; i < vocab; i++) {
                    float expected = all[(n - 1) * vocab + i];
                    // a different product path sums in another order (see KvCacheTest)
                    assertEquals(expected, last[i], 2e-5 * Math.max(1, Math.abs(expected)), "n " + n + ", logit " + i);
                }
            }
        });
    }
}

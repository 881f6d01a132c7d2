package owb.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PromptTokensTest {
    private static Args args(String... argv) {
        return Args.parse(List.of(argv), Set.of(), Set.of("prompt", "tokens"));
    }

    @Test
    void promptSizesAreEstimatedFromIdsOrText() {
        assertEquals(3, PromptTokens.estimatedCount(args("--tokens", "1,2,3")));
        assertEquals(7, PromptTokens.estimatedCount(args("--prompt", "The capital of France is")));   // 6 tokens and BOS
        assertEquals(0, PromptTokens.estimatedCount(args()));
    }
}

package owb.checkpoint;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded mutation fuzzer that runs in every build (Jazzer only replays its corpus there): 20,000
 * mutants of valid files, each of which must parse cleanly or fail with a CheckpointException,
 * within a time bound that catches hangs. A failure names the seed and iteration and prints the
 * input, so it reproduces exactly.
 */
class SafetensorsMutationTest {

    private static final long SEED = 0x5AFE_7E45L;
    private static final int ITERATIONS = 20_000;
    private static final Duration BUDGET = Duration.ofSeconds(60);

    @Test
    void mutantsOfValidFilesParseOrFailAsCheckpointExceptions() {
        int[] outcome = new int[2]; // [accepted, rejected]
        assertTimeoutPreemptively(BUDGET, () -> {
            SafetensorsMutator mutator = new SafetensorsMutator(SEED);
            for (int i = 0; i < ITERATIONS; i++) {
                byte[] mutant = mutator.next();
                try {
                    outcome[SafetensorsFuzzing.parses(mutant) ? 0 : 1]++;
                } catch (Throwable e) {
                    throw new AssertionError("seed " + SEED + " iteration " + i + ": " + e + " on input "
                            + Base64.getEncoder().encodeToString(mutant), e);
                }
            }
        });
        assertTrue(outcome[0] > 100 && outcome[1] > 100,
                "the mutations should reach both outcomes: accepted " + outcome[0] + ", rejected " + outcome[1]);
    }
}

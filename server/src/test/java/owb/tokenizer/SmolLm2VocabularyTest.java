package owb.tokenizer;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.testing.GgufFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real SmolLM2-135M-Instruct vocabulary, from its GGUF metadata (dumped by the fixture script). */
class SmolLm2VocabularyTest {
    private static Tokenizer smollm2;

    @BeforeAll
    static void load() throws Exception {
        Path metadata = TokenizerFixtures.folder().resolve("smollm2-gguf.metadata.json");
        assumeTrue(Files.isRegularFile(metadata), "no SmolLM2 GGUF was found when the fixtures were made");
        smollm2 = Tokenizer.fromGgufMetadata(TokenizerFixtures.ggufMetadata(metadata));
    }

    @Test
    void theRealGgufReaderGivesTheSameTokenizerAsTheMetadataDump() throws Exception {
        String corpus = Files.readString(GgufFixtures.repoRoot().resolve("samples/tokenizer_corpus.txt"));
        try (Checkpoint gguf = Checkpoints.open(GgufFixtures.smollm2())) {
            Tokenizer fromReader = Tokenizer.fromGgufMetadata(gguf.metadata());
            assertEquals(smollm2.vocabSize(), fromReader.vocabSize());
            assertArrayEquals(smollm2.encode(corpus, true), fromReader.encode(corpus, true));
        }
    }

    @Test
    void knowsItsSizeAndSpecialTokens() {
        assertEquals(49152, smollm2.vocabSize());
        assertEquals(OptionalInt.of(1), smollm2.bos());  // <|im_start|>
        assertEquals(OptionalInt.of(2), smollm2.eos());  // <|im_end|>
        assertEquals("<|im_end|>", smollm2.tokenText(2));
    }

    @Test
    void parisIsOneTokenWithItsSpace() {
        int[] ids = smollm2.encode("The capital of France is Paris", false);
        assertEquals(" Paris", smollm2.tokenText(ids[ids.length - 1]));
        assertEquals(smollm2.tokenId("ĠParis"), OptionalInt.of(ids[ids.length - 1]));
    }

    @Test
    void digitsAreSplitOneByOne() {
        int[] ids = smollm2.encode("2024", false);
        assertEquals(4, ids.length, Arrays.toString(ids));
        assertEquals("2024", smollm2.decode(ids, false));
    }

    @Test
    void chatMarkupIsFoundAsSpecialTokens() {
        int[] ids = smollm2.encode("<|im_start|>user\nHi<|im_end|>", false);
        assertEquals(1, ids[0]);
        assertEquals(2, ids[ids.length - 1]);
        assertTrue(smollm2.decode(ids, true).startsWith("user\nHi"));
    }
}

package owb.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenSpecTest {

    static String fails(String spec, Tokenizer tokenizer, int vocab) {
        return assertThrows(IllegalArgumentException.class, () -> TokenSpec.resolve(spec, tokenizer, vocab, "target")).getMessage();
    }

    @Test
    void anIdResolvesWithoutATokenizerAndIsBoundedByTheVocabulary() {
        assertEquals(new TokenSpec(7, 1), TokenSpec.resolve("#7", null, 10, "target"));
        assertTrue(fails("#10", null, 10).contains("target #10 is outside the vocabulary (0..9)"));
        assertTrue(fails("#-1", null, 10).contains("outside the vocabulary"));
        assertTrue(fails("#x", null, 10).contains("target #ID expects a token id, got '#x'"));
        assertTrue(fails("", null, 10).contains("target is empty"));
        assertTrue(fails(" Paris", null, 10).contains("needs the model's tokenizer; give it as #ID"));
    }

    @Test
    void textIsAVocabularyEntryOrTheFirstTokenItEncodesTo() throws Exception {
        Tokenizer gpt2 = Tokenizer.fromTokenizerJson(TokenizerFixtures.folder().resolve("gpt2-bpe.tokenizer.json"));
        int vocab = gpt2.vocabSize();
        int[] one = gpt2.encode(" hello", false);
        int hello = one[0];
        assertEquals(new TokenSpec(hello, one.length), TokenSpec.resolve(" hello", gpt2, vocab, "target"));
        // a vocabulary entry as spelled (byte-level "Ġ" for a space) is taken as it is, not encoded
        assertEquals(new TokenSpec(gpt2.tokenId("Ġ").orElseThrow(), 1), TokenSpec.resolve("Ġ", gpt2, vocab, "target"));
        int[] several = gpt2.encode(" hello world", false);
        assertEquals(new TokenSpec(several[0], several.length), TokenSpec.resolve(" hello world", gpt2, vocab, "target"));
        assertTrue(fails(" hello", gpt2, hello).contains("outside the model's vocabulary"));
    }
}

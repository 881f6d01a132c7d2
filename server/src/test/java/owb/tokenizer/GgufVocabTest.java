package owb.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A small SentencePiece vocabulary in GGUF metadata form, and what GgufVocab makes of it. */
class GgufVocabTest {
    /** <unk> <s> </s>, the 256 byte tokens, then the pieces. */
    private static final List<String> PIECES = List.of("▁", "h", "i", "P", "a", "r", "s", "▁h", "▁hi", "▁P", "ar", "is",
            "aris", "▁Paris");
    private static final int FIRST_PIECE = 3 + 256;

    private static int piece(String piece) {
        return FIRST_PIECE + PIECES.indexOf(piece);
    }

    private static Map<String, Object> sentencePieceMetadata() {
        List<Object> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Object> types = new ArrayList<>(List.of(2L, 3L, 3L));
        List<Object> scores = new ArrayList<>(List.of(0.0, 0.0, 0.0));
        for (int b = 0; b < 256; b++) {
            tokens.add(BpeModel.byteToken(b));
            types.add(6L);
            scores.add(0.0);
        }
        for (int i = 0; i < PIECES.size(); i++) {
            tokens.add(PIECES.get(i));
            types.add(1L);
            scores.add((double) -i);
        }
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.scores", scores);
        md.put("tokenizer.ggml.bos_token_id", 1L);
        md.put("tokenizer.ggml.eos_token_id", 2L);
        md.put("tokenizer.ggml.unknown_token_id", 0L);
        return md;
    }

    @Test
    void sentencePieceMergesByScoreAndAddsBos() {
        Tokenizer tokenizer = Tokenizer.fromGgufMetadata(sentencePieceMetadata());
        assertArrayEquals(new int[] {1, piece("▁hi")}, tokenizer.encode("hi", true));
        assertArrayEquals(new int[] {piece("▁hi"), piece("▁Paris")}, tokenizer.encode("hi Paris", false));
        assertEquals("hi Paris", tokenizer.decode(tokenizer.encode("hi Paris", true), true));
        assertEquals(OptionalInt.of(1), tokenizer.bos());
        assertEquals(OptionalInt.of(2), tokenizer.eos());
    }

    @Test
    void addBosTokenFalseLeavesBosOut() {
        Map<String, Object> md = sentencePieceMetadata();
        md.put("tokenizer.ggml.add_bos_token", false);
        assertArrayEquals(new int[] {piece("▁hi")}, Tokenizer.fromGgufMetadata(md).encode("hi", true));
    }

    @Test
    void charactersOutsideTheVocabularyBecomeByteTokens() {
        Tokenizer tokenizer = Tokenizer.fromGgufMetadata(sentencePieceMetadata());
        // é is C3 A9: byte tokens start at id 3
        assertArrayEquals(new int[] {piece("▁"), 3 + 0xC3, 3 + 0xA9}, tokenizer.encode("é", false));
        assertEquals("é", tokenizer.decode(tokenizer.encode("é", false), false));
    }

    @Test
    void tokenTextShowsSpacesAndBytes() {
        Tokenizer tokenizer = Tokenizer.fromGgufMetadata(sentencePieceMetadata());
        assertEquals(" Paris", tokenizer.tokenText(piece("▁Paris")));
        assertEquals("A", tokenizer.tokenText(3 + 'A'));
        assertEquals("<0xC3>", tokenizer.tokenText(3 + 0xC3));
        assertEquals("<s>", tokenizer.tokenText(1));
    }

    @Test
    void mergesRecoveredFromScoresPutHigherScoresFirst() {
        List<String> tokens = List.of("a", "b", "c", "ab", "bc", "abc");
        List<Double> scores = List.of(0.0, 0.0, 0.0, -2.0, -1.0, -3.0);
        Map<String, Integer> vocab = new HashMap<>();
        for (String t : tokens) vocab.put(t, vocab.size());
        List<String> merges = GgufVocab.mergesFromScores(tokens, scores, vocab).stream()
                .map(m -> m[0] + " " + m[1]).toList();
        // abc splits as ab+c and a+bc (same score: the longer left part first)
        assertEquals(List.of("b c", "a b", "ab c", "a bc"), merges);
    }

    @Test
    void anUnsupportedModelIsNamed() {
        Map<String, Object> md = sentencePieceMetadata();
        md.put("tokenizer.ggml.model", "t5");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromGgufMetadata(md));
        assertEquals("GGUF tokenizer metadata: tokenizer.ggml.model \"t5\" is not supported (gpt2 and llama are)", e.getMessage());
    }

    @Test
    void anUnsupportedPreTokenizerIsNamedWithTheSupportedOnes() {
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "deepseek-coder");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromGgufMetadata(md));
        assertTrue(e.getMessage().contains("\"deepseek-coder\" is not supported (supported: deepseek-r1-qwen, default, gpt-2, gpt2, "
                + "llama-bpe, llama-v3, llama3, qwen2, smollm, starcoder)"), e.getMessage());
    }

    @Test
    void missingOrMistypedKeysAreNamed() {
        Map<String, Object> md = sentencePieceMetadata();
        md.remove("tokenizer.ggml.tokens");
        assertEquals("GGUF tokenizer metadata: missing tokenizer.ggml.tokens",
                assertThrows(TokenizerException.class, () -> Tokenizer.fromGgufMetadata(md)).getMessage());
        Map<String, Object> shortScores = sentencePieceMetadata();
        shortScores.put("tokenizer.ggml.scores", List.of(0.0));
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromGgufMetadata(shortScores)).getMessage()
                .contains("tokenizer.ggml.scores has 1 entries for 273 tokens"));
        Map<String, Object> numbers = sentencePieceMetadata();
        numbers.put("tokenizer.ggml.tokens", List.of(1L, 2L));
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromGgufMetadata(numbers)).getMessage()
                .contains("tokenizer.ggml.tokens is not a list of strings"));
    }
}

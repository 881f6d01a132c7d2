package owb.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeModelTest {
    private static final BpeModel.Options PLAIN = new BpeModel.Options(null, null, null, false, false, false);

    private static Map<String, Integer> vocab(String... tokens) {
        Map<String, Integer> vocab = new HashMap<>();
        for (String token : tokens) vocab.put(token, vocab.size());
        return vocab;
    }

    private static List<String[]> merges(String... lines) {
        return java.util.Arrays.stream(lines).map(line -> line.split(" ")).toList();
    }

    private static int[] tokenize(BpeModel model, String word) {
        IntList ids = new IntList();
        model.tokenize(word, ids);
        return ids.toArray();
    }

    @Test
    void theLowestRankedPairMergesFirst() {
        // a=0 b=1 c=2 ab=3 bc=4: "b c" outranks "a b", so abc -> a + bc.
        BpeModel model = new BpeModel(vocab("a", "b", "c", "ab", "bc"), merges("b c", "a b"), PLAIN, "test");
        assertArrayEquals(new int[] {0, 4}, tokenize(model, "abc"));
    }

    @Test
    void theLeftmostPairMergesOnATie() {
        BpeModel model = new BpeModel(vocab("a", "aa"), merges("a a"), PLAIN, "test");
        assertArrayEquals(new int[] {1, 0}, tokenize(model, "aaa"));
        assertArrayEquals(new int[] {1, 1}, tokenize(model, "aaaa"));
    }

    @Test
    void ignoreMergesTakesAWholeWordThatIsAToken() {
        Map<String, Integer> vocab = vocab("a", "b", "c", "ab", "abc");
        BpeModel merging = new BpeModel(vocab, merges("a b"), PLAIN, "test");
        BpeModel ignoring = new BpeModel(vocab, merges("a b"), new BpeModel.Options(null, null, null, false, false, true), "test");
        assertArrayEquals(new int[] {3, 2}, tokenize(merging, "abc"));
        assertArrayEquals(new int[] {4}, tokenize(ignoring, "abc"));
    }

    @Test
    void unknownCharactersFallBackToTheirBytes() {
        Map<String, Integer> vocab = vocab("<unk>", "x");
        for (int b = 0; b < 256; b++) vocab.put(BpeModel.byteToken(b), vocab.size());
        BpeModel model = new BpeModel(vocab, List.of(), new BpeModel.Options("<unk>", null, null, true, true, false), "test");
        // é is C3 A9 in UTF-8
        assertArrayEquals(new int[] {1, vocab.get("<0xC3>"), vocab.get("<0xA9>")}, tokenize(model, "xé"));
    }

    @Test
    void consecutiveUnknownCharactersFuseIntoOneUnk() {
        Map<String, Integer> vocab = vocab("<unk>", "x");
        BpeModel fusing = new BpeModel(vocab, List.of(), new BpeModel.Options("<unk>", null, null, true, false, false), "test");
        BpeModel separate = new BpeModel(vocab, List.of(), new BpeModel.Options("<unk>", null, null, false, false, false), "test");
        assertArrayEquals(new int[] {1, 0, 1}, tokenize(fusing, "xéüx"));
        assertArrayEquals(new int[] {1, 0, 0, 1}, tokenize(separate, "xéüx"));
    }

    @Test
    void aMergeOfAnUnknownTokenNamesTheMerge() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> new BpeModel(vocab("a", "b"), merges("a b"), PLAIN, "vocab.json"));
        assertTrue(e.getMessage().startsWith("vocab.json: merge #1 needs token \"ab\""), e.getMessage());
    }

    @Test
    void anIdBeyondTheLimitIsRefused() {
        Map<String, Integer> vocab = vocab("a");
        vocab.put("b", Integer.MAX_VALUE);
        assertThrows(TokenizerException.class, () -> new BpeModel(vocab, List.of(), PLAIN, "test"));
    }
}

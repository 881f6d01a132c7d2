package owb.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnigurumaRegexTest {
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static List<String> words(String pattern, String text) {
        List<Piece> pieces = new ArrayList<>();
        SplitBehavior.ISOLATED.split(new Piece(text, true), OnigurumaRegex.compile(pattern), false, pieces);
        return pieces.stream().map(Piece::text).toList();
    }

    @Test
    void whitespaceIsUnicodeWhitespaceAsInOniguruma() {
        assertFalse(Pattern.compile("\\s").matcher("\u3000").matches(), "plain Java \\s is ASCII-only");
        assertEquals(List.of("a", "\u3000", "b", "\u00a0", "c"), words("\\s+", "a\u3000b\u00a0c"));
    }

    @Test
    void llama3GroupsDigitsByThreesWhereGpt2KeepsTheRun() {
        assertEquals(List.of("123", "456", "7"), words(LLAMA3, "1234567"));
        assertEquals(List.of("1234567"), words(GPT2, "1234567"));
    }

    @Test
    void contractionsFoldCaseTheUnicodeWay() {
        assertEquals(List.of("'S", " ", "'ſ"), words("(?i:'s)", "'S 'ſ"));
    }

    @Test
    void onigurumaOnlySpellingsAreTranslated() {
        assertEquals("[0-9a-fA-F]+", OnigurumaRegex.translate("\\h+"));
        assertEquals("a{0,2}", OnigurumaRegex.translate("a{,2}"));
        assertEquals("x\\{y", OnigurumaRegex.translate("x{y"));
        assertEquals("\\p{IsHan}+", OnigurumaRegex.translate("\\p{Han}+"));
        assertEquals("\\P{L}", OnigurumaRegex.translate("\\p{^L}"));
        assertEquals("(?s)a.b", OnigurumaRegex.translate("(?m)a.b"));
        assertEquals("[[\\p{Alpha}]]", OnigurumaRegex.translate("[[:alpha:]]"));
        assertEquals("[\\p{L}\\p{M}\\p{N}\\p{Pc}]+", OnigurumaRegex.translate("\\w+"));
        assertEquals("\\x0B", OnigurumaRegex.translate("\\v"));
    }

    @Test
    void possessiveAndAtomicFormsPassThrough() {
        assertEquals("[^\\s\\p{L}]++(?>a+)", OnigurumaRegex.translate("[^\\s\\p{L}]++(?>a+)"));
    }

    @Test
    void constructsJavaLacksAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnigurumaRegex.compile("a\\Kb"));
        assertTrue(e.getMessage().contains("\\K"), e.getMessage());
    }

    /** Every pattern of the fixture script splits every text as the tokenizers library does. */
    @Test
    void splitsAsTheTokenizersLibrary() throws Exception {
        JsonNode cases = TokenizerFixtures.JSON.readTree(TokenizerFixtures.folder().resolve("regex.json").toFile());
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            List<String> expected = new ArrayList<>();
            c.get("pieces").forEach(p -> expected.add(p.asText()));
            List<String> actual = words(c.get("pattern").asText(), c.get("text").asText());
            if (!expected.equals(actual)) failures.add(c.get("pattern").asText() + " on " + c.get("text") + ":\n  hf:  " + expected + "\n  owb: " + actual);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}

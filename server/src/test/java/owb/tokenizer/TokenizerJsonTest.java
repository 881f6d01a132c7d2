package owb.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny byte-level tokenizer.json that knows " Paris", and what the parser makes of it. */
class TokenizerJsonTest {
    private static final int P = 'P';
    private static final int AR = 256;
    private static final int IS = 257;
    private static final int SPACE_PAR = 259;
    private static final int SPACE_PARIS = 260;
    private static final int END_OF_TEXT = 261;

    private static ObjectNode parisJson(boolean mergesAsPairs) {
        ObjectNode root = TokenizerFixtures.JSON.createObjectNode();
        root.put("version", "1.0");
        ObjectNode endOfText = root.putArray("added_tokens").addObject();
        endOfText.put("id", END_OF_TEXT).put("content", "<|endoftext|>").put("special", true).put("normalized", false);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        vocab.put("ar", AR).put("is", IS).put("ĠP", 258).put("ĠPar", SPACE_PAR).put("ĠParis", SPACE_PARIS)
                .put("<|endoftext|>", END_OF_TEXT);
        ArrayNode merges = model.putArray("merges");
        for (String merge : new String[] {"Ġ P", "a r", "i s", "ĠP ar", "ĠPar is"}) {
            if (mergesAsPairs) merges.addArray().add(merge.split(" ")[0]).add(merge.split(" ")[1]);
            else merges.add(merge);
        }
        return root;
    }

    private static Tokenizer parse(ObjectNode json) {
        return TokenizerJson.parse(json.toString(), "tokenizer.json");
    }

    @Test
    void encodesWithTheMergesInRankOrder() {
        Tokenizer tokenizer = parse(parisJson(false));
        assertArrayEquals(new int[] {P, AR, IS, SPACE_PARIS}, tokenizer.encode("Paris Paris", false));
    }

    @Test
    void mergesMayBePairsInsteadOfStrings() {
        assertArrayEquals(parse(parisJson(false)).encode("Paris Paris", false), parse(parisJson(true)).encode("Paris Paris", false));
    }

    @Test
    void specialTokensAreFoundInTheTextAndSkippedOnRequest() {
        Tokenizer tokenizer = parse(parisJson(false));
        int[] ids = tokenizer.encode(" Paris<|endoftext|> Paris", false);
        assertArrayEquals(new int[] {SPACE_PARIS, END_OF_TEXT, SPACE_PARIS}, ids);
        assertEquals(" Paris<|endoftext|> Paris", tokenizer.decode(ids, false));
        assertEquals(" Paris Paris", tokenizer.decode(ids, true));
    }

    @Test
    void tokenTextKeepsTheLeadingSpace() {
        Tokenizer tokenizer = parse(parisJson(false));
        assertEquals(" Paris", tokenizer.tokenText(SPACE_PARIS));
        assertEquals(" Par", tokenizer.tokenText(SPACE_PAR));
        assertEquals("<|endoftext|>", tokenizer.tokenText(END_OF_TEXT));
        assertEquals(OptionalInt.of(SPACE_PARIS), tokenizer.tokenId("ĠParis"));
    }

    @Test
    void aTokenThatIsPartOfACharacterReadsAsItsBytes() {
        ObjectNode json = parisJson(false);
        // " 中" is 20 E4 B8 AD; a token of its first three bytes
        ((ObjectNode) json.get("model").get("vocab")).put("Ġä¸", 262);
        Tokenizer tokenizer = parse(json);
        assertEquals("<0xE4>", tokenizer.tokenText(0xE4));
        assertEquals(" <0xE4><0xB8>", tokenizer.tokenText(262));
    }

    @Test
    void templateProcessingPutsItsTokensAroundTheText() {
        ObjectNode json = parisJson(false);
        ObjectNode template = json.putObject("post_processor");
        template.put("type", "TemplateProcessing");
        template.putArray("single").addObject().putObject("SpecialToken").put("id", "<|endoftext|>");
        template.withArray("single").addObject().putObject("Sequence").put("id", "A");
        template.putObject("special_tokens").putObject("<|endoftext|>").putArray("ids").add(END_OF_TEXT);
        Tokenizer tokenizer = parse(json);
        assertArrayEquals(new int[] {END_OF_TEXT, SPACE_PARIS}, tokenizer.encode(" Paris", true));
        assertArrayEquals(new int[] {SPACE_PARIS}, tokenizer.encode(" Paris", false));
        assertEquals(OptionalInt.of(END_OF_TEXT), tokenizer.bos());
    }

    @Test
    void bosAndEosComeFromTokenizerConfigBesideTheFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), parisJson(false).toString());
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"ĠPar\"}, \"eos_token\": \"<|endoftext|>\"}");
        Tokenizer tokenizer = Tokenizer.fromTokenizerJson(dir.resolve("tokenizer.json"));
        assertEquals(OptionalInt.of(SPACE_PAR), tokenizer.bos());
        assertEquals(OptionalInt.of(END_OF_TEXT), tokenizer.eos());
        assertEquals(END_OF_TEXT + 1, tokenizer.vocabSize());
    }

    @Test
    void anUnsupportedModelIsNamed() {
        ObjectNode json = parisJson(false);
        ((ObjectNode) json.get("model")).put("type", "Unigram");
        TokenizerException e = assertThrows(TokenizerException.class, () -> parse(json));
        assertEquals("tokenizer.json: model type Unigram is not supported (only BPE is)", e.getMessage());
    }

    @Test
    void anUnsupportedComponentIsNamed() {
        ObjectNode json = parisJson(false);
        json.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        TokenizerException e = assertThrows(TokenizerException.class, () -> parse(json));
        assertEquals("tokenizer.json: pre-tokenizer type BertPreTokenizer is not supported", e.getMessage());
    }

    @Test
    void aMalformedMergeIsNamedWhenTextIsFirstEncoded() {
        ObjectNode json = parisJson(false);
        ((ArrayNode) json.get("model").get("merges")).add("nospace");
        Tokenizer tokenizer = parse(json);   // the merges are read on first use: decoding needs none
        assertEquals(" Paris", tokenizer.decode(new int[] {SPACE_PARIS}, false));
        TokenizerException e = assertThrows(TokenizerException.class, () -> tokenizer.encode("Paris", false));
        assertTrue(e.getMessage().contains("merge #6 \"nospace\" has no space"), e.getMessage());
        e = assertThrows(TokenizerException.class, () -> tokenizer.encode("Paris", false));   // and again
        assertTrue(e.getMessage().contains("merge #6"), e.getMessage());
    }

    @Test
    void aMergeOfUnknownTokensIsNamedWhenTextIsFirstEncoded() {
        ObjectNode json = parisJson(true);
        ((ArrayNode) json.get("model").get("merges")).addArray().add("x").add("y");
        Tokenizer tokenizer = parse(json);
        TokenizerException e = assertThrows(TokenizerException.class, () -> tokenizer.encode("Paris", false));
        assertTrue(e.getMessage().startsWith("tokenizer.json: merge #6 needs token \"xy\""), e.getMessage());
    }

    @Test
    void mergesAreFoundPastLongNonAsciiText(@TempDir Path dir) throws Exception {
        ObjectNode json = parisJson(false);
        // a vocab far past the parser's 32K-character buffer, most of it outside Latin-1
        ObjectNode vocab = (ObjectNode) json.get("model").get("vocab");
        for (int i = 0; i < 20_000; i++) vocab.put("Ġ日本" + i, 1000 + i);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json.toString());
        Tokenizer tokenizer = Tokenizer.fromTokenizerJson(file);
        assertArrayEquals(new int[] {P, AR, IS, SPACE_PARIS}, tokenizer.encode("Paris Paris", false));
    }

    @Test
    void malformedUtf8IsATokenizerException(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        byte[] json = parisJson(false).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        json[json.length / 2] = (byte) 0xC3;   // a lead byte without its continuation
        json[json.length / 2 + 1] = (byte) '"';
        Files.write(file, json);
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().endsWith("tokenizer.json: not valid UTF-8"), e.getMessage());
    }

    @Test
    void aRegexJavaCannotExpressIsATokenizerException() {
        ObjectNode json = parisJson(false);
        ObjectNode split = json.putObject("pre_tokenizer");
        split.put("type", "Split").put("behavior", "Isolated").putObject("pattern").put("Regex", "a\\Kb");
        assertThrows(TokenizerException.class, () -> parse(json));
    }

    @Test
    void textThatIsNotJsonIsATokenizerException() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> TokenizerJson.parse("{\"model\": ", "t.json"));
        assertTrue(e.getMessage().startsWith("t.json: not valid JSON"), e.getMessage());
    }
}

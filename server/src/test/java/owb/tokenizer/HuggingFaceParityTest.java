package owb.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our tokenizers give Hugging Face's ids and decodings, for every tokenizer the fixture script
 * makes (trained tokenizer.json files of each pre-tokenizer family, a SentencePiece GGUF
 * vocabulary, the real SmolLM2 GGUF vocabulary): on each corpus line, the whole corpus, edge
 * cases and seeded random strings.
 */
class HuggingFaceParityTest {
    @TestFactory
    List<DynamicNode> matchesHuggingFace() throws Exception {
        List<DynamicNode> containers = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : TokenizerFixtures.expected().properties()) {
            Tokenizer tokenizer = TokenizerFixtures.load(entry.getValue());
            List<DynamicNode> groups = new ArrayList<>();
            for (Map.Entry<String, JsonNode> group : entry.getValue().get("cases").properties()) {
                groups.add(check(group.getKey(), tokenizer, group.getValue()));
            }
            containers.add(DynamicContainer.dynamicContainer(entry.getKey(), groups));
        }
        return containers;
    }

    private static DynamicTest check(String name, Tokenizer tokenizer, JsonNode cases) {
        return DynamicTest.dynamicTest(name, () -> {
            List<String> failures = new ArrayList<>();
            for (JsonNode c : cases) {
                String text = c.get("text").asText();
                int[] ids = TokenizerFixtures.ints(c.get("ids"));
                compare(failures, text, "encode", TokenizerFixtures.ints(c.get("ids")), tokenizer.encode(text, false));
                compare(failures, text, "encode with special tokens",
                        TokenizerFixtures.ints(c.get("ids_with_special_tokens")), tokenizer.encode(text, true));
                compare(failures, text, "decode", c.get("decoded").asText(), tokenizer.decode(ids, false));
                compare(failures, text, "decode skipping special tokens",
                        c.get("decoded_skipping_special_tokens").asText(), tokenizer.decode(ids, true));
            }
            assertTrue(failures.isEmpty(), failures.size() + " differences from Hugging Face, first ones:\n"
                    + String.join("\n", failures.subList(0, Math.min(8, failures.size()))));
        });
    }

    private static void compare(List<String> failures, String text, String what, int[] expected, int[] actual) {
        int at = Arrays.mismatch(expected, actual);
        if (at < 0) return;
        int from = Math.max(0, at - 3);
        failures.add(what + " of " + visible(text) + ", from id #" + from + ":\n  hf:  " + window(expected, from)
                + "\n  owb: " + window(actual, from));
    }

    private static String window(int[] ids, int from) {
        int to = Math.min(ids.length, from + 12);
        return (from < to ? Arrays.toString(Arrays.copyOfRange(ids, from, to)) : "[]") + (to < ids.length ? " ..." : "");
    }

    private static void compare(List<String> failures, String text, String what, String expected, String actual) {
        if (!expected.equals(actual)) {
            failures.add(what + " of " + visible(text) + ":\n  hf:  " + visible(expected) + "\n  owb: " + visible(actual));
        }
    }

    private static String visible(String s) {
        String shown = s.length() > 160 ? s.substring(0, 160) + "..." : s;
        return '"' + shown.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"';
    }
}

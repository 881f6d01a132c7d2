package owb.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {
    private static final String DOC = """
            {"a": 1, "b": 3000000000, "c": 123456789012345678901234567890, "d": 1.5e-3,
             "e": [true, false, null, "x\\u00e9"], "f": {"g": {"h": []}}, "i": -7}""";

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void buildsTheTreeObjectMapperBuilds() throws Exception {
        JsonNode ours = JsonTree.parse(JsonTree.LENIENT, bytes(DOC), JsonTree.Ints.SMALLEST);
        JsonNode mappers = new ObjectMapper().readTree(DOC);
        assertEquals(mappers, ours);
        assertTrue(ours.get("a").isInt());
        assertTrue(ours.get("b").isLong());
        assertTrue(ours.get("c").isBigInteger());
        assertTrue(ours.get("d").isDouble());
    }

    @Test
    void longIntsMakeEveryIntegerALongWhereItFits() throws Exception {
        JsonNode tree = JsonTree.parse(JsonTree.STRICT, bytes(DOC), JsonTree.Ints.LONG);
        assertTrue(tree.get("a").isLong());
        assertTrue(tree.get("i").isLong());
        assertTrue(tree.get("c").isBigInteger());
    }

    @Test
    void plainValuesKeepFileOrderAndNumberTypes() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> plain = (Map<String, Object>) JsonTree.toPlain(
                JsonTree.parse(JsonTree.STRICT, bytes(DOC), JsonTree.Ints.LONG));
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "i"), List.copyOf(plain.keySet()));
        assertEquals(1L, plain.get("a"));
        assertEquals(new BigInteger("123456789012345678901234567890"), plain.get("c"));
        assertEquals(1.5e-3, plain.get("d"));
        assertEquals(java.util.Arrays.asList(true, false, null, "xé"), plain.get("e"));
        assertEquals(Map.of("g", Map.of("h", List.of())), plain.get("f"));
    }

    @Test
    void emptyInputIsNullAndTrailingContentAnError() throws Exception {
        assertNull(JsonTree.parse(JsonTree.STRICT, bytes("  "), JsonTree.Ints.LONG));
        assertThrows(JsonProcessingException.class, () -> JsonTree.parse(JsonTree.STRICT, bytes("{} {}"), JsonTree.Ints.LONG));
        assertThrows(JsonProcessingException.class, () -> JsonTree.parse(JsonTree.STRICT, bytes("{\"a\": }"), JsonTree.Ints.LONG));
    }

    @Test
    void strictRefusesDuplicateKeysAndNanWhileLenientKeepsTheLastValue() throws Exception {
        byte[] duplicate = bytes("{\"a\": 1, \"a\": 2}");
        assertThrows(JsonProcessingException.class, () -> JsonTree.parse(JsonTree.STRICT, duplicate, JsonTree.Ints.LONG));
        assertEquals(2, JsonTree.parse(JsonTree.LENIENT, duplicate, JsonTree.Ints.SMALLEST).get("a").intValue());
        assertThrows(JsonProcessingException.class, () -> JsonTree.parse(JsonTree.STRICT, bytes("{\"a\": NaN}"), JsonTree.Ints.LONG));
    }

    @Test
    void deepNestingIsAParseErrorNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThrows(JsonProcessingException.class, () -> JsonTree.parse(JsonTree.LENIENT, bytes(deep), JsonTree.Ints.SMALLEST));
    }
}

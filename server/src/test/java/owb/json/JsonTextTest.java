package owb.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    private static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    enum Colour { RED }

    @Test
    void writesWhatObjectMapperWritesForPlainValues() throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("text", "a \"quoted\" é\n");
        doc.put("int", 7);
        doc.put("long", 1L << 40);
        doc.put("float", 0.1f);
        doc.put("double", -2.5e-300);
        doc.put("nan", Double.NaN);
        doc.put("inf", Float.POSITIVE_INFINITY);
        doc.put("big", new BigInteger("123456789012345678901234567890"));
        doc.put("flag", true);
        doc.put("nothing", null);
        doc.put("enum", Colour.RED);
        doc.put("floats", new float[] {1.5f, -0f, 3e-8f});
        doc.put("doubles", new double[] {1, 2.25});
        doc.put("ints", new int[] {1, -2});
        doc.put("nested", List.of(Map.of("k", List.of()), Arrays.asList(1, null, "x")));
        doc.put("empty", Map.of());
        assertEquals(INDENTED.writeValueAsString(doc), JsonText.pretty(doc));
    }

    @Test
    void writesTreesAsObjectMapperDoes() throws Exception {
        String json = "{\"a\":[1,2.5,\"s\",null,true,{\"b\":12345678901}],\"c\":{}}";
        var tree = new ObjectMapper().readTree(json);
        assertEquals(INDENTED.writeValueAsString(tree), JsonText.pretty(tree));
        Map<String, Object> mixed = new LinkedHashMap<>();
        mixed.put("tree", tree);
        assertEquals(INDENTED.writeValueAsString(mixed), JsonText.pretty(mixed));
    }

    @Test
    void refusesTypesItHasNoJsonFormFor() {
        assertThrows(IllegalArgumentException.class, () -> JsonText.pretty(Map.of("thread", Thread.currentThread())));
    }
}

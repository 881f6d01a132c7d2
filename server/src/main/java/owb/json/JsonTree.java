package owb.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON trees read with jackson-core's parser alone. The trees are jackson-databind's
 * {@link JsonNode}s, as {@code ObjectMapper.readTree} builds them, but no ObjectMapper is made:
 * building the first one costs about 0.15 s in a fresh process, more than reading a model's
 * config.json, its safetensors header and its tokenizer.json together.
 */
public final class JsonTree {
    /** Duplicate keys rejected, no NaN or Infinity literals: for files whose meaning must be unambiguous. */
    public static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();
    /**
     * Jackson's defaults (a later duplicate key replaces an earlier one, as in ObjectMapper), but
     * field names are neither interned nor canonicalized: a tokenizer.json's vocab is an object
     * with 10^5 distinct keys, and interning them was most of the 0.25 s it took to read SmolLM2's.
     */
    public static final JsonFactory LENIENT = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Far deeper than any real config or tokenizer; bounds the recursion on hostile input. */
    private static final int MAX_DEPTH = 500;

    /** How integers become nodes. */
    public enum Ints {
        /** IntNode when the value fits an int, else LongNode, else BigIntegerNode (ObjectMapper's default). */
        SMALLEST,
        /** LongNode when the value fits a long, else BigIntegerNode ({@code USE_LONG_FOR_INTS}). */
        LONG
    }

    private JsonTree() {}

    /**
     * The single JSON value in {@code json}: null for empty input, a parse error for anything
     * after the value ({@code FAIL_ON_TRAILING_TOKENS}).
     */
    public static JsonNode parse(JsonFactory factory, byte[] json, Ints ints) throws IOException {
        try (JsonParser p = factory.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) return null;
            JsonNode root = read(p, ints);
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                throw new JsonParseException(p, "Trailing token (of type " + trailing + ") found after value");
            }
            return root;
        }
    }

    /** The value starting at the parser's current token; the parser is left on its last token. */
    public static JsonNode read(JsonParser p, Ints ints) throws IOException {
        return read(p, ints, 0);
    }

    private static JsonNode read(JsonParser p, Ints ints, int depth) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) throw new JsonParseException(p, "No content to map due to end-of-input");
        return switch (t) {
            case START_OBJECT -> {
                if (depth >= MAX_DEPTH) throw new JsonParseException(p, "JSON nested deeper than " + MAX_DEPTH);
                ObjectNode object = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    object.set(name, read(p, ints, depth + 1));
                }
                yield object;
            }
            case START_ARRAY -> {
                if (depth >= MAX_DEPTH) throw new JsonParseException(p, "JSON nested deeper than " + MAX_DEPTH);
                ArrayNode array = NODES.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) array.add(read(p, ints, depth + 1));
                yield array;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> integer(p, ints);
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new JsonParseException(p, "Unexpected token " + t);
        };
    }

    private static JsonNode integer(JsonParser p, Ints ints) throws IOException {
        return switch (p.getNumberType()) {
            case INT -> ints == Ints.LONG ? NODES.numberNode(p.getLongValue()) : NODES.numberNode(p.getIntValue());
            case LONG -> NODES.numberNode(p.getLongValue());
            default -> NODES.numberNode(p.getBigIntegerValue());
        };
    }

    /**
     * The tree as plain Java values: objects as LinkedHashMap (file order), arrays as List,
     * numbers as the node holds them (Integer, Long, BigInteger, Double), text as String,
     * booleans, and null.
     */
    public static Object toPlain(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                map.put(e.getKey(), toPlain(e.getValue()));
            }
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            for (JsonNode element : node) list.add(toPlain(element));
            return list;
        }
        if (node.isNumber()) return node.numberValue();
        if (node.isTextual()) return node.textValue();
        if (node.isBoolean()) return node.booleanValue();
        return null;
    }
}

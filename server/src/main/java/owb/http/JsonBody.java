package owb.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.BadRequestResponse;

import java.util.Iterator;
import java.util.Set;

/** A POST body that must be a JSON object of known fields; anything else is a 400 with the reason. */
final class JsonBody {
    private static final ObjectMapper JSON = ApiJson.mapper();

    private JsonBody() {}

    /**
     * @param shape   what the body should look like, for the message when it is not an object
     * @param fields  the fields it may have
     * @param allowed what follows "unknown field 'x'" in that message, e.g. " (base, derivative)"
     */
    static ObjectNode object(String body, String shape, Set<String> fields, String allowed) {
        JsonNode root;
        try {
            root = JSON.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new BadRequestResponse("the body is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new BadRequestResponse("the body must be a JSON object " + shape);
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!fields.contains(field)) throw new BadRequestResponse("unknown field '" + field + "'" + allowed);
        }
        return (ObjectNode) root;
    }

    /** A string field, null when absent or null. */
    static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw new BadRequestResponse("'" + field + "' must be a string");
        return n.asText();
    }
}

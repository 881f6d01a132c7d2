package owb.http;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ApiJsonTest {

    @Test
    void longMetadataArraysAreSummarisedWithLengthAndHead() {
        List<Long> tokens = LongStream.range(0, 49_152).boxed().toList();
        Object summary = ApiJson.summariseMetadata(tokens);
        assertEquals(Map.of("type", "array", "length", 49_152, "head", List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L)),
                summary);
    }

    @Test
    void shortArraysStayAsTheyAreAndNestedOnesAreSummarisedToo() {
        List<Long> shortList = LongStream.range(0, ApiJson.MAX_METADATA_ARRAY).boxed().toList();
        assertEquals(shortList, ApiJson.summariseMetadata(shortList));
        List<Object> nested = List.of(LongStream.range(0, 100).boxed().toList());
        Map<?, ?> inner = (Map<?, ?>) ((List<?>) ApiJson.summariseMetadata(nested)).getFirst();
        assertEquals(100, inner.get("length"));
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        assertNull(ApiJson.summariseMetadata(Double.NaN));
        assertEquals(1.5, ApiJson.summariseMetadata(1.5));
        assertEquals("text", ApiJson.summariseMetadata("text"));
    }
}

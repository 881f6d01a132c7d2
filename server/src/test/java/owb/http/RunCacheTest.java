package owb.http;

import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.NotFoundResponse;
import org.junit.jupiter.api.Test;
import owb.model.ActivationCache;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCacheTest {

    private static Run run(String id, long bytes) {
        return new Run(id, "m", new int[] {1}, List.of("a"), 1, 1, 1, 1, List.of(), new ActivationCache(), bytes);
    }

    @Test
    void dropsTheLeastRecentlyUsedRunsUntilTheNewOneFits() {
        RunCache cache = new RunCache(100, 10);
        cache.put(run("a", 40));
        cache.put(run("b", 40));
        cache.get("a");                                   // b is now the least recently used
        cache.put(run("c", 40));
        assertFalse(cache.contains("b"));
        assertTrue(cache.contains("a") && cache.contains("c"));
        assertEquals(80, cache.bytes());
        cache.put(run("d", 100));                         // exactly the bound: everything else leaves
        assertEquals(1, cache.size());
        assertEquals(100, cache.bytes());
    }

    @Test
    void isBoundedInCountToo() {
        RunCache cache = new RunCache(1000, 2);
        for (String id : List.of("a", "b", "c")) cache.put(run(id, 1));
        assertEquals(2, cache.size());
        assertFalse(cache.contains("a"));
    }

    @Test
    void refusesARunLargerThanTheWholeCache() {
        RunCache cache = new RunCache(100, 10);
        cache.put(run("a", 50));
        assertThrows(ContentTooLargeResponse.class, () -> cache.put(run("big", 101)));
        assertTrue(cache.contains("a"), "a refused run evicts nothing");
        assertThrows(ContentTooLargeResponse.class, () -> cache.requireRoomFor(101));
        cache.requireRoomFor(100);
    }

    @Test
    void anUnknownRunIsNotFound() {
        assertThrows(NotFoundResponse.class, () -> new RunCache(1, 1).get("nope"));
    }

    @Test
    void keepsResultsWithTheirRunCountedInTheBound() {
        RunCache cache = new RunCache(100, 10);
        cache.put(run("a", 40));
        cache.put(run("b", 40));
        cache.keep("a", "lens", new byte[10]);            // a is now the most recently used
        assertEquals(90, cache.bytes());
        assertEquals(10, cache.derived("a", "lens").length);
        assertEquals(null, cache.derived("a", "other"));
        cache.keep("a", "lens 2", new byte[15]);          // 105 > 100: b, the least recently used, leaves
        assertFalse(cache.contains("b"));
        assertEquals(65, cache.bytes());
        cache.put(run("c", 40));                          // 105 again: a leaves, and its results with it
        assertFalse(cache.contains("a"));
        assertEquals(null, cache.derived("a", "lens"));
        assertEquals(40, cache.bytes());
    }

    @Test
    void aRunAloneOverTheBoundDropsItsOlderResultsFirst() {
        RunCache cache = new RunCache(100, 10);
        cache.put(run("a", 60));
        cache.keep("a", "one", new byte[20]);
        cache.keep("a", "two", new byte[20]);
        cache.keep("a", "three", new byte[20]);           // 120: "one" leaves
        assertEquals(null, cache.derived("a", "one"));
        assertEquals(20, cache.derived("a", "three").length);
        assertEquals(100, cache.bytes());
        cache.keep("a", "huge", new byte[41]);            // could never fit beside its run: not kept
        assertEquals(null, cache.derived("a", "huge"));
        assertEquals(100, cache.bytes());
        cache.keep("gone", "lens", new byte[1]);          // no such run: nothing kept
        assertEquals(null, cache.derived("gone", "lens"));
    }
}

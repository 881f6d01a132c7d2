package owb.http;

import org.junit.jupiter.api.Test;
import owb.checkpoint.Checkpoint;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointCacheTest {

    private static final class Opened {
        final Arena arena = Arena.ofShared();
        final Checkpoint checkpoint = new Checkpoint(Checkpoint.Format.SAFETENSORS, Path.of("m"), List.of(),
                Map.of(), List.of(), null, arena);
        int opens;

        Checkpoint open() {
            opens++;
            return checkpoint;
        }

        boolean closed() { return !arena.scope().isAlive(); }
    }

    @Test
    void reusesAnOpenCheckpoint() throws Exception {
        CheckpointCache cache = new CheckpointCache(2, Long.MAX_VALUE);
        Opened a = new Opened();
        try (var first = cache.acquire("a", a::open, 0); var second = cache.acquire("a", a::open, 0)) {
            assertSame(first.checkpoint(), second.checkpoint());
        }
        assertEquals(1, a.opens);
        assertFalse(a.closed());
    }

    @Test
    void evictsAndClosesTheLeastRecentlyUsedIdleCheckpoint() throws Exception {
        CheckpointCache cache = new CheckpointCache(2, Long.MAX_VALUE);
        Opened a = new Opened(), b = new Opened(), c = new Opened();
        cache.acquire("a", a::open, 0).close();
        cache.acquire("b", b::open, 0).close();
        cache.acquire("a", a::open, 0).close(); // a is now more recent than b
        cache.acquire("c", c::open, 0).close();
        assertTrue(b.closed());
        assertFalse(a.closed());
        assertFalse(c.closed());
        assertEquals(2, cache.size());
    }

    @Test
    void neverClosesACheckpointStillInUse() throws Exception {
        CheckpointCache cache = new CheckpointCache(1, Long.MAX_VALUE);
        Opened a = new Opened(), b = new Opened();
        CheckpointCache.Lease leaseOnA = cache.acquire("a", a::open, 0);
        cache.acquire("b", b::open, 0).close();
        assertFalse(a.closed(), "a is leased");
        leaseOnA.close();
        assertTrue(a.closed() || b.closed(), "back within one open checkpoint");
        assertEquals(1, cache.size());
    }

    @Test
    void boundsTheMappedBytesButKeepsTheNewest() throws Exception {
        CheckpointCache cache = new CheckpointCache(8, 100);
        Opened a = new Opened(), b = new Opened();
        cache.acquire("a", a::open, 80).close();
        cache.acquire("b", b::open, 500).close();
        assertTrue(a.closed());
        assertFalse(b.closed(), "the newest stays even when alone over the bound");
    }

    @Test
    void closingTheCacheWaitsForLeasesBeforeClosingTheirCheckpoints() throws Exception {
        CheckpointCache cache = new CheckpointCache(4, Long.MAX_VALUE);
        Opened idle = new Opened(), used = new Opened();
        cache.acquire("idle", idle::open, 0).close();
        CheckpointCache.Lease lease = cache.acquire("used", used::open, 0);
        cache.close();
        assertTrue(idle.closed());
        assertFalse(used.closed());
        lease.close();
        assertTrue(used.closed());
    }
}

package owb.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The loaded-model cache's bookkeeping, with engines that only count their loads and closes. */
class ModelEnginesTest {

    private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> closes = new ConcurrentHashMap<>();

    private ModelEngine fake(String id) {
        loads.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        return new ModelEngine(id, null, null, "none", () -> closes.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet());
    }

    private int closed(String id) { return closes.getOrDefault(id, new AtomicInteger()).get(); }

    @Test
    void loadsAModelOnceForConcurrentRequests() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ModelEngines engines = new ModelEngines(2, id -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return fake(id);
        });
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ModelEngine>> uses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                uses.add(pool.submit(() -> {
                    try (ModelEngines.Use use = engines.acquire("a")) {
                        return use.engine();
                    }
                }));
            }
            Thread.sleep(50);                  // let them all ask before the load finishes (not a timing assertion)
            release.countDown();
            ModelEngine first = uses.getFirst().get();
            for (Future<ModelEngine> u : uses) assertSame(first, u.get());
            assertEquals(1, loads.get("a").get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedIdleEngineAndClosesIt() throws IOException {
        ModelEngines engines = new ModelEngines(2, this::fake);
        engines.acquire("a").close();
        engines.acquire("b").close();
        engines.acquire("a").close();         // b is the least recently used
        engines.acquire("c").close();
        assertEquals(2, engines.size());
        assertEquals(1, closed("b"));
        assertEquals(0, closed("a"));
        engines.acquire("b").close();         // loaded again
        assertEquals(2, loads.get("b").get());
    }

    @Test
    void anEngineInUseClosesOnlyWhenItsLastUseDoes() throws IOException {
        ModelEngines engines = new ModelEngines(1, this::fake);
        ModelEngines.Use a = engines.acquire("a");
        engines.acquire("b").close();         // over the bound with a busy: b leaves as soon as it is idle
        assertEquals(1, closed("b"));
        ModelEngines.Use c = engines.acquire("c");
        assertEquals(0, closed("a"), "a forward pass never loses its weights");
        a.close();
        a.close();                            // closing twice is harmless
        c.close();
        assertEquals(1, engines.size());
        assertEquals(1, closed("a"));
        engines.close();
        assertEquals(1, closed("c"));
        assertEquals(1, closed("a"));
    }

    @Test
    void aFailedLoadIsNotRemembered() throws IOException {
        AtomicInteger attempts = new AtomicInteger();
        ModelEngines engines = new ModelEngines(2, id -> {
            if (attempts.incrementAndGet() == 1) throw new IOException("disk hiccup");
            return fake(id);
        });
        assertEquals("disk hiccup", assertThrows(IOException.class, () -> engines.acquire("a")).getMessage());
        assertEquals(0, engines.size());
        try (ModelEngines.Use use = engines.acquire("a")) {
            assertEquals("a", use.engine().modelId());
        }
    }

    @Test
    void closingTheCacheClosesEnginesInUseWhenTheirUseEnds() throws IOException {
        ModelEngines engines = new ModelEngines(2, this::fake);
        ModelEngines.Use a = engines.acquire("a");
        engines.acquire("b").close();
        engines.close();
        assertEquals(1, closed("b"));
        assertEquals(0, closed("a"));
        a.close();
        assertEquals(1, closed("a"));
    }
}

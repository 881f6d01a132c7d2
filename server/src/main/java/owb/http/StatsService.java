package owb.http;

import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import owb.audit.StatsKernel;
import owb.audit.TensorStats;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Statistics of single tensors on demand: computed at most a few at a time (each one reads the
 * whole tensor), and remembered per model and tensor in a bounded LRU map.
 */
final class StatsService {

    /** A tensor's identity and its statistics. */
    record TensorWithStats(TensorEntry tensor, TensorStats stats) {}

    private static final int MAX_CACHED = 4096;
    private static final long WAIT_FOR_PERMIT_SECONDS = 30;

    private final ModelRegistry registry;
    private final Semaphore computations;
    private final Map<String, TensorStats> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TensorStats> eldest) {
            return size() > MAX_CACHED;
        }
    };

    StatsService(ModelRegistry registry, int maxConcurrent) {
        this.registry = registry;
        this.computations = new Semaphore(maxConcurrent);
    }

    TensorWithStats stats(String modelId, String tensorName) throws IOException, InterruptedException {
        try (CheckpointCache.Lease lease = registry.open(modelId)) {
            TensorEntry tensor = lease.checkpoint().tensor(tensorName).orElseThrow(
                    () -> new NotFoundResponse("model '" + modelId + "' has no tensor '" + tensorName + "'"));
            String key = modelId + '\n' + tensorName;
            TensorStats stats;
            synchronized (cache) {
                stats = cache.get(key);
            }
            if (stats == null) {
                stats = computeBounded(tensor);
                synchronized (cache) {
                    cache.put(key, stats);
                }
            }
            return new TensorWithStats(tensor, stats);
        }
    }

    private TensorStats computeBounded(TensorEntry tensor) throws InterruptedException {
        if (!computations.tryAcquire(WAIT_FOR_PERMIT_SECONDS, TimeUnit.SECONDS)) {
            throw new ServiceUnavailableResponse("busy: too many tensor statistics being computed, try again");
        }
        try {
            return StatsKernel.compute(tensor);
        } finally {
            computations.release();
        }
    }
}

package owb.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs independent work units on all cores. Units are handed out one at a time from a shared
 * counter, so a core slowed by other work on the machine simply takes fewer units. The calling
 * thread works too; the pool supplies the other {@code threads() - 1} workers.
 */
final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("owb.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1, pool -> {
        var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        thread.setName("owb-kernel-" + thread.getPoolIndex());
        thread.setDaemon(true);
        return thread;
    }, null, false) : null;

    private Parallel() {}

    /** Worker threads a parallel call uses (the caller included); property {@code owb.threads}. */
    static int threads() {
        return THREADS;
    }

    /** Calls {@code unit.accept(u)} once for every u in [0, units), in any order, on any thread. */
    static void forEach(int units, IntConsumer unit) {
        int workers = Math.min(THREADS, units);
        if (workers <= 1) {
            for (int u = 0; u < units; u++) unit.accept(u);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable drain = () -> {
            try {
                for (int u; (u = next.getAndIncrement()) < units; ) unit.accept(u);
            } catch (RuntimeException | Error failure) {
                next.set(units); // stop the other workers early; the failure surfaces from join
                throw failure;
            }
        };
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[workers - 1];
        for (int h = 0; h < helpers.length; h++) helpers[h] = POOL.submit(drain);
        try {
            drain.run();
        } finally {
            for (ForkJoinTask<?> helper : helpers) helper.join();
        }
    }
}

package owb.tensor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs independent work units on all cores. Units are handed out one at a time from a shared
 * counter, so a core slowed by other work on the machine simply takes fewer units. The calling
 * thread works too, and waits only for units that were started, never for a helper that the OS
 * has not scheduled yet (on a loaded machine that wait would cost whole time slices).
 */
final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("owb.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1, pool -> {
        var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        thread.setName("owb-kernel-" + thread.getPoolIndex());
        thread.setDaemon(true);
        thread.setPriority(Thread.NORM_PRIORITY);   // not the low priority of a warm-up thread that started the pool
        return thread;
    }, null, false) : null;

    private Parallel() {}

    /** Threads a parallel call uses, the caller included: property {@code owb.threads}, else all cores. */
    static int threads() {
        return THREADS;
    }

    /**
     * Calls {@code unit.accept(u)} once for every u in [0, units), in any order, on any thread,
     * and returns when all are done. The first failure is rethrown; units not yet started are skipped.
     */
    static void forEach(int units, IntConsumer unit) {
        int workers = Math.min(THREADS, units);
        if (workers <= 1) {
            for (int u = 0; u < units; u++) unit.accept(u);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(units);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            for (int u; (u = next.getAndIncrement()) < units; ) {
                try {
                    if (failure.get() == null) unit.accept(u);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        };
        for (int h = 1; h < workers; h++) POOL.execute(drain);
        drain.run();
        awaitUninterruptibly(done);
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}

package owb.audit;

import owb.checkpoint.TensorEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fused tensor statistics with the Vector API ({@code FloatVector.SPECIES_PREFERRED}), in parallel
 * on all cores: tensors larger than one chunk are split into chunks, smaller ones are measured one
 * per thread. See {@link TensorJob} for the two strategies (two vector passes, or a table of
 * 16-bit values), {@link KernelWarmup} for how the vector kernels take over from their scalar
 * twins once compiled, and {@link ReferenceStats} for the scalar definition the kernel is tested
 * against.
 */
public final class StatsKernel {

    private StatsKernel() {}

    /** The statistics of one tensor, using every core. */
    public static TensorStats compute(TensorEntry t) {
        return measureAll(List.of(t), sharedPool(), Listener.NONE).getFirst();
    }

    /** The statistics of every tensor, as an audit measures them (using every core). */
    public static List<TensorStats> computeAll(List<TensorEntry> tensors) {
        return measureAll(tensors, sharedPool(), Listener.NONE);
    }

    /**
     * Compiles the vector kernels these tensors need and waits until they are in use (at most
     * ten seconds): for benchmarks, and for servers that would rather not answer the first audit
     * on the scalar kernels.
     */
    public static void warmUp(List<TensorEntry> tensors) throws InterruptedException {
        Map<KernelWarmup.Kernel, Long> bytesNeeding = new EnumMap<>(KernelWarmup.Kernel.class);
        for (TensorEntry t : tensors) {
            for (KernelWarmup.Kernel k : TensorJob.of(t).kernels()) bytesNeeding.merge(k, t.byteSize(), Long::sum);
        }
        KernelWarmup.request(bytesNeeding, largestMapped(tensors), true);
        KernelWarmup.await(bytesNeeding.keySet(), WARM_UP_WAIT_NANOS);
    }

    private static TensorEntry largestMapped(List<TensorEntry> tensors) {
        return tensors.stream().filter(t -> t.data().isMapped()).max(Comparator.comparingLong(TensorEntry::byteSize)).orElse(null);
    }

    /** Told of each finished piece of work; may be called from several threads at once. */
    @FunctionalInterface
    interface Listener {
        void done(TensorEntry tensor, long bytes);

        Listener NONE = (t, b) -> {};
    }

    /**
     * Measures every tensor on {@code pool}'s threads. The listener hears of each piece of work
     * as it ends: a small tensor whole, or half a chunk's bytes for each pass over a large one.
     */
    static List<TensorStats> measureAll(List<TensorEntry> tensors, ForkJoinPool pool, Listener listener) {
        List<TensorJob> jobs = new ArrayList<>(tensors.size());
        for (TensorEntry t : tensors) jobs.add(TensorJob.of(t));
        Map<KernelWarmup.Kernel, Long> bytesNeeding = new EnumMap<>(KernelWarmup.Kernel.class);
        for (TensorJob job : jobs) {
            for (KernelWarmup.Kernel k : job.kernels()) bytesNeeding.merge(k, job.tensor.byteSize(), Long::sum);
        }
        Set<KernelWarmup.Kernel> awaited = kernelsToAwait(jobs);
        KernelWarmup.request(bytesNeeding, largestMapped(tensors), !awaited.isEmpty());
        try {
            KernelWarmup.await(awaited, WARM_UP_WAIT_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the kernels warmed up", e);
        }
        List<TensorJob> small = jobs.stream().filter(j -> j.chunks == 1).toList();
        List<TensorJob> large = jobs.stream().filter(j -> j.chunks > 1).toList();
        try {
            pool.submit(() -> {
                runAll(small.stream().<Runnable>map(job -> () -> {
                    job.pass1(0);
                    job.finishPass1();
                    if (job.twoPasses()) job.pass2(0);
                    listener.done(job.tensor, job.chunkBytes(0));
                }).toList());
                measureLarge(large, listener);
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring tensors", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
        List<TensorStats> results = new ArrayList<>(jobs.size());
        for (TensorJob job : jobs) results.add(job.stats());
        return results;
    }

    /**
     * The jobs of more than one chunk, in order. Pass 2 of one runs beside pass 1 of the next: pass 1
     * waits on memory, pass 2 on the scalar bin increments, so a core on each keeps both the memory
     * bus and the arithmetic busy where two cores on the same pass would leave one of them idle.
     * Consecutive one-pass jobs go as one batch, with no wait for the slowest chunk of each.
     */
    private static void measureLarge(List<TensorJob> large, Listener listener) {
        TensorJob awaitingPass2 = null;
        for (int i = 0; i < large.size(); ) {
            int end = i + 1;
            if (!large.get(i).twoPasses()) {
                while (end < large.size() && !large.get(end).twoPasses()) end++;
            }
            List<TensorJob> firstPass = large.subList(i, end);
            runChunks(awaitingPass2, firstPass, listener);
            awaitingPass2 = firstPass.getFirst().twoPasses() ? firstPass.getFirst() : null;
            i = end;
        }
        runChunks(awaitingPass2, List.of(), listener);
    }

    /**
     * Pass 2 over every chunk of {@code secondPass} (or none, when null) and pass 1 over every chunk
     * of the {@code firstPass} jobs, in parallel; the work order alternates the two kinds. A job's
     * {@link TensorJob#finishPass1} runs on the thread that ends its last pass-1 chunk, beside the
     * other jobs' chunks: run after the batch, one job after another, the sixteen 64 MiB tensors
     * of the BF16 benchmark file spent 4 ms there, 4% of the pass, with one core idle.
     */
    private static void runChunks(TensorJob secondPass, List<TensorJob> firstPass, Listener listener) {
        List<Runnable> seconds = new ArrayList<>();
        for (int c = 0; secondPass != null && c < secondPass.chunks; c++) {
            int chunk = c;
            seconds.add(() -> {
                secondPass.pass2(chunk);
                long bytes = secondPass.chunkBytes(chunk);
                listener.done(secondPass.tensor, bytes - bytes / 2);
            });
        }
        List<Runnable> firsts = new ArrayList<>();
        for (TensorJob job : firstPass) {
            AtomicInteger chunksLeft = new AtomicInteger(job.chunks);
            for (int c = 0; c < job.chunks; c++) {
                int chunk = c;
                firsts.add(() -> {
                    job.pass1(chunk);
                    if (chunksLeft.decrementAndGet() == 0) job.finishPass1();   // sees every chunk's results
                    long bytes = job.chunkBytes(chunk);
                    listener.done(job.tensor, job.twoPasses() ? bytes / 2 : bytes);
                });
            }
        }
        List<Runnable> work = new ArrayList<>(seconds.size() + firsts.size());
        for (int i = 0; i < Math.max(seconds.size(), firsts.size()); i++) {
            if (i < seconds.size()) work.add(seconds.get(i));
            if (i < firsts.size()) work.add(firsts.get(i));
        }
        runAll(work);
    }

    /**
     * Runs every item on the current pool's threads, handing them out one at a time, in order. A
     * parallel stream would cut the list into a few runs of consecutive items up front (leaves of
     * 8 of the 32 chunks in a pass over the 1 GiB benchmark files on two cores), and a core slowed
     * by anything else on the machine then left the other idle for up to a whole run at the end.
     */
    private static void runAll(List<Runnable> work) {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            for (int i; failure.get() == null && (i = next.getAndIncrement()) < work.size(); ) {
                try {
                    work.get(i).run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);   // the others stop at their next item
                }
            }
        };
        ForkJoinPool pool = ForkJoinTask.getPool();
        int workers = Math.min(work.size(), pool == null ? 1 : pool.getParallelism());
        List<ForkJoinTask<?>> helpers = new ArrayList<>();
        for (int h = 1; h < workers; h++) helpers.add(ForkJoinTask.adapt(drain).fork());
        drain.run();
        for (ForkJoinTask<?> helper : helpers) helper.join();
        switch (failure.get()) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable t -> throw new IllegalStateException(t);
        }
    }

    /**
     * Below this many bytes for the two-pass kernels, an audit starts at once on the scalar twins;
     * above, it waits (at most {@link #WARM_UP_WAIT_NANOS}) for the vector kernels. Scalar code
     * measures about 0.5 GB/s on two cores, the vector kernels ten times that, and the warm-up
     * takes a second or two: from about 256 MiB on, waiting wins. Scalar workers would also
     * slow the warm-up down by taking the cores its thread and the JIT need.
     */
    static final long WAIT_FOR_VECTORS_BYTES = 256L << 20;
    static final long WARM_UP_WAIT_NANOS = 10_000_000_000L;

    /** The vector kernels worth waiting for: those of the two-pass jobs, when they are large enough. */
    private static Set<KernelWarmup.Kernel> kernelsToAwait(List<TensorJob> jobs) {
        long bytes = 0;
        Set<KernelWarmup.Kernel> kernels = EnumSet.noneOf(KernelWarmup.Kernel.class);
        for (TensorJob job : jobs) {
            if (!job.twoPasses()) continue;
            bytes += job.tensor.byteSize();
            kernels.addAll(job.kernels());
        }
        return bytes < WAIT_FOR_VECTORS_BYTES ? EnumSet.noneOf(KernelWarmup.Kernel.class) : kernels;
    }

    private static volatile ForkJoinPool shared;

    /** One worker per core, created on first use; its threads are daemons. */
    static ForkJoinPool sharedPool() {
        ForkJoinPool p = shared;
        if (p == null) {
            synchronized (StatsKernel.class) {
                if (shared == null) shared = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
                p = shared;
            }
        }
        return p;
    }
}

package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import owb.audit.AuditJson;
import owb.audit.AuditReport;
import owb.audit.Auditor;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs jobs of every {@link Job.Kind} in the background on one small fixed pool with a bounded
 * queue. At most one job per key runs at a time (asking again for the same work, e.g. an audit of
 * the same model, returns the running job); finished jobs are kept for a while, the least recently
 * asked about dropped first.
 */
final class JobRunner implements AutoCloseable {

    /** The work of one job: its result document, with progress reported on the job meanwhile. */
    @FunctionalInterface
    interface Work {
        JsonNode run(Job job) throws Exception;
    }

    private static final int MAX_KEPT_JOBS = 64;
    private static final int MAX_QUEUED = 16;

    private final ModelRegistry registry;
    private final ThreadPoolExecutor executor;
    private final LinkedHashMap<String, Job> jobs = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private final Map<String, Job> runningByKey = new HashMap<>();

    JobRunner(ModelRegistry registry, int threads) {
        this.registry = registry;
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED), runnable -> {
                    Thread t = new Thread(runnable, "owb-job");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Starts an audit of the model, or returns the one already running for it. */
    Job startAudit(String modelId) {
        return start("audit " + modelId, id -> Job.audit(id, modelId), job -> {
            try (CheckpointCache.Lease lease = registry.open(modelId)) {
                AuditReport report = Auditor.audit(lease.checkpoint(), job::progress);
                return AuditJson.toTree(report);
            }
        });
    }

    /**
     * Starts a job, or returns the one running under the same key.
     *
     * @param key    what makes two requests the same work
     * @param create the job, given its new id
     */
    synchronized Job start(String key, Function<String, Job> create, Work work) {
        Job running = runningByKey.get(key);
        if (running != null) return running;
        Job job = create.apply(UUID.randomUUID().toString());
        try {
            executor.execute(() -> run(key, job, work));
        } catch (RejectedExecutionException e) {
            throw new ServiceUnavailableResponse("busy: too many jobs queued, try again later");
        }
        runningByKey.put(key, job);
        jobs.put(job.id(), job);
        dropOldFinishedJobs();
        return job;
    }

    synchronized Job job(String jobId) {
        Job job = jobs.get(jobId);
        if (job == null) throw new NotFoundResponse("no job with id '" + jobId + "'");
        return job;
    }

    private void run(String key, Job job, Work work) {
        try {
            job.succeed(work.run(job));
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            job.fail(registry.withoutRootPaths(ApiRoutes.oneLine(e)));
        } finally {
            synchronized (this) {
                runningByKey.remove(key, job);
            }
        }
    }

    private void dropOldFinishedJobs() {
        Iterator<Job> it = jobs.values().iterator();
        while (jobs.size() > MAX_KEPT_JOBS && it.hasNext()) {
            if (it.next().status().finished()) it.remove();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}

package owb.http;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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

/**
 * Runs audits in the background on a small fixed pool with a bounded queue. At most one audit per
 * model runs at a time (asking again returns the running job); finished jobs are kept for a
 * while, the least recently asked about dropped first.
 */
final class JobRunner implements AutoCloseable {

    private static final int MAX_KEPT_JOBS = 64;
    private static final int MAX_QUEUED = 16;

    // AuditJson's text is parsed once so that job responses embed it as JSON, not as a string.
    private static final ObjectMapper AUDIT_READER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final ModelRegistry registry;
    private final ThreadPoolExecutor executor;
    private final LinkedHashMap<String, AuditJob> jobs = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private final Map<String, AuditJob> runningByModel = new HashMap<>();

    JobRunner(ModelRegistry registry, int threads) {
        this.registry = registry;
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED), runnable -> {
                    Thread t = new Thread(runnable, "owb-audit");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Starts an audit of the model, or returns the one already running for it. */
    synchronized AuditJob startAudit(String modelId) {
        AuditJob running = runningByModel.get(modelId);
        if (running != null) return running;
        AuditJob job = new AuditJob(UUID.randomUUID().toString(), modelId);
        try {
            executor.execute(() -> run(job));
        } catch (RejectedExecutionException e) {
            throw new ServiceUnavailableResponse("busy: too many audits queued, try again later");
        }
        runningByModel.put(modelId, job);
        jobs.put(job.id(), job);
        dropOldFinishedJobs();
        return job;
    }

    synchronized AuditJob job(String jobId) {
        AuditJob job = jobs.get(jobId);
        if (job == null) throw new NotFoundResponse("no job with id '" + jobId + "'");
        return job;
    }

    private void run(AuditJob job) {
        try (CheckpointCache.Lease lease = registry.open(job.modelId())) {
            AuditReport report = Auditor.audit(lease.checkpoint(), job::progress);
            job.succeed(AUDIT_READER.readTree(AuditJson.toJson(report)));
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            job.fail(registry.withoutRootPaths(ApiRoutes.oneLine(e)));
        } finally {
            synchronized (this) {
                runningByModel.remove(job.modelId(), job);
            }
        }
    }

    private void dropOldFinishedJobs() {
        Iterator<AuditJob> it = jobs.values().iterator();
        while (jobs.size() > MAX_KEPT_JOBS && it.hasNext()) {
            if (it.next().status().finished()) it.remove();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}

package owb.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One audit of one model, running in the background. Progress updates bump a version number so
 * that watchers can wait for the next change instead of polling.
 */
final class AuditJob {

    enum State { RUNNING, DONE, FAILED }

    /** A consistent snapshot of the job. {@code result} is set when DONE, {@code error} when FAILED. */
    record Status(String jobId, String modelId, State state, long bytesDone, long bytesTotal, String tensor,
                  JsonNode result, String error, long version) {
        boolean finished() { return state != State.RUNNING; }
    }

    private final String id;
    private final String modelId;
    private State state = State.RUNNING;
    private long bytesDone;
    private long bytesTotal;
    private String tensor;
    private JsonNode result;
    private String error;
    private long version;

    AuditJob(String id, String modelId) {
        this.id = id;
        this.modelId = modelId;
    }

    String id() { return id; }

    String modelId() { return modelId; }

    synchronized void progress(long bytesDone, long bytesTotal, String tensor) {
        this.bytesDone = bytesDone;
        this.bytesTotal = bytesTotal;
        this.tensor = tensor;
        changed();
    }

    synchronized void succeed(JsonNode result) {
        this.result = result;
        this.state = State.DONE;
        this.bytesDone = bytesTotal;
        this.tensor = null;
        changed();
    }

    synchronized void fail(String error) {
        this.error = error;
        this.state = State.FAILED;
        changed();
    }

    synchronized Status status() {
        return new Status(id, modelId, state, bytesDone, bytesTotal, tensor, result, error, version);
    }

    /** The status once its version is past {@code seenVersion}, or as it is after the timeout. */
    synchronized Status awaitChange(long seenVersion, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        for (long left = timeoutMillis; version <= seenVersion && left > 0;
             left = deadline - System.currentTimeMillis()) {
            wait(left);
        }
        return status();
    }

    private void changed() {
        version++;
        notifyAll();
    }
}

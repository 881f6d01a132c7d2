package owb.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One piece of long work running in the background (an audit of a model, a diff of two), of a
 * {@link #kind}. Progress updates bump a version number so that watchers can wait for the next
 * change instead of polling.
 */
final class Job {

    enum State { RUNNING, DONE, FAILED }

    /** The kinds of job the runner knows; {@code label} is how the API names them. */
    enum Kind {
        AUDIT("audit"), DIFF("diff"), PROBE("probe suite"), PATCHING("patching");

        final String label;

        Kind(String label) { this.label = label; }
    }

    /**
     * A consistent snapshot of the job. {@code result} is set when DONE, {@code error} when FAILED.
     * {@code modelId} names an audit's model; {@code base} and {@code derivative} a diff's models.
     */
    record Status(String jobId, Kind kind, String modelId, String base, String derivative, State state,
                  long bytesDone, long bytesTotal, String tensor, JsonNode result, String error, long version) {
        boolean finished() { return state != State.RUNNING; }
    }

    private final String id;
    private final Kind kind;
    private final String modelId;
    private final String base;
    private final String derivative;
    private State state = State.RUNNING;
    private long bytesDone;
    private long bytesTotal;
    private String tensor;
    private JsonNode result;
    private String error;
    private long version;

    private Job(String id, Kind kind, String modelId, String base, String derivative) {
        this.id = id;
        this.kind = kind;
        this.modelId = modelId;
        this.base = base;
        this.derivative = derivative;
    }

    static Job audit(String id, String modelId) { return new Job(id, Kind.AUDIT, modelId, null, null); }

    static Job diff(String id, String base, String derivative) { return new Job(id, Kind.DIFF, null, base, derivative); }

    /** A probe suite or an activation patching run on one model. */
    static Job onModel(String id, Kind kind, String modelId) { return new Job(id, kind, modelId, null, null); }

    String id() { return id; }

    Kind kind() { return kind; }

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
        return new Status(id, kind, modelId, base, derivative, state, bytesDone, bytesTotal, tensor, result, error,
                version);
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

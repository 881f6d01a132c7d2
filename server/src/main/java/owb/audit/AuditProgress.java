package owb.audit;

/**
 * Receives progress while an audit reads a checkpoint. Calls come one at a time (never
 * concurrently) but possibly from different worker threads.
 */
@FunctionalInterface
public interface AuditProgress {

    /**
     * @param bytesDone  tensor bytes fully measured so far
     * @param bytesTotal tensor bytes in the checkpoint
     * @param tensor     the tensor the last finished piece of work belonged to
     */
    void update(long bytesDone, long bytesTotal, String tensor);

    AuditProgress NONE = (done, total, tensor) -> {};
}

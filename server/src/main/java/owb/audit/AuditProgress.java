// STUB: replaced by the audit branch
package owb.audit;

public interface AuditProgress {
    void update(long bytesDone, long bytesTotal, String tensor);
}

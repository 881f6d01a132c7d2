// STUB: replaced by the audit branch
package owb.audit;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.TensorEntry;

import java.util.ArrayList;
import java.util.List;

/** STUB: stats of every tensor, one finding per tensor holding NaN, one INFO finding. */
public final class Auditor {
    private Auditor() {}

    public static AuditReport audit(Checkpoint c, AuditProgress progress) {
        long total = 0, done = 0;
        for (TensorEntry t : c.tensors()) total += t.byteSize();
        List<TensorReport> reports = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        for (TensorEntry t : c.tensors()) {
            progress.update(done, total, t.name());
            TensorStats s = StatsKernel.compute(t);
            reports.add(new TensorReport(t.name(), t.dtype().label(), t.shape(), s));
            if (s.nanCount() > 0) findings.add(new Finding(Severity.ERROR, t.name(), "holds NaN"));
            done += t.byteSize();
        }
        progress.update(done, total, null);
        findings.add(new Finding(Severity.INFO, null, "stub audit"));
        return new AuditReport(c.format().label(), c.tensorCount(), c.parameterCount(), c.metadata(), reports, findings);
    }
}

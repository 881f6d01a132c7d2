package owb.audit;

import java.util.List;
import java.util.Map;

/**
 * Everything an audit found: the checkpoint's format, tensor and parameter counts, its metadata
 * (long arrays summarised, see {@link Auditor}), every tensor's statistics in file order, and the
 * findings, errors first.
 */
public record AuditReport(String format, int tensorCount, long parameterCount, Map<String, Object> metadata,
                          List<TensorReport> tensors, List<Finding> findings) {

    public AuditReport {
        metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
        findings = List.copyOf(findings);
    }

    public long count(Severity severity) {
        return findings.stream().filter(f -> f.severity() == severity).count();
    }
}

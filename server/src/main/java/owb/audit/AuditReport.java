// STUB: replaced by the audit branch
package owb.audit;

import java.util.List;
import java.util.Map;

public record AuditReport(String format, int tensorCount, long parameterCount, Map<String, Object> metadata,
                          List<TensorReport> tensors, List<Finding> findings) {}

// STUB: replaced by the audit branch
package owb.audit;

public record Finding(Severity severity, String tensor, String message) {}

// STUB: replaced by the audit branch
package owb.audit;

public enum Severity { ERROR, WARNING, INFO }

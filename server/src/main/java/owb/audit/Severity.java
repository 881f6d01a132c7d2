package owb.audit;

import java.util.Locale;

/** How much a finding matters. JSON spells it in lower case. */
public enum Severity {
    ERROR, WARNING, INFO;

    public String label() { return name().toLowerCase(Locale.ROOT); }
}

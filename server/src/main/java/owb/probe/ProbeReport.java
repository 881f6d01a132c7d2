package owb.probe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What running a {@link ProbeSuite} on a model gave: the instrument's results as JSON-ready maps,
 * the suite's expectations with what was measured, and the same as readable text.
 *
 * @param results snake_case maps and lists (see {@link ProbeRunner} for each instrument's)
 */
public record ProbeReport(ProbeSuite suite, String model, Map<String, Object> results, List<Expectation> expectations,
                          String text) {

    /** One {@code expect} check: met when the measured value is at least the expected one (NaN: nothing to measure, not met). */
    public record Expectation(String check, double expected, double measured) {
        public boolean met() { return measured >= expected; }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", check);
            m.put("expected", expected);
            m.put("measured", Double.isNaN(measured) ? null : measured);
            m.put("met", met());
            return m;
        }
    }

    public boolean allMet() { return expectations.stream().allMatch(Expectation::met); }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("suite", suite.name());
        m.put("instrument", suite.spec().instrument().key());
        m.put("description", suite.description());
        m.put("model", model);
        m.put("results", results);
        if (!expectations.isEmpty()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("measured_on", suite.measuredOn());
            e.put("checks", expectations.stream().map(Expectation::toJson).toList());
            m.put("expectations", e);
        }
        return m;
    }

    /** The expectations as text lines, for the end of a report. */
    static String expectationLines(ProbeSuite suite, List<Expectation> expectations) {
        if (expectations.isEmpty()) return "";
        StringBuilder sb = new StringBuilder();
        sb.append("\nexpectations").append(suite.measuredOn() == null ? "" : " (measured on " + suite.measuredOn() + ")").append(":\n");
        for (Expectation e : expectations) {
            String measured = e.expected() == Math.rint(e.expected()) ? num(e.measured())
                    : String.format(Locale.ROOT, "%.3f", e.measured());
            sb.append(String.format(Locale.ROOT, "  %-30s >= %-8s measured %-10s %s%n", e.check(), num(e.expected()),
                    measured, e.met() ? "met" : "NOT MET"));
        }
        return sb.toString();
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v);
    }
}

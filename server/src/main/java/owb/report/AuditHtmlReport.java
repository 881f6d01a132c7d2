package owb.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import owb.audit.Histogram;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * An audit as one self-contained HTML page: nothing is loaded from anywhere, so the file can be
 * mailed or archived. The findings, a table of every tensor with its statistics and histogram
 * (JFreeChart PNGs as data: URIs), and the audit's JSON document itself (in a
 * {@code <script type="application/json" id="audit-json">} element and as a download link).
 * Input is the audit's JSON document as {@code owb audit --json} writes it.
 */
public final class AuditHtmlReport {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int CHART_WIDTH = 260;
    static final int CHART_HEIGHT = 110;

    private AuditHtmlReport() {}

    /** @param title what was audited (a model's name), shown as the page's heading */
    public static String render(String title, JsonNode audit) {
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Audit: ")
                .append(escape(title)).append("</title>\n<style>").append(CSS).append("</style></head>\n<body>\n");
        html.append("<h1>Audit of ").append(escape(title)).append("</h1>\n");
        html.append("<p class=\"summary\">format ").append(escape(audit.path("format").asText()))
                .append(" · ").append(audit.path("tensor_count").asLong()).append(" tensors · ")
                .append(String.format(Locale.ROOT, "%,d", audit.path("parameter_count").asLong()))
                .append(" parameters · made by the Open Weights Workbench (owb)</p>\n");
        findings(html, audit.path("findings"));
        tensors(html, audit.path("tensors"), audit.path("findings"));
        String json = toJson(audit);
        html.append("<h2>The audit as JSON</h2>\n<p><a download=\"audit.json\" href=\"data:application/json;base64,")
                .append(Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)))
                .append("\">Download audit.json</a> (also in this page's <code>#audit-json</code> element)</p>\n");
        // "<" escaped so that no string in the document can close the script element
        html.append("<script type=\"application/json\" id=\"audit-json\">")
                .append(json.replace("<", "\\u003c")).append("</script>\n</body></html>\n");
        return html.toString();
    }

    private static void findings(StringBuilder html, JsonNode findings) {
        html.append("<h2>Findings (").append(findings.size()).append(")</h2>\n");
        if (findings.isEmpty()) {
            html.append("<p>None.</p>\n");
            return;
        }
        html.append("<table class=\"findings\"><tr><th>severity</th><th>tensor</th><th>message</th></tr>\n");
        for (JsonNode f : findings) {
            String severity = f.path("severity").asText();
            html.append("<tr class=\"").append(escape(severity)).append("\"><td>").append(escape(severity))
                    .append("</td><td>").append(escape(f.path("tensor").isNull() ? "" : f.path("tensor").asText()))
                    .append("</td><td>").append(escape(f.path("message").asText())).append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void tensors(StringBuilder html, JsonNode tensors, JsonNode findings) {
        html.append("<h2>Tensors (").append(tensors.size()).append(")</h2>\n<table class=\"tensors\"><tr>")
                .append("<th>name</th><th>dtype</th><th>shape</th><th>mean</th><th>std</th><th>min</th><th>max</th>")
                .append("<th>abs max</th><th>nan/inf</th><th>zero %</th><th>histogram</th></tr>\n");
        for (JsonNode t : tensors) {
            String name = t.path("name").asText();
            JsonNode s = t.path("stats");
            String severity = worstSeverity(findings, name);
            html.append("<tr").append(severity == null ? "" : " class=\"" + severity + "\"").append("><td class=\"name\">")
                    .append(escape(name)).append("</td><td>").append(escape(t.path("dtype").asText()))
                    .append("</td><td>").append(escape(t.path("shape").toString())).append("</td>");
            for (String key : new String[]{"mean", "std", "min", "max", "abs_max"}) {
                html.append("<td class=\"num\">").append(number(s.path(key))).append("</td>");
            }
            html.append("<td class=\"num\">").append(s.path("nan_count").asLong()).append('/')
                    .append(s.path("inf_count").asLong()).append("</td><td class=\"num\">")
                    .append(s.path("zero_fraction").isNumber()
                            ? String.format(Locale.ROOT, "%.2f", 100 * s.path("zero_fraction").asDouble()) : "–")
                    .append("</td><td>").append(histogramImage(name, s.path("histogram"))).append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    /** The histogram as an inline PNG, or a dash when the tensor had no finite value to bin. */
    private static String histogramImage(String name, JsonNode h) {
        JsonNode edges = h.path("edges"), counts = h.path("counts");
        if (edges.size() != Histogram.BINS + 1 || counts.size() != Histogram.BINS) return "–";
        double[] e = new double[edges.size()];
        long[] c = new long[counts.size()];
        for (int i = 0; i < e.length; i++) {
            if (!edges.get(i).isNumber()) return "–";
            e[i] = edges.get(i).asDouble();
        }
        for (int i = 0; i < c.length; i++) c[i] = counts.get(i).asLong();
        byte[] png = HistogramChart.png("", new Histogram(e, c), CHART_WIDTH, CHART_HEIGHT);
        return "<img alt=\"histogram of " + escape(name) + "\" width=\"" + CHART_WIDTH + "\" height=\"" + CHART_HEIGHT
                + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
    }

    private static String worstSeverity(JsonNode findings, String tensor) {
        String worst = null;
        for (JsonNode f : findings) {
            if (!tensor.equals(f.path("tensor").asText(null))) continue;
            String s = f.path("severity").asText();
            if (s.equals("error") || (s.equals("warning") && !"error".equals(worst))) worst = s;
        }
        return worst;
    }

    private static String number(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.4g", n.asDouble()) : "–";
    }

    private static String toJson(JsonNode audit) {
        try {
            return JSON.writeValueAsString(audit);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to serialise", e);
        }
    }

    /** Text for HTML element content and double-quoted attributes. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2430}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}
            table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #e3e6ea;text-align:left}
            td.num{text-align:right;font-variant-numeric:tabular-nums}td.name{font-family:ui-monospace,monospace}
            tr.error{background:#fde2e1}tr.warning{background:#fff4d6}tr.info td:first-child{color:#3b6ea5}
            .summary{color:#555}img{display:block}
            """;
}

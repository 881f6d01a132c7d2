package owb.http;

import owb.model.Activation;
import owb.probe.AttentionSummary;
import owb.probe.NextTokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run endpoints' response bodies (keys snake_case through {@link ApiJson#mapper}); the
 * instruments' own parts come from their {@code toJson}, so the API says what {@code owb lens
 * --json} says.
 */
final class RunJson {

    /** Thumbnail values are rounded to this many decimals: a heatmap needs no more, and the body stays small. */
    private static final double THUMBNAIL_SCALE = 1e4;

    private RunJson() {}

    record TokenJson(int id, String text) {}

    record HookShape(String name, int[] shape) {}

    record HookListing(String name, int[] shape, long bytes) {}

    record RunDocument(String runId, String model, List<TokenJson> tokens, int nLayers, int nHeads, int dModel,
                       List<List<NextTokens.Prediction>> predictions, List<HookShape> hooks, long bytes) {}

    record AttentionDocument(List<TokenJson> tokens, int nLayers, int nHeads, List<Map<String, Object>> heads) {}

    record Thumbnails(int size, int positions, int nLayers, int nHeads, List<List<double[][]>> thumbnails) {}

    record Pattern(int layer, int head, int positions, int size, float[][] pattern) {}

    record TopKeys(int layer, int head, int positions, List<List<AttentionSummary.KeyWeight>> topKeys) {}

    static RunDocument document(Run run) {
        List<HookShape> hooks = new ArrayList<>();
        for (String name : run.activations().names()) hooks.add(new HookShape(name, run.activation(name).shape()));
        return new RunDocument(run.id(), run.modelId(), tokens(run), run.nLayers(), run.nHeads(), run.dModel(),
                run.predictions(), hooks, run.bytes());
    }

    static List<TokenJson> tokens(Run run) {
        List<TokenJson> out = new ArrayList<>(run.positions());
        for (int p = 0; p < run.positions(); p++) out.add(new TokenJson(run.tokens()[p], run.tokenTexts().get(p)));
        return out;
    }

    /** {@code {tokens, target, layers, positions, rows}}, as {@code owb lens --json}; target null without one. */
    static Map<String, Object> lens(Run run, RunService.Lens lens) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tokens", tokens(run));
        doc.put("target", lens.target() == null ? null : target(lens.target()));
        Map<String, Object> body = lens.result().toJson();
        body.remove("target");
        doc.putAll(body);
        return doc;
    }

    static Map<String, Object> dla(RunService.Dla dla) {
        Map<String, Object> doc = new LinkedHashMap<>(dla.result().toJson());
        doc.put("token_text", dla.target().text());
        if (dla.against() != null) doc.put("against_text", dla.against().text());
        List<String> notes = new ArrayList<>();
        if (dla.target().note() != null) notes.add(dla.target().note());
        if (dla.against() != null && dla.against().note() != null) notes.add(dla.against().note());
        if (!notes.isEmpty()) doc.put("notes", notes);
        return doc;
    }

    static AttentionDocument attention(Run run, List<AttentionSummary.HeadScores> heads) {
        return new AttentionDocument(tokens(run), run.nLayers(), run.nHeads(),
                heads.stream().map(AttentionSummary.HeadScores::toJson).toList());
    }

    static List<HookListing> hooks(Run run) {
        List<HookListing> out = new ArrayList<>();
        for (String name : run.activations().names()) {
            Activation a = run.activation(name);
            out.add(new HookListing(name, a.shape(), (long) a.size() * Float.BYTES));
        }
        return out;
    }

    static double[][] rounded(float[][] matrix) {
        double[][] out = new double[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            out[i] = new double[matrix[i].length];
            for (int j = 0; j < matrix[i].length; j++) out[i][j] = Math.round(matrix[i][j] * THUMBNAIL_SCALE) / THUMBNAIL_SCALE;
        }
        return out;
    }

    private static Map<String, Object> target(ModelEngine.Target t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("text", t.text());
        if (t.note() != null) m.put("note", t.note());
        return m;
    }
}

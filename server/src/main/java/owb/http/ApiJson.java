package owb.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import owb.audit.Histogram;
import owb.audit.TensorStats;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.TensorEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The API's response bodies: records serialised by Jackson with snake_case keys. The mapping is
 * ours rather than Jackson's view of the domain types, so the API stays what it is when those
 * types grow. JSON has no NaN or infinity: such values are written as null.
 */
final class ApiJson {

    /** GGUF arrays longer than this (token lists, merges) are summarised, not listed. */
    static final int MAX_METADATA_ARRAY = 64;
    private static final int SUMMARY_ARRAY_HEAD = 8;

    private ApiJson() {}

    static ObjectMapper mapper() {
        return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    }

    record Health(String status, String version) {}

    record ApiError(String error) {}

    record ModelListing(String id, String name, String path, String format, long sizeBytes) {}

    record FileListing(String path, long sizeBytes) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ModelSummary(String id, String name, String path, String format, int tensorCount, long parameterCount,
                        Map<String, Object> metadata, Map<String, Integer> dtypeCounts, List<FileListing> files,
                        Map<String, Object> config) {}

    record TensorListing(String name, String dtype, long[] shape, long byteSize) {}

    record HistogramJson(Double[] edges, long[] counts) {}

    record StatsJson(long count, Double mean, Double std, Double min, Double max, Double absMax, Double l2Norm,
                     long nanCount, long infCount, Double zeroFraction, HistogramJson histogram) {}

    record TensorStatsJson(String name, String dtype, long[] shape, long byteSize, StatsJson stats) {}

    record JobCreated(String jobId, String state) {}

    /** {@code model_id} for an audit, {@code base} and {@code derivative} for a diff. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record JobStatus(String jobId, String kind, String modelId, String base, String derivative, String state,
                     long bytesDone, long bytesTotal, String tensor, JsonNode result, String error) {}

    static ModelListing listing(ModelInfo m) {
        return new ModelListing(m.id(), m.name(), m.relativePath(), m.format(), m.sizeBytes());
    }

    static ModelSummary summary(ModelInfo m, Checkpoint c, List<FileListing> files) {
        Map<String, Integer> dtypeCounts = new TreeMap<>();
        for (TensorEntry t : c.tensors()) dtypeCounts.merge(t.dtype().label(), 1, Integer::sum);
        Map<String, Object> metadata = new LinkedHashMap<>();
        c.metadata().forEach((k, v) -> metadata.put(k, summariseMetadata(v)));
        return new ModelSummary(m.id(), m.name(), m.relativePath(), c.format().label(), c.tensorCount(),
                c.parameterCount(), metadata, dtypeCounts, files, c.config().orElse(null));
    }

    static TensorListing tensor(TensorEntry t) {
        return new TensorListing(t.name(), t.dtype().label(), t.shape(), t.byteSize());
    }

    static TensorStatsJson tensorStats(TensorEntry t, TensorStats s) {
        Histogram h = s.histogram();
        Double[] edges = new Double[h.edges().length];
        for (int i = 0; i < edges.length; i++) edges[i] = finite(h.edges()[i]);
        StatsJson stats = new StatsJson(s.count(), finite(s.mean()), finite(s.std()), finite(s.min()),
                finite(s.max()), finite(s.absMax()), finite(s.l2Norm()), s.nanCount(), s.infCount(),
                finite(s.zeroFraction()), new HistogramJson(edges, h.counts().clone()));
        return new TensorStatsJson(t.name(), t.dtype().label(), t.shape(), t.byteSize(), stats);
    }

    static JobStatus job(Job.Status s, boolean withResult) {
        return new JobStatus(s.jobId(), s.kind().label, s.modelId(), s.base(), s.derivative(),
                s.state().name().toLowerCase(Locale.ROOT), s.bytesDone(), s.bytesTotal(), s.tensor(),
                withResult ? s.result() : null, s.error());
    }

    /**
     * A metadata value as the API shows it: long lists become
     * {@code {"type":"array","length":N,"head":[first few]}}, recursively.
     */
    static Object summariseMetadata(Object value) {
        if (value instanceof List<?> list) {
            if (list.size() > MAX_METADATA_ARRAY) {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("type", "array");
                summary.put("length", list.size());
                summary.put("head", summariseAll(list.subList(0, SUMMARY_ARRAY_HEAD)));
                return summary;
            }
            return summariseAll(list);
        }
        if (value instanceof Double d) return finite(d);
        if (value instanceof Float f) return finite(f);
        return value;
    }

    private static List<Object> summariseAll(List<?> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object v : values) out.add(summariseMetadata(v));
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}

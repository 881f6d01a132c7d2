package owb.audit;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.TensorEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;

/** Audits a checkpoint: every tensor's statistics, then the findings (see {@link CheckpointFindings}). */
public final class Auditor {

    /** GGUF arrays longer than this are summarised in the report's metadata. */
    static final int LONGEST_LISTED_ARRAY = 64;
    static final int SUMMARY_HEAD = 8;

    private Auditor() {}

    /** Audits {@code c} on every core. */
    public static AuditReport audit(Checkpoint c, AuditProgress progress) {
        return audit(c, progress, StatsKernel.sharedPool());
    }

    /** Audits {@code c} on {@code threads} worker threads. */
    public static AuditReport audit(Checkpoint c, AuditProgress progress, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return audit(c, progress, pool);
        } finally {
            pool.shutdown();
        }
    }

    private static AuditReport audit(Checkpoint c, AuditProgress progress, ForkJoinPool pool) {
        List<TensorEntry> tensors = c.tensors();
        long totalBytes = 0;
        for (TensorEntry t : tensors) totalBytes += t.byteSize();
        ProgressCounter counter = new ProgressCounter(progress, totalBytes);
        List<TensorStats> measured = StatsKernel.measureAll(tensors, pool, counter::add);

        List<TensorReport> reports = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            TensorEntry t = tensors.get(i);
            reports.add(new TensorReport(t.name(), t.dtype().label(), t.shape(), measured.get(i)));
        }
        Optional<Architecture> architecture = Architecture.of(c);
        List<Finding> findings = CheckpointFindings.of(c, tensors, measured, architecture);
        return new AuditReport(c.format().label(), c.tensorCount(), c.parameterCount(), summarise(c.metadata()),
                reports, findings);
    }

    /**
     * The metadata with every array longer than {@value #LONGEST_LISTED_ARRAY} elements replaced by
     * {@code {"type": "array", "length": N, "head": [first 8]}}: a GGUF file carries its whole
     * tokenizer (vocabularies of 10^5 tokens, their scores and merges) as arrays, which would make
     * the report megabytes long and say nothing about the weights.
     */
    static Map<String, Object> summarise(Map<String, Object> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            Object v = e.getValue();
            if (v instanceof List<?> list && list.size() > LONGEST_LISTED_ARRAY) {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("type", "array");
                summary.put("length", list.size());
                summary.put("head", List.copyOf(list.subList(0, SUMMARY_HEAD)));
                v = summary;
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    /** Turns the kernel's per-piece notices into serialised cumulative progress calls. */
    private static final class ProgressCounter {
        private final AuditProgress progress;
        private final long total;
        private long done;

        ProgressCounter(AuditProgress progress, long total) {
            this.progress = progress;
            this.total = total;
        }

        synchronized void add(TensorEntry t, long bytes) {
            done += bytes;
            progress.update(done, total, t.name());
        }
    }
}

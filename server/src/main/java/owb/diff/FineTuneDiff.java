package owb.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import owb.checkpoint.Checkpoint;
import owb.diff.TensorPairing.Status;
import owb.diff.TensorPairing.TensorPair;

/**
 * A fine-tune against its base, tensor by tensor: pairing, delta statistics for every pair that
 * can be compared, and the spectrum of every changed 2-D delta up to {@link LowRank#MAX_ELEMENTS}.
 */
public final class FineTuneDiff {
    private FineTuneDiff() {}

    /**
     * One paired name.
     *
     * @param status   final: a pair whose bytes differ but whose decoded values are equal is unchanged
     * @param stats    null when nothing was compared (added, removed, incomparable shapes)
     * @param lowRank  null for unchanged tensors, 1-D tensors and deltas over the size limit
     * @param note     why something was not analysed, or empty
     */
    public record TensorDiff(TensorPair pair, Status status, DeltaStats stats, LowRank lowRank, String note) {
        public String name() { return pair.name(); }

        public int layer() { return ModuleKind.layer(pair.name()); }

        public ModuleKind kind() { return ModuleKind.of(pair.name()); }

        public String verdict() {
            if (status == Status.UNCHANGED) return "unchanged";
            if (lowRank != null) {
                return lowRank.verdict(stats.relChange(), (int) Math.min(pair.sharedRows(), columns(pair)));
            }
            return switch (status) {
                case ADDED -> "added";
                case REMOVED -> "removed";
                default -> stats == null ? "not compared" : "changed (" + (note.isEmpty() ? "vector" : note) + ")";
            };
        }
    }

    /** Sums of squares over the tensors of one (layer, module kind) cell. */
    public record Aggregate(int layer, ModuleKind kind, int tensors, int changed, double sumSqBase, double sumSqDelta) {
        public double relChange() { return sumSqBase > 0 ? Math.sqrt(sumSqDelta / sumSqBase) : 0; }
    }

    public record Report(List<TensorDiff> tensors) {
        /** Per-layer, per-module aggregates over compared tensors, sorted by layer then kind. */
        public List<Aggregate> aggregates() {
            Map<String, Aggregate> cells = new TreeMap<>();
            for (TensorDiff t : tensors) {
                if (t.stats() == null && t.status() != Status.UNCHANGED) continue;
                String key = "%06d %02d".formatted(t.layer() + 1, t.kind().ordinal());
                double bb = t.stats() == null ? 0 : t.stats().normBase() * t.stats().normBase();
                double xx = t.stats() == null ? 0 : t.stats().normDelta() * t.stats().normDelta();
                int changed = t.status() == Status.UNCHANGED ? 0 : 1;
                cells.merge(key, new Aggregate(t.layer(), t.kind(), 1, changed, bb, xx), (a, b) ->
                        new Aggregate(a.layer(), a.kind(), a.tensors() + b.tensors(), a.changed() + b.changed(),
                                a.sumSqBase() + b.sumSqBase(), a.sumSqDelta() + b.sumSqDelta()));
            }
            return List.copyOf(cells.values());
        }
    }

    /** Called after each tensor. */
    public interface Progress {
        /**
         * @param tensors    names done
         * @param total      names in all
         * @param bytesDone  stored bytes of both sides of the names done
         * @param bytesTotal stored bytes of both checkpoints' tensors
         * @param tensor     the name just done
         */
        void done(int tensors, int total, long bytesDone, long bytesTotal, String tensor);

        Progress NONE = (tensors, total, bytesDone, bytesTotal, tensor) -> {};
    }

    public static Report run(Checkpoint base, Checkpoint derivative) {
        return run(base, derivative, Progress.NONE);
    }

    public static Report run(Checkpoint base, Checkpoint derivative, Progress progress) {
        List<TensorPair> pairs = TensorPairing.pair(base, derivative);
        long bytesTotal = 0;
        for (TensorPair pair : pairs) bytesTotal += bytes(pair);
        List<TensorDiff> out = new ArrayList<>();
        long bytesDone = 0;
        for (TensorPair pair : pairs) {
            out.add(analyse(pair));
            bytesDone += bytes(pair);
            progress.done(out.size(), pairs.size(), bytesDone, bytesTotal, pair.name());
        }
        return new Report(List.copyOf(out));
    }

    private static long bytes(TensorPair pair) {
        return (pair.base() == null ? 0 : pair.base().entry().byteSize())
                + (pair.derivative() == null ? 0 : pair.derivative().entry().byteSize());
    }

    static TensorDiff analyse(TensorPair pair) {
        Status status = pair.status();
        if (status == Status.ADDED || status == Status.REMOVED) return new TensorDiff(pair, status, null, null, "");
        if (!pair.comparable()) {
            return new TensorDiff(pair, status, null, null, "shapes " + pair.base().shapeString() + " and "
                    + pair.derivative().shapeString() + " differ beyond the outer dimension");
        }
        long elements = pair.sharedRows() * pair.base().rowLength();
        if (status == Status.UNCHANGED) {
            // Bitwise equal: the statistics are known without reading.
            return new TensorDiff(pair, status, null, null, "");
        }
        DeltaStats stats = DeltaStats.compute(pair.base(), pair.derivative(), elements);
        if (status == Status.CHANGED && stats.fractionChanged() == 0) {
            return new TensorDiff(pair, Status.UNCHANGED, stats, null, "equal after decoding");
        }
        if (stats.fractionChanged() == 0 || pair.base().entry().rank() != 2) {
            return new TensorDiff(pair, status, stats, null, stats.fractionChanged() == 0 ? "shared rows equal" : "");
        }
        long rows = pair.sharedRows();
        long cols = columns(pair);
        if (rows * cols > LowRank.MAX_ELEMENTS) {
            return new TensorDiff(pair, status, stats, null, "delta of " + rows + "x" + cols
                    + " is over the " + LowRank.MAX_ELEMENTS + "-element limit of the spectrum");
        }
        float[] delta = dense(pair, (int) (rows * cols));
        return new TensorDiff(pair, status, stats, LowRank.of(delta, (int) rows, (int) cols), "");
    }

    static long columns(TensorPair pair) {
        return pair.base() == null ? 0 : pair.base().rowLength();
    }

    /** W_ft - W_base over the shared rows, row-major. */
    static float[] dense(TensorPair pair, int elements) {
        float[] delta = new float[elements];
        float[] base = new float[DeltaStats.CHUNK];
        for (int first = 0; first < elements; first += DeltaStats.CHUNK) {
            int count = Math.min(DeltaStats.CHUNK, elements - first);
            pair.derivative().read(first, count, delta, first);
            pair.base().read(first, count, base, 0);
            for (int i = 0; i < count; i++) delta[first + i] -= base[i];
        }
        return delta;
    }
}

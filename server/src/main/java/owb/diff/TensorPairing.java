package owb.diff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.TensorEntry;
import owb.checkpoint.TensorNames;

/**
 * Lines up the tensors of a base checkpoint and a derivative by canonical (Hugging Face) name,
 * across formats through {@link TensorNames}. A pair whose bytes are identical (same type, shape
 * and row order) is {@link Status#UNCHANGED} here; every other same-shape pair is
 * {@link Status#CHANGED} until {@link FineTuneDiff} has compared its decoded values (equal values,
 * e.g. the same weights quantized the same way, make it unchanged there).
 *
 * <p>GGUF Llama {@code attn_q}/{@code attn_k} rows are un-permuted per head (head counts from
 * {@code ARCH.attention.head_count} / {@code head_count_kv}) when the other side is not GGUF.
 * GPT-2's Conv1D weights, which the GGUF converter stores transposed, are read back as Hugging
 * Face's {@code [in, out]} when the other side is not GGUF ({@link TensorView#transposed}).
 */
public final class TensorPairing {
    private TensorPairing() {}

    public enum Status {
        UNCHANGED, CHANGED, ADDED, REMOVED, RESHAPED;

        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * One canonical name and what each side holds under it (null when absent).
     *
     * @param sharedRows for {@link Status#RESHAPED}: rows compared (the outer dimension both have),
     *                   0 when the shapes differ otherwise; for other pairs the rows of both
     */
    public record TensorPair(String name, TensorView base, TensorView derivative, Status status,
                             long sharedRows) {
        /** Rows the derivative has beyond the base (negative: fewer). */
        public long newRows() {
            return base == null || derivative == null ? 0 : derivative.shape()[0] - base.shape()[0];
        }

        /** Whether the values of the two can be compared element by element. */
        public boolean comparable() { return base != null && derivative != null && sharedRows > 0; }
    }

    public static List<TensorPair> pair(Checkpoint base, Checkpoint derivative) {
        boolean crossFormat = base.format() != derivative.format();
        Map<String, TensorView> baseViews = views(base, crossFormat);
        Map<String, TensorView> derivativeViews = views(derivative, crossFormat);
        List<TensorPair> pairs = new ArrayList<>();
        for (var e : baseViews.entrySet()) {
            TensorView d = derivativeViews.get(e.getKey());
            pairs.add(d == null ? new TensorPair(e.getKey(), e.getValue(), null, Status.REMOVED, 0)
                    : compare(e.getKey(), e.getValue(), d));
        }
        for (var e : derivativeViews.entrySet()) {
            if (!baseViews.containsKey(e.getKey())) {
                pairs.add(new TensorPair(e.getKey(), null, e.getValue(), Status.ADDED, 0));
            }
        }
        return pairs;
    }

    private static TensorPair compare(String name, TensorView b, TensorView d) {
        long[] bs = b.shape();
        long[] ds = d.shape();
        if (!Arrays.equals(bs, ds)) {
            boolean outerOnly = bs.length == ds.length && bs.length >= 1
                    && Arrays.equals(Arrays.copyOfRange(bs, 1, bs.length), Arrays.copyOfRange(ds, 1, ds.length));
            long shared = outerOnly ? Math.min(bs[0], ds[0]) : 0;
            return new TensorPair(name, b, d, Status.RESHAPED, shared);
        }
        boolean sameBytes = b.entry().dtype() == d.entry().dtype() && b.rotaryHeads() == d.rotaryHeads()
                && b.isTransposed() == d.isTransposed()
                && b.entry().data().mismatch(d.entry().data()) == -1;
        return new TensorPair(name, b, d, sameBytes ? Status.UNCHANGED : Status.CHANGED, b.rows());
    }

    private static Map<String, TensorView> views(Checkpoint c, boolean unpermute) {
        String arch = architecture(c);
        Map<String, TensorView> views = new LinkedHashMap<>();
        for (TensorEntry t : c.tensors()) {
            String name = TensorNames.canonical(t.name(), c.format(), arch);
            views.put(name, unpermute && storedTransposed(c, arch, t)
                    ? TensorView.transposed(t) : new TensorView(t, unpermute ? rotaryHeads(c, arch, t.name()) : 0));
        }
        return views;
    }

    /** A GGUF GPT-2 Conv1D weight, which convert_hf_to_gguf.py stores transposed ([out, in]). */
    static boolean storedTransposed(Checkpoint c, String arch, TensorEntry t) {
        return c.format() == Checkpoint.Format.GGUF
                && TensorNames.family(arch).orElse(null) == TensorNames.Family.GPT2
                && t.rank() == 2 && t.numel() <= TensorView.MAX_TRANSPOSED_ELEMENTS
                && t.name().matches("blk\\.\\d+\\.(attn_qkv|attn_output|ffn_up|ffn_down)\\.weight");
    }

    /** Heads of a GGUF Llama q/k projection whose rows the converter permuted; 0 for any other tensor. */
    static int rotaryHeads(Checkpoint c, String arch, String ggufName) {
        if (c.format() != Checkpoint.Format.GGUF
                || TensorNames.family(arch).orElse(null) != TensorNames.Family.LLAMA) return 0;
        boolean q = ggufName.matches("blk\\.\\d+\\.attn_q\\.(weight|bias)");
        boolean k = ggufName.matches("blk\\.\\d+\\.attn_k\\.(weight|bias)");
        if (!q && !k) return 0;
        Object heads = c.metadata().get(arch + ".attention.head_count");
        Object kvHeads = c.metadata().get(arch + ".attention.head_count_kv");
        if (k && kvHeads == null) kvHeads = heads;
        Object n = q ? heads : kvHeads;
        if (!(n instanceof Number count) || count.longValue() <= 0 || count.longValue() > 1 << 16) {
            throw new IllegalArgumentException(c.path() + ": " + ggufName + " needs " + arch
                    + ".attention.head_count" + (q ? "" : "_kv") + " to undo the converter's row permutation");
        }
        return count.intValue();
    }

    /** The architecture as {@link TensorNames#family} reads it: GGUF's general.architecture, else
     *  config.json's model_type or first architectures class. */
    static String architecture(Checkpoint c) {
        if (c.metadata().get("general.architecture") instanceof String a) return a;
        Map<String, Object> config = c.config().orElse(Map.of());
        if (config.get("model_type") instanceof String t) return t;
        if (config.get("architectures") instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String a) {
            return a;
        }
        return null;
    }
}

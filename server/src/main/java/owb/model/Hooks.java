package owb.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What to do at the forward pass's hook points, named as TransformerLens names them
 * ({@code blocks.3.attn.hook_pattern}). Names are matched by globs where {@code *} stands for any
 * run of characters ({@code blocks.*.attn.hook_pattern}, {@code *hook_resid_post}, {@code *}).
 *
 * <p>At each hook point the interventions whose glob matches run first, in the order they were
 * added, then a capture copies the result into {@link #cache()}: a captured activation is the
 * value the rest of the forward pass uses. Hook points nobody matches cost nothing, and the
 * attention scores and pattern are only materialised when some glob matches them.
 *
 * <p>Not thread-safe: one forward pass at a time per instance.
 */
public final class Hooks {
    private record Intervention(Pattern glob, HookFn fn) {}

    private final List<Intervention> interventions = new ArrayList<>();
    private final List<Pattern> captures = new ArrayList<>();
    private final ActivationCache cache = new ActivationCache();
    private final Map<String, Boolean> wanted = new HashMap<>();

    /** No hooks: a plain forward pass. */
    public static Hooks none() { return new Hooks(); }

    /** Copies every activation whose name matches into {@link #cache()}. */
    public Hooks capture(String glob) {
        captures.add(glob(glob));
        wanted.clear();
        return this;
    }

    /** Runs {@code fn} at every hook point whose name matches; it may change the activation in place. */
    public Hooks intervene(String glob, HookFn fn) {
        interventions.add(new Intervention(glob(glob), fn));
        wanted.clear();
        return this;
    }

    /** Replaces the activation with {@code values} (the same number of elements, row-major). */
    public Hooks replace(String glob, float[] values) {
        float[] v = values.clone();
        return intervene(glob, (name, a) -> System.arraycopy(v, 0, a.data(), 0, sameSize(name, a, v)));
    }

    /** Adds {@code values} element-wise (steering: a vector per position, or the whole tensor). */
    public Hooks add(String glob, float[] values) {
        float[] v = values.clone();
        return intervene(glob, (name, a) -> {
            float[] data = a.data();
            for (int i = 0, n = sameSize(name, a, v); i < n; i++) data[i] += v[i];
        });
    }

    /** Sets the activation to zero (ablation). */
    public Hooks zero(String glob) {
        return intervene(glob, (name, a) -> Arrays.fill(a.data(), 0f));
    }

    /** What the captures have recorded (for a generation: the last step's activations). */
    public ActivationCache cache() { return cache; }

    /** Whether anything reads or writes this hook point, so that the model must materialise it. */
    public boolean wants(String name) {
        if (interventions.isEmpty() && captures.isEmpty()) return false;
        return wanted.computeIfAbsent(name, n -> interventions.stream().anyMatch(i -> i.glob.matcher(n).matches())
                || captures.stream().anyMatch(p -> p.matcher(n).matches()));
    }

    /**
     * The hook point {@code name}: {@code data} (row-major, {@code shape}) is the model's own
     * buffer; interventions change it in place.
     */
    public void at(String name, float[] data, int... shape) {
        at(name, data, true, shape);
    }

    /**
     * A hook point whose buffer the model only reads after this call (and never reuses), so that a
     * capture may keep {@code data} itself instead of a copy: the attention pattern, tens of MB a layer
     * on long prompts, where copying it was a large share of what capturing patterns cost.
     */
    void atUnchanged(String name, float[] data, int... shape) {
        at(name, data, false, shape);
    }

    private void at(String name, float[] data, boolean copyOnCapture, int... shape) {
        if (!wants(name)) return;
        Activation view = new Activation(data, shape);
        for (Intervention i : interventions) {
            if (i.glob.matcher(name).matches()) i.fn.apply(name, view);
        }
        for (Pattern p : captures) {
            if (p.matcher(name).matches()) {
                cache.put(name, copyOnCapture ? view.copy() : view);
                break;
            }
        }
    }

    /** Whether a hook name matches a glob as {@link #capture} matches it. */
    public static boolean matches(String glob, String name) {
        return glob(glob).matcher(name).matches();
    }

    private static int sameSize(String name, Activation a, float[] values) {
        if (values.length != a.size()) {
            throw new IllegalArgumentException(name + " has " + a.size() + " values " + Arrays.toString(a.shape())
                    + ", the hook was given " + values.length);
        }
        return values.length;
    }

    private static Pattern glob(String glob) {
        if (glob == null || glob.isEmpty()) throw new IllegalArgumentException("empty hook name");
        String[] parts = glob.split("\\*", -1);
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) regex.append(".*");
            if (!parts[i].isEmpty()) regex.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(regex.toString());
    }
}

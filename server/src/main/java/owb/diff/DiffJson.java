package owb.diff;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import owb.diff.FineTuneDiff.Aggregate;
import owb.diff.FineTuneDiff.TensorDiff;
import owb.diff.TensorPairing.Status;

/**
 * A diff as one JSON document, the same for {@code owb diff --json} and the HTTP API:
 * <pre>
 * {base, derivative,
 *  tensors: [{name, status, shape_base, shape_derivative, layer, module, kind, new_rows?, rel_change, cosine,
 *             max_abs_delta, mean_abs_delta, fraction_changed, fraction_beyond_tolerance, sign_flips, rank,
 *             rank_is_lower_bound, dominant_rank, effective_rank, stable_rank, singular_values, energy,
 *             verdict, note?}],
 *  aggregates: [{layer, module, kind, tensors, changed, rel_change}],
 *  behaviour?: {prompt, tokens: [{id, text}], layers, heads, shared_vocab, lens_kl: [{layer, position, kl}],
 *               attention_js: [{layer, head, js}], moved_tokens: [{id, text, p_base, p_derivative, delta}],
 *               notes},
 *  behaviours?: [the same per prompt, when there are several; behaviour is then the first]}
 * </pre>
 * {@code kind} repeats {@code module} (the HTTP contract's name for it). Non-finite numbers (the
 * relative change of a tensor whose base is all zeros) are written as null.
 */
public final class DiffJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private DiffJson() {}

    /**
     * @param base, derivative how the document names the two checkpoints (a path, a model id)
     * @param behaviours       one per prompt, possibly none
     */
    public static ObjectNode toTree(String base, String derivative, FineTuneDiff.Report report,
                                    List<BehaviourDiff.Result> behaviours) {
        ObjectNode root = NODES.objectNode();
        root.put("base", base);
        root.put("derivative", derivative);
        ArrayNode tensors = root.putArray("tensors");
        for (TensorDiff t : report.tensors()) tensors.add(tensor(t));
        ArrayNode cells = root.putArray("aggregates");
        for (Aggregate a : report.aggregates()) {
            ObjectNode c = cells.addObject();
            c.put("layer", a.layer());
            c.put("module", a.kind().label());
            c.put("kind", a.kind().label());
            c.put("tensors", a.tensors());
            c.put("changed", a.changed());
            number(c, "rel_change", a.relChange());
        }
        if (!behaviours.isEmpty()) {
            root.set("behaviour", behaviour(behaviours.getFirst()));
            if (behaviours.size() > 1) {
                ArrayNode all = root.putArray("behaviours");
                for (BehaviourDiff.Result b : behaviours) all.add(behaviour(b));
            }
        }
        return root;
    }

    static ObjectNode tensor(TensorDiff t) {
        ObjectNode n = NODES.objectNode();
        n.put("name", t.name());
        n.put("status", t.status().label());
        shape(n, "shape_base", t.pair().base());
        shape(n, "shape_derivative", t.pair().derivative());
        n.put("layer", t.layer());
        n.put("module", t.kind().label());
        n.put("kind", t.kind().label());
        if (t.status() == Status.RESHAPED) n.put("new_rows", t.pair().newRows());
        if (t.stats() != null) {
            DeltaStats s = t.stats();
            number(n, "rel_change", s.relChange());
            number(n, "cosine", s.cosine());
            number(n, "max_abs_delta", s.maxAbsDelta());
            number(n, "mean_abs_delta", s.meanAbsDelta());
            number(n, "fraction_changed", s.fractionChanged());
            number(n, "fraction_beyond_tolerance", s.fractionBeyondTolerance());
            n.put("sign_flips", s.signFlips());
        } else if (t.status() == Status.UNCHANGED) {
            n.put("rel_change", 0.0);
            n.put("cosine", 1.0);
            n.put("max_abs_delta", 0.0);
        } else {
            n.putNull("rel_change");
        }
        spectrum(n, t.lowRank());
        n.put("verdict", t.verdict());
        if (!t.note().isEmpty()) n.put("note", t.note());
        return n;
    }

    /** rank, rank_is_lower_bound, dominant_rank, effective_rank, stable_rank, singular_values, energy. */
    public static void spectrum(ObjectNode n, LowRank lr) {
        if (lr == null) {
            n.putNull("rank");
            n.putArray("singular_values");
            return;
        }
        n.put("rank", lr.rank());
        n.put("rank_is_lower_bound", lr.saturated());
        n.put("dominant_rank", lr.dominantRank());
        number(n, "effective_rank", lr.effectiveRank());
        number(n, "stable_rank", lr.stableRank());
        ArrayNode sv = n.putArray("singular_values");
        for (double v : lr.singularValues()) sv.add(v);
        ArrayNode energy = n.putArray("energy");
        for (double v : lr.energy()) energy.add(v);
    }

    static ObjectNode behaviour(BehaviourDiff.Result r) {
        ObjectNode b = NODES.objectNode();
        if (r.prompt() != null) b.put("prompt", r.prompt());
        ArrayNode tokens = b.putArray("tokens");
        for (int i = 0; i < r.positions(); i++) {
            tokens.addObject().put("id", r.tokens()[i]).put("text", r.tokenTexts().get(i));
        }
        b.put("layers", r.layers());
        b.put("heads", r.heads());
        b.put("shared_vocab", r.sharedVocab());
        ArrayNode kl = b.putArray("lens_kl");
        for (BehaviourDiff.LensKl c : r.lensKl()) {
            number(kl.addObject().put("layer", c.layer()).put("position", c.position()), "kl", c.kl());
        }
        ArrayNode js = b.putArray("attention_js");
        for (BehaviourDiff.HeadJs h : r.attentionJs()) {
            number(js.addObject().put("layer", h.layer()).put("head", h.head()), "js", h.js());
        }
        ArrayNode moved = b.putArray("moved_tokens");
        for (BehaviourDiff.MovedToken m : r.movedTokens()) {
            moved.addObject().put("id", m.id()).put("text", m.text()).put("p_base", m.pBase())
                    .put("p_derivative", m.pDerivative()).put("delta", m.delta());
        }
        ArrayNode notes = b.putArray("notes");
        r.notes().forEach(notes::add);
        return b;
    }

    private static void shape(ObjectNode n, String key, TensorView v) {
        if (v == null) {
            n.putNull(key);
            return;
        }
        ArrayNode a = n.putArray(key);
        for (long d : v.shape()) a.add(d);
    }

    private static void number(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) n.put(key, v);
        else n.putNull(key);
    }
}

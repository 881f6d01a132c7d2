package owb.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import owb.json.JsonTree;
import owb.probe.LinearClassifier.Method;
import owb.probe.LinearProbe.Pooling;

/**
 * A probe suite: a declarative experiment in JSON (folder {@code probes/}) naming an instrument,
 * its inputs and, optionally, what a model is expected to show. Loading validates everything and
 * fails with one line naming the file and the field.
 *
 * <pre>{@code
 * {"description": "...", "instrument": "logit_lens" | "induction" | "patching" | "linear_probe",
 *  ...the instrument's fields (see the Spec records)...,
 *  "expect": {"measured_on": "SmolLM2-135M-Instruct Q4_1", "<check>": number, ...}}
 * }</pre>
 * A prompt is {@code "prompt": TEXT} (tokenized with special tokens, as {@code owb run --prompt})
 * or {@code "tokens": [IDS]}; a single token is its text ({@code " Paris"}) or {@code "#ID"}.
 *
 * @param name   the file name without {@code .json}
 * @param expect the checks of {@code expect} (numbers), in file order
 */
public record ProbeSuite(String name, Path file, String description, Spec spec, String measuredOn,
                         Map<String, Double> expect) {

    /** The instruments, with their JSON names and the checks {@code expect} may hold. */
    public enum Instrument {
        LOGIT_LENS("logit_lens", Set.of("final_rank1_at_least", "first_rank1_layer_at_least")),
        INDUCTION("induction", Set.of("top_induction_at_least", "heads_above_half_at_least")),
        PATCHING("patching", Set.of("resid_pre_max_at_least", "attn_out_max_at_least", "mlp_out_max_at_least",
                "heads_max_at_least")),
        LINEAR_PROBE("linear_probe", Set.of("best_test_accuracy_at_least"));

        private final String key;
        private final Set<String> checks;

        Instrument(String key, Set<String> checks) {
            this.key = key;
            this.checks = checks;
        }

        public String key() { return key; }

        public Set<String> checks() { return checks; }
    }

    /** Text to tokenize, or token ids. */
    public record Prompt(String text, int[] tokens) {}

    /** One token: its text, or an id ({@code "#ID"}). */
    public record TokenRef(String text, Integer id) {}

    public sealed interface Spec permits LensSpec, InductionSpec, PatchingSpec, ProbeSpec {
        Instrument instrument();
    }

    public record LensItem(Prompt prompt, TokenRef target) {}

    /** {@code prompts: [{prompt | tokens, target}]}, {@code top} tokens per cell (default 3). */
    public record LensSpec(List<LensItem> prompts, int top) implements Spec {
        public Instrument instrument() { return Instrument.LOGIT_LENS; }
    }

    /** {@code seed}, {@code length} random tokens twice (after BOS), the {@code top} heads reported (default 10). */
    public record InductionSpec(long seed, int length, int top) implements Spec {
        public Instrument instrument() { return Instrument.INDUCTION; }
    }

    public record PatchingPair(Prompt clean, Prompt corrupted, TokenRef answer, TokenRef wrong) {}

    /** {@code pairs: [{clean, corrupted, answer, wrong}]} (prompts as text or ids), {@code kinds}, {@code top} cells (default 5). */
    public record PatchingSpec(List<PatchingPair> pairs, List<ActivationPatching.Kind> kinds, int top) implements Spec {
        public Instrument instrument() { return Instrument.PATCHING; }
    }

    /** @param group null, or a name whose examples all go to the same side of the train/test split */
    public record LabelledPrompt(Prompt prompt, int label, String group) {}

    /**
     * {@code examples: [{prompt | tokens, label: true/false or 1/0, group?}]} (examples of a group, a
     * string or number, stay on one side of the split; all or none have one), {@code hook} (default
     * {@code blocks.*.hook_resid_post}), {@code pooling} ({@code last} | {@code mean}), {@code method}
     * ({@code logistic} | {@code ridge}), {@code lambda} (1), {@code test_fraction} (0.25), {@code seed} (0).
     */
    public record ProbeSpec(List<LabelledPrompt> examples, LinearProbe.Options options) implements Spec {
        public Instrument instrument() { return Instrument.LINEAR_PROBE; }
    }

    /** Suites are small; a bigger file is a mistake. */
    private static final long MAX_BYTES = 1 << 20;

    /** {@code nameOrPath} as a file when it is one (or ends in .json), else {@code probesDir/NAME.json}. */
    public static Path resolve(String nameOrPath, Path probesDir) {
        Path direct = Path.of(nameOrPath);
        if (nameOrPath.endsWith(".json") || Files.isRegularFile(direct)) return direct;
        if (!nameOrPath.matches("[A-Za-z0-9_.-]+")) throw new IllegalArgumentException("not a suite name: '" + nameOrPath + "'");
        return probesDir.resolve(nameOrPath + ".json");
    }

    /** Every suite in a folder, by name; a suite that does not load fails the listing with its error. */
    public static List<ProbeSuite> list(Path probesDir) throws IOException {
        List<ProbeSuite> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(probesDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) out.add(load(f));
        }
        return out;
    }

    public static ProbeSuite load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        if (Files.size(file) > MAX_BYTES) throw new IllegalArgumentException(file + ": larger than " + MAX_BYTES + " bytes");
        JsonNode root;
        try {
            root = JsonTree.parse(JsonTree.STRICT, Files.readAllBytes(file), JsonTree.Ints.SMALLEST);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        }
        if (root == null) throw new IllegalArgumentException(file + ": empty file, not a probe suite");
        String fileName = file.getFileName().toString();
        Fields f = new Fields(file, "", root);
        String name = fileName.endsWith(".json") ? fileName.substring(0, fileName.length() - 5) : fileName;
        String description = f.string("description");
        String instrumentKey = f.string("instrument");
        Instrument instrument = null;
        for (Instrument i : Instrument.values()) if (i.key.equals(instrumentKey)) instrument = i;
        if (instrument == null) throw f.error("instrument", "unknown instrument '" + instrumentKey
                + "' (logit_lens, induction, patching, linear_probe)");
        Spec spec = switch (instrument) {
            case LOGIT_LENS -> new LensSpec(f.list("prompts", p -> new LensItem(p.prompt(), p.token("target"))),
                    f.intOr("top", 3, 1, 100));
            case INDUCTION -> new InductionSpec(f.longOr("seed", 0), f.intOr("length", -1, 1, 4096), f.intOr("top", 10, 1, 10_000));
            case PATCHING -> new PatchingSpec(f.list("pairs", p -> new PatchingPair(p.prompt("clean"), p.prompt("corrupted"),
                    p.token("answer"), p.token("wrong"))), kinds(f), f.intOr("top", 5, 1, 1000));
            case LINEAR_PROBE -> new ProbeSpec(f.list("examples", p -> new LabelledPrompt(p.prompt(), p.label("label"), p.group())),
                    probeOptions(f));
        };
        if (spec instanceof ProbeSpec p) checkLabels(f, p);
        String measuredOn = null;
        Map<String, Double> expect = new LinkedHashMap<>();
        if (root.has("expect")) {
            Fields e = f.object("expect");
            for (Iterator<String> it = e.node.fieldNames(); it.hasNext(); ) {
                String check = it.next();
                if (check.equals("measured_on")) {
                    measuredOn = e.string(check);
                } else if (!instrument.checks.contains(check)) {
                    throw e.error(check, "unknown check for " + instrument.key + " (" + String.join(", ", instrument.checks.stream().sorted().toList()) + ", measured_on)");
                } else {
                    expect.put(check, e.number(check));
                }
            }
        }
        f.onlyKnown(switch (instrument) {
            case LOGIT_LENS -> Set.of("prompts", "top");
            case INDUCTION -> Set.of("seed", "length", "top");
            case PATCHING -> Set.of("pairs", "kinds", "top");
            case LINEAR_PROBE -> Set.of("examples", "hook", "pooling", "method", "lambda", "test_fraction", "seed");
        });
        return new ProbeSuite(name, file, description, spec, measuredOn, java.util.Collections.unmodifiableMap(expect));
    }

    /** {@code {name, instrument, description}}: what a listing shows. */
    public Map<String, Object> summaryJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("instrument", spec.instrument().key());
        m.put("description", description);
        return m;
    }

    private static List<ActivationPatching.Kind> kinds(Fields f) {
        if (!f.node.has("kinds")) return List.of(ActivationPatching.Kind.values());
        List<ActivationPatching.Kind> kinds = f.list("kinds", k -> {
            try {
                return ActivationPatching.Kind.of(k.node.isTextual() ? k.node.asText() : "?");
            } catch (IllegalArgumentException e) {
                throw k.error(null, e.getMessage());
            }
        });
        if (kinds.isEmpty()) throw f.error("kinds", "needs at least one of resid_pre, attn_out, mlp_out, heads");
        return kinds.stream().distinct().toList();
    }

    private static LinearProbe.Options probeOptions(Fields f) {
        String hook = f.stringOr("hook", "blocks.*.hook_resid_post");
        Pooling pooling;
        Method method;
        try {
            pooling = Pooling.of(f.stringOr("pooling", "last"));
        } catch (IllegalArgumentException e) {
            throw f.error("pooling", e.getMessage());
        }
        try {
            method = Method.of(f.stringOr("method", "logistic"));
        } catch (IllegalArgumentException e) {
            throw f.error("method", e.getMessage());
        }
        double lambda = f.numberOr("lambda", 1.0);
        if (!(lambda > 0)) throw f.error("lambda", "must be positive");
        double testFraction = f.numberOr("test_fraction", 0.25);
        if (!(testFraction >= 0 && testFraction < 1)) throw f.error("test_fraction", "must be in [0, 1)");
        try {
            return new LinearProbe.Options(hook, pooling, method, lambda, testFraction, f.longOr("seed", 0));
        } catch (IllegalArgumentException e) {
            throw f.error("hook", e.getMessage());
        }
    }

    private static void checkLabels(Fields f, ProbeSpec p) {
        long grouped = p.examples().stream().filter(e -> e.group() != null).count();
        if (grouped != 0 && grouped != p.examples().size()) throw f.error("examples", "either every example has a group or none has");
        long ones = p.examples().stream().filter(e -> e.label() == 1).count();
        if (ones < 2 || p.examples().size() - ones < 2) throw f.error("examples", "needs at least two examples of each label");
    }

    /** A JSON object being read, with its path in the file for errors ({@code pairs[2].answer}). */
    private record Fields(Path file, String path, JsonNode node) {
        Fields {
            if (node == null || !node.isObject() && path.isEmpty()) {
                throw new IllegalArgumentException(file + ": expected a JSON object");
            }
        }

        IllegalArgumentException error(String field, String message) {
            String at = field == null ? path : path.isEmpty() ? field : path + "." + field;
            return new IllegalArgumentException(file + ": " + (at.isEmpty() ? "" : at + ": ") + message);
        }

        JsonNode required(String field) {
            if (!node.isObject()) throw error(null, "expected an object");
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw error(field, "missing");
            return v;
        }

        String string(String field) {
            JsonNode v = required(field);
            if (!v.isTextual() || v.asText().isEmpty()) throw error(field, "expected a non-empty string");
            return v.asText();
        }

        String stringOr(String field, String fallback) { return node.has(field) ? string(field) : fallback; }

        double number(String field) {
            JsonNode v = required(field);
            if (!v.isNumber()) throw error(field, "expected a number");
            return v.asDouble();
        }

        double numberOr(String field, double fallback) { return node.has(field) ? number(field) : fallback; }

        long longOr(String field, long fallback) {
            if (!node.has(field)) return fallback;
            JsonNode v = required(field);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) throw error(field, "expected an integer");
            return v.asLong();
        }

        /** An integer in [min, max]; {@code fallback} when absent, or required when the fallback is below min. */
        int intOr(String field, int fallback, int min, int max) {
            if (!node.has(field) && fallback >= min) return fallback;
            JsonNode v = required(field);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
                throw error(field, "expected an integer in [" + min + ", " + max + "]");
            }
            return v.asInt();
        }

        Fields object(String field) {
            JsonNode v = required(field);
            if (!v.isObject()) throw error(field, "expected an object");
            return new Fields(file, at(field), v);
        }

        interface Item<T> {
            T read(Fields item);
        }

        <T> List<T> list(String field, Item<T> item) {
            JsonNode v = required(field);
            if (!v.isArray()) throw error(field, "expected an array");
            List<T> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) out.add(item.read(new Fields(file, at(field) + "[" + i + "]", v.get(i))));
            if (out.isEmpty()) throw error(field, "is empty");
            return List.copyOf(out);
        }

        /** {@code prompt: TEXT} or {@code tokens: [IDS]}. */
        Prompt prompt() {
            if (!node.isObject()) throw error(null, "expected an object with \"prompt\" or \"tokens\"");
            if (node.has("prompt") == node.has("tokens")) throw error(null, "needs either \"prompt\" (text) or \"tokens\" (ids)");
            return node.has("prompt") ? new Prompt(string("prompt"), null) : new Prompt(null, ids("tokens"));
        }

        /** A prompt under {@code field}: a string, or an array of token ids. */
        Prompt prompt(String field) {
            return required(field).isArray() ? new Prompt(null, ids(field)) : new Prompt(string(field), null);
        }

        int[] ids(String field) {
            JsonNode v = required(field);
            if (!v.isArray() || v.isEmpty()) throw error(field, "expected a non-empty array of token ids");
            int[] ids = new int[v.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = v.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                    throw error(field + "[" + i + "]", "expected a token id (an integer >= 0)");
                }
                ids[i] = id.asInt();
            }
            return ids;
        }

        /** A token: its text, or {@code "#ID"}. */
        TokenRef token(String field) {
            String s = string(field);
            if (s.startsWith("#")) {
                try {
                    int id = Integer.parseInt(s.substring(1));
                    if (id < 0) throw new NumberFormatException();
                    return new TokenRef(null, id);
                } catch (NumberFormatException e) {
                    throw error(field, "'" + s + "' is not #ID with a token id");
                }
            }
            return new TokenRef(s, null);
        }

        /** An optional group: a string or an integer, as a string; null when absent. */
        String group() {
            if (!node.has("group")) return null;
            JsonNode v = required("group");
            if (v.isTextual() && !v.asText().isEmpty() || v.isIntegralNumber()) return v.asText();
            throw error("group", "expected a non-empty string or an integer");
        }

        /** true/false or 1/0. */
        int label(String field) {
            JsonNode v = required(field);
            if (v.isBoolean()) return v.asBoolean() ? 1 : 0;
            if (v.isIntegralNumber() && (v.asInt() == 0 || v.asInt() == 1)) return v.asInt();
            throw error(field, "expected true/false or 1/0");
        }

        void onlyKnown(Set<String> instrumentFields) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!Set.of("description", "instrument", "expect").contains(k) && !instrumentFields.contains(k)) {
                    throw error(k, "unknown field");
                }
            }
        }

        private String at(String field) { return path.isEmpty() ? field : path + "." + field; }
    }
}

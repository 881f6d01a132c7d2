package owb.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import owb.checkpoint.Checkpoint;

/**
 * The shape of a transformer, read from a checkpoint's config.json (Hugging Face) or GGUF metadata.
 * Names follow TransformerLens' config ({@code d_model}, {@code n_heads}, {@code d_head},
 * {@code d_mlp}, {@code n_ctx}, {@code d_vocab}).
 *
 * @param family          which forward pass runs it
 * @param architecture    as the checkpoint names it: config.json's {@code model_type} or GGUF's
 *                        {@code general.architecture} (gpt2, llama, mistral, qwen2)
 * @param nKvHeads        key/value heads (grouped-query attention when fewer than {@code nHeads})
 * @param normEps         epsilon of every LayerNorm / RMSNorm, as float32 (the reference adds it in float32)
 * @param rope            rotary settings; null for GPT-2 (learned positions)
 * @param slidingWindows  per layer: 0 for full causal attention, else the number of keys a query
 *                        sees, itself included (query i attends keys j with i - window < j &lt;= i)
 * @param tieWordEmbeddings the config says the unembedding is the token embedding (the loader also
 *                        falls back to it when a checkpoint has no unembedding matrix)
 */
public record ModelConfig(Family family, String architecture, int dVocab, int dModel, int nLayers,
                          int nHeads, int nKvHeads, int dHead, int dMlp, int nCtx, float normEps,
                          RopeSettings rope, List<Integer> slidingWindows, boolean tieWordEmbeddings) {

    /** The forward passes there are. */
    public enum Family {
        /** GPT-2: learned positions, LayerNorm, fused qkv with biases, GELU (tanh) MLP. */
        GPT2,
        /** Llama 2/3, Mistral, Qwen2 (and SmolLM2, TinyLlama): RMSNorm, rotary, SwiGLU. */
        LLAMA
    }

    /**
     * Rotary position embedding settings (Hugging Face {@code rope_theta} and {@code rope_scaling}).
     *
     * @param scaling "default" (none), "linear" or "llama3"
     * @param factor, lowFreqFactor, highFreqFactor, originalContext the scaling's parameters (unused for "default")
     */
    public record RopeSettings(double theta, String scaling, double factor, double lowFreqFactor,
                               double highFreqFactor, int originalContext) {
        static RopeSettings plain(double theta) {
            return new RopeSettings(theta, "default", 1, 1, 1, 0);
        }
    }

    /** Sizes above this are not a language model but a corrupt or hostile header. */
    private static final long MAX_DIM = 1 << 24;

    public ModelConfig {
        slidingWindows = List.copyOf(slidingWindows);
        positive("vocabulary size", dVocab);
        positive("d_model", dModel);
        positive("layer count", nLayers);
        positive("head count", nHeads);
        positive("key/value head count", nKvHeads);
        positive("head dimension", dHead);
        positive("MLP width", dMlp);
        positive("context length", nCtx);
        if (nHeads % nKvHeads != 0) {
            throw new ModelException(nHeads + " attention heads do not divide into " + nKvHeads
                    + " key/value heads");
        }
        if ((long) nHeads * dHead > MAX_DIM) throw new ModelException("heads x head dimension is too large");
        if (rope != null && dHead % 2 != 0) throw new ModelException("rotary head dimension " + dHead + " is odd");
        if (slidingWindows.size() != nLayers) throw new ModelException("one sliding window per layer expected");
        if (!(normEps >= 0) || Float.isInfinite(normEps)) throw new ModelException("norm epsilon " + normEps + " is not usable");
    }

    private static void positive(String what, long value) {
        if (value <= 0 || value > MAX_DIM) throw new ModelException(what + " " + value + " is out of range");
    }

    /** The sliding window of a layer, 0 for full causal attention. */
    public int slidingWindow(int layer) { return slidingWindows.get(layer); }

    /** Query heads that share one key/value head. */
    public int headsPerKvHead() { return nHeads / nKvHeads; }

    /**
     * The configuration of a checkpoint: config.json beside safetensors weights, GGUF metadata
     * otherwise.
     *
     * @throws ModelException when it is missing, unsupported or inconsistent
     */
    public static ModelConfig of(Checkpoint checkpoint) {
        return switch (checkpoint.format()) {
            case GGUF -> fromGguf(checkpoint.metadata(),
                    checkpoint.tensor("token_embd.weight").map(t -> t.dim(0)).orElse(-1L));
            case SAFETENSORS -> fromHuggingFace(checkpoint.config().orElseThrow(() -> new ModelException(
                    checkpoint.path() + ": no config.json beside the weights, so the architecture is unknown")));
        };
    }

    // ---- Hugging Face config.json ------------------------------------------------------------------

    /** From a config.json map (transformers' classic keys and transformers 5's {@code rope_parameters}). */
    public static ModelConfig fromHuggingFace(Map<String, Object> config) {
        Values c = new Values(config, "config.json");
        String type = c.has("model_type") ? c.string("model_type") : architectureClassType(config);
        return switch (type) {
            case "gpt2" -> {
                int d = c.integer("n_embd");
                String act = c.string("activation_function", "gelu_new");
                if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
                    throw new ModelException("config.json: GPT-2 activation_function '" + act
                            + "' is not supported (gelu_new, gelu_pytorch_tanh)");
                }
                int layers = c.integer("n_layer");
                int heads = c.integer("n_head");
                yield new ModelConfig(Family.GPT2, type, c.integer("vocab_size"), d, layers, heads, heads,
                        d / heads, c.integer("n_inner", 4 * d), c.integer("n_positions"),
                        (float) c.number("layer_norm_epsilon", 1e-5), null, windows(layers, 0, 0),
                        c.bool("tie_word_embeddings", true));
            }
            case "llama", "mistral", "qwen2" -> {
                String act = c.string("hidden_act", "silu");
                if (!act.equals("silu")) {
                    throw new ModelException("config.json: hidden_act '" + act + "' is not supported (silu)");
                }
                int d = c.integer("hidden_size");
                int layers = c.integer("num_hidden_layers");
                int heads = c.integer("num_attention_heads");
                yield new ModelConfig(Family.LLAMA, type, c.integer("vocab_size"), d, layers, heads,
                        c.integer("num_key_value_heads", heads), c.integer("head_dim", d / heads),
                        c.integer("intermediate_size"), c.integer("max_position_embeddings", 2048),
                        (float) c.number("rms_norm_eps", 1e-6), huggingFaceRope(c),
                        huggingFaceWindows(type, layers, c), c.bool("tie_word_embeddings", false));
            }
            default -> throw new ModelException("config.json: unsupported architecture '" + type
                    + "' (supported: gpt2, llama, mistral, qwen2)");
        };
    }

    private static String architectureClassType(Map<String, Object> config) {
        if (config.get("architectures") instanceof List<?> list && !list.isEmpty()
                && list.getFirst() instanceof String name) {
            String lower = name.toLowerCase(Locale.ROOT);
            for (String type : List.of("gpt2", "llama", "mistral", "qwen2")) {
                if (lower.startsWith(type)) return type;
            }
            return name;
        }
        throw new ModelException("config.json names no model_type or architectures");
    }

    private static RopeSettings huggingFaceRope(Values c) {
        // transformers 5 writes rope_parameters {rope_type, rope_theta, ...}; older files
        // rope_theta and rope_scaling {rope_type | type, factor, ...}.
        Values params = c.object("rope_parameters");
        double theta = params != null ? params.number("rope_theta", c.number("rope_theta", 10000))
                : c.number("rope_theta", 10000);
        Values scaling = params != null ? params : c.object("rope_scaling");
        if (scaling == null) return RopeSettings.plain(theta);
        String type = scaling.string("rope_type", scaling.string("type", "default"));
        return switch (type) {
            case "default" -> RopeSettings.plain(theta);
            case "linear" -> new RopeSettings(theta, type, scaling.number("factor"), 1, 1, 0);
            case "llama3" -> new RopeSettings(theta, type, scaling.number("factor"),
                    scaling.number("low_freq_factor"), scaling.number("high_freq_factor"),
                    scaling.integer("original_max_position_embeddings"));
            default -> throw new ModelException("config.json: rope scaling '" + type
                    + "' is not supported (default, linear, llama3)");
        };
    }

    /**
     * Mistral slides every layer's window when {@code sliding_window} is set. Qwen2 only when
     * {@code use_sliding_window} is true, and then for the layers {@code layer_types} marks
     * "sliding_attention" (or, without it, the layers from {@code max_window_layers} on), as
     * transformers' Qwen2Config does. Llama has no window.
     */
    private static List<Integer> huggingFaceWindows(String type, int layers, Values c) {
        Integer window = c.has("sliding_window") ? c.integer("sliding_window") : null;
        return switch (type) {
            case "mistral" -> windows(layers, window == null ? 0 : window, 0);
            case "qwen2" -> {
                if (window == null || !c.bool("use_sliding_window", false)) yield windows(layers, 0, 0);
                List<String> types = c.strings("layer_types");
                if (types == null) yield windows(layers, window, c.integer("max_window_layers", layers));
                if (types.size() != layers) throw new ModelException("config.json: layer_types has "
                        + types.size() + " entries for " + layers + " layers");
                List<Integer> w = new ArrayList<>();
                for (String t : types) w.add(t.equals("sliding_attention") ? window : 0);
                yield w;
            }
            default -> windows(layers, 0, 0);
        };
    }

    /** {@code window} for layers from {@code firstSliding} on, 0 (full attention) before. */
    private static List<Integer> windows(int layers, int window, int firstSliding) {
        if (window < 0) throw new ModelException("sliding window " + window + " is negative");
        List<Integer> w = new ArrayList<>();
        for (int l = 0; l < layers; l++) w.add(l >= firstSliding ? window : 0);
        return w;
    }

    // ---- GGUF metadata -----------------------------------------------------------------------------

    /**
     * From GGUF key-values (llama.cpp's {@code {arch}.*} keys).
     *
     * @param embeddingRows rows of {@code token_embd.weight}, the vocabulary size when the metadata
     *                      has no {@code {arch}.vocab_size}; -1 when there is no such tensor
     */
    public static ModelConfig fromGguf(Map<String, Object> metadata, long embeddingRows) {
        Values m = new Values(metadata, "GGUF metadata");
        String arch = m.string("general.architecture");
        Values a = m.prefixed(arch + ".");
        long vocab = a.has("vocab_size") ? a.integer("vocab_size") : embeddingRows;
        int layers = a.integer("block_count");
        int d = a.integer("embedding_length");
        int heads = a.integer("attention.head_count");
        return switch (arch) {
            case "gpt2" -> new ModelConfig(Family.GPT2, arch, (int) Math.min(vocab, Integer.MAX_VALUE), d, layers,
                    heads, heads, d / heads, a.integer("feed_forward_length"), a.integer("context_length"),
                    (float) a.number("attention.layer_norm_epsilon"), null, windows(layers, 0, 0), false);
            case "llama", "qwen2" -> {
                int dHead = a.integer("attention.key_length", d / heads);
                int rotary = a.integer("rope.dimension_count", dHead);
                if (rotary != dHead) {
                    throw new ModelException("GGUF metadata: rotary dimension " + rotary + " differs from head"
                            + " dimension " + dHead + " (partial rotary is not supported)");
                }
                yield new ModelConfig(Family.LLAMA, arch, (int) Math.min(vocab, Integer.MAX_VALUE), d, layers,
                        heads, a.integer("attention.head_count_kv", heads), dHead,
                        a.integer("feed_forward_length"), a.integer("context_length", 2048),
                        (float) a.number("attention.layer_norm_rms_epsilon"), ggufRope(a),
                        windows(layers, 0, 0), false);
            }
            default -> throw new ModelException("GGUF metadata: unsupported architecture '" + arch
                    + "' (supported: gpt2, llama, qwen2)");
        };
    }

    private static RopeSettings ggufRope(Values a) {
        double theta = a.number("rope.freq_base", 10000);
        String type = a.string("rope.scaling.type", a.has("rope.scale_linear") ? "linear" : "none");
        return switch (type) {
            case "none" -> RopeSettings.plain(theta);
            case "linear" -> new RopeSettings(theta, "linear",
                    a.number("rope.scaling.factor", a.number("rope.scale_linear", 1)), 1, 1, 0);
            default -> throw new ModelException("GGUF metadata: rope scaling '" + type
                    + "' is not supported (none, linear; llama3 files carry rope_freqs.weight)");
        };
    }

    /** Typed reads from a JSON or GGUF map, with errors that name the key. */
    private record Values(Map<String, Object> map, String source, String prefix) {
        Values(Map<String, Object> map, String source) {
            this(map, source, "");
        }

        Values prefixed(String p) {
            return new Values(map, source, prefix + p);
        }

        boolean has(String key) {
            return map.get(prefix + key) != null;
        }

        private Object get(String key) {
            Object v = map.get(prefix + key);
            if (v == null) throw new ModelException(source + ": '" + prefix + key + "' is missing");
            return v;
        }

        int integer(String key) {
            Object v = get(key);
            if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return l.intValue();
            if (v instanceof Double x && x == Math.rint(x) && Math.abs(x) < Integer.MAX_VALUE) return x.intValue();
            throw new ModelException(source + ": '" + prefix + key + "' should be an integer, is " + v);
        }

        int integer(String key, int fallback) {
            return has(key) ? integer(key) : fallback;
        }

        double number(String key) {
            Object v = get(key);
            if (v instanceof Number x && Double.isFinite(x.doubleValue())) return x.doubleValue();
            throw new ModelException(source + ": '" + prefix + key + "' should be a number, is " + v);
        }

        double number(String key, double fallback) {
            return has(key) ? number(key) : fallback;
        }

        String string(String key) {
            if (get(key) instanceof String s) return s;
            throw new ModelException(source + ": '" + prefix + key + "' should be a string");
        }

        String string(String key, String fallback) {
            return has(key) ? string(key) : fallback;
        }

        boolean bool(String key, boolean fallback) {
            if (!has(key)) return fallback;
            if (get(key) instanceof Boolean b) return b;
            throw new ModelException(source + ": '" + prefix + key + "' should be true or false");
        }

        @SuppressWarnings("unchecked")
        Values object(String key) {
            if (!has(key)) return null;
            if (get(key) instanceof Map<?, ?> m) return new Values((Map<String, Object>) m, source + " " + prefix + key);
            throw new ModelException(source + ": '" + prefix + key + "' should be an object");
        }

        List<String> strings(String key) {
            if (!has(key)) return null;
            if (get(key) instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
            throw new ModelException(source + ": '" + prefix + key + "' should be a list of strings");
        }
    }
}

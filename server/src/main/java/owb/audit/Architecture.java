package owb.audit;

import owb.checkpoint.Checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The architecture a checkpoint declares: from config.json next to safetensors weights (Hugging
 * Face names) or from GGUF metadata ({@code general.architecture} and {@code {arch}.*} keys).
 * Sizes the source does not give are 0. For the gpt2 and llama families it also lists the tensors
 * such a checkpoint holds, by the names its format uses, with their shapes outermost-first.
 *
 * @param family        "gpt2", "llama", or the source's own name for anything else
 * @param source        "config.json" or "gguf"
 * @param headDim       per-head size of q/k/v ({@code head_dim}, or dModel / heads)
 * @param dFf           MLP hidden size (GPT-2's {@code n_inner}, default 4 * dModel)
 * @param maxPositions  context length the model was built for
 * @param tiedEmbeddings whether the output projection reuses the token embedding: config.json's
 *                      {@code tie_word_embeddings} (family default when absent); in GGUF, which
 *                      has no such key, whether {@code output.weight} is absent
 * @param declaredParameters a parameter count the source states, if any
 */
public record Architecture(String family, String source, int layers, int dModel, int heads, int kvHeads,
                           int headDim, int dFf, int vocab, int maxPositions, boolean tiedEmbeddings,
                           OptionalLong declaredParameters, boolean attentionBias, boolean mlpBias) {

    public static final String GPT2 = "gpt2";
    public static final String LLAMA = "llama";

    /** One tensor a checkpoint of this architecture holds. */
    public record ExpectedTensor(String name, long[] shape, Kind kind) {
        public ExpectedTensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }

        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    public enum Kind {
        /** A weight the model cannot run without. */
        REQUIRED,
        /** A weight some checkpoints of the family carry (the output projection when tied, extra biases). */
        OPTIONAL,
        /** A constant saved with the weights by some writers (causal masks, rotary frequencies): not a parameter. */
        BUFFER
    }

    /** The architecture {@code c} declares, or empty when it declares none. */
    public static Optional<Architecture> of(Checkpoint c) {
        return switch (c.format()) {
            case GGUF -> fromGguf(c);
            case SAFETENSORS -> c.config().flatMap(config -> Optional.of(fromConfig(config, c)));
        };
    }

    public boolean knownFamily() { return family.equals(GPT2) || family.equals(LLAMA); }

    /** One line for people: "llama: 30 layers, d_model 576, ...". */
    public String describe() {
        StringBuilder sb = new StringBuilder(family).append(" (from ").append(source).append("): ");
        List<String> parts = new ArrayList<>();
        if (layers > 0) parts.add(layers + " layers");
        if (dModel > 0) parts.add("d_model " + dModel);
        if (heads > 0) {
            parts.add(heads + " heads" + (kvHeads > 0 && kvHeads != heads ? " (" + kvHeads + " kv)" : "")
                    + (headDim > 0 ? " of " + headDim : ""));
        }
        if (dFf > 0) parts.add("d_ff " + dFf);
        if (vocab > 0) parts.add("vocab " + vocab);
        if (maxPositions > 0) parts.add("context " + maxPositions);
        parts.add(tiedEmbeddings ? "tied embeddings" : "separate output projection");
        declaredParameters.ifPresent(n -> parts.add(String.format(Locale.ROOT, "%,d parameters declared", n)));
        return sb.append(String.join(", ", parts)).toString();
    }

    /**
     * The tensors of a gpt2 or llama checkpoint in {@code c}'s format and naming (HF names may
     * carry the {@code transformer.} / {@code model.} prefix or not; the checkpoint decides), or
     * an empty list for other families. The token embedding comes first, the output projection last.
     */
    public List<ExpectedTensor> expectedTensors(Checkpoint c) {
        boolean gguf = c.format() == Checkpoint.Format.GGUF;
        return switch (family) {
            case GPT2 -> gguf ? gpt2Gguf() : gpt2Hf(c.tensor("transformer.wte.weight").isPresent() ? "transformer." : "");
            case LLAMA -> gguf ? llamaGguf() : llamaHf(c.tensor("embed_tokens.weight").isPresent()
                    && c.tensor("model.embed_tokens.weight").isEmpty() ? "" : "model.");
            default -> List.of();
        };
    }

    /** The token embedding's name in {@code c}'s naming; gpt2 and llama only. */
    public String embeddingName(Checkpoint c) { return expectedTensors(c).getFirst().name(); }

    /** The output projection's name in {@code c}'s naming (present or not); gpt2 and llama only. */
    public String outputName(Checkpoint c) { return expectedTensors(c).getLast().name(); }

    /**
     * Parameters of the tensors this architecture requires (the output projection unless tied),
     * plus those of the optional ones {@code c} stores.
     */
    public long formulaParameterCount(Checkpoint c) {
        long n = 0;
        for (ExpectedTensor t : expectedTensors(c)) {
            boolean counted = t.kind() == Kind.REQUIRED || (t.kind() == Kind.OPTIONAL && c.tensor(t.name()).isPresent());
            if (counted) n += t.numel();
        }
        return n;
    }

    private List<ExpectedTensor> gpt2Hf(String p) {
        Layout l = new Layout();
        l.required(p + "wte.weight", vocab, dModel);
        l.required(p + "wpe.weight", maxPositions, dModel);
        for (int i = 0; i < layers; i++) {
            String b = p + "h." + i + ".";
            // GPT-2 keeps Conv1D weights as [in, out]
            l.required(b + "ln_1.weight", dModel).required(b + "ln_1.bias", dModel);
            l.required(b + "attn.c_attn.weight", dModel, 3L * dModel).required(b + "attn.c_attn.bias", 3L * dModel);
            l.required(b + "attn.c_proj.weight", dModel, dModel).required(b + "attn.c_proj.bias", dModel);
            l.required(b + "ln_2.weight", dModel).required(b + "ln_2.bias", dModel);
            l.required(b + "mlp.c_fc.weight", dModel, dFf).required(b + "mlp.c_fc.bias", dFf);
            l.required(b + "mlp.c_proj.weight", dFf, dModel).required(b + "mlp.c_proj.bias", dModel);
            l.buffer(b + "attn.bias", 1, 1, maxPositions, maxPositions);
            l.buffer(b + "attn.masked_bias");
        }
        l.required(p + "ln_f.weight", dModel).required(p + "ln_f.bias", dModel);
        l.output("lm_head.weight", tiedEmbeddings, vocab, dModel);
        return l.tensors;
    }

    private List<ExpectedTensor> gpt2Gguf() {
        Layout l = new Layout();
        l.required("token_embd.weight", vocab, dModel);
        l.required("position_embd.weight", maxPositions, dModel);
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            l.required(b + "attn_norm.weight", dModel).required(b + "attn_norm.bias", dModel);
            l.required(b + "attn_qkv.weight", 3L * dModel, dModel).required(b + "attn_qkv.bias", 3L * dModel);
            l.required(b + "attn_output.weight", dModel, dModel).required(b + "attn_output.bias", dModel);
            l.required(b + "ffn_norm.weight", dModel).required(b + "ffn_norm.bias", dModel);
            l.required(b + "ffn_up.weight", dFf, dModel).required(b + "ffn_up.bias", dFf);
            l.required(b + "ffn_down.weight", dModel, dFf).required(b + "ffn_down.bias", dModel);
        }
        l.required("output_norm.weight", dModel).required("output_norm.bias", dModel);
        l.output("output.weight", true, vocab, dModel);
        return l.tensors;
    }

    private List<ExpectedTensor> llamaHf(String p) {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        Layout l = new Layout();
        l.required(p + "embed_tokens.weight", vocab, dModel);
        for (int i = 0; i < layers; i++) {
            String b = p + "layers." + i + ".";
            l.required(b + "input_layernorm.weight", dModel);
            l.required(b + "self_attn.q_proj.weight", q, dModel);
            l.required(b + "self_attn.k_proj.weight", kv, dModel);
            l.required(b + "self_attn.v_proj.weight", kv, dModel);
            l.required(b + "self_attn.o_proj.weight", dModel, q);
            if (attentionBias) {
                l.required(b + "self_attn.q_proj.bias", q).required(b + "self_attn.k_proj.bias", kv);
                l.required(b + "self_attn.v_proj.bias", kv).required(b + "self_attn.o_proj.bias", dModel);
            }
            l.required(b + "post_attention_layernorm.weight", dModel);
            l.required(b + "mlp.gate_proj.weight", dFf, dModel);
            l.required(b + "mlp.up_proj.weight", dFf, dModel);
            l.required(b + "mlp.down_proj.weight", dModel, dFf);
            if (mlpBias) {
                l.required(b + "mlp.gate_proj.bias", dFf).required(b + "mlp.up_proj.bias", dFf);
                l.required(b + "mlp.down_proj.bias", dModel);
            }
            l.buffer(b + "self_attn.rotary_emb.inv_freq", headDim / 2);
        }
        l.required(p + "norm.weight", dModel);
        l.output("lm_head.weight", tiedEmbeddings, vocab, dModel);
        return l.tensors;
    }

    private List<ExpectedTensor> llamaGguf() {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        Layout l = new Layout();
        l.required("token_embd.weight", vocab, dModel);
        l.buffer("rope_freqs.weight", headDim / 2);
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            l.required(b + "attn_norm.weight", dModel);
            l.required(b + "attn_q.weight", q, dModel);
            l.required(b + "attn_k.weight", kv, dModel);
            l.required(b + "attn_v.weight", kv, dModel);
            l.required(b + "attn_output.weight", dModel, q);
            l.optional(b + "attn_q.bias", q).optional(b + "attn_k.bias", kv).optional(b + "attn_v.bias", kv);
            l.optional(b + "attn_output.bias", dModel);
            l.required(b + "ffn_norm.weight", dModel);
            l.required(b + "ffn_gate.weight", dFf, dModel);
            l.required(b + "ffn_up.weight", dFf, dModel);
            l.required(b + "ffn_down.weight", dModel, dFf);
            l.buffer(b + "attn_rot_embd", headDim / 2);
        }
        l.required("output_norm.weight", dModel);
        l.output("output.weight", true, vocab, dModel);
        return l.tensors;
    }

    /** Builds an expected-tensor list. */
    private static final class Layout {
        final List<ExpectedTensor> tensors = new ArrayList<>();

        Layout required(String name, long... shape) { return add(name, Kind.REQUIRED, shape); }

        Layout optional(String name, long... shape) { return add(name, Kind.OPTIONAL, shape); }

        Layout buffer(String name, long... shape) { return add(name, Kind.BUFFER, shape); }

        /** The output projection: required unless tied (then a checkpoint may still store a copy). */
        Layout output(String name, boolean tied, long... shape) {
            return add(name, tied ? Kind.OPTIONAL : Kind.REQUIRED, shape);
        }

        private Layout add(String name, Kind kind, long... shape) {
            tensors.add(new ExpectedTensor(name, shape, kind));
            return this;
        }
    }

    // ---- reading the declaration ----

    private static Architecture fromConfig(Map<String, Object> config, Checkpoint c) {
        String modelType = string(config.get("model_type"));
        String architectures = String.valueOf(config.get("architectures"));
        String family;
        if (GPT2.equals(modelType) || (modelType == null && architectures.contains("GPT2"))) {
            family = GPT2;
        } else if (LLAMA.equals(modelType) || (modelType == null && architectures.contains("Llama"))) {
            family = LLAMA;
        } else {
            family = modelType != null ? modelType : "unknown";
        }
        OptionalLong declared = declaredParameterCount(c.metadata());
        if (family.equals(GPT2)) {
            int d = integer(config, "n_embd", "hidden_size");
            int heads = integer(config, "n_head", "num_attention_heads");
            int inner = integer(config, "n_inner");
            return new Architecture(GPT2, "config.json", integer(config, "n_layer", "num_hidden_layers"), d, heads, heads,
                    heads > 0 ? d / heads : 0, inner > 0 ? inner : 4 * d, integer(config, "vocab_size"),
                    integer(config, "n_positions", "n_ctx", "max_position_embeddings"),
                    bool(config.get("tie_word_embeddings"), true), declared, true, true);
        }
        int d = integer(config, "hidden_size", "n_embd", "d_model");
        int heads = integer(config, "num_attention_heads", "n_head");
        int kvHeads = integer(config, "num_key_value_heads");
        int headDim = integer(config, "head_dim");
        return new Architecture(family, "config.json", integer(config, "num_hidden_layers", "n_layer"), d, heads,
                kvHeads > 0 ? kvHeads : heads, headDim > 0 ? headDim : (heads > 0 ? d / heads : 0),
                integer(config, "intermediate_size", "n_inner"), integer(config, "vocab_size"),
                integer(config, "max_position_embeddings", "n_positions"),
                bool(config.get("tie_word_embeddings"), !family.equals(LLAMA)), declared,
                bool(config.get("attention_bias"), false), bool(config.get("mlp_bias"), false));
    }

    private static Optional<Architecture> fromGguf(Checkpoint c) {
        Map<String, Object> m = c.metadata();
        String arch = string(m.get("general.architecture"));
        if (arch == null) return Optional.empty();
        int expertCount = integer(m, arch + ".expert_count");
        // mixture-of-experts llama GGUFs store ffn_*_exps tensors this layout does not list
        String family = expertCount > 0 ? arch + " (mixture of experts)" : arch;
        int d = integer(m, arch + ".embedding_length");
        int heads = integer(m, arch + ".attention.head_count");
        int kvHeads = integer(m, arch + ".attention.head_count_kv");
        int keyLength = integer(m, arch + ".attention.key_length");
        int vocab = integer(m, arch + ".vocab_size");
        if (vocab == 0 && m.get("tokenizer.ggml.tokens") instanceof List<?> tokens) vocab = tokens.size();
        boolean tied = c.tensor("output.weight").isEmpty();
        OptionalLong declared = declaredParameterCount(m);
        return Optional.of(new Architecture(family, "gguf", integer(m, arch + ".block_count"), d, heads,
                kvHeads > 0 ? kvHeads : heads, keyLength > 0 ? keyLength : (heads > 0 ? d / heads : 0),
                integer(m, arch + ".feed_forward_length"), vocab, integer(m, arch + ".context_length"), tied,
                declared, false, false));
    }

    /** GGUF {@code general.parameter_count}, or a safetensors index's {@code total_parameters}. */
    private static OptionalLong declaredParameterCount(Map<String, Object> metadata) {
        for (String key : List.of("general.parameter_count", "total_parameters")) {
            Object v = metadata.get(key);
            if (v instanceof Number n && n.longValue() > 0) return OptionalLong.of(n.longValue());
            if (v instanceof String s && s.matches("\\d{1,18}")) return OptionalLong.of(Long.parseLong(s));
        }
        return OptionalLong.empty();
    }

    /** The first of {@code keys} holding a positive integer that fits an int, else 0. */
    private static int integer(Map<String, Object> m, String... keys) {
        for (String key : keys) {
            Object v = m.get(key);
            if (v instanceof Number n) {
                double d = n.doubleValue();
                if (d > 0 && d <= Integer.MAX_VALUE && d == Math.rint(d)) return (int) d;
            }
        }
        return 0;
    }

    private static String string(Object v) { return v instanceof String s ? s : null; }

    private static boolean bool(Object v, boolean fallback) { return v instanceof Boolean b ? b : fallback; }
}

package owb.audit;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small checkpoints made in a test: tensors of Gaussian values written to a file and mapped. */
final class TestCheckpoints {
    private final TestTensors tensors;
    private final SplittableRandom random = new SplittableRandom(11);
    private final List<String> names = new ArrayList<>();

    TestCheckpoints(Path dir) { tensors = new TestTensors(dir); }

    /** A tensor of N(0, 0.02) values. */
    TestCheckpoints gaussian(String name, long... shape) {
        float[] v = new float[(int) numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (random.nextGaussian() * 0.02);
        return values(name, shape, v);
    }

    TestCheckpoints values(String name, long[] shape, float[] values) {
        return values(name, DType.F32, shape, values);
    }

    TestCheckpoints values(String name, DType dtype, long[] shape, float[] values) {
        tensors.add(name, dtype, shape, values);
        names.add(name);
        return this;
    }

    Checkpoint safetensors(Map<String, Object> config) {
        return build(Checkpoint.Format.SAFETENSORS, Map.of(), config);
    }

    Checkpoint gguf(Map<String, Object> metadata) {
        return build(Checkpoint.Format.GGUF, metadata, null);
    }

    private Checkpoint build(Checkpoint.Format format, Map<String, Object> metadata, Map<String, Object> config) {
        List<TensorEntry> entries = tensors.map();
        return new Checkpoint(format, tensors.file(), List.of(tensors.file()), metadata, entries, config, tensors.arena());
    }

    static long numel(long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** config.json of a small Llama: 2 layers, d_model 64, 4 heads (2 kv) of 16, d_ff 128, vocab 320. */
    static Map<String, Object> llamaConfig(boolean tied) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("num_hidden_layers", 2);
        c.put("hidden_size", 64);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("intermediate_size", 128);
        c.put("vocab_size", 320);
        c.put("max_position_embeddings", 256);
        c.put("tie_word_embeddings", tied);
        c.put("rms_norm_eps", 1e-5);
        return c;
    }

    /** Every tensor of {@link #llamaConfig}'s model in Hugging Face names, except those listed. */
    TestCheckpoints llamaTensors(boolean withLmHead, String... except) {
        List<String> skip = List.of(except);
        Map<String, long[]> all = new LinkedHashMap<>();
        all.put("model.embed_tokens.weight", new long[] {320, 64});
        for (int i = 0; i < 2; i++) {
            String b = "model.layers." + i + ".";
            all.put(b + "input_layernorm.weight", new long[] {64});
            all.put(b + "self_attn.q_proj.weight", new long[] {64, 64});
            all.put(b + "self_attn.k_proj.weight", new long[] {32, 64});
            all.put(b + "self_attn.v_proj.weight", new long[] {32, 64});
            all.put(b + "self_attn.o_proj.weight", new long[] {64, 64});
            all.put(b + "post_attention_layernorm.weight", new long[] {64});
            all.put(b + "mlp.gate_proj.weight", new long[] {128, 64});
            all.put(b + "mlp.up_proj.weight", new long[] {128, 64});
            all.put(b + "mlp.down_proj.weight", new long[] {64, 128});
        }
        all.put("model.norm.weight", new long[] {64});
        if (withLmHead) all.put("lm_head.weight", new long[] {320, 64});
        all.forEach((name, shape) -> {
            if (!skip.contains(name)) gaussian(name, shape);
        });
        return this;
    }

    /** The same model in GGUF names (shapes outermost-first). */
    TestCheckpoints llamaGgufTensors() {
        gaussian("token_embd.weight", 320, 64);
        for (int i = 0; i < 2; i++) {
            String b = "blk." + i + ".";
            gaussian(b + "attn_norm.weight", 64);
            gaussian(b + "attn_q.weight", 64, 64);
            gaussian(b + "attn_k.weight", 32, 64);
            gaussian(b + "attn_v.weight", 32, 64);
            gaussian(b + "attn_output.weight", 64, 64);
            gaussian(b + "ffn_norm.weight", 64);
            gaussian(b + "ffn_gate.weight", 128, 64);
            gaussian(b + "ffn_up.weight", 128, 64);
            gaussian(b + "ffn_down.weight", 64, 128);
        }
        gaussian("output_norm.weight", 64);
        return this;
    }

    static Map<String, Object> llamaGgufMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", "llama");
        m.put("llama.block_count", 2L);
        m.put("llama.context_length", 256L);
        m.put("llama.embedding_length", 64L);
        m.put("llama.feed_forward_length", 128L);
        m.put("llama.attention.head_count", 4L);
        m.put("llama.attention.head_count_kv", 2L);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 320; i++) tokens.add("tok" + i);
        m.put("tokenizer.ggml.tokens", tokens);
        return m;
    }
}

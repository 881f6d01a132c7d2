package owb.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import owb.checkpoint.TensorNames.Family;
import owb.testing.GgufFixtures;

class TensorNamesTest {

    private static final Map<String, String> GPT2 = Map.ofEntries(
            Map.entry("token_embd.weight", "transformer.wte.weight"),
            Map.entry("position_embd.weight", "transformer.wpe.weight"),
            Map.entry("blk.0.attn_norm.weight", "transformer.h.0.ln_1.weight"),
            Map.entry("blk.0.attn_norm.bias", "transformer.h.0.ln_1.bias"),
            Map.entry("blk.11.attn_qkv.weight", "transformer.h.11.attn.c_attn.weight"),
            Map.entry("blk.11.attn_qkv.bias", "transformer.h.11.attn.c_attn.bias"),
            Map.entry("blk.2.attn_output.weight", "transformer.h.2.attn.c_proj.weight"),
            Map.entry("blk.2.ffn_norm.bias", "transformer.h.2.ln_2.bias"),
            Map.entry("blk.2.ffn_up.weight", "transformer.h.2.mlp.c_fc.weight"),
            Map.entry("blk.2.ffn_down.bias", "transformer.h.2.mlp.c_proj.bias"),
            Map.entry("output_norm.weight", "transformer.ln_f.weight"),
            Map.entry("output_norm.bias", "transformer.ln_f.bias"),
            Map.entry("output.weight", "lm_head.weight"));

    private static final Map<String, String> LLAMA = Map.ofEntries(
            Map.entry("token_embd.weight", "model.embed_tokens.weight"),
            Map.entry("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"),
            Map.entry("blk.29.attn_q.weight", "model.layers.29.self_attn.q_proj.weight"),
            Map.entry("blk.29.attn_q.bias", "model.layers.29.self_attn.q_proj.bias"),
            Map.entry("blk.3.attn_k.weight", "model.layers.3.self_attn.k_proj.weight"),
            Map.entry("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
            Map.entry("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            Map.entry("blk.3.ffn_norm.weight", "model.layers.3.post_attention_layernorm.weight"),
            Map.entry("blk.3.ffn_gate.weight", "model.layers.3.mlp.gate_proj.weight"),
            Map.entry("blk.3.ffn_up.weight", "model.layers.3.mlp.up_proj.weight"),
            Map.entry("blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight"),
            Map.entry("output_norm.weight", "model.norm.weight"),
            Map.entry("output.weight", "lm_head.weight"));

    @Test
    void mapsEveryGpt2TensorBothWays() {
        GPT2.forEach((gguf, hf) -> {
            assertEquals(Optional.of(hf), TensorNames.ggufToHf(gguf, "gpt2"), gguf);
            assertEquals(Optional.of(gguf), TensorNames.hfToGguf(hf, "gpt2"), hf);
        });
    }

    @Test
    void mapsEveryLlamaTensorBothWays() {
        LLAMA.forEach((gguf, hf) -> {
            assertEquals(Optional.of(hf), TensorNames.ggufToHf(gguf, "llama"), gguf);
            assertEquals(Optional.of(gguf), TensorNames.hfToGguf(hf, "llama"), hf);
        });
    }

    @Test
    void acceptsGpt2NamesWithoutTheTransformerPrefix() {
        assertEquals(Optional.of("blk.4.attn_qkv.weight"), TensorNames.hfToGguf("h.4.attn.c_attn.weight", "gpt2"));
        assertEquals(Optional.of("token_embd.weight"), TensorNames.hfToGguf("wte.weight", "gpt2"));
        assertEquals("transformer.h.4.attn.c_attn.weight",
                TensorNames.canonical("h.4.attn.c_attn.weight", Checkpoint.Format.SAFETENSORS, "gpt2"));
    }

    @Test
    void canonicalNameIsTheHuggingFaceName() {
        assertEquals("model.layers.7.mlp.gate_proj.weight",
                TensorNames.canonical("blk.7.ffn_gate.weight", Checkpoint.Format.GGUF, "llama"));
        assertEquals("model.layers.7.mlp.gate_proj.weight",
                TensorNames.canonical("model.layers.7.mlp.gate_proj.weight", Checkpoint.Format.SAFETENSORS, "llama"));
        assertEquals("transformer.ln_f.bias",
                TensorNames.canonical("output_norm.bias", Checkpoint.Format.GGUF, "GPT2LMHeadModel"));
    }

    @Test
    void namesWithoutACounterpartStayAsTheyAre() {
        assertEquals(Optional.empty(), TensorNames.hfToGguf("transformer.h.0.attn.bias", "gpt2"), "causal mask buffer");
        assertEquals(Optional.empty(), TensorNames.hfToGguf("h.0.attn.masked_bias", "gpt2"));
        assertEquals(Optional.empty(), TensorNames.hfToGguf("model.layers.0.self_attn.rotary_emb.inv_freq", "llama"));
        assertEquals(Optional.empty(), TensorNames.ggufToHf("rope_freqs.weight", "llama"));
        assertEquals(Optional.empty(), TensorNames.ggufToHf("blk.x.attn_q.weight", "llama"));
        assertEquals(Optional.empty(), TensorNames.ggufToHf("blk..attn_q.weight", "llama"));
        assertEquals(Optional.empty(), TensorNames.ggufToHf("blk.1.attn_q", "llama"), "no parameter suffix");
        assertEquals(Optional.empty(), TensorNames.ggufToHf("blk.1.attn_qkv.weight", "llama"), "GPT-2 name in Llama");
        assertEquals("rope_freqs.weight", TensorNames.canonical("rope_freqs.weight", Checkpoint.Format.GGUF, "llama"));
        assertEquals("blk.0.attn_q.weight", TensorNames.canonical("blk.0.attn_q.weight", Checkpoint.Format.GGUF, "falcon"));
    }

    @Test
    void recognisesArchitecturesAsBothFormatsSpellThem() {
        assertEquals(Optional.of(Family.GPT2), TensorNames.family("gpt2"));
        assertEquals(Optional.of(Family.GPT2), TensorNames.family("GPT2LMHeadModel"));
        assertEquals(Optional.of(Family.LLAMA), TensorNames.family("llama"));
        assertEquals(Optional.of(Family.LLAMA), TensorNames.family("LlamaForCausalLM"));
        assertEquals(Optional.of(Family.LLAMA), TensorNames.family("mistral"));
        assertEquals(Optional.empty(), TensorNames.family("bert"));
        assertEquals(Optional.empty(), TensorNames.family(null));
    }

    @Test
    void everySmolLM2TensorHasAHuggingFaceNameThatMapsBack() throws IOException {
        try (Checkpoint c = GgufReader.open(GgufFixtures.smollm2())) {
            String architecture = (String) c.metadata().get("general.architecture");
            for (TensorEntry t : c.tensors()) {
                String hf = TensorNames.ggufToHf(t.name(), architecture).orElseThrow(
                        () -> new AssertionError(t.name() + " has no Hugging Face name"));
                assertTrue(hf.startsWith("model."), hf);
                assertEquals(Optional.of(t.name()), TensorNames.hfToGguf(hf, architecture));
            }
        }
    }
}

package owb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;

class ModelConfigTest {

    private static ModelConfig of(String model, String file) throws IOException {
        try (Checkpoint c = Checkpoints.open(ModelFixtures.model(model).resolve(file))) {
            return ModelConfig.of(c);
        }
    }

    @Test
    void mistralSlidesEveryLayersWindow() throws IOException {
        assertEquals(List.of(8, 8), of("mistral", "model.safetensors").slidingWindows());
    }

    @Test
    void qwen2IgnoresItsWindowUnlessUseSlidingWindowIsSet() throws IOException {
        ModelConfig qwen = of("qwen2", "model.safetensors");
        assertEquals(List.of(0, 0), qwen.slidingWindows());
        assertTrue(qwen.tieWordEmbeddings());
        Map<String, Object> config = new HashMap<>(Map.of("model_type", "qwen2", "vocab_size", 10L, "hidden_size", 8L,
                "intermediate_size", 16L, "num_hidden_layers", 4L, "num_attention_heads", 2L,
                "sliding_window", 5L, "use_sliding_window", true, "max_window_layers", 2L));
        assertEquals(List.of(0, 0, 5, 5), ModelConfig.fromHuggingFace(config).slidingWindows());
    }

    @Test
    void ggufMetadataGivesTheSameShapeAsConfigJson() throws IOException {
        for (String model : List.of("llama", "llama-gqa", "gpt2")) {
            ModelConfig hf = of(model, "model.safetensors");
            ModelConfig gguf = of(model, "model-f32.gguf");
            assertEquals(List.of(hf.family(), hf.dVocab(), hf.dModel(), hf.nLayers(), hf.nHeads(), hf.nKvHeads(),
                            hf.dHead(), hf.dMlp(), hf.nCtx(), hf.normEps(), hf.slidingWindows()),
                    List.of(gguf.family(), gguf.dVocab(), gguf.dModel(), gguf.nLayers(), gguf.nHeads(), gguf.nKvHeads(),
                            gguf.dHead(), gguf.dMlp(), gguf.nCtx(), gguf.normEps(), gguf.slidingWindows()), model);
            assertEquals(hf.rope() == null ? null : hf.rope().theta(), gguf.rope() == null ? null : gguf.rope().theta());
        }
    }

    @Test
    void llama3ScalingIsReadFromRopeScaling() throws IOException {
        ModelConfig.RopeSettings rope = of("llama3", "model.safetensors").rope();
        assertEquals(new ModelConfig.RopeSettings(500000, "llama3", 8, 1, 4, 64), rope);
    }

    @Test
    void transformers5RopeParametersAreRead() {
        Map<String, Object> config = Map.of("model_type", "llama", "vocab_size", 10L, "hidden_size", 8L,
                "intermediate_size", 16L, "num_hidden_layers", 1L, "num_attention_heads", 2L,
                "rope_parameters", Map.of("rope_type", "default", "rope_theta", 123.0));
        assertEquals(ModelConfig.RopeSettings.plain(123), ModelConfig.fromHuggingFace(config).rope());
    }

    @Test
    void unsupportedArchitecturesAndScalingsAreNamed() {
        ModelException e = assertThrows(ModelException.class,
                () -> ModelConfig.fromHuggingFace(Map.of("model_type", "bert")));
        assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
        Map<String, Object> yarn = Map.of("model_type", "llama", "vocab_size", 10L, "hidden_size", 8L,
                "intermediate_size", 16L, "num_hidden_layers", 1L, "num_attention_heads", 2L,
                "rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0));
        e = assertThrows(ModelException.class, () -> ModelConfig.fromHuggingFace(yarn));
        assertTrue(e.getMessage().contains("yarn"), e.getMessage());
        e = assertThrows(ModelException.class, () -> ModelConfig.fromHuggingFace(Map.of("model_type", "llama")));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
        e = assertThrows(ModelException.class, () -> ModelConfig.fromGguf(Map.of("general.architecture", "falcon",
                "falcon.block_count", 1L, "falcon.embedding_length", 8L, "falcon.attention.head_count", 2L), 10));
        assertTrue(e.getMessage().contains("falcon"), e.getMessage());
    }

    @Test
    void headsMustDivideIntoKeyValueGroups() {
        Map<String, Object> config = Map.of("model_type", "llama", "vocab_size", 10L, "hidden_size", 12L,
                "intermediate_size", 16L, "num_hidden_layers", 1L, "num_attention_heads", 3L, "num_key_value_heads", 2L);
        assertThrows(ModelException.class, () -> ModelConfig.fromHuggingFace(config));
    }
}

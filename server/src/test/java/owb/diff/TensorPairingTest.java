package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;
import owb.diff.TensorPairing.Status;

class TensorPairingTest {

    private static TensorEntry f32(String name, float[] values, long... shape) {
        return new TensorEntry(name, DType.F32, shape, Path.of("x"), 0, MemorySegment.ofArray(values));
    }

    private static Checkpoint gguf(Map<String, Object> metadata, TensorEntry... tensors) {
        return new Checkpoint(Checkpoint.Format.GGUF, Path.of("x.gguf"), List.of(), metadata, List.of(tensors),
                null, Arena.ofShared());
    }

    private static Checkpoint safetensors(TensorEntry... tensors) {
        return new Checkpoint(Checkpoint.Format.SAFETENSORS, Path.of("x"), List.of(), Map.of(), List.of(tensors),
                Map.of("model_type", "llama"), Arena.ofShared());
    }

    @Test
    void aGgufLlamaWithoutHeadCountCannotBeComparedAcrossFormatsAndSaysWhy() {
        Checkpoint base = safetensors(f32("model.layers.0.self_attn.q_proj.weight", new float[8], 4, 2));
        Checkpoint derivative = gguf(Map.of("general.architecture", "llama"),
                f32("blk.0.attn_q.weight", new float[8], 4, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> TensorPairing.pair(base, derivative));
        assertTrue(e.getMessage().contains("llama.attention.head_count"), e.getMessage());
    }

    @Test
    void namesOnOneSideOnlyAreAddedOrRemovedAndOtherShapeChangesAreNotCompared() {
        Checkpoint base = safetensors(f32("model.norm.weight", new float[4], 4),
                f32("model.layers.0.mlp.up_proj.weight", new float[8], 4, 2));
        Checkpoint derivative = safetensors(f32("lm_head.weight", new float[4], 2, 2),
                f32("model.layers.0.mlp.up_proj.weight", new float[8], 2, 4));
        Map<String, TensorPairing.TensorPair> pairs = new java.util.HashMap<>();
        for (var p : TensorPairing.pair(base, derivative)) pairs.put(p.name(), p);
        assertEquals(Status.REMOVED, pairs.get("model.norm.weight").status());
        assertEquals(Status.ADDED, pairs.get("lm_head.weight").status());
        var up = pairs.get("model.layers.0.mlp.up_proj.weight");
        assertEquals(Status.RESHAPED, up.status());
        assertEquals(false, up.comparable());
        assertTrue(FineTuneDiff.analyse(up).note().contains("differ beyond the outer dimension"));
    }

    /** convert_hf_to_gguf.py stores GPT-2's Conv1D weights transposed; the pairing reads them back as [in, out]. */
    @Test
    void gpt2Conv1dWeightsArePairedAcrossFormatsElementByElement() {
        float[] hf = {1, 2, 3, 4, 5, 6};        // [in 2, out 3]
        float[] stored = {1, 4, 2, 5, 3, 6};    // [out 3, in 2]
        Checkpoint base = new Checkpoint(Checkpoint.Format.SAFETENSORS, Path.of("x"), List.of(), Map.of(),
                List.of(f32("transformer.h.0.attn.c_attn.weight", hf, 2, 3)), Map.of("model_type", "gpt2"), Arena.ofShared());
        Checkpoint derivative = gguf(Map.of("general.architecture", "gpt2"), f32("blk.0.attn_qkv.weight", stored, 3, 2));
        var pair = TensorPairing.pair(base, derivative).getFirst();
        assertEquals("transformer.h.0.attn.c_attn.weight", pair.name());
        assertEquals(Status.CHANGED, pair.status()); // different bytes: the values decide
        assertTrue(pair.derivative().isTransposed());
        assertEquals(List.of(2L, 3L), java.util.Arrays.stream(pair.derivative().shape()).boxed().toList());
        float[] read = new float[6];
        pair.derivative().read(0, 6, read, 0);
        assertTrue(java.util.Arrays.equals(hf, read), java.util.Arrays.toString(read));
        assertEquals(Status.UNCHANGED, FineTuneDiff.analyse(pair).status());
    }

    /** The tiny GPT-2 fixture against its own F32 GGUF: nothing changed; against its Q8_0 GGUF: quantization noise. */
    @Test
    void gpt2SafetensorsAgainstItsGgufConversions() throws Exception {
        Path dir = DiffFixtures.tinyModel("gpt2");
        try (Checkpoint hf = owb.checkpoint.Checkpoints.open(dir);
             Checkpoint f32 = owb.checkpoint.Checkpoints.open(dir.resolve("model-f32.gguf"));
             Checkpoint q8 = owb.checkpoint.Checkpoints.open(dir.resolve("model-q8_0.gguf"))) {
            FineTuneDiff.Report same = FineTuneDiff.run(hf, f32);
            assertTrue(same.tensors().stream().allMatch(t -> t.status() == Status.UNCHANGED),
                    same.tensors().stream().filter(t -> t.status() != Status.UNCHANGED).map(t -> t.name() + " " + t.status()).toList().toString());
            FineTuneDiff.Report quantized = FineTuneDiff.run(hf, q8);
            var cAttn = quantized.tensors().stream().filter(t -> t.name().equals("transformer.h.0.attn.c_attn.weight")).findFirst().orElseThrow();
            assertEquals(Status.CHANGED, cAttn.status());
            assertTrue(cAttn.stats().relChange() > 1e-4 && cAttn.stats().relChange() < 1e-2, String.valueOf(cAttn.stats().relChange()));
            assertTrue(quantized.tensors().stream().noneMatch(t -> t.status() == Status.RESHAPED));
        }
    }
}

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
}

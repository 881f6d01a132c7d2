package owb.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditorTest {

    @TempDir
    Path dir;

    private List<Finding> findings(Checkpoint c) {
        try (c) {
            return Auditor.audit(c, AuditProgress.NONE).findings();
        }
    }

    private static List<Finding> of(List<Finding> all, Severity severity) {
        return all.stream().filter(f -> f.severity() == severity).toList();
    }

    private static Finding only(List<Finding> all, Severity severity) {
        List<Finding> f = of(all, severity);
        assertEquals(1, f.size(), () -> "one " + severity + " expected in " + all);
        return f.getFirst();
    }

    @Test
    void completeTiedLlamaHasOnlyInformation() {
        List<Finding> f = findings(new TestCheckpoints(dir).llamaTensors(false).safetensors(TestCheckpoints.llamaConfig(true)));
        assertEquals(List.of(), of(f, Severity.ERROR));
        assertEquals(List.of(), of(f, Severity.WARNING));
        assertTrue(f.stream().anyMatch(x -> x.message().startsWith("tied embeddings: lm_head.weight is absent")), f::toString);
        assertTrue(f.stream().anyMatch(x -> x.message().startsWith("parameter count 94,528 matches")), f::toString);
    }

    @Test
    void untiedLlamaWithoutLmHeadMissesIt() {
        List<Finding> f = findings(new TestCheckpoints(dir).llamaTensors(false).safetensors(TestCheckpoints.llamaConfig(false)));
        Finding e = only(f, Severity.ERROR);
        assertEquals("lm_head.weight", e.tensor());
        assertTrue(e.message().startsWith("missing"), e.message());
    }

    @Test
    void missingTensorIsAnError() {
        List<Finding> f = findings(new TestCheckpoints(dir).llamaTensors(false, "model.layers.1.mlp.down_proj.weight")
                .safetensors(TestCheckpoints.llamaConfig(true)));
        assertEquals("model.layers.1.mlp.down_proj.weight", only(f, Severity.ERROR).tensor());
        // and the parameter count is off by that tensor's 8192 values, more than 1%
        assertTrue(of(f, Severity.WARNING).stream().anyMatch(x -> x.message().startsWith("parameter count 86,336 vs 94,528 expected (from the llama architecture, tied embeddings): -8.67%")), f::toString);
    }

    @Test
    void shapeDisagreeingWithConfigIsAnError() {
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.layers.0.self_attn.k_proj.weight");
        b.gaussian("model.layers.0.self_attn.k_proj.weight", 64, 64);
        Finding e = only(findings(b.safetensors(TestCheckpoints.llamaConfig(true))), Severity.ERROR);
        assertEquals("model.layers.0.self_attn.k_proj.weight", e.tensor());
        assertTrue(e.message().startsWith("shape [64, 64] but the declared architecture gives [32, 64]"), e.message());
    }

    @Test
    void unexpectedTensorIsAWarning() {
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false);
        b.gaussian("model.layers.0.self_attn.q_norm.weight", 16);
        Finding w = only(findings(b.safetensors(TestCheckpoints.llamaConfig(true))), Severity.WARNING);
        assertEquals("model.layers.0.self_attn.q_norm.weight", w.tensor());
        assertTrue(w.message().startsWith("unexpected"), w.message());
    }

    @Test
    void nanAndInfAreErrors() {
        float[] v = new float[64];
        v[3] = Float.NaN;
        v[9] = Float.NEGATIVE_INFINITY;
        v[10] = 1;
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.norm.weight");
        b.values("model.norm.weight", new long[] {64}, v);
        Finding e = only(findings(b.safetensors(TestCheckpoints.llamaConfig(true))), Severity.ERROR);
        assertEquals("model.norm.weight", e.tensor());
        assertEquals("1 NaN and 1 infinite values (of 64)", e.message());
    }

    @Test
    void identicalTensorsAreAWarning() {
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.layers.1.self_attn.v_proj.weight");
        float[] copy = new float[32 * 64];
        for (int i = 0; i < copy.length; i++) copy[i] = (float) Math.sin(i);
        b.values("model.layers.0.self_attn.v_proj.weight.copy_source", new long[] {32, 64}, copy);
        b.values("model.layers.1.self_attn.v_proj.weight", new long[] {32, 64}, copy);
        List<Finding> f = findings(b.safetensors(TestCheckpoints.llamaConfig(true)));
        Finding dup = of(f, Severity.WARNING).stream().filter(x -> x.message().startsWith("identical")).findFirst().orElseThrow();
        assertEquals("model.layers.1.self_attn.v_proj.weight", dup.tensor());
        assertEquals("identical to model.layers.0.self_attn.v_proj.weight.copy_source (same F32 bytes, [32, 64])", dup.message());
    }

    @Test
    void identicalLargeBf16TensorsAreFoundToo() {
        // large 16-bit tensors take the value-table path: statistics from a table of bit patterns
        float[] values = new float[300_000];
        java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        for (int i = 0; i < values.length; i++) values[i] = (float) (r.nextGaussian() * 0.02);
        TestCheckpoints b = new TestCheckpoints(dir);
        b.values("a.weight", DType.BF16, new long[] {300, 1000}, values);
        values[12345] += 0.5f;
        b.values("b.weight", DType.BF16, new long[] {300, 1000}, values);
        values[12345] -= 0.5f;
        b.values("c.weight", DType.BF16, new long[] {300, 1000}, values);
        List<Finding> f = findings(b.safetensors(null));
        Finding dup = only(f, Severity.WARNING);
        assertEquals("c.weight", dup.tensor());
        assertEquals("identical to a.weight (same BF16 bytes, [300, 1000])", dup.message());
    }

    @Test
    void equalStatisticsAreNotIdenticalBytes() {
        // a reversed copy has every statistic of the original, and different bytes
        float[] values = new float[64 * 64];
        for (int i = 0; i < values.length; i++) values[i] = (float) Math.sin(i * 0.1);
        float[] reversed = new float[values.length];
        for (int i = 0; i < values.length; i++) reversed[i] = values[values.length - 1 - i];
        TestCheckpoints b = new TestCheckpoints(dir);
        b.values("a.weight", new long[] {64, 64}, values);
        b.values("b.weight", new long[] {64, 64}, reversed);
        assertEquals(List.of(), of(findings(b.safetensors(null)), Severity.WARNING));
    }

    @Test
    void manyTensorsWithEqualStatisticsAreSplitByHashThenCompared() {
        // more candidates than are compared pairwise: rotations of one tensor, two of them repeated
        int n = 48 * 48;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) Math.cos(i * 0.37);
        TestCheckpoints b = new TestCheckpoints(dir);
        int tensors = CheckpointFindings.PAIRWISE_LIMIT + 4;
        for (int t = 0; t < tensors; t++) {
            int shift = t == 5 ? 2 : t == 9 ? 7 : t; // t5 repeats t2, t9 repeats t7
            float[] rotated = new float[n];
            for (int i = 0; i < n; i++) rotated[i] = values[(i + shift) % n];
            b.values("t" + t + ".weight", new long[] {48, 48}, rotated);
        }
        List<Finding> dups = of(findings(b.safetensors(null)), Severity.WARNING);
        assertEquals(List.of("t5.weight: identical to t2.weight (same F32 bytes, [48, 48])",
                        "t9.weight: identical to t7.weight (same F32 bytes, [48, 48])"),
                dups.stream().map(d -> d.tensor() + ": " + d.message()).toList());
    }

    @Test
    void tiedEmbeddingsStoredTwiceAreInformation() {
        float[] embedding = new float[320 * 64];
        for (int i = 0; i < embedding.length; i++) embedding[i] = (float) Math.cos(i * 0.37);
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.embed_tokens.weight");
        b.values("model.embed_tokens.weight", new long[] {320, 64}, embedding);
        b.values("lm_head.weight", new long[] {320, 64}, embedding);
        List<Finding> f = findings(b.safetensors(TestCheckpoints.llamaConfig(true)));
        assertEquals(List.of(), of(f, Severity.WARNING));
        assertTrue(f.stream().anyMatch(x -> x.message().equals("tied embeddings stored twice: identical to model.embed_tokens.weight")), f::toString);
    }

    @Test
    void farOutlierIsAWarning() {
        float[] embedding = new float[320 * 64];
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < embedding.length; i++) embedding[i] = (float) (r.nextGaussian() * 0.02);
        embedding[777] = 5f; // 250 std
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.embed_tokens.weight");
        b.values("model.embed_tokens.weight", new long[] {320, 64}, embedding);
        Finding w = only(findings(b.safetensors(TestCheckpoints.llamaConfig(true))), Severity.WARNING);
        assertEquals("model.embed_tokens.weight", w.tensor());
        assertTrue(w.message().matches("outlier: value 5\\.00000 is 124 std from the mean .*"), w.message());
    }

    @Test
    void hugeValueInSmallTensorIsAWarning() {
        float[] norm = new float[64];
        java.util.Arrays.fill(norm, 1f);
        norm[5] = 3e30f;
        TestCheckpoints b = new TestCheckpoints(dir).llamaTensors(false, "model.norm.weight");
        b.values("model.norm.weight", new long[] {64}, norm);
        Finding w = only(findings(b.safetensors(TestCheckpoints.llamaConfig(true))), Severity.WARNING);
        assertTrue(w.message().startsWith("implausible magnitude: abs_max 3.000e+30"), w.message());
    }

    @Test
    void allZeroWeightWarnsButAllZeroBiasInforms() {
        TestCheckpoints b = new TestCheckpoints(dir);
        b.values("layer.weight", new long[] {4, 8}, new float[32]);
        b.values("layer.bias", new long[] {4}, new float[4]);
        List<Finding> f = findings(b.safetensors(null));
        assertEquals("layer.weight", only(f, Severity.WARNING).tensor());
        assertTrue(f.stream().anyMatch(x -> "layer.bias".equals(x.tensor()) && x.severity() == Severity.INFO));
        assertTrue(f.stream().anyMatch(x -> x.message().startsWith("no config.json")));
    }

    @Test
    void ggufLlamaWithoutOutputIsTiedAndClean() {
        List<Finding> f = findings(new TestCheckpoints(dir).llamaGgufTensors().gguf(TestCheckpoints.llamaGgufMetadata()));
        assertEquals(List.of(), of(f, Severity.ERROR));
        assertEquals(List.of(), of(f, Severity.WARNING));
        assertTrue(f.stream().anyMatch(x -> x.message().startsWith("tied embeddings: output.weight is absent")), f::toString);
    }

    @Test
    void mixedDtypesAreListed() {
        TestCheckpoints b = new TestCheckpoints(dir);
        b.values("a", DType.BF16, new long[] {4}, new float[] {1, 2, 3, 4});
        b.values("b", DType.F32, new long[] {4}, new float[] {1, 2, 3, 5});
        b.values("c", DType.F32, new long[] {4}, new float[] {1, 2, 3, 6});
        List<Finding> f = findings(b.safetensors(null));
        assertTrue(f.contains(Finding.info(null, "mixed dtypes: 2 F32, 1 BF16")), f::toString);
    }

    @Test
    void reportCarriesEveryTensorInFileOrderAndSummarisesLongArrays() {
        Checkpoint c = new TestCheckpoints(dir).llamaGgufTensors().gguf(TestCheckpoints.llamaGgufMetadata());
        AuditReport r;
        try (c) {
            r = Auditor.audit(c, AuditProgress.NONE, 1);
        }
        assertEquals("gguf", r.format());
        assertEquals(20, r.tensorCount());
        assertEquals("token_embd.weight", r.tensors().getFirst().name());
        assertEquals(320 * 64, r.tensors().getFirst().stats().count());
        Object tokens = r.metadata().get("tokenizer.ggml.tokens");
        assertEquals(Map.of("type", "array", "length", 320, "head", List.of("tok0", "tok1", "tok2", "tok3", "tok4", "tok5", "tok6", "tok7")), tokens);
        assertFalse(r.findings().isEmpty());
    }

    @Test
    void progressEndsAtTheTotal() {
        Checkpoint c = new TestCheckpoints(dir).llamaTensors(false).safetensors(TestCheckpoints.llamaConfig(true));
        long[] last = new long[2];
        try (c) {
            Auditor.audit(c, (done, total, tensor) -> {
                last[0] = done;
                last[1] = total;
            });
        }
        assertEquals(94_528 * 4, last[1]);
        assertEquals(last[1], last[0]);
    }
}

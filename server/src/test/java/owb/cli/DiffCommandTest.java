package owb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.diff.DiffFixtures;

class DiffCommandTest {

    private record Result(int code, String out, String err) {}

    private static Result owb(String... argv) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void reportNamesTheChangedTensorsWithRankAndVerdict() {
        Path f = DiffFixtures.folder();
        Result r = owb("diff", f.resolve("base").toString(), f.resolve("derivative").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("33 unchanged, 4 changed, 0 added, 0 removed, 2 reshaped"), r.out());
        assertTrue(r.out().matches("(?s).*model\\.layers\\.2\\.mlp\\.down_proj\\.weight +changed +1\\.000e-01 .* 8 +rank-8 update.*"), r.out());
        assertTrue(r.out().contains("4 new rows, shared rows unchanged"), r.out());
    }

    @Test
    void jsonHasOneEntryPerTensorWithSpectrum() throws Exception {
        Path f = DiffFixtures.folder();
        Result r = owb("diff", f.resolve("base").toString(), f.resolve("derivative.gguf").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode doc = JsonMapper.builder().build().readTree(r.out());
        Map<String, JsonNode> byName = new HashMap<>();
        for (JsonNode t : doc.get("tensors")) byName.put(t.get("name").asText(), t);
        assertEquals(39, byName.size());
        JsonNode q = byName.get("model.layers.1.self_attn.q_proj.weight");
        assertEquals("changed", q.get("status").asText());
        assertEquals(4, q.get("rank").asInt());
        assertEquals(0.05, q.get("rel_change").asDouble(), 0.0005);
        assertTrue(q.get("singular_values").size() >= 4);
        JsonNode embed = byName.get("model.embed_tokens.weight");
        assertEquals("reshaped", embed.get("status").asText());
        assertEquals(260, embed.get("shape_derivative").get(0).asInt());
        assertEquals("unchanged", byName.get("model.layers.0.self_attn.q_proj.weight").get("status").asText());
        assertTrue(doc.get("aggregates").size() > 0);
    }

    @Test
    void aPromptAddsTheBehaviouralDiffToTheReport() {
        Path f = DiffFixtures.folder();
        Result r = owb("diff", f.resolve("base").toString(), f.resolve("derivative").toString(), "--prompt", "The cat sat.");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("behaviour on \"The cat sat.\" (12 tokens"), r.out());
        assertTrue(r.out().matches("(?s).*\nlayer +last pos +mean +max\n0 +0 +0 +0\n1 +\\d.*"), r.out());
        assertTrue(r.out().contains("heads whose attention changed most"), r.out());
        assertTrue(r.out().matches("(?s).*\"<\\|im_start\\|>\" +256 +0\\.0000 .*"), "a new token rose: " + r.out());
    }

    @Test
    void jsonHasTheBehaviourOfEachPrompt() throws Exception {
        Path f = DiffFixtures.folder();
        Result r = owb("diff", f.resolve("base").toString(), f.resolve("derivative.gguf").toString(), "--json",
                "--prompt", "ab", "--prompt", "abc", "--moved", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode doc = JsonMapper.builder().build().readTree(r.out());
        JsonNode b = doc.get("behaviour");
        assertEquals("ab", b.get("prompt").asText());
        assertEquals(2, b.get("tokens").size());
        assertEquals("a", b.get("tokens").get(0).get("text").asText());
        assertEquals(5 * 2, b.get("lens_kl").size(), "layers 0..4 x 2 positions");
        assertEquals(0.0, b.get("lens_kl").get(0).get("kl").asDouble(), 1e-10);
        assertEquals(4 * 4, b.get("attention_js").size());
        assertTrue(b.get("moved_tokens").size() <= 6);
        JsonNode m = b.get("moved_tokens").get(0);
        assertEquals(m.get("p_derivative").asDouble() - m.get("p_base").asDouble(), m.get("delta").asDouble(), 1e-12);
        assertTrue(b.get("notes").get(0).asText().contains("derivative has no tokenizer"), b.toString());
        assertEquals(2, doc.get("behaviours").size());
        assertEquals(3, doc.get("behaviours").get(1).get("tokens").size());
        assertEquals(doc.get("tensors").get(0).get("module"), doc.get("tensors").get(0).get("kind"));
    }

    @Test
    void aPromptNeedsTheBaseTokenizer() {
        Path f = DiffFixtures.folder();
        Result r = owb("diff", f.resolve("derivative.gguf").toString(), f.resolve("base").toString(), "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: the base has no tokenizer"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Result missing = owb("diff", dir.resolve("nope").toString(), dir.resolve("nope2").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("error: ") && missing.err().strip().lines().count() == 1, missing.err());

        Path junk = Files.writeString(dir.resolve("junk.safetensors"), "not a checkpoint");
        Result bad = owb("diff", junk.toString(), junk.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: ") && bad.err().strip().lines().count() == 1, bad.err());

        Result one = owb("diff", junk.toString());
        assertEquals(2, one.code());
        assertTrue(one.err().startsWith("error: expected BASE and DERIVATIVE"), one.err());
    }
}

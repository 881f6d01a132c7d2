package owb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

/** owb lens and owb attention on the tiny llama fixture (2 layers, 4 heads, vocab 512). */
class ProbeCommandsTest {
    private static final String TOKENS = "500,483,367,52,402";

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new java.util.LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void lensJsonHasEveryLayerAndPositionWithTheSpecKeys() throws IOException {
        RunCommandTest.Result r = RunCommandTest.owb("lens", RunCommandTest.fixture("llama").toString(),
                "--tokens", TOKENS, "--top", "3", "--target", "#7", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        assertEquals(2, doc.get("layers").asInt());
        assertEquals(5, doc.get("positions").asInt());
        assertEquals(7, doc.get("target").get("id").asInt());
        JsonNode rows = doc.get("rows");
        assertEquals(3 * 5, rows.size());
        Set<String> seen = new java.util.HashSet<>();
        for (JsonNode row : rows) {
            assertEquals(Set.of("layer", "position", "top", "entropy", "kl_to_final", "target_rank", "target_prob"),
                    fields(row));
            assertTrue(seen.add(row.get("layer").asInt() + "," + row.get("position").asInt()));
            assertEquals(3, row.get("top").size());
            assertEquals(Set.of("id", "text", "prob"), fields(row.get("top").get(0)));
            assertTrue(Double.isFinite(row.get("entropy").asDouble()));
            if (row.get("layer").asInt() == 2) assertEquals(0.0, row.get("kl_to_final").asDouble());
        }
    }

    @Test
    void lensTextIsAGridOfLayers() {
        RunCommandTest.Result r = RunCommandTest.owb("lens", RunCommandTest.fixture("gpt2").toString(),
                "--tokens", TOKENS);
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[lines.length - 1].strip().startsWith("2 "), r.out());
        assertTrue(lines[lines.length - 3].strip().startsWith("0 "), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.contains("target rank")));
    }

    @Test
    void attentionJsonHasHeadScoresAndThePattern() throws IOException {
        RunCommandTest.Result r = RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", "500,483,367,500,483", "--layer", "1", "--head", "2", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        JsonNode heads = doc.get("heads");
        assertEquals(4, heads.size());
        for (JsonNode h : heads) {
            assertEquals(1, h.get("layer").asInt());
            assertEquals(Set.of("layer", "head", "entropy", "sink", "previous_token", "duplicate_token", "induction"),
                    fields(h));
            assertTrue(h.get("induction").isNumber());
        }
        JsonNode weights = doc.get("pattern").get("weights");
        assertEquals(5, weights.size());
        for (JsonNode row : weights) {
            double sum = 0;
            for (JsonNode w : row) sum += w.asDouble();
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void attentionTextAndUsageErrors() {
        RunCommandTest.Result r = RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", TOKENS, "--layer", "0", "--head", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("pattern of layer 0 head 1"), r.out());
        assertNotEquals(0, RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", TOKENS, "--head", "1").status());
        assertNotEquals(0, RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", TOKENS, "--layer", "9").status());
        assertNotEquals(0, RunCommandTest.owb("lens", RunCommandTest.fixture("llama").toString(),
                "--tokens", TOKENS, "--target", "#99999").status());
    }

    @Test
    void attentionOnAnInductionPromptScoresEveryHead() throws IOException {
        RunCommandTest.Result r = RunCommandTest.owb("attention", RunCommandTest.fixture("gpt2").toString(),
                "--induction", "10", "--seed", "3", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        assertEquals(20, doc.get("positions").asInt());
        assertEquals(8, doc.get("heads").size());
        for (JsonNode h : doc.get("heads")) assertTrue(h.get("induction").isNumber(), h.toString());
        assertNotEquals(0, RunCommandTest.owb("attention", RunCommandTest.fixture("gpt2").toString(),
                "--induction", "10", "--tokens", "1,2").status());
    }

    /** Past 256 positions the pattern comes as each query's top keys. */
    @Test
    void longPromptsGiveTopKeysInsteadOfTheMatrix() throws IOException {
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 300; i++) ids.append(i == 0 ? "" : ",").append((i * 37) % 512);
        RunCommandTest.Result r = RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", ids.toString(), "--layer", "0", "--head", "1", "--top-keys", "2", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode pattern = r.json().get("pattern");
        assertTrue(pattern.get("weights") == null);
        assertEquals(300, pattern.get("top_keys").size());
        JsonNode last = pattern.get("top_keys").get(299);
        assertEquals(2, last.size());
        assertTrue(last.get(0).get("weight").asDouble() >= last.get(1).get("weight").asDouble());
        RunCommandTest.Result text = RunCommandTest.owb("attention", RunCommandTest.fixture("llama").toString(),
                "--tokens", ids.toString(), "--layer", "0", "--head", "1");
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains(" 299 "), text.out());
    }

    /** A target given as text on SmolLM2; a text of several tokens uses the first and says so. */
    @Test
    void lensTargetsOnSmolLm2() throws IOException {
        String model = owb.testing.GgufFixtures.smollm2().toString();
        RunCommandTest.Result r = RunCommandTest.owb("lens", model, "--prompt", "The capital of France is",
                "--target", " Paris", "--top", "2", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode doc = r.json();
        assertEquals(7042, doc.get("target").get("id").asInt());
        JsonNode last = doc.get("rows").get(doc.get("rows").size() - 1);
        assertEquals(30, last.get("layer").asInt());
        assertEquals(" Paris", last.get("top").get(0).get("text").asText());
        assertEquals(1, last.get("target_rank").asInt());

        RunCommandTest.Result several = RunCommandTest.owb("lens", model, "--prompt", "The capital of France is",
                "--target", " Parisian capitals", "--json");
        assertEquals(0, several.status(), several.err());
        assertTrue(several.err().contains("using the first"), several.err());
        assertTrue(several.json().get("target").get("note").asText().contains("encodes to"));
    }

    /** owb probe on a suite file of token ids (the tiny llama has no tokenizer): text, --json, --out. */
    @Test
    void probeRunsASuiteFileAndWritesItsReport(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path suite = dir.resolve("tiny-lens.json");
        java.nio.file.Files.writeString(suite, """
                {"description": "tiny lens", "instrument": "logit_lens", "expect": {"final_rank1_at_least": 0},
                 "prompts": [{"tokens": [500, 483, 367], "target": "#42"}]}
                """);
        String model = RunCommandTest.fixture("llama").toString();
        RunCommandTest.Result text = RunCommandTest.owb("probe", suite.toString(), "--model", model);
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().startsWith("suite   tiny-lens (logit_lens): tiny lens"), text.out());
        assertTrue(text.out().contains("final_rank1_at_least"), text.out());
        assertTrue(text.err().contains("warning:"), text.err());

        java.nio.file.Path report = dir.resolve("out/report.json");
        RunCommandTest.Result json = RunCommandTest.owb("probe", suite.toString(), "--model", model, "--json", "--out", report.toString());
        assertEquals(0, json.status(), json.err());
        JsonNode doc = json.json();
        assertEquals("tiny-lens", doc.get("suite").asText());
        assertEquals(Set.of("suite", "instrument", "description", "model", "results", "expectations"), fields(doc));
        assertEquals(3, doc.get("results").get("prompts").get(0).get("ranks").size());
        assertEquals(doc, new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.toFile()));
    }

    @Test
    void probeListsTheSuitesAndRejectsBadInput() {
        String before = System.getProperty("owb.root");
        System.setProperty("owb.root", owb.testing.GgufFixtures.repoRoot().toString());
        try {
            RunCommandTest.Result list = RunCommandTest.owb("probe", "--list");
            assertEquals(0, list.status(), list.err());
            assertTrue(list.out().contains("ioi-patching     patching"), list.out());
            assertEquals(5, list.out().lines().count(), list.out());
            String model = RunCommandTest.fixture("llama").toString();
            RunCommandTest.Result missing = RunCommandTest.owb("probe", "no-such-suite", "--model", model);
            assertEquals(2, missing.status());
            assertTrue(missing.err().startsWith("error: ") && missing.err().contains("no-such-suite.json: no such file"), missing.err());
            RunCommandTest.Result noModel = RunCommandTest.owb("probe", "induction");
            assertEquals(2, noModel.status());
            assertTrue(noModel.err().startsWith("error: --model is required"), noModel.err());
            RunCommandTest.Result text = RunCommandTest.owb("probe", "factual-recall", "--model", model);
            assertEquals(2, text.status());
            assertTrue(text.err().contains("prompts[0]: text needs the model's tokenizer"), text.err());
            assertEquals(1, text.err().lines().filter(l -> l.startsWith("error:")).count(), text.err());
        } finally {
            if (before == null) System.clearProperty("owb.root"); else System.setProperty("owb.root", before);
        }
    }

    @Test
    void benchLensRejectsAnotherBenchmarksOptions() {
        RunCommandTest.Result r = RunCommandTest.owb("bench", "lens", "--size", "3");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: --size is not an option of 'owb bench lens'"), r.err());
    }
}

package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import owb.testing.GgufFixtures;

/** Loading and validating the declarative suites of probes/. */
class ProbeSuiteTest {
    static Path probes() { return GgufFixtures.repoRoot().resolve("probes"); }

    @Test
    void everySuiteInProbesLoads() throws IOException {
        List<ProbeSuite> suites = ProbeSuite.list(probes());
        assertEquals(List.of("factual-recall", "induction", "ioi-patching", "sentiment-probe", "truth-probe"),
                suites.stream().map(ProbeSuite::name).toList());
        ProbeSuite lens = suites.getFirst();
        assertEquals(ProbeSuite.Instrument.LOGIT_LENS, lens.spec().instrument());
        ProbeSuite.LensSpec spec = (ProbeSuite.LensSpec) lens.spec();
        assertTrue(spec.prompts().size() >= 10);
        assertEquals(" Paris", spec.prompts().getFirst().target().text());
        assertEquals("SmolLM2-135M-Instruct Q4_1", lens.measuredOn());
        assertEquals(List.of("final_rank1_at_least", "first_rank1_layer_at_least"), List.copyOf(lens.expect().keySet()));

        ProbeSuite.PatchingSpec ioi = (ProbeSuite.PatchingSpec) suites.get(2).spec();
        assertEquals(List.of(ActivationPatching.Kind.values()), ioi.kinds());
        ProbeSuite.ProbeSpec truth = (ProbeSuite.ProbeSpec) suites.get(4).spec();
        assertTrue(truth.examples().size() >= 40);
        assertEquals(truth.examples().get(0).group(), truth.examples().get(1).group());
        assertEquals(LinearClassifier.Method.LOGISTIC, truth.options().method());
        assertEquals("logit_lens", lens.summaryJson().get("instrument"));
    }

    @Test
    void aNameResolvesUnderProbesAndAPathStaysAPath() {
        assertEquals(probes().resolve("induction.json"), ProbeSuite.resolve("induction", probes()));
        assertEquals(Path.of("x/y.json"), ProbeSuite.resolve("x/y.json", probes()));
        assertThrows(IllegalArgumentException.class, () -> ProbeSuite.resolve("../etc/passwd", probes()));
    }

    /** Each broken suite gets one line naming the file and the field. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"instrument\": \"logit_lens\", \"prompts\": [{\"prompt\": \"a\", \"target\": \"b\"}]}|description: missing",
            "{\"description\": \"d\", \"instrument\": \"lens\"}|instrument: unknown instrument 'lens'",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"prompt\": \"a\", \"target\": \"b\"}, {\"prompt\": \"a\"}]}|prompts[1].target: missing",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"prompt\": 3, \"target\": \"b\"}]}|prompts[0].prompt: expected a non-empty string",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1, -2], \"target\": \"#1\"}]}|prompts[0].tokens[1]: expected a token id",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"prompt\": \"a\", \"target\": \"#1\"}]}|prompts[0]: needs either",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"target\": \"#x\"}]}|prompts[0].target: '#x' is not #ID",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": []}|prompts: is empty",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"target\": \"#1\"}], \"top\": 0}|top: expected an integer in [1, 100]",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"target\": \"#1\"}], \"promts\": 1}|promts: unknown field",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"target\": \"#1\"}], \"expect\": {\"top_induction_at_least\": 1}}|expect.top_induction_at_least: unknown check for logit_lens",
            "{\"description\": \"d\", \"instrument\": \"logit_lens\", \"prompts\": [{\"tokens\": [1], \"target\": \"#1\"}], \"expect\": {\"final_rank1_at_least\": \"x\"}}|expect.final_rank1_at_least: expected a number",
            "{\"description\": \"d\", \"instrument\": \"induction\", \"seed\": 1}|length: missing",
            "{\"description\": \"d\", \"instrument\": \"induction\", \"seed\": 1.5, \"length\": 3}|seed: expected an integer",
            "{\"description\": \"d\", \"instrument\": \"patching\", \"pairs\": [{\"clean\": \"a\", \"corrupted\": \"b\", \"answer\": \"c\"}]}|pairs[0].wrong: missing",
            "{\"description\": \"d\", \"instrument\": \"patching\", \"kinds\": [\"resid\"], \"pairs\": [{\"clean\": \"a\", \"corrupted\": \"b\", \"answer\": \"c\", \"wrong\": \"d\"}]}|kinds[0]: unknown patching kind 'resid'",
            "{\"description\": \"d\", \"instrument\": \"linear_probe\", \"examples\": [{\"prompt\": \"a\", \"label\": \"yes\"}]}|examples[0].label: expected true/false or 1/0",
            "{\"description\": \"d\", \"instrument\": \"linear_probe\", \"examples\": [{\"prompt\": \"a\", \"label\": true}, {\"prompt\": \"b\", \"label\": false}]}|examples: needs at least two examples of each label",
            "{\"description\": \"d\", \"instrument\": \"linear_probe\", \"method\": \"svm\", \"examples\": [{\"prompt\": \"a\", \"label\": true}]}|method: unknown probe method 'svm'",
            "{\"description\": \"d\", \"instrument\": \"linear_probe\", \"test_fraction\": 1, \"examples\": [{\"prompt\": \"a\", \"label\": true}]}|test_fraction: must be in [0, 1)",
            "{\"description\": \"d\", \"instrument\": \"linear_probe\", \"hook\": \"blocks.*.attn.hook_pattern\", \"examples\": [{\"prompt\": \"a\", \"label\": true}]}|hook: probe hooks need a position axis first",
            "[1, 2]|expected a JSON object",
            "{\"description\": |not JSON"})
    void brokenSuitesGetOneLineNamingTheField(String json, String expected, @TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProbeSuite.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void groupsAreAllOrNothing(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("g.json");
        Files.writeString(file, """
                {"description": "d", "instrument": "linear_probe", "examples": [
                  {"tokens": [1], "label": 1, "group": "a"}, {"tokens": [2], "label": 0, "group": "a"},
                  {"tokens": [3], "label": 1}, {"tokens": [4], "label": 0, "group": 7}]}
                """);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProbeSuite.load(file));
        assertTrue(e.getMessage().endsWith("examples: either every example has a group or none has"), e.getMessage());
    }
}

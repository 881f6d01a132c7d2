package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.LanguageModel;
import owb.model.ModelLoader;

/** Suites given as token ids, on the tiny fixture models (which have no tokenizer). */
class ProbeRunnerTest {
    @TempDir
    Path dir;

    interface SuiteTest {
        void run(ProbeRunner runner, LanguageModel model) throws IOException;
    }

    static void withModel(String name, SuiteTest test) throws IOException {
        try (Checkpoint c = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(c);
            List<String> progress = new ArrayList<>();
            test.run(new ProbeRunner(model, null, progress::add), model);
        }
    }

    ProbeSuite suite(String name, String json) throws IOException {
        Path file = dir.resolve(name + ".json");
        Files.writeString(file, json);
        return ProbeSuite.load(file);
    }

    @Test
    void lensSuiteReportsRanksPerLayerAndChecksExpectations() throws IOException {
        withModel("llama", (runner, model) -> {
            ProbeSuite suite = suite("lens", """
                    {"description": "tiny lens", "instrument": "logit_lens",
                     "expect": {"final_rank1_at_least": 0, "first_rank1_layer_at_least": 99},
                     "prompts": [{"tokens": [500, 483, 367], "target": "#42"}, {"tokens": [1, 2, 3, 4], "target": "#7"}]}
                    """);
            ProbeReport report = runner.run(suite, "tiny llama");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> prompts = (List<Map<String, Object>>) report.results().get("prompts");
            assertEquals(2, prompts.size());
            List<?> ranks = (List<?>) prompts.getFirst().get("ranks");
            assertEquals(model.config().nLayers() + 1, ranks.size());
            assertEquals(ranks.getLast(), prompts.getFirst().get("final_rank"));
            assertEquals("<42>", ((Map<?, ?>) prompts.getFirst().get("target")).get("text"));
            assertEquals(List.of("id", "text", "prob"), List.copyOf(((Map<?, ?>) prompts.getFirst().get("final_top")).keySet()));
            assertEquals(2, report.expectations().size());
            assertTrue(report.expectations().getFirst().met());
            assertTrue(report.text().contains("tiny lens"), report.text());
            assertTrue(report.text().contains("expectations:"), report.text());
            assertEquals("lens", report.toJson().get("suite"));
            assertEquals("logit_lens", report.toJson().get("instrument"));
        });
    }

    @Test
    void inductionSuiteScoresEveryHead() throws IOException {
        withModel("gpt2", (runner, model) -> {
            ProbeReport report = runner.run(suite("induction", """
                    {"description": "d", "instrument": "induction", "seed": 3, "length": 10, "top": 3,
                     "expect": {"top_induction_at_least": 0}}
                    """), "gpt2");
            assertEquals(3, ((List<?>) report.results().get("top_heads")).size());
            assertEquals(model.config().nLayers() * model.config().nHeads(), ((List<?>) report.results().get("heads")).size());
            assertEquals(20, ((List<?>) report.results().get("tokens")).size());
            assertTrue(report.allMet());
        });
    }

    @Test
    void patchingSuiteGivesGridsPerPairAndMeanHeads() throws IOException {
        withModel("llama", (runner, model) -> {
            ProbeReport report = runner.run(suite("patching", """
                    {"description": "d", "instrument": "patching", "kinds": ["resid_pre", "heads"],
                     "expect": {"resid_pre_max_at_least": 0.99},
                     "pairs": [{"clean": [500, 483, 367, 52, 402, 17], "corrupted": [500, 483, 11, 52, 402, 17], "answer": "#42", "wrong": "#7"},
                               {"clean": [5, 6, 7, 8], "corrupted": [5, 9, 7, 8], "answer": "#3", "wrong": "#4"}]}
                    """), "llama");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> pairs = (List<Map<String, Object>>) report.results().get("pairs");
            assertEquals(2, pairs.size());
            Map<?, ?> grids = (Map<?, ?>) pairs.getFirst().get("grids");
            assertEquals(List.of("resid_pre", "heads"), List.copyOf(grids.keySet().stream().map(Object::toString).toList()));
            assertEquals(6, ((double[][]) grids.get("resid_pre"))[0].length);
            Map<?, ?> summary = (Map<?, ?>) report.results().get("summary");
            assertEquals(2, ((double[][]) summary.get("mean_heads")).length);
            for (Object head : (List<?>) summary.get("top_heads")) {          // the same key order in every run
                assertEquals(List.of("layer", "head", "value"), List.copyOf(((Map<?, ?>) head).keySet()));
            }
            // the changed position's residual entering block 0 restores everything in both pairs
            assertTrue(report.allMet(), report.text());
            assertEquals(1.0, report.expectations().getFirst().measured(), 1e-4);
        });
    }

    @Test
    void patchingSuiteWithIdenticalPromptsNamesThePair() throws IOException {
        withModel("llama", (runner, model) -> {
            ProbeSuite suite = suite("same", """
                    {"description": "d", "instrument": "patching",
                     "pairs": [{"clean": [5, 6, 7], "corrupted": [5, 6, 7], "answer": "#3", "wrong": "#4"}]}
                    """);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runner.run(suite, "llama"));
            assertEquals(suite.file() + ": pairs[0]: clean and corrupted prompts are the same tokens: nothing to patch", e.getMessage());
        });
    }

    @Test
    void linearProbeSuiteFitsEveryLayer() throws IOException {
        withModel("llama", (runner, model) -> {
            StringBuilder examples = new StringBuilder();
            for (int i = 0; i < 24; i++) {
                if (i > 0) examples.append(", ");
                int last = i % 2 == 0 ? 300 : 301;
                examples.append("{\"tokens\": [").append(7 * i % 500).append(", ").append(13 * i % 500).append(", ").append(last)
                        .append("], \"label\": ").append(i % 2 == 0).append(", \"group\": ").append(i / 2).append('}');
            }
            ProbeReport report = runner.run(suite("probe", """
                    {"description": "d", "instrument": "linear_probe", "method": "ridge", "seed": 2,
                     "expect": {"best_test_accuracy_at_least": 0.8}, "examples": [%s]}
                    """.formatted(examples)), "llama");
            assertEquals(24, report.results().get("examples"));
            assertEquals(2, ((List<?>) report.results().get("sites")).size());
            assertEquals(6, report.results().get("test_examples"));
            assertTrue(report.allMet(), report.text());      // measured: 5 of the 6 held-out prompts after block 0
            assertTrue(report.text().contains("whole groups"), report.text());
        });
    }

    @Test
    void textPromptsNeedATokenizer() throws IOException {
        withModel("llama", (runner, model) -> {
            ProbeSuite suite = suite("text", """
                    {"description": "d", "instrument": "logit_lens", "prompts": [{"prompt": "hello", "target": "#1"}]}
                    """);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runner.run(suite, "llama"));
            assertTrue(e.getMessage().contains("prompts[0]: text needs the model's tokenizer"), e.getMessage());
            ProbeSuite outside = suite("outside", """
                    {"description": "d", "instrument": "logit_lens", "prompts": [{"tokens": [1, 600], "target": "#1"}]}
                    """);
            e = assertThrows(IllegalArgumentException.class, () -> runner.run(outside, "llama"));
            assertTrue(e.getMessage().contains("token id 600 is outside the vocabulary"), e.getMessage());
        });
    }
}

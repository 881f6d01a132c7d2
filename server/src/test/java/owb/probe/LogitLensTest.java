package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.FinalNorm;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelLoader;

class LogitLensTest {

    /** Layer n of the lens is the model's output distribution, as Hugging Face computed it. */
    @ParameterizedTest
    @CsvSource({"gpt2,model.safetensors,expected.safetensors", "llama,model.safetensors,expected.safetensors",
            "llama-gqa,model.safetensors,expected.safetensors", "llama-tied,model.safetensors,expected.safetensors",
            "qwen2,model.safetensors,expected.safetensors", "llama,model-q4_1.gguf,expected_q4_1.safetensors",
            "gpt2,model-q8_0.gguf,expected_q8_0.safetensors"})
    void finalLayerIsTheOutputSoftmax(String name, String weights, String expectedFile) throws IOException {
        Path dir = ProbeFixtures.model(name);
        Map<String, float[]> expected = ProbeFixtures.expected(dir.resolve(expectedFile));
        int[] tokens = ProbeFixtures.ids(expected.get("p1.tokens"));
        float[] logits = expected.get("p1.logits");
        try (Checkpoint checkpoint = Checkpoints.open(dir.resolve(weights))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int vocab = model.config().dVocab();
            int n = model.config().nLayers();
            int last = tokens.length - 1;
            double[] lastLogp = Distributions.logSoftmax(logits, last * vocab, vocab);
            int argmax = 0;
            for (int i = 1; i < vocab; i++) if (lastLogp[i] > lastLogp[argmax]) argmax = i;

            LogitLens.Result lens = LogitLens.run(model, tokens, 5, OptionalInt.of(argmax), id -> "<" + id + ">");
            assertEquals((n + 1) * tokens.length, lens.rows().size());
            for (int layer = 0; layer <= n; layer++) {
                for (int p = 0; p < tokens.length; p++) {
                    LogitLens.Cell cell = lens.cell(layer, p);
                    assertEquals(layer, cell.layer());
                    assertEquals(p, cell.position());
                    assertTrue(Double.isFinite(cell.entropy()) && cell.entropy() >= 0, cell.toString());
                    assertTrue(Double.isFinite(cell.klToFinal()) && cell.klToFinal() >= 0, cell.toString());
                    assertEquals(5, cell.top().size());
                }
            }
            for (int p = 0; p < tokens.length; p++) {
                double[] logp = Distributions.logSoftmax(logits, p * vocab, vocab);
                LogitLens.Cell cell = lens.cell(n, p);
                assertEquals(0.0, cell.klToFinal());
                assertEquals(Distributions.entropy(logp), cell.entropy(), 1e-4);
                for (TokenProb t : cell.top()) assertEquals(Math.exp(logp[t.id()]), t.prob(), 1e-5, t.toString());
                assertEquals(Distributions.top(logp, 1, id -> "").getFirst().id(), cell.top().getFirst().id());
            }
            assertEquals(1, lens.cell(n, last).targetRank());
            assertEquals(Math.exp(lastLogp[argmax]), lens.cell(n, last).targetProb(), 1e-5);
        }
    }

    /**
     * An intermediate layer by hand from Hugging Face's hidden state (the residual entering block
     * 1): the final norm with its weight (and bias), then W_U — not a bare unembedding.
     */
    @ParameterizedTest
    @CsvSource({"gpt2", "llama", "llama-tied"})
    void intermediateLayerUsesTheRealFinalNorm(String name) throws IOException {
        Path dir = ProbeFixtures.model(name);
        Map<String, float[]> expected = ProbeFixtures.expected(dir.resolve("expected.safetensors"));
        int[] tokens = ProbeFixtures.ids(expected.get("p1.tokens"));
        try (Checkpoint checkpoint = Checkpoints.open(dir.resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int d = model.config().dModel();
            int vocab = model.config().dVocab();
            float[] hidden = expected.get("p1.hidden_states");        // [layers + 1, pos, d]: index 1 enters block 1
            FinalNorm norm = model.finalNorm();
            int p = tokens.length - 1;
            double[] x = new double[d];
            double mean = 0;
            for (int j = 0; j < d; j++) x[j] = hidden[(tokens.length + p) * d + j];
            if (norm.centered()) {
                for (double v : x) mean += v / d;
            }
            double squares = 0;
            for (int j = 0; j < d; j++) squares += (x[j] - mean) * (x[j] - mean);
            double scale = Math.sqrt(squares / d + norm.eps());
            float[] logits = new float[vocab];
            for (int t = 0; t < vocab; t++) {
                float[] row = model.unembeddingRow(t);
                double logit = 0;
                for (int j = 0; j < d; j++) {
                    double y = (x[j] - mean) / scale * norm.weight()[j] + (norm.bias() == null ? 0 : norm.bias()[j]);
                    logit += y * row[j];
                }
                logits[t] = (float) logit;
            }
            double[] logp = Distributions.logSoftmax(logits, 0, vocab);
            LogitLens.Result lens = LogitLens.run(model, tokens, 3, OptionalInt.empty(), id -> "");
            LogitLens.Cell cell = lens.cell(1, p);
            assertEquals(Distributions.entropy(logp), cell.entropy(), 1e-4);
            for (TokenProb t : cell.top()) assertEquals(Math.exp(logp[t.id()]), t.prob(), 1e-5);
            assertEquals(null, cell.targetRank());
            assertTrue(lens.cell(1, p).klToFinal() > 0);
        }
    }

    @ParameterizedTest
    @CsvSource({"llama"})
    void lastResidualThroughTheLensGivesForwardLogits(String name) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int[] tokens = {1, 5, 9, 200, 7};
            Hooks hooks = new Hooks().capture("blocks.1.hook_resid_post");
            float[] logits = model.forward(tokens, hooks);
            float[] lens = model.unembedResidual(hooks.cache().get("blocks.1.hook_resid_post").data(), tokens.length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(logits, lens);
        }
    }

    /** A short prompt's layers share an unembedding of about GROUP_ROWS rows, within the byte bound. */
    @org.junit.jupiter.api.Test
    void shortPromptsGroupLayersIntoOneProduct() {
        assertEquals(22, LogitLens.layersPerProduct(6, 49152, 30));
        assertEquals(8, LogitLens.layersPerProduct(6, 49152, 8));
        assertEquals(4, LogitLens.layersPerProduct(40, 49152, 30));
        assertEquals(1, LogitLens.layersPerProduct(128, 49152, 30));
        assertEquals(1, LogitLens.layersPerProduct(2048, 49152, 30));
        assertEquals(2, LogitLens.layersPerProduct(6, 1 << 20, 30));   // 24 MiB of logits a layer, 64 MiB at most
    }

    /** The last-position lens is the full lens's last column. */
    @ParameterizedTest
    @CsvSource({"gpt2", "llama-gqa"})
    void lastPositionIsTheLastColumn(String name) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model(name).resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            int[] tokens = {1, 5, 9, 200, 7, 300};
            LogitLens.Result full = LogitLens.run(model, tokens, 4, OptionalInt.of(42), id -> "<" + id + ">");
            java.util.List<LogitLens.Cell> last = LogitLens.lastPosition(model, tokens, 4, OptionalInt.of(42), id -> "<" + id + ">");
            assertEquals(model.config().nLayers() + 1, last.size());
            for (LogitLens.Cell c : last) {
                LogitLens.Cell f = full.cell(c.layer(), tokens.length - 1);
                assertEquals(f.position(), c.position());
                assertEquals(f.targetRank(), c.targetRank());
                assertEquals(f.targetProb(), c.targetProb(), 1e-6);
                assertEquals(f.entropy(), c.entropy(), 1e-5);
                assertEquals(f.klToFinal(), c.klToFinal(), 1e-5);
                assertEquals(f.top().stream().map(TokenProb::id).toList(), c.top().stream().map(TokenProb::id).toList());
                assertEquals(f.top().getFirst().text(), c.top().getFirst().text());
            }
        }
    }
}

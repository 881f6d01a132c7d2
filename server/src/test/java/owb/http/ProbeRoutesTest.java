package owb.http;

import static owb.http.ApiClient.JSON;
import static owb.http.ApiClient.HTTP;
import static owb.http.ApiClient.assertError;
import static owb.http.ApiClient.awaitJob;
import static owb.http.ApiClient.get;
import static owb.http.ApiClient.jobId;
import static owb.http.ApiClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.ModelLoader;
import owb.probe.ActivationPatching;
import owb.testing.GgufFixtures;
import owb.tokenizer.Tokenizer;

/**
 * Probe suites and activation patching over HTTP: a real server on loopback with the repository's
 * probes/ folder and the tiny llama fixture (with a byte-level tokenizer); jobs followed to the end.
 */
class ProbeRoutesTest {

    @TempDir
    static Path tmp;
    static OwbServer server;
    static Path llamaDir;
    static String llama;

    @BeforeAll
    static void start() throws IOException {
        Path root = tmp.resolve("models");
        llamaDir = RunFixtures.copy("llama", root.resolve("llama"), true);
        server = OwbServer.start(ServerOptions.local(List.of(root))
                .withProbesFolder(GgufFixtures.repoRoot().resolve("probes")));
        llama = server.models().stream().filter(m -> m.name().equals("llama")).findFirst().orElseThrow().id();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void listsTheSuitesOfTheProbesFolder() throws Exception {
        HttpResponse<String> r = get(server, "/api/probes");
        assertEquals(200, r.statusCode());
        List<String> names = new ArrayList<>();
        for (JsonNode s : JSON.readTree(r.body())) {
            names.add(s.get("name").asText());
            assertTrue(s.hasNonNull("instrument") && s.hasNonNull("description"), s.toString());
        }
        assertTrue(names.containsAll(List.of("factual-recall", "induction", "ioi-patching", "truth-probe")), names.toString());
    }

    @Test
    void runsASuiteAsAJob() throws Exception {
        JsonNode status = awaitJob(server, jobId(post(server, "/api/probes/induction/run", "{\"model\":\"" + llama + "\"}")));
        assertEquals("done", status.get("state").asText(), status.toString());
        assertEquals("probe suite", status.get("kind").asText());
        JsonNode report = status.get("result");
        assertEquals("induction", report.get("suite").asText());
        assertEquals("llama", report.get("model").asText());
        assertTrue(report.get("results").isObject(), report.toString());
    }

    @Test
    void patchingJobEqualsThePatchingProbe() throws Exception {
        String body = "{\"model\":\"" + llama + "\",\"clean\":\"Hi Bob, see Bob\",\"corrupted\":\"Hi Amy, see Bob\","
                + "\"answer\":\"!\",\"wrong\":\"?\",\"kinds\":[\"resid_pre\",\"heads\"]}";
        JsonNode status = awaitJob(server, jobId(post(server, "/api/patching", body)));
        assertEquals("done", status.get("state").asText(), status.toString());
        JsonNode result = status.get("result");
        Tokenizer tokenizer = Tokenizer.fromTokenizerJson(llamaDir.resolve("tokenizer.json"));
        int[] clean = tokenizer.encode("Hi Bob, see Bob", true);
        int[] corrupted = tokenizer.encode("Hi Amy, see Bob", true);
        assertEquals(clean.length, result.get("clean").size());
        assertEquals("!", result.get("answer_text").asText());
        try (Checkpoint checkpoint = Checkpoints.open(llamaDir)) {
            ActivationPatching.Result expected = ActivationPatching.run(ModelLoader.load(checkpoint),
                    new ActivationPatching.Pair(clean, corrupted, tokenizer.tokenId("!").orElseThrow(),
                            tokenizer.tokenId("?").orElseThrow()),
                    java.util.EnumSet.of(ActivationPatching.Kind.RESID_PRE, ActivationPatching.Kind.HEADS),
                    ActivationPatching.Progress.NONE);
            assertEquals(expected.cleanDiff(), result.get("clean_logit_diff").asDouble(), 1e-4); // float32 passes, vector kernels cold or warm
            double[][] grid = expected.grid(ActivationPatching.Kind.RESID_PRE);
            JsonNode theirs = result.get("grids").get("resid_pre");
            for (int l = 0; l < grid.length; l++) {
                for (int p = 0; p < grid[l].length; p++) {
                    assertEquals(grid[l][p], theirs.get(l).get(p).asDouble(), 1e-4, "resid_pre [" + l + "][" + p + "]");
                }
            }
            assertTrue(result.get("grids").has("heads") && !result.get("grids").has("mlp_out"));
        }
    }

    @Test
    void badRequestsAreOneLineErrors() throws Exception {
        assertError(post(server, "/api/probes/no-such-suite/run", "{\"model\":\"" + llama + "\"}"), 404, "no probe suite");
        assertError(post(server, "/api/probes/..%2Fpom/run", "{\"model\":\"" + llama + "\"}"), 404, "no probe suite");
        assertError(post(server, "/api/probes/induction/run", "{\"model\":\"nope\"}"), 404, "nope");
        assertError(post(server, "/api/probes/induction/run", "{\"modle\":\"x\"}"), 400, "unknown field");
        assertError(post(server, "/api/patching", "not json"), 400, "not JSON");
        assertError(post(server, "/api/patching", "{\"model\":\"" + llama + "\",\"clean\":\"a\",\"corrupted\":\"b\",\"answer\":\"!\"}"),
                400, "'wrong' is required");
        assertError(post(server, "/api/patching", "{\"model\":\"" + llama + "\",\"clean\":\"a\",\"corrupted\":\"b\",\"answer\":\"!\","
                + "\"wrong\":\"?\",\"kinds\":[\"everything\"]}"), 400, "unknown patching kind");
        JsonNode failed = awaitJob(server, jobId(post(server, "/api/patching", "{\"model\":\"" + llama + "\",\"clean\":\"Hi Bob\",\"corrupted\":\"Hi Alice\","
                + "\"answer\":\"!\",\"wrong\":\"?\"}")));
        assertEquals("failed", failed.get("state").asText());
        assertTrue(failed.get("error").asText().contains("must be as long"), failed.toString());
    }

}

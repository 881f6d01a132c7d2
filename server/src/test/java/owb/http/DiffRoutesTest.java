package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.DiffFixtures;
import owb.diff.DiffJson;
import owb.diff.FineTuneDiff;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static owb.http.ApiClient.JSON;
import static owb.http.ApiClient.HTTP;
import static owb.http.ApiClient.assertError;
import static owb.http.ApiClient.awaitJob;
import static owb.http.ApiClient.get;
import static owb.http.ApiClient.getJson;
import static owb.http.ApiClient.jobId;
import static owb.http.ApiClient.post;
import static owb.http.ApiClient.uri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/diffs and the spectrum routes over real sockets, on the generated diff fixture pair. */
class DiffRoutesTest {

    private static final String Q1 = "model.layers.1.self_attn.q_proj.weight";

    static Path root;
    static OwbServer server;

    @BeforeAll
    static void startServer() throws IOException {
        root = DiffFixtures.folder();   // base/, derivative/, derivative.gguf, base.q8_0.gguf, derivative.q8_0.gguf
        server = OwbServer.start(ServerOptions.local(List.of(root)));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    @Test
    void aDiffJobEndsWithTheDocumentOwbDiffJsonPrints() throws Exception {
        String jobId = startDiff("{\"base\": \"%s\", \"derivative\": \"%s\"}".formatted(id("base"), id("derivative")), 202);
        JsonNode job = awaitJob(server, jobId);
        assertEquals("done", job.get("state").asText(), job.toString());
        assertEquals("diff", job.get("kind").asText());
        assertEquals(id("base"), job.get("base").asText());
        assertEquals(id("derivative"), job.get("derivative").asText());
        assertEquals(job.get("bytes_total").asLong(), job.get("bytes_done").asLong());
        assertTrue(job.get("bytes_total").asLong() > 5_000_000, "both files' tensors: " + job);

        JsonNode result = job.get("result");
        assertEquals(id("base"), result.get("base").asText());
        assertFalse(result.has("behaviour"));
        JsonNode expected;
        try (Checkpoint b = Checkpoints.open(root.resolve("base")); Checkpoint d = Checkpoints.open(root.resolve("derivative"))) {
            expected = JSON.readTree(DiffJson.toTree(id("base"), id("derivative"), FineTuneDiff.run(b, d), List.of()).toString());
        }
        assertEquals(expected.get("tensors").size(), result.get("tensors").size());
        for (int i = 0; i < expected.get("tensors").size(); i++) {
            JsonNode e = expected.get("tensors").get(i), r = result.get("tensors").get(i);
            assertEquals(e.get("name"), r.get("name"));
            assertEquals(e.get("status"), r.get("status"));
            assertEquals(e.get("rank"), r.get("rank"));
            assertEquals(e.get("verdict"), r.get("verdict"));
            assertEquals(e.path("rel_change").asDouble(), r.path("rel_change").asDouble(), 1e-12, e.get("name").asText());
        }
        assertEquals(expected.get("aggregates"), result.get("aggregates"));
        assertEquals(4, byName(result).get(Q1).get("rank").asInt());
    }

    @Test
    void withAPromptTheResultHasTheBehaviour() throws Exception {
        String jobId = startDiff("{\"base\": \"%s\", \"derivative\": \"%s\", \"prompt\": \"Hello\"}"
                .formatted(id("base"), id("derivative.gguf")), 202);
        JsonNode job = awaitJob(server, jobId);
        assertEquals("done", job.get("state").asText(), job.toString());
        JsonNode b = job.get("result").get("behaviour");
        assertEquals("Hello", b.get("prompt").asText());
        assertEquals(5, b.get("tokens").size());
        assertEquals("H", b.get("tokens").get(0).get("text").asText());
        assertEquals(5 * 5, b.get("lens_kl").size());
        assertEquals(16, b.get("attention_js").size());
        assertTrue(b.get("moved_tokens").size() > 0);
        assertTrue(b.get("moved_tokens").get(0).has("p_derivative"));
    }

    @Test
    void aPromptTheBaseCannotTokenizeFailsTheJobWithTheReason() throws Exception {
        JsonNode job = awaitJob(server, startDiff("{\"base\": \"%s\", \"derivative\": \"%s\", \"prompt\": \"x\"}"
                .formatted(id("derivative.gguf"), id("base")), 202));
        assertEquals("failed", job.get("state").asText());
        assertTrue(job.get("error").asText().startsWith("the base has no tokenizer"), job.toString());
        assertFalse(job.get("error").asText().contains(root.toString()), "no absolute paths: " + job);
    }

    @Test
    void progressEventsThenDone() throws Exception {
        String jobId = startDiff("{\"base\": \"%s\", \"derivative\": \"%s\"}".formatted(id("base.q8_0.gguf"),
                id("derivative.q8_0.gguf")), 202);
        HttpRequest request = HttpRequest.newBuilder(uri(server, "/api/jobs/" + jobId + "/events"))
                .header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> r = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        List<String> events = CompletableFuture
                .supplyAsync(() -> r.body().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim()).toList())
                .get(60, TimeUnit.SECONDS);
        assertEquals("done", events.getLast(), events.toString());
        assertTrue(events.subList(0, events.size() - 1).stream().allMatch("progress"::equals), events.toString());
    }

    @Test
    void theSpectrumOfAChangedTensorAsJsonAndAsAChart() throws Exception {
        String jobId = startDiff("{\"base\": \"%s\", \"derivative\": \"%s\"}".formatted(id("base"), id("derivative")), 202);
        assertEquals("done", awaitJob(server, jobId).get("state").asText());
        JsonNode s = getJson(server, "/api/diffs/" + jobId + "/tensors/" + Q1 + "/spectrum", 200);
        assertEquals(Q1, s.get("name").asText());
        assertEquals(4, s.get("rank").asInt());
        assertTrue(s.get("singular_values").size() >= 4);
        assertEquals(s.get("singular_values").size(), s.get("energy").size());
        assertEquals(1.0, s.get("energy").get(3).asDouble(), 1e-6);
        assertTrue(s.get("verdict").asText().startsWith("rank-4 update"));

        HttpResponse<byte[]> png = HTTP.send(HttpRequest.newBuilder(uri(server, "/api/diffs/" + jobId + "/tensors/" + Q1
                + "/spectrum.png?width=400&height=300")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, png.statusCode());
        assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
        assertEquals(400, ImageIO.read(new ByteArrayInputStream(png.body())).getWidth());

        String unchanged = "model.layers.0.self_attn.q_proj.weight";
        JsonNode none = getJson(server, "/api/diffs/" + jobId + "/tensors/" + unchanged + "/spectrum", 200);
        assertEquals(0, none.get("singular_values").size());
        assertEquals("unchanged", none.get("status").asText());
        assertError(get(server, "/api/diffs/" + jobId + "/tensors/" + unchanged + "/spectrum.png"), 404);
        assertError(get(server, "/api/diffs/" + jobId + "/tensors/no.such.tensor/spectrum"), 404);
        assertError(get(server, "/api/diffs/" + jobId + "/tensors/" + Q1 + "/spectrum.png?width=9"), 400);
    }

    @Test
    void badRequestsAreRefusedWithJsonErrors() throws Exception {
        String base = id("base");
        assertError(post(server, "/api/diffs", "not json"), 400);
        assertError(post(server, "/api/diffs", "[1, 2]"), 400);
        assertError(post(server, "/api/diffs", "{\"base\": \"%s\"}".formatted(base)), 400);
        assertError(post(server, "/api/diffs", "{\"base\": \"%s\", \"derivative\": 7}".formatted(base)), 400);
        assertError(post(server, "/api/diffs", "{\"base\": \"%s\", \"derivative\": \"%s\", \"prompt\": \"\"}".formatted(base, base)), 400);
        assertError(post(server, "/api/diffs", "{\"base\": \"%s\", \"derivative\": \"%s\", \"tokens\": [1]}".formatted(base, base)), 400);
        assertError(post(server, "/api/diffs", "{\"base\": \"%s\", \"derivative\": \"no-such-model-00000000\"}".formatted(base)), 404);
        assertError(post(server, "/api/diffs", "{\"base\": \"../../etc\", \"derivative\": \"%s\"}".formatted(base)), 400);
        assertError(get(server, "/api/diffs/00000000-0000-0000-0000-000000000000/tensors/" + Q1 + "/spectrum"), 404);
        HttpResponse<String> audit = post(server, "/api/models/" + base + "/audit", "");
        String auditJob = JSON.readTree(audit.body()).get("job_id").asText();
        JsonNode wrongKind = assertError(get(server, "/api/diffs/" + auditJob + "/tensors/" + Q1 + "/spectrum"), 404);
        assertTrue(wrongKind.get("error").asText().contains("audit"), wrongKind.toString());
        assertEquals("audit", awaitJob(server, auditJob).get("kind").asText());
    }

    // --- helpers ---

    private static Map<String, JsonNode> byName(JsonNode result) {
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode t : result.get("tensors")) out.put(t.get("name").asText(), t);
        return out;
    }

    private static String id(String relativePath) throws Exception {
        for (JsonNode m : getJson(server, "/api/models", 200)) {
            if (m.get("path").asText().equals(relativePath)) return m.get("id").asText();
        }
        throw new AssertionError("no model at " + relativePath);
    }

    private static String startDiff(String body, int status) throws Exception {
        HttpResponse<String> r = post(server, "/api/diffs", body);
        assertEquals(status, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("job_id").asText();
    }

}

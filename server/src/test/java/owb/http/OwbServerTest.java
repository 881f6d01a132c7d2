package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static owb.http.ApiClient.HTTP;
import static owb.http.ApiClient.assertError;
import static owb.http.ApiClient.awaitJob;
import static owb.http.ApiClient.get;
import static owb.http.ApiClient.getJson;
import static owb.http.ApiClient.jobId;
import static owb.http.ApiClient.post;
import static owb.http.ApiClient.uri;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API end to end: a real server on an ephemeral port, real HTTP requests, tiny generated models. */
class OwbServerTest {

    private static final String WEIGHT = "model.layers.0.mlp.weight";

    @TempDir
    static Path tmp;
    static Path root;
    static OwbServer server;

    @BeforeAll
    static void startServer() throws IOException {
        root = Files.createDirectories(tmp.resolve("models"));
        new TinySafetensors()
                .add(WEIGHT, new long[]{2, 3}, 1, 2, 3, 4, 5, 6)
                .add("model.embed_tokens.weight", new long[]{4, 2}, 0, 0.5f, -0.5f, 1, -1, 2, -2, 0.25f)
                .add("blocks/0/w", new long[]{2}, 0, 0.5f)
                .write(root.resolve("tiny/model.safetensors"));
        new TinySafetensors().add("w", new long[]{3}, 1, 1, 1).write(root.resolve("other/weights.safetensors"));
        new TinySafetensors().add("w", new long[]{64}, new float[64])
                .write(root.resolve("broken/model.safetensors"), 100);
        Path outside = new TinySafetensors().add("secret", new long[]{1}, 42)
                .write(tmp.resolve("outside/secret/model.safetensors")).getParent();
        Files.createSymbolicLink(root.resolve("escape"), outside);
        Files.createDirectories(root.resolve("sneaky"));
        Files.createSymbolicLink(root.resolve("sneaky/model.safetensors"), outside.resolve("model.safetensors"));
        // a Hugging Face cache links snapshot files to blobs in the same folder: inside the root, fine
        new TinySafetensors().add("linked.weight", new long[]{2}, 3, 4).write(root.resolve("blobs/9f86d081"));
        Files.createDirectories(root.resolve("linked"));
        Files.createSymbolicLink(root.resolve("linked/model.safetensors"), Path.of("../blobs/9f86d081"));
        server = OwbServer.start(ServerOptions.local(List.of(root)));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    @Test
    void bindsLoopbackByDefault() {
        assertEquals("127.0.0.1", server.host());
        assertTrue(server.port() > 0);
    }

    @Test
    void healthSaysOkAndVersion() throws Exception {
        JsonNode health = getJson(server, "/api/health", 200);
        assertEquals("ok", health.get("status").asText());
        assertEquals(OwbServer.VERSION, health.get("version").asText());
    }

    @Test
    void listsModelsUnderTheRootButNotASymlinkOutOfIt() throws Exception {
        JsonNode models = getJson(server, "/api/models", 200);
        List<String> paths = new ArrayList<>();
        for (JsonNode m : models) {
            paths.add(m.get("path").asText());
            assertTrue(m.get("id").asText().matches("[a-z0-9-]+"), "url-safe id: " + m.get("id"));
            assertEquals("safetensors", m.get("format").asText());
            assertTrue(m.get("size_bytes").asLong() > 0);
        }
        assertEquals(List.of("broken", "linked", "other", "tiny"), paths.stream().sorted().toList());
        assertFalse(models.toString().contains("secret"));
    }

    @Test
    void followsSymlinksThatStayInsideTheRoot() throws Exception {
        JsonNode t = getJson(server, "/api/models/" + id("linked") + "/tensors/linked.weight", 200);
        assertEquals(3.5, t.get("stats").get("mean").asDouble(), 1e-9);
    }

    @Test
    void idsAreStableAcrossRestarts() throws Exception {
        try (OwbServer again = OwbServer.start(ServerOptions.local(List.of(root)))) {
            assertEquals(ids(server), ids(again));
        }
    }

    @Test
    void summaryCountsTensorsParametersAndDtypes() throws Exception {
        JsonNode summary = getJson(server, "/api/models/" + id("tiny"), 200);
        assertEquals("safetensors", summary.get("format").asText());
        assertEquals(3, summary.get("tensor_count").asInt());
        assertEquals(6 + 8 + 2, summary.get("parameter_count").asLong());
        assertEquals(3, summary.get("dtype_counts").get("F32").asInt());
        assertEquals("tiny/model.safetensors", summary.get("files").get(0).get("path").asText());
        assertEquals(Files.size(root.resolve("tiny/model.safetensors")),
                summary.get("files").get(0).get("size_bytes").asLong());
        assertTrue(summary.get("metadata").isObject());
    }

    @Test
    void listsTensorsWithoutStatistics() throws Exception {
        JsonNode tensors = getJson(server, "/api/models/" + id("tiny") + "/tensors", 200);
        assertEquals(3, tensors.size());
        JsonNode first = tensors.get(0);
        assertEquals(WEIGHT, first.get("name").asText());
        assertEquals("F32", first.get("dtype").asText());
        assertEquals("[2,3]", first.get("shape").toString());
        assertEquals(24, first.get("byte_size").asLong());
        assertFalse(first.has("stats"));
    }

    @Test
    void tensorStatsMatchTheWrittenValues() throws Exception {
        JsonNode t = getJson(server, "/api/models/" + id("tiny") + "/tensors/" + WEIGHT, 200);
        assertEquals(WEIGHT, t.get("name").asText());
        JsonNode s = t.get("stats");
        assertEquals(6, s.get("count").asLong());
        assertEquals(3.5, s.get("mean").asDouble(), 1e-9);
        assertEquals(Math.sqrt(35.0 / 12), s.get("std").asDouble(), 1e-6);
        assertEquals(1, s.get("min").asDouble());
        assertEquals(6, s.get("max").asDouble());
        assertEquals(6, s.get("abs_max").asDouble());
        assertEquals(Math.sqrt(91), s.get("l2_norm").asDouble(), 1e-6);
        assertEquals(0, s.get("nan_count").asLong());
        assertEquals(65, s.get("histogram").get("edges").size());
        long binned = 0;
        for (JsonNode c : s.get("histogram").get("counts")) binned += c.asLong();
        assertEquals(6, binned);
    }

    @Test
    void tensorNamesWithSlashesAreReachableUrlEncoded() throws Exception {
        JsonNode t = getJson(server, "/api/models/" + id("tiny") + "/tensors/blocks%2F0%2Fw", 200);
        assertEquals("blocks/0/w", t.get("name").asText());
        assertEquals(2, t.get("stats").get("count").asLong());
    }

    @Test
    void histogramIsAPngOfTheRequestedSize() throws Exception {
        HttpResponse<byte[]> r = get(server, "/api/models/" + id("tiny") + "/tensors/" + WEIGHT
                + "/histogram.png?width=320&height=200", HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
        byte[] png = r.body();
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                java.util.Arrays.copyOf(png, 8));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(320, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    @Test
    void histogramRejectsAnAbsurdSize() throws Exception {
        assertError(get(server, "/api/models/" + id("tiny") + "/tensors/" + WEIGHT + "/histogram.png?width=100000"), 400);
        assertError(get(server, "/api/models/" + id("tiny") + "/tensors/" + WEIGHT + "/histogram.png?height=tall"), 400);
    }

    @Test
    void auditJobRunsToDoneWithTensorsAndFindings() throws Exception {
        String jobId = startAudit(id("tiny"));
        JsonNode job = awaitJob(server, jobId);
        assertEquals("done", job.get("state").asText(), job.toString());
        assertEquals(3, job.get("result").get("tensors").size());
        assertTrue(job.get("result").get("findings").isArray());
        assertEquals(job.get("bytes_total").asLong(), job.get("bytes_done").asLong());
    }

    @Test
    void auditOfABrokenCheckpointFailsWithItsMessage() throws Exception {
        JsonNode job = awaitJob(server, startAudit(id("broken")));
        assertEquals("failed", job.get("state").asText());
        assertTrue(job.get("error").asText().contains("model.safetensors"), job.toString());
        assertFalse(job.has("result"));
    }

    @Test
    void eventStreamSendsProgressThenDoneAndEnds() throws Exception {
        String jobId = startAudit(id("other"));
        HttpRequest request = HttpRequest.newBuilder(uri(server, "/api/jobs/" + jobId + "/events"))
                .header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> r = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                .get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> r.body().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim()).toList())
                .get(30, TimeUnit.SECONDS); // the stream ends by itself once the job is done
        assertFalse(events.isEmpty());
        assertEquals("done", events.getLast(), events.toString());
        assertTrue(events.subList(0, events.size() - 1).stream().allMatch("progress"::equals), events.toString());
    }

    @Test
    void eventStreamWantsTheEventStreamAcceptHeader() throws Exception {
        String jobId = startAudit(id("other"));
        assertError(get(server, "/api/jobs/" + jobId + "/events"), 406);
    }

    @Test
    void unknownThingsAre404WithJsonErrors() throws Exception {
        assertError(get(server, "/api/models/no-such-model-00000000"), 404);
        assertError(get(server, "/api/models/no-such-model-00000000/tensors"), 404);
        assertError(get(server, "/api/models/" + id("tiny") + "/tensors/no.such.tensor"), 404);
        assertError(get(server, "/api/models/" + id("tiny") + "/tensors/no.such.tensor/histogram.png"), 404);
        assertError(get(server, "/api/jobs/00000000-0000-0000-0000-000000000000"), 404);
        assertError(get(server, "/api/jobs/nope/events"), 404);
        assertError(get(server, "/api/nothing-here"), 404);
        assertError(post(server, "/api/models/no-such-model-00000000/audit"), 404);
    }

    @Test
    void pathTraversalNeverReachesAFile() throws Exception {
        for (String path : List.of(
                "/api/models/..%2F..%2Fetc/tensors",
                "/api/models/%2e%2e/tensors",
                "/api/models/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/api/models/%2Fetc%2Fpasswd/tensors",
                "/api/models/..%2Fescape/tensors",
                "/api/models/escape/tensors",
                "/api/models/sneaky/tensors",
                "/api/models/" + id("tiny") + "/..%2F..%2F..%2Fetc%2Fpasswd",
                "/api/models/" + id("tiny") + "/tensors/..%2F..%2Fescape%2Fmodel.safetensors",
                "/api/models/%252e%252e%252fescape/tensors",
                "/%2e%2e/%2e%2e/etc/passwd",
                "/api/models/%00/tensors")) {
            HttpResponse<String> r = get(server, path);
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, path + " -> " + r.statusCode());
            assertError(r, r.statusCode());
            assertFalse(r.body().contains("secret"), path);
        }
    }

    @Test
    void refusesARequestBodyItWouldNeverRead() throws Exception {
        // Expect: 100-continue, as curl sends for large bodies: the server answers from the headers, so
        // the answer never races the client still writing a body the server has stopped reading.
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri(server, "/api/models/" + id("tiny") + "/audit"))
                .expectContinue(true).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1 << 20])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 413);
    }

    @Test
    void aWeightFileSwappedForALinkOutOfTheRootAfterDiscoveryIsRefused() throws Exception {
        Path swapRoot = tmp.resolve("swap");
        Path weights = new TinySafetensors().add("w", new long[]{1}, 1).write(swapRoot.resolve("m/model.safetensors"));
        try (OwbServer swapServer = OwbServer.start(ServerOptions.local(List.of(swapRoot)))) {
            String modelId = swapServer.models().getFirst().id();
            Files.delete(weights);
            Files.createSymbolicLink(weights, tmp.resolve("outside/secret/model.safetensors"));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create(swapServer.url() + "/api/models/" + modelId + "/tensors")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(r, 403);
            assertFalse(r.body().contains("secret"));
        }
    }

    @Test
    void brokenCheckpointIs422NamingTheFile() throws Exception {
        HttpResponse<String> r = get(server, "/api/models/" + id("broken") + "/tensors");
        JsonNode error = assertError(r, 422);
        assertTrue(error.get("error").asText().startsWith("broken/model.safetensors: "), error.toString());
        assertFalse(error.get("error").asText().contains(tmp.toString()), "no absolute paths: " + error);
    }

    @Test
    void aTakenPortIsReportedAsSuch() {
        ServerOptions same = new ServerOptions(ServerOptions.LOOPBACK, server.port(), List.of(root), null,
                ServerOptions.DEFAULT_CACHE_MEGABYTES);
        BindException e = assertThrows(BindException.class, () -> OwbServer.start(same));
        assertEquals("port " + server.port() + " is in use", e.getMessage());
    }

    @Test
    void servesTheWebFolderOnlyWhenItHasAnIndexPage() throws Exception {
        Path web = Files.createDirectories(tmp.resolve("web"));
        try (OwbServer noUi = OwbServer.start(new ServerOptions(ServerOptions.LOOPBACK, 0, List.of(root), web,
                ServerOptions.DEFAULT_CACHE_MEGABYTES))) {
            assertEquals(404, HTTP.send(HttpRequest.newBuilder(URI.create(noUi.url() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        Files.writeString(web.resolve("index.html"), "<!doctype html><title>owb</title>");
        try (OwbServer ui = OwbServer.start(new ServerOptions(ServerOptions.LOOPBACK, 0, List.of(root), web,
                ServerOptions.DEFAULT_CACHE_MEGABYTES))) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ui.url() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("<title>owb</title>"));
        }
    }

    // --- helpers ---

    private static String id(String relativePath) throws Exception {
        for (JsonNode m : getJson(server, "/api/models", 200)) {
            if (m.get("path").asText().equals(relativePath)) return m.get("id").asText();
        }
        throw new AssertionError("no model at " + relativePath);
    }

    private static List<String> ids(OwbServer s) throws IOException {
        return s.models().stream().map(ModelInfo::id).sorted().toList();
    }

    private static String startAudit(String modelId) throws Exception {
        return jobId(post(server, "/api/models/" + modelId + "/audit"));
    }

}

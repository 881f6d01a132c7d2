package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static owb.http.ApiClient.JSON;
import static owb.http.ApiClient.HTTP;
import static owb.http.ApiClient.assertError;
import static owb.http.ApiClient.awaitJob;
import static owb.http.ApiClient.get;
import static owb.http.ApiClient.getJson;
import static owb.http.ApiClient.jobId;
import static owb.http.ApiClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Heatmap, spectrum and HTML audit report over real HTTP on tiny hand-made checkpoints. */
class TensorViewRoutesTest {

    @TempDir
    static Path tmp;
    static OwbServer server;
    static String tiny;
    static String other;

    @BeforeAll
    static void startServer() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("models"));
        float[] ramp = new float[40 * 30];
        for (int i = 0; i < ramp.length; i++) ramp[i] = i % 30 < 15 ? -1 : 2; // left half -1, right half 2
        new TinySafetensors()
                .add("diag", new long[]{3, 2}, 3, 0, 0, 4, 0, 0)
                .add("ramp", new long[]{40, 30}, ramp)
                .add("bias", new long[]{2}, 1, 2)
                .add("bad<script>", new long[]{1, 2}, Float.NaN, 1)
                .write(root.resolve("tiny/model.safetensors"));
        new TinySafetensors().add("w", new long[]{2, 2}, 1, 0, 0, 1).write(root.resolve("other/model.safetensors"));
        server = OwbServer.start(ServerOptions.local(List.of(root)));
        tiny = id("tiny");
        other = id("other");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    @Test
    void heatmapOfASmallMatrixHasOnePixelPerElement() throws Exception {
        BufferedImage image = png("/api/models/" + tiny + "/tensors/diag/heatmap.png");
        assertEquals(2, image.getWidth());
        assertEquals(3, image.getHeight());
        assertEquals(0xffffff, image.getRGB(1, 0) & 0xffffff, "a zero is white on the |value| scale");
        assertTrue((image.getRGB(1, 1) & 0xff) < 0x80, "the largest |value| is dark");
    }

    @Test
    void heatmapBlockAveragesDownToTheAskedSize() throws Exception {
        HttpResponse<byte[]> r = get(server, "/api/models/" + tiny + "/tensors/ramp/heatmap.png?size=8&mode=signed",
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("5", r.headers().firstValue("X-Block-Rows").orElseThrow());
        assertEquals("4", r.headers().firstValue("X-Block-Cols").orElseThrow());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertEquals(8, image.getWidth());   // ceil(30 / 4)
        assertEquals(8, image.getHeight());  // 40 / 5
        int left = image.getRGB(0, 0) & 0xffffff, right = image.getRGB(7, 0) & 0xffffff;
        assertTrue((left & 0xff) > ((left >> 16) & 0xff), "negative block is blue: " + Integer.toHexString(left));
        assertTrue(((right >> 16) & 0xff) > (right & 0xff), "positive block is red: " + Integer.toHexString(right));
    }

    @Test
    void heatmapRefusesVectorsAndBadParameters() throws Exception {
        assertError(get(server, "/api/models/" + tiny + "/tensors/bias/heatmap.png"), 422, "rank 1");
        assertError(get(server, "/api/models/" + tiny + "/tensors/diag/heatmap.png?size=2"), 400, "size must be");
        assertError(get(server, "/api/models/" + tiny + "/tensors/diag/heatmap.png?mode=log"), 400, "mode must be");
        assertError(get(server, "/api/models/" + tiny + "/tensors/nope/heatmap.png"), 404, "no tensor 'nope'");
        assertError(get(server, "/api/models/no-such-model/tensors/diag/heatmap.png"), 404, "no model");
    }

    @Test
    void spectrumGivesTheSingularValuesDescending() throws Exception {
        JsonNode s = getJson(server, "/api/models/" + tiny + "/tensors/diag/spectrum", 200);
        assertEquals("diag", s.get("name").asText());
        assertEquals(4.0, s.get("singular_values").get(0).asDouble(), 1e-5);
        assertEquals(3.0, s.get("singular_values").get(1).asDouble(), 1e-5);
        assertEquals(2, s.get("rank").asInt());
        assertTrue(s.get("exact").asBoolean());
        assertEquals(1.0, s.get("energy").get(1).asDouble(), 1e-6);
        assertEquals(1, getJson(server, "/api/models/" + tiny + "/tensors/diag/spectrum?k=1", 200)
                .get("singular_values").size());
    }

    @Test
    void spectrumRefusesVectorsAndBadK() throws Exception {
        assertError(get(server, "/api/models/" + tiny + "/tensors/bias/spectrum"), 422, "needs a matrix");
        assertError(get(server, "/api/models/" + tiny + "/tensors/diag/spectrum?k=0"), 400, "k must be");
    }

    @Test
    void auditReportIsOneSelfContainedPage() throws Exception {
        String job = startAudit(tiny);
        awaitJob(server, job);
        HttpResponse<String> r = get(server, "/api/models/" + tiny + "/audit-report.html?job=" + job);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String html = r.body();
        for (String name : List.of("diag", "ramp", "bias")) assertTrue(html.contains(">" + name + "<"), name);
        assertTrue(html.contains("bad&lt;script&gt;"), "tensor names are escaped");
        assertFalse(html.contains("bad<script>"), "no raw markup from the checkpoint");
        assertTrue(html.contains("src=\"data:image/png;base64,"), "histograms are inline");
        assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing is loaded from elsewhere");
        assertTrue(html.contains("class=\"error\""), "the NaN finding is highlighted");
        int start = html.indexOf("<script type=\"application/json\" id=\"audit-json\">");
        assertTrue(start > 0);
        String json = html.substring(html.indexOf('>', start) + 1, html.indexOf("</script>", start));
        assertEquals(4, JSON.readTree(json).get("tensor_count").asInt());
        HttpResponse<String> download = get(server, "/api/models/" + tiny + "/audit-report.html?job=" + job + "&download=1");
        assertTrue(download.headers().firstValue("Content-Disposition").orElse("").contains("tiny-audit.html"));
    }

    @Test
    void auditReportNeedsAFinishedAuditOfThatModel() throws Exception {
        assertError(get(server, "/api/models/" + tiny + "/audit-report.html"), 400, "?job=");
        assertError(get(server, "/api/models/" + tiny + "/audit-report.html?job=nope"), 404, "no job");
        String job = startAudit(other);
        awaitJob(server, job);
        assertError(get(server, "/api/models/" + tiny + "/audit-report.html?job=" + job), 404, "not an audit of model");
    }

    // --- helpers ---

    private static String id(String relativePath) throws Exception {
        for (JsonNode m : getJson(server, "/api/models", 200)) {
            if (m.get("path").asText().equals(relativePath)) return m.get("id").asText();
        }
        throw new AssertionError("no model at " + relativePath);
    }

    private static BufferedImage png(String path) throws Exception {
        HttpResponse<byte[]> r = get(server, path, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), path);
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
        return ImageIO.read(new ByteArrayInputStream(r.body()));
    }

    private static String startAudit(String modelId) throws Exception {
        return jobId(post(server, "/api/models/" + modelId + "/audit"));
    }

}

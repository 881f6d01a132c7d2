package owb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The API tests' client: real HTTP requests over a socket to a running {@link OwbServer}, JSON in and
 * out, and the checks every test makes of an error answer.
 */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long JOB_TIMEOUT_SECONDS = 120;

    private ApiClient() {}

    static URI uri(OwbServer s, String path) {
        return URI.create(s.url() + path);
    }

    static HttpResponse<String> get(OwbServer s, String path) throws IOException, InterruptedException {
        return get(s, path, HttpResponse.BodyHandlers.ofString());
    }

    static <T> HttpResponse<T> get(OwbServer s, String path, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(s, path)).timeout(TIMEOUT).build(), body);
    }

    /** GET, the status checked, the body as JSON. */
    static JsonNode getJson(OwbServer s, String path, int status) throws IOException, InterruptedException {
        HttpResponse<String> r = get(s, path);
        assertEquals(status, r.statusCode(), path + " " + r.body());
        return JSON.readTree(r.body());
    }

    /** POST without a body. */
    static HttpResponse<String> post(OwbServer s, String path) throws IOException, InterruptedException {
        return send(s, path, HttpRequest.BodyPublishers.noBody());
    }

    /** POST of a JSON text as it is (malformed ones included). */
    static HttpResponse<String> post(OwbServer s, String path, String json) throws IOException, InterruptedException {
        return send(s, path, HttpRequest.BodyPublishers.ofString(json));
    }

    /** POST of {@code body} written as JSON. */
    static HttpResponse<String> post(OwbServer s, String path, Object body) throws IOException, InterruptedException {
        return post(s, path, JSON.writeValueAsString(body));
    }

    private static HttpResponse<String> send(OwbServer s, String path, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(s, path)).timeout(TIMEOUT).header("Content-Type", "application/json")
                .POST(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The job a 202 answer started. */
    static String jobId(HttpResponse<String> started) throws IOException {
        assertEquals(202, started.statusCode(), started.body());
        return JSON.readTree(started.body()).get("job_id").asText();
    }

    /** Polls a job until it is no longer running; its last status. */
    static JsonNode awaitJob(OwbServer s, String jobId) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOB_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            JsonNode job = getJson(s, "/api/jobs/" + jobId, 200);
            if (!job.get("state").asText().equals("running")) return job;
            Thread.sleep(20);
        }
        throw new AssertionError("job " + jobId + " still running after " + JOB_TIMEOUT_SECONDS + " s");
    }

    /**
     * An error answer as the API promises them: the status, a JSON body {@code {"error": message}}
     * with a non-empty one-line message, no stack trace.
     */
    static JsonNode assertError(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.uri() + " " + r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.uri().toString());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(1, body.size(), r.body());
        assertTrue(body.hasNonNull("error"), r.body());
        String message = body.get("error").asText();
        assertNotEquals("", message);
        assertFalse(message.contains("\n") || r.body().contains("\tat ") || r.body().contains("at owb.")
                || r.body().contains("at java."), "one line, no stack trace: " + r.body());
        return body;
    }

    /** {@link #assertError(HttpResponse, int)}, and the message says {@code fragment}. */
    static JsonNode assertError(HttpResponse<String> r, int status, String fragment) throws IOException {
        JsonNode body = assertError(r, status);
        assertTrue(body.get("error").asText().contains(fragment), body.get("error").asText());
        return body;
    }
}

package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A run of the real SmolLM2-135M-Instruct Q4_1 GGUF over HTTP (skipped without -Dowb.smollm2). */
class RunRoutesSmolLm2Test {

    @Test
    void theLensOfTheCapitalOfFranceEndsWithParis() throws Exception {
        String property = System.getProperty("owb.smollm2");
        assumeTrue(property != null, "set -Dowb.smollm2 to the SmolLM2 GGUF or its folder");
        Path path = Path.of(property);
        Path root = Files.isDirectory(path) ? path : path.getParent();
        try (OwbServer server = OwbServer.start(ServerOptions.local(List.of(root)))) {
            String model = server.models().stream().filter(m -> m.format().equals("gguf")).findFirst().orElseThrow().id();
            JsonNode run = RunRoutesTest.createRun(server, Map.of("model", model, "prompt", "The capital of France is"));
            List<String> texts = java.util.stream.StreamSupport.stream(run.get("tokens").spliterator(), false)
                    .map(t -> t.get("text").asText()).toList();
            assertEquals(List.of("The", " capital", " of", " France", " is"), texts);
            assertEquals(" Paris", run.get("predictions").get(4).get(0).get("text").asText());
            String runId = run.get("run_id").asText();

            JsonNode lens = ApiClient.getJson(server, "/api/runs/" + runId + "/lens?target="
                    + RunRoutesTest.enc(" Paris"), 200);
            assertEquals(30, lens.get("layers").asInt());
            JsonNode rows = lens.get("rows");
            JsonNode last = rows.get(rows.size() - 1);
            assertEquals(30, last.get("layer").asInt());
            assertEquals(4, last.get("position").asInt());
            assertEquals(" Paris", last.get("top").get(0).get("text").asText());
            assertEquals(1, last.get("target_rank").asInt());
            assertEquals(7042, lens.get("target").get("id").asInt());

            JsonNode dla = ApiClient.getJson(server, "/api/runs/" + runId + "/dla?target="
                    + RunRoutesTest.enc(" Paris") + "&against=" + RunRoutesTest.enc(" the"), 200);
            double sum = 0;
            for (JsonNode c : dla.get("components")) sum += c.get("value").asDouble();
            assertEquals(dla.get("logit").asDouble(), sum, 1e-3);
            assertTrue(dla.get("logit").asDouble() > 2, dla.get("logit").toString());   // 2.4827 in the README
        }
    }
}

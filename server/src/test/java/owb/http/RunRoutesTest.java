package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Activation;
import owb.model.Hooks;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.AttentionSummary;
import owb.probe.DirectLogitAttribution;
import owb.probe.LogitLens;
import owb.probe.PatternViews;
import owb.testing.NpyFile;
import owb.tokenizer.Tokenizer;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static owb.http.ApiClient.JSON;
import static owb.http.ApiClient.HTTP;
import static owb.http.ApiClient.assertError;
import static owb.http.ApiClient.getJson;
import static owb.http.ApiClient.get;
import static owb.http.ApiClient.post;
import static owb.http.ApiClient.uri;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The run endpoints end to end: a real server on loopback, real HTTP, the tiny fixture models; every
 * instrument's answer checked against the probe run directly on the same tokens.
 */
class RunRoutesTest {

    /** Ids below the byte-level test tokenizer's 257 tokens, so that every one has a text. */
    private static final int[] TOKENS = {72, 105, 32, 256, 98, 33, 10, 200};

    @TempDir
    static Path tmp;
    static OwbServer server;
    static String llama;
    static String gpt2;
    static Checkpoint llamaCheckpoint;
    static LanguageModel llamaModel;
    static Tokenizer tokenizer;

    @BeforeAll
    static void start() throws IOException {
        Path root = tmp.resolve("models");
        Path llamaDir = RunFixtures.copy("llama", root.resolve("llama"), true);
        RunFixtures.copy("gpt2", root.resolve("gpt2"), false);
        server = OwbServer.start(ServerOptions.local(List.of(root)));
        llama = modelId(server, "llama");
        gpt2 = modelId(server, "gpt2");
        llamaCheckpoint = Checkpoints.open(llamaDir);
        llamaModel = ModelLoader.load(llamaCheckpoint);
        tokenizer = Tokenizer.fromTokenizerJson(llamaDir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (llamaCheckpoint != null) llamaCheckpoint.close();
    }

    // --- creating a run ---

    @Test
    void createsARunFromTokensAndServesTheSameDocumentAgain() throws Exception {
        HttpResponse<String> r = post(server, "/api/runs", Map.of("model", llama, "tokens", ids(TOKENS), "top", 3));
        assertEquals(201, r.statusCode(), r.body());
        JsonNode run = JSON.readTree(r.body());
        String runId = run.get("run_id").asText();
        assertEquals("/api/runs/" + runId, r.headers().firstValue("Location").orElseThrow());
        assertEquals(llama, run.get("model").asText());
        assertEquals(TOKENS.length, run.get("tokens").size());
        assertEquals(72, run.get("tokens").get(0).get("id").asInt());
        assertEquals("H", run.get("tokens").get(0).get("text").asText());
        assertEquals(" a", run.get("tokens").get(3).get("text").asText());
        assertEquals(2, run.get("n_layers").asInt());
        assertEquals(4, run.get("n_heads").asInt());
        assertEquals(64, run.get("d_model").asInt());

        float[] logits = llamaModel.forward(TOKENS);                       // [n, 512]
        int vocab = llamaModel.config().dVocab();
        assertEquals(TOKENS.length, run.get("predictions").size());
        for (int p = 0; p < TOKENS.length; p++) {
            JsonNode next = run.get("predictions").get(p);
            assertEquals(3, next.size());
            double[] logp = logSoftmax(logits, p * vocab, vocab);
            int best = 0;
            for (int i = 1; i < vocab; i++) if (logp[i] > logp[best]) best = i;
            assertEquals(best, next.get(0).get("id").asInt());
            for (JsonNode t : next) assertEquals(logp[t.get("id").asInt()], t.get("logprob").asDouble(), 1e-5);
            assertTrue(next.get(0).get("logprob").asDouble() >= next.get(2).get("logprob").asDouble());
        }

        long bytes = 0;
        List<String> names = new ArrayList<>();
        for (JsonNode h : run.get("hooks")) {
            names.add(h.get("name").asText());
            long size = 1;
            for (JsonNode d : h.get("shape")) size *= d.asLong();
            bytes += size * 4;
        }
        assertTrue(names.containsAll(List.of("hook_embed", "blocks.0.hook_resid_pre", "blocks.1.hook_resid_post",
                "blocks.0.attn.hook_pattern", "blocks.1.attn.hook_z", "blocks.1.hook_mlp_out", "ln_final.hook_scale")), names.toString());
        assertEquals(bytes, run.get("bytes").asLong());
        assertEquals(run, getJson(server, "/api/runs/" + runId, 200));
    }

    @Test
    void createsARunFromAPromptWithTheModelsTokenizer() throws Exception {
        JsonNode run = createRun(server, Map.of("model", llama, "prompt", "Hi a ab!"));
        int[] expected = tokenizer.encode("Hi a ab!", true);
        assertEquals(expected.length, run.get("tokens").size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], run.get("tokens").get(i).get("id").asInt());
            assertEquals(tokenizer.tokenText(expected[i]), run.get("tokens").get(i).get("text").asText());
        }
        assertEquals(5, run.get("predictions").get(0).size(), "top defaults to 5");
    }

    @Test
    void aModelWithoutATokenizerRunsTokensAndNamesThemById() throws Exception {
        JsonNode run = createRun(server, Map.of("model", gpt2, "tokens", List.of(500, 3, 7)));
        assertEquals("<500>", run.get("tokens").get(0).get("text").asText());
        assertTrue(run.toString().contains("\"hook_pos_embed\""), "GPT-2 keeps its position embeddings");
        JsonNode error = assertError(post(server, "/api/runs", Map.of("model", gpt2, "prompt", "hello")), 422);
        assertTrue(error.get("error").asText().contains("no tokenizer"), error.toString());
    }

    @Test
    void extraHooksAreCapturedOnlyWhenAsked() throws Exception {
        JsonNode plain = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS)));
        assertFalse(plain.toString().contains("blocks.0.attn.hook_q\""));
        JsonNode more = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS), "hooks", List.of("blocks.0.attn.hook_q")));
        JsonNode q = null;
        for (JsonNode h : more.get("hooks")) if (h.get("name").asText().equals("blocks.0.attn.hook_q")) q = h;
        assertEquals("[" + TOKENS.length + ",4,16]", String.valueOf(q == null ? null : q.get("shape")));
        assertTrue(more.get("bytes").asLong() > plain.get("bytes").asLong());
    }

    // --- instruments, each against the probe on the same tokens ---

    @Test
    void lensEqualsLogitLensOnTheSameTokens() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode lens = getJson(server, "/api/runs/" + runId + "/lens?top=3&target=" + enc("#5"), 200);
        LogitLens.Result expected = LogitLens.run(llamaModel, TOKENS, 3, OptionalInt.of(5), RunRoutesTest::text);
        assertEquals(5, lens.get("target").get("id").asInt());
        assertEquals(2, lens.get("layers").asInt());
        assertEquals(TOKENS.length, lens.get("positions").asInt());
        assertEquals(TOKENS.length, lens.get("tokens").size());
        JsonNode rows = lens.get("rows");
        assertEquals(expected.rows().size(), rows.size());
        // float32 noise only (1e-5): the run captured the patterns, which takes attention's materialising
        // path, and a cold JVM may still run some kernels in another summation order

        for (int i = 0; i < rows.size(); i++) {
            LogitLens.Cell cell = expected.rows().get(i);
            JsonNode row = rows.get(i);
            assertEquals(cell.layer(), row.get("layer").asInt());
            assertEquals(cell.position(), row.get("position").asInt());
            assertEquals(cell.entropy(), row.get("entropy").asDouble(), 1e-5);
            assertEquals(cell.klToFinal(), row.get("kl_to_final").asDouble(), 1e-5);
            assertEquals(cell.targetRank().intValue(), row.get("target_rank").asInt());
            assertEquals(cell.targetProb(), row.get("target_prob").asDouble(), 1e-5);
            for (int k = 0; k < 3; k++) {
                assertEquals(cell.top().get(k).id(), row.get("top").get(k).get("id").asInt());
                assertEquals(cell.top().get(k).text(), row.get("top").get(k).get("text").asText());
                assertEquals(cell.top().get(k).prob(), row.get("top").get(k).get("prob").asDouble(), 1e-5);
            }
        }
        JsonNode noTarget = getJson(server, "/api/runs/" + runId + "/lens", 200);
        assertTrue(noTarget.get("target").isNull());
        assertFalse(noTarget.get("rows").get(0).has("target_rank"));
        assertEquals(5, noTarget.get("rows").get(0).get("top").size());
    }

    @Test
    void aRepeatedLensRequestIsServedFromTheRunCacheWithoutRecomputing() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        RunService service = server.runService();
        String path = "/api/runs/" + runId + "/lens?top=4&target=" + enc("#7");
        long before = service.lensReadings();
        long bytesBefore = service.runs().bytes();
        HttpResponse<String> first = get(server, path);
        assertEquals(before + 1, service.lensReadings());
        assertTrue(service.runs().bytes() > bytesBefore, "the lens is counted in the run cache's bytes");
        HttpResponse<String> second = get(server, path);
        assertEquals(200, second.statusCode());
        assertEquals(first.body(), second.body());
        assertTrue(second.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals(before + 1, service.lensReadings(), "the second request reads the kept lens");
        get(server, "/api/runs/" + runId + "/lens?top=4");          // another target: another reading
        assertEquals(before + 2, service.lensReadings());
    }

    @Test
    void identicalLensRequestsArrivingTogetherShareOneReading() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        RunService service = server.runService();
        URI lens = uri(server, "/api/runs/" + runId + "/lens?top=3");
        long before = service.lensReadings();
        List<ComputeGate.Permit> held = new ArrayList<>();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try {
            // with every compute permit held, the first request's reading waits at the gate, so the
            // others arrive while it is under way
            for (int i = 0; i < RunRoutes.COMPUTE_PERMITS; i++) held.add(service.gate().enter("test"));
            for (int i = 0; i < 3; i++) {
                responses.add(HTTP.sendAsync(HttpRequest.newBuilder(lens).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(RunRoutes.COMPUTE_WAIT_MILLIS / 4);
        } finally {
            held.forEach(ComputeGate.Permit::close);
        }
        String body = null;
        for (var response : responses) {
            HttpResponse<String> r = response.get();
            assertEquals(200, r.statusCode(), r.body());
            if (body == null) body = r.body();
            assertEquals(body, r.body());
        }
        assertEquals(before + 1, service.lensReadings(), "three identical requests, one reading");
    }

    @Test
    void aTargetGivenAsTextIsItsFirstTokenWithANote() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode one = getJson(server, "/api/runs/" + runId + "/lens?target=" + enc(" a"), 200).get("target");
        assertEquals(256, one.get("id").asInt());
        assertFalse(one.has("note"));
        JsonNode two = getJson(server, "/api/runs/" + runId + "/lens?target=" + enc(" ab"), 200).get("target");
        assertEquals(256, two.get("id").asInt());
        assertTrue(two.get("note").asText().contains("encodes to 2 tokens"), two.toString());
    }

    @Test
    void attentionHeadsEqualAttentionSummary() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode doc = getJson(server, "/api/runs/" + runId + "/attention", 200);
        AttentionSummary.Result expected = AttentionSummary.run(llamaModel, TOKENS);
        assertEquals(2, doc.get("n_layers").asInt());
        assertEquals(4, doc.get("n_heads").asInt());
        assertEquals(TOKENS.length, doc.get("tokens").size());
        assertEquals(expected.heads().size(), doc.get("heads").size());
        for (int i = 0; i < expected.heads().size(); i++) {
            Map<String, Object> want = expected.heads().get(i).toJson();
            JsonNode got = doc.get("heads").get(i);
            for (Map.Entry<String, Object> e : want.entrySet()) {
                if (e.getValue() == null) {
                    assertTrue(got.get(e.getKey()).isNull(), e.getKey());
                } else {
                    assertEquals(((Number) e.getValue()).doubleValue(), got.get(e.getKey()).asDouble(), 1e-9, e.getKey());
                }
            }
        }
    }

    @Test
    void aDensePatternIsTheHooksPatternAndItsRowsSumToOne() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode doc = getJson(server, "/api/runs/" + runId + "/attention/1/2", 200);
        Activation pattern = AttentionSummary.run(llamaModel, TOKENS).pattern(1);
        assertEquals(1, doc.get("layer").asInt());
        assertEquals(2, doc.get("head").asInt());
        assertEquals(TOKENS.length, doc.get("positions").asInt());
        assertEquals(TOKENS.length, doc.get("size").asInt());
        for (int q = 0; q < TOKENS.length; q++) {
            JsonNode row = doc.get("pattern").get(q);
            assertEquals(TOKENS.length, row.size());
            double sum = 0;
            for (int k = 0; k < TOKENS.length; k++) {
                assertEquals(pattern.get(2, q, k), row.get(k).floatValue(), 1e-6);
                sum += row.get(k).asDouble();
            }
            assertEquals(1.0, sum, 1e-5);
            if (q + 1 < TOKENS.length) assertEquals(0.0, row.get(q + 1).asDouble(), "causal mask");
        }
    }

    @Test
    void aPatternLongerThanMaxIsBlockAveraged() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode doc = getJson(server, "/api/runs/" + runId + "/attention/0/1?max=3", 200);
        assertEquals(3, doc.get("size").asInt());
        assertEquals(TOKENS.length, doc.get("positions").asInt());
        float[][] expected = PatternViews.downsample(AttentionSummary.run(llamaModel, TOKENS).pattern(0), 1, 3);
        for (int i = 0; i < 3; i++) {
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                assertEquals(expected[i][j], doc.get("pattern").get(i).get(j).floatValue(), 1e-6);
                sum += doc.get("pattern").get(i).get(j).asDouble();
            }
            assertEquals(1.0, sum, 1e-5, "a block row is still a distribution");
        }
    }

    @Test
    void topKeysListEachQuerysHeaviestKeys() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode doc = getJson(server, "/api/runs/" + runId + "/attention/1/3?top_k=2", 200);
        var expected = AttentionSummary.topKeys(AttentionSummary.run(llamaModel, TOKENS).pattern(1), 3, 2);
        assertEquals(TOKENS.length, doc.get("positions").asInt());
        assertFalse(doc.has("pattern"));
        for (int q = 0; q < TOKENS.length; q++) {
            JsonNode keys = doc.get("top_keys").get(q);
            assertEquals(expected.get(q).size(), keys.size());
            for (int i = 0; i < keys.size(); i++) {
                assertEquals(expected.get(q).get(i).key(), keys.get(i).get("key").asInt());
                assertEquals(expected.get(q).get(i).weight(), keys.get(i).get("weight").floatValue(), 1e-6);
            }
        }
    }

    @Test
    void thumbnailsHoldOneSmallPatternPerLayerAndHead() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode doc = getJson(server, "/api/runs/" + runId + "/attention/thumbnails?size=4", 200);
        assertEquals(4, doc.get("size").asInt());
        assertEquals(2, doc.get("n_layers").asInt());
        assertEquals(4, doc.get("n_heads").asInt());
        JsonNode thumbs = doc.get("thumbnails");
        assertEquals(2, thumbs.size());
        Activation pattern = AttentionSummary.run(llamaModel, TOKENS).pattern(1);
        for (JsonNode layer : thumbs) {
            assertEquals(4, layer.size());
            for (JsonNode head : layer) {
                assertEquals(4, head.size());
                for (JsonNode row : head) {
                    assertEquals(4, row.size());
                    for (JsonNode v : row) assertEquals(Math.round(v.asDouble() * 1e4), v.asDouble() * 1e4, 1e-6, "4 decimals");
                }
            }
        }
        float[][] expected = PatternViews.downsample(pattern, 2, 4);
        assertEquals(expected[3][1], thumbs.get(1).get(2).get(3).get(1).asDouble(), 5e-5);
        JsonNode small = getJson(server, "/api/runs/" + runId + "/attention/thumbnails", 200);
        assertEquals(TOKENS.length, small.get("size").asInt(), "fewer positions than 24: the full pattern");
        assertEquals(TOKENS.length, small.get("thumbnails").get(0).get(0).size());
    }

    @Test
    void hooksDownloadAsNpyEqualToTheActivations() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        JsonNode hooks = getJson(server, "/api/runs/" + runId + "/hooks", 200);
        Hooks expected = new Hooks().capture("*");
        llamaModel.forward(TOKENS, expected);
        for (JsonNode h : hooks) {
            int[] shape = expected.cache().get(h.get("name").asText()).shape();
            assertEquals(Arrays.toString(shape), Arrays.toString(JSON.treeToValue(h.get("shape"), int[].class)));
            assertEquals(expected.cache().get(h.get("name").asText()).size() * 4L, h.get("bytes").asLong());
        }
        for (String name : List.of("blocks.0.attn.hook_pattern", "blocks.1.hook_resid_post", "ln_final.hook_scale")) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(uri(server, "/api/runs/" + runId + "/hooks/" + name + ".npy"))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").orElseThrow());
            Path file = Files.write(tmp.resolve(name + ".npy"), r.body());
            NpyFile npy = NpyFile.read(file);
            Activation want = expected.cache().get(name);
            assertArrayEquals(Arrays.stream(want.shape()).asLongStream().toArray(), npy.shape(), name);
            assertArrayEquals(want.data(), npy.values(), 1e-6f, name);
        }
    }

    @Test
    void dlaEqualsTheProbe() throws Exception {
        for (String model : List.of(llama, gpt2)) {
            String runId = createRun(server, Map.of("model", model, "tokens", ids(TOKENS))).get("run_id").asText();
            Path dir = tmp.resolve("models").resolve(model.equals(llama) ? "llama" : "gpt2");
            try (Checkpoint checkpoint = Checkpoints.open(dir)) {
                LanguageModel m = ModelLoader.load(checkpoint);
                JsonNode doc = getJson(server, "/api/runs/" + runId + "/dla?target=" + enc("#7") + "&against="
                        + enc("#9") + "&position=2", 200);
                assertDla(DirectLogitAttribution.run(m, TOKENS, 2, 7, OptionalInt.of(9)), doc);
                JsonNode last = getJson(server, "/api/runs/" + runId + "/dla?target=" + enc("#7"), 200);
                assertDla(DirectLogitAttribution.run(m, TOKENS, TOKENS.length - 1, 7, OptionalInt.empty()), last);
                assertFalse(last.has("against"));
            }
        }
    }

    // --- bounds ---

    @Test
    void aRunOverTheTokenLimitIsRefused() throws Exception {
        int[] many = new int[RunService.MAX_TOKENS + 1];
        JsonNode error = assertError(post(server, "/api/runs", Map.of("model", llama, "tokens", ids(many))), 413);
        assertTrue(error.get("error").asText().contains("at most " + RunService.MAX_TOKENS), error.toString());
    }

    @Test
    void warmUpRunsTheFirstModelAndLeavesNoRunBehind() throws Exception {
        try (OwbServer fresh = OwbServer.start(ServerOptions.local(List.of(tmp.resolve("models"))))) {
            RunService service = fresh.runService();
            Thread warmUp = fresh.warmUpInBackground();
            warmUp.join(120_000);
            assertTrue(!warmUp.isAlive(), "the warm-up ended");
            assertEquals(EngineWarmUp.LENGTHS.length, service.lensReadings(), "the warm-up read a lens a run");
            assertEquals(0, service.runs().size(), "its run was dropped");
            assertEquals(0, service.runs().bytes());
            assertEquals(1, service.engines().size(), "the first model stays loaded for the first request");
        }
    }

    @Test
    void warmUpLeavesModelsAboveItsBoundAlone() throws Exception {
        try (OwbServer fresh = OwbServer.start(ServerOptions.local(List.of(tmp.resolve("models"))))) {
            Thread warmUp = fresh.warmUpInBackground(1);
            warmUp.join(60_000);
            assertEquals(0, fresh.runService().lensReadings());
            assertEquals(0, fresh.runService().engines().size(), "no model loaded");
        }
    }

    @Test
    void runsLeaveLeastRecentlyUsedFirstWhenTheirBytesPassTheBound() throws Exception {
        try (OwbServer small = OwbServer.start(ServerOptions.local(List.of(tmp.resolve("models"))).withRunCacheMegabytes(1))) {
            String model = modelId(small, "llama");
            int[] sixty = new int[60];                                         // ~315 KB of activations a run
            for (int i = 0; i < sixty.length; i++) sixty[i] = i * 7 % 500;
            List<String> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                JsonNode run = createRun(small, Map.of("model", model, "tokens", ids(sixty)));
                assertTrue(run.get("bytes").asLong() > 300_000 && run.get("bytes").asLong() < 350_000, run.get("bytes").toString());
                runs.add(run.get("run_id").asText());
            }
            getJson(small, "/api/runs/" + runs.get(0) + "/attention", 200);  // the oldest is now the most recently used
            String fourth = createRun(small, Map.of("model", model, "tokens", ids(sixty))).get("run_id").asText();
            assertError(get(small, "/api/runs/" + runs.get(1)), 404);
            for (String kept : List.of(runs.get(0), runs.get(2), fourth)) getJson(small, "/api/runs/" + kept, 200);
            assertTrue(small.runService().runs().bytes() <= 1024 * 1024);

            int[] long140 = new int[140];                                       // ~1.09 MB: refused before running
            JsonNode tooBig = assertError(post(small, "/api/runs", Map.of("model", model, "tokens", ids(long140))), 413);
            assertTrue(tooBig.get("error").asText().contains("run-cache-mb"), tooBig.toString());
            int[] hundred = Arrays.copyOf(sixty, 100);                          // fits, but not with every hook
            createRun(small, Map.of("model", model, "tokens", ids(hundred)));
            assertError(post(small, "/api/runs", Map.of("model", model, "tokens", ids(hundred), "hooks", List.of("*"))), 413);
        }
    }

    @Test
    void whileEveryComputePermitIsTakenRunsGet503AndOtherRoutesStillAnswer() throws Exception {
        String runId = createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        ComputeGate gate = server.runService().gate();
        List<ComputeGate.Permit> held = new ArrayList<>();
        try {
            for (int i = 0; i < RunRoutes.COMPUTE_PERMITS; i++) held.add(gate.enter("test"));
            JsonNode busy = assertError(post(server, "/api/runs", Map.of("model", llama, "tokens", ids(TOKENS))), 503);
            assertTrue(busy.get("error").asText().startsWith("busy"), busy.toString());
            assertError(get(server, "/api/runs/" + runId + "/lens"), 503);
            getJson(server, "/api/health", 200);
            getJson(server, "/api/runs/" + runId, 200);
            getJson(server, "/api/runs/" + runId + "/attention/0/0", 200);
            getJson(server, "/api/models", 200);
        } finally {
            held.forEach(ComputeGate.Permit::close);
        }
        createRun(server, Map.of("model", llama, "tokens", ids(TOKENS)));
    }

    @Test
    void concurrentRunsOfOneModelShareItsEngineAndAgree() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<JsonNode>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(pool.submit(() -> createRun(server, Map.of("model", llama, "tokens", ids(TOKENS)))));
            }
            JsonNode first = runs.getFirst().get();
            for (var run : runs) {
                assertEquals(first.get("predictions"), run.get().get("predictions"));
                assertEquals(first.get("bytes"), run.get().get("bytes"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- errors ---

    @Test
    void badRunRequestsGetA4xxWithOneLine() throws Exception {
        record Bad(String body, int status, String says) {}
        String ok = ",\"model\":\"" + llama + "\"";
        List<Bad> bads = List.of(
                new Bad("{\"tokens\": [1, 2", 400, "not JSON"),
                new Bad("[1, 2]", 400, "JSON object"),
                new Bad("{\"tokens\": [1]}", 400, "model is required"),
                new Bad("{\"model\": \"no-such-model-1234\", \"tokens\": [1]}", 404, "no model"),
                new Bad("{\"model\": \"../etc\", \"tokens\": [1]}", 400, "malformed model id"),
                new Bad("{\"x\": 1" + ok + "}", 400, "unknown field 'x'"),
                new Bad("{\"top\": 3" + ok + "}", 400, "either prompt or tokens"),
                new Bad("{\"prompt\": \"a\", \"tokens\": [1]" + ok + "}", 400, "either prompt or tokens"),
                new Bad("{\"prompt\": \"\"" + ok + "}", 400, "prompt is empty"),
                new Bad("{\"prompt\": 5" + ok + "}", 400, "prompt must be a string"),
                new Bad("{\"tokens\": []" + ok + "}", 400, "non-empty array"),
                new Bad("{\"tokens\": [1, \"a\"]" + ok + "}", 400, "tokens[1]"),
                new Bad("{\"tokens\": [1, 2.5]" + ok + "}", 400, "tokens[1]"),
                new Bad("{\"tokens\": [1, 512]" + ok + "}", 400, "outside the vocabulary (0..511)"),
                new Bad("{\"tokens\": [-1]" + ok + "}", 400, "outside the vocabulary"),
                new Bad("{\"tokens\": [1], \"top\": 0" + ok + "}", 400, "top must be"),
                new Bad("{\"tokens\": [1], \"hooks\": \"*\"" + ok + "}", 400, "hooks must be"),
                new Bad("{\"tokens\": [1], \"hooks\": [\"a/b\"]" + ok + "}", 400, "not a hook name"),
                new Bad("{\"tokens\": [1], \"hooks\": [\"blocks.9.nothing\"]" + ok + "}", 400, "matches no hook point"));
        for (Bad bad : bads) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri(server, "/api/runs")).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(bad.body())).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode error = assertError(r, bad.status());
            assertTrue(error.get("error").asText().contains(bad.says()), bad.body() + " -> " + error);
        }
        int[] past = new int[129];                                         // GPT-2 has 128 positions
        assertError(post(server, "/api/runs", Map.of("model", gpt2, "tokens", ids(past))), 422);
    }

    @Test
    void badInstrumentRequestsGetA4xxWithOneLine() throws Exception {
        String run = "/api/runs/" + createRun(server, Map.of("model", llama, "tokens", ids(TOKENS))).get("run_id").asText();
        Map<String, Integer> bad = new java.util.LinkedHashMap<>();
        for (String path : List.of("", "/lens", "/attention", "/attention/thumbnails", "/attention/0/0", "/dla?target=%231",
                "/hooks", "/hooks/hook_embed.npy")) {
            bad.put("/api/runs/no-such-run" + path, 404);
        }
        bad.put(run + "/lens?top=0", 400);
        bad.put(run + "/lens?top=x", 400);
        bad.put(run + "/lens?target=" + enc("#512"), 400);
        bad.put(run + "/lens?target=" + enc("#x"), 400);
        bad.put(run + "/lens?target=", 400);
        bad.put(run + "/attention/2/0", 404);
        bad.put(run + "/attention/0/4", 404);
        bad.put(run + "/attention/-1/0", 404);
        bad.put(run + "/attention/x/0", 400);
        bad.put(run + "/attention/0/0?max=0", 400);
        bad.put(run + "/attention/0/0?max=100000", 400);
        bad.put(run + "/attention/0/0?top_k=0", 400);
        bad.put(run + "/attention/0/0?top_k=2&max=4", 400);
        bad.put(run + "/attention/thumbnails?size=65", 400);
        bad.put(run + "/dla", 400);
        bad.put(run + "/dla?target=" + enc("#-3"), 400);
        bad.put(run + "/dla?target=" + enc("#1") + "&against=" + enc("#99999"), 400);
        bad.put(run + "/dla?target=" + enc("#1") + "&position=" + TOKENS.length, 400);
        bad.put(run + "/dla?target=" + enc("#1") + "&position=x", 400);
        bad.put(run + "/hooks/blocks.0.attn.hook_q.npy", 404);
        bad.put(run + "/hooks/no_such_hook.npy", 404);
        bad.put(run + "/hooks/hook_embed", 404);
        for (Map.Entry<String, Integer> e : bad.entrySet()) assertError(get(server, e.getKey()), e.getValue());
        String gpt2Run = "/api/runs/" + createRun(server, Map.of("model", gpt2, "tokens", List.of(1, 2))).get("run_id").asText();
        JsonNode noTokenizer = assertError(get(server, gpt2Run + "/lens?target=" + enc(" Paris")), 400);
        assertTrue(noTokenizer.get("error").asText().contains("#ID"), noTokenizer.toString());
    }

    // --- helpers ---

    static void assertDla(DirectLogitAttribution.Result expected, JsonNode doc) {
        assertEquals(expected.position(), doc.get("position").asInt());
        assertEquals(expected.token(), doc.get("token").asInt());
        expected.against().ifPresent(a -> assertEquals(a, doc.get("against").asInt()));
        assertEquals(expected.logit(), doc.get("logit").asDouble(), 1e-4);
        assertEquals(expected.components().size(), doc.get("components").size());
        for (int i = 0; i < expected.components().size(); i++) {
            DirectLogitAttribution.Component c = expected.components().get(i);
            JsonNode got = doc.get("components").get(i);
            assertEquals(c.name(), got.get("name").asText());
            assertEquals(c.layer(), got.get("layer").asInt());
            assertEquals(c.head(), got.get("head").asInt());
            assertEquals(c.value(), got.get("value").asDouble(), 1e-5, c.name());
        }
    }

    static String modelId(OwbServer s, String relativePath) throws IOException {
        for (ModelInfo m : s.models()) if (m.relativePath().equals(relativePath)) return m.id();
        throw new AssertionError("no model at " + relativePath);
    }

    static JsonNode createRun(OwbServer s, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = post(s, "/api/runs", body);
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A token's text as the server shows it: the tokenizer's, or {@code <id>} past its 257 tokens. */
    private static String text(int id) {
        return id <= 256 ? tokenizer.tokenText(id) : "<" + id + ">";
    }

    private static List<Integer> ids(int[] tokens) {
        return Arrays.stream(tokens).boxed().toList();
    }

    private static double[] logSoftmax(float[] logits, int from, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[from + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[from + i] - max);
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) out[i] = logits[from + i] - max - Math.log(sum);
        return out;
    }
}

package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import owb.probe.ActivationPatching;
import owb.probe.ProbeReport;
import owb.probe.ProbeRunner;
import owb.probe.ProbeSuite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Probe suites and activation patching over HTTP: both run as background jobs (progress and
 * results on the shared job endpoints) on a model the run service has loaded.
 * <ul>
 *   <li>{@code GET /api/probes}: the suites of the probes folder, {@code [{name, instrument, description}]}</li>
 *   <li>{@code POST /api/probes/{name}/run} {@code {"model": ID}}: 202 job; its result is the report
 *       {@code owb probe --json} prints</li>
 *   <li>{@code POST /api/patching} {@code {"model", "clean", "corrupted", "answer", "wrong", "kinds"?}}:
 *       202 job; its result the patching grids with the prompts' tokens</li>
 * </ul>
 */
final class ProbeRoutes {

    static final int MAX_PROMPT_CHARS = 2048;
    /** Patched passes grow with layers x positions; a prompt pair longer than this is refused. */
    static final int MAX_PATCHING_TOKENS = 64;
    private static final Pattern SUITE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Set<String> RUN_FIELDS = Set.of("model");
    private static final Set<String> PATCHING_FIELDS = Set.of("model", "clean", "corrupted", "answer", "wrong", "kinds");
    private static final ObjectMapper JSON = ApiJson.mapper();

    private final ModelRegistry registry;
    private final JobRunner jobs;
    private final ModelEngines engines;
    private final Path probesFolder;

    ProbeRoutes(ModelRegistry registry, JobRunner jobs, ModelEngines engines, Path probesFolder) {
        this.registry = registry;
        this.jobs = jobs;
        this.engines = engines;
        this.probesFolder = probesFolder;
    }

    void register(RoutesConfig routes) {
        routes.get("/api/probes", this::list);
        routes.post("/api/probes/{name}/run", this::runSuite);
        routes.post("/api/patching", this::patch);
    }

    private void list(Context ctx) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (probesFolder != null && Files.isDirectory(probesFolder)) {
            for (ProbeSuite suite : ProbeSuite.list(probesFolder)) out.add(suite.summaryJson());
        }
        ctx.json(out);
    }

    private void runSuite(Context ctx) throws IOException {
        String name = ctx.pathParam("name");
        if (!SUITE_NAME.matcher(name).matches() || probesFolder == null
                || !Files.isRegularFile(probesFolder.resolve(name + ".json"))) {
            throw new NotFoundResponse("no probe suite '" + name + "' (GET /api/probes lists them)");
        }
        ProbeSuite suite = ProbeSuite.load(probesFolder.resolve(name + ".json"));
        ObjectNode body = JsonBody.object(ctx.body(), "{\"model\": ID}", RUN_FIELDS, allowed(RUN_FIELDS));
        String modelId = registry.model(required(body, "model")).id();
        Job job = jobs.start("probe " + name + " " + modelId, id -> Job.onModel(id, Job.Kind.PROBE, modelId), running -> {
            try (ModelEngines.Use use = engines.acquire(modelId)) {
                ModelEngine engine = use.engine();
                AtomicLong steps = new AtomicLong();
                ProbeRunner runner = new ProbeRunner(engine.model(), engine.tokenizer(),
                        line -> running.progress(steps.incrementAndGet(), 0, line));
                ProbeReport report = runner.run(suite, registry.model(modelId).name());
                return JSON.valueToTree(report.toJson());
            }
        });
        ctx.status(HttpStatus.ACCEPTED).json(new ApiJson.JobCreated(job.id(), "running"));
    }

    private void patch(Context ctx) throws IOException {
        ObjectNode body = JsonBody.object(ctx.body(),
                "{\"model\": ID, \"clean\": TEXT, \"corrupted\": TEXT, \"answer\": TOKEN, \"wrong\": TOKEN, \"kinds\"?: [...]}",
                PATCHING_FIELDS, allowed(PATCHING_FIELDS));
        String modelId = registry.model(required(body, "model")).id();
        String clean = prompt(body, "clean");
        String corrupted = prompt(body, "corrupted");
        String answer = required(body, "answer");
        String wrong = required(body, "wrong");
        Set<ActivationPatching.Kind> kinds = kinds(body.get("kinds"));
        String key = "patching " + modelId + " " + JSON.writeValueAsString(body);
        Job job = jobs.start(key, id -> Job.onModel(id, Job.Kind.PATCHING, modelId), running -> {
            try (ModelEngines.Use use = engines.acquire(modelId)) {
                ModelEngine engine = use.engine();
                int[] cleanTokens = engine.encode(clean);
                int[] corruptedTokens = engine.encode(corrupted);
                if (cleanTokens.length != corruptedTokens.length) {
                    throw new IllegalArgumentException("the clean prompt is " + cleanTokens.length
                            + " tokens and the corrupted one " + corruptedTokens.length + ": they must be as long");
                }
                if (cleanTokens.length > MAX_PATCHING_TOKENS) {
                    throw new IllegalArgumentException("the prompts are " + cleanTokens.length + " tokens; patching takes at most "
                            + MAX_PATCHING_TOKENS);
                }
                ActivationPatching.Pair pair = new ActivationPatching.Pair(cleanTokens, corruptedTokens,
                        engine.target(answer, "answer").id(), engine.target(wrong, "wrong").id());
                ActivationPatching.Result result = ActivationPatching.run(engine.model(), pair, kinds,
                        (done, total) -> running.progress(done, total, "patched pass " + done + " of " + total));
                ObjectNode out = JSON.valueToTree(result.toJson());
                out.set("clean", texts(engine, cleanTokens));
                out.set("corrupted", texts(engine, corruptedTokens));
                out.put("answer_text", engine.text(pair.answer()));
                out.put("wrong_text", engine.text(pair.wrong()));
                return out;
            }
        });
        ctx.status(HttpStatus.ACCEPTED).json(new ApiJson.JobCreated(job.id(), "running"));
    }

    private static JsonNode texts(ModelEngine engine, int[] tokens) {
        List<RunJson.TokenJson> out = new ArrayList<>();
        for (int t : tokens) out.add(new RunJson.TokenJson(t, engine.text(t)));
        return JSON.valueToTree(out);
    }

    private static Set<ActivationPatching.Kind> kinds(JsonNode node) {
        if (node == null || node.isNull()) return EnumSet.allOf(ActivationPatching.Kind.class);
        if (!node.isArray() || node.isEmpty()) throw new BadRequestResponse("'kinds' must be a non-empty array of resid_pre, attn_out, mlp_out, heads");
        Set<ActivationPatching.Kind> kinds = EnumSet.noneOf(ActivationPatching.Kind.class);
        for (JsonNode k : node) {
            try {
                kinds.add(ActivationPatching.Kind.of(k.isTextual() ? k.asText() : String.valueOf(k)));
            } catch (IllegalArgumentException e) {
                throw new BadRequestResponse(e.getMessage());
            }
        }
        return kinds;
    }

    private static String prompt(JsonNode body, String field) {
        String text = required(body, field);
        if (text.isEmpty()) throw new BadRequestResponse("'" + field + "' is empty");
        if (text.length() > MAX_PROMPT_CHARS) throw new BadRequestResponse("'" + field + "' is over " + MAX_PROMPT_CHARS + " characters");
        return text;
    }

    private static String allowed(Set<String> fields) {
        return " (" + String.join(", ", fields.stream().sorted().toList()) + ")";
    }

    private static String required(JsonNode body, String field) {
        String value = JsonBody.text(body, field);
        if (value == null) throw new BadRequestResponse("'" + field + "' is required");
        return value;
    }
}

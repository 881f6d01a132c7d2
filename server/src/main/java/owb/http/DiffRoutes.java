package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ConflictResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import owb.diff.BehaviourDiff;
import owb.diff.DiffJson;
import owb.diff.FineTuneDiff;
import owb.diff.LowRank;
import owb.report.SpectrumChart;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Diffs over HTTP: {@code POST /api/diffs} starts a job (progress on the shared job endpoints);
 * its result is the document {@code owb diff --json} prints ({@link DiffJson}), with model ids for
 * names. The spectrum of one tensor's delta is read from a finished job's result, as JSON or as a
 * chart.
 */
final class DiffRoutes {

    /** Characters of a prompt accepted (the behavioural diff bounds its tokens separately). */
    static final int MAX_PROMPT_CHARS = 4096;
    private static final Set<String> FIELDS = Set.of("base", "derivative", "prompt");
    private static final List<String> SPECTRUM_KEYS = List.of("name", "status", "shape_base", "shape_derivative",
            "rel_change", "rank", "rank_is_lower_bound", "dominant_rank", "effective_rank", "stable_rank",
            "singular_values", "energy", "verdict", "note");
    private static final ObjectMapper JSON = ApiJson.mapper();

    private final ModelRegistry registry;
    private final JobRunner jobs;

    DiffRoutes(ModelRegistry registry, JobRunner jobs) {
        this.registry = registry;
        this.jobs = jobs;
    }

    void register(RoutesConfig routes) {
        routes.post("/api/diffs", this::start);
        routes.get("/api/diffs/{job_id}/tensors/{name}/spectrum", this::spectrum);
        routes.get("/api/diffs/{job_id}/tensors/{name}/spectrum.png", this::spectrumPng);
    }

    /** The body {@code {"base": ID, "derivative": ID, "prompt"?: TEXT}}. */
    record Request(String base, String derivative, String prompt) {
        static Request parse(String body) {
            JsonNode root = JsonBody.object(body, "{\"base\": ID, \"derivative\": ID, \"prompt\"?: TEXT}", FIELDS,
                    " (base, derivative, prompt)");
            String prompt = JsonBody.text(root, "prompt");
            if (prompt != null && prompt.isEmpty()) throw new BadRequestResponse("prompt is empty");
            if (prompt != null && prompt.length() > MAX_PROMPT_CHARS) {
                throw new BadRequestResponse("prompt is over " + MAX_PROMPT_CHARS + " characters");
            }
            return new Request(requiredText(root, "base"), requiredText(root, "derivative"), prompt);
        }

        private static String requiredText(JsonNode root, String field) {
            String value = JsonBody.text(root, field);
            if (value == null) throw new BadRequestResponse("'" + field + "' (a model id) is required");
            return value;
        }
    }

    private void start(Context ctx) throws IOException {
        Request request = Request.parse(ctx.body());
        String base = registry.model(request.base()).id();
        String derivative = registry.model(request.derivative()).id();
        List<String> prompts = request.prompt() == null ? List.of() : List.of(request.prompt());
        String key = "diff " + base + " " + derivative + " " + (request.prompt() == null ? "" : "prompt " + request.prompt());
        Job job = jobs.start(key, id -> Job.diff(id, base, derivative), running -> {
            try (CheckpointCache.Lease b = registry.open(base); CheckpointCache.Lease d = registry.open(derivative)) {
                // the behavioural checks (tokenizers, shapes, prompt length) before the long part
                BehaviourDiff.Models models = prompts.isEmpty() ? null
                        : BehaviourDiff.Models.load(b.checkpoint(), d.checkpoint());
                if (models != null) models.encode(prompts);
                FineTuneDiff.Report report = FineTuneDiff.run(b.checkpoint(), d.checkpoint(),
                        (tensors, total, bytesDone, bytesTotal, tensor) -> running.progress(bytesDone, bytesTotal, tensor));
                List<BehaviourDiff.Result> behaviours = List.of();
                if (models != null) {
                    Job.Status s = running.status();
                    running.progress(s.bytesDone(), s.bytesTotal(), "behaviour on the prompt");
                    behaviours = models.compare(prompts, BehaviourDiff.DEFAULT_MOVED);
                }
                return DiffJson.toTree(base, derivative, report, behaviours);
            }
        });
        ctx.status(HttpStatus.ACCEPTED).json(new ApiJson.JobCreated(job.id(), "running"));
    }

    /** {@code {name, status, shape_base, shape_derivative, rel_change, rank, ..., singular_values, energy, verdict}}. */
    private void spectrum(Context ctx) {
        JsonNode tensor = tensor(ctx);
        ObjectNode out = JSON.createObjectNode();
        for (String key : SPECTRUM_KEYS) {
            if (tensor.has(key)) out.set(key, tensor.get(key));
        }
        out.put("rank_tolerance", LowRank.RANK_TOLERANCE);
        ctx.json(out);
    }

    private void spectrumPng(Context ctx) {
        int width = ApiRoutes.chartPixels(ctx, "width", 640);
        int height = ApiRoutes.chartPixels(ctx, "height", 360);
        JsonNode tensor = tensor(ctx);
        JsonNode values = tensor.path("singular_values");
        double[] sigma = new double[values.size()];
        for (int i = 0; i < sigma.length; i++) sigma[i] = values.get(i).asDouble();
        if (sigma.length == 0 || !(sigma[0] > 0)) {
            throw new NotFoundResponse("tensor '" + tensor.get("name").asText() + "' has no spectrum ("
                    + tensor.path("verdict").asText() + (tensor.has("note") ? "; " + tensor.get("note").asText() : "") + ")");
        }
        String title = "Δ " + tensor.get("name").asText() + "  " + tensor.path("verdict").asText();
        ctx.contentType("image/png").result(SpectrumChart.png(title, sigma, LowRank.RANK_TOLERANCE * sigma[0], width, height));
    }

    /** One tensor of a finished diff job's result; 404 for an unknown job or name, 409 while it runs or after it failed. */
    private JsonNode tensor(Context ctx) {
        String jobId = ctx.pathParam("job_id");
        Job job;
        try {
            job = jobs.job(jobId);
        } catch (NotFoundResponse e) {
            throw new NotFoundResponse("no diff with id '" + jobId + "'");
        }
        if (job.kind() != Job.Kind.DIFF) throw new NotFoundResponse("no diff with id '" + jobId + "' (that job is an " + job.kind().label + ")");
        Job.Status status = job.status();
        if (status.state() == Job.State.RUNNING) throw new ConflictResponse("the diff is still running");
        if (status.state() == Job.State.FAILED) throw new ConflictResponse("the diff failed: " + status.error());
        String name = ctx.pathParam("name");
        for (JsonNode t : status.result().path("tensors")) {
            if (t.path("name").asText().equals(name)) return t;
        }
        throw new NotFoundResponse("the diff has no tensor '" + name + "'");
    }
}

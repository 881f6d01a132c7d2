package owb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentType;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import owb.model.Activation;
import owb.probe.AttentionSummary;
import owb.probe.PatternViews;
import owb.report.Npy;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The run endpoints: POST /api/runs makes a run (a forward pass with its activations kept), the
 * GETs under /api/runs/{run_id} read instruments from it. Handlers parse, call {@link RunService}
 * and serialise; see the README's "Runs" section for the documents.
 */
final class RunRoutes implements AutoCloseable {

    /** Concurrent forward passes and lens readings; each uses every core already. */
    static final int COMPUTE_PERMITS = 2;
    /** How long a request waits for a compute permit before it gets 503. */
    static final long COMPUTE_WAIT_MILLIS = 2_000;
    static final int MAX_ENGINES = 4;
    static final int MAX_RUNS = 256;
    static final int DEFAULT_TOP = 5;
    static final int DEFAULT_THUMBNAIL = 24;
    static final int MAX_THUMBNAIL = 64;
    static final int DEFAULT_PATTERN_MAX = 256;
    static final int MAX_PATTERN_MAX = 512;
    static final int MAX_TOP_KEYS = 64;

    private static final ObjectMapper JSON = ApiJson.mapper();
    private static final Set<String> REQUEST_FIELDS = Set.of("model", "prompt", "tokens", "top", "hooks");
    private static final Pattern HOOK_GLOB = Pattern.compile("[A-Za-z0-9_.*]{1,200}");

    private final RunService service;

    RunRoutes(RunService service) {
        this.service = service;
    }

    /** The routes over the registry's models, runs cached up to {@code runCacheBytes}. */
    static RunRoutes of(ModelRegistry registry, long runCacheBytes) {
        return new RunRoutes(new RunService(registry, ModelEngines.of(registry, MAX_ENGINES),
                new RunCache(runCacheBytes, MAX_RUNS), new ComputeGate(COMPUTE_PERMITS, COMPUTE_WAIT_MILLIS)));
    }

    RunService service() { return service; }

    void register(RoutesConfig routes) {
        routes.post("/api/runs", this::create);
        routes.get("/api/runs/{run_id}", ctx -> ctx.json(RunJson.document(run(ctx))));
        routes.get("/api/runs/{run_id}/lens", this::lens);
        routes.get("/api/runs/{run_id}/attention", this::attention);
        routes.get("/api/runs/{run_id}/attention/thumbnails", this::thumbnails);
        routes.get("/api/runs/{run_id}/attention/{layer}/{head}", this::pattern);
        routes.get("/api/runs/{run_id}/dla", this::dla);
        routes.get("/api/runs/{run_id}/hooks", ctx -> ctx.json(RunJson.hooks(run(ctx))));
        routes.get("/api/runs/{run_id}/hooks/{file}", this::npy);
    }

    private void create(Context ctx) throws IOException, InterruptedException {
        Run run = service.create(request(ctx.body()));
        ctx.status(HttpStatus.CREATED).header("Location", "/api/runs/" + run.id()).json(RunJson.document(run));
    }

    private void lens(Context ctx) throws IOException, InterruptedException {
        Run run = run(ctx);
        int top = intParam(ctx, "top", DEFAULT_TOP, 1, RunService.MAX_TOP);
        ctx.contentType(ContentType.APPLICATION_JSON).result(service.lensJson(run, top, ctx.queryParam("target")));
    }

    private void attention(Context ctx) {
        Run run = run(ctx);
        ctx.json(RunJson.attention(run, service.headScores(run)));
    }

    private void thumbnails(Context ctx) {
        Run run = run(ctx);
        int size = intParam(ctx, "size", DEFAULT_THUMBNAIL, 1, MAX_THUMBNAIL);
        List<List<double[][]>> layers = new ArrayList<>();
        for (int l = 0; l < run.nLayers(); l++) {
            List<double[][]> heads = new ArrayList<>();
            for (int h = 0; h < run.nHeads(); h++) {
                heads.add(RunJson.rounded(PatternViews.downsample(service.pattern(run, l, h), h, size)));
            }
            layers.add(heads);
        }
        ctx.json(new RunJson.Thumbnails(Math.min(size, run.positions()), run.positions(), run.nLayers(), run.nHeads(),
                layers));
    }

    private void pattern(Context ctx) {
        Run run = run(ctx);
        int layer = pathInt(ctx, "layer");
        int head = pathInt(ctx, "head");
        Activation pattern = service.pattern(run, layer, head);
        if (ctx.queryParam("top_k") != null) {
            if (ctx.queryParam("max") != null) throw new BadRequestResponse("give max or top_k, not both");
            int k = intParam(ctx, "top_k", 1, 1, MAX_TOP_KEYS);
            ctx.json(new RunJson.TopKeys(layer, head, run.positions(), AttentionSummary.topKeys(pattern, head, k)));
            return;
        }
        int max = intParam(ctx, "max", DEFAULT_PATTERN_MAX, 1, MAX_PATTERN_MAX);
        float[][] view = PatternViews.downsample(pattern, head, max);
        ctx.json(new RunJson.Pattern(layer, head, run.positions(), view.length, view));
    }

    private void dla(Context ctx) throws IOException {
        Run run = run(ctx);
        String target = ctx.queryParam("target");
        if (target == null) throw new BadRequestResponse("target is required: a token's text or #ID");
        int position = intParam(ctx, "position", run.positions() - 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        ctx.json(RunJson.dla(service.dla(run, target, ctx.queryParam("against"), position)));
    }

    private void npy(Context ctx) throws IOException {
        Run run = run(ctx);
        String file = ctx.pathParam("file");
        if (!file.endsWith(".npy")) {
            throw new NotFoundResponse("hooks are downloaded as NAME.npy, e.g. /api/runs/" + run.id()
                    + "/hooks/blocks.0.hook_resid_pre.npy");
        }
        String name = file.substring(0, file.length() - ".npy".length());
        Activation a = service.hook(run, name);
        ctx.contentType("application/octet-stream");
        ctx.header("Content-Disposition", "attachment; filename=\"" + name + ".npy\"");
        OutputStream out = ctx.outputStream();
        Npy.write(out, a.data(), a.shape());
        out.flush();
    }

    private Run run(Context ctx) {
        return service.run(ctx.pathParam("run_id"));
    }

    /** The POST body: {model, prompt | tokens, top?, hooks?}; anything else is a 400 with the reason. */
    static RunService.Request request(String body) {
        JsonNode root = JsonBody.object(body, "{\"model\": ID, \"prompt\": TEXT} or {\"model\": ID, \"tokens\": [IDS]}",
                REQUEST_FIELDS, "; a run takes model, prompt or tokens, top, hooks");
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual()) throw new BadRequestResponse("model is required: a model id from GET /api/models");
        JsonNode prompt = root.get("prompt");
        JsonNode tokens = root.get("tokens");
        if ((prompt == null) == (tokens == null)) throw new BadRequestResponse("give either prompt or tokens");
        String text = null;
        int[] ids = null;
        if (prompt != null) {
            if (!prompt.isTextual()) throw new BadRequestResponse("prompt must be a string");
            text = prompt.asText();
            if (text.isEmpty()) throw new BadRequestResponse("prompt is empty");
        } else {
            if (!tokens.isArray() || tokens.isEmpty()) throw new BadRequestResponse("tokens must be a non-empty array of token ids");
            ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = tokens.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                    throw new BadRequestResponse("tokens[" + i + "] is " + id + ", not a token id");
                }
                ids[i] = id.intValue();
            }
        }
        int top = DEFAULT_TOP;
        JsonNode topNode = root.get("top");
        if (topNode != null) {
            if (!topNode.isIntegralNumber() || !topNode.canConvertToInt() || topNode.intValue() < 1
                    || topNode.intValue() > RunService.MAX_TOP) {
                throw new BadRequestResponse("top must be an integer from 1 to " + RunService.MAX_TOP);
            }
            top = topNode.intValue();
        }
        List<String> hooks = new ArrayList<>();
        JsonNode hooksNode = root.get("hooks");
        if (hooksNode != null) {
            if (!hooksNode.isArray() || hooksNode.size() > RunService.MAX_EXTRA_HOOK_GLOBS) {
                throw new BadRequestResponse("hooks must be an array of at most " + RunService.MAX_EXTRA_HOOK_GLOBS
                        + " hook names or globs (e.g. [\"blocks.*.attn.hook_q\"], [\"*\"])");
            }
            for (JsonNode glob : hooksNode) {
                if (!glob.isTextual() || !HOOK_GLOB.matcher(glob.asText()).matches()) {
                    throw new BadRequestResponse("hooks: " + glob + " is not a hook name or glob (letters, digits, '_', '.', '*')");
                }
                hooks.add(glob.asText());
            }
        }
        return new RunService.Request(model.asText(), text, ids, top, List.copyOf(hooks));
    }

    /** An integer query parameter from min to max, the default when absent; 400 otherwise. */
    private static int intParam(Context ctx, String name, int fallback, int min, int max) {
        String value = ctx.queryParam(name);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // the same answer as an out-of-range number
        }
        throw new BadRequestResponse(min == Integer.MIN_VALUE ? name + " must be an integer"
                : name + " must be an integer from " + min + " to " + max);
    }

    private static int pathInt(Context ctx, String name) {
        try {
            return Integer.parseInt(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            throw new BadRequestResponse(name + " must be an integer, got '" + ctx.pathParam(name) + "'");
        }
    }

    @Override
    public void close() {
        service.close();
    }
}

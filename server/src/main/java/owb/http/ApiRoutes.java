package owb.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotAcceptableResponse;
import io.javalin.http.ServiceUnavailableResponse;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import owb.checkpoint.CheckpointException;
import owb.checkpoint.TensorEntry;
import owb.report.HistogramChart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;

/**
 * Every HTTP route of the API, declared in one place. Handlers parse, call and serialise; errors
 * become a JSON body {"error": "one line"} with a status code, never a stack trace.
 */
final class ApiRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(ApiRoutes.class);
    private static final ObjectMapper ERROR_JSON = ApiJson.mapper();
    static final long MAX_REQUEST_BYTES = 64 * 1024;
    private static final int MIN_CHART_PIXELS = 64;
    private static final int MAX_CHART_PIXELS = 4096;
    private static final int MAX_EVENT_STREAMS = 32;
    private static final long EVENT_HEARTBEAT_MILLIS = 15_000;
    private static final long EVENT_MIN_INTERVAL_MILLIS = 100;

    private final ModelRegistry registry;
    private final StatsService stats;
    private final JobRunner jobs;
    private final Semaphore eventStreams = new Semaphore(MAX_EVENT_STREAMS);

    ApiRoutes(ModelRegistry registry, StatsService stats, JobRunner jobs) {
        this.registry = registry;
        this.stats = stats;
        this.jobs = jobs;
    }

    void register(RoutesConfig routes) {
        // Request bodies are small JSON at most (POST /api/runs, /api/diffs); a larger one is refused up front.
        routes.before(ctx -> {
            if (ctx.contentLength() > MAX_REQUEST_BYTES) {
                throw new ContentTooLargeResponse("request body over " + MAX_REQUEST_BYTES + " bytes");
            }
        });
        routes.get("/api/health", ctx -> ctx.json(new ApiJson.Health("ok", OwbServer.VERSION)));
        routes.get("/api/models", this::listModels);
        routes.get("/api/models/{id}", this::modelSummary);
        routes.get("/api/models/{id}/tensors", this::listTensors);
        routes.get("/api/models/{id}/tensors/{name}", this::tensorStats);
        routes.get("/api/models/{id}/tensors/{name}/histogram.png", this::histogramPng);
        routes.post("/api/models/{id}/audit", this::startAudit);
        routes.get("/api/jobs/{job_id}", this::jobStatus);
        routes.get("/api/jobs/{job_id}/events", this::jobEvents);
        new TensorViewRoutes(registry, jobs).register(routes);
        new DiffRoutes(registry, jobs).register(routes);

        routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
        routes.exception(CheckpointException.class,
                (e, ctx) -> error(ctx, 422, registry.withoutRootPaths(e.getMessage())));
        routes.exception(NoSuchFileException.class,
                (e, ctx) -> error(ctx, 404, "a model file is gone from disk: " + Path.of(e.getFile()).getFileName()));
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, oneLine(e));
        });
    }

    /** An Error (out of memory, stack overflow) thrown by a handler: 500 with one line, like any other failure. */
    static void javaLangError(HttpServletResponse response, Error error) {
        LOG.error("request failed", error);
        try {
            response.setStatus(500);
            response.setContentType("application/json");
            response.getWriter().write(ERROR_JSON.writeValueAsString(new ApiJson.ApiError(oneLine(error))));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the client is gone; nothing more to tell it
        }
    }

    private void listModels(Context ctx) throws IOException {
        ctx.json(registry.models().stream().map(ApiJson::listing).toList());
    }

    private void modelSummary(Context ctx) throws IOException {
        ModelInfo model = registry.model(ctx.pathParam("id"));
        try (CheckpointCache.Lease lease = registry.open(model.id())) {
            List<ApiJson.FileListing> files = new ArrayList<>();
            for (Path f : lease.checkpoint().files()) {
                files.add(new ApiJson.FileListing(registry.relativeName(model, f), Files.size(f)));
            }
            ctx.json(ApiJson.summary(model, lease.checkpoint(), files));
        }
    }

    private void listTensors(Context ctx) throws IOException {
        try (CheckpointCache.Lease lease = registry.open(ctx.pathParam("id"))) {
            ctx.json(lease.checkpoint().tensors().stream().map(ApiJson::tensor).toList());
        }
    }

    private void tensorStats(Context ctx) throws IOException, InterruptedException {
        StatsService.TensorWithStats t = stats.stats(ctx.pathParam("id"), ctx.pathParam("name"));
        ctx.json(ApiJson.tensorStats(t.tensor(), t.stats()));
    }

    private void histogramPng(Context ctx) throws IOException, InterruptedException {
        int width = chartPixels(ctx, "width", 640);
        int height = chartPixels(ctx, "height", 360);
        StatsService.TensorWithStats t = stats.stats(ctx.pathParam("id"), ctx.pathParam("name"));
        TensorEntry tensor = t.tensor();
        String title = tensor.name() + "  " + tensor.dtype().label() + " " + tensor.shapeString();
        ctx.contentType("image/png").result(HistogramChart.png(title, t.stats().histogram(), width, height));
    }

    private void startAudit(Context ctx) throws IOException {
        ModelInfo model = registry.model(ctx.pathParam("id"));
        Job job = jobs.startAudit(model.id());
        ctx.status(HttpStatus.ACCEPTED).json(new ApiJson.JobCreated(job.id(), "running"));
    }

    private void jobStatus(Context ctx) {
        ctx.json(ApiJson.job(jobs.job(ctx.pathParam("job_id")).status(), true));
    }

    /**
     * Server-sent events: "progress" while the job runs, then one "done" or "failed", then the end.
     * A plain GET that hands over to Javalin's SseHandler (what routes.sse registers), so that an
     * unknown job or a wrong Accept header still gets a status code before the stream starts.
     */
    private void jobEvents(Context ctx) {
        Job job = jobs.job(ctx.pathParam("job_id"));
        String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            throw new NotAcceptableResponse("this is an event stream: send 'Accept: text/event-stream'");
        }
        if (!eventStreams.tryAcquire()) throw new ServiceUnavailableResponse("busy: too many event streams open");
        new SseHandler(client -> {
            try {
                streamJobEvents(client, job);
            } finally {
                eventStreams.release();
            }
        }).handle(ctx);
    }

    private static void streamJobEvents(SseClient client, Job job) {
        long seenVersion = -1;
        try {
            while (!client.terminated()) {
                Job.Status status = job.awaitChange(seenVersion, EVENT_HEARTBEAT_MILLIS);
                if (status.version() == seenVersion) {
                    client.sendComment("still running");
                    continue;
                }
                seenVersion = status.version();
                String event = status.finished() ? status.state().name().toLowerCase(Locale.ROOT) : "progress";
                client.sendEvent(event, ApiJson.job(status, false));
                if (status.finished()) break;
                Thread.sleep(EVENT_MIN_INTERVAL_MILLIS); // at most ~10 progress events a second
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.close();
        }
    }

    static int chartPixels(Context ctx, String param, int fallback) {
        String value = ctx.queryParam(param);
        if (value == null) return fallback;
        try {
            int pixels = Integer.parseInt(value);
            if (pixels >= MIN_CHART_PIXELS && pixels <= MAX_CHART_PIXELS) return pixels;
        } catch (NumberFormatException ignored) {
            // falls through to the same answer as an out-of-range number
        }
        throw new BadRequestResponse(param + " must be an integer from " + MIN_CHART_PIXELS + " to " + MAX_CHART_PIXELS);
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(new ApiJson.ApiError(message == null || message.isBlank()
                ? HttpStatus.forStatus(status).getMessage() : message));
    }

    /** An exception's message on one line, or its type when it has none. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("[\r\n]+", " ");
    }
}

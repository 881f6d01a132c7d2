package owb.http;

import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.javalin.util.JavalinBindException;
import org.eclipse.jetty.server.NetworkConnector;

import java.io.IOException;
import java.net.BindException;
import java.net.URLEncoder;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The workbench's HTTP server: the JSON API under /api and, when present, the static UI at /.
 * Start it with {@link #start}; {@link #close} stops it and unmaps every checkpoint.
 */
public final class OwbServer implements AutoCloseable {

    public static final String VERSION = "0.1.0";

    private static final int MAX_OPEN_CHECKPOINTS = 8;
    private static final int JOB_THREADS = 1; // an audit or a diff already reads whole checkpoints flat out

    private final Javalin app;
    private final ModelRegistry registry;
    private final JobRunner jobs;
    private final RunRoutes runs;
    private final boolean servesWebUi;

    private OwbServer(Javalin app, ModelRegistry registry, JobRunner jobs, RunRoutes runs, boolean servesWebUi) {
        this.app = app;
        this.registry = registry;
        this.jobs = jobs;
        this.runs = runs;
        this.servesWebUi = servesWebUi;
    }

    /** Discovers the models and starts serving; throws BindException when the port is taken. */
    public static OwbServer start(ServerOptions options) throws IOException {
        ModelRegistry registry = new ModelRegistry(options.modelRoots(), MAX_OPEN_CHECKPOINTS,
                options.cacheMegabytes() * 1024 * 1024);
        registry.models();
        JobRunner jobs = new JobRunner(registry, JOB_THREADS);
        StatsService stats = new StatsService(registry, Math.max(1, Runtime.getRuntime().availableProcessors()));
        ApiRoutes routes = new ApiRoutes(registry, stats, jobs);
        RunRoutes runs = RunRoutes.of(registry, options.runCacheMegabytes() * 1024 * 1024);
        boolean servesWebUi = options.webFolder() != null
                && Files.isRegularFile(options.webFolder().resolve("index.html"));
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.http.maxRequestSize = ApiRoutes.MAX_REQUEST_BYTES;
            config.jsonMapper(new JavalinJackson(ApiJson.mapper(), false));
            config.jetty.modifyServer(server -> server.setErrorHandler(new JettyJsonErrors()));
            config.router.javaLangErrorHandler(ApiRoutes::javaLangError);
            if (servesWebUi) {
                config.staticFiles.add(files -> {
                    files.hostedPath = "/";
                    files.directory = options.webFolder().toAbsolutePath().toString();
                    files.location = Location.EXTERNAL;
                });
            }
            routes.register(config.routes);
            runs.register(config.routes);
            new ProbeRoutes(registry, jobs, runs.service().engines(), options.probesFolder()).register(config.routes);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            runs.close();
            jobs.close();
            registry.close();
            if (e instanceof JavalinBindException) throw bindFailure(options, e);
            throw e;
        }
        return new OwbServer(app, registry, jobs, runs, servesWebUi);
    }

    /** Javalin reports every bind failure as "port in use"; the cause tells which it was. */
    private static BindException bindFailure(ServerOptions options, Exception e) {
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        String message = root.getMessage() == null ? "" : root.getMessage();
        if (root instanceof BindException && message.contains("in use")) {
            return new BindException("port " + options.port() + " is in use");
        }
        String why = root instanceof UnresolvedAddressException ? "unknown host"
                : message.isBlank() ? root.getClass().getSimpleName() : message;
        return new BindException("cannot listen on " + options.host() + ":" + options.port() + ": " + why);
    }

    /** The port actually bound (useful after asking for port 0). */
    public int port() { return app.port(); }

    /** The interface actually bound, as the connector reports it. */
    public String host() {
        return ((NetworkConnector) app.jettyServer().server().getConnectors()[0]).getHost();
    }

    public String url() {
        String host = host();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** Whether / serves the web UI (the web folder has an index.html). */
    public boolean servesWebUi() { return servesWebUi; }

    public List<Path> modelRoots() { return registry.roots(); }

    public int modelCount() throws IOException { return registry.models().size(); }

    public List<ModelInfo> models() throws IOException { return registry.models(); }

    /** Tensor names of a model in file order, URL-encoded as the API expects them in a path. */
    public List<String> tensorNames(String modelId) throws IOException {
        try (CheckpointCache.Lease lease = registry.open(modelId)) {
            return lease.checkpoint().tensors().stream()
                    .map(t -> URLEncoder.encode(t.name(), StandardCharsets.UTF_8).replace("+", "%20")).toList();
        }
    }

    /**
     * Runs two short prompts, their lens and attention summary, and an audit on the smallest model
     * that loads, on a daemon thread, and drops the results: the first prompt someone types then
     * finds the engine compiled (see {@link EngineWarmUp}). The thread is returned for tests to join.
     */
    public Thread warmUpInBackground() { return warmUpInBackground(EngineWarmUp.MAX_MODEL_BYTES); }

    /** The warm-up on models of at most {@code maxModelBytes} (for tests in this package). */
    Thread warmUpInBackground(long maxModelBytes) { return EngineWarmUp.start(registry, runs.service(), maxModelBytes); }

    /** The run endpoints' service (for tests in this package). */
    RunService runService() { return runs.service(); }

    @Override
    public void close() {
        app.stop();
        runs.close();
        jobs.close();
        registry.close();
    }
}

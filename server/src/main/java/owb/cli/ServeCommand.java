package owb.cli;

import owb.http.OwbServer;
import owb.http.ServerOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/** {@code owb serve}: the HTTP API and web UI over the models under some folders, until Ctrl-C. */
final class ServeCommand implements Command, ArgsSpec {

    @Override public String name() { return "serve"; }

    @Override public String summary() { return "serve the web UI and JSON API over local models"; }

    @Override
    public String usage() {
        return """
                usage: owb serve [--port 7070] [--host 127.0.0.1] [--models DIR]... [--cache-mb N]
                                 [--run-cache-mb N] [--no-warm-up]

                Serves the workbench on http://HOST:PORT until Ctrl-C. Only files under the model
                folders are opened; models are named by the ids GET /api/models lists.

                  --port N       TCP port (default 7070; 0 picks a free one)
                  --host ADDR    interface to bind (default 127.0.0.1, this machine only)
                  --models DIR   a folder to find models in (.gguf files, safetensors folders,
                                 Hugging Face cache models--ORG--NAME folders); repeatable.
                                 Default: samples/models and the Hugging Face cache, when present
                  --cache-mb N   keep opened checkpoints memory-mapped up to N MB in total
                                 (default 16384)
                  --run-cache-mb N  keep the activations of runs (POST /api/runs) up to N MB in
                                 total, least recently used out (default 512); a single run
                                 larger than that is refused
                  --no-warm-up   do not run a short prompt on the first model at start-up (it
                                 gets the engine compiled before the first request: a fresh
                                 process runs it several times slower)
                """;
    }

    @Override public Set<String> flags() { return Set.of("no-warm-up"); }

    @Override public Set<String> valued() { return Set.of("port", "host", "models", "cache-mb", "run-cache-mb"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positionals().isEmpty()) throw new UsageException("unexpected argument '" + args.positionals().getFirst() + "'");
        List<Path> roots = new ArrayList<>();
        for (String dir : args.all("models")) {
            Path root = Path.of(dir);
            if (!Files.isDirectory(root)) throw new UsageException("--models " + dir + ": no such folder");
            roots.add(root);
        }
        if (roots.isEmpty()) roots = defaultModelRoots();
        ServerOptions options = serverOptions(args, roots);
        if (!options.host().equals(ServerOptions.LOOPBACK)) {
            err.println("warning: binding " + options.host() + ": anyone who can reach this machine on port "
                    + options.port() + " can read the models under " + describe(roots));
        }
        try (OwbServer server = OwbServer.start(options)) {
            int models = server.modelCount();
            out.println("owb: serving " + models + (models == 1 ? " model" : " models") + " from " + describe(roots)
                    + " on " + server.url());
            if (server.servesWebUi()) out.println("owb: web UI at " + server.url() + "/ (open it in a browser)");
            out.flush();
            if (!args.flag("no-warm-up")) server.warmUpInBackground();
            untilInterrupted(server);
        }
        return 0;
    }

    /** Options common to serve and demo: port, host, cache size; the web UI under owb.root when there. */
    static ServerOptions serverOptions(Args args, List<Path> roots) {
        int port = args.intOption("port", ServerOptions.DEFAULT_PORT);
        if (port < 0 || port > 65_535) throw new UsageException("--port must be 0 to 65535, got " + port);
        int cacheMb = args.intOption("cache-mb", (int) ServerOptions.DEFAULT_CACHE_MEGABYTES);
        if (cacheMb < 1) throw new UsageException("--cache-mb must be at least 1");
        int runCacheMb = args.intOption("run-cache-mb", (int) ServerOptions.DEFAULT_RUN_CACHE_MEGABYTES);
        if (runCacheMb < 1) throw new UsageException("--run-cache-mb must be at least 1");
        String host = args.option("host", ServerOptions.LOOPBACK);
        return new ServerOptions(host, port, roots, repoRoot().map(r -> r.resolve("web")).orElse(null), cacheMb,
                runCacheMb, repoRoot().map(r -> r.resolve("probes")).orElse(null));
    }

    /** Blocks until the JVM is asked to exit (Ctrl-C, SIGTERM), then stops the server. */
    static void untilInterrupted(OwbServer server) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "owb-shutdown"));
        stopped.await();
    }

    static String describe(List<Path> roots) {
        return roots.isEmpty() ? "(no model folders)" : roots.stream().map(Path::toString).collect(Collectors.joining(", "));
    }

    /** The checkout the launcher runs from (system property owb.root), when known. */
    static java.util.Optional<Path> repoRoot() {
        String root = System.getProperty("owb.root");
        return root == null || root.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(Path.of(root));
    }

    /**
     * samples/models of the checkout and the Hugging Face hub cache ($HF_HUB_CACHE, else
     * $HF_HOME/hub, else ~/.cache/huggingface/hub), those that exist.
     */
    static List<Path> defaultModelRoots() throws IOException {
        List<Path> roots = new ArrayList<>();
        repoRoot().map(r -> r.resolve("samples/models")).filter(Files::isDirectory).ifPresent(roots::add);
        String hubCache = System.getenv("HF_HUB_CACHE");
        String hfHome = System.getenv("HF_HOME");
        Path hub = hubCache != null ? Path.of(hubCache)
                : hfHome != null ? Path.of(hfHome, "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        if (Files.isDirectory(hub)) roots.add(hub);
        return roots;
    }
}

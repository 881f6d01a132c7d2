package owb.http;

import java.nio.file.Path;
import java.util.List;

/**
 * How to run the server.
 *
 * @param host        interface to bind; 127.0.0.1 unless the user asks otherwise
 * @param port        TCP port, 0 for any free one
 * @param modelRoots  the only folders whose files the server opens
 * @param webFolder   the static UI to serve at /, or null
 * @param cacheMegabytes summed size of the checkpoint files kept open (memory-mapped) at most
 * @param runCacheMegabytes summed size of the activations the runs of /api/runs keep, at most
 * @param probesFolder the probe suites /api/probes lists and runs, or null
 */
public record ServerOptions(String host, int port, List<Path> modelRoots, Path webFolder, long cacheMegabytes,
                            long runCacheMegabytes, Path probesFolder) {

    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_PORT = 7070;
    public static final long DEFAULT_CACHE_MEGABYTES = 16_384;
    public static final long DEFAULT_RUN_CACHE_MEGABYTES = 512;

    public ServerOptions {
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        if (cacheMegabytes < 1) throw new IllegalArgumentException("cache size must be at least 1 MB");
        if (runCacheMegabytes < 1) throw new IllegalArgumentException("run cache size must be at least 1 MB");
        modelRoots = List.copyOf(modelRoots);
    }

    /** Without probe suites. */
    public ServerOptions(String host, int port, List<Path> modelRoots, Path webFolder, long cacheMegabytes,
                         long runCacheMegabytes) {
        this(host, port, modelRoots, webFolder, cacheMegabytes, runCacheMegabytes, null);
    }

    /** With the default run cache. */
    public ServerOptions(String host, int port, List<Path> modelRoots, Path webFolder, long cacheMegabytes) {
        this(host, port, modelRoots, webFolder, cacheMegabytes, DEFAULT_RUN_CACHE_MEGABYTES);
    }

    /** The same options with another run cache size. */
    public ServerOptions withRunCacheMegabytes(long megabytes) {
        return new ServerOptions(host, port, modelRoots, webFolder, cacheMegabytes, megabytes, probesFolder);
    }

    /** The same options with the probe suites of a folder. */
    public ServerOptions withProbesFolder(Path folder) {
        return new ServerOptions(host, port, modelRoots, webFolder, cacheMegabytes, runCacheMegabytes, folder);
    }

    /** Loopback on an ephemeral port, no UI: what tests use. */
    public static ServerOptions local(List<Path> modelRoots) {
        return new ServerOptions(LOOPBACK, 0, modelRoots, null, DEFAULT_CACHE_MEGABYTES);
    }
}

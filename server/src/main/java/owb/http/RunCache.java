package owb.http;

import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.NotFoundResponse;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The runs the API serves, bounded in the bytes of their activations and in count, least recently
 * used out. A run that is being read when it leaves stays readable by that request (it is an
 * ordinary object), so at worst the bound is exceeded by the runs requests still hold.
 */
final class RunCache {

    private final long maxBytes;
    private final int maxRuns;
    private final LinkedHashMap<String, Run> runs = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private long bytes;

    RunCache(long maxBytes, int maxRuns) {
        if (maxBytes < 1 || maxRuns < 1) throw new IllegalArgumentException("a run cache needs room for one run");
        this.maxBytes = maxBytes;
        this.maxRuns = maxRuns;
    }

    long maxBytes() { return maxBytes; }

    /** Refuses (413) a run of {@code runBytes} that could never be cached. */
    void requireRoomFor(long runBytes) {
        if (runBytes > maxBytes) {
            throw new ContentTooLargeResponse("this run needs " + mib(runBytes) + " of activations, more than the run"
                    + " cache holds (" + mib(maxBytes) + ", owb serve --run-cache-mb); use fewer tokens or hooks");
        }
    }

    /** Adds a run, dropping the least recently used ones until it fits. */
    synchronized void put(Run run) {
        requireRoomFor(run.bytes());
        Run previous = runs.put(run.id(), run);
        if (previous != null) bytes -= previous.bytes();
        bytes += run.bytes();
        Iterator<Run> it = runs.values().iterator();
        while ((bytes > maxBytes || runs.size() > maxRuns) && it.hasNext()) {
            Run oldest = it.next();
            if (oldest == run) continue;
            it.remove();
            bytes -= oldest.bytes();
        }
    }

    /** The run with this id (now the most recently used), or 404. */
    synchronized Run get(String id) {
        Run run = runs.get(id);
        if (run == null) {
            throw new NotFoundResponse("no run with id '" + id + "' (runs are kept while they fit in the run cache;"
                    + " an evicted run must be created again)");
        }
        return run;
    }

    synchronized boolean contains(String id) { return runs.containsKey(id); }

    synchronized long bytes() { return bytes; }

    synchronized int size() { return runs.size(); }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}

package owb.http;

import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.NotFoundResponse;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The runs the API serves, bounded in the bytes of their activations and in count, least recently
 * used out. A run that is being read when it leaves stays readable by that request (it is an
 * ordinary object), so at worst the bound is exceeded by the runs requests still hold.
 *
 * <p>Results computed from a run (a lens reading's JSON, over a second to compute for
 * 128 tokens on SmolLM2) can be kept with it: they count in the same byte bound, leave with their
 * run, and within one run the least recently used leaves first when the run alone is over the bound.
 */
final class RunCache {

    private final long maxBytes;
    private final int maxRuns;
    private final LinkedHashMap<String, Run> runs = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    /** Run id -> key -> a result computed from that run, each map in LRU order. */
    private final Map<String, LinkedHashMap<String, byte[]>> derived = new HashMap<>();
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
        if (previous != null) bytes -= previous.bytes() + dropDerived(previous.id());
        bytes += run.bytes();
        evictAllBut(run);
    }

    /** What {@link #keep} kept under this key for the run (the run is now the most recently used), or null. */
    synchronized byte[] derived(String runId, String key) {
        LinkedHashMap<String, byte[]> kept = derived.get(runId);
        byte[] value = kept == null ? null : kept.get(key);
        if (value != null) runs.get(runId);
        return value;
    }

    /**
     * Keeps a result computed from a run with it, counted in the byte bound: other runs leave
     * first, least recently used first, then this run's older results. Nothing is kept for a run
     * that has left meanwhile, or a result that cannot fit beside its run.
     */
    synchronized void keep(String runId, String key, byte[] value) {
        Run run = runs.get(runId);
        if (run == null || run.bytes() + value.length > maxBytes) return;
        byte[] previous = derived.computeIfAbsent(runId, id -> new LinkedHashMap<>(4, 0.75f, true)).put(key, value);
        if (previous != null) bytes -= previous.length;
        bytes += value.length;
        evictAllBut(run);
        Iterator<byte[]> own = derived.get(runId).values().iterator();
        while (bytes > maxBytes && own.hasNext()) {
            byte[] oldest = own.next();
            if (oldest == value) continue;
            own.remove();
            bytes -= oldest.length;
        }
    }

    /** Forgets a run and what was kept with it (nothing happens for an unknown id). */
    synchronized void remove(String id) {
        Run run = runs.remove(id);
        if (run != null) bytes -= run.bytes() + dropDerived(id);
    }

    /** Drops the least recently used runs other than {@code keep} while over the bounds. */
    private void evictAllBut(Run keep) {
        Iterator<Run> it = runs.values().iterator();
        while ((bytes > maxBytes || runs.size() > maxRuns) && it.hasNext()) {
            Run oldest = it.next();
            if (oldest == keep) continue;
            it.remove();
            bytes -= oldest.bytes() + dropDerived(oldest.id());
        }
    }

    /** Forgets a run's derived results; returns their bytes. */
    private long dropDerived(String runId) {
        LinkedHashMap<String, byte[]> kept = derived.remove(runId);
        long freed = 0;
        if (kept != null) for (byte[] v : kept.values()) freed += v.length;
        return freed;
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

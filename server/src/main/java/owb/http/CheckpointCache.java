package owb.http;

import owb.checkpoint.Checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Opened checkpoints kept for reuse, least recently used first out. A checkpoint is closed (its
 * files unmapped) only once it has left the cache and no {@link Lease} on it is still open, so a
 * request never reads a tensor whose mapping went away under it.
 */
final class CheckpointCache implements AutoCloseable {

    interface Opener {
        Checkpoint open() throws IOException;
    }

    /** A checkpoint in use by one caller; close it when done. */
    static final class Lease implements AutoCloseable {
        private final CheckpointCache cache;
        private final Slot slot;
        private boolean released;

        private Lease(CheckpointCache cache, Slot slot) {
            this.cache = cache;
            this.slot = slot;
        }

        Checkpoint checkpoint() { return slot.checkpoint; }

        @Override
        public void close() {
            if (released) return;
            released = true;
            cache.release(slot);
        }
    }

    private static final class Slot {
        final Checkpoint checkpoint;
        final long mappedBytes;
        int users;
        boolean cached = true;

        Slot(Checkpoint checkpoint, long mappedBytes) {
            this.checkpoint = checkpoint;
            this.mappedBytes = mappedBytes;
        }
    }

    private final int maxCount;
    private final long maxMappedBytes;
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private long mappedBytes;

    /**
     * @param maxCount       checkpoints kept open at most (at least one, the one in use, always is)
     * @param maxMappedBytes bound on the summed size of the files kept mapped
     */
    CheckpointCache(int maxCount, long maxMappedBytes) {
        if (maxCount < 1) throw new IllegalArgumentException("maxCount must be at least 1");
        this.maxCount = maxCount;
        this.maxMappedBytes = maxMappedBytes;
    }

    /**
     * The cached checkpoint for key, or a new one from opener. Opening runs outside the lock so a
     * slow open does not hold up other models; when two callers race, the loser's copy is closed.
     */
    Lease acquire(String key, Opener opener, long mappedBytesIfOpened) throws IOException {
        synchronized (this) {
            Slot slot = slots.get(key);
            if (slot != null) {
                slot.users++;
                return new Lease(this, slot);
            }
        }
        Checkpoint opened = opener.open();
        Checkpoint duplicate = null;
        List<Checkpoint> evicted;
        Lease lease;
        synchronized (this) {
            Slot slot = slots.get(key);
            if (slot != null) {
                duplicate = opened;
            } else {
                slot = new Slot(opened, mappedBytesIfOpened);
                slots.put(key, slot);
                mappedBytes += slot.mappedBytes;
            }
            slot.users++;
            lease = new Lease(this, slot);
            evicted = evictIdleBeyondBounds();
        }
        if (duplicate != null) duplicate.close();
        evicted.forEach(Checkpoint::close);
        return lease;
    }

    /** Number of checkpoints currently cached (for tests and diagnostics). */
    synchronized int size() { return slots.size(); }

    private void release(Slot slot) {
        Checkpoint toClose = null;
        List<Checkpoint> evicted;
        synchronized (this) {
            slot.users--;
            if (slot.users == 0 && !slot.cached) toClose = slot.checkpoint;
            evicted = evictIdleBeyondBounds();
        }
        if (toClose != null) toClose.close();
        evicted.forEach(Checkpoint::close);
    }

    /** Drops idle slots, oldest first, while over a bound; the newest slot always stays. */
    private List<Checkpoint> evictIdleBeyondBounds() {
        List<Checkpoint> evicted = new ArrayList<>();
        Iterator<Slot> it = slots.values().iterator();
        int remaining = slots.size();
        while (it.hasNext() && remaining > 1 && (slots.size() > maxCount || mappedBytes > maxMappedBytes)) {
            Slot slot = it.next();
            remaining--;
            if (slot.users > 0) continue;
            it.remove();
            slot.cached = false;
            mappedBytes -= slot.mappedBytes;
            evicted.add(slot.checkpoint);
        }
        return evicted;
    }

    /** Drops every cached checkpoint; those still leased close when their last lease does. */
    @Override
    public void close() {
        List<Checkpoint> idle = new ArrayList<>();
        synchronized (this) {
            for (Slot slot : slots.values()) {
                slot.cached = false;
                if (slot.users == 0) idle.add(slot.checkpoint);
            }
            slots.clear();
            mappedBytes = 0;
        }
        idle.forEach(Checkpoint::close);
    }
}

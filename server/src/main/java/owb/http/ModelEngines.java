package owb.http;

import io.javalin.http.UnprocessableContentResponse;
import owb.model.LanguageModel;
import owb.model.ModelException;
import owb.model.ModelLoader;
import owb.tokenizer.CheckpointTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Loaded models (forward pass and tokenizer) kept for reuse, a bounded number, least recently used
 * out. A model is loaded on first use, once however many requests ask for it at the same time, and
 * outside the lock, so loading one model never holds up requests for another. An engine is closed
 * (its checkpoint lease returned, so the checkpoint cache may unmap the files) only once it has left
 * this cache and no {@link Use} of it is still open: a forward pass never loses its weights.
 */
final class ModelEngines implements AutoCloseable {

    /** Loads the engine of a model; the engine owns what it must close. */
    interface Loader {
        ModelEngine load(String modelId) throws IOException;
    }

    /** An engine in use by one caller; close it when done. */
    final class Use implements AutoCloseable {
        private final Slot slot;
        private final ModelEngine engine;
        private boolean released;

        private Use(Slot slot, ModelEngine engine) {
            this.slot = slot;
            this.engine = engine;
        }

        ModelEngine engine() { return engine; }

        @Override
        public void close() {
            synchronized (this) {
                if (released) return;
                released = true;
            }
            release(slot);
        }
    }

    private static final class Slot {
        final CompletableFuture<ModelEngine> loading = new CompletableFuture<>();
        int users;
        boolean cached = true;
    }

    private final int maxEngines;
    private final Loader loader;
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(8, 0.75f, true); // LRU order

    ModelEngines(int maxEngines, Loader loader) {
        if (maxEngines < 1) throw new IllegalArgumentException("maxEngines must be at least 1");
        this.maxEngines = maxEngines;
        this.loader = loader;
    }

    /** Engines from the registry's checkpoints, each holding a lease on its checkpoint. */
    static ModelEngines of(ModelRegistry registry, int maxEngines) {
        return new ModelEngines(maxEngines, id -> load(registry, id));
    }

    private static ModelEngine load(ModelRegistry registry, String modelId) throws IOException {
        ModelInfo info = registry.model(modelId);
        CheckpointCache.Lease lease = registry.open(modelId);
        try {
            LanguageModel model = ModelLoader.load(lease.checkpoint());
            CheckpointTokenizer t = CheckpointTokenizer.of(lease.checkpoint(), info.root());
            String problem = t.reason() == null ? null : registry.withoutRootPaths(t.reason());
            return new ModelEngine(modelId, model, t.tokenizer(), problem, lease);
        } catch (ModelException e) {
            lease.close();
            throw new UnprocessableContentResponse("model '" + modelId + "' cannot be run: "
                    + registry.withoutRootPaths(ApiRoutes.oneLine(e)));
        } catch (RuntimeException | Error e) {
            lease.close();
            throw e;
        }
    }

    /** The engine of a model, loaded now if it is not cached; close the use when done. */
    Use acquire(String modelId) throws IOException {
        Slot slot;
        boolean loadHere;
        synchronized (this) {
            slot = slots.get(modelId);
            loadHere = slot == null;
            if (loadHere) {
                slot = new Slot();
                slots.put(modelId, slot);
            }
            slot.users++;
        }
        if (loadHere) {
            try {
                slot.loading.complete(loader.load(modelId));
            } catch (IOException | RuntimeException | Error e) {
                slot.loading.completeExceptionally(e);
            }
        }
        ModelEngine engine;
        try {
            engine = slot.loading.join();
        } catch (CompletionException e) {
            synchronized (this) {
                slot.users--;
                slots.remove(modelId, slot);   // a failed load is not remembered: the next request tries again
            }
            throw rethrow(e.getCause());
        }
        List<ModelEngine> evicted;
        synchronized (this) {
            evicted = evictIdleBeyondBound();
        }
        evicted.forEach(ModelEngine::close);
        return new Use(slot, engine);
    }

    /** Number of engines cached, loaded or loading (for tests and diagnostics). */
    synchronized int size() { return slots.size(); }

    private void release(Slot slot) {
        ModelEngine toClose = null;
        List<ModelEngine> evicted;
        synchronized (this) {
            slot.users--;
            if (slot.users == 0 && !slot.cached) toClose = slot.loading.join();
            evicted = evictIdleBeyondBound();
        }
        if (toClose != null) toClose.close();
        evicted.forEach(ModelEngine::close);
    }

    /** Drops idle loaded engines, least recently used first, while more than the bound are cached. */
    private List<ModelEngine> evictIdleBeyondBound() {
        List<ModelEngine> evicted = new ArrayList<>();
        Iterator<Slot> it = slots.values().iterator();
        while (slots.size() > maxEngines && it.hasNext()) {
            Slot slot = it.next();
            if (slot.users > 0 || !slot.loading.isDone() || slot.loading.isCompletedExceptionally()) continue;
            it.remove();
            slot.cached = false;
            evicted.add(slot.loading.join());
        }
        return evicted;
    }

    /** Drops every engine; those in use close when their last use does. */
    @Override
    public void close() {
        List<ModelEngine> idle = new ArrayList<>();
        synchronized (this) {
            for (Slot slot : slots.values()) {
                slot.cached = false;
                if (slot.users == 0 && slot.loading.isDone() && !slot.loading.isCompletedExceptionally()) {
                    idle.add(slot.loading.join());
                }
            }
            slots.clear();
        }
        idle.forEach(ModelEngine::close);
    }

    private static RuntimeException rethrow(Throwable cause) throws IOException {
        if (cause instanceof IOException e) throw e;
        if (cause instanceof RuntimeException e) throw e;
        if (cause instanceof Error e) throw e;
        throw new UncheckedIOException(new IOException(cause));
    }
}

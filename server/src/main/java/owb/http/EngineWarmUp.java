package owb.http;

import java.util.Comparator;
import java.util.List;

import owb.audit.AuditProgress;
import owb.audit.Auditor;

/**
 * Makes the engine's code hot before anyone asks: on a daemon thread, two short runs on the smallest
 * model (of at most {@link #MAX_MODEL_BYTES}) that loads as a language model, their logit lens and
 * attention summary, through the same {@link RunService} calls the endpoints make, then an audit of
 * that model; the runs and the audit are dropped afterwards. A fresh JVM runs the
 * Vector API kernels a thousand times slower until C2 has compiled them, which made the first prompt
 * typed into the web UI take about 2 s on SmolLM2 (a run 1.2-1.5 s, its lens 0.5 s) against 0.45 s
 * for the next one. The warm-up takes one of the compute gate's permits while it runs, so a request
 * arriving meanwhile still gets the other. Failures are ignored: a model that does not load is the
 * user's to see, with its error, when they ask for it.
 */
final class EngineWarmUp {
    /**
     * Prompt lengths run, as token ids 1, 2, ... (a checkpoint without a tokenizer runs them too): a
     * short prompt's products take the dot-product path of {@link owb.tensor.MatMul}, from 32 tokens
     * on they take the outer-product one.
     */
    static final int[] LENGTHS = {12, 48};
    /** Encoded once beside, to get the tokenizer's own code compiled where there is one. */
    static final String PROMPT = "The capital of France is Paris. The capital of Italy is";
    /** Models tried, smallest first, before giving up. */
    private static final int MODELS_TRIED = 3;
    /**
     * Larger models are not warmed up on: every model shares the kernels (its dtype's decoding
     * aside), and two prompts and an audit of a 7B model would keep the cores busy for a minute.
     */
    static final long MAX_MODEL_BYTES = 1L << 30;

    private EngineWarmUp() {}

    /** Starts the warm-up thread on models of at most {@code maxModelBytes}; its result is only what it leaves compiled. */
    static Thread start(ModelRegistry registry, RunService runs, long maxModelBytes) {
        return Thread.ofPlatform().daemon().name("owb-engine-warm-up").start(() -> warm(registry, runs, maxModelBytes));
    }

    private static void warm(ModelRegistry registry, RunService runs, long maxModelBytes) {
        List<ModelInfo> models;
        try {
            models = registry.models();
        } catch (Exception e) {
            return;
        }
        List<ModelInfo> candidates = models.stream().filter(m -> m.sizeBytes() <= maxModelBytes)
                .sorted(Comparator.comparingLong(ModelInfo::sizeBytes)).limit(MODELS_TRIED).toList();
        for (ModelInfo model : candidates) {
            try {
                for (int length : LENGTHS) runAndRead(runs, model, length);
                encodePrompt(runs, model);
                audit(registry, model);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                // not a language model, or not one this build reads: try the next
            }
        }
    }

    private static void runAndRead(RunService runs, ModelInfo model, int length) throws Exception {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) tokens[i] = i + 1;
        Run run = runs.create(new RunService.Request(model.id(), null, tokens, 5, List.of()));
        try {
            runs.lensJson(run, 5, null);
            runs.headScores(run);
        } finally {
            runs.runs().remove(run.id());
        }
    }

    /** An audit of the model, thrown away: its kernels and their warm-up are the audit's own. */
    private static void audit(ModelRegistry registry, ModelInfo model) throws Exception {
        try (CheckpointCache.Lease lease = registry.open(model.id())) {
            Auditor.audit(lease.checkpoint(), AuditProgress.NONE);
        }
    }

    private static void encodePrompt(RunService runs, ModelInfo model) throws Exception {
        try (ModelEngines.Use use = runs.engines().acquire(model.id())) {
            use.engine().encode(PROMPT);
        } catch (RuntimeException noTokenizer) {
            // a checkpoint without one runs on token ids alone
        }
    }
}

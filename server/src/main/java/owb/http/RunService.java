package owb.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.UnprocessableContentResponse;
import owb.model.Activation;
import owb.model.HookFn;
import owb.model.Hooks;
import owb.model.ModelConfig;
import owb.model.ModelException;
import owb.probe.AttentionSummary;
import owb.probe.DirectLogitAttribution;
import owb.probe.LogitLens;
import owb.probe.NextTokens;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs: a forward pass over a prompt with the activations the instruments read captured, kept in
 * a {@link RunCache}; and the instruments read from a kept run (logit lens, attention, direct logit
 * attribution). Models come from {@link ModelEngines}; forward passes and lens readings pass
 * through a {@link ComputeGate}.
 *
 * <p>What a run captures: everything the lens, the attention views and DLA read, plus the rest of
 * the residual stream's decomposition, so that a notebook has TransformerLens' accumulated and
 * decomposed residual stream without asking ({@link #INSTRUMENT_HOOKS}). Per token and layer that
 * is 5·d_model + n_heads·d_head floats and a pattern row per head: on SmolLM2 about 0.42 MB a token
 * plus the patterns (36·n bytes a token and layer), some 70 MB for 128 tokens. A request may add
 * hook globs ({@code "hooks": ["*"]} captures every hook point, about 3x as much on short prompts).
 */
final class RunService implements AutoCloseable {

    /** Tokens one run may have. */
    static final int MAX_TOKENS = 1024;
    /** Tokens listed per position in predictions and lens cells, at most. */
    static final int MAX_TOP = 50;
    static final int MAX_EXTRA_HOOK_GLOBS = 32;

    static final List<String> INSTRUMENT_HOOKS = List.of("hook_embed", "hook_pos_embed",
            "blocks.*.hook_resid_pre", "blocks.*.hook_resid_mid", "blocks.*.hook_resid_post",
            "blocks.*.hook_attn_out", "blocks.*.hook_mlp_out", "blocks.*.attn.hook_z", "blocks.*.attn.hook_pattern",
            "ln_final.hook_scale");

    private static final ObjectMapper JSON = ApiJson.mapper();

    /**
     * What to run.
     *
     * @param prompt text, or null when {@code tokens} are given
     * @param hooks  hook-name globs to capture beyond {@link #INSTRUMENT_HOOKS}
     */
    record Request(String model, String prompt, int[] tokens, int top, List<String> hooks) {}

    private final ModelRegistry registry;
    private final ModelEngines engines;
    private final RunCache runs;
    private final ComputeGate gate;
    private final AtomicLong lensReadings = new AtomicLong();
    /** Lens readings under way, by run and parameters: identical requests share one. */
    private final ConcurrentHashMap<String, CompletableFuture<byte[]>> lensInFlight = new ConcurrentHashMap<>();

    RunService(ModelRegistry registry, ModelEngines engines, RunCache runs, ComputeGate gate) {
        this.registry = registry;
        this.engines = engines;
        this.runs = runs;
        this.gate = gate;
    }

    RunCache runs() { return runs; }

    ComputeGate gate() { return gate; }

    /** The loaded models, shared with the probe jobs. */
    ModelEngines engines() { return engines; }

    /** Runs the model on the request's tokens and keeps the run. */
    Run create(Request request) throws IOException, InterruptedException {
        registry.model(request.model());
        try (ModelEngines.Use use = engines.acquire(request.model())) {
            ModelEngine engine = use.engine();
            ModelConfig cfg = engine.config();
            int[] tokens = request.prompt() != null ? engine.encode(request.prompt()) : request.tokens();
            if (tokens.length > MAX_TOKENS) {
                throw new ContentTooLargeResponse(tokens.length + " tokens; a run takes at most " + MAX_TOKENS);
            }
            for (int id : tokens) {
                if (id < 0 || id >= cfg.dVocab()) {
                    throw new BadRequestResponse("token id " + id + " is outside the vocabulary (0.." + (cfg.dVocab() - 1) + ")");
                }
            }
            runs.requireRoomFor(instrumentBytes(cfg, tokens.length));

            Set<String> globs = new LinkedHashSet<>(INSTRUMENT_HOOKS);
            globs.addAll(request.hooks());
            Hooks hooks = new Hooks();
            HookFn budget = budget(runs.maxBytes());
            for (String glob : globs) hooks.intervene(glob, budget).capture(glob);
            float[] logits;
            try (ComputeGate.Permit permit = gate.enter("run")) {
                logits = engine.model().forward(tokens, hooks);                       // [n, d_vocab]
            } catch (ModelException e) {
                throw new UnprocessableContentResponse(registry.withoutRootPaths(ApiRoutes.oneLine(e)));
            }
            for (String glob : request.hooks()) {
                if (hooks.cache().names().stream().noneMatch(name -> Hooks.matches(glob, name))) {
                    throw new BadRequestResponse("hooks: '" + glob + "' matches no hook point of this model"
                            + " (e.g. blocks.0.attn.hook_q, blocks.*.mlp.hook_post, *)");
                }
            }
            List<String> texts = new ArrayList<>(tokens.length);
            for (int id : tokens) texts.add(engine.text(id));
            Run run = new Run(UUID.randomUUID().toString(), request.model(), tokens.clone(), List.copyOf(texts),
                    cfg.nLayers(), cfg.nHeads(), cfg.dModel(), request.top(),
                    NextTokens.top(logits, tokens.length, cfg.dVocab(), request.top(), engine::text),
                    hooks.cache(), Run.bytesOf(hooks.cache()));
            runs.put(run);
            return run;
        }
    }

    Run run(String runId) { return runs.get(runId); }

    /** The lens and the target it was read for (null without one). */
    record Lens(ModelEngine.Target target, LogitLens.Result result) {}

    /**
     * The lens document ({@link RunJson#lens}) as JSON, read once per (run, top, target) and kept
     * with the run in the run cache, so that asking again (the UI switching colour modes, a reload)
     * costs nothing. Identical requests that arrive while it is being read wait for that reading
     * instead of starting their own (a reading takes seconds on a long prompt).
     */
    byte[] lensJson(Run run, int top, String targetSpec) throws IOException, InterruptedException {
        String key = "lens top=" + top + (targetSpec == null ? "" : " target=" + targetSpec);
        byte[] kept = runs.derived(run.id(), key);
        if (kept != null) return kept;
        String flightKey = run.id() + " " + key;
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> running = lensInFlight.putIfAbsent(flightKey, mine);
        if (running != null) return awaitReading(running);
        try {
            kept = runs.derived(run.id(), key);   // a reading that ended between the first look and now
            byte[] json = kept != null ? kept : JSON.writeValueAsBytes(RunJson.lens(run, lens(run, top, targetSpec)));
            if (kept == null) runs.keep(run.id(), key, json);
            mine.complete(json);
            return json;
        } catch (Throwable t) {
            mine.completeExceptionally(t);
            throw t;
        } finally {
            lensInFlight.remove(flightKey, mine);
        }
    }

    /** The result of another request's lens reading, or its failure as that request saw it. */
    private static byte[] awaitReading(CompletableFuture<byte[]> reading) throws IOException, InterruptedException {
        try {
            return reading.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case InterruptedException interrupted -> throw interrupted;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** Lens readings computed so far (not those served from the run cache): for tests. */
    long lensReadings() { return lensReadings.get(); }

    Lens lens(Run run, int top, String targetSpec) throws IOException, InterruptedException {
        lensReadings.incrementAndGet();
        try (ModelEngines.Use use = engines.acquire(run.modelId())) {
            ModelEngine engine = use.engine();
            ModelEngine.Target target = targetSpec == null ? null : engine.target(targetSpec, "target");
            try (ComputeGate.Permit permit = gate.enter("lens")) {
                return new Lens(target, LogitLens.read(engine.model(), run.activations(), run.positions(), top,
                        target == null ? OptionalInt.empty() : OptionalInt.of(target.id()), engine::text));
            }
        }
    }

    /** Direct logit attribution and the tokens it was read for ({@code against} null without one). */
    record Dla(ModelEngine.Target target, ModelEngine.Target against, DirectLogitAttribution.Result result) {}

    Dla dla(Run run, String targetSpec, String againstSpec, int position) throws IOException {
        if (position < 0 || position >= run.positions()) {
            throw new BadRequestResponse("position " + position + " is outside the run's positions 0.." + (run.positions() - 1));
        }
        try (ModelEngines.Use use = engines.acquire(run.modelId())) {
            ModelEngine engine = use.engine();
            ModelEngine.Target target = engine.target(targetSpec, "target");
            ModelEngine.Target against = againstSpec == null ? null : engine.target(againstSpec, "against");
            return new Dla(target, against, DirectLogitAttribution.read(engine.model(), run.activations(),
                    run.positions(), position, target.id(),
                    against == null ? OptionalInt.empty() : OptionalInt.of(against.id())));
        }
    }

    /** Every head's scores (entropy, sink, previous-token, duplicate-token, induction). */
    List<AttentionSummary.HeadScores> headScores(Run run) {
        return AttentionSummary.read(run.activations(), run.nLayers(), run.tokens()).heads();
    }

    /** The pattern [head, q, k] of a layer, checking layer and head against the run (404 outside). */
    Activation pattern(Run run, int layer, int head) {
        if (layer < 0 || layer >= run.nLayers()) {
            throw new NotFoundResponse("no layer " + layer + ": the run's model has layers 0.." + (run.nLayers() - 1));
        }
        if (head < 0 || head >= run.nHeads()) {
            throw new NotFoundResponse("no head " + head + ": the run's model has heads 0.." + (run.nHeads() - 1));
        }
        return run.activation("blocks." + layer + ".attn.hook_pattern");
    }

    /** A captured activation by hook name, or 404. */
    Activation hook(Run run, String name) {
        return run.activations().find(name).orElseThrow(() -> new NotFoundResponse("the run captured no hook '" + name
                + "' (GET /api/runs/" + run.id() + "/hooks lists them; add globs as \"hooks\" when creating a run)"));
    }

    /**
     * Bytes {@link #INSTRUMENT_HOOKS} capture for n tokens: refused before running when over the
     * cache's bound (extra hooks are counted while the pass runs, see {@link #budget}).
     */
    static long instrumentBytes(ModelConfig cfg, int n) {
        long d = cfg.dModel();
        long perLayer = 5 * n * d + (long) n * cfg.nHeads() * cfg.dHead() + (long) cfg.nHeads() * n * n;
        long outside = n * d + (cfg.family() == ModelConfig.Family.GPT2 ? n * d : 0) + n;
        return Float.BYTES * (cfg.nLayers() * perLayer + outside);
    }

    /** Counts the bytes captured so far and stops the pass (413) once they pass {@code maxBytes}. */
    private static HookFn budget(long maxBytes) {
        Set<String> counted = new HashSet<>();
        long[] total = {0};
        return (name, activation) -> {
            if (!counted.add(name)) return;
            total[0] += (long) activation.size() * Float.BYTES;
            if (total[0] > maxBytes) {
                throw new ContentTooLargeResponse("this run's activations pass " + RunCache.mib(maxBytes) + " at "
                        + name + ", more than the run cache holds (owb serve --run-cache-mb); use fewer tokens or hooks");
            }
        };
    }

    @Override
    public void close() {
        engines.close();
    }
}

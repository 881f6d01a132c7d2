package owb.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.ConflictResponse;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import io.javalin.http.UnprocessableContentResponse;
import owb.checkpoint.TensorEntry;
import owb.diff.LowRank;
import owb.diff.TensorView;
import owb.report.AuditHtmlReport;
import owb.report.TensorHeatmap;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * What the web UI shows of one tensor beyond its statistics: a downsampled heatmap, the top of
 * its singular-value spectrum, and a finished audit as a self-contained HTML page.
 */
final class TensorViewRoutes {

    private static final int MIN_HEATMAP = 8;
    private static final int MAX_HEATMAP = 1024;
    private static final int DEFAULT_HEATMAP = 256;
    private static final int MAX_SPECTRUM_K = 256;
    /**
     * Largest matrix whose spectrum is computed: twice the diff's bound (LowRank.MAX_ELEMENTS), so
     * that a 49152 × 576 token embedding fits; its floats take 128 MiB while the SVD runs.
     */
    static final long MAX_SPECTRUM_ELEMENTS = 2 * LowRank.MAX_ELEMENTS;
    private static final int MAX_CACHED_SPECTRA = 256;
    private static final long WAIT_FOR_PERMIT_SECONDS = 30;

    record Spectrum(String name, long[] shape, double[] singularValues, double[] energy, int rank,
                    double effectiveRank, double stableRank, boolean exact) {}

    private final ModelRegistry registry;
    private final JobRunner jobs;
    /** Heatmaps and spectra read whole tensors; a couple at a time is what the machine affords. */
    private final Semaphore readers = new Semaphore(2);
    private final Map<String, Spectrum> spectra = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Spectrum> eldest) {
            return size() > MAX_CACHED_SPECTRA;
        }
    };

    TensorViewRoutes(ModelRegistry registry, JobRunner jobs) {
        this.registry = registry;
        this.jobs = jobs;
    }

    void register(RoutesConfig routes) {
        routes.get("/api/models/{id}/tensors/{name}/heatmap.png", this::heatmap);
        routes.get("/api/models/{id}/tensors/{name}/spectrum", this::spectrum);
        routes.get("/api/models/{id}/audit-report.html", this::auditReport);
    }

    private void heatmap(Context ctx) throws IOException, InterruptedException {
        int size = intParam(ctx, "size", DEFAULT_HEATMAP, MIN_HEATMAP, MAX_HEATMAP);
        String modeName = ctx.queryParam("mode");
        TensorHeatmap.Mode mode = switch (modeName == null ? "abs" : modeName) {
            case "abs" -> TensorHeatmap.Mode.ABS;
            case "signed" -> TensorHeatmap.Mode.SIGNED;
            default -> throw new BadRequestResponse("mode must be 'abs' or 'signed'");
        };
        try (CheckpointCache.Lease lease = registry.open(ctx.pathParam("id"))) {
            TensorEntry tensor = tensor(lease, ctx);
            TensorHeatmap map = bounded(() -> TensorHeatmap.of(tensor, size, mode));
            ctx.header("X-Block-Rows", Long.toString(map.blockRows()))
                    .header("X-Block-Cols", Long.toString(map.blockCols()))
                    .contentType("image/png").result(map.png(mode));
        } catch (IllegalArgumentException e) {
            throw new UnprocessableContentResponse(e.getMessage());
        }
    }

    private void spectrum(Context ctx) throws IOException, InterruptedException {
        int k = intParam(ctx, "k", LowRank.DEFAULT_K, 1, MAX_SPECTRUM_K);
        String modelId = ctx.pathParam("id");
        try (CheckpointCache.Lease lease = registry.open(modelId)) {
            TensorEntry tensor = tensor(lease, ctx);
            if (tensor.rank() < 2) {
                throw new UnprocessableContentResponse("tensor '" + tensor.name() + "' has rank " + tensor.rank()
                        + ": a spectrum needs a matrix (rank 2 or more)");
            }
            if (tensor.numel() > MAX_SPECTRUM_ELEMENTS) {
                throw new UnprocessableContentResponse("tensor '" + tensor.name() + "' has " + tensor.numel()
                        + " elements, more than the " + MAX_SPECTRUM_ELEMENTS + " a spectrum is computed for");
            }
            String key = modelId + '\n' + tensor.name() + '\n' + k;
            Spectrum spectrum;
            synchronized (spectra) {
                spectrum = spectra.get(key);
            }
            if (spectrum == null) {
                spectrum = bounded(() -> spectrumOf(tensor, k));
                synchronized (spectra) {
                    spectra.put(key, spectrum);
                }
            }
            ctx.json(spectrum);
        }
    }

    /** Rows as the file stores them: singular values do not change under a row permutation. */
    private static Spectrum spectrumOf(TensorEntry tensor, int k) {
        TensorView view = TensorView.of(tensor);
        int rows = (int) view.rows(), cols = (int) view.rowLength();
        float[] values = new float[(int) tensor.numel()];
        view.read(0, values.length, values, 0);
        for (int i = 0; i < values.length; i++) if (!Float.isFinite(values[i])) values[i] = 0;
        LowRank low = LowRank.of(values, rows, cols, k, LowRank.OVERSAMPLING, LowRank.POWER_ITERATIONS, 0L);
        return new Spectrum(tensor.name(), tensor.shape(), low.singularValues(), low.energy(), low.rank(),
                low.effectiveRank(), low.stableRank(), low.exact());
    }

    private void auditReport(Context ctx) throws IOException {
        ModelInfo model = registry.model(ctx.pathParam("id"));
        String jobId = ctx.queryParam("job");
        if (jobId == null || jobId.isBlank()) throw new BadRequestResponse("give the finished audit as ?job=JOB_ID");
        Job.Status status = jobs.job(jobId).status();
        if (status.kind() != Job.Kind.AUDIT || !model.id().equals(status.modelId())) {
            throw new NotFoundResponse("job '" + jobId + "' is not an audit of model '" + model.id() + "'");
        }
        switch (status.state()) {
            case RUNNING -> throw new ConflictResponse("audit '" + jobId + "' is still running");
            case FAILED -> throw new UnprocessableContentResponse("audit '" + jobId + "' failed: " + status.error());
            case DONE -> {
                String html = AuditHtmlReport.render(model.name(), status.result());
                String file = model.name().replaceAll("[^A-Za-z0-9._-]+", "_") + "-audit.html";
                if (ctx.queryParam("download") != null) {
                    ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
                }
                ctx.contentType("text/html; charset=utf-8").result(html);
            }
        }
    }

    private static TensorEntry tensor(CheckpointCache.Lease lease, Context ctx) {
        String name = ctx.pathParam("name");
        return lease.checkpoint().tensor(name).orElseThrow(() ->
                new NotFoundResponse("model '" + ctx.pathParam("id") + "' has no tensor '" + name + "'"));
    }

    private interface Work<T> {
        T run();
    }

    private <T> T bounded(Work<T> work) throws InterruptedException {
        if (!readers.tryAcquire(WAIT_FOR_PERMIT_SECONDS, TimeUnit.SECONDS)) {
            throw new ServiceUnavailableResponse("busy: too many heatmaps or spectra being computed, try again");
        }
        try {
            return work.run();
        } finally {
            readers.release();
        }
    }

    private static int intParam(Context ctx, String param, int fallback, int min, int max) {
        String value = ctx.queryParam(param);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the same answer as an out-of-range number
        }
        throw new BadRequestResponse(param + " must be an integer from " + min + " to " + max);
    }
}

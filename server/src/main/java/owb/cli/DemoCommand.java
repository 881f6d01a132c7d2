package owb.cli;

import owb.checkpoint.CheckpointException;
import owb.http.ModelInfo;
import owb.http.OwbServer;
import owb.http.ServerOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code owb demo}: the workbench on the bundled sample models (the launcher fetches SmolLM2 into
 * samples/models first), with the URLs to try printed, until Ctrl-C.
 */
final class DemoCommand implements Command, ArgsSpec {

    @Override public String name() { return "demo"; }

    @Override public String summary() { return "the workbench on the sample model, with URLs to try"; }

    @Override
    public String usage() {
        return """
                usage: owb demo [--port 7070] [--no-warm-up]

                Serves samples/models on http://127.0.0.1:PORT and prints API calls to try, until
                Ctrl-C: SmolLM2-135M-Instruct (Q4_1 GGUF, fetched on first use) and its sample
                fine-tune (samples/models/smollm2-finetune/, known edits, written on first use).
                A short prompt runs on the first model at start-up, so that the engine is compiled
                before the first request (--no-warm-up skips it).
                """;
    }

    @Override public Set<String> flags() { return Set.of("no-warm-up"); }

    @Override public Set<String> valued() { return Set.of("port"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positionals().isEmpty()) throw new UsageException("unexpected argument '" + args.positionals().getFirst() + "'");
        Path samples = ServeCommand.repoRoot().map(r -> r.resolve("samples/models"))
                .orElseThrow(() -> new UsageException("owb demo runs from the ./owb launcher (system property owb.root is not set)"));
        if (!Files.isDirectory(samples)) {
            throw new UsageException(samples + " does not exist; run ./owb demo (it fetches the sample model first)");
        }
        ServerOptions options = ServeCommand.serverOptions(args, List.of(samples));
        try (OwbServer server = OwbServer.start(options)) {
            out.print(guide(server, server.models()));
            out.flush();
            if (!args.flag("no-warm-up")) server.warmUpInBackground();
            ServeCommand.untilInterrupted(server);
        }
        return 0;
    }

    static String guide(OwbServer server, List<ModelInfo> models) throws IOException {
        String url = server.url();
        StringBuilder sb = new StringBuilder();
        sb.append("owb demo: serving ").append(models.size()).append(models.size() == 1 ? " sample model" : " sample models")
                .append(" on ").append(url).append('\n');
        if (server.servesWebUi()) sb.append("  web UI: ").append(url).append("/\n");
        sb.append("\n  # the models\n  curl ").append(url).append("/api/models\n");
        for (ModelInfo m : models) {
            String api = url + "/api/models/" + m.id();
            sb.append("\n  # ").append(m.name()).append(" (").append(m.format()).append(")\n");
            String tensor;
            try {
                tensor = server.tensorNames(m.id()).stream().findFirst().orElse("TENSOR");
            } catch (CheckpointException e) {
                sb.append("  # cannot open it: ").append(e.getMessage()).append('\n');
                continue;
            }
            sb.append("  # summary, tensors, one tensor's statistics and histogram\n");
            sb.append("  curl ").append(api).append('\n');
            sb.append("  curl ").append(api).append("/tensors\n");
            sb.append("  curl ").append(api).append("/tensors/").append(tensor).append('\n');
            sb.append("  curl -o histogram.png ").append(api).append("/tensors/").append(tensor).append("/histogram.png\n");
            sb.append("  # a full audit: start it (answers a job_id), watch its progress, read the report\n");
            sb.append("  curl -X POST ").append(api).append("/audit\n");
            sb.append("  curl -N -H 'Accept: text/event-stream' ").append(url).append("/api/jobs/JOB_ID/events\n");
            sb.append("  curl ").append(url).append("/api/jobs/JOB_ID\n");
        }
        sb.append("\nCtrl-C stops the server.\n");
        return sb.toString();
    }
}

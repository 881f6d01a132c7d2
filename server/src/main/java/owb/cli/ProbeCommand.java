package owb.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;


import owb.json.JsonText;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.ProbeReport;
import owb.probe.ProbeRunner;
import owb.probe.ProbeSuite;
import owb.tensor.KernelWarmUp;

/** {@code owb probe}: runs a probe suite from probes/ (or a file) on a model and reports what it found. */
final class ProbeCommand implements Command, ArgsSpec {

    @Override public String name() { return "probe"; }

    @Override public String summary() { return "run a probe suite (logit lens, induction, patching, linear probe) on a model"; }

    @Override
    public String usage() {
        return """
                usage: owb probe SUITE --model MODEL [--json] [--out FILE]
                       owb probe --list

                Runs a declarative probe suite: SUITE is a .json file or the name of one in probes/
                (factual-recall, induction, ioi-patching, truth-probe). Prints a readable report, and
                whether the model shows what the suite expects.

                  --model MODEL  a model file or folder, as for owb run
                  --json         the report as one JSON document instead of text
                  --out FILE     also write the JSON report to FILE
                  --list         the suites in probes/ with their instrument and description
                """;
    }

    @Override public Set<String> flags() { return Set.of("json", "list"); }

    @Override public Set<String> valued() { return Set.of("model", "out"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path probes = Path.of(System.getProperty("owb.root", ".")).resolve("probes");
        if (args.flag("list")) {
            if (!args.positionals().isEmpty() || args.option("model", null) != null) throw new UsageException("--list takes no suite or model");
            for (ProbeSuite s : ProbeSuite.list(probes)) {
                out.printf("%-16s %-13s %s%n", s.name(), s.spec().instrument().key(), s.description());
            }
            return 0;
        }
        // compiles the engine's kernels while the model is opened (not for --list); some suites read
        // their prompts through the logit lens
        KernelWarmUp.start(KernelWarmUp.MANY_ROWS);
        String suiteName = args.onePositional("SUITE (a probe suite file or name)");
        String model = args.option("model", null);
        if (model == null) throw new UsageException("--model is required");
        ProbeSuite suite = ProbeSuite.load(ProbeSuite.resolve(suiteName, probes));
        Path modelPath = Path.of(model);
        boolean terminal = System.console() != null;
        try (Checkpoint checkpoint = Checkpoints.open(modelPath)) {
            LanguageModel lm = ModelLoader.load(checkpoint);
            RunCommand.TokenizerOrReason tokenizer = RunCommand.tokenizer(checkpoint);
            if (tokenizer.tokenizer() == null) err.println("warning: " + tokenizer.reason() + "; suites need token ids");
            ProbeRunner runner = new ProbeRunner(lm, tokenizer.tokenizer(), line -> {
                if (terminal) err.print("\r" + line + "   ");
            });
            ProbeReport report = runner.run(suite, modelPath.toString());
            if (terminal) err.print("\r" + " ".repeat(60) + "\r");
            if (args.flag("json")) {
                out.println(JsonText.pretty(report.toJson()));
            } else {
                out.print(report.text());
            }
            String file = args.option("out", null);
            if (file != null) {
                Path target = Path.of(file);
                if (target.toAbsolutePath().getParent() != null) Files.createDirectories(target.toAbsolutePath().getParent());
                Files.writeString(target, JsonText.pretty(report.toJson()));
                err.println("owb probe: report written to " + target);
            }
        }
        return 0;
    }
}

package owb.cli;

import java.io.PrintStream;

/** STUB: replaced by the bench work. */
final class BenchCommand implements Command {
    @Override public String name() { return "bench"; }
    @Override public String summary() { return "(not built yet)"; }
    @Override public String usage() { return "usage: owb bench\n"; }
    @Override public int run(Args args, PrintStream out, PrintStream err) {
        err.println("error: owb bench is not built yet");
        return 2;
    }
}

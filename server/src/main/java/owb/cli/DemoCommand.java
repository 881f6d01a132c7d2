package owb.cli;

import java.io.PrintStream;

/** STUB: replaced by the demo work. */
final class DemoCommand implements Command {
    @Override public String name() { return "demo"; }
    @Override public String summary() { return "(not built yet)"; }
    @Override public String usage() { return "usage: owb demo\n"; }
    @Override public int run(Args args, PrintStream out, PrintStream err) {
        err.println("error: owb demo is not built yet");
        return 2;
    }
}

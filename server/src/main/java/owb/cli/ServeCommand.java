package owb.cli;

import java.io.PrintStream;

/** STUB: replaced by the serve work. */
final class ServeCommand implements Command {
    @Override public String name() { return "serve"; }
    @Override public String summary() { return "(not built yet)"; }
    @Override public String usage() { return "usage: owb serve\n"; }
    @Override public int run(Args args, PrintStream out, PrintStream err) {
        err.println("error: owb serve is not built yet");
        return 2;
    }
}

package owb.cli;

import java.io.PrintStream;

/** STUB: replaced by the audit work. */
final class AuditCommand implements Command {
    @Override public String name() { return "audit"; }
    @Override public String summary() { return "(not built yet)"; }
    @Override public String usage() { return "usage: owb audit\n"; }
    @Override public int run(Args args, PrintStream out, PrintStream err) {
        err.println("error: owb audit is not built yet");
        return 2;
    }
}

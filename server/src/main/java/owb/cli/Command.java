package owb.cli;

import java.io.PrintStream;

/** One subcommand of {@code owb}. Returns the process exit code. */
interface Command {
    String name();

    /** One line for {@code owb --help}. */
    String summary();

    /** Full usage, printed for {@code owb NAME --help} and on a usage error. */
    String usage();

    int run(Args args, PrintStream out, PrintStream err) throws Exception;
}

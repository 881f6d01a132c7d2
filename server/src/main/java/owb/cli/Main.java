package owb.cli;

import owb.checkpoint.CheckpointException;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code owb COMMAND ...}: the entry point. Bad input of any kind ends in one line on stderr
 * starting with {@code error:} and exit code 2; never a stack trace.
 */
public final class Main {

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        for (Command c : List.of(new AuditCommand(), new ServeCommand(), new DemoCommand(),
                new BenchCommand(), new RunCommand(), new LensCommand(), new AttentionCommand(),
                new DiffCommand(), new ProbeCommand())) {
            COMMANDS.put(c.name(), c);
        }
    }

    public static void main(String[] argv) {
        int status = run(argv, System.out, System.err);
        // halt, not exit: System.exit looks up a System.Logger to log the call, which scans every jar on
        // the class path for a logging service, 20 ms at the end of every one-shot command. There are no
        // shutdown hooks to skip: serve's own hook has run by the time its run returns.
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(help());
            return argv.length == 0 ? 2 : 0;
        }
        Command command = COMMANDS.get(argv[0]);
        if (command == null) {
            err.println("error: unknown command '" + argv[0] + "' (owb --help lists them)");
            return 2;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            out.print(command.usage());
            return 0;
        }
        try {
            return command.run(new ArgsSource(rest).args(command), out, err);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.print(command.usage());
            return 2;
        } catch (CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            err.println("error: " + e.getFile() + ": no such file or folder");
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println("error: " + oneLine(e));
            return 2;
        } catch (OutOfMemoryError e) {
            err.println("error: out of memory: " + e.getMessage());
            return 2;
        } catch (Exception | StackOverflowError e) {
            err.println("error: " + oneLine(e));
            return 2;
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }

    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("owb: Open Weights Workbench\n\nusage: owb COMMAND [options]   (owb COMMAND --help for details)\n\ncommands:\n");
        for (Command c : COMMANDS.values()) {
            sb.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        }
        sb.append("  %-10s %s%n".formatted("test", "run every test (handled by the ./owb launcher)"));
        return sb.toString();
    }

    /** Lets each command declare its own options; see {@link ArgsSpec}. */
    private record ArgsSource(List<String> argv) {
        Args args(Command c) {
            if (c instanceof ArgsSpec spec) return Args.parse(argv, spec.flags(), spec.valued());
            return Args.parse(argv, java.util.Set.of(), java.util.Set.of());
        }
    }
}

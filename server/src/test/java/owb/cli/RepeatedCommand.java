package owb.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Runs one owb command N times in this JVM and prints the last run's standard output: by the last
 * of many runs the kernels are compiled, so its output is the warm process's answer.
 * {@code java ... owb.cli.RepeatedCommand N COMMAND ARGS...}
 */
public final class RepeatedCommand {
    public static void main(String[] args) {
        int times = Integer.parseInt(args[0]);
        String[] command = Arrays.copyOfRange(args, 1, args.length);
        String last = "";
        for (int i = 0; i < times; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int status = Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            if (status != 0) System.exit(status);
            last = out.toString(StandardCharsets.UTF_8);
        }
        System.out.print(last);
    }
}

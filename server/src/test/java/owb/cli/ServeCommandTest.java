package owb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import owb.http.OwbServer;
import owb.http.ServerOptions;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServeCommandTest {

    @TempDir
    Path root;

    @Test
    void aTakenPortIsOneLineAndExitCode2() throws Exception {
        try (OwbServer taken = OwbServer.start(ServerOptions.local(List.of(root)))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = Main.run(new String[]{"serve", "--models", root.toString(), "--port", "" + taken.port()},
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, code);
            assertEquals("error: port " + taken.port() + " is in use\n", err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aMissingModelFolderIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"serve", "--models", root.resolve("nope").toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("error: --models " + root.resolve("nope") + ": no such folder",
                err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
    }
}

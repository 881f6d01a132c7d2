package owb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.testing.GgufFixtures;

/**
 * The same command on the same input prints the same bytes in a cold process as in a warm one.
 * Vector API code runs lane by lane in the interpreter and as SIMD instructions once compiled; sums
 * across lanes and library exponentials then differ in the last bit, so the first forward pass or
 * lens of a process used to differ from later ones. Here one JVM runs the command once with
 * {@code -Xint} (nothing compiled), another runs it many times (the kernels compiled) and prints
 * the last output; the two must be equal, character for character.
 */
class ReproducibleOutputTest {
    private static final String TOKENS = "500,483,367,52,402,17,5,260";
    private static final int WARM_RUNS = 150;

    @TempDir Path tmp;

    @Test
    void forwardPassPredictionsAreTheSameInterpretedAndCompiled() throws Exception {
        String[] command = {"run", GgufFixtures.tinyModel("llama").toString(), "--tokens", TOKENS, "--top", "8", "--json"};
        assertSameColdAndWarm(command);
    }

    @Test
    void quantizedForwardPassIsTheSameInterpretedAndCompiled() throws Exception {
        Path q41 = GgufFixtures.tinyModel("llama").resolve("model-q4_1.gguf");
        assertSameColdAndWarm("run", q41.toString(), "--tokens", TOKENS, "--top", "8", "--json");
    }

    @Test
    void logitLensIsTheSameInterpretedAndCompiled() throws Exception {
        assertSameColdAndWarm("lens", GgufFixtures.tinyModel("llama").toString(), "--tokens", TOKENS, "--top", "5",
                "--target", "#17", "--json");
    }

    private void assertSameColdAndWarm(String... command) throws Exception {
        String cold = run(List.of("-Xint"), 1, command);
        String warm = run(List.of(), WARM_RUNS, command);
        assertTrue(cold.startsWith("{"), cold);
        assertEquals(cold, warm, "interpreted and compiled runs print different bytes");
    }

    /** Standard output of {@link RepeatedCommand} in a fresh JVM with {@code flags}. */
    private String run(List<String> flags, int times, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RepeatedCommand.class.getName(),
                Integer.toString(times)));
        cmd.addAll(List.of(command));
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the command did not finish");
        assertEquals(0, p.exitValue(), Files.readString(err));
        return new String(out, StandardCharsets.UTF_8);
    }
}

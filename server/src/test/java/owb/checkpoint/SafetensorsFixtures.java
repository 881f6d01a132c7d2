package owb.checkpoint;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The generated safetensors fixtures (samples/make_safetensors_fixtures.py): from the folder the
 * {@code owb.fixtures} property names, as CI sets it; otherwise generated once into target/ with
 * the {@code owb.python} interpreter (or the repo's .venv); otherwise the test is skipped.
 */
final class SafetensorsFixtures {
    private static final String SCRIPT = "samples/make_safetensors_fixtures.py";
    private static Path root;

    private SafetensorsFixtures() {}

    /** OUTDIR/safetensors. */
    static synchronized Path root() {
        if (root != null) return root;
        String given = System.getProperty("owb.fixtures");
        if (given != null && Files.isDirectory(Path.of(given, "safetensors"))) {
            root = Path.of(given, "safetensors");
        } else {
            root = generate().resolve("safetensors");
        }
        return root;
    }

    static Path everyDtype() { return root().resolve("every_dtype.safetensors"); }

    static Path sharded() { return root().resolve("sharded"); }

    static Path hfFolder() { return root().resolve("hf_folder"); }

    static Path hubRepo() { return root().resolve("hub").resolve("models--test--tiny"); }

    /** The repository root (where samples/ is), or a skipped test. */
    static Path repo() {
        Path repo = Path.of("").toAbsolutePath();
        while (repo != null && !Files.exists(repo.resolve(SCRIPT))) repo = repo.getParent();
        Assumptions.assumeTrue(repo != null, SCRIPT + " not found above " + Path.of("").toAbsolutePath());
        return repo;
    }

    /** The Python with the reference packages: owb.python, else the repo's .venv, else a skipped test. */
    static String python() {
        String python = System.getProperty("owb.python");
        Path venv = repo().resolve(".venv/bin/python");
        if (python == null && Files.isExecutable(venv)) python = venv.toString();
        Assumptions.assumeTrue(python != null, "no owb.python (run samples/test-all.sh)");
        return python;
    }

    private static Path generate() {
        Path repo = repo();
        String python = python();
        Path out = repo.resolve("server/target/test-fixtures");
        try {
            Process p = new ProcessBuilder(python, repo.resolve(SCRIPT).toString(), out.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            Assumptions.assumeTrue(done && p.exitValue() == 0, "generating safetensors fixtures failed");
        } catch (IOException | InterruptedException e) {
            Assumptions.abort("cannot run " + python + ": " + e);
        }
        return out;
    }
}

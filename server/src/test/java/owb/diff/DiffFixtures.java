package owb.diff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import owb.testing.GgufFixtures;

/** The base/fine-tune pair of samples/make_diff_fixtures.py: {@code ${owb.fixtures}/diff/}. */
public final class DiffFixtures {
    private DiffFixtures() {}

    public static synchronized Path folder() {
        String property = System.getProperty("owb.fixtures");
        Path root = property != null ? Path.of(property) : GgufFixtures.repoRoot().resolve("samples/generated");
        Path folder = root.resolve("diff");
        if (!Files.isRegularFile(folder.resolve("derivative.q8_0.gguf"))
                || !Files.isRegularFile(folder.resolve("expected.json"))) {
            GgufFixtures.run(List.of(GgufFixtures.python(), "samples/make_diff_fixtures.py", root.toString()));
        }
        return folder;
    }

    public static JsonNode expected() throws IOException {
        return JsonMapper.builder().build().readTree(folder().resolve("expected.json").toFile());
    }
}

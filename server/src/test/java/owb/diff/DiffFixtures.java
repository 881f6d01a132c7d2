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
        Path root = GgufFixtures.generatedRoot();
        Path folder = root.resolve("diff");
        if (!Files.isRegularFile(folder.resolve("derivative.q8_0.gguf"))
                || !Files.isRegularFile(folder.resolve("expected.json"))
                || !Files.isRegularFile(folder.resolve("base/tokenizer.json"))) {
            GgufFixtures.run(List.of(GgufFixtures.python(), "samples/make_diff_fixtures.py", root.toString()));
        }
        return folder;
    }

    /** A tiny model fixture folder (samples/fixtures/models/README.md), generated when missing. */
    public static Path tinyModel(String name) { return GgufFixtures.tinyModel(name); }

    /**
     * A copy of a model folder in {@code dir} whose F32 tensor {@code tensor} has add·((i mod 7) - 3)
     * added to element i (the other tensors' bytes untouched).
     */
    public static Path withEditedTensor(Path model, Path dir, String tensor, float add) throws IOException {
        Path copy = Files.createDirectories(dir.resolve(model.getFileName() + "-edited"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(model.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        long offset;
        long count;
        try (var c = owb.checkpoint.Checkpoints.open(copy.resolve("model.safetensors"))) {
            var t = c.tensor(tensor).orElseThrow();
            if (t.dtype() != owb.checkpoint.DType.F32) throw new IllegalArgumentException(tensor + " is not F32");
            offset = t.fileOffset();
            count = t.numel();
        }
        try (var ch = java.nio.channels.FileChannel.open(copy.resolve("model.safetensors"),
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            var buf = java.nio.ByteBuffer.allocate((int) (4 * count)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(buf, offset);
            for (int i = 0; i < count; i++) buf.putFloat(4 * i, buf.getFloat(4 * i) + add * (i % 7 - 3));
            buf.rewind();
            ch.write(buf, offset);
        }
        return copy;
    }

    /**
     * The SmolLM2 fine-tunes of samples/make_smollm2_diff.py ({@code -Dowb.smollm2.finetune}, which ./owb test
     * sets to samples/models/smollm2-finetune/, the demo's sample fine-tune; else {@code ${owb.fixtures}/smollm2-diff/}),
     * written from the GGUF {@code -Dowb.smollm2} names (a file, or a folder holding one) when missing;
     * the test is skipped without the property.
     */
    public static synchronized Path smollm2Pair() throws IOException {
        String property = System.getProperty("owb.smollm2");
        org.junit.jupiter.api.Assumptions.assumeTrue(property != null, "-Dowb.smollm2 is not set");
        Path gguf = smollm2Gguf();
        String given = System.getProperty("owb.smollm2.finetune");
        Path folder = given != null ? Path.of(given) : GgufFixtures.generatedRoot().resolve("smollm2-diff");
        if (!Files.isRegularFile(folder.resolve("expected.json"))) {
            GgufFixtures.run(List.of(GgufFixtures.python(), "samples/make_smollm2_diff.py", gguf.toString(),
                    folder.toString()));
        }
        return folder;
    }

    /** The SmolLM2 Q4_1 GGUF that {@code -Dowb.smollm2} names, directly or as the folder holding it. */
    public static Path smollm2Gguf() throws IOException {
        Path p = Path.of(System.getProperty("owb.smollm2"));
        if (!Files.isDirectory(p)) return p;
        try (var files = Files.list(p)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".gguf")).sorted().findFirst()
                    .orElseThrow(() -> new IOException("no .gguf in " + p));
        }
    }

    public static JsonNode expected() throws IOException {
        return JsonMapper.builder().build().readTree(folder().resolve("expected.json").toFile());
    }
}

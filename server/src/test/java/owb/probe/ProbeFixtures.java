package owb.probe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;
import owb.testing.GgufFixtures;

/** The tiny model fixtures (samples/fixtures/models/README.md), generated when a test runs without them. */
final class ProbeFixtures {
    private ProbeFixtures() {}

    static Path model(String name) { return GgufFixtures.tinyModel(name); }

    /** Every tensor of an expected*.safetensors file, as floats (token ids too: they are small). */
    static Map<String, float[]> expected(Path file) {
        try (Checkpoint c = Checkpoints.open(file)) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (TensorEntry t : c.tensors()) out.put(t.name(), TensorReader.readAll(t));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ids(float[] values) {
        int[] ids = new int[values.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) values[i];
        return ids;
    }
}

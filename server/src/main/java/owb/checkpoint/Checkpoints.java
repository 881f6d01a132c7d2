package owb.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** Opens whatever a user points at: a safetensors or GGUF file, an index, a model folder. STUB. */
public final class Checkpoints {
    private Checkpoints() {}

    public static Checkpoint open(Path path) throws IOException {
        throw new CheckpointException(path, "not built yet");
    }
}

package owb.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import owb.checkpoint.Checkpoint;

/**
 * The tokenizer that comes with a checkpoint: a GGUF file's tokenizer.ggml.* metadata, or the
 * tokenizer.json beside safetensors weights. When there is none (or it cannot be read),
 * {@code tokenizer} is null and {@code reason} says why, for a message.
 */
public record CheckpointTokenizer(Tokenizer tokenizer, String reason) {

    public static CheckpointTokenizer of(Checkpoint checkpoint) {
        return of(checkpoint, null);
    }

    /**
     * @param confinedTo when not null, a tokenizer.json whose real path lies outside this folder is
     *                   not read (the server opens only files under its model roots)
     */
    public static CheckpointTokenizer of(Checkpoint checkpoint, Path confinedTo) {
        try {
            if (checkpoint.format() == Checkpoint.Format.GGUF) {
                if (!checkpoint.metadata().containsKey("tokenizer.ggml.model")) {
                    return new CheckpointTokenizer(null, checkpoint.path() + " has no tokenizer.ggml.* metadata");
                }
                return new CheckpointTokenizer(Tokenizer.fromGgufMetadata(checkpoint.metadata()), null);
            }
            Path file = checkpoint.files().getFirst().toAbsolutePath().getParent().resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) {
                return new CheckpointTokenizer(null, "no tokenizer.json beside " + checkpoint.files().getFirst());
            }
            if (confinedTo != null && !file.toRealPath().startsWith(confinedTo)) {
                return new CheckpointTokenizer(null, "the tokenizer.json beside " + checkpoint.files().getFirst()
                        + " lies outside the model root");
            }
            return new CheckpointTokenizer(Tokenizer.fromTokenizerJson(file), null);
        } catch (IOException | RuntimeException e) {
            return new CheckpointTokenizer(null, "the tokenizer cannot be read: " + e.getMessage());
        }
    }

    public boolean present() { return tokenizer != null; }
}

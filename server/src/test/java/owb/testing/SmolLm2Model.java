package owb.testing;

import java.io.IOException;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.tokenizer.Tokenizer;

/**
 * SmolLM2-135M-Instruct (the Q4_1 GGUF of {@link GgufFixtures#smollm2}) opened for a test class:
 * its checkpoint, the model and the tokenizer its metadata embeds. Skips the test when the file
 * cannot be had; close it after the class.
 */
public record SmolLm2Model(Checkpoint checkpoint, LanguageModel model, Tokenizer tokenizer) implements AutoCloseable {

    public static SmolLm2Model open() throws IOException {
        Checkpoint checkpoint = Checkpoints.open(GgufFixtures.smollm2());
        return new SmolLm2Model(checkpoint, ModelLoader.load(checkpoint), Tokenizer.fromGgufMetadata(checkpoint.metadata()));
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}

package owb.http;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.UnprocessableContentResponse;
import owb.checkpoint.Checkpoint;
import owb.model.LanguageModel;
import owb.model.ModelConfig;
import owb.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * A model ready to run: its forward pass and, when the checkpoint has one, its tokenizer. The
 * model reads its weights from the checkpoint's mapped files, so an engine holds a lease on the
 * checkpoint until {@link #close} ({@link ModelEngines} decides when).
 *
 * @param tokenizer null when the checkpoint has none; {@code tokenizerProblem} says why
 */
record ModelEngine(String modelId, LanguageModel model, Tokenizer tokenizer, String tokenizerProblem,
                   AutoCloseable resources) implements AutoCloseable {

    ModelConfig config() { return model.config(); }

    /** A token as its own text (" Paris"), or {@code <id>} without a tokenizer or past its vocabulary. */
    String text(int id) {
        if (tokenizer == null) return "<" + id + ">";
        try {
            return tokenizer.tokenText(id);
        } catch (IllegalArgumentException noSuchToken) {
            return "<" + id + ">";   // embedding rows past the tokenizer's vocabulary
        }
    }

    /** The prompt's token ids, special tokens (BOS) added as the tokenizer does by default. */
    int[] encode(String prompt) {
        if (tokenizer == null) {
            throw new UnprocessableContentResponse("model '" + modelId + "' has no tokenizer (" + tokenizerProblem
                    + "); send token ids as \"tokens\" instead of a prompt");
        }
        int[] tokens = tokenizer.encode(prompt, true);
        if (tokens.length == 0) throw new BadRequestResponse("the prompt encodes to no tokens");
        return tokens;
    }

    /** A target token and, when its text encoded to several tokens, a note that the first was used. */
    record Target(int id, String text, String note) {}

    /**
     * A token named as {@code owb lens --target} names it: {@code #ID}, a token as the vocabulary
     * spells it ("ĠParis"), or text whose first token is taken (" Paris").
     *
     * @param param the query parameter it came in, for messages
     */
    Target target(String spec, String param) {
        int vocab = config().dVocab();
        if (spec.isEmpty()) throw new BadRequestResponse(param + " is empty");
        if (spec.startsWith("#")) {
            int id;
            try {
                id = Integer.parseInt(spec.substring(1));
            } catch (NumberFormatException e) {
                throw new BadRequestResponse(param + "=#ID expects a token id, got '" + spec + "'");
            }
            if (id < 0 || id >= vocab) {
                throw new BadRequestResponse(param + " " + spec + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
            return new Target(id, text(id), null);
        }
        if (tokenizer == null) {
            throw new BadRequestResponse("model '" + modelId + "' has no tokenizer; give " + param + " as #ID");
        }
        OptionalInt exact = tokenizer.tokenId(spec);
        int[] encoded = exact.isPresent() ? new int[] {exact.getAsInt()} : tokenizer.encode(spec, false);
        if (encoded.length == 0) throw new BadRequestResponse(param + " '" + spec + "' encodes to no tokens");
        int id = encoded[0];
        if (id >= vocab) throw new BadRequestResponse(param + " '" + spec + "' is token " + id + ", outside the model's vocabulary");
        String note = encoded.length == 1 ? null : param + " '" + spec + "' encodes to " + encoded.length
                + " tokens; using the first, " + id + ":'" + text(id) + "'";
        return new Target(id, text(id), note);
    }

    /**
     * The tokenizer beside a checkpoint: the GGUF vocabulary, or tokenizer.json beside the
     * safetensors weights (only when it lies inside the model's root, like every file the server opens).
     */
    static TokenizerOrProblem tokenizer(Checkpoint checkpoint, Path modelRoot) {
        try {
            if (checkpoint.format() == Checkpoint.Format.GGUF) {
                if (!checkpoint.metadata().containsKey("tokenizer.ggml.model")) {
                    return new TokenizerOrProblem(null, "the GGUF file has no tokenizer.ggml.* metadata");
                }
                return new TokenizerOrProblem(Tokenizer.fromGgufMetadata(checkpoint.metadata()), null);
            }
            Path file = checkpoint.files().getFirst().toAbsolutePath().getParent().resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) return new TokenizerOrProblem(null, "no tokenizer.json beside the weights");
            if (!file.toRealPath().startsWith(modelRoot)) {
                return new TokenizerOrProblem(null, "its tokenizer.json lies outside the model root");
            }
            return new TokenizerOrProblem(Tokenizer.fromTokenizerJson(file), null);
        } catch (IOException | RuntimeException e) {
            return new TokenizerOrProblem(null, "the tokenizer cannot be read: " + ApiRoutes.oneLine(e));
        }
    }

    record TokenizerOrProblem(Tokenizer tokenizer, String problem) {}

    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing model '" + modelId + "': " + e.getMessage(), e);
        }
    }
}

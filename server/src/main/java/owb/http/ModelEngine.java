package owb.http;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.UnprocessableContentResponse;
import owb.model.LanguageModel;
import owb.model.ModelConfig;
import owb.tokenizer.TokenSpec;
import owb.tokenizer.Tokenizer;


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
    String text(int id) { return Tokenizer.textOrId(tokenizer, id); }

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
        if (tokenizer == null && !spec.startsWith("#") && !spec.isEmpty()) {
            throw new BadRequestResponse("model '" + modelId + "' has no tokenizer; give " + param + " as #ID");
        }
        TokenSpec token;
        try {
            token = TokenSpec.resolve(spec, tokenizer, config().dVocab(), param);
        } catch (IllegalArgumentException e) {
            throw new BadRequestResponse(e.getMessage());
        }
        String note = token.encodedLength() == 1 ? null : param + " '" + spec + "' encodes to " + token.encodedLength()
                + " tokens; using the first, " + token.id() + ":'" + text(token.id()) + "'";
        return new Target(token.id(), text(token.id()), note);
    }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing model '" + modelId + "': " + e.getMessage(), e);
        }
    }
}

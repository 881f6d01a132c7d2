package owb.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back, exactly as Hugging Face's tokenizers library does it for the model's
 * own tokenizer. Instances are safe to share between threads.
 */
public interface Tokenizer {

    /**
     * @param addSpecialTokens also add what the tokenizer puts around a sequence (Llama's BOS), as
     *                         tokenizers' add_special_tokens does; special tokens written in the
     *                         text are found either way
     */
    int[] encode(String text, boolean addSpecialTokens);

    /**
     * @param skipSpecialTokens leave out special tokens such as {@code <s>}; ids no token has are
     *                          left out in any case, as the library does
     */
    String decode(int[] ids, boolean skipSpecialTokens);

    /**
     * How one token reads on its own, e.g. " Paris" (its leading space kept). A token that is only
     * part of a character's UTF-8 reads as its bytes, e.g. {@code <0xE4>}.
     *
     * @throws IllegalArgumentException when no token has the id
     */
    String tokenText(int id);

    /**
     * How token {@code id} reads for display: {@link #tokenText}, or {@code <id>} without a tokenizer
     * or for an id past its vocabulary (embedding rows it has no token for).
     */
    static String textOrId(Tokenizer tokenizer, int id) {
        if (tokenizer == null) return "<" + id + ">";
        try {
            return tokenizer.tokenText(id);
        } catch (IllegalArgumentException noSuchToken) {
            return "<" + id + ">";
        }
    }

    /** The id of a token as the vocabulary spells it (e.g. "ĠParis", "▁Paris", "<|endoftext|>"). */
    OptionalInt tokenId(String token);

    /** One more than the highest token id: the rows an embedding matrix needs. */
    int vocabSize();

    OptionalInt bos();

    OptionalInt eos();

    /**
     * Reads a Hugging Face tokenizer.json; the bos and eos tokens come from tokenizer_config.json
     * beside it when there is one.
     *
     * @throws TokenizerException when the file is malformed or needs what is not implemented
     */
    static Tokenizer fromTokenizerJson(Path file) throws IOException {
        return TokenizerJson.read(file);
    }

    /**
     * Builds the tokenizer a GGUF file describes in its metadata (tokenizer.ggml.* keys; values
     * String, Long, Double, Boolean or List of those, as the GGUF reader gives them).
     *
     * @throws TokenizerException when the vocabulary is missing, malformed or of an unsupported kind
     */
    static Tokenizer fromGgufMetadata(Map<String, Object> metadata) {
        return GgufVocab.tokenizer(metadata);
    }
}

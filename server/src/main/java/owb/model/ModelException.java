package owb.model;

/**
 * A checkpoint the forward pass cannot run, or input it cannot take: an unsupported architecture,
 * a missing or misshapen weight, a token id outside the vocabulary. The message is one line a
 * user can act on; the CLI prints it after {@code error:} and exits 2.
 */
public final class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message.replace('\n', ' '));
    }
}

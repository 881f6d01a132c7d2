package owb.tokenizer;

/**
 * A tokenizer description (tokenizer.json or GGUF metadata) that cannot be used: malformed,
 * inconsistent, or asking for a component this package does not implement. The message is one
 * line naming the source and the problem.
 */
public final class TokenizerException extends RuntimeException {

    public TokenizerException(String source, String problem) {
        super(source + ": " + problem.replace('\n', ' '));
    }

    public TokenizerException(String source, String problem, Throwable cause) {
        super(source + ": " + problem.replace('\n', ' '), cause);
    }
}

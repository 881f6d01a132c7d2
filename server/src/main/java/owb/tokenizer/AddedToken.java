package owb.tokenizer;

/**
 * A token matched in the raw text before anything else runs (special tokens such as
 * {@code <|endoftext|>}, and tokens added after training).
 *
 * @param special    skipped when decoding with skipSpecialTokens
 * @param singleWord matches only when no word character touches it on either side
 * @param lstrip     takes the whitespace on its left with it
 * @param rstrip     takes the whitespace on its right with it
 * @param normalized matched in the normalized text rather than the raw text
 */
record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                  boolean normalized) {

    /** A special token matched verbatim, as GGUF control tokens are added. */
    static AddedToken special(int id, String content) {
        return new AddedToken(id, content, true, false, false, false, false);
    }
}

package owb.tokenizer;

import java.util.OptionalInt;

/**
 * A token as a user names one (a lens target, a patching answer): {@code #ID}, a token as the
 * vocabulary spells it ({@code "ĠParis"}), or text whose first token is taken ({@code " Paris"}).
 *
 * @param id            the token
 * @param encodedLength tokens the text encoded to (1 for {@code #ID} and exact vocabulary entries);
 *                      above 1, only the first was taken and the caller says so
 */
public record TokenSpec(int id, int encodedLength) {

    /**
     * @param tokenizer null when the model has none: then only {@code #ID} resolves
     * @param vocab     the model's vocabulary size, the bound on ids
     * @param what      how the caller names the value in messages ({@code --target}, {@code answer})
     * @throws IllegalArgumentException with a one-line message naming {@code what}
     */
    public static TokenSpec resolve(String spec, Tokenizer tokenizer, int vocab, String what) {
        if (spec.isEmpty()) throw new IllegalArgumentException(what + " is empty");
        if (spec.startsWith("#")) {
            int id;
            try {
                id = Integer.parseInt(spec.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " #ID expects a token id, got '" + spec + "'");
            }
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(what + " " + spec + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
            return new TokenSpec(id, 1);
        }
        if (tokenizer == null) throw new IllegalArgumentException(what + " '" + spec + "' needs the model's tokenizer; give it as #ID");
        return fromText(spec, tokenizer, vocab, what);
    }

    /** A token named by text only: a vocabulary entry as spelled, else the first token the text encodes to. */
    public static TokenSpec fromText(String spec, Tokenizer tokenizer, int vocab, String what) {
        OptionalInt exact = tokenizer.tokenId(spec);
        int[] encoded = exact.isPresent() ? new int[] {exact.getAsInt()} : tokenizer.encode(spec, false);
        if (encoded.length == 0) throw new IllegalArgumentException(what + " '" + spec + "' encodes to no tokens");
        if (encoded[0] >= vocab) {
            throw new IllegalArgumentException(what + " '" + spec + "' is token " + encoded[0] + ", outside the model's vocabulary");
        }
        return new TokenSpec(encoded[0], encoded.length);
    }
}

package owb.tokenizer;

/** The character classes of Rust's char and regex crate that the tokenizers library relies on. */
final class CharClasses {
    private CharClasses() {}

    /**
     * Unicode's White_Space property (Rust's char::is_whitespace and regex {@code \s}); wider than
     * Character.isWhitespace, which leaves out the no-break spaces.
     */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** The regex crate's Unicode {@code \w}: alphabetic, marks, decimal digits, connectors, joiners. */
    static boolean isWordChar(int c) {
        if (Character.isAlphabetic(c)) return true;
        return switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                 Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> c == 0x200C || c == 0x200D;
        };
    }
}

package owb.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Literal patterns (tokenizer.json's {"String": ...}) as Patterns, replaced without the regex engine. */
final class Literals {
    private Literals() {}

    static Pattern pattern(String literal) {
        return Pattern.compile(literal, Pattern.LITERAL);
    }

    /** Every match of the pattern in text replaced by content, taken literally. */
    static String replace(Pattern pattern, String text, String content) {
        if ((pattern.flags() & Pattern.LITERAL) != 0) {
            return pattern.pattern().isEmpty() ? text : text.replace(pattern.pattern(), content);
        }
        return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
    }
}

package owb.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Walks a pattern's matches the way Oniguruma's search loop does: after an empty match the search
 * moves on by a whole character. (Matcher.find moves on by one UTF-16 unit, which would cut an
 * emoji's surrogate pair in two.)
 */
final class RegexMatches {

    interface Visitor {
        void match(int start, int end);
    }

    private RegexMatches() {}

    static void forEach(Pattern pattern, String text, Visitor visitor) {
        Matcher m = pattern.matcher(text);
        int from = 0;
        while (from <= text.length() && m.find(from)) {
            int start = m.start();
            int end = m.end();
            visitor.match(start, end);
            from = end > start ? end : end + (end < text.length() ? Character.charCount(text.codePointAt(end)) : 1);
        }
    }
}

package owb.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A tokenizer.json normalizer: rewrites text before it is split into words. Applied to each piece
 * of text between added tokens (so Llama 2's Prepend("▁") puts a ▁ after every special token too).
 */
sealed interface Normalizer {

    String normalize(String text);

    /** NFC, NFD, NFKC or NFKD. */
    record UnicodeForm(java.text.Normalizer.Form form) implements Normalizer {
        public String normalize(String text) {
            return java.text.Normalizer.normalize(text, form);
        }
    }

    /** Lower case, one character at a time as the library does (so no final-sigma rule). */
    record Lowercase() implements Normalizer {
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length());
            text.codePoints().forEach(c -> out.append(Character.toString(c).toLowerCase(Locale.ROOT)));
            return out.toString();
        }
    }

    /** Puts a prefix before non-empty text (Llama 2: "▁"). */
    record Prepend(String prefix) implements Normalizer {
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /** Replaces every match of a literal or a regex (Llama 2: " " by "▁"). */
    record Replace(Pattern pattern, String content) implements Normalizer {
        public String normalize(String text) {
            return Literals.replace(pattern, text, content);
        }
    }

    /** Strips White_Space from either end. */
    record Strip(boolean left, boolean right) implements Normalizer {
        public String normalize(String text) {
            int start = 0;
            int end = text.length();
            while (left && start < end && CharClasses.isWhiteSpace(text.codePointAt(start))) {
                start += Character.charCount(text.codePointAt(start));
            }
            while (right && end > start && CharClasses.isWhiteSpace(text.codePointBefore(end))) {
                end -= Character.charCount(text.codePointBefore(end));
            }
            return text.substring(start, end);
        }
    }

    record Sequence(List<Normalizer> steps) implements Normalizer {
        public String normalize(String text) {
            for (Normalizer step : steps) text = step.normalize(text);
            return text;
        }
    }
}

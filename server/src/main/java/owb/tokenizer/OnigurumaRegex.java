package owb.tokenizer;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma patterns of tokenizer.json files (Hugging Face tokenizers compiles them
 * with Oniguruma's Ruby syntax) into java.util.regex patterns that split text the same way.
 *
 * <p>What differs, and how it is bridged:
 * <ul>
 *   <li>{@code \s \d \b} are Unicode-aware in Oniguruma on UTF-8 text ({@code \s} takes U+3000,
 *       {@code \d} takes Arabic-Indic digits), ASCII-only in Java: compiled with
 *       UNICODE_CHARACTER_CLASS, which also makes {@code (?i)} fold case the Unicode way
 *       ({@code 'ſ} matches {@code (?i:'s)} in both). Oniguruma's {@code \w} is letters, marks,
 *       numbers and connectors; Java's Unicode one differs (no ½, but joiners), so it is spelled out.</li>
 *   <li>After an empty match the search moves on by a character, not a UTF-16 unit: see
 *       {@link RegexMatches}.</li>
 *   <li>Ruby's {@code ^ $} are always line anchors and only {@code \n} ends a line (nor does
 *       {@code .} match it): MULTILINE with UNIX_LINES; Ruby's {@code (?m)} is Java's {@code (?s)}.</li>
 *   <li>{@code \h} is a hex digit in Oniguruma (horizontal space in Java); {@code \v} is the
 *       vertical tab alone; {@code \p{Han}}-style script and property names need Java's
 *       {@code Is} prefix; POSIX brackets {@code [:alpha:]} become {@code \p{Alpha}};
 *       a {@code {} that opens no quantifier is a literal, and {@code {,n}} means {@code {0,n}}.</li>
 *   <li>Possessive quantifiers and atomic groups mean the same in both and pass through.</li>
 * </ul>
 */
final class OnigurumaRegex {
    /** Oniguruma's Unicode \\w: letters, marks, numbers of every kind, connectors (Java's adds joiners, not ½). */
    private static final String WORD = "\\p{L}\\p{M}\\p{N}\\p{Pc}";

    static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.MULTILINE | Pattern.UNIX_LINES;

    /** Oniguruma's long general-category names, by their loose form (lower case, no separators). */
    private static final Map<String, String> CATEGORY_ALIASES = Map.ofEntries(
            Map.entry("letter", "L"), Map.entry("uppercaseletter", "Lu"), Map.entry("lowercaseletter", "Ll"),
            Map.entry("titlecaseletter", "Lt"), Map.entry("modifierletter", "Lm"), Map.entry("otherletter", "Lo"),
            Map.entry("mark", "M"), Map.entry("nonspacingmark", "Mn"), Map.entry("spacingmark", "Mc"),
            Map.entry("enclosingmark", "Me"), Map.entry("number", "N"), Map.entry("decimalnumber", "Nd"),
            Map.entry("letternumber", "Nl"), Map.entry("othernumber", "No"), Map.entry("punctuation", "P"),
            Map.entry("symbol", "S"), Map.entry("separator", "Z"), Map.entry("spaceseparator", "Zs"),
            Map.entry("other", "C"), Map.entry("control", "Cc"), Map.entry("format", "Cf"));

    private static final Map<String, String> POSIX_BRACKETS = Map.ofEntries(
            Map.entry("alpha", "\\p{Alpha}"), Map.entry("digit", "\\p{Digit}"), Map.entry("alnum", "\\p{Alnum}"),
            Map.entry("upper", "\\p{Upper}"), Map.entry("lower", "\\p{Lower}"), Map.entry("space", "\\p{Space}"),
            Map.entry("punct", "\\p{Punct}"), Map.entry("xdigit", "0-9a-fA-F"), Map.entry("word", WORD),
            Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("graph", "\\p{Graph}"),
            Map.entry("print", "\\p{Print}"), Map.entry("ascii", "\\x00-\\x7F"));

    private OnigurumaRegex() {}

    /** @throws IllegalArgumentException naming the construct Java cannot express */
    static Pattern compile(String oniguruma) {
        String java = translate(oniguruma);
        try {
            return Pattern.compile(java, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex " + quote(oniguruma) + " does not compile: "
                    + e.getDescription(), e);
        }
    }

    /** The java.util.regex spelling of an Oniguruma (Ruby syntax) pattern. */
    static String translate(String pattern) {
        StringBuilder java = new StringBuilder(pattern.length() + 16);
        int classDepth = 0;
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                i = escape(pattern, i, classDepth > 0, java);
            } else if (c == '[') {
                if (classDepth > 0 && pattern.startsWith("[:", i)) {
                    i = posixBracket(pattern, i, java);
                    continue;
                }
                classDepth++;
                java.append(c);
                i++;
                if (i < pattern.length() && pattern.charAt(i) == '^') java.append(pattern.charAt(i++));
                // A ']' first in a class is a literal in Oniguruma.
                if (i < pattern.length() && pattern.charAt(i) == ']') {
                    java.append("\\]");
                    i++;
                }
            } else if (c == ']' && classDepth > 0) {
                classDepth--;
                java.append(c);
                i++;
            } else if (classDepth > 0) {
                java.append(c);
                i++;
            } else if (c == '(' && pattern.startsWith("(?#", i)) {
                int end = pattern.indexOf(')', i);
                if (end < 0) throw new IllegalArgumentException("regex " + quote(pattern) + ": unclosed comment");
                i = end + 1;
            } else if (c == '(' && pattern.startsWith("(?", i)) {
                i = groupOptions(pattern, i, java);
            } else if (c == '{') {
                i = brace(pattern, i, java);
            } else {
                java.append(c);
                i++;
            }
        }
        return java.toString();
    }

    private static int escape(String pattern, int at, boolean inClass, StringBuilder java) {
        if (at + 1 >= pattern.length()) {
            throw new IllegalArgumentException("regex " + quote(pattern) + " ends with a lone backslash");
        }
        char e = pattern.charAt(at + 1);
        switch (e) {
            case 'p', 'P' -> { return property(pattern, at, java); }
            case 'h' -> java.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
            case 'H' -> java.append("[^0-9a-fA-F]");
            case 'w' -> java.append(inClass ? WORD : "[" + WORD + "]");
            case 'W' -> java.append("[^" + WORD + "]");
            case 'v' -> java.append("\\x0B");
            case 'K', 'g', 'y', 'Y', 'O' -> throw new IllegalArgumentException(
                    "regex " + quote(pattern) + ": \\" + e + " has no java.util.regex equivalent");
            default -> java.append('\\').append(e);
        }
        return at + 2;
    }

    /** {@code \p{Name}}, {@code \p{^Name}}, {@code \P{Name}} or the one-letter {@code \pL}. */
    private static int property(String pattern, int at, StringBuilder java) {
        boolean negated = pattern.charAt(at + 1) == 'P';
        int start = at + 2;
        String name;
        int next;
        if (start < pattern.length() && pattern.charAt(start) == '{') {
            int close = pattern.indexOf('}', start);
            if (close < 0) throw new IllegalArgumentException("regex " + quote(pattern) + ": unclosed \\p{");
            name = pattern.substring(start + 1, close);
            next = close + 1;
        } else if (start < pattern.length()) {
            name = pattern.substring(start, start + 1);
            next = start + 1;
        } else {
            throw new IllegalArgumentException("regex " + quote(pattern) + ": \\p without a property");
        }
        if (name.startsWith("^")) {
            negated = !negated;
            name = name.substring(1);
        }
        String loose = name.toLowerCase(Locale.ROOT).replaceAll("[ _-]", "");
        if (loose.equals("word")) {
            java.append(negated ? "[^" + WORD + "]" : "[" + WORD + "]");
            return next;
        }
        String javaName;
        if (CATEGORY_ALIASES.containsKey(loose)) {
            javaName = CATEGORY_ALIASES.get(loose);
        } else if (name.length() <= 2 || POSIX_BRACKETS.containsKey(loose)) {
            javaName = name;  // a general category (L, Lu, N, ...) or a POSIX class (Alpha, Digit, ...)
        } else {
            javaName = "Is" + name;  // a script (Han, Latin) or a binary property (Alphabetic)
        }
        java.append(negated ? "\\P{" : "\\p{").append(javaName).append('}');
        return next;
    }

    private static int posixBracket(String pattern, int at, StringBuilder java) {
        int close = pattern.indexOf(":]", at + 2);
        if (close < 0) throw new IllegalArgumentException("regex " + quote(pattern) + ": unclosed [:");
        String name = pattern.substring(at + 2, close);
        boolean negated = name.startsWith("^");
        String javaClass = POSIX_BRACKETS.get(negated ? name.substring(1) : name);
        if (javaClass == null) {
            throw new IllegalArgumentException("regex " + quote(pattern) + ": unknown POSIX bracket [:" + name + ":]");
        }
        java.append(negated ? "[^" + javaClass + "]" : "[" + javaClass + "]");
        return close + 2;
    }

    /** {@code (?imx-imx)} and {@code (?imx-imx:}: Ruby's m is Java's s. Other (? forms pass through. */
    private static int groupOptions(String pattern, int at, StringBuilder java) {
        int i = at + 2;
        StringBuilder options = new StringBuilder();
        while (i < pattern.length() && "imx-".indexOf(pattern.charAt(i)) >= 0) {
            char o = pattern.charAt(i++);
            options.append(o == 'm' ? 's' : o);
        }
        if (options.isEmpty() || i >= pattern.length() || (pattern.charAt(i) != ':' && pattern.charAt(i) != ')')) {
            java.append("(?");
            return at + 2;
        }
        java.append("(?").append(options);
        return i;
    }

    /** A quantifier {n}, {n,}, {n,m} or Ruby's {,m}; anything else is a literal brace. */
    private static int brace(String pattern, int at, StringBuilder java) {
        int close = pattern.indexOf('}', at);
        String inside = close < 0 ? null : pattern.substring(at + 1, close);
        if (inside != null && inside.matches("\\d+(,\\d*)?")) {
            java.append(pattern, at, close + 1);
            return close + 1;
        }
        if (inside != null && inside.matches(",\\d+")) {
            java.append("{0").append(inside).append('}');
            return close + 1;
        }
        java.append("\\{");
        return at + 1;
    }

    private static String quote(String pattern) {
        return '"' + pattern.replace("\n", "\\n").replace("\r", "\\r") + '"';
    }
}

package owb.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A tokenizer.json pre-tokenizer: cuts normalized text into the words the BPE model encodes one
 * at a time (merges never cross a word boundary).
 */
sealed interface PreTokenizer {

    /** Appends the words of one piece. */
    void split(Piece piece, List<Piece> out);

    /** GPT-2's word regex, which ByteLevel applies when use_regex is on. */
    Pattern GPT2_WORDS = OnigurumaRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /**
     * Byte-level BPE's step: optionally a space before each piece and GPT-2's word split, then
     * every word respelled byte by byte (see {@link ByteLevel}).
     */
    record ByteLevelWords(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            Piece spaced = addPrefixSpace && !piece.text().startsWith(" ")
                    ? new Piece(" " + piece.text(), piece.atStart()) : piece;
            int first = out.size();
            if (useRegex) SplitBehavior.ISOLATED.split(spaced, GPT2_WORDS, false, out);
            else out.add(spaced);
            for (int i = first; i < out.size(); i++) {
                Piece word = out.get(i);
                out.set(i, new Piece(ByteLevel.encode(word.text()), word.atStart()));
            }
        }
    }

    /** Split on a regex or a literal (Llama 3, Qwen2: the model's word regex, Isolated). */
    record Split(Pattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            behavior.split(piece, pattern, invert, out);
        }
    }

    /** Numbers apart from the rest: each digit alone (SmolLM2, StarCoder), or runs of digits. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        private static final Pattern NUMERIC = Pattern.compile("\\p{N}");

        public void split(Piece piece, List<Piece> out) {
            (individualDigits ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS).split(piece, NUMERIC, false, out);
        }
    }

    /** Where Metaspace puts a ▁ before a piece that does not start with one. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /**
     * SentencePiece's whitespace: spaces become the replacement (▁), a ▁ goes in front as the
     * scheme says, and with split on each word starts at a ▁.
     */
    record Metaspace(String replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            String text = piece.text().replace(" ", replacement);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> piece.atStart();
                case NEVER -> false;
            };
            if (prepend && !text.startsWith(replacement)) text = replacement + text;
            if (!split) {
                out.add(new Piece(text, piece.atStart()));
                return;
            }
            // MergedWithNext on the replacement: a word starts at every ▁.
            int start = 0;
            for (int at = text.indexOf(replacement, 1); at > 0; at = text.indexOf(replacement, at + replacement.length())) {
                out.add(new Piece(text.substring(start, at), piece.atStart() && start == 0));
                start = at;
            }
            if (start < text.length()) out.add(new Piece(text.substring(start), piece.atStart() && start == 0));
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            List<Piece> pieces = List.of(piece);
            for (PreTokenizer step : steps) {
                List<Piece> next = new ArrayList<>();
                for (Piece p : pieces) step.split(p, next);
                pieces = next;
            }
            out.addAll(pieces);
        }
    }
}

package owb.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a split does with the text its pattern matches, as the tokenizers library names it. The
 * matches and the text between them cover the piece; empty results are dropped.
 */
enum SplitBehavior {
    /** Matches are dropped. */
    REMOVED,
    /** Each match is a piece of its own. */
    ISOLATED,
    /** A match joins the piece before it. */
    MERGED_WITH_PREVIOUS,
    /** A match joins the piece after it (Metaspace: "▁" starts each word). */
    MERGED_WITH_NEXT,
    /** Adjacent matches form one piece (Digits without individual_digits). */
    CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        return switch (name) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> throw new IllegalArgumentException("unknown split behavior \"" + name + '"');
        };
    }

    /**
     * Appends the pieces of one piece split on a pattern.
     *
     * @param invert the pattern marks what to keep: the text between its matches is the delimiter
     */
    void split(Piece piece, Pattern pattern, boolean invert, List<Piece> out) {
        String text = piece.text();
        if (this == ISOLATED && !invert) {
            int[] previous = {0};
            RegexMatches.forEach(pattern, text, (start, end) -> {
                emit(piece, previous[0], start, out);
                emit(piece, start, end, out);
                previous[0] = end;
            });
            emit(piece, previous[0], text.length(), out);
            return;
        }
        List<int[]> spans = spans(text, pattern, invert);  // {start, end, isMatch}
        List<int[]> kept = new ArrayList<>(spans.size());   // {start, end}
        switch (this) {
            case REMOVED -> spans.stream().filter(s -> s[2] == 0).forEach(s -> kept.add(new int[] {s[0], s[1]}));
            case ISOLATED -> spans.forEach(s -> kept.add(new int[] {s[0], s[1]}));
            case CONTIGUOUS -> {
                int previousMatch = 0;
                for (int[] s : spans) {
                    if (s[2] == previousMatch && !kept.isEmpty()) kept.getLast()[1] = s[1];
                    else kept.add(new int[] {s[0], s[1]});
                    previousMatch = s[2];
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                int previousMatch = 0;
                for (int[] s : spans) {
                    if (s[2] == 1 && previousMatch == 0 && !kept.isEmpty()) kept.getLast()[1] = s[1];
                    else kept.add(new int[] {s[0], s[1]});
                    previousMatch = s[2];
                }
            }
            case MERGED_WITH_NEXT -> {
                int previousMatch = 0;
                for (int i = spans.size() - 1; i >= 0; i--) {
                    int[] s = spans.get(i);
                    if (s[2] == 1 && previousMatch == 0 && !kept.isEmpty()) kept.getLast()[0] = s[0];
                    else kept.add(new int[] {s[0], s[1]});
                    previousMatch = s[2];
                }
                java.util.Collections.reverse(kept);
            }
        }
        for (int[] k : kept) emit(piece, k[0], k[1], out);
    }

    /** The matches and the gaps between them, in order, covering the text. */
    private static List<int[]> spans(String text, Pattern pattern, boolean invert) {
        List<int[]> spans = new ArrayList<>();
        int match = invert ? 0 : 1;
        int[] previous = {0};
        RegexMatches.forEach(pattern, text, (start, end) -> {
            if (previous[0] != start) spans.add(new int[] {previous[0], start, 1 - match});
            spans.add(new int[] {start, end, match});
            previous[0] = end;
        });
        if (previous[0] != text.length()) spans.add(new int[] {previous[0], text.length(), 1 - match});
        return spans;
    }

    private static void emit(Piece piece, int start, int end, List<Piece> out) {
        if (start < end) out.add(new Piece(piece.text().substring(start, end), piece.atStart() && start == 0));
    }
}

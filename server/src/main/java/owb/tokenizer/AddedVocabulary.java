package owb.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds added tokens in text, as the tokenizers library's AddedVocabulary does: first the tokens
 * marked not normalized, in the raw text; then each stretch between them is normalized and the
 * normalized tokens are found in it. At each position the longest token wins, scanning left to
 * right.
 */
final class AddedVocabulary {

    /** A found added token, or normalized text between tokens (tokenId -1). */
    record Segment(int tokenId, Piece piece) {
        boolean isToken() { return tokenId >= 0; }
    }

    private final Map<Integer, AddedToken> byId = new HashMap<>();
    private final Map<String, Integer> idByContent = new HashMap<>();
    private final Set<String> specialContents = new HashSet<>();
    private final Trie raw = new Trie();
    private final Trie normalizedForm = new Trie();
    private final Normalizer normalizer;

    /** @param normalizer the tokenizer's normalizer, or null */
    AddedVocabulary(List<AddedToken> tokens, Normalizer normalizer) {
        this.normalizer = normalizer;
        for (AddedToken token : tokens) {
            if (token.content().isEmpty()) continue;
            byId.put(token.id(), token);
            idByContent.putIfAbsent(token.content(), token.id());
            if (token.special()) specialContents.add(token.content());
            if (token.normalized()) normalizedForm.add(normalize(token.content()), token);
            else raw.add(token.content(), token);
        }
    }

    /** The content of the added token with this id, or null. */
    String content(int id) {
        AddedToken token = byId.get(id);
        return token == null ? null : token.content();
    }

    /** Whether a token string is a special token's content (how the library decides what to skip). */
    boolean isSpecial(String token) {
        return specialContents.contains(token);
    }

    /** The id of the added token with this content, or null. */
    Integer id(String content) {
        return idByContent.get(content);
    }

    /** The text cut into added tokens and normalized, non-empty pieces between them. */
    List<Segment> segments(String text) {
        List<Segment> out = new ArrayList<>();
        List<Segment> rawSplit = new ArrayList<>();
        find(new Piece(text, true), raw, rawSplit);
        for (Segment segment : rawSplit) {
            if (segment.isToken()) {
                out.add(segment);
            } else {
                Piece piece = segment.piece();
                find(new Piece(normalize(piece.text()), piece.atStart()), normalizedForm, out);
            }
        }
        return out;
    }

    private String normalize(String text) {
        return normalizer == null ? text : normalizer.normalize(text);
    }

    /** Appends the tokens of the trie found in the piece and the non-empty text around them. */
    private static void find(Piece piece, Trie trie, List<Segment> out) {
        String text = piece.text();
        if (trie.isEmpty()) {
            if (!text.isEmpty()) out.add(new Segment(-1, piece));
            return;
        }
        int textStart = 0;  // where the text not yet given out begins
        int i = 0;
        while (i < text.length()) {
            Trie.Match match = trie.longestAt(text, i);
            if (match == null) {
                i += Character.charCount(text.codePointAt(i));
                continue;
            }
            AddedToken token = match.token();
            int start = i;
            int stop = i + match.length();
            i = stop;
            if (start < textStart) continue;  // the previous token's rstrip took this one's start
            if (token.singleWord() && !standsAlone(text, start, stop)) continue;
            if (token.lstrip()) {
                int spaces = start;
                while (spaces > textStart && CharClasses.isWhiteSpace(text.codePointBefore(spaces))) {
                    spaces -= Character.charCount(text.codePointBefore(spaces));
                }
                start = spaces;
            }
            if (token.rstrip()) {
                while (stop < text.length() && CharClasses.isWhiteSpace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
            }
            if (textStart < start) out.add(new Segment(-1, new Piece(text.substring(textStart, start), piece.atStart() && textStart == 0)));
            out.add(new Segment(token.id(), null));
            textStart = stop;
            i = Math.max(i, stop);
        }
        if (textStart < text.length()) {
            out.add(new Segment(-1, new Piece(text.substring(textStart), piece.atStart() && textStart == 0)));
        }
    }

    private static boolean standsAlone(String text, int start, int stop) {
        boolean wordBefore = start > 0 && CharClasses.isWordChar(text.codePointBefore(start));
        boolean wordAfter = stop < text.length() && CharClasses.isWordChar(text.codePointAt(stop));
        return !wordBefore && !wordAfter;
    }

    /** Token contents by character, for the longest match at a position. */
    private static final class Trie {
        record Match(AddedToken token, int length) {}

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>();
            AddedToken token;
        }

        private final Node root = new Node();

        void add(String content, AddedToken token) {
            Node node = root;
            for (int i = 0; i < content.length(); i++) node = node.children.computeIfAbsent(content.charAt(i), c -> new Node());
            if (node.token == null) node.token = token;
        }

        boolean isEmpty() { return root.children.isEmpty(); }

        Match longestAt(String text, int start) {
            Node node = root;
            Match longest = null;
            for (int i = start; i < text.length(); i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) break;
                if (node.token != null) longest = new Match(node.token, i + 1 - start);
            }
            return longest;
        }
    }
}

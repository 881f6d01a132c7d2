package owb.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A tokenizer.json decoder: turns the tokens of some ids back into text. Each step maps the list
 * of token strings to a new list; the decoded text is the last list joined.
 */
sealed interface Decoder {

    List<String> decodeChain(List<String> tokens);

    /**
     * This decoder as it should read a single token on its own: without the steps that trim the
     * start of a whole text (Strip, Metaspace's first-token rule), so " Paris" keeps its space.
     */
    default Decoder forSingleToken() { return this; }

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    /** Byte-level BPE: every token's characters back to bytes, then all the bytes as UTF-8. */
    record ByteLevelBytes() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            ByteSink bytes = new ByteSink();
            for (String token : tokens) ByteLevel.appendBytes(token, bytes);
            return List.of(bytes.toStringLossy());
        }
    }

    /** Replaces a literal or regex in every token (SentencePiece: "▁" by " "). */
    record Replace(Pattern pattern, String content) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) out.add(Literals.replace(pattern, token, content));
            return out;
        }
    }

    /**
     * Runs of {@code <0xNN>} tokens become the text their bytes spell; bytes that are not valid
     * UTF-8 become one U+FFFD each.
     */
    record ByteFallback() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteSink pending = new ByteSink();
            for (String token : tokens) {
                int b = byteOf(token);
                if (b >= 0) {
                    pending.add((byte) b);
                    continue;
                }
                flush(pending, out);
                out.add(token);
            }
            flush(pending, out);
            return out;
        }

        /** The byte of a {@code <0xNN>} token, or -1; read as Rust's from_str_radix does (either case, a '+' sign). */
        static int byteOf(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
            int high = token.charAt(3) == '+' ? 0 : hexDigit(token.charAt(3));
            int low = hexDigit(token.charAt(4));
            return high < 0 || low < 0 ? -1 : high * 16 + low;
        }

        private static int hexDigit(char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static void flush(ByteSink pending, List<String> out) {
            if (pending.isEmpty()) return;
            if (pending.isUtf8()) out.add(pending.toStringLossy());
            else for (int i = 0; i < pending.size(); i++) out.add("\uFFFD");
            pending.clear();
        }
    }

    /** All tokens into one. */
    record Fuse() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to start leading and stop trailing content characters from each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(this::strip).toList();
        }

        @Override
        public Decoder forSingleToken() { return new Sequence(List.of()); }

        private String strip(String token) {
            int[] chars = token.codePoints().toArray();
            int from = 0;
            while (from < start && from < chars.length && chars[from] == content) from++;
            int to = chars.length;
            while (chars.length - to < stop && to > from && chars[to - 1] == content) to--;
            return new String(chars, from, to - from);
        }
    }

    /**
     * SentencePiece's whitespace back: the replacement becomes a space, except in the first token
     * when a prefix was added on encoding, where it is dropped (every one of them, as the library does).
     */
    record Metaspace(String replacement, boolean dropsFromFirstToken) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(replacement, i == 0 && dropsFromFirstToken ? "" : " "));
            }
            return out;
        }

        @Override
        public Decoder forSingleToken() { return new Metaspace(replacement, false); }
    }

    record Sequence(List<Decoder> steps) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder step : steps) tokens = step.decodeChain(tokens);
            return tokens;
        }

        @Override
        public Decoder forSingleToken() {
            return new Sequence(steps.stream().map(Decoder::forSingleToken).toList());
        }
    }
}

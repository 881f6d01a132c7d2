package owb.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The tokenizer a GGUF file describes in its metadata (llama.cpp's tokenizer.ggml.* keys), built as
 * transformers builds it from the same keys (AutoTokenizer.from_pretrained(dir, gguf_file=...)),
 * except that the pre-tokenizer follows tokenizer.ggml.pre the way the model's own tokenizer.json
 * (and llama.cpp) split text, where transformers falls back to GPT-2's.
 *
 * <ul>
 *   <li>"gpt2": byte-level BPE from tokens and merges; tokenizer.ggml.pre names the word regex.</li>
 *   <li>"llama": SentencePiece BPE from tokens and scores (merges recovered from the scores),
 *       ▁ for spaces, byte fallback, BOS added by default.</li>
 * </ul>
 */
final class GgufVocab {
    private static final String SOURCE = "GGUF tokenizer metadata";

    /** llama.cpp's llama_token_type values. */
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;

    private static final String LLAMA3_WORDS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2_WORDS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** How a byte-level vocabulary splits words, by tokenizer.ggml.pre. */
    private record WordSplit(PreTokenizer preTokenizer, Normalizer normalizer, boolean ignoreMerges, boolean addsBos) {}

    private static final Map<String, WordSplit> WORD_SPLITS = wordSplits();

    private GgufVocab() {}

    private static Map<String, WordSplit> wordSplits() {
        Map<String, WordSplit> splits = new LinkedHashMap<>();
        WordSplit gpt2 = new WordSplit(new PreTokenizer.ByteLevelWords(false, true), null, false, false);
        for (String name : List.of("default", "gpt-2", "gpt2")) splits.put(name, gpt2);
        // Llama 3's tokenizer.json: Split(regex, Isolated) + ByteLevel(use_regex=false), ignore_merges.
        WordSplit llama3 = new WordSplit(regexThenBytes(LLAMA3_WORDS), null, true, true);
        for (String name : List.of("llama3", "llama-v3", "llama-bpe")) splits.put(name, llama3);
        // Qwen2's tokenizer.json normalizes to NFC first; digits one by one.
        WordSplit qwen2 = new WordSplit(regexThenBytes(QWEN2_WORDS),
                new Normalizer.UnicodeForm(java.text.Normalizer.Form.NFC), false, false);
        for (String name : List.of("qwen2", "deepseek-r1-qwen")) splits.put(name, qwen2);
        // SmolLM2's and StarCoder's tokenizer.json: Digits(individual_digits) + ByteLevel.
        WordSplit digits = new WordSplit(new PreTokenizer.Sequence(List.of(new PreTokenizer.Digits(true),
                new PreTokenizer.ByteLevelWords(false, true))), null, false, false);
        for (String name : List.of("smollm", "starcoder")) splits.put(name, digits);
        return Map.copyOf(splits);
    }

    private static PreTokenizer regexThenBytes(String regex) {
        return new PreTokenizer.Sequence(List.of(
                new PreTokenizer.Split(OnigurumaRegex.compile(regex), SplitBehavior.ISOLATED, false),
                new PreTokenizer.ByteLevelWords(false, false)));
    }

    static Tokenizer tokenizer(Map<String, Object> metadata) {
        Metadata md = new Metadata(metadata);
        String model = md.string("tokenizer.ggml.model");
        return switch (model) {
            case "gpt2" -> byteLevel(md);
            case "llama" -> sentencePiece(md);
            default -> throw new TokenizerException(SOURCE, "tokenizer.ggml.model \"" + model
                    + "\" is not supported (gpt2 and llama are)");
        };
    }

    private static Tokenizer byteLevel(Metadata md) {
        String pre = md.has("tokenizer.ggml.pre") ? md.string("tokenizer.ggml.pre") : "default";
        WordSplit split = WORD_SPLITS.get(pre);
        if (split == null) {
            throw new TokenizerException(SOURCE, "tokenizer.ggml.pre \"" + pre + "\" is not supported (supported: "
                    + String.join(", ", WORD_SPLITS.keySet().stream().sorted().toList()) + ")");
        }
        List<String> tokens = md.strings("tokenizer.ggml.tokens");
        List<Long> types = md.has("tokenizer.ggml.token_type") ? md.longs("tokenizer.ggml.token_type", tokens.size()) : null;
        // A token with characters outside the byte alphabet (a special token written plainly) is
        // respelled byte-level, as transformers does.
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            vocab.put(ByteLevel.isSpelled(token) ? token : ByteLevel.encode(token), i);
        }
        // read when text is first encoded (see BpeModel)
        Supplier<List<String[]>> merges = () -> merges(md.strings("tokenizer.ggml.merges"));
        BpeModel model = new BpeModel(vocab, merges,
                new BpeModel.Options(null, null, null, false, false, split.ignoreMerges()), SOURCE);

        List<AddedToken> added = new ArrayList<>();
        Set<Integer> named = namedSpecialIds(md, tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            long type = types == null ? 0 : types.get(i);
            // A special token outside the byte alphabet is not in the vocabulary as spelled; transformers leaves it out.
            if ((type == CONTROL || named.contains(i)) && ByteLevel.isSpelled(token)) {
                added.add(AddedToken.special(vocab.get(token), token));
            } else if (type == USER_DEFINED && vocab.containsKey(token)) {
                added.add(userDefined(vocab.get(token), token));
            }
        }
        return finish(md, model, added, split.normalizer(), split.preTokenizer(), new Decoder.ByteLevelBytes(),
                split.addsBos(), tokens.size());
    }

    private static Tokenizer sentencePiece(Metadata md) {
        List<String> tokens = md.strings("tokenizer.ggml.tokens");
        List<Double> scores = md.doubles("tokenizer.ggml.scores", tokens.size());
        List<Long> types = md.has("tokenizer.ggml.token_type") ? md.longs("tokenizer.ggml.token_type", tokens.size()) : null;
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        Supplier<List<String[]>> merges = () -> md.has("tokenizer.ggml.merges")
                ? merges(md.strings("tokenizer.ggml.merges")) : mergesFromScores(tokens, scores, vocab);

        String unk = null;
        OptionalInt unkId = md.tokenId("tokenizer.ggml.unknown_token_id", tokens.size());
        if (unkId.isPresent()) unk = tokens.get(unkId.getAsInt());
        else if (vocab.containsKey("<unk>")) unk = "<unk>";
        BpeModel model = new BpeModel(vocab, merges, new BpeModel.Options(unk, null, null, true, true, false), SOURCE);

        List<AddedToken> added = new ArrayList<>();
        Set<Integer> named = namedSpecialIds(md, tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            long type = types == null ? 0 : types.get(i);
            if (type == CONTROL || named.contains(i)) added.add(AddedToken.special(vocab.get(token), token));
            else if (type == USER_DEFINED) added.add(userDefined(vocab.get(token), token));
        }
        boolean addSpacePrefix = md.bool("tokenizer.ggml.add_space_prefix", true);
        PreTokenizer preTokenizer = new PreTokenizer.Metaspace("\u2581",
                addSpacePrefix ? PreTokenizer.PrependScheme.FIRST : PreTokenizer.PrependScheme.NEVER, false);
        List<Decoder> decoders = new ArrayList<>(List.of(
                new Decoder.Replace(Literals.pattern("\u2581"), " "),
                new Decoder.ByteFallback(), new Decoder.Fuse()));
        if (addSpacePrefix) decoders.add(new Decoder.Strip(' ', 1, 0));
        return finish(md, model, added, null, preTokenizer, new Decoder.Sequence(decoders), true, tokens.size());
    }

    /**
     * The tokens the metadata names bos, eos, unk and padding: transformers makes them special
     * tokens whatever their type (so "<unk>" written in text is that token).
     */
    private static Set<Integer> namedSpecialIds(Metadata md, int tokenCount) {
        Set<Integer> ids = new HashSet<>();
        for (String key : List.of("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id")) {
            md.tokenId(key, tokenCount).ifPresent(ids::add);
        }
        return ids;
    }

    private static AddedToken userDefined(int id, String token) {
        return new AddedToken(id, token, false, false, false, false, false);
    }

    private static Tokenizer finish(Metadata md, BpeModel model, List<AddedToken> added, Normalizer normalizer,
                                    PreTokenizer preTokenizer, Decoder decoder, boolean addsBosByDefault, int tokenCount) {
        OptionalInt bos = md.tokenId("tokenizer.ggml.bos_token_id", tokenCount);
        OptionalInt eos = md.tokenId("tokenizer.ggml.eos_token_id", tokenCount);
        boolean addBos = md.bool("tokenizer.ggml.add_bos_token", addsBosByDefault) && bos.isPresent();
        boolean addEos = md.bool("tokenizer.ggml.add_eos_token", false) && eos.isPresent();
        PostProcessor post = new PostProcessor(addBos ? new int[] {bos.getAsInt()} : new int[0],
                addEos ? new int[] {eos.getAsInt()} : new int[0]);
        return new BpeTokenizer(new BpeTokenizer.Parts(model, added, normalizer, preTokenizer, post, decoder, bos, eos));
    }

    /** "left right", split at the first space after the first character (as llama.cpp reads them). */
    private static List<String[]> merges(List<String> lines) {
        List<String[]> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int space = line.indexOf(' ', 1);
            if (space < 0) {
                throw new TokenizerException(SOURCE, "tokenizer.ggml.merges[" + i + "] " + BpeModel.quote(line) + " has no space");
            }
            merges.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        return merges;
    }

    /**
     * SentencePiece vocabularies carry no merges: every split of a token into two tokens is a
     * merge, ranked by the token's score (higher first), then longer left and right parts first;
     * ties keep vocabulary order. This is transformers' generate_merges, so ids match its GGUF path.
     */
    static List<String[]> mergesFromScores(List<String> tokens, List<Double> scores, Map<String, Integer> vocab) {
        record Candidate(String left, String right, double score) {}
        LinkedHashMap<String, Double> scoreOf = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) scoreOf.put(tokens.get(i), scores.get(i));
        List<Candidate> candidates = new ArrayList<>();
        List<Candidate> splits = new ArrayList<>();
        for (Map.Entry<String, Double> entry : scoreOf.entrySet()) {
            String piece = entry.getKey();
            splits.clear();
            for (int at = nextCodePoint(piece, 0); at < piece.length(); at = nextCodePoint(piece, at)) {
                String left = piece.substring(0, at);
                String right = piece.substring(at);
                if (vocab.containsKey(left) && vocab.containsKey(right)) splits.add(new Candidate(left, right, entry.getValue()));
            }
            splits.sort(Comparator.<Candidate>comparingInt(c -> vocab.get(c.left())).thenComparingInt(c -> vocab.get(c.right())));
            candidates.addAll(splits);
        }
        candidates.sort(Comparator.comparingDouble(Candidate::score)
                .thenComparingInt(c -> c.left().codePointCount(0, c.left().length()))
                .thenComparingInt(c -> c.right().codePointCount(0, c.right().length()))
                .reversed());
        return candidates.stream().map(c -> new String[] {c.left(), c.right()}).toList();
    }

    private static int nextCodePoint(String s, int at) {
        return at >= s.length() ? s.length() + 1 : at + Character.charCount(s.codePointAt(at));
    }

    /** Typed, checked access to the metadata map; every failure names the key. */
    private record Metadata(Map<String, Object> values) {
        boolean has(String key) { return values.get(key) != null; }

        String string(String key) {
            if (values.get(key) instanceof String s) return s;
            throw bad(key, "a string");
        }

        boolean bool(String key, boolean fallback) {
            Object v = values.get(key);
            if (v == null) return fallback;
            if (v instanceof Boolean b) return b;
            throw bad(key, "a boolean");
        }

        /** A token id within the vocabulary, or empty when absent or out of range (llama.cpp ignores those). */
        OptionalInt tokenId(String key, int tokenCount) {
            Object v = values.get(key);
            if (v == null) return OptionalInt.empty();
            if (!(v instanceof Number n) || n instanceof Double || n instanceof Float) throw bad(key, "an integer");
            long id = n.longValue();
            return id >= 0 && id < tokenCount ? OptionalInt.of((int) id) : OptionalInt.empty();
        }

        List<String> strings(String key) {
            List<?> list = list(key, 0);
            List<String> out = new ArrayList<>(list.size());
            for (Object o : list) {
                if (!(o instanceof String s)) throw bad(key, "a list of strings");
                out.add(s);
            }
            return out;
        }

        List<Long> longs(String key, int minSize) {
            List<Long> out = new ArrayList<>();
            for (Object o : list(key, minSize)) {
                if (!(o instanceof Number n) || o instanceof Double || o instanceof Float) throw bad(key, "a list of integers");
                out.add(n.longValue());
            }
            return out;
        }

        List<Double> doubles(String key, int minSize) {
            List<Double> out = new ArrayList<>();
            for (Object o : list(key, minSize)) {
                if (!(o instanceof Number n)) throw bad(key, "a list of numbers");
                out.add(n.doubleValue());
            }
            return out;
        }

        private List<?> list(String key, int minSize) {
            Object v = values.get(key);
            if (v == null) throw new TokenizerException(SOURCE, "missing " + key);
            if (!(v instanceof List<?> list)) throw bad(key, "a list");
            if (list.size() < minSize) {
                throw new TokenizerException(SOURCE, key + " has " + list.size() + " entries for " + minSize + " tokens");
            }
            return list;
        }

        private TokenizerException bad(String key, String expected) {
            Object v = values.get(key);
            return new TokenizerException(SOURCE, key + " is not " + expected
                    + (v == null ? " (missing)" : " (" + v.getClass().getSimpleName() + ")"));
        }
    }
}

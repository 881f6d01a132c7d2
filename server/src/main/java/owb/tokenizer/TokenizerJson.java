package owb.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import owb.json.JsonTree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face tokenizer.json (the tokenizers library's serialization, "version": "1.0")
 * into a {@link BpeTokenizer}. Every component our model families use is read; any other type is
 * refused with its name rather than guessed at.
 */
final class TokenizerJson {
    /** The largest tokenizer.json read: real ones are a few MB (Llama 3: 9 MB). */
    static final long MAX_FILE_BYTES = 256L << 20;

    private static final Pattern NEVER_MATCHES = Pattern.compile("(?!)");
    private static final List<String> BOS_GUESSES = List.of("<|begin_of_text|>", "<s>", "<bos>", "<|endoftext|>");
    private static final List<String> EOS_GUESSES = List.of("<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>");

    private final String source;

    private TokenizerJson(String source) {
        this.source = source;
    }

    static Tokenizer read(Path file) throws IOException {
        String source = file.toString();
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new TokenizerException(source, "larger than " + (MAX_FILE_BYTES >> 20) + " MB; not a tokenizer.json");
        }
        TokenizerJson reader = new TokenizerJson(source);
        Document document = reader.document(reader.text(Files.readAllBytes(file)));
        Path config = file.resolveSibling("tokenizer_config.json");
        JsonNode tokenizerConfig = Files.isRegularFile(config) && Files.size(config) <= MAX_FILE_BYTES
                ? parseJson(Files.readAllBytes(config), config.toString()) : null;
        return reader.tokenizer(document, tokenizerConfig);
    }

    /** For tests and callers holding the JSON text already. */
    static Tokenizer parse(String json, String source) {
        TokenizerJson reader = new TokenizerJson(source);
        return reader.tokenizer(reader.document(json), null);
    }

    /** The file's text; malformed UTF-8 is an error, as in Jackson's own decoding. */
    private String text(byte[] utf8) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw problem("not valid UTF-8");
        }
    }

    private static JsonNode parseJson(byte[] json, String source) {
        try {
            try (JsonParser p = JsonTree.LENIENT.createParser(json)) {   // like ObjectMapper.readTree: the first value
                return p.nextToken() == null ? MissingNode.getInstance() : JsonTree.read(p, JsonTree.Ints.SMALLEST);
            }
        } catch (IOException e) {
            throw notValidJson(source, e);
        }
    }

    /**
     * A tokenizer.json with its two large parts, the model's vocab and merges (10^5 entries each),
     * read straight into a map and a list, and everything else as a JSON tree: building tree nodes
     * for the vocab and merges made reading SmolLM2's 2 MB file take 0.25-0.4 s in a fresh process.
     * The merges are only checked to be well-formed JSON here, and kept as text: the model reads
     * them when it first encodes text.
     *
     * @param vocab  null when the model has none, or it is not an object (the model tree then says what it is)
     * @param merges null when the model has none, or it is not an array (likewise)
     */
    private record Document(JsonNode root, JsonNode model, Map<String, Integer> vocab, Supplier<List<String[]>> merges) {}

    private Document document(String json) {
        try (JsonParser p = JsonTree.LENIENT.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw problem("the top level is not a JSON object");
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            ObjectNode model = null;
            Map<String, Integer> vocab = null;
            Supplier<List<String[]>> merges = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("model") || value != JsonToken.START_OBJECT) {
                    root.set(field, JsonTree.read(p, JsonTree.Ints.SMALLEST));
                    continue;
                }
                model = JsonNodeFactory.instance.objectNode();
                root.set(field, model);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken token = p.nextToken();
                    if (name.equals("vocab") && token == JsonToken.START_OBJECT) {
                        vocab = vocab(p);
                        model.put(name, "(read as a map)");
                    } else if (name.equals("merges") && token == JsonToken.START_ARRAY) {
                        int start = (int) p.currentTokenLocation().getCharOffset();
                        p.skipChildren();
                        String array = json.substring(start, (int) p.currentTokenLocation().getCharOffset() + 1);
                        merges = () -> merges(array);
                        model.put(name, "(read when first needed)");
                    } else {
                        model.set(name, JsonTree.read(p, JsonTree.Ints.SMALLEST));
                    }
                }
            }
            if (p.nextToken() != null) throw problem("not valid JSON: content after the top-level object");
            return new Document(root, model, vocab, merges);
        } catch (IOException e) {
            throw notValidJson(source, e);
        }
    }

    /** model.vocab, the parser at its START_OBJECT: token to id, in file order. */
    private Map<String, Integer> vocab(JsonParser p) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            JsonToken id = p.nextToken();
            if (id != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
                throw problem("model.vocab: token " + BpeModel.quote(token) + " has no integer id");
            }
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    /** A parse failure as one line: Jackson's own message, without the location it appends. */
    private static TokenizerException notValidJson(String source, IOException e) {
        String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return new TokenizerException(source, "not valid JSON: " + message);
    }

    /** model.merges, given as the text of its array (checked to be well-formed JSON already). */
    private List<String[]> merges(String array) {
        try (JsonParser p = JsonTree.LENIENT.createParser(array)) {
            p.nextToken();
            return merges(p);
        } catch (IOException e) {
            throw notValidJson(source, e);
        }
    }

    /** model.merges, the parser at its START_ARRAY: each "left right" or [left, right]. */
    private List<String[]> merges(JsonParser p) throws IOException {
        List<String[]> merges = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            int index = merges.size();
            if (t == JsonToken.VALUE_STRING) {
                merges.add(merge(p.getText(), index));
                continue;
            }
            String left = t == JsonToken.START_ARRAY && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
            String right = left != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
            if (right == null || p.nextToken() != JsonToken.END_ARRAY) {
                throw problem("merge #" + (index + 1) + " is neither \"a b\" nor [a, b]");
            }
            merges.add(new String[] {left, right});
        }
        return merges;
    }

    private Tokenizer tokenizer(Document document, JsonNode tokenizerConfig) {
        JsonNode root = document.root();
        BpeModel model = model(required(root, "model"), document.vocab(), document.merges());
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        Normalizer normalizer = isAbsent(root.get("normalizer")) ? null : normalizer(root.get("normalizer"));
        PreTokenizer preTokenizer = isAbsent(root.get("pre_tokenizer")) ? null : preTokenizer(root.get("pre_tokenizer"));
        PostProcessor postProcessor = isAbsent(root.get("post_processor"))
                ? PostProcessor.NONE : postProcessor(root.get("post_processor"));
        Decoder decoder = isAbsent(root.get("decoder")) ? null : decoder(root.get("decoder"));

        Map<String, Integer> ids = new LinkedHashMap<>();
        for (AddedToken token : added) ids.putIfAbsent(token.content(), token.id());
        OptionalInt bos = specialTokenId(tokenizerConfig, "bos_token", ids, model, postProcessor.prefix(), BOS_GUESSES);
        OptionalInt eos = specialTokenId(tokenizerConfig, "eos_token", ids, model, new int[0], EOS_GUESSES);
        return new BpeTokenizer(new BpeTokenizer.Parts(model, added, normalizer, preTokenizer, postProcessor, decoder, bos, eos));
    }

    private BpeModel model(JsonNode model, Map<String, Integer> vocab, Supplier<List<String[]>> merges) {
        String type = model.path("type").asText("BPE");  // files written before 0.9 have no type
        if (!type.equals("BPE")) throw problem("model type " + type + " is not supported (only BPE is)");
        required(model, "vocab");
        if (vocab == null) throw problem("model.vocab is not an object");
        JsonNode mergesNode = model.path("merges");
        if (merges == null && !mergesNode.isMissingNode()) throw problem("model.merges is not an array");
        BpeModel.Options options = new BpeModel.Options(
                optionalText(model, "unk_token"), optionalText(model, "continuing_subword_prefix"),
                optionalText(model, "end_of_word_suffix"), model.path("fuse_unk").asBoolean(false),
                model.path("byte_fallback").asBoolean(false), model.path("ignore_merges").asBoolean(false));
        return new BpeModel(vocab, merges == null ? List::of : merges, options, source);
    }

    /** A merge in the older "left right" form. */
    private String[] merge(String line, int index) {
        int space = line.indexOf(' ');
        if (space < 0) throw problem("merge #" + (index + 1) + " " + BpeModel.quote(line) + " has no space");
        return new String[] {line.substring(0, space), line.substring(space + 1)};
    }

    private List<AddedToken> addedTokens(JsonNode array) {
        List<AddedToken> tokens = new ArrayList<>();
        if (array.isMissingNode() || array.isNull()) return tokens;
        if (!array.isArray()) throw problem("added_tokens is not an array");
        for (JsonNode t : array) {
            JsonNode id = required(t, "id");
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= BpeModel.MAX_ID) {
                throw problem("added token " + t.path("content") + " has a bad id " + id);
            }
            tokens.add(new AddedToken(id.intValue(), text(t, "content"), t.path("special").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(true)));
        }
        return tokens;
    }

    private Normalizer normalizer(JsonNode node) {
        String type = text(node, "type");
        return switch (type) {
            case "NFC" -> new Normalizer.UnicodeForm(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.UnicodeForm(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.UnicodeForm(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.UnicodeForm(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Prepend" -> new Normalizer.Prepend(text(node, "prepend"));
            case "Replace" -> new Normalizer.Replace(pattern(required(node, "pattern")), text(node, "content"));
            case "Strip" -> new Normalizer.Strip(node.path("strip_left").asBoolean(true), node.path("strip_right").asBoolean(true));
            case "Sequence" -> new Normalizer.Sequence(list(required(node, "normalizers"), this::normalizer));
            default -> throw unsupported("normalizer", type);
        };
    }

    private PreTokenizer preTokenizer(JsonNode node) {
        String type = text(node, "type");
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.ByteLevelWords(node.path("add_prefix_space").asBoolean(true),
                    node.path("use_regex").asBoolean(true));
            case "Split" -> new PreTokenizer.Split(pattern(required(node, "pattern")),
                    behavior(text(node, "behavior")), node.path("invert").asBoolean(false));
            case "Digits" -> new PreTokenizer.Digits(node.path("individual_digits").asBoolean(false));
            case "Metaspace" -> new PreTokenizer.Metaspace(replacement(node), prependScheme(node),
                    node.path("split").asBoolean(true));
            case "WhitespaceSplit" -> new PreTokenizer.Split(Pattern.compile("\\s+", OnigurumaRegex.FLAGS),
                    SplitBehavior.REMOVED, false);
            case "Whitespace" -> new PreTokenizer.Split(Pattern.compile("\\w+|[^\\w\\s]+", OnigurumaRegex.FLAGS),
                    SplitBehavior.REMOVED, true);
            case "Sequence" -> new PreTokenizer.Sequence(list(required(node, "pretokenizers"), this::preTokenizer));
            default -> throw unsupported("pre-tokenizer", type);
        };
    }

    private PostProcessor postProcessor(JsonNode node) {
        String type = text(node, "type");
        return switch (type) {
            case "ByteLevel" -> PostProcessor.NONE;
            case "TemplateProcessing" -> template(node);
            case "RobertaProcessing", "BertProcessing" -> new PostProcessor(
                    new int[] {tokenAndId(required(node, "cls"), "cls")}, new int[] {tokenAndId(required(node, "sep"), "sep")});
            case "Sequence" -> {
                PostProcessor composed = PostProcessor.NONE;
                for (JsonNode step : required(node, "processors")) composed = composed.then(postProcessor(step));
                yield composed;
            }
            default -> throw unsupported("post-processor", type);
        };
    }

    /** The single-sequence template: the special tokens before "$A" and after it. */
    private PostProcessor template(JsonNode node) {
        JsonNode specials = required(node, "special_tokens");
        IntList prefix = new IntList();
        IntList suffix = new IntList();
        boolean seenSequence = false;
        for (JsonNode piece : required(node, "single")) {
            if (piece.has("Sequence")) {
                seenSequence = true;
            } else if (piece.has("SpecialToken")) {
                String name = text(piece.get("SpecialToken"), "id");
                JsonNode special = specials.get(name);
                if (special == null) throw problem("post_processor: template token " + BpeModel.quote(name) + " is not in special_tokens");
                for (JsonNode id : required(special, "ids")) (seenSequence ? suffix : prefix).add(id.asInt());
            } else {
                throw problem("post_processor: a template piece is neither Sequence nor SpecialToken");
            }
        }
        return new PostProcessor(prefix.toArray(), suffix.toArray());
    }

    private int tokenAndId(JsonNode pair, String name) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(1).isIntegralNumber()) {
            throw problem("post_processor." + name + " is not [token, id]");
        }
        return pair.get(1).asInt();
    }

    private Decoder decoder(JsonNode node) {
        String type = text(node, "type");
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevelBytes();
            case "Replace" -> new Decoder.Replace(pattern(required(node, "pattern")), text(node, "content"));
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> {
                String content = text(node, "content");
                if (content.codePointCount(0, content.length()) != 1) throw problem("decoder Strip: content is not one character");
                yield new Decoder.Strip(content.codePointAt(0), node.path("start").asInt(0), node.path("stop").asInt(0));
            }
            case "Metaspace" -> new Decoder.Metaspace(replacement(node), prependScheme(node) != PreTokenizer.PrependScheme.NEVER);
            case "Sequence" -> new Decoder.Sequence(list(required(node, "decoders"), this::decoder));
            default -> throw unsupported("decoder", type);
        };
    }

    /** {"String": literal} or {"Regex": Oniguruma pattern}. */
    private Pattern pattern(JsonNode node) {
        if (node.has("String")) {
            String literal = text(node, "String");
            return literal.isEmpty() ? NEVER_MATCHES : Literals.pattern(literal);  // an empty literal matches nothing
        }
        if (node.has("Regex")) {
            try {
                return OnigurumaRegex.compile(text(node, "Regex"));
            } catch (IllegalArgumentException e) {
                throw new TokenizerException(source, e.getMessage(), e);
            }
        }
        throw problem("a pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
    }

    private SplitBehavior behavior(String name) {
        try {
            return SplitBehavior.fromJson(name);
        } catch (IllegalArgumentException e) {
            throw problem(e.getMessage());
        }
    }

    private String replacement(JsonNode node) {
        String replacement = node.has("replacement") ? text(node, "replacement") : "\u2581";
        if (replacement.codePointCount(0, replacement.length()) != 1) throw problem("Metaspace replacement is not one character");
        return replacement;
    }

    /** prepend_scheme, or the older add_prefix_space flag it replaced. */
    private PreTokenizer.PrependScheme prependScheme(JsonNode node) {
        if (node.has("prepend_scheme")) {
            return switch (text(node, "prepend_scheme")) {
                case "always" -> PreTokenizer.PrependScheme.ALWAYS;
                case "first" -> PreTokenizer.PrependScheme.FIRST;
                case "never" -> PreTokenizer.PrependScheme.NEVER;
                default -> throw problem("unknown Metaspace prepend_scheme " + node.get("prepend_scheme"));
            };
        }
        return node.path("add_prefix_space").asBoolean(true) ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
    }

    /**
     * A bos or eos token: named in tokenizer_config.json (a string or {"content": ...}), else the
     * first special token the post-processor puts before a text (bos), else a conventional name.
     */
    private static OptionalInt specialTokenId(JsonNode config, String key, Map<String, Integer> added, BpeModel model,
                                              int[] templatePrefix, List<String> guesses) {
        if (config != null && config.has(key)) {
            JsonNode value = config.get(key);
            String name = value.isTextual() ? value.asText() : value.path("content").asText(null);
            return name == null ? OptionalInt.empty() : idOf(name, added, model);
        }
        if (templatePrefix.length > 0) return OptionalInt.of(templatePrefix[0]);
        for (String guess : guesses) {
            OptionalInt id = idOf(guess, added, model);
            if (id.isPresent()) return id;
        }
        return OptionalInt.empty();
    }

    private static OptionalInt idOf(String token, Map<String, Integer> added, BpeModel model) {
        Integer id = added.get(token);
        return id != null ? OptionalInt.of(id) : model.id(token);
    }

    private <T> List<T> list(JsonNode array, java.util.function.Function<JsonNode, T> each) {
        if (!array.isArray()) throw problem("expected an array, found " + array.getNodeType());
        List<T> out = new ArrayList<>();
        for (JsonNode item : array) out.add(each.apply(item));
        return out;
    }

    private JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) throw problem("missing \"" + field + "\"");
        return value;
    }

    private String text(JsonNode node, String field) {
        JsonNode value = required(node, field);
        if (!value.isTextual()) throw problem("\"" + field + "\" is not a string");
        return value.asText();
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isTextual() ? null : value.asText();
    }

    private static boolean isAbsent(JsonNode node) {
        return node == null || node.isNull();
    }

    private TokenizerException unsupported(String component, String type) {
        return problem(component + " type " + type + " is not supported");
    }

    private TokenizerException problem(String problem) {
        return new TokenizerException(source, problem);
    }
}

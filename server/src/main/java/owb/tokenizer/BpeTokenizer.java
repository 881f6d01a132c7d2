package owb.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The tokenizers library's pipeline around a BPE model, for both kinds of vocabulary our model
 * families use: byte-level (GPT-2, Llama 3, Qwen2, SmolLM2: ByteLevel pre-tokenizer and decoder)
 * and SentencePiece-style (Llama 2, Mistral, TinyLlama: ▁ for spaces, byte fallback). Encoding:
 * added tokens found, the text between them normalized, cut into words, each word merged; then
 * the post-processor's special tokens. Decoding: tokens looked up, then the decoder's steps.
 */
final class BpeTokenizer implements Tokenizer {

    /**
     * @param normalizer   null for none
     * @param preTokenizer null for none: each piece between added tokens is one word
     * @param decoder      null for none: tokens joined with spaces, as the library does
     */
    record Parts(BpeModel model, List<AddedToken> addedTokens, Normalizer normalizer, PreTokenizer preTokenizer,
                 PostProcessor postProcessor, Decoder decoder, OptionalInt bos, OptionalInt eos) {}

    private final BpeModel model;
    private final AddedVocabulary addedVocabulary;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final Decoder singleTokenDecoder;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final int vocabSize;

    BpeTokenizer(Parts parts) {
        this.model = parts.model();
        this.addedVocabulary = new AddedVocabulary(parts.addedTokens(), parts.normalizer());
        this.preTokenizer = parts.preTokenizer();
        this.postProcessor = parts.postProcessor();
        this.decoder = parts.decoder();
        this.singleTokenDecoder = decoder == null ? null : decoder.forSingleToken();
        this.bos = parts.bos();
        this.eos = parts.eos();
        int limit = model.idLimit();
        for (AddedToken token : parts.addedTokens()) limit = Math.max(limit, token.id() + 1);
        this.vocabSize = limit;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 4);
        List<Piece> words = new ArrayList<>();
        for (AddedVocabulary.Segment segment : addedVocabulary.segments(text)) {
            if (segment.isToken()) {
                ids.add(segment.tokenId());
                continue;
            }
            if (preTokenizer == null) {
                model.tokenize(segment.piece().text(), ids);
                continue;
            }
            words.clear();
            preTokenizer.split(segment.piece(), words);
            for (Piece word : words) model.tokenize(word.text(), ids);
        }
        int[] encoded = ids.toArray();
        return addSpecialTokens ? postProcessor.apply(encoded) : encoded;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = token(id);
            if (token == null || (skipSpecialTokens && addedVocabulary.isSpecial(token))) continue;
            tokens.add(token);
        }
        return decoder == null ? String.join(" ", tokens) : decoder.decode(tokens);
    }

    @Override
    public String tokenText(int id) {
        String token = token(id);
        if (token == null) throw new IllegalArgumentException("no token has id " + id);
        if (addedVocabulary.content(id) != null || singleTokenDecoder == null) return token;
        String text = singleTokenDecoder.decode(List.of(token));
        if (text.indexOf('\uFFFD') < 0 || token.indexOf('\uFFFD') >= 0) return text;
        // Part of a character: its bytes, named the way SentencePiece names byte tokens.
        if (Decoder.ByteFallback.byteOf(token) >= 0 || !ByteLevel.isSpelled(token)) return token;
        ByteSink bytes = new ByteSink();
        ByteLevel.appendBytes(token, bytes);
        return bytes.toStringMarkingInvalidBytes();
    }

    @Override
    public OptionalInt tokenId(String token) {
        Integer added = addedVocabulary.id(token);
        return added != null ? OptionalInt.of(added) : model.id(token);
    }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public OptionalInt bos() { return bos; }

    @Override
    public OptionalInt eos() { return eos; }

    /** The token string of an id: the added token's content, else the model's token; null if none. */
    private String token(int id) {
        String added = addedVocabulary.content(id);
        return added != null ? added : model.token(id);
    }
}

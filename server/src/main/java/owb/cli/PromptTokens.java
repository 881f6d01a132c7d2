package owb.cli;

import java.util.OptionalInt;

import owb.checkpoint.Checkpoint;
import owb.model.ModelException;
import owb.probe.AttentionSummary;
import owb.tokenizer.TokenSpec;
import owb.tokenizer.Tokenizer;

/** The --prompt / --tokens input of the probe commands, with the model's tokenizer for display. */
record PromptTokens(int[] ids, RunCommand.TokenTexts texts, RunCommand.TokenizerOrReason tokenizer) {

    static void checkOptions(Args args) {
        String prompt = args.option("prompt", null);
        if ((prompt == null) == (args.option("tokens", null) == null)) throw new UsageException("give either --prompt or --tokens");
        if (prompt != null && prompt.isEmpty()) throw new UsageException("--prompt is empty");
    }

    /**
     * About how many tokens the --prompt or --tokens input makes, before any tokenizer is read (for
     * the engine's warm-up): one per id, or one per four characters of text (English BPE) and a BOS.
     */
    static int estimatedCount(Args args) {
        String ids = args.option("tokens", null);
        if (ids != null) return ids.split(",", -1).length;
        String prompt = args.option("prompt", null);
        return prompt == null ? 0 : 1 + prompt.length() / 4;
    }

    static PromptTokens of(Args args, Checkpoint checkpoint) {
        RunCommand.TokenizerOrReason tokenizer = RunCommand.tokenizer(checkpoint);
        String prompt = args.option("prompt", null);
        int[] ids = prompt != null ? RunCommand.encode(tokenizer, prompt) : RunCommand.parseTokens(args.option("tokens", null));
        return new PromptTokens(ids, new RunCommand.TokenTexts(tokenizer.tokenizer()), tokenizer);
    }

    /**
     * {@link AttentionSummary#inductionPrompt}: {@code length} random ids below the tokenizer's
     * vocabulary (or {@code dVocab}), twice, after the tokenizer's BOS when it has one.
     */
    static PromptTokens induction(Checkpoint checkpoint, long seed, int length, int dVocab) {
        RunCommand.TokenizerOrReason tokenizer = RunCommand.tokenizer(checkpoint);
        Tokenizer t = tokenizer.tokenizer();
        int vocab = t == null ? dVocab : Math.min(dVocab, t.vocabSize());
        int[] ids = AttentionSummary.inductionPrompt(seed, length, vocab, t == null ? OptionalInt.empty() : t.bos());
        return new PromptTokens(ids, new RunCommand.TokenTexts(t), tokenizer);
    }

    /** A target token: {@code #ID}, a token string as the vocabulary spells it, or text whose first token is taken. */
    record Target(int id, String note) {}

    Target target(String spec, int vocab) {
        if (tokenizer.tokenizer() == null && !spec.startsWith("#") && !spec.isEmpty()) {
            throw new ModelException(tokenizer.reason() + "; give the target as #ID");
        }
        TokenSpec token;
        try {
            token = TokenSpec.resolve(spec, tokenizer.tokenizer(), vocab, "--target");
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String note = token.encodedLength() == 1 ? null : "--target " + RunCommand.quote(spec) + " encodes to "
                + token.encodedLength() + " tokens; using the first, " + token.id() + ":" + RunCommand.quote(texts.text(token.id()));
        return new Target(token.id(), note);
    }
}

package owb.model;

import java.util.List;

/**
 * A causal language model with TransformerLens hook points, run on the CPU from a checkpoint's
 * own weights (see {@link ModelLoader}). Activations are float32; weights stay in their stored
 * encoding. The checkpoint must stay open while the model is used.
 */
public sealed interface LanguageModel permits PreNormModel {

    ModelConfig config();

    /**
     * Runs {@code tokens} at positions [cache.length(), cache.length() + n) and appends their keys
     * and values to {@code cache}.
     *
     * @param allPositions logits for every position, or only for the last one
     * @return logits [n, d_vocab], or [1, d_vocab]
     * @throws ModelException for no tokens, a token id outside the vocabulary, or positions past
     *                        what the model can represent
     */
    float[] forward(int[] tokens, KvCache cache, Hooks hooks, boolean allPositions);

    /** Logits [n, d_vocab] for a whole prompt, from an empty cache. */
    default float[] forward(int[] tokens, Hooks hooks) {
        return forward(tokens, new KvCache(config()), hooks, true);
    }

    default float[] forward(int[] tokens) {
        return forward(tokens, Hooks.none());
    }

    /**
     * Blocks [layer, n_layers) on the residual stream entering block {@code layer}, for positions
     * [cache.length(), cache.length() + n): the rest of a forward pass without the final norm and
     * unembedding ({@link #unembedResidual} gives the logits). Blocks below {@code layer} are not
     * run, so a patch at layer L costs only the blocks from L on (activation patching). The cache
     * must hold the keys and values of the earlier positions for blocks [layer, n_layers); it gets
     * the new positions' for those blocks only, so truncate it back to its old length before
     * anything else runs on it. Hooks apply from {@code blocks.{layer}.hook_resid_pre} to the last
     * block's {@code hook_resid_post}.
     *
     * @param resid [n, d_model], not changed (a hook at {@code hook_resid_pre} sees a copy)
     * @return the residual stream leaving the last block [n, d_model] ({@code blocks.{n-1}.hook_resid_post})
     */
    default float[] runBlocks(int layer, float[] resid, KvCache cache, Hooks hooks) {
        return runBlocks(layer, resid, List.of(cache), hooks);
    }

    /**
     * {@link #runBlocks(int, float[], KvCache, Hooks)} for several sequences at once: resid stacks
     * one [n, d_model] residual per cache, every cache holds the same number of positions, and each
     * sequence attends only to its own cache and positions. The projections and MLPs run once over
     * all the rows, so a weight matrix is dequantized once for every sequence (patched runs that
     * resume at the same block). Hooks see the stacked activations [caches * n, ...]; asking for
     * the attention scores or pattern with more than one sequence is an error.
     *
     * @return the residual streams leaving the last block, stacked as resid
     */
    float[] runBlocks(int layer, float[] resid, List<KvCache> caches, Hooks hooks);

    /**
     * The model's own final norm (its weight and bias) then its unembedding, applied without hooks
     * to residual-stream vectors resid [n, d_model] (the logit lens). For the last block's
     * {@code hook_resid_post} this gives {@link #forward}'s logits.
     *
     * @return logits [n, d_vocab]
     */
    float[] unembedResidual(float[] resid, int n);

    /** The final norm's parameters (for direct logit attribution). */
    FinalNorm finalNorm();

    /** Row {@code token} of the unembedding W_U [d_vocab, d_model]: logit = final-norm output · row. */
    float[] unembeddingRow(int token);

    /**
     * Each head's write into the residual stream at one position: z [heads, d_head] (one position
     * of {@code blocks.L.attn.hook_z}) to [heads, d_model], z_h · W_O[h] without the output bias.
     * The rows sum to {@code hook_attn_out} minus {@link #attentionOutputBias}.
     */
    float[] headOutputs(int layer, float[] z);

    /** The attention output projection's bias [d_model] (zeros when it has none). */
    float[] attentionOutputBias(int layer);

    /** Greedy continuation: the {@code count} tokens that follow {@code prompt} (no stop at end-of-sequence). */
    default int[] generate(int[] prompt, int count) {
        return generate(prompt, count, Hooks.none());
    }

    /**
     * Greedy continuation with a KV cache: the prompt runs once, then each new token alone.
     * {@code hooks} apply at every step (the prompt's pass, then one position at a time).
     */
    default int[] generate(int[] prompt, int count, Hooks hooks) {
        KvCache cache = new KvCache(config());
        float[] logits = forward(prompt, cache, hooks, false);
        return continueGreedily(logits, cache, count, hooks);
    }

    /**
     * The {@code count} greedy tokens after a forward pass that filled {@code cache}.
     *
     * @param nextLogits [d_vocab] logits of the last position that pass ran
     */
    default int[] continueGreedily(float[] nextLogits, KvCache cache, int count, Hooks hooks) {
        if (count < 0) throw new IllegalArgumentException("cannot generate " + count + " tokens");
        int vocab = config().dVocab();
        if (nextLogits.length < vocab) throw new IllegalArgumentException("logits for " + vocab + " tokens expected");
        int[] generated = new int[count];
        float[] logits = nextLogits;
        for (int t = 0; t < count; t++) {
            generated[t] = argmax(logits, logits.length - vocab, logits.length);
            if (t + 1 < count) logits = forward(new int[] {generated[t]}, cache, hooks, false);
        }
        return generated;
    }

    /** The index of the largest value in values[from, to) (the first one on ties, as torch.argmax). */
    static int argmax(float[] values, int from, int to) {
        int best = from;
        for (int i = from + 1; i < to; i++) {
            if (values[i] > values[best]) best = i;
        }
        return best - from;
    }

    /** Rows of each of {@code caches.size()} stacked sequences in {@code rows} rows. */
    static int rowsPerSequence(int rows, List<KvCache> caches) {
        if (caches.isEmpty() || rows % caches.size() != 0) {
            throw new ModelException(rows + " residual rows do not split into " + caches.size() + " equal sequences");
        }
        return rows / caches.size();
    }

    /** Checks {@link #runBlocks}' input; returns the number of positions. */
    static int checkResidual(int layer, float[] resid, ModelConfig config) {
        if (layer < 0 || layer > config.nLayers()) {
            throw new ModelException("layer " + layer + " outside 0.." + config.nLayers());
        }
        int d = config.dModel();
        if (resid.length == 0 || resid.length % d != 0) {
            throw new ModelException("a residual stream of " + resid.length + " values is not [n, " + d + "]");
        }
        return resid.length / d;
    }

    /** Checks a forward pass's input against the vocabulary and the positions the model has. */
    static void checkInput(int[] tokens, int start, ModelConfig config, int maxPositions) {
        if (tokens.length == 0) throw new ModelException("no tokens to run");
        for (int id : tokens) {
            if (id < 0 || id >= config.dVocab()) {
                throw new ModelException("token id " + id + " is outside the vocabulary (0.." + (config.dVocab() - 1) + ")");
            }
        }
        if ((long) start + tokens.length > maxPositions) {
            throw new ModelException((start + tokens.length) + " positions exceed the model's " + maxPositions);
        }
        // the widest activations: logits [n, d_vocab], the MLP [n, d_mlp], a materialised pattern [heads, n, keys]
        long widest = Math.max(Math.max(config.dVocab(), config.dMlp()),
                Math.max(3L * config.nHeads() * config.dHead(), (long) config.nHeads() * (start + tokens.length)));
        if (widest * tokens.length > Integer.MAX_VALUE - 16) {
            throw new ModelException(tokens.length + " tokens in one pass need activations larger than a Java array;"
                    + " run the prompt in parts through one KvCache");
        }
    }
}

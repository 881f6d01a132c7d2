package owb.http;

import owb.model.Activation;
import owb.model.ActivationCache;
import owb.probe.NextTokens;

import java.util.List;

/**
 * One forward pass kept for the instruments: which model ran on which tokens, the activations it
 * captured (by TransformerLens hook name) and the next-token predictions shown when it was made.
 * The final logits are not kept ([pos, d_vocab], 49152 floats a position on SmolLM2, more than
 * everything else at short lengths): the lens and DLA recompute what they need from the last
 * residual stream.
 *
 * @param top         tokens listed per position in {@code predictions}
 * @param bytes       float32 data of the captured activations: what the run cache's bound counts
 */
record Run(String id, String modelId, int[] tokens, List<String> tokenTexts, int nLayers, int nHeads, int dModel,
           int top, List<List<NextTokens.Prediction>> predictions, ActivationCache activations, long bytes) {

    int positions() { return tokens.length; }

    Activation activation(String hook) { return activations.get(hook); }

    /** Bytes of the captured activations' data. */
    static long bytesOf(ActivationCache cache) {
        long bytes = 0;
        for (String name : cache.names()) bytes += (long) cache.get(name).size() * Float.BYTES;
        return bytes;
    }
}

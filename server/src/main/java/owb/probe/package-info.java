/**
 * Looking inside a forward pass, on the engine's TransformerLens hook points ({@link owb.model}):
 * {@link owb.probe.LogitLens} (each layer's residual through the model's own final norm and
 * unembedding: top tokens, entropy, KL to the output, a target's rank),
 * {@link owb.probe.AttentionSummary} (patterns; per-head entropy, sink, previous-token,
 * duplicate-token and induction scores; top keys per query; induction prompts) and
 * {@link owb.probe.DirectLogitAttribution} (each head's, MLP's and embedding's share of a logit or
 * logit difference through the final norm's scale at that position). The CLI's {@code owb lens}
 * and {@code owb attention} print them.
 */
package owb.probe;

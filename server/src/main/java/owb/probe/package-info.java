/**
 * Looking inside a forward pass, on the engine's TransformerLens hook points ({@link owb.model}):
 * {@link owb.probe.LogitLens} (each layer's residual through the model's own final norm and
 * unembedding: top tokens, entropy, KL to the output, a target's rank),
 * {@link owb.probe.AttentionSummary} (patterns; per-head entropy, sink, previous-token,
 * duplicate-token and induction scores; top keys per query; induction prompts),
 * {@link owb.probe.DirectLogitAttribution} (each head's, MLP's and embedding's share of a logit or
 * logit difference through the final norm's scale at that position),
 * {@link owb.probe.ActivationPatching} (clean activations patched into a corrupted run, per layer and
 * position and per head, scored by the normalised logit difference) and {@link owb.probe.LinearProbe}
 * (ridge or logistic {@link owb.probe.LinearClassifier}s on pooled activations at a hook, per layer).
 *
 * <p>{@link owb.probe.ProbeSuite} reads the declarative experiments of {@code probes/},
 * {@link owb.probe.ProbeRunner} runs one on a model into a {@link owb.probe.ProbeReport}. Results
 * have {@code toJson()} maps with snake_case keys. The CLI's {@code owb lens}, {@code owb attention}
 * and {@code owb probe} print them.
 */
package owb.probe;

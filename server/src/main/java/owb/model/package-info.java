/**
 * The forward pass: GPT-2 and the Llama family (Llama 2 and 3, Mistral, Qwen2, SmolLM2,
 * TinyLlama) on the CPU, from safetensors or GGUF weights kept in their stored encoding (F32,
 * BF16, F16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K), with TransformerLens' hook points.
 *
 * <pre>{@code
 * try (Checkpoint checkpoint = Checkpoints.open(path)) {
 *     LanguageModel model = ModelLoader.load(checkpoint);
 *     Hooks hooks = new Hooks().capture("blocks.*.attn.hook_pattern")
 *             .zero("blocks.3.hook_mlp_out");
 *     float[] logits = model.forward(tokens, hooks);              // [n, d_vocab]
 *     Activation pattern = hooks.cache().get("blocks.0.attn.hook_pattern"); // [head, q, k]
 *     int[] next = model.generate(tokens, 20);                    // greedy, with a KV cache
 * }
 * }</pre>
 *
 * <p>Pieces: {@link owb.model.ModelConfig} (config.json or GGUF metadata), {@link owb.model.ModelLoader}
 * (binds tensors per family and format, checks shapes), {@code Gpt2Model} and {@code LlamaModel}
 * (one straight-line forward each), sharing {@code Norm}, {@code Rope}, {@code Attention},
 * {@code Activations}, {@code Embedding} and the {@code Linear} layers that call the tensor
 * package's kernels; {@link owb.model.KvCache}; {@link owb.model.Hooks},
 * {@link owb.model.Activation}, {@link owb.model.ActivationCache}.
 *
 * <p>Hook points and shapes (no batch dimension; H heads, K key/value heads):
 * {@code hook_embed} [pos, d_model], {@code hook_pos_embed} (GPT-2), then per block L:
 * {@code blocks.L.hook_resid_pre}, {@code ln1.hook_scale} [pos, 1], {@code ln1.hook_normalized},
 * {@code attn.hook_q} [pos, H, d_head], {@code attn.hook_k}/{@code hook_v} [pos, K, d_head],
 * {@code attn.hook_rot_q}/{@code hook_rot_k} (rotary families), {@code attn.hook_attn_scores} and
 * {@code attn.hook_pattern} [H, q_pos, k_pos], {@code attn.hook_z} [pos, H, d_head],
 * {@code hook_attn_out}, {@code hook_resid_mid}, {@code ln2.hook_scale}, {@code ln2.hook_normalized},
 * {@code mlp.hook_pre} [pos, d_mlp] (gate projection for SwiGLU), {@code mlp.hook_pre_linear}
 * (SwiGLU's up projection), {@code mlp.hook_post}, {@code hook_mlp_out}, {@code hook_resid_post};
 * finally {@code ln_final.hook_scale} and {@code ln_final.hook_normalized}.
 *
 * <p>Semantics worth knowing: {@code hook_normalized} is the normalized vector <em>before</em> the
 * norm's weight and bias (TransformerLens' view of a model loaded with fold_ln, its default); the
 * module's output is hook_normalized · w + b. Masked attention scores are -inf and masked pattern
 * entries 0. GGUF llama files store q/k rows permuted for interleaved rotary; the model un-permutes
 * the q/k activations per head right after the projection, so every hook reads as for the Hugging
 * Face checkpoint (see {@code Rope}).
 *
 * <p>Checked against Hugging Face transformers (float32) on the tiny models of
 * samples/fixtures/models, every family and weight format, to 1e-4 (observed ≤ 2e-5).
 */
package owb.model;

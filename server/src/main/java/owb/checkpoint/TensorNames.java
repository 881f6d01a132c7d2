package owb.checkpoint;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names across formats: the Hugging Face name (safetensors, PyTorch) of a GGUF tensor and
 * back, for the GPT-2 and Llama families, as llama.cpp's converter renames them (gguf-py
 * tensor_mapping.py). The canonical name of a tensor is its Hugging Face name, so a safetensors
 * base and a GGUF fine-tune line up tensor by tensor.
 *
 * <p>The map is about names; values can differ in layout too:
 * <ul>
 *   <li>GPT-2's Hugging Face checkpoints keep attention and MLP weights ({@code c_attn},
 *       {@code c_proj}, {@code c_fc}) in Conv1D layout, {@code [in, out]}; the converter
 *       transposes them, so in GGUF they are {@code [out, in]} like every other linear layer.
 *   <li>Llama-family conversions permute the rows of {@code attn_q} and {@code attn_k} (and their
 *       biases) within each head, from Hugging Face's rotary layout (two halves) to interleaved
 *       pairs ({@code LlamaModel.permute} in convert_hf_to_gguf.py).
 * </ul>
 * GPT-2 checkpoints saved from {@code GPT2Model} (openai-community/gpt2) lack the
 * {@code transformer.} prefix; both spellings are accepted and the prefixed one is canonical.
 * Names with no counterpart (GPT-2's {@code attn.bias} mask buffer, {@code rotary_emb.inv_freq},
 * GGUF's {@code rope_freqs}) map to nothing.
 */
public final class TensorNames {
    private TensorNames() {}

    /** Model families whose names this class maps. */
    public enum Family { GPT2, LLAMA }

    /** One module's name in each format, {@code {N}} standing for the block index. */
    private record Rename(String hf, String gguf) {}

    private static final List<Rename> GPT2 = List.of(
            new Rename("transformer.wte", "token_embd"),
            new Rename("transformer.wpe", "position_embd"),
            new Rename("transformer.h.{N}.ln_1", "blk.{N}.attn_norm"),
            new Rename("transformer.h.{N}.attn.c_attn", "blk.{N}.attn_qkv"),
            new Rename("transformer.h.{N}.attn.c_proj", "blk.{N}.attn_output"),
            new Rename("transformer.h.{N}.ln_2", "blk.{N}.ffn_norm"),
            new Rename("transformer.h.{N}.mlp.c_fc", "blk.{N}.ffn_up"),
            new Rename("transformer.h.{N}.mlp.c_proj", "blk.{N}.ffn_down"),
            new Rename("transformer.ln_f", "output_norm"),
            new Rename("lm_head", "output"));

    private static final List<Rename> LLAMA = List.of(
            new Rename("model.embed_tokens", "token_embd"),
            new Rename("model.layers.{N}.input_layernorm", "blk.{N}.attn_norm"),
            new Rename("model.layers.{N}.self_attn.q_proj", "blk.{N}.attn_q"),
            new Rename("model.layers.{N}.self_attn.k_proj", "blk.{N}.attn_k"),
            new Rename("model.layers.{N}.self_attn.v_proj", "blk.{N}.attn_v"),
            new Rename("model.layers.{N}.self_attn.o_proj", "blk.{N}.attn_output"),
            new Rename("model.layers.{N}.post_attention_layernorm", "blk.{N}.ffn_norm"),
            new Rename("model.layers.{N}.mlp.gate_proj", "blk.{N}.ffn_gate"),
            new Rename("model.layers.{N}.mlp.up_proj", "blk.{N}.ffn_up"),
            new Rename("model.layers.{N}.mlp.down_proj", "blk.{N}.ffn_down"),
            new Rename("model.norm", "output_norm"),
            new Rename("lm_head", "output"));

    private static final String GPT2_PREFIX = "transformer.";
    private static final Pattern PARAMETER = Pattern.compile("(.+)\\.(weight|bias)");

    /**
     * The family of an architecture as GGUF ({@code general.architecture}) or Hugging Face
     * ({@code model_type} or an {@code architectures} class name) spells it.
     */
    public static Optional<Family> family(String architecture) {
        if (architecture == null) return Optional.empty();
        return switch (architecture.toLowerCase(Locale.ROOT)) {
            case "gpt2", "gpt2model", "gpt2lmheadmodel" -> Optional.of(Family.GPT2);
            case "llama", "mistral", "llamamodel", "llamaforcausallm", "mistralforcausallm" ->
                    Optional.of(Family.LLAMA);
            default -> Optional.empty();
        };
    }

    /** The Hugging Face name of a GGUF tensor, e.g. {@code blk.3.attn_q.weight} to
     *  {@code model.layers.3.self_attn.q_proj.weight}; empty when it has none. */
    public static Optional<String> ggufToHf(String ggufName, String architecture) {
        return family(architecture).flatMap(f -> rename(ggufName, renames(f), false));
    }

    /** The GGUF name of a Hugging Face tensor; empty when it has none. */
    public static Optional<String> hfToGguf(String hfName, String architecture) {
        Optional<Family> family = family(architecture);
        if (family.isEmpty()) return Optional.empty();
        Optional<String> gguf = rename(hfName, renames(family.get()), true);
        if (gguf.isEmpty() && family.get() == Family.GPT2 && !hfName.startsWith(GPT2_PREFIX)) {
            gguf = rename(GPT2_PREFIX + hfName, GPT2, true);
        }
        return gguf;
    }

    /**
     * The name to compare {@code name} by across formats: its Hugging Face name in the canonical
     * spelling, or {@code name} itself when the family or the name is not one this class maps.
     */
    public static String canonical(String name, Checkpoint.Format format, String architecture) {
        return switch (format) {
            case GGUF -> ggufToHf(name, architecture).orElse(name);
            case SAFETENSORS -> hfToGguf(name, architecture)
                    .flatMap(gguf -> ggufToHf(gguf, architecture))
                    .orElse(name);
        };
    }

    private static List<Rename> renames(Family family) {
        return switch (family) {
            case GPT2 -> GPT2;
            case LLAMA -> LLAMA;
        };
    }

    private static Optional<String> rename(String name, List<Rename> renames, boolean fromHf) {
        Matcher parameter = PARAMETER.matcher(name);
        if (!parameter.matches()) return Optional.empty();
        String module = parameter.group(1);
        for (Rename r : renames) {
            String from = fromHf ? r.hf() : r.gguf();
            String to = fromHf ? r.gguf() : r.hf();
            Optional<String> block = match(from, module);
            if (block.isPresent()) {
                return Optional.of(to.replace("{N}", block.get()) + "." + parameter.group(2));
            }
        }
        return Optional.empty();
    }

    /** The block index when {@code module} fits {@code template} ("" for templates without one). */
    private static Optional<String> match(String template, String module) {
        int n = template.indexOf("{N}");
        if (n < 0) return template.equals(module) ? Optional.of("") : Optional.empty();
        String before = template.substring(0, n);
        String after = template.substring(n + 3);
        if (!module.startsWith(before) || !module.endsWith(after)
                || module.length() <= before.length() + after.length()) {
            return Optional.empty();
        }
        String block = module.substring(before.length(), module.length() - after.length());
        return block.chars().allMatch(c -> c >= '0' && c <= '9') ? Optional.of(block) : Optional.empty();
    }
}

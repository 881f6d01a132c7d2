"""Writes a small Llama-like base checkpoint and a fine-tune of it with known edits (OUTDIR/diff/).

base/                 safetensors F32, 4 layers, hidden 128, 4 heads (2 kv heads), mlp 256, vocab 256
derivative/           the base plus the edits listed in expected.json:
                        rank-4 delta on layers.1 q_proj, rank-8 delta on layers.2 down_proj,
                        a small full-rank perturbation on layers.3 v_proj, a changed norm
                        (layers.0 post_attention_layernorm), vocabulary grown by 4 rows
                        (embed_tokens and lm_head; the shared rows untouched); nothing else.
                      base/ and derivative/ have a tokenizer.json: one byte-level token per byte (ids
                        0..255, GPT-2's byte-to-character map, no merges); the derivative's adds four
                        special tokens (ids 256..259), as a chat fine-tune does, so prompts run on both.
derivative.gguf       the derivative as llama.cpp's converter writes it (F32, attn_q/attn_k rows
                        permuted within each head; no tokenizer metadata: GGUF cannot hold a
                        byte-level vocabulary without merges), to diff across formats.
base.q8_0.gguf, derivative.q8_0.gguf   both quantized the same way (2-D tensors Q8_0).
expected.json         every edit: tensor, kind, rank, rel_change (||delta||_F / ||W_base||_F).
"""
import json, os, sys
import numpy as np
from safetensors.numpy import save_file

LAYERS, HIDDEN, HEADS, KV_HEADS, MLP, VOCAB, NEW_ROWS = 4, 128, 4, 2, 256, 256, 4
HEAD_DIM = HIDDEN // HEADS


def base_tensors(rng):
    t = {"model.embed_tokens.weight": rng.standard_normal((VOCAB, HIDDEN)),
         "model.norm.weight": 1 + 0.1 * rng.standard_normal(HIDDEN),
         "lm_head.weight": rng.standard_normal((VOCAB, HIDDEN)) * 0.05}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = 1 + 0.1 * rng.standard_normal(HIDDEN)
        t[p + "self_attn.q_proj.weight"] = rng.standard_normal((HIDDEN, HIDDEN)) * 0.05
        t[p + "self_attn.k_proj.weight"] = rng.standard_normal((KV_HEADS * HEAD_DIM, HIDDEN)) * 0.05
        t[p + "self_attn.v_proj.weight"] = rng.standard_normal((KV_HEADS * HEAD_DIM, HIDDEN)) * 0.05
        t[p + "self_attn.o_proj.weight"] = rng.standard_normal((HIDDEN, HIDDEN)) * 0.05
        t[p + "post_attention_layernorm.weight"] = 1 + 0.1 * rng.standard_normal(HIDDEN)
        t[p + "mlp.gate_proj.weight"] = rng.standard_normal((MLP, HIDDEN)) * 0.05
        t[p + "mlp.up_proj.weight"] = rng.standard_normal((MLP, HIDDEN)) * 0.05
        t[p + "mlp.down_proj.weight"] = rng.standard_normal((HIDDEN, MLP)) * 0.05
    return {k: v.astype(np.float32) for k, v in t.items()}


def scaled(w, delta, rel):
    """w + delta scaled so that ||delta||_F = rel * ||w||_F, in float32."""
    delta = delta * (rel * np.linalg.norm(w) / np.linalg.norm(delta))
    return (w + delta).astype(np.float32)


def low_rank(rng, rows, cols, rank):
    return rng.standard_normal((rows, rank)) @ rng.standard_normal((rank, cols))


def rel_change(base, derived):
    return float(np.linalg.norm(derived.astype(np.float64) - base) / np.linalg.norm(base.astype(np.float64)))


def config():
    return {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": HIDDEN,
            "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
            "intermediate_size": MLP, "vocab_size": VOCAB, "rms_norm_eps": 1e-5, "hidden_act": "silu"}


SPECIAL_TOKENS = ["<|im_start|>", "<|im_end|>", "<|user|>", "<|assistant|>"]


def byte_chars():
    """GPT-2's bytes_to_unicode: byte b is written as this character in a byte-level vocabulary."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def tokenizer(vocab):
    """Byte-level BPE without merges (token id = byte value), plus the special tokens past 256."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    t = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(byte_chars())}, merges=[]))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(SPECIAL_TOKENS[: vocab - 256])
    return t


def save(folder, tensors, vocab):
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(config(), vocab_size=vocab), f, indent=1)
    tokenizer(vocab).save(os.path.join(folder, "tokenizer.json"))


def permute(w, heads):
    """convert_hf_to_gguf.py LlamaModel.permute: rotary halves to interleaved pairs, per head."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def save_gguf(path, tensors, quantized=False):
    """F32, or with quantized=True Q8_0 for every 2-D tensor (1-D ones stay F32, as llama.cpp keeps them)."""
    import gguf
    names = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}
    layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
             "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down"}
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(LAYERS)
    w.add_embedding_length(HIDDEN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_feed_forward_length(MLP)
    w.add_context_length(256)
    w.add_layer_norm_rms_eps(1e-5)
    for name, value in tensors.items():
        module = name[: -len(".weight")]
        if module in names:
            gname = names[module]
        else:
            i, rest = module[len("model.layers."):].split(".", 1)
            gname = f"blk.{i}.{layer[rest]}"
        if gname.endswith("attn_q"):
            value = permute(value, HEADS)
        elif gname.endswith("attn_k"):
            value = permute(value, KV_HEADS)
        value = np.ascontiguousarray(value)
        if quantized and value.ndim == 2:
            q8 = gguf.GGMLQuantizationType.Q8_0
            w.add_tensor(gname + ".weight", gguf.quants.quantize(value, q8), raw_dtype=q8)
        else:
            w.add_tensor(gname + ".weight", value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(out):
    folder = os.path.join(out, "diff")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20261127)
    base = base_tensors(rng)
    derived = dict(base)
    edits = []

    def edit(name, kind, value, rank):
        derived[name] = value
        edits.append({"tensor": name, "kind": kind, "rank": rank,
                      "rel_change": rel_change(base[name], value)})

    q = "model.layers.1.self_attn.q_proj.weight"
    edit(q, "low_rank", scaled(base[q], low_rank(rng, HIDDEN, HIDDEN, 4), 0.05), 4)
    down = "model.layers.2.mlp.down_proj.weight"
    edit(down, "low_rank", scaled(base[down], low_rank(rng, HIDDEN, MLP, 8), 0.10), 8)
    v = "model.layers.3.self_attn.v_proj.weight"
    edit(v, "full_rank", scaled(base[v], rng.standard_normal(base[v].shape), 0.01), None)
    norm = "model.layers.0.post_attention_layernorm.weight"
    edit(norm, "norm", scaled(base[norm], rng.standard_normal(HIDDEN), 0.02), None)
    resized = []
    for name, scale in (("model.embed_tokens.weight", 1.0), ("lm_head.weight", 0.05)):
        grown = np.concatenate([base[name], (rng.standard_normal((NEW_ROWS, HIDDEN)) * scale).astype(np.float32)])
        derived[name] = grown
        resized.append({"tensor": name, "kind": "resized_vocabulary", "new_rows": NEW_ROWS,
                        "shape_base": list(base[name].shape), "shape_derivative": list(grown.shape)})

    save(os.path.join(folder, "base"), base, VOCAB)
    save(os.path.join(folder, "derivative"), derived, VOCAB + NEW_ROWS)
    save_gguf(os.path.join(folder, "derivative.gguf"), derived)
    save_gguf(os.path.join(folder, "base.q8_0.gguf"), base, quantized=True)
    save_gguf(os.path.join(folder, "derivative.q8_0.gguf"), derived, quantized=True)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"changed": edits, "reshaped": resized,
                   "unchanged": sorted(set(base) - {e["tensor"] for e in edits + resized})}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])

"""Tiny random transformer checkpoints and their reference outputs, for the forward-pass engine tests.

Two modes:

  python samples/make_model_fixtures.py weights OUTDIR
      numpy + safetensors + gguf only (the test venv). Writes OUTDIR/<model>/ with config.json,
      model.safetensors, the GGUF files and a copy of the committed expected*.safetensors, then checks
      every written weight file against samples/fixtures/models/SHA256SUMS. samples/make_fixtures.py
      calls this (OUTDIR = samples/generated/models), so the weights are never committed.

  python samples/make_model_fixtures.py reference [--llama-cpp]
      needs torch + transformers (samples/requirements-reference.txt, venv .venv-ref). Writes the weights
      to a temporary folder, loads them with transformers (eager attention, float32), and rewrites the
      committed files under samples/fixtures/models/: <model>/config.json, <model>/expected*.safetensors,
      SHA256SUMS and TOLERANCES.md (float32 vs float64 errors, greedy margins, llama.cpp cross-check).

Weights come from a counter-based integer hash (SplitMix64) of the model and tensor name, mapped to
exactly representable float32 values, so the same bytes come out on every machine and numpy version.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import math
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "samples" / "fixtures" / "models"

VOCAB = 512
D_MODEL = 64
N_HEADS = 4
MAX_POS = 128
PROMPT_LENGTHS = (5, 12, 33)
INDUCTION_SEGMENT = 10
# What each expected file holds is trimmed to keep the committed fixtures near 3 MB:
HOOKED_PROMPTS = (1,)  # prompts with TransformerLens-style hooks (layer 0 and the last layer)
LEAN_PROMPTS = (2,)  # prompts with only tokens, logits and the pre-final-norm residual
QUANT_PROMPTS = (0, 1)  # prompts in expected_<quant>.safetensors (tokens, logits)
GENERATE_TOKENS = 10
GGUF_QUANTS = ("q8_0", "q4_0", "q4_1")


# ----------------------------------------------------------------------------------------------
# Deterministic numbers


def _hash_u64(key: str, count: int) -> np.ndarray:
    """count 64-bit SplitMix64 outputs for the stream named key (wrapping uint64 arithmetic)."""
    seed = np.uint64(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))
    z = seed + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _uniform(key: str, shape: tuple[int, ...], half_width: float, center: float = 0.0) -> np.ndarray:
    """center + U(-half_width, half_width) as float32; 24 random bits per value, no libm calls."""
    n = int(np.prod(shape))
    k = (_hash_u64(key, n) >> np.uint64(40)).astype(np.float64)  # 0 .. 2^24-1
    unit = (2.0 * k + 1.0) / float(1 << 24) - 1.0  # symmetric, exact in float64
    return (center + unit * half_width).astype(np.float32).reshape(shape)


def _normal_like(key: str, shape: tuple[int, ...], std: float) -> np.ndarray:
    return _uniform(key, shape, std * math.sqrt(3.0))


def prompts() -> list[list[int]]:
    out = []
    for i, n in enumerate(PROMPT_LENGTHS):
        out.append([int(v % VOCAB) for v in _hash_u64(f"prompt{i}", n)])
    segment = [int(v % VOCAB) for v in _hash_u64("induction-segment", INDUCTION_SEGMENT)]
    out.append([1] + segment + segment)  # token 1 then a random segment repeated once
    return out


# ----------------------------------------------------------------------------------------------
# Model variants: HF config.json written the classic way (rope_theta / rope_scaling, torch_dtype),
# as real checkpoints on the hub carry it.


def _llama_like(arch: str, model_type: str, layers: int, kv_heads: int, inter: int, tied: bool,
                rope_theta: float, eps: float, **extra) -> dict:
    cfg = {
        "architectures": [arch],
        "model_type": model_type,
        "vocab_size": VOCAB,
        "hidden_size": D_MODEL,
        "intermediate_size": inter,
        "num_hidden_layers": layers,
        "num_attention_heads": N_HEADS,
        "num_key_value_heads": kv_heads,
        "hidden_act": "silu",
        "max_position_embeddings": MAX_POS,
        "rms_norm_eps": eps,
        "rope_theta": rope_theta,
        "tie_word_embeddings": tied,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "initializer_range": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    cfg.update(extra)
    return cfg


def _llama(**extra) -> dict:
    return _llama_like("LlamaForCausalLM", "llama", attention_bias=False, mlp_bias=False, pretraining_tp=1,
                       **extra)


MODELS: dict[str, dict] = {
    "gpt2": {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB, "n_positions": MAX_POS,
        "n_ctx": MAX_POS, "n_embd": D_MODEL, "n_layer": 2, "n_head": N_HEADS, "n_inner": None,
        "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
        "attn_pdrop": 0.0, "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
        "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
    },
    "llama": _llama(layers=2, kv_heads=4, inter=128, tied=False, rope_theta=10000.0, eps=1e-5, rope_scaling=None),
    "llama-gqa": _llama(layers=3, kv_heads=2, inter=192, tied=False, rope_theta=10000.0, eps=1e-5,
                        rope_scaling=None),
    # original_max_position_embeddings 64 puts the llama3 wavelength thresholds (64/low, 64/high) inside the
    # range of a head_dim-16 rotary: 1 of 8 frequencies kept, 1 smoothed, 6 divided by the factor.
    "llama3": _llama(layers=2, kv_heads=2, inter=128, tied=False, rope_theta=500000.0, eps=1e-5, head_dim=16,
                     rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 64, "rope_type": "llama3"}),
    "llama-tied": _llama(layers=2, kv_heads=2, inter=128, tied=True, rope_theta=100000.0, eps=1e-5,
                         rope_scaling=None),
    # sliding_window 8 is shorter than prompts 1-3 and the 15-token greedy run, so the window is exercised.
    "mistral": _llama_like("MistralForCausalLM", "mistral", layers=2, kv_heads=2, inter=160, tied=False,
                           rope_theta=10000.0, eps=1e-5, sliding_window=8, head_dim=16),
    # Qwen2 configs carry a sliding_window that is off (use_sliding_window false); 8 here makes an engine
    # that wrongly applies it fail on prompts longer than 8.
    "qwen2": _llama_like("Qwen2ForCausalLM", "qwen2", layers=2, kv_heads=2, inter=192, tied=True,
                         rope_theta=1000000.0, eps=1e-6, use_sliding_window=False, sliding_window=8,
                         max_window_layers=2, attention_dropout=0.0),
}
# Same weights as "llama", stored rounded to 16-bit floats.
ROUNDED = {"llama-bf16": ("llama", "bfloat16", "BF16"), "llama-f16": ("llama", "float16", "F16")}
for _name, (_base, _torch_dtype, _) in ROUNDED.items():
    MODELS[_name] = dict(MODELS[_base], torch_dtype=_torch_dtype)
GGUF_MODELS = {"llama": GGUF_QUANTS, "llama-gqa": (), "gpt2": GGUF_QUANTS}


def weight_key(name: str) -> str:
    return ROUNDED[name][0] if name in ROUNDED else name


# ----------------------------------------------------------------------------------------------
# Weights (HF state-dict names, as save_pretrained writes them)


def _std_for(param: str) -> float:
    if param.endswith(("q_proj.weight", "k_proj.weight", "c_attn.weight")):
        return 0.2  # sharper attention patterns
    if param == "lm_head.weight":
        return 0.25  # logits spread over several units, like a trained model's
    if "embed_tokens" in param or param.endswith(("wte.weight", "wpe.weight")):
        # small next to the blocks' outputs, else tied models just predict their last input token again
        return 0.1
    return 0.15


def make_weights(name: str) -> dict[str, np.ndarray]:
    cfg = MODELS[name]
    key = weight_key(name)
    shapes: dict[str, tuple[int, ...]] = {}
    if cfg["model_type"] == "gpt2":
        d, inner = cfg["n_embd"], cfg["n_inner"] or 4 * cfg["n_embd"]
        shapes["transformer.wte.weight"] = (cfg["vocab_size"], d)
        shapes["transformer.wpe.weight"] = (cfg["n_positions"], d)
        for i in range(cfg["n_layer"]):
            p = f"transformer.h.{i}."
            # Conv1D weights are [in, out]
            shapes.update({p + "ln_1.weight": (d,), p + "ln_1.bias": (d,),
                           p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
                           p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,),
                           p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
                           p + "mlp.c_fc.weight": (d, inner), p + "mlp.c_fc.bias": (inner,),
                           p + "mlp.c_proj.weight": (inner, d), p + "mlp.c_proj.bias": (d,)})
        shapes["transformer.ln_f.weight"] = (d,)
        shapes["transformer.ln_f.bias"] = (d,)
    else:
        d, inter = cfg["hidden_size"], cfg["intermediate_size"]
        hd = cfg.get("head_dim") or d // cfg["num_attention_heads"]
        q_out, kv_out = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
        qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
        shapes["model.embed_tokens.weight"] = (cfg["vocab_size"], d)
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            shapes.update({p + "input_layernorm.weight": (d,),
                           p + "self_attn.q_proj.weight": (q_out, d), p + "self_attn.k_proj.weight": (kv_out, d),
                           p + "self_attn.v_proj.weight": (kv_out, d), p + "self_attn.o_proj.weight": (d, q_out),
                           p + "post_attention_layernorm.weight": (d,),
                           p + "mlp.gate_proj.weight": (inter, d), p + "mlp.up_proj.weight": (inter, d),
                           p + "mlp.down_proj.weight": (d, inter)})
            if qkv_bias:
                shapes.update({p + "self_attn.q_proj.bias": (q_out,), p + "self_attn.k_proj.bias": (kv_out,),
                               p + "self_attn.v_proj.bias": (kv_out,)})
        shapes["model.norm.weight"] = (d,)
        if not cfg["tie_word_embeddings"]:
            shapes["lm_head.weight"] = (cfg["vocab_size"], d)
    out = {}
    for param, shape in shapes.items():
        stream = f"{key}/{param}"
        if len(shape) == 1 and ("norm" in param or "ln_" in param) and param.endswith("weight"):
            out[param] = _uniform(stream, shape, 0.15, center=1.0)
        elif len(shape) == 1:
            out[param] = _normal_like(stream, shape, 0.05)
        else:
            out[param] = _normal_like(stream, shape, _std_for(param))
    return out


def to_bf16_bits(a: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, round to nearest even (no NaNs occur here)."""
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_bits_to_f32(b: np.ndarray) -> np.ndarray:
    return (b.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path: Path, tensors: dict[str, tuple[str, np.ndarray]], metadata: dict[str, str]) -> None:
    """Minimal safetensors writer (needed for BF16, which numpy lacks); tensors sorted by name."""
    header: dict = {"__metadata__": dict(sorted(metadata.items()))}
    blobs, offset = [], 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_checkpoint(name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(MODELS[name], indent=2) + "\n")
    weights = make_weights(name)
    if name in ROUNDED:
        st_dtype = ROUNDED[name][2]
        if st_dtype == "BF16":
            tensors = {k: ("BF16", to_bf16_bits(v)) for k, v in weights.items()}
        else:
            tensors = {k: ("F16", v.astype(np.float16)) for k, v in weights.items()}
    else:
        tensors = {k: ("F32", v) for k, v in weights.items()}
    write_safetensors(folder / "model.safetensors", tensors, {"format": "pt"})


# ----------------------------------------------------------------------------------------------
# GGUF (llama.cpp converter conventions: names, Q/K row permutation, metadata keys)


def permute_qk(w: np.ndarray, heads: int) -> np.ndarray:
    """HF rotate-half row order -> llama.cpp interleaved pairs: within each head, rows (i, i + hd/2) become
    rows (2i, 2i + 1). Works on weights [out, in] and biases [out]."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute_qk(w: np.ndarray, heads: int) -> np.ndarray:
    return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_tensors(name: str) -> list[tuple[str, np.ndarray, bool]]:
    """(gguf name, float32 array in numpy [out, in] order, quantizable) in converter order."""
    cfg, w = MODELS[name], make_weights(name)
    out: list[tuple[str, np.ndarray, bool]] = []
    if cfg["model_type"] == "gpt2":
        out.append(("token_embd.weight", w["transformer.wte.weight"], True))
        out.append(("position_embd.weight", w["transformer.wpe.weight"], False))  # converter keeps F32
        for i in range(cfg["n_layer"]):
            p, b = f"transformer.h.{i}.", f"blk.{i}."
            out += [(b + "attn_norm.weight", w[p + "ln_1.weight"], False),
                    (b + "attn_norm.bias", w[p + "ln_1.bias"], False),
                    (b + "attn_qkv.weight", w[p + "attn.c_attn.weight"].T.copy(), True),
                    (b + "attn_qkv.bias", w[p + "attn.c_attn.bias"], False),
                    (b + "attn_output.weight", w[p + "attn.c_proj.weight"].T.copy(), True),
                    (b + "attn_output.bias", w[p + "attn.c_proj.bias"], False),
                    (b + "ffn_norm.weight", w[p + "ln_2.weight"], False),
                    (b + "ffn_norm.bias", w[p + "ln_2.bias"], False),
                    (b + "ffn_up.weight", w[p + "mlp.c_fc.weight"].T.copy(), True),
                    (b + "ffn_up.bias", w[p + "mlp.c_fc.bias"], False),
                    (b + "ffn_down.weight", w[p + "mlp.c_proj.weight"].T.copy(), True),
                    (b + "ffn_down.bias", w[p + "mlp.c_proj.bias"], False)]
        out.append(("output_norm.weight", w["transformer.ln_f.weight"], False))
        out.append(("output_norm.bias", w["transformer.ln_f.bias"], False))
        # tied: no output.weight, llama.cpp falls back to token_embd (as the current converter writes GPT-2)
        return out
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    out.append(("token_embd.weight", w["model.embed_tokens.weight"], True))
    for i in range(cfg["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        out += [(b + "attn_norm.weight", w[p + "input_layernorm.weight"], False),
                (b + "attn_q.weight", permute_qk(w[p + "self_attn.q_proj.weight"], heads), True),
                (b + "attn_k.weight", permute_qk(w[p + "self_attn.k_proj.weight"], kv), True),
                (b + "attn_v.weight", w[p + "self_attn.v_proj.weight"], True),
                (b + "attn_output.weight", w[p + "self_attn.o_proj.weight"], True),
                (b + "ffn_norm.weight", w[p + "post_attention_layernorm.weight"], False),
                (b + "ffn_gate.weight", w[p + "mlp.gate_proj.weight"], True),
                (b + "ffn_up.weight", w[p + "mlp.up_proj.weight"], True),
                (b + "ffn_down.weight", w[p + "mlp.down_proj.weight"], True)]
    out.append(("output_norm.weight", w["model.norm.weight"], False))
    if "lm_head.weight" in w:
        out.append(("output.weight", w["lm_head.weight"], True))
    return out


def _qtype(quant: str):
    import gguf
    return {"f32": gguf.GGMLQuantizationType.F32, "q8_0": gguf.GGMLQuantizationType.Q8_0,
            "q4_0": gguf.GGMLQuantizationType.Q4_0, "q4_1": gguf.GGMLQuantizationType.Q4_1}[quant]


def _add_fake_vocab(writer, arch: str, vocab: int) -> None:
    """A made-up vocabulary so llama.cpp can load the file; token strings carry no meaning."""
    import gguf
    if arch == "llama":
        # SentencePiece-style: <unk> <s> </s>, 256 byte tokens, then "<tN>"
        tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
        types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
        tokens += [f"<t{i}>" for i in range(len(tokens), vocab)]
        types += [gguf.TokenType.NORMAL] * (vocab - len(types))
        writer.add_tokenizer_model("llama")
        writer.add_token_list(tokens)
        writer.add_token_scores([float(-i) for i in range(vocab)])
        writer.add_token_types([int(t) for t in types])
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
        writer.add_unk_token_id(0)
        writer.add_add_bos_token(False)
    else:
        # byte-level BPE: the 256 GPT-2 byte characters, then "<tN>", one merge
        printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
        chars, extra = {}, 0
        for b in range(256):
            if b in printable:
                chars[b] = chr(b)
            else:
                chars[b] = chr(256 + extra)
                extra += 1
        tokens = [chars[b] for b in range(256)] + [f"<t{i}>" for i in range(256, vocab)]
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_types([int(gguf.TokenType.NORMAL)] * vocab)
        writer.add_token_merges(["< t"])
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
        writer.add_add_bos_token(False)


def write_gguf(name: str, quant: str, path: Path) -> None:
    import gguf
    cfg = MODELS[name]
    qtype = _qtype(quant)
    file_type = {"f32": gguf.LlamaFileType.ALL_F32, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
                 "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1}[quant]
    arch = "gpt2" if cfg["model_type"] == "gpt2" else "llama"
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(f"owb-tiny-{name}")
    writer.add_file_type(int(file_type))
    if arch == "gpt2":
        writer.add_block_count(cfg["n_layer"])
        writer.add_context_length(cfg["n_positions"])
        writer.add_embedding_length(cfg["n_embd"])
        writer.add_feed_forward_length(cfg["n_inner"] or 4 * cfg["n_embd"])
        writer.add_head_count(cfg["n_head"])
        writer.add_layer_norm_eps(cfg["layer_norm_epsilon"])
    else:
        head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
        writer.add_vocab_size(cfg["vocab_size"])
        writer.add_block_count(cfg["num_hidden_layers"])
        writer.add_context_length(cfg["max_position_embeddings"])
        writer.add_embedding_length(cfg["hidden_size"])
        writer.add_feed_forward_length(cfg["intermediate_size"])
        writer.add_head_count(cfg["num_attention_heads"])
        writer.add_head_count_kv(cfg["num_key_value_heads"])
        writer.add_rope_freq_base(cfg["rope_theta"])
        writer.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
        writer.add_rope_dimension_count(head_dim)
    _add_fake_vocab(writer, arch, VOCAB)
    for tname, arr, quantizable in gguf_tensors(name):
        if quant != "f32" and quantizable:
            writer.add_tensor(tname, gguf.quants.quantize(arr, qtype), raw_dtype=qtype)
        else:
            writer.add_tensor(tname, arr.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def dequantized_hf_weights(name: str, quant: str) -> dict[str, np.ndarray]:
    """HF state dict rebuilt from the quantized GGUF tensors (dequantize, un-permute, transpose back)."""
    import gguf
    cfg, w = MODELS[name], make_weights(name)
    qtype = _qtype(quant)
    rt = {}
    for tname, arr, quantizable in gguf_tensors(name):
        rt[tname] = gguf.quants.dequantize(gguf.quants.quantize(arr, qtype), qtype) if quantizable else arr
    out = {}
    if cfg["model_type"] == "gpt2":
        out["transformer.wte.weight"] = rt["token_embd.weight"]
        out["transformer.wpe.weight"] = rt["position_embd.weight"]
        for i in range(cfg["n_layer"]):
            p, b = f"transformer.h.{i}.", f"blk.{i}."
            for hf, gg, transpose in (("ln_1.weight", "attn_norm.weight", False), ("ln_1.bias", "attn_norm.bias", False),
                                      ("attn.c_attn.weight", "attn_qkv.weight", True),
                                      ("attn.c_attn.bias", "attn_qkv.bias", False),
                                      ("attn.c_proj.weight", "attn_output.weight", True),
                                      ("attn.c_proj.bias", "attn_output.bias", False),
                                      ("ln_2.weight", "ffn_norm.weight", False), ("ln_2.bias", "ffn_norm.bias", False),
                                      ("mlp.c_fc.weight", "ffn_up.weight", True), ("mlp.c_fc.bias", "ffn_up.bias", False),
                                      ("mlp.c_proj.weight", "ffn_down.weight", True),
                                      ("mlp.c_proj.bias", "ffn_down.bias", False)):
                out[p + hf] = rt[b + gg].T.copy() if transpose else rt[b + gg]
        out["transformer.ln_f.weight"] = rt["output_norm.weight"]
        out["transformer.ln_f.bias"] = rt["output_norm.bias"]
    else:
        heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        out["model.embed_tokens.weight"] = rt["token_embd.weight"]
        for i in range(cfg["num_hidden_layers"]):
            p, b = f"model.layers.{i}.", f"blk.{i}."
            out[p + "input_layernorm.weight"] = rt[b + "attn_norm.weight"]
            out[p + "self_attn.q_proj.weight"] = unpermute_qk(rt[b + "attn_q.weight"], heads)
            out[p + "self_attn.k_proj.weight"] = unpermute_qk(rt[b + "attn_k.weight"], kv)
            out[p + "self_attn.v_proj.weight"] = rt[b + "attn_v.weight"]
            out[p + "self_attn.o_proj.weight"] = rt[b + "attn_output.weight"]
            out[p + "post_attention_layernorm.weight"] = rt[b + "ffn_norm.weight"]
            out[p + "mlp.gate_proj.weight"] = rt[b + "ffn_gate.weight"]
            out[p + "mlp.up_proj.weight"] = rt[b + "ffn_up.weight"]
            out[p + "mlp.down_proj.weight"] = rt[b + "ffn_down.weight"]
        out["model.norm.weight"] = rt["output_norm.weight"]
        if "output.weight" in rt:
            out["lm_head.weight"] = rt["output.weight"]
    assert out.keys() == w.keys(), sorted(set(out) ^ set(w))
    return out


# ----------------------------------------------------------------------------------------------
# weights mode


def weight_files(name: str) -> list[str]:
    files = ["config.json", "model.safetensors"]
    if name in GGUF_MODELS:
        files += [f"model-{q}.gguf" for q in ("f32",) + GGUF_MODELS[name]]
    return files


def write_weights(outdir: Path, names: list[str] | None = None) -> list[Path]:
    written = []
    for name in names or list(MODELS):
        folder = Path(outdir) / name
        write_checkpoint(name, folder)
        for quant in ("f32",) + GGUF_MODELS[name] if name in GGUF_MODELS else ():
            write_gguf(name, quant, folder / f"model-{quant}.gguf")
        written += [folder / f for f in weight_files(name)]
    return written


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_safetensors(path: Path) -> tuple[dict, dict[str, tuple[str, list[int], bytes]]]:
    """(metadata, name -> (dtype, shape, raw bytes)); plain parsing, so BF16 needs no numpy support."""
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    return meta, {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
                  for k, v in header.items()}


def check_folder(outdir: Path) -> None:
    """Reloads what weights mode wrote and the committed expected files; raises AssertionError on a mismatch."""
    import gguf
    np_types = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64}
    all_prompts = prompts()
    for name, cfg in MODELS.items():
        folder = Path(outdir) / name
        gpt2 = cfg["model_type"] == "gpt2"
        layers = cfg["n_layer"] if gpt2 else cfg["num_hidden_layers"]
        heads = cfg["n_head"] if gpt2 else cfg["num_attention_heads"]
        kv = heads if gpt2 else cfg["num_key_value_heads"]
        d, vocab = (cfg["n_embd"] if gpt2 else cfg["hidden_size"]), cfg["vocab_size"]
        hd = cfg.get("head_dim") or d // heads
        inter = (cfg["n_inner"] or 4 * d) if gpt2 else cfg["intermediate_size"]
        assert json.loads((folder / "config.json").read_text()) == cfg, name
        # weights: exactly the generated values (16-bit variants: their rounding)
        _, tensors = read_safetensors(folder / "model.safetensors")
        mine = make_weights(name)
        assert tensors.keys() == mine.keys(), name
        for k, (dtype, shape, raw) in tensors.items():
            got = np.frombuffer(raw, dtype=np_types[dtype]).reshape(shape)
            want = mine[k]
            if dtype == "BF16":
                got, want = bf16_bits_to_f32(got), bf16_bits_to_f32(to_bf16_bits(want))
            elif dtype == "F16":
                got, want = got.astype(np.float32), want.astype(np.float16).astype(np.float32)
            assert list(want.shape) == shape and np.array_equal(got, want), f"{name}/{k}"
        # GGUF: names, types and data as gguf_tensors() + quantize give them; un-permuting restores HF rows
        for quant in ("f32",) + GGUF_MODELS[name] if name in GGUF_MODELS else ():
            reader = gguf.GGUFReader(str(folder / f"model-{quant}.gguf"))
            arch = str(reader.fields["general.architecture"].contents())
            assert int(reader.fields[f"{arch}.block_count"].contents()) == layers
            listed = {t.name: t for t in reader.tensors}
            expected_tensors = gguf_tensors(name)
            assert list(listed) == [t[0] for t in expected_tensors], f"{name}/{quant} tensor order"
            for tname, arr, quantizable in expected_tensors:
                t = listed[tname]
                assert list(t.shape) == list(reversed(arr.shape)), f"{name}/{quant}/{tname} shape"
                if quant != "f32" and quantizable:
                    assert t.tensor_type == _qtype(quant), f"{name}/{quant}/{tname} type"
                    assert np.array_equal(np.asarray(t.data), gguf.quants.quantize(arr, _qtype(quant)))
                else:
                    assert t.tensor_type == gguf.GGMLQuantizationType.F32
                    assert np.array_equal(np.asarray(t.data).reshape(arr.shape), arr), f"{name}/{quant}/{tname}"
            if quant == "f32" and not gpt2:
                q = np.asarray(listed["blk.0.attn_q.weight"].data).reshape(heads * hd, d)
                assert np.array_equal(unpermute_qk(q, heads), mine["model.layers.0.self_attn.q_proj.weight"])
        # expected outputs: names and shapes
        for path in sorted(folder.glob("expected*.safetensors")):
            meta, exp = read_safetensors(path)
            assert json.loads(meta["prompts"]) == all_prompts, path
            for i, toks in enumerate(all_prompts):
                n = len(toks)
                shapes = {"tokens": [n], "logits": [n, vocab], "hidden_states": [layers + 1, n, d],
                          "attentions": [layers, heads, n, n], f"blocks.{layers - 1}.hook_resid_post": [n, d]}
                for key, shape in shapes.items():
                    if f"p{i}.{key}" in exp:
                        assert exp[f"p{i}.{key}"][1] == shape, f"{path}: p{i}.{key}"
                if f"p{i}.tokens" in exp:
                    assert np.frombuffer(exp[f"p{i}.tokens"][2], np.int64).tolist() == toks
                    assert f"p{i}.logits" in exp, f"{path}: p{i}.logits"
            assert exp["p0.generated"][1] == [GENERATE_TOKENS], path
            hook_shapes = {"attn.hook_q": [heads, hd], "attn.hook_k": [kv, hd], "attn.hook_v": [kv, hd],
                           "attn.hook_z": [heads, hd], "hook_resid_pre": [d], "ln1.hook_normalized": [d],
                           "hook_attn_out": [d], "hook_resid_mid": [d], "ln2.hook_normalized": [d],
                           "mlp.hook_pre": [inter], "mlp.hook_post": [inter], "hook_mlp_out": [d],
                           "hook_resid_post": [d]}
            if not gpt2:
                hook_shapes.update({"attn.hook_rot_q": [heads, hd], "attn.hook_rot_k": [kv, hd],
                                    "mlp.hook_pre_linear": [inter]})
            for i in HOOKED_PROMPTS if path.name == "expected.safetensors" and name not in ROUNDED else ():
                n = len(all_prompts[i])
                for l in (0, layers - 1):
                    for key, tail in hook_shapes.items():
                        assert exp[f"p{i}.blocks.{l}.{key}"][1] == [n] + tail, f"{path}: p{i}.blocks.{l}.{key}"
                    for key in ("attn.hook_attn_scores", "attn.hook_pattern"):
                        assert exp[f"p{i}.blocks.{l}.{key}"][1] == [heads, n, n], f"{path}: p{i}.blocks.{l}.{key}"
                assert exp[f"p{i}.hook_embed"][1] == [n, d] and exp[f"p{i}.ln_final.hook_normalized"][1] == [n, d]


def weights_main(outdir: Path) -> None:
    """Writes the weights, copies the committed expected outputs beside them, checks the checksums."""
    outdir = Path(outdir)
    written = write_weights(outdir)
    sums_file = COMMITTED / "SHA256SUMS"
    expected = dict(line.split("  ", 1)[::-1] for line in sums_file.read_text().splitlines() if line.strip())
    bad = []
    for path in written:
        rel = path.relative_to(outdir).as_posix()
        if expected.get(rel) != sha256(path):
            bad.append(rel)
    for name in MODELS:
        for src in sorted((COMMITTED / name).glob("expected*.safetensors")):
            shutil.copyfile(src, outdir / name / src.name)
    shutil.copyfile(COMMITTED / "README.md", outdir / "README.md")
    if bad:
        sys.exit(f"make_model_fixtures: weights differ from {sums_file} (numpy/gguf version?): {', '.join(bad)}")
    check_folder(outdir)
    print(f"make_model_fixtures: {len(written)} files in {outdir}, checksums match", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# reference mode (torch + transformers)


def _layer_modules(model, cfg) -> tuple[list[dict], dict]:
    """Per-layer module handles and the model-level ones, for either family."""
    if cfg["model_type"] == "gpt2":
        t = model.transformer
        layers = [{"layer": b, "ln1": b.ln_1, "attn": b.attn, "qkv": b.attn.c_attn, "o": b.attn.c_proj,
                   "ln2": b.ln_2, "pre": b.mlp.c_fc, "down": b.mlp.c_proj} for b in t.h]
        return layers, {"embed": t.wte, "pos": t.wpe, "final": t.ln_f}
    m = model.model
    layers = [{"layer": b, "ln1": b.input_layernorm, "attn": b.self_attn, "q": b.self_attn.q_proj,
               "k": b.self_attn.k_proj, "v": b.self_attn.v_proj, "o": b.self_attn.o_proj,
               "ln2": b.post_attention_layernorm, "pre": b.mlp.gate_proj, "pre_linear": b.mlp.up_proj,
               "down": b.mlp.down_proj} for b in m.layers]
    return layers, {"embed": m.embed_tokens, "final": m.norm}


def _first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


class Capture:
    """Forward hooks on the HF modules that record TransformerLens-named activations (batch dim dropped)."""

    def __init__(self, model, cfg):
        self.acts: dict = {}
        self.rope: dict = {}
        self.handles = []
        layers, top = _layer_modules(model, cfg)
        self.layers, self.cfg = layers, cfg

        def out(name):
            return lambda mod, inp, o: self.acts.__setitem__(name, _first(o).detach()[0].clone())

        def inp(name):
            return lambda mod, args: self.acts.__setitem__(name, args[0].detach()[0].clone())

        def layer_in(name):
            def hook(mod, args, kwargs):
                h = args[0] if args else kwargs["hidden_states"]
                self.acts[name] = h.detach()[0].clone()
            return hook

        def rope(l):
            def hook(mod, args, kwargs):
                if kwargs.get("position_embeddings") is not None:
                    self.rope[l] = kwargs["position_embeddings"]
            return hook

        reg = self.handles.append
        reg(top["embed"].register_forward_hook(out("hook_embed")))
        if "pos" in top:
            reg(top["pos"].register_forward_hook(out("hook_pos_embed")))
        reg(top["final"].register_forward_pre_hook(inp("ln_final.hook_in")))
        reg(top["final"].register_forward_hook(out("ln_final.hook_normalized")))
        for l, m in enumerate(layers):
            b = f"blocks.{l}."
            reg(m["layer"].register_forward_pre_hook(layer_in(b + "hook_resid_pre"), with_kwargs=True))
            reg(m["layer"].register_forward_hook(out(b + "hook_resid_post")))
            reg(m["ln1"].register_forward_hook(out(b + "ln1.hook_normalized")))
            reg(m["attn"].register_forward_pre_hook(rope(l), with_kwargs=True))
            if "qkv" in m:
                reg(m["qkv"].register_forward_hook(out(b + "attn.qkv")))
            else:
                for p in "qkv":
                    reg(m[p].register_forward_hook(out(b + f"attn.{p}_flat")))
            reg(m["o"].register_forward_pre_hook(inp(b + "attn.z_flat")))
            reg(m["o"].register_forward_hook(out(b + "hook_attn_out")))
            reg(m["ln2"].register_forward_pre_hook(inp(b + "hook_resid_mid")))
            reg(m["ln2"].register_forward_hook(out(b + "ln2.hook_normalized")))
            reg(m["pre"].register_forward_hook(out(b + "mlp.hook_pre")))
            if "pre_linear" in m:
                reg(m["pre_linear"].register_forward_hook(out(b + "mlp.hook_pre_linear")))
            reg(m["down"].register_forward_pre_hook(inp(b + "mlp.hook_post")))
            reg(m["down"].register_forward_hook(out(b + "hook_mlp_out")))

    def remove(self):
        for h in self.handles:
            h.remove()


def _allowed_mask(torch, n: int, window: int | None):
    """True where query i may attend key j: causal, and within the sliding window when one applies."""
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    ok = j <= i
    if window is not None:
        ok &= j > i - window  # HF sliding_window_overlay: the last `window` keys, self included
    return ok


def effective_window(cfg) -> int | None:
    if cfg["model_type"] == "mistral":
        return cfg.get("sliding_window")
    if cfg["model_type"] == "qwen2" and cfg.get("use_sliding_window"):
        raise NotImplementedError("qwen2 with use_sliding_window is not a fixture here")
    return None


def tl_activations(torch, model, cfg, cap: Capture, attentions) -> dict:
    """The TransformerLens-named tensors for one prompt, derived from the captured module inputs/outputs."""
    a = cap.acts
    out = {"hook_embed": a["hook_embed"]}
    if "hook_pos_embed" in a:
        out["hook_pos_embed"] = a["hook_pos_embed"]
    gpt2 = cfg["model_type"] == "gpt2"
    heads = cfg["n_head"] if gpt2 else cfg["num_attention_heads"]
    kv_heads = heads if gpt2 else cfg["num_key_value_heads"]
    window = effective_window(cfg)
    last = len(cap.layers) - 1
    for l, m in enumerate(cap.layers):
        if l not in (0, last):
            continue
        b = f"blocks.{l}."
        attn = m["attn"]
        hd = attn.head_dim
        if gpt2:
            q, k, v = a[b + "attn.qkv"].split(cfg["n_embd"], dim=-1)
        else:
            q, k, v = a[b + "attn.q_flat"], a[b + "attn.k_flat"], a[b + "attn.v_flat"]
        n = q.shape[0]
        q, k, v = q.reshape(n, heads, hd), k.reshape(n, kv_heads, hd), v.reshape(n, kv_heads, hd)
        for key in ("hook_resid_pre", "ln1.hook_normalized"):
            out[b + key] = a[b + key]
        out[b + "attn.hook_q"], out[b + "attn.hook_k"], out[b + "attn.hook_v"] = q, k, v
        if gpt2:
            rq, rk = q, k
        else:
            cos, sin = cap.rope[l]
            apply = sys.modules[type(attn).__module__].apply_rotary_pos_emb
            rq4, rk4 = apply(q.transpose(0, 1)[None], k.transpose(0, 1)[None], cos, sin)
            rq, rk = rq4[0].transpose(0, 1), rk4[0].transpose(0, 1)
            out[b + "attn.hook_rot_q"], out[b + "attn.hook_rot_k"] = rq, rk
        groups = heads // kv_heads
        k_rep = rk.transpose(0, 1).repeat_interleave(groups, dim=0)  # [heads, n, hd]; head h reads kv h // groups
        v_rep = v.transpose(0, 1).repeat_interleave(groups, dim=0)
        scores = torch.matmul(rq.transpose(0, 1), k_rep.transpose(1, 2)) * attn.scaling
        allowed = _allowed_mask(torch, n, window)
        scores = scores.masked_fill(~allowed, float("-inf"))
        pattern = attentions[l][0]
        # consistency with what HF computed: same zeros, same softmax, same z
        assert torch.all(pattern[:, ~allowed] == 0) and torch.all(pattern[:, allowed] > 0), "mask mismatch"
        assert torch.allclose(torch.softmax(scores, dim=-1), pattern, atol=2e-6, rtol=0), "scores mismatch"
        z = a[b + "attn.z_flat"].reshape(n, heads, hd)
        assert torch.allclose(torch.matmul(pattern, v_rep).transpose(0, 1), z, atol=2e-6), "z mismatch"
        out[b + "attn.hook_attn_scores"] = scores
        out[b + "attn.hook_pattern"] = pattern
        out[b + "attn.hook_z"] = z
        for key in ("hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "mlp.hook_pre",
                    "mlp.hook_pre_linear", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"):
            if b + key in a:
                out[b + key] = a[b + key]
    out["ln_final.hook_normalized"] = a["ln_final.hook_normalized"]
    return out


def load_hf(torch, transformers, folder: Path, dtype, state: dict[str, np.ndarray] | None = None):
    model, info = transformers.AutoModelForCausalLM.from_pretrained(
        str(folder), dtype=dtype, attn_implementation="eager", output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    assert not problems, f"{folder.name}: loading problems {problems}"
    if state is not None:
        missing, unexpected = model.load_state_dict({k: torch.from_numpy(v).to(dtype) for k, v in state.items()},
                                                    strict=False)
        assert not unexpected and all(k == "lm_head.weight" for k in missing), (missing, unexpected)
    model.eval()
    return model


def run_prompt(torch, model, cfg, tokens: list[int], hooks: bool) -> dict:
    ids = torch.tensor([tokens])
    cap = Capture(model, cfg)
    try:
        with torch.no_grad():
            res = model(input_ids=ids, output_hidden_states=True, output_attentions=True, use_cache=False)
    finally:
        cap.remove()
    layers = len(res.attentions)
    out = {
        "logits": res.logits[0],
        "hidden_states": torch.stack([h[0] for h in res.hidden_states]),
        "attentions": torch.stack([a_[0] for a_ in res.attentions]),
        f"blocks.{layers - 1}.hook_resid_post": cap.acts["ln_final.hook_in"],
    }
    # HF's last hidden state is the final norm's output; the others are each block's input
    assert torch.equal(out["hidden_states"][-1], cap.acts["ln_final.hook_normalized"])
    for l in range(layers):
        assert torch.equal(out["hidden_states"][l], cap.acts[f"blocks.{l}.hook_resid_pre"])
    assert torch.equal(cap.acts[f"blocks.{layers - 1}.hook_resid_post"], cap.acts["ln_final.hook_in"])
    if hooks:
        out.update(tl_activations(torch, model, cfg, cap, res.attentions))
    return out


def greedy(torch, transformers, model, tokens: list[int]) -> tuple[list[int], float]:
    """10 greedy tokens with the KV cache (model.generate), checked against full recomputation without
    a cache; returns the tokens and the smallest top-1 minus top-2 logit margin along the way."""
    gen_cfg = transformers.GenerationConfig(do_sample=False, max_new_tokens=GENERATE_TOKENS, min_new_tokens=0,
                                            eos_token_id=None, pad_token_id=0, bos_token_id=1)
    with torch.no_grad():
        seq = model.generate(torch.tensor([tokens]), attention_mask=torch.ones(1, len(tokens), dtype=torch.long),
                             generation_config=gen_cfg)[0].tolist()
    new = seq[len(tokens):]
    assert len(new) == GENERATE_TOKENS, new
    assert len(set(new)) >= GENERATE_TOKENS // 2, f"greedy run too repetitive for a cache test: {new}"
    margin = float("inf")
    with torch.no_grad():
        for t in range(GENERATE_TOKENS):
            logits = model(input_ids=torch.tensor([tokens + new[:t]]), use_cache=False).logits[0, -1]
            top = torch.topk(logits, 2).values
            margin = min(margin, float(top[0] - top[1]))
            assert int(logits.argmax()) == new[t], f"cached greedy token {t} differs from uncached argmax"
    return new, margin


def _np32(t) -> np.ndarray:
    return np.ascontiguousarray(t.detach().float().numpy())


def save_expected(path: Path, tensors: dict[str, np.ndarray], meta: dict[str, str]) -> None:
    # own writer, not safetensors.save_file: that one orders the metadata differently on every run
    codes = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}
    write_safetensors(path, {k: (codes[v.dtype], v) for k, v in tensors.items()}, meta)


def _meta(torch, transformers, name: str, weights: str, contents: str) -> dict[str, str]:
    return {
        "model": name,
        "weights": weights,
        "prompts": json.dumps(prompts()),
        "contents": contents,
        "compute": "float32, attn_implementation=eager, CPU, batch 1, no padding",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
        "gguf": importlib.metadata.version("gguf"),
        "conventions": "samples/fixtures/models/README.md",
    }


def _stats(a: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    d = float(np.max(np.abs(a.astype(np.float64) - ref.astype(np.float64))))
    return d, d / float(np.max(np.abs(ref)))


def reference_model(torch, transformers, name: str, folder: Path, report: dict) -> None:
    cfg = MODELS[name]
    model = load_hf(torch, transformers, folder, torch.float32)
    # the loaded weights are exactly the generated ones (rounded ones for the 16-bit variants)
    mine = make_weights(name)
    sd = model.state_dict()
    for k, v in mine.items():
        if name in ROUNDED:
            if ROUNDED[name][2] == "BF16":
                v = bf16_bits_to_f32(to_bf16_bits(v))
                t_round = torch.from_numpy(mine[k]).to(torch.bfloat16).float().numpy()
            else:
                v = v.astype(np.float16).astype(np.float32)
                t_round = torch.from_numpy(mine[k]).to(torch.float16).float().numpy()
            assert np.array_equal(v, t_round), f"{name}/{k}: numpy rounding differs from torch"
        assert np.array_equal(sd[k].numpy(), v), f"{name}/{k} differs after loading"
    if cfg.get("rope_scaling"):
        rot = model.model.rotary_emb
        hd = cfg["head_dim"]
        plain = 1.0 / (cfg["rope_theta"] ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
        scaled = rot.inv_freq.double().numpy()
        changed = int(np.sum(~np.isclose(scaled, plain, rtol=1e-6)))
        report[name]["rope"] = {"plain_inv_freq": plain.tolist(), "hf_inv_freq": scaled.tolist(),
                                "changed": changed}
        assert changed >= 4, "llama3 rope scaling did not change the frequencies"
    rounded = name in ROUNDED
    tensors: dict[str, np.ndarray] = {}
    f64 = load_hf(torch, transformers, folder, torch.float64)
    errs = []
    for i, toks in enumerate(prompts()):
        res = run_prompt(torch, model, cfg, toks, hooks=(i in HOOKED_PROMPTS and not rounded))
        res64 = run_prompt(torch, f64, cfg, toks, hooks=False)
        l32, l64 = _np32(res["logits"]), res64["logits"].numpy()
        h32, h64 = _np32(res["hidden_states"]), res64["hidden_states"].numpy()
        a32, a64 = _np32(res["attentions"]), res64["attentions"].numpy()
        errs.append({"prompt": i, "len": len(toks), "logits_abs": _stats(l32, l64)[0], "logits_rel": _stats(l32, l64)[1],
                     "hidden_abs": _stats(h32, h64)[0], "hidden_rel": _stats(h32, h64)[1],
                     "pattern_abs": _stats(a32, a64)[0], "max_abs_logit": float(np.max(np.abs(l64)))})
        window = effective_window(cfg) or len(toks)
        counts = (res["attentions"] > 0).sum(-1)  # [layer, head, query]: keys each query sees
        assert torch.equal(counts, torch.tensor([min(q + 1, window) for q in range(len(toks))]).expand_as(counts))
        tensors[f"p{i}.tokens"] = np.array(toks, dtype=np.int64)
        for k, v in res.items():
            if rounded and k != "logits":
                continue
            if i in LEAN_PROMPTS and k in ("hidden_states", "attentions"):
                continue
            tensors[f"p{i}.{k}"] = _np32(v)
    gen, margin = greedy(torch, transformers, model, prompts()[0])
    tensors["p0.generated"] = np.array(gen, dtype=np.int64)
    report[name].update({"f64": errs, "greedy_margin": margin, "generated": gen})
    layers = cfg["n_layer"] if cfg["model_type"] == "gpt2" else cfg["num_hidden_layers"]
    if rounded:
        contents = "p*.tokens, p*.logits, p0.generated"
    else:
        contents = (f"p*.tokens, p*.logits, p*.blocks.{layers - 1}.hook_resid_post (pre-final-norm residual); "
                    f"hidden_states and attentions for prompts other than {list(LEAN_PROMPTS)}; TransformerLens hooks "
                    f"for prompts {list(HOOKED_PROMPTS)}, layers 0 and {layers - 1}; p0.generated")
    save_expected(COMMITTED / name / "expected.safetensors", tensors,
                  _meta(torch, transformers, name, "model.safetensors (weights as stored, computed in float32)",
                        contents))
    if name in GGUF_MODELS:
        for quant in GGUF_QUANTS if GGUF_MODELS[name] else ():
            qmodel = load_hf(torch, transformers, folder, torch.float32, dequantized_hf_weights(name, quant))
            qt: dict[str, np.ndarray] = {}
            diffs = []
            for i, toks in enumerate(prompts()):
                res = run_prompt(torch, qmodel, cfg, toks, hooks=False)
                if i in QUANT_PROMPTS:
                    qt[f"p{i}.tokens"] = np.array(toks, dtype=np.int64)
                    qt[f"p{i}.logits"] = _np32(res["logits"])
                diffs.append(float(np.max(np.abs(_np32(res["logits"]) - tensors[f"p{i}.logits"]))))
            qgen, qmargin = greedy(torch, transformers, qmodel, prompts()[0])
            qt["p0.generated"] = np.array(qgen, dtype=np.int64)
            report[name].setdefault("quant", {})[quant] = {"logits_vs_f32_abs": max(diffs), "greedy_margin": qmargin,
                                                           "generated": qgen}
            save_expected(COMMITTED / name / f"expected_{quant}.safetensors", qt,
                          _meta(torch, transformers, name,
                                f"model-{quant}.gguf dequantized with gguf.quants, un-permuted, computed in float32",
                                f"p{{{','.join(map(str, QUANT_PROMPTS))}}}.tokens, .logits; p0.generated"))


def llama_cpp_check(folder: Path, name: str, report: dict) -> None:
    """llama.cpp's logits on the GGUF files vs the HF references (when llama-cpp-python is installed)."""
    try:
        import llama_cpp
    except ImportError as e:
        report["_llama_cpp"] = f"not run: {e}"
        return
    from safetensors.numpy import load_file
    report["_llama_cpp"] = f"llama-cpp-python {llama_cpp.__version__}"
    for quant in ("f32",) + GGUF_MODELS[name]:
        exp = load_file(str(COMMITTED / name / ("expected.safetensors" if quant == "f32" else f"expected_{quant}.safetensors")))
        # F32 KV cache and no flash attention: llama.cpp's defaults (F16 cache) alone cost ~1e-2 on the logits
        llm = llama_cpp.Llama(model_path=str(folder / f"model-{quant}.gguf"), n_ctx=MAX_POS, logits_all=True,
                              n_threads=1, n_batch=64, type_k=llama_cpp.GGML_TYPE_F32,
                              type_v=llama_cpp.GGML_TYPE_F32, flash_attn=False, verbose=False)
        worst, rel = 0.0, 0.0
        for i, toks in enumerate(prompts()):
            if f"p{i}.logits" not in exp:
                continue
            llm.reset()
            llm.eval(toks)
            got = np.array(llm.scores[: len(toks)], dtype=np.float32)
            want = exp[f"p{i}.logits"]
            d = float(np.max(np.abs(got - want)))
            worst, rel = max(worst, d), max(rel, d / float(np.max(np.abs(want))))
        report[name].setdefault("llama_cpp", {})[quant] = {"max_abs": worst, "max_abs_over_max_logit": rel}
        del llm


def write_tolerances(report: dict) -> None:
    lines = ["# Observed errors (written by make_model_fixtures.py reference)", "",
             "Float32 reference vs the same weights computed in float64 (max over all prompts and positions).",
             "`rel` = max |f32 - f64| / max |f64| over the whole tensor.", "",
             "| model | logits max abs | logits rel | hidden max abs | hidden rel | pattern max abs | max abs logit |"
             " greedy min margin |", "|---|---|---|---|---|---|---|---|"]
    for name in MODELS:
        r = report[name]
        e = r["f64"]
        lines.append(f"| {name} | {max(x['logits_abs'] for x in e):.2e} | {max(x['logits_rel'] for x in e):.2e} | "
                     f"{max(x['hidden_abs'] for x in e):.2e} | {max(x['hidden_rel'] for x in e):.2e} | "
                     f"{max(x['pattern_abs'] for x in e):.2e} | {max(x['max_abs_logit'] for x in e):.2f} | "
                     f"{r['greedy_margin']:.3f} |")
    lines += ["", "Quantized GGUF references (HF on dequantized weights) vs the F32 reference, and their greedy runs:", "",
              "| model | quant | logits max abs vs f32 | greedy min margin | generated |", "|---|---|---|---|---|"]
    for name in MODELS:
        for quant, q in report[name].get("quant", {}).items():
            lines.append(f"| {name} | {quant} | {q['logits_vs_f32_abs']:.3f} | {q['greedy_margin']:.3f} | {q['generated']} |")
    lines += ["", f"llama.cpp cross-check ({report.get('_llama_cpp', 'not run')}): llama.cpp logits on the GGUF file"
              " vs the matching expected*.safetensors logits, F32 KV cache, no flash attention (llama.cpp also quantizes"
              " the activations to 8 bits for quantized matmuls, so quantized files differ by more than rounding).",
              "",
              "| model | gguf | max abs | max abs / max abs logit |", "|---|---|---|---|"]
    for name in MODELS:
        for quant, q in report[name].get("llama_cpp", {}).items():
            lines.append(f"| {name} | {quant} | {q['max_abs']:.2e} | {q['max_abs_over_max_logit']:.2e} |")
    for name in MODELS:
        if "rope" in report[name]:
            rp = report[name]["rope"]
            lines += ["", f"{name} rotary inverse frequencies, plain theta vs HF with rope_scaling "
                      f"({rp['changed']} of {len(rp['plain_inv_freq'])} changed):", "",
                      "plain: " + ", ".join(f"{x:.6g}" for x in rp["plain_inv_freq"]),
                      "", "HF:    " + ", ".join(f"{x:.6g}" for x in rp["hf_inv_freq"])]
    (COMMITTED / "TOLERANCES.md").write_text("\n".join(lines) + "\n")


def reference_main(use_llama_cpp: bool, only: list[str] | None) -> None:
    import torch
    import transformers
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    names = only or list(MODELS)
    report: dict = {n: {} for n in MODELS}
    with tempfile.TemporaryDirectory() as tmp:
        write_weights(Path(tmp), names)
        for name in names:
            print(f"reference: {name}", file=sys.stderr)
            (COMMITTED / name).mkdir(parents=True, exist_ok=True)
            for old in (COMMITTED / name).glob("expected*.safetensors"):
                old.unlink()
            shutil.copyfile(Path(tmp) / name / "config.json", COMMITTED / name / "config.json")
            reference_model(torch, transformers, name, Path(tmp) / name, report)
            if use_llama_cpp and name in GGUF_MODELS:
                llama_cpp_check(Path(tmp) / name, name, report)
        if only is None:
            sums = []
            for name in MODELS:
                for f in weight_files(name):
                    sums.append(f"{sha256(Path(tmp) / name / f)}  {name}/{f}")
            (COMMITTED / "SHA256SUMS").write_text("\n".join(sums) + "\n")
            write_tolerances(report)
    (Path(tempfile.gettempdir()) / "owb-model-fixtures-report.json").write_text(json.dumps(report, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    w = sub.add_parser("weights", help="write the weights (numpy/gguf only) and check them")
    w.add_argument("outdir", type=Path)
    r = sub.add_parser("reference", help="recompute the committed expected outputs (torch/transformers)")
    r.add_argument("--llama-cpp", action="store_true", help="also compare llama.cpp logits (llama-cpp-python)")
    r.add_argument("--only", nargs="*", help="just these models (no SHA256SUMS/TOLERANCES.md rewrite)")
    a = ap.parse_args()
    if a.mode == "weights":
        weights_main(a.outdir)
    else:
        reference_main(a.llama_cpp, a.only)


if __name__ == "__main__":
    main()

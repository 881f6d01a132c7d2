"""Writes a Hugging Face float32 folder (config.json, model.safetensors, tokenizer.json) from a llama GGUF.

    python samples/gguf_to_safetensors.py GGUF OUTDIR            # numpy + gguf + safetensors + tokenizers
    python samples/gguf_to_safetensors.py GGUF OUTDIR --verify   # also checks it (torch, transformers, llama-cpp-python)

Every tensor is dequantized with gguf.quants.dequantize (so a Q4_1 file gives the float32 weights llama.cpp
multiplies by, not the original checkpoint), renamed to the transformers Llama names, and attn_q / attn_k get
back the row order of the Hugging Face checkpoint: llama.cpp's convert_hf_to_gguf.py permutes their rows
so that each head's rotary pairs are adjacent (GGML's "normal" rope) instead of half a head apart (HF's
rotate_half). Only architecture "llama" without biases (Llama, SmolLM2, Mistral-style) is handled.

The tokenizer is transformers' GGUF converter with SmolLM2's pre-tokenizer restored (see tokenizer_json).
The folder is written next to OUTDIR and renamed into place when complete, so a half-written one never
passes for done. --verify compares transformers on this folder with transformers on the GGUF (logits)
and this tokenizer.json with llama.cpp's tokenizer (ids).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np

LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def fields(reader) -> dict:
    out = {}
    for key, field in reader.fields.items():
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type",
                   "tokenizer.ggml.scores"):
            continue
        value = field.contents()
        out[key] = value.item() if hasattr(value, "item") else value
    return out


def f32_decimal(x: float) -> float:
    """GGUF stores rope theta and the norm epsilon as float32: 1e-5 reads back as 9.99999974e-06.
    The shortest decimal that rounds to the same float32 is what the source config.json said."""
    return float(str(np.float32(x)))


def hf_name(gguf_name: str) -> str:
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight", gguf_name)
    if m and m.group(2) in LAYER_NAMES:
        return f"model.layers.{m.group(1)}.{LAYER_NAMES[m.group(2)]}.weight"
    m = re.fullmatch(r"(\w+)\.weight", gguf_name)
    if m and m.group(1) in TOP_NAMES:
        return f"{TOP_NAMES[m.group(1)]}.weight"
    raise SystemExit(f"error: no Hugging Face name for GGUF tensor {gguf_name!r} (only plain llama is handled)")


def unpermute_rows(w: np.ndarray, heads: int) -> np.ndarray:
    """Inverse of convert_hf_to_gguf's permute. Within each head of `dim` rows, HF keeps the two rotary
    halves apart (row i pairs with row i + dim/2); GGUF interleaves them (rows 2i and 2i+1 pair).
    Viewed as [heads, dim/2, 2, in], GGUF's order becomes HF's by swapping the middle axes."""
    out_rows, cols = w.shape
    half = out_rows // heads // 2
    return w.reshape(heads, half, 2, cols).swapaxes(1, 2).reshape(out_rows, cols)


def tensors(reader, meta: dict) -> dict[str, np.ndarray]:
    from gguf.quants import dequantize

    arch = meta["general.architecture"]
    heads = int(meta[f"{arch}.attention.head_count"])
    kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
    out = {}
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape))  # GGML lists the innermost dimension first
        w = np.ascontiguousarray(dequantize(t.data, t.tensor_type).astype(np.float32, copy=False).reshape(shape))
        name = hf_name(t.name)
        if name.endswith("q_proj.weight"):
            w = unpermute_rows(w, heads)
        elif name.endswith("k_proj.weight"):
            w = unpermute_rows(w, kv_heads)
        out[name] = np.ascontiguousarray(w)
    return out


def config_json(meta: dict, has_lm_head: bool) -> dict:
    arch = meta["general.architecture"]
    if arch != "llama":
        raise SystemExit(f"error: architecture {arch!r}: only 'llama' is handled")
    hidden = int(meta[f"{arch}.embedding_length"])
    heads = int(meta[f"{arch}.attention.head_count"])
    rope_dims = int(meta.get(f"{arch}.rope.dimension_count", hidden // heads))
    if rope_dims != hidden // heads:
        raise SystemExit(f"error: partial rotary ({rope_dims} of {hidden // heads} dims) is not handled")
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": int(meta[f"{arch}.feed_forward_length"]),
        "num_hidden_layers": int(meta[f"{arch}.block_count"]),
        "num_attention_heads": heads,
        "num_key_value_heads": int(meta.get(f"{arch}.attention.head_count_kv", heads)),
        "head_dim": hidden // heads,
        "max_position_embeddings": int(meta[f"{arch}.context_length"]),
        "rms_norm_eps": f32_decimal(meta[f"{arch}.attention.layer_norm_rms_epsilon"]),
        "rope_theta": f32_decimal(meta.get(f"{arch}.rope.freq_base", 10000.0)),
        "rope_scaling": None,
        "vocab_size": int(meta.get(f"{arch}.vocab_size", 0)) or None,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": not has_lm_head,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
    }
    for key in ("bos", "eos", "padding"):
        if f"tokenizer.ggml.{key}_token_id" in meta:
            cfg[f"{'pad' if key == 'padding' else key}_token_id"] = int(meta[f"tokenizer.ggml.{key}_token_id"])
    cfg["_converted_from"] = {"gguf": meta.get("general.name"), "file_type": meta.get("general.file_type"),
                              "by": "samples/gguf_to_safetensors.py (dequantized to float32)"}
    return cfg


def tokenizer_metadata(reader) -> dict:
    out = {}
    for key, field in reader.fields.items():
        if key == "general.architecture" or (key.startswith("tokenizer.") and key != "tokenizer.chat_template"):
            value = field.contents()
            out[key] = [v.item() if hasattr(v, "item") else v for v in value] if isinstance(value, list) else value
    return out


def tokenizer_json(reader):
    """transformers' GGUF tokenizer converter (torch-free). For a 'gpt2' vocabulary it gives GPT-2's
    pre-tokenizer whatever tokenizer.ggml.pre says; SmolLM2 ('smollm') first splits every digit apart,
    as its own tokenizer.json and llama.cpp's smollm pre-tokenizer do, so that is restored here."""
    from tokenizers import pre_tokenizers
    from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_TOKENIZER_MAPPING, convert_gguf_tokenizer

    meta = tokenizer_metadata(reader)
    mapped = {name: meta["tokenizer." + key] for key, name in GGUF_TOKENIZER_MAPPING["tokenizer"].items()
              if "tokenizer." + key in meta}
    backend, _ = convert_gguf_tokenizer(meta["general.architecture"], mapped)
    pre = meta.get("tokenizer.ggml.pre")
    if meta.get("tokenizer.ggml.model") == "gpt2":
        if pre == "smollm":
            backend.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
        elif pre not in ("gpt-2", "default", None):
            print(f"warning: tokenizer.ggml.pre={pre!r}: kept GPT-2's pre-tokenizer, ids may differ from llama.cpp",
                  file=sys.stderr)
    return backend, meta


def tokenizer_config(meta: dict, chat_template: str | None, max_len: int) -> dict:
    tokens = meta["tokenizer.ggml.tokens"]

    def tok(key):
        i = meta.get(f"tokenizer.ggml.{key}_token_id")
        return tokens[i] if i is not None and 0 <= i < len(tokens) else None

    cfg = {"tokenizer_class": "GPT2Tokenizer" if meta.get("tokenizer.ggml.model") == "gpt2" else "LlamaTokenizer",
           "bos_token": tok("bos"), "eos_token": tok("eos"), "unk_token": tok("unknown"), "pad_token": tok("padding"),
           "add_bos_token": bool(meta.get("tokenizer.ggml.add_bos_token", False)),
           "add_eos_token": bool(meta.get("tokenizer.ggml.add_eos_token", False)),
           "add_prefix_space": False, "clean_up_tokenization_spaces": False, "model_max_length": max_len}
    if chat_template:
        cfg["chat_template"] = chat_template
    return {k: v for k, v in cfg.items() if v is not None}


def convert(gguf_path: Path, out: Path) -> None:
    from gguf import GGUFReader
    from safetensors.numpy import save_file

    reader = GGUFReader(gguf_path)
    meta = fields(reader)
    weights = tensors(reader, meta)
    cfg = config_json(meta, "lm_head.weight" in weights)
    if cfg["vocab_size"] is None:
        cfg["vocab_size"] = int(weights["model.embed_tokens.weight"].shape[0])
    backend, tmeta = tokenizer_json(reader)

    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "model.safetensors").chmod(0o644)
    (tmp / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    gen = {k: cfg[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id") if k in cfg}
    (tmp / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n")
    backend.save(str(tmp / "tokenizer.json"))
    tcfg = tokenizer_config(tmeta, meta.get("tokenizer.chat_template"), cfg["max_position_embeddings"])
    (tmp / "tokenizer_config.json").write_text(json.dumps(tcfg, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    total = sum(w.nbytes for w in weights.values())
    print(f"wrote {out} ({len(weights)} tensors, {total / 1e6:.0f} MB float32)", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# --verify (reference venv)

VERIFY_TEXTS = [
    "The capital of France is",
    "In 1984, 3.14159 and 1234567890 apples cost $42.50!",
    "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n",
    "  leading spaces, tabs\tand\n\nnewlines; don't DON'T we'll",
    "café naïve 日本語 한국어 emoji 🙂 ½ ١٢٣",
    "<|im_start|>user\nHi<|im_end|>",
]


def verify(gguf_path: Path, out: Path) -> bool:
    import llama_cpp
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    ok = True
    llm = llama_cpp.Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in VERIFY_TEXTS:
        # special=True: the tokenizers library always matches added special tokens in the text
        ref = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        got = tok.encode(text, add_special_tokens=False).ids
        same = ref == got
        ok &= same
        print(f"tokenizer {'same' if same else 'DIFFERENT'}: {text!r}" + ("" if same else f"\n  llama.cpp {ref}\n  ours      {got}"),
              file=sys.stderr)

    torch.set_num_threads(2)
    ids = torch.tensor([llm.tokenize(VERIFY_TEXTS[1].encode(), add_bos=False) + list(range(100, 140))])
    with torch.no_grad():
        a = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32, attn_implementation="eager").eval()
        la = a(ids, use_cache=False).logits
        del a
        b = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
        lb = b(ids, use_cache=False).logits
    diff = float((la - lb).abs().max())
    print(f"logits, safetensors folder vs GGUF in transformers: max |diff| = {diff:.3g} over {ids.shape[1]} tokens",
          file=sys.stderr)
    return ok and diff <= 1e-4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gguf", type=Path)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--verify", action="store_true", help="needs torch, transformers and llama-cpp-python")
    ap.add_argument("--verify-only", action="store_true", help="check an existing OUTDIR without rewriting it")
    a = ap.parse_args()
    if not a.verify_only:
        convert(a.gguf, a.outdir)
    if a.verify or a.verify_only:
        if not verify(a.gguf, a.outdir):
            raise SystemExit("verification failed")
        print("verified", file=sys.stderr)


if __name__ == "__main__":
    main()

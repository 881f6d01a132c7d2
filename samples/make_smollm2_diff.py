"""Writes fine-tunes of SmolLM2-135M-Instruct with known edits, to diff against the released Q4_1 GGUF.

    python samples/make_smollm2_diff.py SMOLLM2.gguf OUTDIR     # numpy + gguf + safetensors + tokenizers

OUTDIR/ (written as OUTDIR.partial and renamed when complete; nothing is done when OUTDIR/expected.json exists):
  derivative.gguf   the GGUF with the edited tensors stored as F32 (attn_q rows in llama.cpp's permuted order)
                    and every other tensor's bytes copied as they are (Q4_1, Q8_0, F32); all metadata kept
  derivative/       the same fine-tune as a Hugging Face float32 folder (config.json, model.safetensors,
                    tokenizer.json, tokenizer_config.json): every tensor dequantized as
                    samples/gguf_to_safetensors.py does (q/k rows back in Hugging Face order) plus the edits
  expected.json     {"layer": first edited block, "changed": [{tensor, kind, rank, rel_change}],
                     "unchanged": [every other Hugging Face name]}

The edits, on the dequantized weights W (float32, seeded): a rank-4 delta on block 12's q_proj and another on
its v_proj, each with ||delta||_F = 0.05 ||W||_F, and block 20's post_attention_layernorm scaled by
1 + 0.02 * N(0, 1) per element. A diff of the GGUF against either derivative must find exactly these three,
with rank 4 for the two projections, across formats for derivative/ (Q4_1 and Q8_0 decoded, q/k un-permuted).
"""
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gguf_to_safetensors as g2s  # noqa: E402

LAYER = 12
NORM_LAYER = 20
Q = f"model.layers.{LAYER}.self_attn.q_proj.weight"
V = f"model.layers.{LAYER}.self_attn.v_proj.weight"
NORM = f"model.layers.{NORM_LAYER}.post_attention_layernorm.weight"
GGUF_NAMES = {Q: f"blk.{LAYER}.attn_q.weight", V: f"blk.{LAYER}.attn_v.weight",
              NORM: f"blk.{NORM_LAYER}.ffn_norm.weight"}


def rel_change(base, derived):
    return float(np.linalg.norm(derived.astype(np.float64) - base) / np.linalg.norm(base.astype(np.float64)))


def low_rank_edit(rng, w, rank, rel):
    delta = rng.standard_normal((w.shape[0], rank)) @ rng.standard_normal((rank, w.shape[1]))
    delta *= rel * np.linalg.norm(w) / np.linalg.norm(delta)
    return (w + delta).astype(np.float32)


def permute(w, heads):
    """convert_hf_to_gguf.py LlamaModel.permute (the inverse of g2s.unpermute_rows)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(reader, path, edited, heads):
    """A copy of the GGUF read by `reader` with the tensors in `edited` (GGUF name -> float32, GGUF row order)
    stored as F32; every other tensor's raw bytes and every metadata key copied."""
    import gguf
    arch = reader.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(str(path), arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(key, field.contents(), vtype, sub_type=sub)
    for t in reader.tensors:
        if t.name in edited:
            data = np.ascontiguousarray(edited[t.name])
            w.add_tensor_info(t.name, data.shape, data.dtype, data.nbytes, gguf.GGMLQuantizationType.F32)
        else:
            w.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t in reader.tensors:
        w.write_tensor_data(np.ascontiguousarray(edited[t.name]) if t.name in edited else t.data)
    w.close()


def main(gguf_path, out):
    from gguf import GGUFReader
    from safetensors.numpy import save_file

    out = Path(out)
    if (out / "expected.json").is_file():
        return
    reader = GGUFReader(gguf_path)
    meta = g2s.fields(reader)
    base = g2s.tensors(reader, meta)          # Hugging Face names and row order, float32
    heads = int(meta["llama.attention.head_count"])
    rng = np.random.default_rng(20261127)
    derived = dict(base)
    derived[Q] = low_rank_edit(rng, base[Q], 4, 0.05)
    derived[V] = low_rank_edit(rng, base[V], 4, 0.05)
    derived[NORM] = (base[NORM] * (1 + 0.02 * rng.standard_normal(base[NORM].shape))).astype(np.float32)
    changed = [{"tensor": Q, "kind": "low_rank", "rank": 4, "rel_change": rel_change(base[Q], derived[Q])},
               {"tensor": V, "kind": "low_rank", "rank": 4, "rel_change": rel_change(base[V], derived[V])},
               {"tensor": NORM, "kind": "norm", "rank": None, "rel_change": rel_change(base[NORM], derived[NORM])}]

    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "derivative").mkdir(parents=True)
    write_gguf(reader, tmp / "derivative.gguf",
               {GGUF_NAMES[Q]: permute(derived[Q], heads), GGUF_NAMES[V]: derived[V], GGUF_NAMES[NORM]: derived[NORM]},
               heads)
    cfg = g2s.config_json(meta, "lm_head.weight" in derived)
    if cfg["vocab_size"] is None:
        cfg["vocab_size"] = int(derived["model.embed_tokens.weight"].shape[0])
    save_file(derived, str(tmp / "derivative" / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "derivative" / "model.safetensors").chmod(0o644)
    with open(tmp / "derivative" / "config.json", "w") as f:
        json.dump(cfg, f, indent=2)
    backend, tmeta = g2s.tokenizer_json(reader)
    backend.save(str(tmp / "derivative" / "tokenizer.json"))
    with open(tmp / "derivative" / "tokenizer_config.json", "w") as f:
        json.dump(g2s.tokenizer_config(tmeta, None, cfg["max_position_embeddings"]), f, indent=2)
    with open(tmp / "expected.json", "w") as f:
        json.dump({"layer": LAYER, "changed": changed,
                   "unchanged": sorted(set(base) - {c["tensor"] for c in changed})}, f, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

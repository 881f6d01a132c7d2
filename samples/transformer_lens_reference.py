"""TransformerLens's numbers for the probes on the tiny fixture models, committed as
samples/fixtures/transformer_lens/<model>.json for the Java probe tests to compare against.

    python samples/transformer_lens_reference.py GENERATED_MODELS_DIR

Needs torch + transformer-lens (samples/requirements-transformer-lens.txt, in a venv of its own)
and the generated fixture weights (samples/make_fixtures.py writes them to samples/generated/models).
Each model is booted with TransformerBridge.boot_transformers from its local folder, in
compatibility mode (HookedTransformer numerics: LayerNorm folded into the unembedding, writing
weights and unembedding centred; value biases not folded, so a head's output includes its b_V), on prompt p1 of the committed expected.safetensors (12 tokens)
and a corrupted copy with two tokens changed. Recorded per model, all float32 computations:

- patterns: blocks.L.attn.hook_pattern [layer][head][query][key]
- lens: the logit lens as TransformerLens computes it, cache.accumulated_resid(apply_ln=True,
  recompute_ln=True) through the unembedding (layer L < n: resid_pre L; layer n: the final
  residual): per layer and position the entropy, the KL(final || layer), the top token and the
  probability of the answer token
- dla: at the last position, per head (cache.stack_head_results(apply_ln=True)) and per MLP
  (cache.decompose_resid(mode="mlp", apply_ln=True)), the contribution to logit(answer) -
  logit(wrong)
- patching: transformer_lens.patching get_act_patch_resid_pre, _attn_out, _mlp_out [layer][pos]
  and _attn_head_out_all_pos [layer][head] with the metric logit(answer) - logit(wrong) at the
  last position of the patched corrupted run (raw, not normalised), plus the clean and corrupted
  values of the metric
"""
import importlib.metadata
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from safetensors.numpy import load_file
from transformer_lens import patching
from transformer_lens.model_bridge import TransformerBridge

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "samples" / "fixtures" / "transformer_lens"
MODELS = ("gpt2", "llama", "llama-gqa")
CORRUPTED_POSITIONS = (2, 5)


def rounded(x, digits=7):
    return np.round(np.asarray(x, dtype=np.float64), digits).tolist()


def placeholder_tokenizer(expected):
    """The fixtures have no tokenizer and need none (token ids go in directly); the bridge wants one."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    vocab = {f"t{i}": i for i in range(512)}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")),
                                   unk_token="t0")


def corrupt(tokens, vocab):
    out = list(tokens)
    for p in CORRUPTED_POSITIONS:
        out[p] = (out[p] + 17) % vocab
    return out


def reference(model_dir, name):
    expected = load_file(str(ROOT / "samples" / "fixtures" / "models" / name / "expected.safetensors"))
    clean = [int(t) for t in expected["p1.tokens"]]
    bridge = TransformerBridge.boot_transformers(str(model_dir), dtype=torch.float32,
                                                 tokenizer=placeholder_tokenizer(expected))
    # HookedTransformer's processing, except that each head keeps its value bias (fold_value_biases
    # would move b_V W_O into the attention output bias), so that a head's DLA is its whole output.
    bridge.enable_compatibility_mode(fold_value_biases=False)
    cfg = bridge.cfg
    corrupted = corrupt(clean, cfg.d_vocab)
    clean_t = torch.tensor([clean])
    corrupted_t = torch.tensor([corrupted])

    with torch.no_grad():
        clean_logits, cache = bridge.run_with_cache(clean_t)
        corrupted_logits = bridge(corrupted_t)
    last = len(clean) - 1
    answer = int(clean_logits[0, last].argmax())
    order = corrupted_logits[0, last].argsort(descending=True).tolist()
    wrong = next(t for t in order if t != answer)

    def metric(logits):
        return logits[0, -1, answer] - logits[0, -1, wrong]

    n_layers, n_heads = cfg.n_layers, cfg.n_heads
    patterns = [cache[f"blocks.{l}.attn.hook_pattern"][0].tolist() for l in range(n_layers)]

    # The logit lens, as TransformerLens computes it (final norm recomputed on each layer's residual).
    with torch.no_grad():
        lens_logits = cache.logit_lens(positions=None, return_type="logits").values[:, 0].double()  # [layer, pos, vocab]
    logp = torch.log_softmax(lens_logits, dim=-1)
    final = logp[-1]
    entropy = -(logp.exp() * logp).sum(-1)
    kl = (final.exp() * (final - logp)).sum(-1)
    lens = {
        "entropy": rounded(entropy),
        "kl_to_final": rounded(kl.clamp(min=0)),
        "top": logp.argmax(-1).tolist(),
        "answer_prob": rounded(logp[..., answer].exp()),
    }

    # Direct logit attribution at the last position.
    direction = bridge.tokens_to_residual_directions(answer) - bridge.tokens_to_residual_directions(wrong)
    with torch.no_grad():
        heads = cache.stack_head_results(layer=-1, pos_slice=-1, apply_ln=True)[:, 0]  # [L*H, d_model]
        mlps, labels = cache.decompose_resid(layer=-1, pos_slice=-1, mode="mlp", apply_ln=True, return_labels=True)
    head_dla = (heads.double() @ direction.double()).reshape(n_layers, n_heads)
    mlp_dla = {label: float(v) for label, v in zip(labels, mlps[:, 0].double() @ direction.double())}
    dla = {
        "heads": rounded(head_dla),
        "mlps": [round(mlp_dla[f"{l}_mlp_out"], 7) for l in range(n_layers)],
    }

    # Activation patching, raw metric values.
    with torch.no_grad():
        grids = {
            "resid_pre": patching.get_act_patch_resid_pre(bridge, corrupted_t, cache, metric),
            "attn_out": patching.get_act_patch_attn_out(bridge, corrupted_t, cache, metric),
            "mlp_out": patching.get_act_patch_mlp_out(bridge, corrupted_t, cache, metric),
            "head_out_all_pos": patching.get_act_patch_attn_head_out_all_pos(bridge, corrupted_t, cache, metric),
        }
    patched = {k: rounded(v) for k, v in grids.items()}

    return {
        "model": name,
        "transformer_lens": importlib.metadata.version("transformer-lens"),
        "tokens": clean,
        "corrupted": corrupted,
        "answer": answer,
        "wrong": wrong,
        "clean_metric": round(float(metric(clean_logits)), 7),
        "corrupted_metric": round(float(metric(corrupted_logits)), 7),
        "patterns": rounded(patterns),
        "lens": lens,
        "dla": dla,
        "patching": patched,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    models = Path(sys.argv[1])
    torch.set_grad_enabled(False)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        data = reference(models / name, name)
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The cold path in Python, timed as a whole process: import transformers, load the SmolLM2-135M F32 folder,
run one forward over 128 tokens with output_attentions=True, save every layer's attention pattern as .npy.

    time .venv-ref/bin/python samples/bench_cold_python.py [--folder samples/models/smollm2-f32] [--out DIR]
        [--tokens 128] [--threads 2]

The peer of `owb run samples/models/smollm2-f32 --save-hooks 'blocks.*.attn.hook_pattern'` over the same
ids (samples/fixtures/smollm2/bench_prompt.json). Writes DIR/blocks.<layer>.attn.hook_pattern.npy, each
[heads, tokens, tokens] float32 (DIR: a new temporary folder unless --out; it is printed, and left for the
caller to inspect or remove). The F32 folder comes from samples/gguf_to_safetensors.py. OMP_WAIT_POLICY
defaults to passive as in bench_forward_peers.py (spinning OpenMP workers lose badly on a busy machine).
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, default=ROOT / "samples" / "models" / "smollm2-f32")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    ids = json.loads((ROOT / "samples" / "fixtures" / "smollm2" / "bench_prompt.json").read_text())["ids"][:a.tokens]

    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(a.threads)
    t_import = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(str(a.folder), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    t_load = time.perf_counter()
    with torch.inference_mode():
        out = model(torch.tensor([ids], dtype=torch.long), use_cache=False, output_attentions=True)
    t_forward = time.perf_counter()
    dest = a.out or Path(tempfile.mkdtemp(prefix="owb-cold-python-"))
    dest.mkdir(parents=True, exist_ok=True)
    for layer, pattern in enumerate(out.attentions):
        np.save(dest / f"blocks.{layer}.attn.hook_pattern.npy", pattern[0].float().numpy())
    t_save = time.perf_counter()
    print(json.dumps({"out": str(dest), "tokens": len(ids), "layers": len(out.attentions),
                      "seconds": {"imports": round(t_import - T0, 3), "load": round(t_load - t_import, 3),
                                  "forward": round(t_forward - t_load, 3), "save": round(t_save - t_forward, 3),
                                  "total_in_process": round(t_save - T0, 3)}}))


if __name__ == "__main__":
    main()

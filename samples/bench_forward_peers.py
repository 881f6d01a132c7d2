"""Prompt-processing speed of the Python peers on SmolLM2-135M-Instruct, for comparison with owb's engine.

    .venv-ref/bin/python samples/bench_forward_peers.py [--repeats 5] [--lengths 128 512] [--threads 2]

Needs the reference stack (samples/requirements-reference.txt) with the optional llama-cpp-python.
Times one forward over the first N ids of samples/fixtures/smollm2/bench_prompt.json (no KV cache before it):

  transformers-eager            PyTorch eager attention on the F32 folder, logits for every position
  transformers-eager-attentions the same with output_attentions=True (what hooking attention patterns costs)
  transformers-sdpa             transformers' default attention (scaled_dot_product_attention), for scale
  llama.cpp-q4_1                llama-cpp-python on the Q4_1 GGUF, n_batch = n_ubatch = 512, logits of the last
                                position only (as llama-bench), F16 KV cache, no flash attention (its defaults)

Each configuration is warmed up once, then run --repeats times; the JSON on stdout gives the median,
min and max tokens/s (wall clock), and the median tokens per CPU-second (all threads). The F32 folder
(samples/models/smollm2-f32) is written by gguf_to_safetensors.py when missing.

OMP_WAIT_POLICY defaults to passive here: llama-cpp-python and torch both run their threads on OpenMP,
whose workers spin while they wait; on a machine busy with other work a spinning worker holds a core
another one needs, and llama.cpp at 2 threads measured 5x slower (12 vs 65 tokens/s) with the default
policy. Set OMP_WAIT_POLICY=active to measure that. The machine's load average is reported before and
after: on a shared machine the figures are only as good as that.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_prompt import bench_ids  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
F32_DIR = ROOT / "samples" / "models" / "smollm2-f32"


def gguf_path() -> Path:
    out = subprocess.run(["bash", str(ROOT / "samples" / "fetch-smollm2.sh")], check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out.splitlines()[-1])


def ensure_f32(gguf: Path) -> Path:
    if not (F32_DIR / "model.safetensors").is_file():
        subprocess.run([sys.executable, str(ROOT / "samples" / "gguf_to_safetensors.py"), str(gguf), str(F32_DIR)],
                       check=True)
    return F32_DIR


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summary(n_tokens: int, runs: list[tuple[float, float]]) -> dict:
    """runs: (wall seconds, process CPU seconds) each. CPU seconds (all threads) are the steadier figure on a
    shared machine: waiting for a core costs wall time but no CPU time."""
    rates = sorted(n_tokens / wall for wall, _ in runs)
    cpu_rates = sorted(n_tokens / cpu for _, cpu in runs)
    return {"tokens_per_s_median": round(statistics.median(rates), 2), "tokens_per_s_min": round(rates[0], 2),
            "tokens_per_s_max": round(rates[-1], 2),
            "seconds_median": round(statistics.median(wall for wall, _ in runs), 4),
            "tokens_per_cpu_s_median": round(statistics.median(cpu_rates), 2), "runs": len(runs)}


def time_runs(fn, repeats: int) -> list[tuple[float, float]]:
    fn()  # warm-up: first-call allocations, lazy inits, page faults on the weights
    out = []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out


def bench_transformers(folder: Path, lengths: list[int], repeats: int, threads: int) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    results = {}
    configs = (("transformers-eager", "eager", False), ("transformers-eager-attentions", "eager", True),
               ("transformers-sdpa", "sdpa", False))
    for name, impl, attentions in configs:
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, attn_implementation=impl).eval()
        for n in lengths:
            ids = torch.tensor([bench_ids(n)], dtype=torch.long)

            def run():
                with torch.inference_mode():
                    out = model(ids, use_cache=False, output_attentions=attentions)
                if attentions:
                    assert len(out.attentions) == model.config.num_hidden_layers
                return out

            results.setdefault(name, {})[str(n)] = summary(n, time_runs(run, repeats))
            print(f"{name} {n}: {results[name][str(n)]['tokens_per_s_median']} tok/s", file=sys.stderr)
        del model
    return results


def bench_llama_cpp(gguf: Path, lengths: list[int], repeats: int, threads: int) -> dict:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=1024, n_batch=512, n_ubatch=512, n_threads=threads,
                          n_threads_batch=threads, logits_all=False, flash_attn=False, verbose=False)
    memory = llama_cpp.llama_get_memory(llm.ctx)
    results = {}
    for n in lengths:
        ids = bench_ids(n)

        def run():
            llama_cpp.llama_memory_clear(memory, True)  # empty KV cache: a fresh prompt each time
            llm.reset()
            llm.eval(ids)

        results[str(n)] = summary(n, time_runs(run, repeats))
        print(f"llama.cpp-q4_1 {n}: {results[str(n)]['tokens_per_s_median']} tok/s", file=sys.stderr)
    return {"llama.cpp-q4_1": results}


def version(pkg: str) -> str | None:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--lengths", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip", nargs="*", default=[], choices=["transformers", "llama.cpp"])
    a = ap.parse_args()

    omp_policy = os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # before torch / llama_cpp load libgomp
    gguf = gguf_path()
    folder = ensure_f32(gguf)
    load_before = os.getloadavg()
    results = {}
    if "llama.cpp" not in a.skip:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            print("note: llama-cpp-python is not installed in this venv; llama.cpp skipped", file=sys.stderr)
        else:
            results.update(bench_llama_cpp(gguf, a.lengths, a.repeats, a.threads))
    if "transformers" not in a.skip:
        results.update(bench_transformers(folder, a.lengths, a.repeats, a.threads))
    doc = {
        "model": "SmolLM2-135M-Instruct",
        "weights": {"transformers": str(folder.relative_to(ROOT)) + " (float32, dequantized from the Q4_1 GGUF)",
                    "llama.cpp": gguf.name},
        "prompt": "samples/fixtures/smollm2/bench_prompt.json (first N ids, no BOS)",
        "metric": "prompt tokens / wall seconds of one forward over the whole prompt (tokens_per_s_*), and "
                  "prompt tokens / process CPU seconds of it, all threads (tokens_per_cpu_s_median); warm-up excluded",
        "threads": a.threads,
        "omp_wait_policy": omp_policy,
        "results": results,
        "machine": {"cpu": cpu_model(), "logical_cpus": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "versions": {"python": platform.python_version(), "torch": version("torch"),
                     "transformers": version("transformers"), "llama-cpp-python": version("llama_cpp_python"),
                     "numpy": version("numpy")},
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()

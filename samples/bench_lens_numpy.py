"""The logit lens's instrument part in numpy: the peer `owb bench lens` measures against.

    python samples/bench_lens_numpy.py GGUF RESID.npy --target ID [--top K] [--repeat N]

RESID.npy holds the residual streams owb captured, float32 [layers + 1, positions, d_model]: the
stream entering each block and leaving the last. For each, the model's final RMSNorm (weight from
`output_norm.weight`, eps from the GGUF metadata) and its unembedding (`output.weight`, else the tied
`token_embd.weight`, dequantized to float32 once, not timed), then for every (layer, position) what
owb reports: log-softmax, entropy, KL(final || layer), top K and the target's rank and probability.
One warm-up, then N timed runs; prints one JSON document: seconds per run (median, all), the
unembedding part alone, the thread count numpy's BLAS uses, and per layer the entropy and the target
rank at the last position (to check owb's numbers against).
"""
import argparse
import json
import time

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def tensor(reader, name):
    for t in reader.tensors:
        if t.name == name:
            return np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(
                [int(d) for d in reversed(t.shape)])
    return None


def field(reader, name):
    f = reader.fields[name]
    return f.parts[f.data[0]][0]


def lens(resid, norm_weight, eps, w_u, target, top):
    """Everything owb's LogitLens.read computes, for resid [L + 1, n, d], a layer at a time."""
    unembed = 0.0

    def layer(x):
        nonlocal unembed
        normed = x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps) * norm_weight
        t0 = time.perf_counter()
        logits = normed @ w_u.T                                       # [n, vocab]
        unembed += time.perf_counter() - t0
        logp = logits - logits.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        return logits, logp, np.exp(logp)

    final = layer(resid[-1])
    _, final_logp, final_p = final
    entropy, kl, rank = [], [], []
    for i, x in enumerate(resid):
        logits, logp, p = final if i == len(resid) - 1 else layer(x)
        entropy.append(-(p * logp).sum(axis=1))
        kl.append((final_p * (final_logp - logp)).sum(axis=1))
        np.argpartition(-logits, top, axis=1)[:, :top]
        rank.append(1 + (logits > logits[:, target:target + 1]).sum(axis=1))
        p[:, target]
    return unembed, np.array(entropy), np.array(kl), np.array(rank)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("resid")
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    reader = GGUFReader(a.gguf)
    w_u = tensor(reader, "output.weight")
    if w_u is None:
        w_u = tensor(reader, "token_embd.weight")
    norm_weight = tensor(reader, "output_norm.weight")
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    eps = float(field(reader, arch + ".attention.layer_norm_rms_epsilon"))
    resid = np.load(a.resid)

    lens(resid, norm_weight, eps, w_u, a.target, a.top)              # warm-up
    seconds, unembeds = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        unembed, entropy, kl, rank = lens(resid, norm_weight, eps, w_u, a.target, a.top)
        seconds.append(time.perf_counter() - t0)
        unembeds.append(unembed)
    try:
        from threadpoolctl import threadpool_info
        threads = max(i.get("num_threads", 1) for i in threadpool_info())
    except ImportError:
        threads = None
    print(json.dumps({
        "seconds_median": float(np.median(seconds)),
        "seconds": seconds,
        "unembed_seconds_median": float(np.median(unembeds)),
        "blas_threads": threads,
        "numpy": np.__version__,
        "entropy_last_position": [float(v) for v in entropy[:, -1]],
        "kl_last_position": [float(v) for v in kl[:, -1]],
        "target_rank_last_position": [int(v) for v in rank[:, -1]],
    }))


if __name__ == "__main__":
    main()

"""The diff's per-tensor delta statistics computed with numpy over two memory-mapped safetensors files:
the peer `owb bench diff` measures its streaming pass against, and a reference for the values.

    python samples/bench_diff_numpy.py BASE DERIVATIVE [--repeat N]

BASE and DERIVATIVE are .safetensors files (F32 or BF16) with the same tensor names and shapes.
Per tensor, in chunks of both memory maps (np.memmap, no copy of the file): ||W_base||_F, ||W_ft||_F,
||W_ft - W_base||_F (the sums of squares and <W_base, W_ft> by np.dot in float32), rel_change, cosine,
max and mean |delta|, the number of elements changed at all and beyond 1e-6 * max(1, |w_base|), and
sign flips (W_base * W_ft < 0): the statistics of owb.diff.DeltaStats.

Prints one JSON document: {"bytes": B (both files' tensor bytes), "seconds": [S per pass],
"cpu_seconds": [C per pass], "tensors": {name: {...}}}. One untimed pass first touches every page of
both maps (as owb's benchmark does), then N timed passes (default 3).
"""
import json
import struct
import sys
import time

import numpy as np

CHUNK_ELEMENTS = 1 << 20  # 4 MiB of float32 per operand: the temporaries stay in cache
TOLERANCE = np.float32(1e-6)


def tensors(path):
    """{name: (dtype, shape, memmap of the raw elements)} of a safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        raw = {"F32": np.float32, "BF16": np.uint16}[t["dtype"]]
        count = (end - begin) // np.dtype(raw).itemsize
        out[name] = (t["dtype"], t["shape"], np.memmap(path, dtype=raw, mode="r", offset=8 + n + begin, shape=(count,)))
    return out


def floats(dtype, raw):
    if dtype == "F32":
        return raw
    return (raw.astype(np.uint32) << 16).view(np.float32)  # bfloat16 is the top half of a float32


def delta_stats(dtype_b, b_raw, dtype_d, d_raw):
    sbb = sdd = sxx = sbd = sabs = 0.0
    mx = 0.0
    changed = beyond = flips = 0
    for start in range(0, b_raw.size, CHUNK_ELEMENTS):
        b = floats(dtype_b, b_raw[start:start + CHUNK_ELEMENTS])
        d = floats(dtype_d, d_raw[start:start + CHUNK_ELEMENTS])
        x = d - b
        ax = np.abs(x)
        sbb += float(np.dot(b, b))
        sdd += float(np.dot(d, d))
        sxx += float(np.dot(x, x))
        sbd += float(np.dot(b, d))
        sabs += float(ax.sum(dtype=np.float64))
        mx = max(mx, float(ax.max()))
        changed += int(np.count_nonzero(x))
        beyond += int(np.count_nonzero(ax > TOLERANCE * np.maximum(np.float32(1), np.abs(b))))
        flips += int(np.count_nonzero(b * d < 0))
    n = b_raw.size
    nb, nd, nx = sbb ** 0.5, sdd ** 0.5, sxx ** 0.5
    return {"elements": n, "rel_change": nx / nb if nb > 0 else None,
            "cosine": sbd / (nb * nd) if nb > 0 and nd > 0 else None, "max_abs_delta": mx,
            "mean_abs_delta": sabs / n, "fraction_changed": changed / n, "fraction_beyond_tolerance": beyond / n,
            "sign_flips": flips}


def one_pass(base, derivative):
    return {name: delta_stats(dt, raw, derivative[name][0], derivative[name][2])
            for name, (dt, _, raw) in base.items()}


def main(argv):
    repeat = 3
    if "--repeat" in argv:
        i = argv.index("--repeat")
        repeat = int(argv[i + 1])
        del argv[i:i + 2]
    base, derivative = tensors(argv[1]), tensors(argv[2])
    if base.keys() != derivative.keys():
        raise SystemExit("error: the two files have different tensor names")
    total = sum(raw.nbytes for _, _, raw in base.values()) + sum(raw.nbytes for _, _, raw in derivative.values())
    stats = one_pass(base, derivative)  # touches every page of both maps
    seconds, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        one_pass(base, derivative)
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(json.dumps({"bytes": total, "seconds": seconds, "cpu_seconds": cpu, "tensors": stats}))


if __name__ == "__main__":
    main(sys.argv)

"""The audit's tensor statistics computed with numpy: the reference the tests compare against and
the peer `owb bench audit` measures against.

    python samples/bench_audit_numpy.py FILE [--max-bytes N] [--timing]

FILE is a .safetensors (F32, F16, BF16) or .gguf file (any type gguf.quants dequantizes).
Prints one JSON document: {"tensors": [{"name", "dtype", "shape", "stats"}]} with the same
statistics as `owb audit --json`; with --timing instead {"bytes": B, "seconds": S, "cpu_seconds": C}, the file bytes
measured and the wall and CPU time spent on them (imports and startup excluded). --max-bytes stops reading
each tensor after about N bytes (quantized tensors dequantize slowly in numpy; a prefix is enough
to measure throughput).

Definitions (as owb's): over the finite values in float64, count, mean, population std (two
passes: the mean, then the squared deviations), min, max, abs_max, L2 norm and
numpy.histogram(x, bins=64); NaN and Inf counted apart; zero_fraction is zeros over all elements.
"""
import json
import math
import struct
import sys
import time

import numpy as np

BINS = 64
CHUNK_ELEMENTS = 1 << 24  # float64 working set of 128 MiB per chunk


def stats(chunks):
    """Statistics of the values yielded by chunks(), a function returning an iterator of arrays."""
    n = nans = infs = zeros = finite = 0
    lo, hi = math.inf, -math.inf
    total = 0.0
    squares = 0.0
    for c in chunks():
        x = np.asarray(c, dtype=np.float64).ravel()
        n += x.size
        is_nan = np.isnan(x)
        is_inf = np.isinf(x)
        nans += int(is_nan.sum())
        infs += int(is_inf.sum())
        zeros += int(np.count_nonzero(x == 0))
        f = x[~(is_nan | is_inf)]
        finite += f.size
        if f.size:
            lo = min(lo, float(f.min()))
            hi = max(hi, float(f.max()))
            total += float(f.sum())
            squares += float(np.dot(f, f))
    if finite == 0:
        counts, edges = np.histogram(np.zeros(0), bins=BINS)
        return _record(0, None, None, None, None, None, None, nans, infs, zeros / n if n else 0.0, edges, counts)
    mean = total / finite
    deviations = 0.0
    counts = np.zeros(BINS, dtype=np.int64)
    edges = None
    for c in chunks():
        x = np.asarray(c, dtype=np.float64).ravel()
        f = x[np.isfinite(x)]
        d = f - mean
        deviations += float(np.dot(d, d))
        h, edges = np.histogram(f, bins=BINS, range=(lo, hi))
        counts += h
    return _record(finite, mean, math.sqrt(deviations / finite), lo, hi, max(abs(lo), abs(hi)),
                   math.sqrt(squares), nans, infs, zeros / n, edges, counts)


def _record(count, mean, std, lo, hi, abs_max, l2, nans, infs, zero_fraction, edges, counts):
    return {"count": count, "mean": mean, "std": std, "min": lo, "max": hi, "abs_max": abs_max,
            "l2_norm": l2, "nan_count": nans, "inf_count": infs, "zero_fraction": zero_fraction,
            "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}}


def array_stats(a):
    return stats(lambda: iter([a]))


# ---- reading files ----

def safetensors_tensors(path):
    """(name, dtype, shape, absolute data offset, nbytes, chunks) for each tensor of a safetensors file."""
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
    base = 8 + header_len
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype, shape = info["dtype"], info["shape"]
        yield name, dtype, shape, base + begin, end - begin, _safetensors_chunks(path, dtype, base + begin, end - begin)


def _safetensors_chunks(path, dtype, offset, nbytes):
    width = {"F32": 4, "F16": 2, "BF16": 2}[dtype]
    n = nbytes // width

    def chunks():
        raw = np.memmap(path, dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[dtype], mode="r", offset=offset, shape=(n,))
        for i in range(0, n, CHUNK_ELEMENTS):
            part = raw[i:i + CHUNK_ELEMENTS]
            if dtype == "BF16":
                part = (part.astype(np.uint32) << 16).view(np.float32)
            yield part
    return chunks


def gguf_tensors(path, max_bytes=None):
    import gguf
    from gguf import quants
    reader = gguf.GGUFReader(path)
    for t in reader.tensors:
        data = t.data
        shape = [int(d) for d in reversed(t.shape)]
        nbytes = int(t.n_bytes)
        rows = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(1, -1)
        row_bytes = nbytes // rows.shape[0]
        take = rows.shape[0]
        if max_bytes is not None:
            take = max(1, min(take, max_bytes // max(1, row_bytes)))
        qtype = t.tensor_type

        def chunks(rows=rows, take=take, qtype=qtype, row_bytes=row_bytes):
            step = max(1, (64 << 20) // max(1, row_bytes))
            for i in range(0, take, step):
                yield quants.dequantize(rows[i:min(take, i + step)], qtype)
        yield t.name, qtype.name, shape, int(t.data_offset), take * row_bytes, chunks


def tensors_of(path, max_bytes=None):
    if path.endswith(".gguf"):
        yield from gguf_tensors(path, max_bytes)
        return
    for name, dtype, shape, offset, nbytes, chunks in safetensors_tensors(path):
        if max_bytes is not None and nbytes > max_bytes:
            width = 4 if dtype == "F32" else 2
            nbytes = max_bytes // width * width
            chunks = _safetensors_chunks(path, dtype, offset, nbytes)
        yield name, dtype, shape, offset, nbytes, chunks


def main(argv):
    path = argv[0]
    max_bytes = None
    timing = "--timing" in argv
    if "--max-bytes" in argv:
        max_bytes = int(argv[argv.index("--max-bytes") + 1])
    start = time.perf_counter()
    cpu_start = time.process_time()
    measured = 0
    out = []
    for name, dtype, shape, _offset, nbytes, chunks in tensors_of(path, max_bytes):
        out.append({"name": name, "dtype": dtype, "shape": shape, "stats": stats(chunks)})
        measured += nbytes
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if timing:
        print(json.dumps({"bytes": measured, "seconds": seconds, "cpu_seconds": cpu_seconds}))
    else:
        print(json.dumps({"tensors": out}))


if __name__ == "__main__":
    main(sys.argv[1:])

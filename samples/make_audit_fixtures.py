"""Writes OUTDIR/audit/stats.safetensors, tensors with NaN, Inf, zeros, outliers, duplicates and
awkward lengths in F32, F16 and BF16, and OUTDIR/audit/stats.json: for each tensor its dtype,
shape, absolute byte offset and length in the file, and the statistics numpy computes
(bench_audit_numpy.stats). The Java kernel's tests compare against it."""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_audit_numpy import array_stats  # noqa: E402


def to_bf16_bits(x):
    """float32 -> bf16 bits, round to nearest even (NaN stays NaN)."""
    bits = x.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def sprinkle(rng, x, nan=0.001, inf=0.0005, zero=0.02):
    u = rng.random(x.size)
    x = x.copy()
    x[u < nan] = np.nan
    x[(u >= nan) & (u < nan + inf)] = np.inf
    x[(u >= nan + inf) & (u < nan + inf + inf / 2)] = -np.inf
    x[(u >= 0.5) & (u < 0.5 + zero)] = 0
    return x


def main(out):
    rng = np.random.default_rng(2024)
    tensors = []  # (name, dtype, shape, raw bytes, values as stored, as float32)

    def add_f32(name, shape, values):
        v = np.asarray(values, dtype=np.float32).reshape(shape)
        tensors.append((name, "F32", list(shape), v.astype("<f4").tobytes(), v.ravel()))

    def add_f16(name, shape, values):
        v = np.asarray(values, dtype=np.float32).astype(np.float16).reshape(shape)
        tensors.append((name, "F16", list(shape), v.astype("<f2").tobytes(), v.astype(np.float32).ravel()))

    def add_bf16(name, shape, values):
        bits = to_bf16_bits(np.asarray(values, dtype=np.float32).ravel())
        stored = (bits.astype(np.uint32) << 16).view(np.float32)
        tensors.append((name, "BF16", list(shape), bits.astype("<u2").tobytes(), stored))

    gaussian = rng.normal(0.1, 0.02, size=300 * 257).astype(np.float32)
    add_f32("gaussian_f32", (300, 257), gaussian)
    add_f32("specials_f32", (10007,), sprinkle(rng, rng.normal(0, 1, 10007).astype(np.float32)))
    add_f32("all_nan_f32", (33,), np.full(33, np.nan, dtype=np.float32))
    add_f32("constant_f32", (4096,), np.full(4096, 0.25, dtype=np.float32))
    add_f32("norm_like_f32", (576,), 1 + rng.normal(0, 0.001, 576))
    add_f32("uniform_on_edges_f32", (65 * 9,), np.tile(-1 + np.arange(65) / 32, 9))
    outlier = rng.normal(0, 0.02, 20000).astype(np.float32)
    outlier[1234] = 20.0
    add_f32("outlier_f32", (100, 200), outlier)
    add_f32("multi_chunk_f32", (2 * 1048576 + 5,), rng.standard_t(4, 2 * 1048576 + 5).astype(np.float32) * 0.03 - 0.001)
    add_bf16("specials_bf16", (1000, 33), sprinkle(rng, rng.normal(-0.5, 0.3, 33000).astype(np.float32)))
    add_bf16("multi_chunk_bf16", (1536, 1024), rng.normal(0, 0.05, 1536 * 1024).astype(np.float32))
    f16 = sprinkle(rng, rng.normal(0, 2, 5003).astype(np.float32))
    f16[:10] = [3e-6, -5e-8, 6e-5, 65504, -65504, 1e-7, 2.0 ** -24, 0, -0.0, 1]
    add_f16("specials_f16", (5003,), f16)
    duplicate = rng.normal(0, 0.1, 777).astype(np.float32)
    add_f32("duplicate_a", (777,), duplicate)
    add_f32("duplicate_b", (777,), duplicate)

    header = {}
    offset = 0
    for name, dtype, shape, raw, _ in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    base = 8 + len(header_bytes)

    folder = os.path.join(out, "audit")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "stats.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for _, _, _, raw, _ in tensors:
            f.write(raw)

    expected = {}
    for name, dtype, shape, raw, values in tensors:
        expected[name] = {"dtype": dtype, "shape": shape, "offset": base + header[name]["data_offsets"][0],
                          "nbytes": len(raw), "stats": array_stats(values)}
    with open(os.path.join(folder, "stats.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1])

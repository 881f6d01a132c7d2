#!/usr/bin/env python3
"""The peer for owb.tensor.bench.GemmBench: times numpy's float32 matmul (OpenBLAS) on the same shapes.

usage: bench_gemm_numpy.py M,K,N [M,K,N ...] [--samples S]
For each shape computes Y = X @ W.T with X [M, K] and W [N, K] float32 (the layout GemmBench uses),
and prints one line "M K N GFLOP/s GFLOP/CPU-s": the median over S samples after a warm-up of
wall-clock throughput, and of throughput per second of process CPU time (all threads), which says
how efficiently the cores were used when other work shares the machine. Each sample repeats the
product enough times to last about 0.1 s.
"""
import sys
import time

import numpy as np


def gflops(m, k, n, samples):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (n, k)).astype(np.float32)
    wt = w.T  # a view, as a weight stored [N, K] is used
    y = np.empty((m, n), dtype=np.float32)
    np.matmul(x, wt, out=y)
    start = time.perf_counter()
    np.matmul(x, wt, out=y)
    once = max(time.perf_counter() - start, 1e-7)
    reps = max(1, int(0.1 / once))
    wall, cpu = [], []
    for _ in range(samples):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(reps):
            np.matmul(x, wt, out=y)
        wall.append((time.perf_counter() - start) / reps)
        cpu.append(max(time.process_time() - start_cpu, 1e-9) / reps)
    flops = 2.0 * m * k * n
    return flops / sorted(wall)[len(wall) // 2] / 1e9, flops / sorted(cpu)[len(cpu) // 2] / 1e9


def main(argv):
    samples = 5
    shapes = []
    i = 0
    while i < len(argv):
        if argv[i] == "--samples":
            samples = int(argv[i + 1])
            i += 2
            continue
        shapes.append(tuple(int(v) for v in argv[i].split(",")))
        i += 1
    for m, k, n in shapes:
        per_wall, per_cpu = gflops(m, k, n, samples)
        print(f"{m} {k} {n} {per_wall:.2f} {per_cpu:.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

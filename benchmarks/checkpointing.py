"""Checkpointing: tape memory and time of an explicit-Euler loop's gradient.

    python benchmarks/checkpointing.py [--size 100000] [--steps 1000 10000]

For an n-step explicit-Euler integration of a state of `size` floats, compares
the gradient without checkpointing (every overwritten state on the tape) with
the checkpointed one (2 sqrt(n) snapshots, binomial schedule): peak memory
traced by tracemalloc during the gradient call, and the median wall time.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
import tracemalloc

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

import tangent  # noqa: E402


def simulate(u0, k, n):
    """Explicit Euler for du/dt = -k * u + sin(u), n steps of dt = 0.01."""
    u = u0
    for step in range(n):
        u = u + 0.01 * (np.sin(u) - k * u)
    return np.sum(u * u)


def measure(gradient, args, repeats):
    tracemalloc.start()
    gradient(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = gradient(*args)
        times.append(time.perf_counter() - start)
    return peak, statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=100_000)
    parser.add_argument('--steps', type=int, nargs='+', default=[1_000, 10_000])
    parser.add_argument('--repeats', type=int, default=3)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    u0 = rng.normal(size=options.size)
    k = np.full(options.size, 0.5)
    plain = tangent.grad(simulate, wrt=(0, 1))
    checkpointed = tangent.grad(simulate, wrt=(0, 1), checkpoint=True)
    print('| steps | snapshots | peak memory, tape | peak memory, checkpointed | memory ratio '
          '| time, tape | time, checkpointed | time ratio |')
    print('|---|---|---|---|---|---|---|---|')
    for n in options.steps:
        args = (u0, k, n)
        plain_peak, plain_time, plain_grad = measure(plain, args, options.repeats)
        check_peak, check_time, check_grad = measure(checkpointed, args, options.repeats)
        for a, b in zip(plain_grad, check_grad):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        print(f'| {n} | {max(1, 2 * math.isqrt(n))} | {plain_peak / 2**20:.0f} MiB '
              f'| {check_peak / 2**20:.0f} MiB | {plain_peak / check_peak:.1f}x '
              f'| {plain_time:.2f} s | {check_time:.2f} s | {check_time / plain_time:.2f}x |')


if __name__ == '__main__':
    main()

"""Scale: the time and memory to write the derivative of a long function.

    python benchmarks/scale.py [--sizes 200 500 1000 2000 5000] [--clock cpu]

For straight-line functions of n statements (``y = y * 0.999 + x * 0.001``,
n times), prints the time ``tangent.grad`` takes to write the derivative
(optimized, and with ``optimized=False``), the peak memory traced while it
does, and the exponent k of the fitted power law time ~ n^k (1 is linear).
Memory is measured in a second build, since tracing allocations slows them.
Each derivative is checked against a central finite difference.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import tempfile
import time
import tracemalloc

import numpy as np

import tangent

_files = itertools.count()


def straight_line_function(statements: int, directory: str):
    body = ''.join('    y = y * 0.999 + x * 0.001\n' for _ in range(statements))
    source = f'def f(x):\n    y = x\n{body}    return y\n'
    path = os.path.join(directory, f'scale_{next(_files)}.py')
    with open(path, 'w') as file:
        file.write(source)
    scope = {'np': np}
    exec(compile(source, path, 'exec'), scope)
    return scope['f']


def build(statements: int, optimized: bool, directory: str, clock) -> tuple[float, float]:
    """Seconds to write the derivative, and the peak MiB traced while writing it."""
    function = straight_line_function(statements, directory)
    start = clock()
    derivative = tangent.grad(function, optimized=optimized)
    seconds = clock() - start
    x, eps = 0.3, 1e-6
    expected = (function(x + eps) - function(x - eps)) / (2 * eps)
    assert abs(derivative(x) - expected) < 1e-6 * max(1.0, abs(expected))
    tangent.clear_cache()
    function = straight_line_function(statements, directory)  # a new one: no cache hit
    tracemalloc.start()
    tangent.grad(function, optimized=optimized)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    tangent.clear_cache()
    return seconds, peak


def exponent(sizes: list[int], times: list[float]) -> float:
    """The slope of log(time) against log(size), by least squares."""
    xs = [math.log(n) for n in sizes]
    ys = [math.log(t) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
            / sum((x - mean_x) ** 2 for x in xs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[200, 500, 1000, 2000, 5000])
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help='cpu: process time, for a machine that is busy with other work')
    options = parser.parse_args()
    clock = time.perf_counter if options.clock == 'wall' else time.process_time
    sys.setrecursionlimit(1000)  # what a user has: no headroom is borrowed
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for n in options.sizes:
            optimized_time, optimized_peak = build(n, True, directory, clock)
            plain_time, plain_peak = build(n, False, directory, clock)
            rows.append((n, optimized_time, optimized_peak, plain_time, plain_peak))
            print(f'built {n} statements', file=sys.stderr, flush=True)
    print(f'| statements | build ({options.clock}) | peak memory | build, optimized=False '
          f'| peak memory, optimized=False |')
    print('|---|---|---|---|---|')
    for n, optimized_time, optimized_peak, plain_time, plain_peak in rows:
        print(f'| {n} | {optimized_time:.2f} s | {optimized_peak:.0f} MiB '
              f'| {plain_time:.2f} s | {plain_peak:.0f} MiB |')
    if len(rows) > 1:
        sizes = [row[0] for row in rows]
        print(f'\nfitted exponent (time ~ n^k): k = {exponent(sizes, [r[1] for r in rows]):.2f} '
              f'optimized, {exponent(sizes, [r[3] for r in rows]):.2f} with optimized=False')


if __name__ == '__main__':
    main()

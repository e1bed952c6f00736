"""Checkpointing: tape memory and time of an explicit-Euler loop's gradient.

    python benchmarks/checkpointing.py [--size 100000] [--steps 1000 10000]
    python benchmarks/checkpointing.py --size 10 --steps 10000 100000 1000000 --clock cpu

For an n-step explicit-Euler integration of a state of `size` floats, compares
the gradient without checkpointing (every overwritten state on the tape) with
the checkpointed one (2 sqrt(n) snapshots, binomial schedule): peak memory
traced by tracemalloc during the gradient call, and the median time of
`repeats` calls. A big state over few steps measures the memory saved; a small
state over many steps (`--size 0`: a scalar) measures the per-step cost of
replaying the schedule, and the `schedule` column is the time to compute all
of its actions.
`--clock cpu` times with this process's CPU time, which other processes on a
busy machine disturb less than the default wall time.
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

CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def simulate(u0, k, n):
    """Explicit Euler for du/dt = -k * u + sin(u), n steps of dt = 0.01."""
    u = u0
    for step in range(n):
        u = u + 0.01 * (np.sin(u) - k * u)
    return np.sum(u * u)


def peak_memory(function, args):
    """The most memory traced at once during the call, and its result."""
    tracemalloc.start()
    result = function(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, result


def median_time(function, args, repeats, clock):
    times = []
    for _ in range(repeats):
        start = clock()
        function(*args)
        times.append(clock() - start)
    return statistics.median(times)


def read_schedule(steps):
    """Compute every action of the default schedule, as the backward pass reads it."""
    for _ in tangent.revolve(steps):
        pass


def seconds(value: float) -> str:
    return f'{value:.3f} s' if value < 10 else f'{value:.1f} s'


def mebibytes(value: int) -> str:
    return f'{value / 2**20:.1f} MiB' if value >= 2**20 else f'{value / 2**10:.0f} kiB'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=100_000,
                        help='floats in the state; 0 for a scalar')
    parser.add_argument('--steps', type=int, nargs='+', default=[1_000, 10_000])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--clock', choices=sorted(CLOCKS), default='wall')
    options = parser.parse_args()
    clock = CLOCKS[options.clock]
    if options.size == 0:  # a step then costs about as much as the Python calls around it
        u0, k = 0.3, 0.5
    else:
        u0 = np.random.default_rng(0).normal(size=options.size)
        k = np.full(options.size, 0.5)
    plain = tangent.grad(simulate, wrt=(0, 1))
    checkpointed = tangent.grad(simulate, wrt=(0, 1), checkpoint=True)
    # The first call writes the code for these argument types: not measured.
    plain(u0, k, 2)
    checkpointed(u0, k, 2)
    state = f'{options.size} floats' if options.size else 'one float (a scalar)'
    print(f'state of {state}, median {options.clock} time of {options.repeats} calls')
    print()
    print('| steps | snapshots | schedule | peak memory, tape | peak memory, checkpointed '
          '| memory ratio | time, tape | time, checkpointed | time ratio |')
    print('|---|---|---|---|---|---|---|---|---|')
    for n in options.steps:
        args = (u0, k, n)
        schedule_time = median_time(read_schedule, (n,), options.repeats, clock)
        plain_peak, plain_grad = peak_memory(plain, args)
        check_peak, check_grad = peak_memory(checkpointed, args)
        for a, b in zip(plain_grad, check_grad):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        plain_time = median_time(plain, args, options.repeats, clock)
        check_time = median_time(checkpointed, args, options.repeats, clock)
        print(f'| {n:,} | {max(1, 2 * math.isqrt(n))} | {seconds(schedule_time)} '
              f'| {mebibytes(plain_peak)} | {mebibytes(check_peak)} '
              f'| {plain_peak / check_peak:.1f}x | {seconds(plain_time)} '
              f'| {seconds(check_time)} | {check_time / plain_time:.2f}x |', flush=True)


if __name__ == '__main__':
    main()

"""Tape overhead: a long loop over small arrays, its gradient against the loop itself.

    python benchmarks/tape.py                       # n = 10**4, 10**5, 10**6
    python benchmarks/tape.py --steps 10000 100000  # a quicker run

Two loops of n steps over arrays of 10 floats:

- ``scaled``: ``y = np.sin(y) * 0.99 + x * 0.01``. Shapes are known to match,
  so the gradient's tape holds one array per step (the ``y`` that ``np.cos``
  needs on the way back).
- ``weighted``: ``y = np.sin(y) * w + x * 0.01`` with ``w`` an array, whose
  shape could broadcast: the tape also holds shape records (for ``unbroadcast``)
  of two intermediate values per step.

For each n: the CPU time of the function itself (primal) and of its gradient,
their ratio, the cost of one step of each in microseconds, and the peak memory
that tracemalloc traces during the gradient call (in a separate call, since
tracing slows allocation), with that peak divided by n. Times are the best of
a few calls, measured with ``time.process_time`` in this one process, primal
and gradient alternating, so that other work on a busy machine disturbs the
ratio as little as possible. A micro-benchmark gives the cost of one tape
operation as generated code calls it, next to a bare ``list`` append and pop.

Only public names are used, so the same script measures an older checkout:
``PYTHONPATH=/path/to/checkout python benchmarks/tape.py``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

import tangent  # noqa: E402

SIZE = 10


def scaled(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * 0.99 + x * 0.01
    return np.sum(y)


def weighted(x, w, n):
    y = x
    for i in range(n):
        y = np.sin(y) * w + x * 0.01
    return np.sum(y)


def central_difference(function, args, position, step=1e-6):
    """The gradient of ``function`` in ``args[position]``, by central differences."""
    base = np.asarray(args[position], dtype=float)
    gradient = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        shifted = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[index] += sign * step
            changed = list(args)
            changed[position] = moved
            shifted.append(function(*changed))
        gradient[index] = (shifted[0] - shifted[1]) / (2 * step)
    return gradient


def best_cpu_times(calls, repeats):
    """The least CPU time of each call over ``repeats`` rounds, the calls alternating."""
    best = [float('inf')] * len(calls)
    for _ in range(repeats):
        for position, call in enumerate(calls):
            start = time.process_time()
            call()
            best[position] = min(best[position], time.process_time() - start)
    return best


def peak_bytes(call):
    """The most memory traced at once during ``call()``."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def nanoseconds_per_iteration(body, setup='pass', iterations=10**6, repeats=5):
    """CPU time of one run of ``body`` in a loop of generated-code style, less the empty loop."""
    namespace = {'tangent': tangent, 'np': np, 'N': iterations, 'y': np.ones(SIZE)}

    def timed(statement):
        source = (f'def run():\n    {setup}\n    for i in range(N):\n        {statement}\n')
        exec(source, namespace)  # a function, so the names are fast locals as in generated code
        return best_cpu_times([namespace['run']], repeats)[0]

    return (timed(body) - timed('pass')) / iterations * 1e9


def tape_operation_costs():
    """Nanoseconds per tape operation, as the generated code writes them."""
    full = '_stack = tangent.Stack([y] * N)'
    return [
        ('push: `tangent.push(_stack, y, op_id)`',
         nanoseconds_per_iteration("tangent.push(_stack, y, 'y_1')", '_stack = tangent.Stack()')),
        ('pop: `y = tangent.pop(_stack, op_id)`',
         nanoseconds_per_iteration("z = tangent.pop(_stack, 'y_1')", full)),
        ('bare `list.append` (the floor)',
         nanoseconds_per_iteration('_stack.append(y)', '_stack = []')),
        ('bare `list.pop` (the floor)',
         nanoseconds_per_iteration('z = _stack.pop()', full)),
        ('shape record: `tangent.push(_stack, tangent.shape_only(y), op_id)`',
         nanoseconds_per_iteration("tangent.push(_stack, tangent.shape_only(y), 'y_1')",
                                   '_stack = tangent.Stack()')),
        ('`tangent.unbroadcast(g, record)` of a popped shape record',
         nanoseconds_per_iteration('z = tangent.unbroadcast(y, record)',
                                   'record = tangent.shape_only(y)')),
        ('`tangent.unbroadcast(g, y)` of an array of the same shape',
         nanoseconds_per_iteration('z = tangent.unbroadcast(y, y)')),
    ]


def measure(name, function, gradient, make_args, steps, repeats):
    """One table row per n: times, ratio, per-step costs and peak memory."""
    rows = []
    for n in steps:
        args = make_args(n)
        primal_time, gradient_time = best_cpu_times(
            [lambda: function(*args), lambda: gradient(*args)], repeats(n))
        peak = peak_bytes(lambda: gradient(*args))
        rows.append((name, n, primal_time, gradient_time, peak))
        print(f'  {name} n={n:,}: primal {primal_time:.3f} s, gradient {gradient_time:.3f} s',
              flush=True)
    return rows


def check_gradients(rng):
    """The measured gradients are right: against central differences on a short loop."""
    x = rng.uniform(0.1, 1.0, SIZE)
    w = rng.uniform(0.5, 1.0, SIZE)
    for function, args in ((scaled, (x, 50)), (weighted, (x, w, 50))):
        expected = central_difference(function, args, 0)
        actual = tangent.grad(function)(*args)
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, nargs='+', default=[10**4, 10**5, 10**6])
    parser.add_argument('--repeats', type=int, default=5,
                        help='calls timed for each n (two fewer above 10**5 steps)')
    options = parser.parse_args()

    def repeats(n):
        return options.repeats if n <= 10**5 else max(1, options.repeats - 2)

    rng = np.random.default_rng(0)
    check_gradients(rng)
    x = rng.uniform(0.1, 1.0, SIZE)
    w = rng.uniform(0.5, 1.0, SIZE)
    scaled_gradient = tangent.grad(scaled)
    weighted_gradient = tangent.grad(weighted)
    scaled_gradient(x, 2)  # the first call writes the code: not measured
    weighted_gradient(x, w, 2)
    print(f'tangent from {os.path.dirname(tangent.__file__)}, load average '
          f'{os.getloadavg()[0]:.1f}', flush=True)
    rows = measure('scaled', scaled, scaled_gradient, lambda n: (x, n),
                   options.steps, repeats)
    rows += measure('weighted', weighted, weighted_gradient, lambda n: (x, w, n),
                    options.steps, repeats)
    print()
    print(f'Loops over arrays of {SIZE} floats; best CPU time (`time.process_time`) of '
          f'{options.repeats} calls ({max(1, options.repeats - 2)} above 10^5 steps)')
    print()
    print('| loop | n | primal | gradient | gradient / primal | µs per step, primal '
          '| µs per step, gradient | peak memory, gradient | bytes per step |')
    print('|:---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for name, n, primal_time, gradient_time, peak in rows:
        print(f'| {name} | {n:,} | {primal_time:.3f} s | {gradient_time:.3f} s '
              f'| {gradient_time / primal_time:.2f}x | {primal_time / n * 1e6:.2f} '
              f'| {gradient_time / n * 1e6:.2f} | {peak / 1e6:.1f} MB | {peak / n:.0f} |')
    print()
    print('| tape operation | ns |')
    print('|:---|---:|')
    for label, cost in tape_operation_costs():
        print(f'| {label} | {cost:.0f} |')


if __name__ == '__main__':
    main()

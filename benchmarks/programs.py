"""Tangent's gradients against autograd's on the corpus of realistic programs.

    python benchmarks/programs.py [--repeats N] [--only gmm,hmm] [--write docs/programs.md]

For every program in ``tests/programs`` (models written for autograd, unchanged)
this script builds tangent's gradient (``tangent.grad(objective, wrt=WRT)``) and
autograd's (one reverse pass over all ``WRT`` arguments at once), checks that the
two agree to ``rtol=1e-7`` before timing anything, then times each: a warm-up call,
then the median over ``--repeats`` samples of the per-call time, each sample a
batch of calls lasting at least a few milliseconds. BLAS is pinned to one thread.
It prints a Markdown table (program, tangent ms, autograd ms, speed-up = autograd
time / tangent time); a program tangent cannot differentiate yet shows the error's
first line instead of a time. ``--write PATH`` also writes the table to PATH.
"""

import os

for _variable in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
                  'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_variable] = '1'

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import autograd  # noqa: E402
import numpy  # noqa: E402

import tangent  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'tests'))

from programs import PROGRAM_NAMES, fresh_arguments, leaves, load  # noqa: E402

RTOL = 1e-7
ATOL = 1e-10
MIN_BATCH_SECONDS = 0.005


def tangent_gradient(program):
    gradient = tangent.grad(program.objective, wrt=program.WRT)
    if len(program.WRT) == 1:
        return lambda *args: (gradient(*args),)
    return gradient


def autograd_gradient(program):
    """One reverse pass for all ``WRT`` arguments: they travel together as a tuple."""
    def objective_of_differentiated(differentiated, *args):
        full = list(args)
        for position, value in zip(program.WRT, differentiated):
            full[position] = value
        return program.objective(*full)
    gradient = autograd.grad(objective_of_differentiated)
    return lambda *args: gradient(tuple(args[i] for i in program.WRT), *args)


def agree(actual, expected):
    actual, expected = leaves(actual), leaves(expected)
    return len(actual) == len(expected) and all(
        numpy.shape(a) == numpy.shape(e) and numpy.allclose(a, e, rtol=RTOL, atol=ATOL)
        for a, e in zip(actual, expected))


def median_call_seconds(gradient, args, repeats):
    gradient(*args)  # warm-up
    start = time.perf_counter()
    gradient(*args)
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(MIN_BATCH_SECONDS / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            gradient(*args)
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def first_line(error):
    message = str(error).strip().splitlines()
    text = f'{type(error).__name__}: {message[0] if message else ""}'
    return text.replace(REPO + os.sep, '')


def measure(name, repeats):
    """A table row: (program, tangent ms or error, autograd ms, speed-up)."""
    program = load(name)
    by_autograd = autograd_gradient(program)
    autograd_ms = 1000 * median_call_seconds(by_autograd, fresh_arguments(program), repeats)
    try:
        by_tangent = tangent_gradient(program)
        if not agree(by_tangent(*fresh_arguments(program)),
                     by_autograd(*fresh_arguments(program))):
            raise AssertionError('tangent and autograd gradients differ')
        tangent_ms = 1000 * median_call_seconds(by_tangent, fresh_arguments(program), repeats)
    except Exception as error:  # noqa: BLE001 -- reported in the table, not hidden
        return name, first_line(error).replace('|', '/')[:120], f'{autograd_ms:.3f}', 'n/a'
    return name, f'{tangent_ms:.3f}', f'{autograd_ms:.3f}', f'{autograd_ms / tangent_ms:.2f}x'


def markdown_table(rows):
    lines = ['| program | tangent ms | autograd ms | speed-up |', '|:---|---:|---:|---:|']
    lines += [f'| `{name}` | {tangent_ms} | {autograd_ms} | {speed_up} |'
              for name, tangent_ms, autograd_ms, speed_up in rows]
    return '\n'.join(lines)


def document(table, repeats):
    versions = (f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
                f"autograd {importlib.metadata.version('autograd')}, {platform.machine()}")
    return f"""# Realistic programs: tangent against autograd

The corpus in `tests/programs` holds {len(PROGRAM_NAMES)} models written the way autograd's
users write them (`autograd.numpy as np`, parameters in lists of `(W, b)` pairs and dicts,
`autograd.scipy`); tangent differentiates them unchanged, and `tests/test_programs.py`
checks every gradient against autograd's to `rtol=1e-7`.

The table was produced by `python benchmarks/programs.py --write docs/programs.md`: for each
program, the gradient of `objective` with respect to its `WRT` arguments by tangent
(`tangent.grad`) and by autograd (one reverse pass over all of them), checked against each
other, then timed as the median of {repeats} samples after a warm-up, BLAS on one thread
({versions}). Speed-up is autograd's time over tangent's; a program tangent does not yet
differentiate shows the error instead.

{table}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--only', help='comma-separated program names')
    parser.add_argument('--write', metavar='PATH', help='also write the table to PATH')
    options = parser.parse_args()
    names = options.only.split(',') if options.only else PROGRAM_NAMES
    rows = []
    for name in names:
        print(f'timing {name}', file=sys.stderr)
        rows.append(measure(name, options.repeats))
    table = markdown_table(rows)
    print(table)
    if options.write:
        with open(options.write, 'w') as handle:
            handle.write(document(table, options.repeats))


if __name__ == '__main__':
    main()

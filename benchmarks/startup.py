"""Startup: what ``import tangent`` and the first ``tangent.grad`` call cost.

    python benchmarks/startup.py [--runs 15] [--tree PATH ...]

Each run is a fresh Python process, so nothing is cached in memory; the
bytecode files are written once beforehand, as they are on a user's machine
(``PYTHONDONTWRITEBYTECODE`` is cleared for the runs). Prints the median of
``--runs`` processes, in CPU time (other work on the machine hardly moves
it; runs of the trees alternate), for: ``import tangent`` alone, and the first
``tangent.grad`` of a small NumPy function with a loop and a branch, from a
cold cache, including compiling the derivative and checking it against a
central difference. With several ``--tree`` checkouts (the current one by
default), prints one row per tree, so a change can be compared with the
commit before it.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys

_PROBE = r'''
import sys, time
start = time.process_time()
import tangent
imported = time.process_time()
import numpy as np
sys.path.insert(0, {directory!r})
import startup_example
dfdx = tangent.grad(startup_example.f)
value = dfdx(0.7)
first_grad = time.process_time()
x, eps = 0.7, 1e-6
reference = (startup_example.f(x + eps) - startup_example.f(x - eps)) / (2 * eps)
assert abs(value - reference) <= 1e-5 * max(1.0, abs(reference)), (value, reference)
assert tangent.__file__.startswith({tree!r}), tangent.__file__
print(imported - start, first_grad - imported)
'''

_EXAMPLE = '''
import numpy as np


def f(x):
    y = np.sin(x) * x
    for i in range(3):
        if y > 0.0:
            y = y * np.tanh(x + i)
        else:
            y = y - x
    return y
'''


def run_once(tree: pathlib.Path, directory: pathlib.Path) -> tuple[float, float]:
    """CPU seconds of ``import tangent`` and of the first gradient, in a fresh process."""
    # One BLAS thread: CPU time then counts the work, not threads spinning at start.
    environment = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS='1',
                       OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    environment.pop('PYTHONDONTWRITEBYTECODE', None)
    probe = _PROBE.format(directory=str(directory), tree=str(tree))
    result = subprocess.run([sys.executable, '-c', probe], env=environment, check=True,
                            capture_output=True, text=True, cwd=directory)
    imported, first_grad = map(float, result.stdout.split())
    return imported, first_grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--tree', action='append', type=pathlib.Path,
                        help='a checkout of tangent (default: this one)')
    args = parser.parse_args()
    trees = args.tree or [pathlib.Path(__file__).resolve().parent.parent]
    directory = pathlib.Path(__file__).resolve().parent / '.startup'
    directory.mkdir(exist_ok=True)
    (directory / 'startup_example.py').write_text(_EXAMPLE)
    print(f'median CPU time of {args.runs} fresh processes per tree\n')
    print(f'{"tree":<40} {"import tangent":>15} {"first grad":>12}   (minimum of the runs)')
    trees = [tree.resolve() for tree in trees]
    for tree in trees:
        run_once(tree, directory)  # writes the bytecode files
    times = {tree: [] for tree in trees}
    for _ in range(args.runs):
        for tree in trees:
            times[tree].append(run_once(tree, directory))
    for tree in trees:
        imported = statistics.median(run[0] for run in times[tree])
        first_grad = statistics.median(run[1] for run in times[tree])
        fastest = min(times[tree])
        print(f'{str(tree):<40} {imported * 1e3:>12.1f} ms {first_grad * 1e3:>9.1f} ms   '
              f'({fastest[0] * 1e3:.1f} ms, {min(run[1] for run in times[tree]) * 1e3:.1f} ms)')


if __name__ == '__main__':
    main()

"""Cost of a forward-over-reverse Hessian-vector product relative to f itself.

For each test function f of a 1,000-vector this script

1. builds ``hvp = autodiff(autodiff(f, mode='reverse'), mode='forward')``,
   called as ``hvp(x, 1.0, v)``;
2. checks it against a central finite difference of the gradient along v;
3. times f and the HVP (median of many calls after a warm-up, with
   ``time.perf_counter``) and prints ``HVP time / f time`` (target: <= 6x).

BLAS is pinned to one thread so the ratio measures work, not parallelism.

Run:  python benchmarks/hvp.py [--repeats N]
"""

import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
             'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_var] = '1'

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tangent  # noqa: E402

TARGET_RATIO = 6.0
N = 1000

_rng = np.random.default_rng(2024)
W = _rng.standard_normal((N, N)) / np.sqrt(N)


def tanh_layer(x):
    """Dense: one 1000x1000 matrix-vector product dominates."""
    return np.sum(np.tanh(W @ x) ** 2)


def elementwise(x):
    """Cheap: only elementwise work on the 1000-vector."""
    return np.sum(np.sin(x) * x * x + np.exp(-0.5 * x * x))


FUNCTIONS = [tanh_layer, elementwise]


def build_hvp(func):
    inner = tangent.autodiff(func, mode='reverse', check_dims=False, optimized=True)
    outer = tangent.autodiff(inner, mode='forward', check_dims=False, optimized=True)
    return outer


def check(func, hvp, x, v):
    gradient = tangent.grad(func)
    eps = 1e-5
    fd = (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps)
    actual = hvp(x, 1.0, v)
    error = np.max(np.abs(actual - fd)) / max(1.0, np.max(np.abs(fd)))
    return error


def median_time(call, repeats, warmup):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=300)
    parser.add_argument('--warmup', type=int, default=30)
    args = parser.parse_args(argv)

    x = _rng.uniform(-1.0, 1.0, size=N)
    v = _rng.standard_normal(N)
    print(f'n = {N}, BLAS threads pinned to 1, median of {args.repeats} calls '
          f'after {args.warmup} warm-up calls')
    print(f'{"function":<12} {"check err":>10} {"f time":>11} {"HVP time":>11} {"ratio":>7}  ok')
    all_ok = True
    for func in FUNCTIONS:
        hvp = build_hvp(func)
        error = check(func, hvp, x, v)
        t_f = median_time(lambda f=func: f(x), args.repeats, args.warmup)
        t_h = median_time(lambda h=hvp: h(x, 1.0, v), args.repeats, args.warmup)
        ratio = t_h / t_f
        ok = error < 1e-6 and ratio <= TARGET_RATIO
        all_ok = all_ok and ok
        print(f'{func.__name__:<12} {error:>10.2e} {t_f * 1e6:>9.1f}us {t_h * 1e6:>9.1f}us '
              f'{ratio:>6.2f}x  {"yes" if ok else "NO"}')
        print(f'  HVP time / f time = {ratio:.2f} (target <= {TARGET_RATIO:g})')
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main())

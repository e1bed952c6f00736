"""Two systems timed alternately, for ratios a noisy machine cannot tilt.

    python benchmarks/paired.py [--pair jax_jit,tangent_jax_jit] [--only gp_likelihood]
                                [--batches 60]

``run.py`` times each system once after the other, so a burst of load on a
shared machine lands on one of them. Here the two systems of a pair are built,
checked against the hand-written gradient as in ``run.py``, and then timed in
alternating batches of calls: a batch of the first, a batch of the second, and
so on. The table gives, per workload, each system's fastest batch (the least
disturbed) and the first system's time over the second's: for the default pair,
above 1 where tangent's compiled gradient is the faster, 1/1.1 = 0.91 at the
edge of "within 1.1x". The same pinning of threads as ``run.py`` applies
(one BLAS and one XLA thread).
"""

import argparse
import statistics
import sys

import numpy as np
import run  # pins BLAS and XLA threads before NumPy's first use
from systems import SYSTEMS
from workloads import BY_NAME, WORKLOADS, leaves

BY_SYSTEM = {system.name: system for system in SYSTEMS}


def per_call(built, number: int) -> float:
    return run._batch(built.call, number) / number


def compare(workload, first, second, batches: int) -> dict:
    inputs = workload.make_inputs(np.random.default_rng(run.SEED))
    reference = tuple(np.asarray(g, dtype=np.float64)
                      for g in leaves(workload.hand_gradient(*inputs)))
    built = []
    for system in (first, second):
        made = system.build(workload, inputs)
        run.check_against(reference, made.to_numpy(made.call()), system.label, workload)
        built.append(made)
    estimate = max(min(per_call(made, 3) for made in built), 1e-7)
    number = max(1, round(0.01 / estimate))  # batches of about 10 ms
    times = ([], [])
    for _ in range(batches):
        for made, samples in zip(built, times):
            samples.append(per_call(made, number))
    best = [min(samples) for samples in times]
    return {'first': best[0], 'second': best[1], 'ratio': best[0] / best[1],
            'median_ratio': statistics.median(times[0]) / statistics.median(times[1])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pair', default='jax_jit,tangent_jax_jit',
                        help='two system names from systems.py: ' + ','.join(BY_SYSTEM))
    parser.add_argument('--only', default='', help='comma-separated workloads')
    parser.add_argument('--batches', type=int, default=60)
    args = parser.parse_args(argv)
    first, second = (BY_SYSTEM[name] for name in args.pair.split(','))
    for system in (first, second):
        if system.unavailable() is not None:
            print(f'{system.label}: {system.unavailable()}', file=sys.stderr)
            return 1
    names = [name for name in args.only.split(',') if name]
    workloads = [BY_NAME[name] for name in names] if names else list(WORKLOADS)
    print(f'| workload | {first.label} | {second.label} | ratio (fastest) | ratio (median) |')
    print('|:---|---:|---:|---:|---:|')
    for workload in workloads:
        result = compare(workload, first, second, args.batches)
        print(f'| {workload.name} | {run.format_seconds(result["first"])} | '
              f'{run.format_seconds(result["second"])} | {result["ratio"]:.2f} | '
              f'{result["median_ratio"]:.2f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark runner: tangent's gradients against hand-written NumPy and its peers.

    python benchmarks/run.py [--quick] [--only mlp,rnn] [--json PATH]

For every workload of ``workloads.py`` it

1. checks the hand-written reference against central finite differences;
2. builds each system's gradient (hand-written NumPy, tangent, autograd,
   PyTorch eager, JAX, JAX jit), checks its result against the reference with
   ``np.allclose`` (float64 everywhere) and stops that system loudly on a
   mismatch, before any timing;
3. times each system: warm-up, then the median per-call time of repeated
   batches, the batch size and count adapted to the call's cost (timeit-style).

It then times tangent's code generation (the ``tangent.grad`` call with its
cache cleared, and cached) and ``import tangent`` in fresh subprocesses,
prints Markdown tables on stdout (progress goes to stderr), and writes the
numbers as JSON. All systems run in this one process with BLAS, PyTorch and
XLA pinned to one thread. A peer that is not installed shows "n/a". The exit
status is 1 if any check failed or any system raised.
"""

import os

for _variable in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
                  'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_variable] = '1'
os.environ['XLA_FLAGS'] = ' '.join(filter(None, [
    os.environ.get('XLA_FLAGS'),
    '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1']))
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
from systems import SYSTEMS, System, tangent_derivative  # noqa: E402
from workloads import BY_NAME, WORKLOADS, Workload, leaves, map_leaves  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_JSON = os.path.join(HERE, 'results.json')
SEED = 2024
RTOL = 1e-6  # system against the hand-written reference
ATOL_SCALE = 1e-10  # absolute tolerance, relative to the reference's largest entry
IMPORT_RUNS = 5


@dataclass(frozen=True)
class Settings:
    target_seconds: float  # time spent measuring one system on one workload
    batch_seconds: float  # the shortest batch of calls timed as one sample
    min_repeats: int
    max_repeats: int
    codegen_cold_runs: int

    @classmethod
    def make(cls, quick: bool) -> 'Settings':
        if quick:
            return cls(0.02, 0.002, 3, 10, 1)
        return cls(0.4, 0.02, 7, 41, 5)


class CheckFailed(AssertionError):
    """A gradient disagrees with the hand-written reference."""


# ------------------------------------------------------------------ timing

def _batch(call: Callable[[], Any], number: int) -> float:
    """Seconds for ``number`` back-to-back calls, with the garbage collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def measure(call: Callable[[], Any], settings: Settings) -> dict:
    """Median seconds per call, after a warm-up, in batches sized to the call's cost."""
    warm_up = []
    deadline = time.perf_counter() + settings.target_seconds / 4
    while len(warm_up) < 3 or (time.perf_counter() < deadline and len(warm_up) < 1000):
        warm_up.append(_batch(call, 1))
    estimate = max(statistics.median(warm_up), 1e-9)
    number = max(1, math.ceil(settings.batch_seconds / estimate))
    repeats = round(settings.target_seconds / (number * estimate))
    repeats = min(settings.max_repeats, max(settings.min_repeats, repeats))
    samples = [_batch(call, number) / number for _ in range(repeats)]
    return {'seconds': statistics.median(samples), 'number': number, 'repeats': repeats,
            'spread': (min(samples), max(samples))}


# ------------------------------------------------------------------ checks

def _close(got: np.ndarray, want: np.ndarray) -> tuple[bool, float]:
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, math.inf
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    error = float(np.max(np.abs(got - want))) if want.size else 0.0
    return bool(np.allclose(got, want, rtol=RTOL, atol=ATOL_SCALE * scale)), error


def check_against(reference: tuple, got: tuple, who: str, workload: Workload) -> None:
    if len(got) != len(reference):
        raise CheckFailed(f'{who} on {workload.name}: {len(got)} results, '
                          f'expected {len(reference)}')
    for index, (part, want) in enumerate(zip(got, reference)):
        ok, error = _close(part, want)
        if not ok:
            raise CheckFailed(
                f'{who} on {workload.name}: result {index} differs from the hand-written '
                f'gradient (max abs error {error:.3g}, shape {np.shape(part)} vs '
                f'{np.shape(want)})')


def _shifted(value: Any, direction: Any, scale: float) -> Any:
    """value + scale * direction, leaf by leaf through dicts; floats stay floats."""
    if isinstance(value, dict):
        return {key: _shifted(value[key], direction[key], scale) for key in value}
    shifted = value + scale * direction
    return float(shifted) if isinstance(value, float) else shifted


def _shift(args: tuple, directions: dict[int, Any], scale: float) -> tuple:
    shifted = list(args)
    for index, direction in directions.items():
        shifted[index] = _shifted(args[index], direction, scale)
    return tuple(shifted)


def check_reference(workload: Workload, args: tuple, reference: tuple) -> None:
    """The hand-written gradient agrees with central finite differences along random lines."""
    rng = np.random.default_rng(SEED + 1)
    f = workload.function
    if workload.kind == 'hvp':
        f_args, v = args[:-1], args[-1]
        u = rng.standard_normal(np.shape(f_args[0]))
        eps = 1e-3

        def at(a, b):
            return f(*_shift(f_args, {0: a * u + b * v}, eps))

        estimate = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * eps * eps)
        exact = float(np.dot(u, reference[0]))
        rtol = 1e-4
    else:
        directions = {index: map_leaves(lambda leaf: (float(rng.standard_normal())
                                                      if isinstance(leaf, float)
                                                      else rng.standard_normal(np.shape(leaf))),
                                        args[index])
                      for index in workload.wrt}
        eps = 1e-6
        estimate = (f(*_shift(args, directions, eps)) - f(*_shift(args, directions, -eps))) \
            / (2 * eps)
        flat_directions = [leaf for index in workload.wrt for leaf in leaves(directions[index])]
        exact = sum(float(np.sum(g * d)) for g, d in zip(reference, flat_directions))
        rtol = 1e-5
    if not math.isclose(estimate, exact, rel_tol=rtol, abs_tol=1e-8):
        raise CheckFailed(f'the hand-written gradient of {workload.name} disagrees with finite '
                          f'differences: {exact!r} vs {estimate!r}')


# ------------------------------------------------------------------ running

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_system(system: System, workload: Workload, args: tuple, reference: tuple,
               settings: Settings) -> dict:
    """Build, check, then time one system on one workload."""
    reason = system.unavailable()
    if reason is not None:
        return {'status': 'n/a', 'reason': reason}
    try:
        built = system.build(workload, args)
        check_against(reference, built.to_numpy(built.call()), system.label, workload)
    except CheckFailed as error:
        log(f'\n!!! GRADIENT MISMATCH: {error}\n')
        return {'status': 'wrong', 'error': str(error)}
    except Exception as error:
        log(f'\n!!! {system.label} FAILED on {workload.name}:\n{traceback.format_exc()}')
        return {'status': 'error', 'error': f'{type(error).__name__}: {error}'}
    record = {'status': 'ok', **measure(built.call, settings)}
    if built.compile_seconds is not None:
        record['compile_seconds'] = built.compile_seconds
    return record


def clear_tangent_cache() -> None:
    """Forget every generated function, so the next tangent.grad generates afresh."""
    import tangent

    tangent.clear_cache()


def measure_codegen(workload: Workload, settings: Settings) -> dict:
    """Seconds spent in the tangent.grad (or autodiff) call: uncached and cached."""
    try:
        cold = []
        for _ in range(settings.codegen_cold_runs):
            clear_tangent_cache()
            start = time.perf_counter()
            tangent_derivative(workload)
            cold.append(time.perf_counter() - start)
        cached = measure(lambda: tangent_derivative(workload), settings)
    except Exception as error:
        log(f'\n!!! tangent code generation FAILED on {workload.name}:\n'
            f'{traceback.format_exc()}')
        return {'status': 'error', 'error': f'{type(error).__name__}: {error}'}
    return {'status': 'ok', 'first_seconds': statistics.median(cold), 'first_runs': cold,
            'cached_seconds': cached['seconds']}


_IMPORT_PROBE = r'''
import json, resource, sys, time

def rss_kib():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])

before = rss_kib()
start = time.perf_counter()
import tangent
seconds = time.perf_counter() - start
after = rss_kib()
print(json.dumps({'seconds': seconds, 'rss_before_kib': before, 'rss_after_kib': after,
                  'maxrss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  'tensorflow_loaded': 'tensorflow' in sys.modules,
                  'modules': len(sys.modules)}))
'''


def measure_import(runs: int) -> dict:
    """``import tangent`` in fresh interpreters, bytecode caching on; one unrecorded run first."""
    environment = dict(os.environ)
    environment.pop('PYTHONDONTWRITEBYTECODE', None)
    samples = []
    try:
        for _ in range(runs + 1):
            completed = subprocess.run([sys.executable, '-c', _IMPORT_PROBE], cwd=REPO,
                                       env=environment, capture_output=True, text=True,
                                       check=True, timeout=300)
            samples.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    except (subprocess.SubprocessError, ValueError) as error:
        stderr = getattr(error, 'stderr', '') or ''
        log(f'\n!!! import tangent FAILED: {error}\n{stderr}')
        return {'status': 'error', 'error': str(error)}
    samples = samples[1:]  # the first run may have written the bytecode
    return {
        'status': 'ok', 'runs': runs,
        'seconds': statistics.median(s['seconds'] for s in samples),
        'rss_after_mib': statistics.median(s['rss_after_kib'] for s in samples) / 1024,
        'rss_added_mib': statistics.median(s['rss_after_kib'] - s['rss_before_kib']
                                           for s in samples) / 1024,
        'tensorflow_loaded': any(s['tensorflow_loaded'] for s in samples),
        'tensorflow_installed': _installed('tensorflow'),
        'modules': samples[-1]['modules'],
    }


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ------------------------------------------------------------------ reporting

def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return 'n/a'
    if seconds < 1e-3:
        return f'{seconds * 1e6:.3g} µs'
    if seconds < 1.0:
        return f'{seconds * 1e3:.3g} ms'
    return f'{seconds:.3g} s'


def _cell(record: dict) -> str:
    if record['status'] == 'ok':
        return format_seconds(record['seconds'])
    return {'n/a': 'n/a', 'wrong': '**WRONG**', 'error': '**error**'}[record['status']]


def _ratio(numerator: dict, denominator: dict) -> str:
    if numerator['status'] != 'ok' or denominator['status'] != 'ok':
        return 'n/a'
    return f'{numerator["seconds"] / denominator["seconds"]:.2f}x'


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(':---' if a == 'l' else '---:' for a in align) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return lines


def markdown(results: dict, systems: list[System]) -> str:
    peers = [s for s in systems if s.name not in ('hand', 'tangent')]
    header = (['workload', 'hand', 'tangent', 'tangent/hand']
              + [peer.label for peer in peers] + ['JAX jit compile']
              + [f'vs {peer.label}' for peer in peers])
    rows = []
    for name, result in results['workloads'].items():
        timings = result['systems']
        compile_cell = format_seconds(timings.get('jax_jit', {}).get('compile_seconds'))
        rows.append([name, _cell(timings['hand']), _cell(timings['tangent']),
                     _ratio(timings['tangent'], timings['hand'])]
                    + [_cell(timings[peer.name]) for peer in peers] + [compile_cell]
                    + [_ratio(timings[peer.name], timings['tangent']) for peer in peers])
    meta = results['meta']
    lines = [f'## Gradient time per call ({meta["mode"]} run)', '',
             f'Median per call after warm-up, one process, one thread everywhere, float64. '
             f'Python {meta["python"]}, NumPy {meta["versions"]["numpy"]}, '
             + ', '.join(f'{k} {v}' for k, v in meta['versions'].items() if k != 'numpy')
             + f'. {meta["cpus"]} CPUs, load average {meta["load_average_start"]:.2f} at the '
             f'start and {meta["load_average_end"]:.2f} at the end (above 0.5 means other '
             'work shared the machine).', '']
    lines += _table(header, rows, 'l' + 'r' * (len(header) - 1))
    lines += ['', '`tangent/hand`: tangent time / hand-written time (1.00x = as fast as by hand). '
              '`vs X`: X time / tangent time (above 1 = tangent faster). '
              '`JAX jit compile`: the first call of the jitted gradient (trace and compile), '
              'not included in the JAX jit column.', '']
    codegen_rows = []
    for name, result in results['workloads'].items():
        codegen = result.get('codegen')
        if codegen is None:
            continue
        if codegen['status'] == 'ok':
            codegen_rows.append([name, f'{codegen["first_seconds"] * 1e3:.1f}',
                                 f'{codegen["cached_seconds"] * 1e6:.1f}'])
        else:
            codegen_rows.append([name, '**error**', '**error**'])
    if codegen_rows:
        lines += ['## Code generation (`tangent.grad` call)', '']
        lines += _table(['workload', 'first call (ms)', 'cached (µs)'], codegen_rows, 'lrr')
        lines += ['', 'First call: cache cleared before each call, median of '
                  f'{meta["codegen_cold_runs"]}. Cached: median per call. hvp is two '
                  '`tangent.autodiff` calls (reverse, then forward over it).', '']
    imported = results.get('import')
    if imported is not None:
        if imported['status'] == 'ok':
            lines.append(
                f'**import tangent**: {imported["seconds"] * 1e3:.0f} ms, resident memory '
                f'{imported["rss_after_mib"]:.0f} MiB after import '
                f'(+{imported["rss_added_mib"]:.0f} MiB); median of {imported["runs"]} fresh '
                f'processes, bytecode cached; TensorFlow installed: '
                f'{"yes" if imported["tensorflow_installed"] else "no"}, imported by '
                f'`import tangent`: {"yes" if imported["tensorflow_loaded"] else "no"}.')
        else:
            lines.append(f'**import tangent**: **error**: {imported["error"]}')
    return '\n'.join(lines)


# ------------------------------------------------------------------ main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='a fast smoke run: few repetitions (writes JSON only with --json)')
    parser.add_argument('--only', default='',
                        help='comma-separated workloads to run: ' + ','.join(BY_NAME))
    parser.add_argument('--json', default=None,
                        help=f'where to write the results (default {DEFAULT_JSON})')
    args = parser.parse_args(argv)
    names = [name for name in args.only.split(',') if name]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        parser.error(f'unknown workload(s) {", ".join(unknown)}; '
                     f'choose from {", ".join(BY_NAME)}')
    args.workloads = [BY_NAME[name] for name in names] if names else list(WORKLOADS)
    return args


def metadata(settings: Settings, quick: bool) -> dict:
    versions = {'numpy': np.__version__}
    for system in SYSTEMS:
        if system.unavailable() is None:
            versions.update(system.versions())
    return {
        'mode': 'quick' if quick else 'full',
        'python': platform.python_version(),
        'machine': platform.machine(),
        'processor': platform.processor(),
        'cpus': os.cpu_count(),
        'versions': versions,
        'settings': settings.__dict__,
        'codegen_cold_runs': settings.codegen_cold_runs,
        'blas_environment': {key: os.environ[key] for key in sorted(os.environ)
                             if key.startswith(('OPENBLAS', 'OMP_', 'MKL_', 'XLA_'))},
        'rtol': RTOL,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.make(args.quick)
    started = time.perf_counter()
    results: dict = {'meta': metadata(settings, args.quick), 'workloads': {}}
    results['meta']['load_average_start'] = os.getloadavg()[0]
    failed = False
    for workload in args.workloads:
        inputs = workload.make_inputs(np.random.default_rng(SEED))
        reference = tuple(np.asarray(g, dtype=np.float64)
                          for g in leaves(workload.hand_gradient(*inputs)))
        check_reference(workload, inputs, reference)
        entry = {'description': workload.description, 'systems': {}}
        for system in SYSTEMS:
            log(f'{workload.name}: {system.label} ...')
            record = run_system(system, workload, inputs, reference, settings)
            failed |= record['status'] in ('wrong', 'error')
            entry['systems'][system.name] = record
        results['workloads'][workload.name] = entry
    for workload in args.workloads:
        log(f'{workload.name}: tangent code generation ...')
        codegen = measure_codegen(workload, settings)
        failed |= codegen['status'] != 'ok'
        results['workloads'][workload.name]['codegen'] = codegen
    log('import tangent ...')
    results['import'] = measure_import(1 if args.quick else IMPORT_RUNS)
    failed |= results['import']['status'] != 'ok'
    results['meta']['total_seconds'] = time.perf_counter() - started
    results['meta']['tensorflow_in_process'] = 'tensorflow' in sys.modules
    results['meta']['load_average_end'] = os.getloadavg()[0]
    print(markdown(results, SYSTEMS))
    path = args.json or (None if args.quick else DEFAULT_JSON)
    if path:
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(results, handle, indent=2)
            handle.write('\n')
        log(f'results written to {path}')
    log(f'total {results["meta"]["total_seconds"]:.0f} s')
    if failed:
        log('!!! at least one system failed or disagreed with the reference: see above')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

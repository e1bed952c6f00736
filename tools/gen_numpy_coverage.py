"""Write docs/numpy_coverage.md from tangent's derivative registries.

Run ``python tools/gen_numpy_coverage.py`` after adding or changing a NumPy
rule; ``tests/test_numpy_rules.py`` fails while the committed page differs
from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tangent import grads, non_differentiable, tangents  # noqa: E402

PAGE = ROOT / 'docs' / 'numpy_coverage.md'

# What a user should know about a rule beyond "it exists", by public name.
NOTES = {
    'np.linalg.eigh': 'distinct eigenvalues; the gradient is symmetrised',
    'np.linalg.norm': "vector ord None/1/2/inf/-inf/p, matrix 'fro'/'nuc'/1/-1/2/inf",
    'np.pad': "mode='constant' with zero fill",
    'np.einsum': ('any subscripts string, repeated indices, ellipsis, implicit output and '
                  'operands broadcast along length-1 axes included; any number of operands; the '
                  'interleaved form (`np.einsum(a, [0, 1], b, [1, 2])`) raises'),
    'np.power': ('exact at 0 and at negative bases for integer exponents (`x ** 0` has '
                 "slope 0 everywhere); the exponent's derivative is 0 at a zero base"),
    'np.float_power': ('exact at 0 and at negative bases for integer exponents (`x ** 0` '
                       "has slope 0 everywhere); the exponent's derivative is 0 at a zero base"),
    'np.max': 'ties share the gradient equally', 'np.min': 'ties share the gradient equally',
    'np.amax': 'ties share the gradient equally', 'np.amin': 'ties share the gradient equally',
    'np.maximum': 'ties share the gradient equally',
    'np.minimum': 'ties share the gradient equally',
    'np.sort': 'ties keep their stable order', 'np.median': 'ties keep their stable order',
    'np.cumprod': 'exact with zeros in the input',
    'np.linalg.pinv': 'full-rank input',
    'np.linalg.qr': "mode 'reduced' or 'r', square or tall full-rank input",
    'np.linalg.eigvalsh': 'distinct eigenvalues; the gradient is symmetrised',
    'np.linalg.matrix_power': 'any integer power (negative through inv)',
    'np.mod': 'd/db = -(a // b)', 'np.remainder': 'd/db = -(a // b)',
    'np.fmod': 'd/db = -trunc(a / b)',
    'np.linalg.slogdet': 'the sign is piecewise constant',
    'np.trapezoid': 'in y, in the sample points x (1-D or broadcasting) and in dx',
    'np.full': 'linear in fill_value (summed where it broadcasts); zero through an int dtype',
    'np.full_like': 'linear in fill_value; zero for a',
    'np.linspace': 'linear in start and stop (arrays too, any axis), retstep included',
    'np.logspace': 'in start, stop and base (scalar or array)',
    'np.geomspace': 'in start and stop (both positive or both negative)',
    'np.meshgrid': "any number of inputs, 'xy' or 'ij', dense or sparse",
    'np.arange': 'd/dstart = 1, d/dstep = k; the stop sets the length only',
    'np.bincount': 'linear in weights',
    'np.convolve': "modes 'full', 'same', 'valid' (real 1-D)",
    'np.correlate': "modes 'full', 'same', 'valid' (real 1-D)",
    'np.interp': 'in x (slope of its segment) and fp, left, right; xp is constant',
    'np.polyval': 'in the coefficients p and in x',
    'np.quantile': 'in a and q; interpolating methods and lower/higher/nearest/midpoint',
    'np.percentile': 'in a and q; interpolating methods and lower/higher/nearest/midpoint',
    'np.nanquantile': 'NaNs skipped; in a and q', 'np.nanpercentile': 'NaNs skipped; in a and q',
    'np.nanmedian': 'NaNs skipped',
    'np.gradient': 'linear in f; in a scalar spacing too, not in coordinate arrays',
    'np.heaviside': 'zero in x1; x2 where x1 == 0',
    'np.nextafter': 'the identity in x1 (to within one ulp), zero in x2',
    'np.i0': 'derivative I1 (computed by the trapezoid rule)',
    'np.frexp': 'the mantissa moves; the exponent is an integer',
    'np.modf': 'the fractional part moves with slope 1',
    'np.unique': 'the values (first item); equal elements share the gradient',
    'np.unique_values': 'equal elements share the gradient',
    'np.abs': 'derivative 0 at 0', 'np.absolute': 'derivative 0 at 0',
    'np.clip': 'bounds may be arrays; at a bound the gradient goes to the bound',
    'np.where': 'the condition is not differentiated',
    'np.linalg.cholesky': 'the input is symmetrised; the lower or the upper factor',
    'np.cov': 'in m and y, any rowvar, bias and ddof; fweights or aweights raise',
    'np.corrcoef': 'in x and y, any rowvar',
    'np.nanvar': 'NaNs skipped (their gradient is 0); any axis, ddof, keepdims',
    'np.nanstd': 'NaNs skipped (their gradient is 0); any axis, ddof, keepdims',
    'np.vander': 'in x; any N, increasing or not',
    'np.select': 'in the choices and the default; the conditions are not differentiated',
    'np.linalg.svd': ('distinct nonzero singular values where U or Vh is read; '
                      'full_matrices=True of a non-square matrix raises with compute_uv'),
    'np.polyfit': 'in x and y (p alone); w, full=True, cov or too few distinct x raise',
    'np.linalg.lstsq': ('in a and b for the solution, residuals and singular values; '
                        'tall or square a of full column rank, else it raises'),
}


def _public_names() -> dict[int, list[str]]:
    """Public NumPy names by the id of the object they refer to."""
    names: dict[int, list[str]] = {}
    for prefix, module in (('np', np), ('np.linalg', np.linalg)):
        for attr in sorted(dir(module)):
            if attr.startswith('_'):
                continue
            value = getattr(module, attr, None)
            if callable(value):
                names.setdefault(id(value), []).append(f'{prefix}.{attr}')
    return names


def _is_numpy(key) -> bool:
    module = getattr(key, '__module__', '') or ''
    return isinstance(key, np.ufunc) or module.startswith('numpy')


def rows() -> list[tuple[str, str, str, str]]:
    """(name, adjoint, tangent, notes) for every NumPy callable with a rule."""
    names = _public_names()
    keys = {id(k): k for k in list(grads.adjoints) + list(tangents.tangents) if _is_numpy(k)}
    result = []
    for key_id, key in keys.items():
        for name in names.get(key_id, []):
            result.append((name, 'yes' if key in grads.adjoints else 'no',
                           'yes' if key in tangents.tangents else 'no', NOTES.get(name, '')))
    return sorted(result)


def zero_derivative_names() -> list[str]:
    names = _public_names()
    found = set()
    for public in names.values():
        value = eval(public[0], {'np': np})  # noqa: S307 - our own names from dir()
        if non_differentiable.is_non_differentiable(value):
            found.update(public)
    return sorted(found)


def render() -> str:
    table = rows()
    with_both = sum(1 for _, adjoint, tangent, _ in table if adjoint == tangent == 'yes')
    lines = [
        '# NumPy coverage',
        '',
        'Written by `python tools/gen_numpy_coverage.py` from the registries in',
        '`tangent/backends/numpy/adjoints.py` (reverse mode) and `tangent/backends/numpy/tangents.py`',
        '(tangents, forward mode); a test fails when this page is stale. Every',
        'rule is checked against finite differences in reverse (joint and split)',
        'and forward mode by `tests/test_numpy_rules.py`, for several shapes,',
        'axes and broadcasting cases, and in float32.',
        '',
        f'{len(table)} public NumPy names have a rule; {with_both} have both.',
        'Array methods (`x.sum(axis=0)`, `x.T`, `x.reshape(2, 3)`, ...) use the',
        'rule of the function they mean. Indexing (integers, slices, negative',
        'steps, `...`, `None`, integer arrays, boolean masks) is differentiated',
        'for reads, writes and augmented writes.',
        '',
        'Ufunc methods: `np.add.reduce`, `np.multiply.reduce`, `np.maximum.reduce`,',
        '`np.minimum.reduce` and `np.logaddexp.reduce` (with `axis`, default 0,',
        '`keepdims` and `dtype`), `np.add.accumulate` and `np.multiply.accumulate`',
        '(an integer `axis`, default 0) use the rules of `np.sum`, `np.prod`, `np.max`,',
        '`np.min`, a log-sum-exp, `np.cumsum` and `np.cumprod`. Any other ufunc',
        'method, or these with `out`, `initial` or `where`, raises an error naming it.',
        '',
        '| NumPy | adjoint | tangent | notes |',
        '|---|---|---|---|',
    ]
    lines += [f'| `{name}` | {adjoint} | {tangent} | {notes} |'
              for name, adjoint, tangent, notes in table]
    lines += [
        '',
        '## Zero derivative',
        '',
        'These are evaluated in the primal code and contribute nothing to any',
        'derivative (piecewise-constant functions, comparisons, shapes,',
        'constructors, integer results):',
        '',
        ', '.join(f'`{name}`' for name in zero_derivative_names()),
        '',
        'A NumPy function on neither list raises an error naming it when you',
        'differentiate through it; `docs/custom_derivatives.md` shows how to',
        'register a rule.',
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    PAGE.write_text(render())
    print(f'wrote {PAGE.relative_to(ROOT)}')

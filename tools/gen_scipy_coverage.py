"""Write docs/scipy_coverage.md from tangent's derivative registries.

Run ``python tools/gen_scipy_coverage.py`` after adding or changing a SciPy
rule (in ``tangent/backends/scipy/``); ``tests/test_scipy_coverage.py`` fails
while the committed page differs from what this script writes. Needs SciPy.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tangent import backends, grads, tangents  # noqa: E402

PAGE = ROOT / 'docs' / 'scipy_coverage.md'
MODULES = ('scipy.special', 'scipy.linalg', 'scipy.stats', 'scipy.integrate')

# What a user should know about a rule beyond "it exists", by public name.
NOTES = {
    'scipy.special.logsumexp': ('in a and in the weights b (broadcasting); any axis, '
                                'keepdims; stable for large inputs; return_sign=True raises'),
    'scipy.special.softmax': 'any axis (None, an int or a tuple)',
    'scipy.special.log_softmax': 'any axis (None, an int or a tuple)',
    'scipy.special.polygamma': 'in x; the order n is an integer and is not differentiated',
    'scipy.special.multigammaln': 'in a; the dimension d is an integer and is not differentiated',
    'scipy.special.psi': 'the same function as digamma',
    'scipy.special.digamma': 'derivative polygamma(1, x)',
    'scipy.special.xlogy': 'exact at x = 0: slope log(y) in x, 0 in y (also at y = 0)',
    'scipy.special.xlog1py': 'exact at x = 0: slope log1p(y) in x, 0 in y (also at y = -1)',
    'scipy.special.rel_entr': 'slope 0 in y where x = 0',
    'scipy.special.log_ndtr': 'stable far in the lower tail',
    'scipy.special.i1': 'derivative (i0 + iv(2, x)) / 2, finite at 0',
    'scipy.special.i0e': 'real arguments; no derivative at the kink at 0 (gives the mean)',
    'scipy.special.i1e': 'real arguments',
    'scipy.special.iv': 'in z; the order v raises',
    'scipy.special.ive': 'in z (real); the order v raises',
    'scipy.special.gammainc': 'in x; the shape a raises',
    'scipy.special.gammaincc': 'in x; the shape a raises',
    # scipy.linalg's rules are written for one matrix; SciPy's batches raise.
    'scipy.linalg.cholesky': ('one matrix, not a batch (np.linalg.cholesky differentiates '
                              'batches); the input stands for a symmetric matrix: its '
                              'gradient is symmetric'),
    'scipy.linalg.cho_factor': ('one matrix, not a batch; the input stands for a symmetric '
                                'matrix: its gradient is symmetric'),
    'scipy.linalg.cho_solve': 'one matrix, not a batch; b 1-D or 2-D',
    'scipy.linalg.solve_triangular': 'one matrix, not a batch; b 1-D or 2-D',
    'scipy.linalg.solve': ('one matrix, not a batch (np.linalg.solve differentiates '
                           "batches); b 1-D or 2-D; assume_a 'banded' and 'tridiagonal' raise"),
    'scipy.linalg.inv': ('one matrix, not a batch (np.linalg.inv differentiates batches); '
                         "assume_a 'banded' and 'tridiagonal' raise"),
    'scipy.linalg.det': 'one matrix, not a batch (np.linalg.det differentiates batches)',
    'scipy.linalg.eigh': ('one matrix, not a batch (np.linalg.eigh differentiates batches); '
                          'distinct eigenvalues; b and subset_by_* raise'),
    'scipy.linalg.expm': 'one matrix, not a batch',
    'scipy.linalg.sqrtm': 'one matrix, not a batch; a complex root raises',
    'scipy.linalg.solve_sylvester': 'one matrix each for a, b and q, not a batch',
    'scipy.linalg.lu_factor': 'one square matrix, not a batch',
    'scipy.linalg.lu_solve': 'one square matrix, not a batch; b 1-D or 2-D',
    'scipy.integrate.odeint': ('in y0, t and args, to second order by further ODE solves '
                               '(docs/scipy_odeint.md); a third order raises'),
}


def _load_rules() -> None:
    """The SciPy backend's rules, as a differentiated function using SciPy loads them."""
    for module in MODULES:
        importlib.import_module(module)
    for backend in backends.registered():
        if backend.name == 'scipy':
            backends.load(backend)


def _public(module_name: str) -> list[tuple[str, object]]:
    module = sys.modules[module_name]
    return [(f'{module_name}.{attr}', getattr(module, attr, None))
            for attr in sorted(dir(module)) if not attr.startswith('_')]


def _is_scipy(key) -> bool:
    module = getattr(key, '__module__', None) or ''
    owner = getattr(key, '__self__', None)
    if module.startswith('scipy'):
        return True
    if owner is not None and not isinstance(owner, type(sys)) and \
            type(owner).__module__.startswith('scipy'):
        return True  # a method of a SciPy object: scipy.stats.norm.logpdf
    name = getattr(key, '__name__', '')
    return isinstance(key, np.ufunc) and getattr(np, name, None) is not key


def _names_of(key, public: list[tuple[str, object]]) -> list[str]:
    """The public names of ``key``: ``scipy.special.gammaln``, or ``scipy.stats.norm.logpdf``
    for a method of a public object."""
    owner = getattr(key, '__self__', None)
    if owner is not None and not isinstance(owner, type(sys)):
        method = getattr(key, '__name__', '')
        return [f'{name}.{method}' for name, value in public if value is owner]
    return [name for name, value in public if value is key]


def rows() -> list[tuple[str, str, str, str]]:
    """(name, adjoint, tangent, notes) for every SciPy callable with a rule."""
    _load_rules()
    public = [item for module in MODULES for item in _public(module)]
    keys = []
    for key in list(grads.adjoints) + list(tangents.tangents):
        if _is_scipy(key) and not any(key is seen for seen in keys):
            keys.append(key)
    result = set()
    for key in keys:
        names = _names_of(key, public) or [
            f'{getattr(key, "__module__", "scipy")}.{getattr(key, "__qualname__", key)}']
        for name in names:
            result.add((name, 'yes' if key in grads.adjoints else 'no',
                        'yes' if key in tangents.tangents else 'no', NOTES.get(name, '')))
    return sorted(result)


def _group(name: str) -> str:
    for module in MODULES:
        if name.startswith(module + '.'):
            return module
    return 'other'


def render() -> str:
    table = rows()
    with_both = sum(1 for _, adjoint, tangent, _ in table if adjoint == tangent == 'yes')
    lines = [
        '# SciPy coverage',
        '',
        'Written by `python tools/gen_scipy_coverage.py` from the registries, after',
        'loading the SciPy backend (`tangent/backends/scipy/`); a test fails when this',
        'page is stale. The SciPy rules load the first time a differentiated function',
        'uses SciPy; `import tangent` does not import SciPy.',
        '',
        f'{len(table)} public SciPy names have a rule; {with_both} have both.',
        'Rules whose formulas call only functions with rules differentiate again, so',
        'second-order derivatives (Hessian-vector products) work through them;',
        '`tests/test_scipy_special.py` checks every `scipy.special` rule in reverse',
        '(joint and split) and forward mode and to second order against finite',
        'differences. Where an argument has no derivative, differentiating with',
        'respect to it raises an error naming the function and the argument.',
    ]
    for module in MODULES + ('other',):
        group = [row for row in table if _group(row[0]) == module]
        if module == 'other' and not group:
            continue
        lines += ['', f'## {module}', '']
        if not group:
            lines.append('No rules yet.')
            continue
        lines += ['| function | adjoint | tangent | notes |', '|---|---|---|---|']
        lines += [f'| `{name}` | {adjoint} | {tangent} | {notes} |'
                  for name, adjoint, tangent, notes in group]
    lines += [
        '',
        'A SciPy function without a rule raises an error naming it',
        '(`scipy.special.struve`) when you differentiate through it;',
        '`docs/custom_derivatives.md` shows how to register a rule.',
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    PAGE.write_text(render())
    print(f'wrote {PAGE.relative_to(ROOT)}')

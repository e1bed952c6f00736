"""Rules derived from one declaration (``tangent.rules.declare``), and variadic templates.

Every declared NumPy, ``math`` and operator function is differentiated in
reverse mode (joint and split motion) and forward mode and compared with
central finite differences (``reference``); the two modes of each are checked
against each other (``<J v, u> == <v, J^T u>`` on random vectors); ``max``
and ``min`` of five arguments and ``np.einsum`` of four and five operands,
whose templates take ``*args``, are checked in both modes and in forward over
reverse. The declared runtime helpers (``tangent.unconcat`` and the like) are
differentiated when generated code is differentiated again, in
``test_higher_order``.
"""

from __future__ import annotations

import importlib.util
import math
import operator
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp, scalar_output

import tangent
from tangent.errors import TemplateError
from tangent.rules import registry
from tangent.rules.declare import declared_functions, elementwise, linear

# (the function, the body of a test function of x (and y), the arguments' kind)
# Kinds: 'unit' floats in (0.2, 0.8) (arrays of 3 for NumPy), 'above_one' in
# (1.2, 1.8), 'pair' two of them ((3,) and (2, 3) for NumPy, broadcast), 'mod'
# a dividend near 2.5 and a divisor near 0.78 (no jump nearby), 'shape' a
# (2, 3, 4) array, 'matrix' (3, 3), 'vector' (6,).
CASES = [
    (np.exp, 'np.exp(x)', 'unit'), (math.exp, 'math.exp(x)', 'unit'),
    (np.log, 'np.log(x)', 'unit'),
    (np.sqrt, 'np.sqrt(x)', 'unit'), (math.sqrt, 'math.sqrt(x)', 'unit'),
    (np.tanh, 'np.tanh(x)', 'unit'), (math.tanh, 'math.tanh(x)', 'unit'),
    (np.sin, 'np.sin(x)', 'unit'), (math.sin, 'math.sin(x)', 'unit'),
    (np.cos, 'np.cos(x)', 'unit'), (math.cos, 'math.cos(x)', 'unit'),
    (np.tan, 'np.tan(x)', 'unit'), (math.tan, 'math.tan(x)', 'unit'),
    (np.sinh, 'np.sinh(x)', 'unit'), (math.sinh, 'math.sinh(x)', 'unit'),
    (np.cosh, 'np.cosh(x)', 'unit'), (math.cosh, 'math.cosh(x)', 'unit'),
    (np.arcsin, 'np.arcsin(x)', 'unit'), (math.asin, 'math.asin(x)', 'unit'),
    (np.arccos, 'np.arccos(x)', 'unit'), (math.acos, 'math.acos(x)', 'unit'),
    (np.arctan, 'np.arctan(x)', 'unit'), (math.atan, 'math.atan(x)', 'unit'),
    (np.abs, 'np.abs(x - 0.5)', 'unit'), (np.fabs, 'np.fabs(x - 0.5)', 'unit'),
    (math.fabs, 'math.fabs(x - 0.5)', 'unit'),
    (np.exp2, 'np.exp2(x)', 'unit'), (np.expm1, 'np.expm1(x)', 'unit'),
    (math.expm1, 'math.expm1(x)', 'unit'),
    (np.log2, 'np.log2(x)', 'unit'), (math.log2, 'math.log2(x)', 'unit'),
    (np.log10, 'np.log10(x)', 'unit'), (math.log10, 'math.log10(x)', 'unit'),
    (np.log1p, 'np.log1p(x)', 'unit'), (math.log1p, 'math.log1p(x)', 'unit'),
    (np.cbrt, 'np.cbrt(x)', 'unit'), (np.reciprocal, 'np.reciprocal(x)', 'unit'),
    (np.arcsinh, 'np.arcsinh(x)', 'unit'), (math.asinh, 'math.asinh(x)', 'unit'),
    (np.arccosh, 'np.arccosh(x)', 'above_one'), (math.acosh, 'math.acosh(x)', 'above_one'),
    (np.arctanh, 'np.arctanh(x)', 'unit'), (math.atanh, 'math.atanh(x)', 'unit'),
    (np.deg2rad, 'np.deg2rad(x)', 'unit'), (np.radians, 'np.radians(x)', 'unit'),
    (math.radians, 'math.radians(x)', 'unit'),
    (np.rad2deg, 'np.rad2deg(x)', 'unit'), (np.degrees, 'np.degrees(x)', 'unit'),
    (math.degrees, 'math.degrees(x)', 'unit'),
    (np.sinc, 'np.sinc(x)', 'unit'), (np.conj, 'np.conj(x)', 'unit'),
    (np.real, 'np.real(x)', 'unit'), (np.nan_to_num, 'np.nan_to_num(x)', 'unit'),
    (np.i0, 'np.i0(x)', 'unit'), (np.copy, 'np.copy(x)', 'unit'),
    (math.erf, 'math.erf(x)', 'unit'), (math.erfc, 'math.erfc(x)', 'unit'),
    (math.gamma, 'math.gamma(x)', 'unit'), (math.lgamma, 'math.lgamma(x)', 'unit'),
    (operator.neg, 'operator.neg(x)', 'unit'), (np.negative, 'np.negative(x)', 'unit'),
    (operator.pos, 'operator.pos(x)', 'unit'), (np.positive, 'np.positive(x)', 'unit'),
    (operator.add, 'operator.add(x, y)', 'pair'), (np.add, 'np.add(x, y)', 'pair'),
    (operator.sub, 'operator.sub(x, y)', 'pair'), (np.subtract, 'np.subtract(x, y)', 'pair'),
    (operator.mod, 'operator.mod(x, y)', 'mod'), (np.mod, 'np.mod(x, y)', 'mod'),
    (np.fmod, 'np.fmod(x, y)', 'mod'), (math.fmod, 'math.fmod(x, y)', 'mod'),
    (math.remainder, 'math.remainder(x, y)', 'mod'),
    (np.maximum, 'np.maximum(x, y)', 'pair'), (np.minimum, 'np.minimum(x, y)', 'pair'),
    (np.fmax, 'np.fmax(x, y)', 'pair'), (np.fmin, 'np.fmin(x, y)', 'pair'),
    (np.logaddexp, 'np.logaddexp(x, y)', 'pair'),
    (np.logaddexp2, 'np.logaddexp2(x, y)', 'pair'),
    (np.copysign, 'np.copysign(x, y - 0.5)', 'pair'),
    (np.heaviside, 'np.heaviside(np.round(x - 0.5), y)', 'pair'),
    (np.nextafter, 'np.nextafter(x, y)', 'pair'),
    (math.nextafter, 'math.nextafter(x, y)', 'pair'),
    (np.transpose, 'np.transpose(x, (2, 0, 1))', 'shape'),
    (np.ravel, 'np.ravel(x)', 'shape'),
    (np.swapaxes, 'np.swapaxes(x, 0, 2)', 'shape'),
    (np.moveaxis, 'np.moveaxis(x, 0, 2)', 'shape'),
    (np.split, 'np.split(x, 3)[1]', 'vector'),
    (np.array_split, 'np.array_split(x, 4)[2]', 'vector'),
    (np.tile, 'np.tile(x, (2, 1))', 'matrix'),
    (np.repeat, 'np.repeat(x, 2, axis=0)', 'matrix'),
    (np.flip, 'np.flip(x, 0)', 'matrix'), (np.fliplr, 'np.fliplr(x)', 'matrix'),
    (np.flipud, 'np.flipud(x)', 'matrix'), (np.roll, 'np.roll(x, 1, 0)', 'matrix'),
    (np.rot90, 'np.rot90(x)', 'matrix'), (np.triu, 'np.triu(x, 1)', 'matrix'),
    (np.tril, 'np.tril(x)', 'matrix'), (np.diag, 'np.diag(x)', 'matrix'),
    (np.diagonal, 'np.diagonal(x, 1)', 'matrix'),
    (np.take_along_axis, 'np.take_along_axis(x, np.array([[2], [0], [1]]), 1)', 'matrix'),
    (np.diff, 'np.diff(x, 2, 0)', 'shape'),
    (np.rollaxis, 'np.rollaxis(x, 2)', 'shape'),
] + ([(math.exp2, 'math.exp2(x)', 'unit'), (math.cbrt, 'math.cbrt(x)', 'unit')]
     if hasattr(math, 'cbrt') else [])
# The declared runtime helpers: rules of code tangent generated, checked by
# differentiating generated code again (test_higher_order).
RUNTIME = [f for f in declared_functions()
           if (getattr(f, '__module__', '') or '').startswith('tangent.')]


def _source(index, body, kind):
    params = 'x, y' if kind in ('pair', 'mod') else 'x'
    return f'def case_{index}({params}):\n    return {body}\n'


def _load():
    source = 'import math\nimport operator\n\nimport numpy as np\n\n\n' + '\n\n'.join(
        _source(i, body, kind) for i, (_, body, kind) in enumerate(CASES))
    path = Path(tempfile.mkdtemp(prefix='tangent_declared_')) / 'declared_cases.py'
    path.write_text(source)
    spec = importlib.util.spec_from_file_location('declared_cases', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULE = _load()


def _name(func):
    module = 'np' if isinstance(func, np.ufunc) or \
        (getattr(func, '__module__', '') or '').startswith('numpy') else \
        getattr(func, '__module__', '').strip('_')
    return f'{module}.{func.__name__}'


def _arguments(func, kind, rng):
    scalar = not (isinstance(func, np.ufunc) or
                  (getattr(func, '__module__', '') or '').startswith('numpy'))
    if kind in ('unit', 'above_one'):
        low = 0.2 if kind == 'unit' else 1.2
        return [float(rng.uniform(low, low + 0.6))] if scalar else \
            [rng.uniform(low, low + 0.6, 3)]
    if kind == 'pair':
        if scalar:
            return [float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8))]
        return [rng.uniform(0.2, 0.8, 3), rng.uniform(0.2, 0.8, (2, 3))]
    if kind == 'mod':
        if scalar:
            return [float(rng.uniform(2.4, 2.6)), float(rng.uniform(0.76, 0.79))]
        return [rng.uniform(2.4, 2.6, 3), rng.uniform(0.76, 0.79, (2, 3))]
    shape = {'shape': (2, 3, 4), 'matrix': (3, 3), 'vector': (6,)}[kind]
    return [rng.uniform(-1.0, 1.0, shape)]


def _like(value, rng):
    if isinstance(value, float):
        return float(rng.uniform(-1.0, 1.0))
    return rng.uniform(-1.0, 1.0, np.shape(value))


def _case(index):
    func, _, kind = CASES[index]
    rng = np.random.default_rng(zlib.crc32(f'{index}-{_name(func)}'.encode()))
    function = getattr(MODULE, f'case_{index}')
    args = _arguments(func, kind, rng)
    return function, args, rng


IDS = [f'{_name(func)}' for func, _, _ in CASES]


def _checked_elsewhere(func) -> bool:
    """SciPy's declared functions and the helpers of its rules (loaded after RUNTIME was
    read), checked to second order in test_scipy_special.py; the declarations of the
    PyTorch and JAX backends, checked against those libraries' own autodiff in their
    test files."""
    special = sys.modules.get('scipy.special')
    if (getattr(func, '__module__', '') or '').startswith('tangent.backends.scipy'):
        return True
    backend = tangent.backends.owner_of(func)
    if backend is not None and backend.name in ('torch', 'jax') or \
            (getattr(func, '__module__', '') or '').startswith(('tangent.backends.torch',
                                                               'tangent.backends.jax')):
        return True
    return special is not None and getattr(special, getattr(func, '__name__', ''), None) is func


def test_every_declared_function_has_a_case():
    covered = {registry.key_of(func) for func, _, _ in CASES}
    missing = [f for f in declared_functions()
               if registry.key_of(f) not in covered and f not in RUNTIME
               and not _checked_elsewhere(f)]
    assert not missing, f'declared without a numerical check: {missing}'
    assert all(func in declared_functions() for func, _, _ in CASES)


@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('index', range(len(CASES)), ids=IDS)
def test_reverse_mode_matches_finite_differences(index, motion):
    function, args, rng = _case(index)
    wrt = tuple(range(len(args)))
    seed = _like(function(*args), rng)
    derivative = tangent.autodiff(function, wrt=wrt, motion=motion, check_dims=False)
    gradients = derivative(*args, seed)
    if len(args) == 1:
        gradients = (gradients,)
    for position, (gradient, arg) in enumerate(zip(gradients, args)):
        expected = numerical_grad(scalar_output(function, seed), args, position)
        assert np.shape(gradient) == np.shape(arg)
        assert_close(np.asarray(gradient, dtype=float), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('index', range(len(CASES)), ids=IDS)
def test_forward_mode_matches_finite_differences(index):
    function, args, rng = _case(index)
    for position, arg in enumerate(args):
        direction = _like(arg, rng)
        derivative = tangent.autodiff(function, mode='forward', wrt=(position,))
        expected = numerical_jvp(function, args, position, direction)
        actual = derivative(*args, direction)
        assert np.shape(actual) == np.shape(expected)
        assert_close(np.asarray(actual, dtype=float), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('index', range(len(CASES)), ids=IDS)
def test_adjoint_is_the_transpose_of_the_tangent(index):
    """<J v, u> == <v, J^T u>: the two rules of one declaration are one linear map."""
    function, args, rng = _case(index)
    wrt = tuple(range(len(args)))
    directions = [_like(arg, rng) for arg in args]
    seed = _like(function(*args), rng)
    gradients = tangent.autodiff(function, wrt=wrt, check_dims=False)(*args, seed)
    if len(args) == 1:
        gradients = (gradients,)
    jvp = tangent.autodiff(function, mode='forward', wrt=wrt)(*args, *directions)
    left = float(np.sum(np.asarray(jvp) * seed))
    right = sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(gradients, directions))
    assert math.isclose(left, right, rel_tol=1e-10, abs_tol=1e-12)


def test_twins_share_one_formula_with_their_own_module():
    adjoint = registry.adjoints[math.sin]
    assert 'math.cos(x)' in tangent.quoting.get_source(adjoint)
    assert 'np.cos(x)' in tangent.quoting.get_source(registry.adjoints[np.sin])


# Variadic templates ----------------------------------------------------------------

def five_max(a, b, c, d, e):
    return max(a, b * b, c, d, e) + 2.0 * min(a, b, c * c, d, e)


def four_operands(a, b, c, d):
    return np.einsum('ij,jk,kl,lm->im', a, b, c, d)


def five_operands(a, b, c, d, e):
    return np.einsum('i,ij,jk,k,k->', a, b, c, d, e)


def three_grids(a, b, c):
    grids = np.meshgrid(a, b, c, indexing='ij')
    return grids[0] * grids[1] + grids[2]


def squared_max(a, b, c, d, e):
    top = max(a, b, c, d, e)
    return top * top * b + min(a, b, c, d, e) * c


SCALARS = [0.3, -1.1, 0.9, 0.45, -0.2]
rng = np.random.default_rng(20)
VARIADIC = [
    (five_max, SCALARS),
    (five_max, [0.1, 0.8, -0.7, 0.2, -0.4]),
    (four_operands, [rng.normal(size=s) for s in [(2, 3), (3, 4), (4, 2), (2, 2)]]),
    (five_operands, [rng.normal(size=s) for s in [(2,), (2, 3), (3, 4), (4,), (4,)]]),
    (three_grids, [rng.normal(size=s) for s in [(2,), (3,), (4,)]]),
]


@pytest.mark.parametrize('function, args', VARIADIC,
                         ids=[f'{f.__name__}-{i}' for i, (f, _) in enumerate(VARIADIC)])
def test_variadic_rules_match_finite_differences(function, args):
    wrt = tuple(range(len(args)))
    value = function(*args)
    seed = _like(value if np.ndim(value) else float(value), np.random.default_rng(1))
    gradients = tangent.autodiff(function, wrt=wrt, check_dims=False)(*args, seed)
    for position, gradient in enumerate(gradients):
        expected = numerical_grad(scalar_output(function, seed), args, position)
        assert_close(np.asarray(gradient, dtype=float), expected)
    directions = [_like(arg, np.random.default_rng(position))
                  for position, arg in enumerate(args)]
    for position, direction in enumerate(directions):
        derivative = tangent.autodiff(function, mode='forward', wrt=(position,))
        assert_close(np.asarray(derivative(*args, direction), dtype=float),
                     numerical_jvp(function, args, position, direction))


def test_forward_over_reverse_of_a_five_argument_max():
    args = [0.3, 1.1, 0.9, 0.45, -0.2]
    gradient = tangent.autodiff(squared_max, wrt=(0, 1, 2, 3, 4), check_dims=False)
    hvp = tangent.autodiff(gradient, mode='forward', wrt=(1,), check_dims=False)
    actual = hvp(*args, 1.0, 0.5)
    expected = numerical_jvp(lambda *a: np.array(gradient(*a[:5], 1.0)),
                             args + [1.0], 1, 0.5)
    assert_close(np.asarray(actual, dtype=float), expected, rtol=1e-5, atol=1e-6)


def test_variadic_template_writes_one_statement_per_argument():
    source = tangent.quoting.get_source(tangent.grad(five_max, wrt=(0, 1, 2, 3, 4)))
    assert source.count('tangent.extremum_gradient(') == 10
    assert 'None' not in source


# The declaration API, for rule authors --------------------------------------------

def scaled(x):
    return 3.0 * x


def doubled_reversed(x):
    return 2.0 * x[::-1]


def test_a_declaration_gives_both_modes():
    @elementwise(scaled)
    def scaled_partial(g, y, x):
        return g * 3.0

    def uses(x):
        return scaled(x) * x

    try:
        tangent.testing.check_grads(uses, np.array([0.5, -1.0]), modes=('reverse', 'forward'))
    finally:
        registry.adjoints.remove(scaled)
        registry.tangents.remove(scaled)


def test_a_linear_declaration_gives_both_modes():
    @linear(doubled_reversed)
    def transpose(g, y, x):
        return 2.0 * g[::-1]

    def uses(x):
        return doubled_reversed(x) * x

    try:
        tangent.testing.check_grads(uses, np.array([0.5, -1.0, 2.0]),
                                    modes=('reverse', 'forward'))
    finally:
        registry.adjoints.remove(doubled_reversed)
        registry.tangents.remove(doubled_reversed)


def test_a_malformed_declaration_is_refused():
    def unary(x):
        return x

    with pytest.raises(TemplateError, match='g, the result'):
        @elementwise(unary)
        def too_few(g, y):
            return g

    with pytest.raises(TemplateError, match='differentiates'):
        @elementwise(unary, wrt='z')
        def unknown(g, y, x):
            return g

    @elementwise(unary)
    def two_terms(g, y, x):
        return g, g

    try:
        with pytest.raises(TemplateError, match='one per differentiated argument'):
            registry.adjoints[unary]
    finally:
        registry.adjoints.remove(unary)
        registry.tangents.remove(unary)

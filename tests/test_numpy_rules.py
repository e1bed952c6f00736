"""Every NumPy rule against central finite differences, in every mode.

The cases live in ``numpy_cases.py``; each becomes a function in a generated
module (tangent reads source, so the functions need a file), differentiated
with respect to all of its arguments in reverse mode (joint and split
motion, with a random output seed) and in forward mode (along a random
direction). Test ids read ``function-variant-mode``.
"""

from __future__ import annotations

import importlib.util
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from numpy_cases import CASES
from reference import assert_close

import tangent
from tangent import grads, tangents

MODES = ['reverse', 'split', 'forward']
EPS = 1e-6


def _function_source(index: int, body: str, n_args: int) -> str:
    params = ', '.join('xyzw'[:n_args])
    statements = body if 'return' in body else f'return {body}'
    return f'def case_{index}({params}):\n    {statements}\n'


def _load_case_module():
    source = 'import numpy as np\n\n\n' + '\n\n'.join(
        _function_source(i, body, len(arguments))
        for i, (_, _, body, arguments) in enumerate(CASES))
    path = Path(tempfile.mkdtemp(prefix='tangent_numpy_cases_')) / 'numpy_rule_cases.py'
    path.write_text(source)
    spec = importlib.util.spec_from_file_location('numpy_rule_cases', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASE_MODULE = _load_case_module()


def _case_id(case) -> str:
    function, variant, _, _ = case
    return f'{function}-{variant}'


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    return [argument.draw(rng) for argument in case[3]], rng


def _like(value, rng):
    """A random value of the shape (and kind: float or array) of ``value``."""
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(rng.uniform(-1.0, 1.0))
    return rng.uniform(-1.0, 1.0, np.shape(value))


def _vjp_by_differences(f, args, seed):
    """The gradient of ``sum(seed * f(args))`` in every argument, by central differences."""
    def objective(*values):
        return float(np.sum(np.asarray(f(*values)) * seed))
    gradients = []
    for index, arg in enumerate(args):
        arg_array = np.asarray(arg, dtype=float)
        gradient = np.zeros_like(arg_array)
        for position in np.ndindex(arg_array.shape):
            up, down = arg_array.copy(), arg_array.copy()
            up[position] += EPS
            down[position] -= EPS
            if np.ndim(arg) == 0 and not isinstance(arg, np.ndarray):
                up, down = float(up), float(down)
            values_up, values_down = list(args), list(args)
            values_up[index], values_down[index] = up, down
            gradient[position] = (objective(*values_up) - objective(*values_down)) / (2 * EPS)
        gradients.append(gradient)
    return gradients


def _jvp_by_differences(f, args, directions):
    def shifted(sign):
        return f(*[arg + sign * EPS * direction for arg, direction in zip(args, directions)])
    return (np.asarray(shifted(1.0)) - np.asarray(shifted(-1.0))) / (2 * EPS)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('case', CASES, ids=[_case_id(c) for c in CASES])
def test_numpy_rule(case, mode):
    function = getattr(CASE_MODULE, f'case_{CASES.index(case)}')
    args, rng = _inputs(case)
    wrt = tuple(range(len(args)))
    if mode == 'forward':
        derivative = tangent.autodiff(function, mode='forward', wrt=wrt)
        directions = [_like(arg, rng) for arg in args]
        actual = derivative(*args, *directions)
        assert_close(np.asarray(actual), _jvp_by_differences(function, args, directions),
                     rtol=1e-5, atol=1e-6)
        return
    derivative = tangent.autodiff(function, mode='reverse', wrt=wrt, check_dims=False,
                                  motion='joint' if mode == 'reverse' else 'split')
    seed = _like(function(*args), rng)
    actual = derivative(*args, seed)
    if len(args) == 1:
        actual = (actual,)
    expected = _vjp_by_differences(function, args, seed)
    assert len(actual) == len(expected)
    for got, want, arg in zip(actual, expected, args):
        assert np.shape(got) == np.shape(arg), 'a gradient has the shape of its argument'
        assert_close(np.asarray(got, dtype=float), want, rtol=1e-5, atol=1e-6)


def _numpy_functions(registry) -> set:
    # NumPy's ufuncs, not SciPy's (a scipy.special ufunc is an np.ufunc too).
    return {key for key in registry
            if (getattr(key, '__module__', '') or '').startswith('numpy')
            or (isinstance(key, np.ufunc) and getattr(np, key.__name__, None) is key)}


def test_at_least_150_numpy_callables_have_both_rules():
    both = _numpy_functions(grads.adjoints) & _numpy_functions(tangents.tangents)
    assert len(both) >= 150, len(both)


def test_the_suite_has_at_least_400_cases():
    assert len(CASES) * len(MODES) >= 400
    assert len(CASES) >= 300


def _registry_name(key) -> str:
    return getattr(key, '__name__', '')


def test_every_numpy_rule_is_exercised_by_a_case():
    """No rule ships untested: each registered NumPy callable appears in a case."""
    bodies = ' '.join(body for _, _, body, _ in CASES)
    untested = sorted(
        _registry_name(key) for key in _numpy_functions(grads.adjoints)
        if _registry_name(key) and f'{_registry_name(key)}(' not in bodies
        and f'.{_registry_name(key)}' not in bodies and _registry_name(key) not in (
            'matmul', 'divide'))  # the @ operator and / are these ufuncs
    assert not untested, f'NumPy rules without a case: {untested}'


def test_the_coverage_page_is_current():
    path = Path(__file__).resolve().parent.parent / 'tools' / 'gen_numpy_coverage.py'
    spec = importlib.util.spec_from_file_location('gen_numpy_coverage', path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.PAGE.read_text() == generator.render(), (
        'docs/numpy_coverage.md is stale: run python tools/gen_numpy_coverage.py')
    assert sum(1 for _, adjoint, tangent, _ in generator.rows()
               if adjoint == tangent == 'yes') >= 150


# Dtypes ------------------------------------------------------------------------------

DTYPE_FUNCTIONS = ['np.sum(np.exp(x) * x)', 'np.sum(np.tanh(x) ** 2)',
                   'np.mean(x @ x.T)', 'np.max(np.sin(x), axis=0).sum()',
                   'np.sum(np.cumsum(x, axis=1) * x)', 'np.linalg.norm(x)']


def _compile_one(body: str, name: str):
    path = Path(tempfile.mkdtemp(prefix='tangent_dtype_')) / f'{name}.py'
    path.write_text('import numpy as np\n\n\n' + _function_source(0, body, 1))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.case_0


DTYPE_CASE_FUNCTIONS = [_compile_one(body, f'dtype_case_{i}')
                        for i, body in enumerate(DTYPE_FUNCTIONS)]


@pytest.mark.parametrize('function', DTYPE_CASE_FUNCTIONS, ids=DTYPE_FUNCTIONS)
def test_float32_stays_float32(function):
    x = np.linspace(-0.8, 0.9, 9).reshape(3, 3).astype(np.float32)
    gradient = tangent.grad(function)(x)
    assert gradient.dtype == np.float32
    expected = _vjp_by_differences(function, [x.astype(np.float64)], 1.0)[0]
    assert_close(gradient.astype(np.float64), expected, rtol=2e-3, atol=2e-4)
    forward = tangent.autodiff(function, mode='forward')
    tangent_value = forward(x, np.ones_like(x))
    assert np.asarray(tangent_value).dtype == np.float32


@pytest.mark.parametrize('function', DTYPE_CASE_FUNCTIONS, ids=DTYPE_FUNCTIONS)
def test_integer_input_gives_a_float_gradient(function):
    x = np.arange(-4, 5).reshape(3, 3)
    gradient = tangent.grad(function)(x)
    assert np.issubdtype(gradient.dtype, np.floating)
    expected = _vjp_by_differences(function, [x.astype(np.float64)], 1.0)[0]
    assert_close(gradient, expected, rtol=1e-5, atol=1e-5)


SCALAR_FUNCTION = _compile_one('np.exp(x) * np.sin(x) + x ** 2', 'scalar_case')


@pytest.mark.parametrize('value', [0.7, np.float64(0.7), np.array(0.7), np.float32(0.7)],
                         ids=['python_float', 'numpy_float64', 'zero_d_array', 'numpy_float32'])
def test_python_scalars_and_zero_d_arrays(value):
    gradient = tangent.grad(SCALAR_FUNCTION)(value)
    assert np.shape(gradient) == np.shape(value)
    expected = np.exp(0.7) * (np.sin(0.7) + np.cos(0.7)) + 1.4
    assert_close(float(gradient), expected, rtol=1e-5 if value.__class__ is not np.float32
                 else 1e-4)
    if isinstance(value, np.float32):
        assert np.asarray(gradient).dtype == np.float32


def _as_float32(value):
    if isinstance(value, float):
        return value  # a Python float stays one: it is weak in NumPy's promotion
    return np.asarray(value, dtype=np.float32)


def _keeps_float32(case) -> bool:
    """Cases with an array argument whose float32 result NumPy itself keeps float32."""
    args, _ = _inputs(case)
    if not any(isinstance(arg, np.ndarray) for arg in args):
        return False
    function = getattr(CASE_MODULE, f'case_{CASES.index(case)}')
    return np.asarray(function(*[_as_float32(arg) for arg in args])).dtype == np.float32


FLOAT32_CASES = [case for case in CASES if _keeps_float32(case)]


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
@pytest.mark.parametrize('case', FLOAT32_CASES, ids=[_case_id(c) for c in FLOAT32_CASES])
def test_float32_in_float32_out(case, mode):
    """Every rule keeps float32 inputs in float32, and stays close to float64."""
    function = getattr(CASE_MODULE, f'case_{CASES.index(case)}')
    args, rng = _inputs(case)
    args32 = [_as_float32(arg) for arg in args]
    wrt = tuple(range(len(args)))
    if mode == 'forward':
        derivative = tangent.autodiff(function, mode='forward', wrt=wrt)
        directions = [_like(arg, rng) for arg in args]
        result = derivative(*args32, *[_as_float32(d) for d in directions])
        expected = derivative(*args, *directions)
        results, expecteds = [result], [expected]
    else:
        derivative = tangent.autodiff(function, mode='reverse', wrt=wrt, check_dims=False)
        seed = _like(function(*args), rng)
        # The seed of a float32 result is float32, as the rest of a float32 program makes it.
        results = derivative(*args32, np.asarray(seed, dtype=np.float32)[()])
        expecteds = derivative(*args, seed)
        if len(args) == 1:
            results, expecteds = [results], [expecteds]
    for result, expected, arg in zip(results, expecteds, args32):
        if mode == 'reverse' and isinstance(arg, float):
            continue
        assert np.asarray(result).dtype == np.float32, np.asarray(result).dtype
        assert_close(np.asarray(result, dtype=float), np.asarray(expected), rtol=2e-3,
                     atol=2e-3)

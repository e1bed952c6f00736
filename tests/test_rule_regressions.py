"""Derivative rules that were wrong or missing, against central differences.

Each function here is differentiated in reverse mode (joint and split motion,
with a random output seed) and in forward mode (along a random direction),
and compared with central finite differences of the function itself. The
NumPy variants of these fixes (casts, remainders, repeat, pinv, qr, eigvalsh,
matrix_power) are cases of ``numpy_cases.py``; this file holds the builtins,
the ``math`` module, the ``%`` operator and the inputs the suite does not
draw (zeros in a cumulative product).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference import assert_close, numerical_grad, scalar_output

import tangent
from tangent.testing import check_grads
from tangent.utils import digamma

EPS = 1e-6
MODES = ['joint', 'split', 'forward']


# Functions ---------------------------------------------------------------------------

def cast_builtins(a):
    return int(a) * a + float(a) * a


def percent_operator(x, y):
    return (x % y) * x + 1.7 % y


def math_remainders(a, b):
    return math.fmod(a, b) + 2.0 * math.remainder(a, b)


def log_with_base(a, b):
    return math.log(a, b) + math.log(2.3, b) + math.log(a, 3.0)


def inverse_hyperbolic(a):
    return math.asinh(a) + math.acosh(a + 1.5) + math.atanh(a / 2.0)


def erfc_degrees_radians(a):
    return math.erfc(a) + math.degrees(a) * math.radians(a)


def cbrt_exp2(a):
    return math.cbrt(a) * math.exp2(a)


def copysign_times(a, b):
    return math.copysign(a, b) * a


def gamma_lgamma(a):
    return math.gamma(a) + 3.0 * math.lgamma(a)


def gauss_cdf(a):
    return 0.5 * (1.0 + math.erf(a / math.sqrt(2.0)))


def existing_math(a, b):
    return (math.hypot(a, b) + math.atan2(a, b) + math.expm1(a) + math.log1p(a)
            + math.log2(a) + math.log10(a) + math.pow(a, b))


def max_min_three(a, b, c):
    return max(a, b, c) + min(a, b, c) * 2.0


def max_min_four(a, b, c, d):
    return max(a, b, c, d) * min(d, c, b, a)


def max_min_of_list_literal(x):
    return max([x[0], x[1] * 2.0, x[2]]) - min([x[0], x[1], x[2] * 3.0])


def max_min_of_array(x):
    return max(x) * min(x)


def max_min_of_list_argument(values):
    return max(values) + 2.0 * min(values)


def max_three_way_tie(a):
    return max(a, a * 1.0, 2.0 * a - a)


def sum_of_rows(m):
    return np.sum(sum(m) ** 2)


def sum_with_start(x, a):
    return sum(x, a) * a


def cumprod_zeros(x):
    return np.cumprod(x, axis=1)


def cumprod_zeros_flat(x):
    return np.cumprod(x) * 2.0


def cumulative_prod_zeros(x):
    return np.cumulative_prod(x, axis=0)


def math_fsum(x):
    return math.fsum(x) * x[0]


def math_prod_list(x):
    return math.prod([x[0], x[1] * 2.0, x[2]])


def math_prod_with_start(x, a):
    return math.prod(x, start=a) + a


def math_prod_with_zero(a, b):
    return math.prod([a, 0.0, b]) + math.prod([a, b])


def math_dist(p, q):
    return math.dist(p, q) * p[0]


def math_dist_lists(a, b):
    return math.dist([a, 2.0 * b], [b, 1.0])


def math_modf_frexp(a):
    return math.modf(3.0 * a)[0] * a + math.frexp(a)[0] * math.frexp(a)[1]


def math_nextafter(a, b):
    return math.nextafter(a, b) * a


def integer_math_passes_through(a):
    n = math.factorial(4) + math.comb(5, 2) + math.perm(4, 2) + math.gcd(12, 8) + \
        math.lcm(3, 4) + math.isqrt(10)
    close = math.isclose(a, 0.3)
    return n * a + math.ulp(a) + float(close) * a


def full_int_dtype(a):
    return np.sum(np.full((2, 2), a, dtype=int) * a)


def linspace_int_dtype(a):
    return np.sum(np.linspace(0.0, a, 4, dtype=int) * a)


WITH_ZEROS = np.array([[1.3, 0.0, 2.0, 0.5], [0.0, 0.0, 1.1, -0.9], [1.2, 0.7, -0.4, 0.0]])

CASES = [
    ('int_and_float_builtins', cast_builtins, (1.7,)),
    ('math_fmod_remainder', math_remainders, (2.3, -0.7)),
    ('math_fmod_remainder_negative', math_remainders, (-2.3, 0.9)),
    ('math_log_with_base', log_with_base, (1.3, 2.4)),
    ('math_inverse_hyperbolic', inverse_hyperbolic, (0.6,)),
    ('math_erfc_degrees_radians', erfc_degrees_radians, (-0.4,)),
    ('math_copysign', copysign_times, (1.3, -0.4)),
    ('math_gamma_lgamma', gamma_lgamma, (1.3,)),
    ('math_gamma_lgamma_small', gamma_lgamma, (0.4,)),
    ('math_gamma_lgamma_negative', gamma_lgamma, (-0.3,)),
    ('math_gamma_lgamma_large', gamma_lgamma, (7.6,)),
    ('math_existing', existing_math, (1.3, 0.6)),
    ('max_min_three', max_min_three, (1.3, 0.4, 0.9)),
    ('max_min_four', max_min_four, (1.3, -0.4, 0.9, 0.2)),
    ('max_min_of_list_literal', max_min_of_list_literal, (np.array([0.3, 0.5, 0.2]),)),
    ('max_min_of_array', max_min_of_array, (np.array([0.3, 0.5, -0.2]),)),
    ('max_min_of_list_argument', max_min_of_list_argument, ([0.3, -1.2, 0.8],)),
    ('max_three_way_tie', max_three_way_tie, (0.7,)),
    ('sum_of_rows', sum_of_rows, (np.arange(6.0).reshape(2, 3) - 2.5,)),
    ('sum_with_start', sum_with_start, (np.array([0.3, 0.5, -0.2]), 1.2)),
    ('sum_with_start_list', sum_with_start, ([0.3, 0.5, -0.2], 1.2)),
    ('cumprod_zeros', cumprod_zeros, (WITH_ZEROS,)),
    ('cumprod_zeros_flat', cumprod_zeros_flat, (WITH_ZEROS[:2],)),
    ('cumulative_prod_zeros', cumulative_prod_zeros, (WITH_ZEROS,)),
]
CASES += [
    ('math_fsum', math_fsum, (np.array([0.3, -1.2, 0.8]),)),
    ('math_fsum_list', math_fsum, ([0.3, -1.2, 0.8],)),
    ('math_prod_list', math_prod_list, (np.array([0.3, -1.2, 0.8]),)),
    ('math_prod_array', math_prod_with_start, (np.array([0.3, -1.2, 0.8]), 1.7)),
    ('math_prod_list_start', math_prod_with_start, ([0.3, -1.2, 0.8], -0.6)),
    ('math_prod_with_zero', math_prod_with_zero, (0.7, -1.3)),
    ('math_dist_arrays', math_dist, (np.array([0.3, -1.2, 0.8]), np.array([1.1, 0.4, -0.2]))),
    ('math_dist_lists', math_dist_lists, (0.7, -0.4)),
    ('math_modf_frexp', math_modf_frexp, (0.7,)),
    ('math_nextafter', math_nextafter, (0.7, -2.0)),
    ('integer_math_passes_through', integer_math_passes_through, (0.7,)),
    ('full_int_dtype', full_int_dtype, (1.7,)),
    ('linspace_int_dtype', linspace_int_dtype, (2.3,)),
]
if hasattr(math, 'cbrt'):  # Python 3.11+
    CASES.append(('math_cbrt_exp2', cbrt_exp2, (-0.7,)))


# The check -----------------------------------------------------------------------------

def _random_like(value, rng):
    if isinstance(value, list):
        return [_random_like(item, rng) for item in value]
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(rng.uniform(-1.0, 1.0))
    return rng.uniform(-1.0, 1.0, np.shape(value))


def _shifted(value, direction, step):
    if isinstance(value, list):
        return [_shifted(item, d, step) for item, d in zip(value, direction)]
    return value + step * direction


def check_against_differences(function, args, mode):
    """``function``'s derivative in every argument, in ``mode``, against differences."""
    wrt = tuple(range(len(args)))
    rng = np.random.default_rng(7)
    if mode == 'forward':
        directions = [_random_like(arg, rng) for arg in args]

        def along(step):
            return np.asarray(function(*[_shifted(arg, direction, step)
                                         for arg, direction in zip(args, directions)]),
                              dtype=float)
        derivative = tangent.autodiff(function, wrt=wrt, mode='forward', check_dims=False)
        assert_close(np.asarray(derivative(*args, *directions), dtype=float),
                     (along(EPS) - along(-EPS)) / (2 * EPS), rtol=1e-5, atol=1e-6)
        return
    seed = _random_like(function(*args), rng)
    derivative = tangent.autodiff(function, wrt=wrt, mode='reverse', motion=mode,
                                  check_dims=False)
    gradients = derivative(*args, seed)
    gradients = (gradients,) if len(args) == 1 else gradients
    objective = scalar_output(function, seed)
    for index, (gradient, arg) in enumerate(zip(gradients, args)):
        if isinstance(arg, np.ndarray):
            assert isinstance(gradient, np.ndarray) and gradient.shape == arg.shape, \
                'the gradient of an array is an array of its shape'
        assert_close(gradient, numerical_grad(objective, args, index), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_rule_against_differences(case, mode):
    _, function, args = case
    check_against_differences(function, args, mode)


@pytest.mark.parametrize('mode', MODES)
def test_percent_operator(mode):
    x = np.array([[0.3, 1.7], [-2.2, 5.1], [3.3, -0.7]])
    check_against_differences(percent_operator, (x, np.array([0.7, -1.1])), mode)


@pytest.mark.parametrize('mode', MODES)
def test_math_erf(mode):
    check_against_differences(gauss_cdf, (0.3,), mode)


# Casts -------------------------------------------------------------------------------

def cast_to_float32(x):
    return np.sum(x.astype(np.float32) * 2.0)


def cast_to_float64(x):
    return np.sum(np.asarray(x, dtype=np.float64) * 2.0)


def cast_to_int_squared(x):
    return np.sum(x.astype(np.int32) ** 2)


def test_a_cast_to_a_floating_dtype_is_the_identity_cast_back():
    x = np.array([0.3, -1.7, 2.2])
    gradient = tangent.grad(cast_to_float32)(x)
    assert gradient.dtype == np.float64
    assert_close(gradient, np.full(3, 2.0))
    gradient = tangent.grad(cast_to_float64)(x.astype(np.float32))
    assert gradient.dtype == np.float32
    assert_close(gradient, np.full(3, 2.0))


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_a_cast_to_int_has_no_derivative(mode):
    x = np.array([0.3, -1.7, 2.2])
    if mode == 'forward':
        value = tangent.autodiff(cast_to_int_squared, mode='forward')(x, np.ones(3))
        assert float(value) == 0.0
    else:
        assert_close(tangent.grad(cast_to_int_squared)(x), np.zeros(3))


# Shapes and dtypes -------------------------------------------------------------------

def test_the_gradient_of_builtin_sum_over_rows_is_an_array():
    m = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    gradient = tangent.grad(sum_of_rows)(m)
    assert type(gradient) is np.ndarray and gradient.shape == m.shape
    assert gradient.dtype == np.float32
    assert_close(gradient, np.broadcast_to(2.0 * np.sum(m, axis=0), m.shape))


def test_cumprod_with_zeros_keeps_float32():
    x = WITH_ZEROS.astype(np.float32)
    gradient = tangent.grad(cumprod_zeros, check_dims=False)(x, np.ones_like(x))
    assert gradient.dtype == np.float32
    objective = scalar_output(cumprod_zeros, np.ones_like(WITH_ZEROS))
    assert_close(gradient, numerical_grad(objective, [WITH_ZEROS], 0), rtol=1e-4, atol=1e-5)
    forward = tangent.autodiff(cumprod_zeros, mode='forward')(x, np.ones_like(x))
    assert np.all(np.isfinite(forward)) and forward.dtype == np.float32


# What the rules do not cover ---------------------------------------------------------

def qr_r(x):
    return np.linalg.qr(x)[1]


def qr_complete_r(x):
    return np.linalg.qr(x, mode='complete')[1]


@pytest.mark.parametrize('function, shape', [(qr_r, (2, 4)), (qr_complete_r, (4, 3))],
                         ids=['wide', 'complete_tall'])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_qr_outside_its_supported_forms_says_so(function, shape, mode):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(NotImplementedError, match=r'np\.linalg\.qr covers'):
        if mode == 'forward':
            tangent.autodiff(function, mode='forward')(x, np.ones(shape))
        else:
            tangent.grad(function, check_dims=False)(x, np.ones(np.shape(function(x))))


def test_digamma():
    euler_gamma = 0.5772156649015329
    assert digamma(1.0) == pytest.approx(-euler_gamma, abs=1e-13)
    assert digamma(0.5) == pytest.approx(-euler_gamma - 2.0 * math.log(2.0), abs=1e-13)
    for x in (0.3, 2.7, 11.5, -0.4, -2.6):
        assert digamma(x + 1.0) == pytest.approx(digamma(x) + 1.0 / x, abs=1e-12)
        assert digamma(1.0 - x) - digamma(x) == pytest.approx(math.pi / math.tan(math.pi * x),
                                                              abs=1e-11)
    assert math.isnan(digamma(-2.0))


# np.linalg.eigh with a repeated eigenvalue: the eigenvalues still have a gradient
# when no eigenvector is read (how the eigenvectors turn there is undefined).

def eigenvalues_of_rank_one_update(x):
    matrix = np.outer(x, x) + 4.0 * np.eye(4)  # 4 three times, 4 + |x|^2 once
    values, _ = np.linalg.eigh(matrix)
    return np.sum(values ** 2)


def eigenvalues_of_scaled_identity(x):
    values, _ = np.linalg.eigh(np.eye(3) * x[0] + np.diag(x * 0.5))
    return np.sum(values ** 3)


@pytest.mark.filterwarnings('ignore::RuntimeWarning')  # forward mode's eigenvector tangents
@pytest.mark.parametrize('function, argument', [
    (eigenvalues_of_rank_one_update, np.array([0.3, -0.5, 0.8, 0.1])),
    (eigenvalues_of_scaled_identity, np.array([0.3, -0.5, 0.8])),
])
def test_eigh_eigenvalues_at_a_repeated_eigenvalue(function, argument):
    check_grads(function, argument, modes=('reverse', 'forward'), order=1)


# A differentiated value reaching an argument a rule does not differentiate raises: it
# used to get a zero derivative (np.nan_to_num's nan=).

def nan_replaced_by_a_variable(x):
    return np.sum(np.nan_to_num(np.array([np.nan, 1.0]), nan=x[0]) * 2.0) + x[1]


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_an_argument_the_rule_does_not_differentiate_raises(mode):
    error = tangent.ReverseNotImplementedError if mode == 'reverse' else \
        tangent.ForwardNotImplementedError
    with pytest.raises(error, match="nan_to_num with respect to its argument 'nan'"):
        tangent.autodiff(nan_replaced_by_a_variable, mode=mode)(
            np.array([0.3, 0.7]), *(() if mode == 'reverse' else (np.ones(2),)))


def half_rule_function(a, b):
    return a * np.floor(b)


def uses_half_rule(x):
    return half_rule_function(x[0], x[1] * 3.0)


def test_a_user_rule_without_a_partial_raises_unless_declared_constant():
    from tangent.rules.registry import adjoint, constant_in, d

    @adjoint(half_rule_function, override=True)
    def partial_only(z, a, b):
        d[a] = d[z] * np.floor(b)

    with pytest.raises(tangent.ReverseNotImplementedError, match="argument 'b'"):
        tangent.grad(uses_half_rule)(np.array([0.3, 0.7]))

    @adjoint(half_rule_function, override=True)
    @constant_in('b')  # floor(b) is piecewise constant: zero in b
    def declared(z, a, b):
        d[a] = d[z] * np.floor(b)

    check_grads(uses_half_rule, np.array([0.3, 0.7]), modes=('reverse',))

"""Higher-order derivatives by composing generated functions.

Hessian-vector products are built in the three possible orders
(forward-over-reverse, reverse-over-forward, reverse-over-reverse), with the
optimizer on and off, and compared with autograd's
``hessian_vector_product``.  Second derivatives of scalar functions of one
Python float come from ``tangent.grad(tangent.grad(f))`` and are compared
with autograd's ``grad(grad(f))`` and with central second differences of
``f`` itself.

The autograd references are "twins" of the functions below: the very same
code objects, re-bound to a globals dictionary in which ``np`` is
``autograd.numpy`` and ``math`` is a namespace of the corresponding
``autograd.numpy`` functions (module-level helpers are re-bound the same way,
so subroutine calls go to twins too).  Tangent itself only ever sees the
plain NumPy / ``math`` versions.
"""

import math
import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import tangent

N = 300
_RNG = np.random.default_rng(1234)
W_BIG = _RNG.standard_normal((N, N)) / np.sqrt(N)
B_BIG = _RNG.standard_normal(N) * 0.1
W_LOOP = _RNG.standard_normal((N, N)) / np.sqrt(N)
C_VEC = _RNG.uniform(0.5, 1.5, size=N)


# ---------------------------------------------------------------------------
# autograd twins: the same code with autograd.numpy behind `np` and `math`
# ---------------------------------------------------------------------------

_MATH_TWIN = types.SimpleNamespace(
    sin=anp.sin, cos=anp.cos, tan=anp.tan, exp=anp.exp, log=anp.log,
    sqrt=anp.sqrt, tanh=anp.tanh, sinh=anp.sinh, cosh=anp.cosh,
    atan=anp.arctan, asin=anp.arcsin, acos=anp.arccos, log1p=anp.log1p,
    expm1=anp.expm1, pi=math.pi,
)


def _build_twin_namespace():
    namespace = dict(globals())
    namespace['np'] = anp
    namespace['math'] = _MATH_TWIN
    for name, obj in list(namespace.items()):
        if isinstance(obj, types.FunctionType) and obj.__module__ == __name__:
            namespace[name] = types.FunctionType(obj.__code__, namespace, obj.__name__,
                                                 obj.__defaults__, obj.__closure__)
    return namespace


def twin(func):
    """The autograd version of a module-level function of this file."""
    return _build_twin_namespace()[func.__name__]


# ---------------------------------------------------------------------------
# Vector functions for Hessian-vector products
# ---------------------------------------------------------------------------


def f_straight_line(x):
    # W_BIG, B_BIG are module-level constants read as globals.
    h = np.tanh(W_BIG @ x + B_BIG)
    a = np.sum(h ** 2)
    b = np.sum(x ** 3) / 3.0
    c = np.sum(np.sin(x) * np.exp(-0.1 * x * x))
    return a + b + 0.5 * c


def f_straight_line_args(x, W, bias):
    # The same function with the constants passed as (non-wrt) arguments.
    h = np.tanh(W @ x + bias)
    a = np.sum(h ** 2)
    b = np.sum(x ** 3) / 3.0
    c = np.sum(np.sin(x) * np.exp(-0.1 * x * x))
    return a + b + 0.5 * c


def leaf_quad(v, c):
    return np.sum(c * v * v)


def leaf_soft(v):
    return np.log(1.0 + np.exp(v))


def branch_g(x, W, c):
    u = np.tanh(W @ x)
    return leaf_quad(u, c) + np.sum(leaf_soft(u))


def branch_h(x, c):
    s = leaf_soft(x * 0.5)
    return np.sum(s * np.cos(x)) + leaf_quad(np.sin(x), c)


def f_call_tree(x, W, c):
    return branch_g(x, W, c) * 0.5 + branch_h(x, c) + 0.1 * branch_g(x * x, W, c)


def f_for_loop(x, W):
    y = x
    for _ in range(3):
        y = np.tanh(W @ y) + 0.5 * x
    return np.sum(y * y) + np.sum(np.cos(x))


def f_with_if(x):
    s = np.sum(x)
    if s > 0.0:
        y = np.sin(x) * x
    else:
        y = np.cos(x) + x ** 3
    return np.sum(y * y) + np.mean(np.exp(0.3 * x))


def f_while_loop(x):
    y = x
    k = 0
    while k < 3:
        y = np.sin(y) * x + 0.2 * y
        k = k + 1
    return np.sum(y ** 2)


def _x_positive():
    return np.random.default_rng(11).uniform(0.0, 0.6, size=N)


def _x_negative():
    return np.random.default_rng(12).uniform(-0.6, 0.0, size=N)


def _x_mixed():
    return np.random.default_rng(13).uniform(-0.8, 0.8, size=N)


HVP_CASES = [
    ('straight_line_globals', f_straight_line, lambda: (_x_mixed(),)),
    ('straight_line_args', f_straight_line_args, lambda: (_x_mixed(), W_BIG, B_BIG)),
    ('call_tree', f_call_tree, lambda: (_x_mixed(), W_BIG, C_VEC)),
    ('for_loop', f_for_loop, lambda: (_x_mixed(), W_LOOP)),
    ('if_true_branch', f_with_if, lambda: (_x_positive(),)),
    ('if_false_branch', f_with_if, lambda: (_x_negative(),)),
    ('while_loop', f_while_loop, lambda: (_x_mixed(),)),
]


def build_hvp(order, func, optimized):
    """A function (args, v) -> H v, H the Hessian in args[0], by composing transforms."""
    if order == 'forward_over_reverse':
        inner = tangent.autodiff(func, mode='reverse', check_dims=False, optimized=optimized)
        outer = tangent.autodiff(inner, mode='forward', check_dims=False, optimized=optimized)
        return lambda args, v: outer(*args, 1.0, v)
    if order == 'reverse_over_forward':
        inner = tangent.autodiff(func, mode='forward', check_dims=False, optimized=optimized)
        outer = tangent.autodiff(inner, mode='reverse', check_dims=False, optimized=optimized)
        return lambda args, v: outer(*args, v, 1.0)
    if order == 'reverse_over_reverse':
        inner = tangent.autodiff(func, mode='reverse', check_dims=False, optimized=optimized)
        outer = tangent.autodiff(inner, mode='reverse', check_dims=False, optimized=optimized)
        return lambda args, v: outer(*args, 1.0, v)
    raise AssertionError(order)


ORDERS = ['forward_over_reverse', 'reverse_over_forward', 'reverse_over_reverse']


@pytest.mark.parametrize('optimized', [True, False], ids=['opt', 'noopt'])
@pytest.mark.parametrize('order', ORDERS)
@pytest.mark.parametrize('case', HVP_CASES, ids=[c[0] for c in HVP_CASES])
def test_hvp_matches_autograd(case, order, optimized):
    _, func, make_args = case
    args = make_args()
    v = np.random.default_rng(99).standard_normal(N)
    hvp = build_hvp(order, func, optimized)
    actual = hvp(args, v)
    expected = autograd.hessian_vector_product(twin(func))(*args, v)
    assert np.shape(actual) == (N,)
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize('order', ORDERS)
def test_hvp_is_linear_in_v(order):
    args = (_x_mixed(), W_BIG, C_VEC)
    r = np.random.default_rng(5)
    v1, v2 = r.standard_normal(N), r.standard_normal(N)
    hvp = build_hvp(order, f_call_tree, True)
    np.testing.assert_allclose(hvp(args, 2.0 * v1 - v2), 2.0 * hvp(args, v1) - hvp(args, v2),
                               rtol=1e-8, atol=1e-10)


def test_hvp_matches_difference_of_autograd_gradients():
    # A second, independent reference: central difference of the exact gradient.
    x = _x_mixed()
    v = np.random.default_rng(3).standard_normal(N)
    g = autograd.grad(twin(f_straight_line_args))
    eps = 1e-5
    fd = (g(x + eps * v, W_BIG, B_BIG) - g(x - eps * v, W_BIG, B_BIG)) / (2 * eps)
    actual = build_hvp('forward_over_reverse', f_straight_line_args, True)((x, W_BIG, B_BIG), v)
    np.testing.assert_allclose(actual, fd, rtol=1e-5, atol=1e-7)


def f_small(v):
    return np.sum(np.tanh(v) * v ** 2) + np.sum(np.cos(v) * np.sin(2.0 * v))


def test_hessian_columns_small_problem_all_orders_agree_with_autograd():
    # Full Hessian of a 6-vector function, column by column.
    x = np.random.default_rng(21).uniform(-0.5, 0.5, size=6)
    expected = autograd.hessian(twin(f_small))(x)
    for order in ORDERS:
        hvp = build_hvp(order, f_small, True)
        columns = np.stack([hvp((x,), e) for e in np.eye(6)], axis=1)
        np.testing.assert_allclose(columns, expected, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(columns, columns.T, rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------------------
# Scalar functions of one Python float: second derivatives
# ---------------------------------------------------------------------------


def sq(a):
    return a * a


def cube(a):
    return a * a * a


def inner_most(a):
    return math.sin(a) + 0.5 * a


def inner_mid(a):
    return inner_most(a) * math.exp(0.2 * a)


def inner_top(a):
    return sq(inner_mid(a)) + cube(a)


def s_quartic(x):
    return x ** 4 - 3.0 * x ** 2 + x


def s_x_sin(x):
    return math.sin(x) * x


def s_exp_sin(x):
    return math.exp(math.sin(x))


def s_log1_plus_sq(x):
    return math.log(1.0 + x * x)


def s_sqrt(x):
    return math.sqrt(x * x + 2.0)


def s_tanh_sq(x):
    return math.tanh(x) ** 2


def s_reciprocal(x):
    return 1.0 / (1.0 + x * x)


def s_power_frac(x):
    return x ** 2.5


def s_cos_cubed(x):
    return math.cos(x) ** 3


def s_x_atan(x):
    return math.atan(x) * x


def s_sinh_cosh(x):
    return math.sinh(x) * math.cosh(x)


def s_gaussian(x):
    return math.exp(-x * x / 2.0)


def s_xlogx(x):
    return x * math.log(x)


def s_tan(x):
    return math.tan(x)


def s_asin(x):
    return math.asin(x) + math.acos(0.5 * x)


def s_if_else(x):
    if x > 0.0:
        y = x ** 3
    else:
        y = math.sin(x) * x
    return y


def s_if_elif_else(x):
    if x > 2.0:
        y = math.exp(0.5 * x)
    elif x > 0.5:
        y = x * x * math.cos(x)
    else:
        y = x ** 5
    return y + x


def s_horner_for(x):
    y = 0.0
    for k in range(5):
        y = y * x + (k + 1.0)
    return y


def s_for_sin(x):
    y = x
    for _ in range(4):
        y = math.sin(y) + x
    return y


def s_while_count(x):
    i = 0
    y = 1.0
    while i < 4:
        y = y * x + math.cos(y)
        i += 1
    return y


def s_while_value(x):
    y = x
    while y < 10.0:
        y = y * y + 1.0
    return y


def s_subroutine(x):
    return sq(math.sin(x)) + cube(x)


def s_nested_subroutines(x):
    return inner_top(x)


def s_list(x):
    values = [x, x * x, math.sin(x)]
    values[1] = values[1] * values[2]
    return values[0] * values[1] + values[2]


def s_dict(x):
    d = {'p': x * x, 'q': math.exp(x)}
    return d['p'] * d['q'] - d['q']


def s_tuple_unpack(x):
    a, b = math.sin(x), math.cos(x)
    pair = (a * b, a + b)
    return pair[0] * pair[1]


def s_np_calls(x):
    return np.sin(x) * np.exp(x) + np.tanh(x)


def s_np_sqrt_log(x):
    return np.sqrt(x * x + 1.0) + np.log(x * x + 3.0)


def s_np_array_sum(x):
    v = np.array([x, x * x, x ** 3])
    return np.sum(v * v)


def s_augmented(x):
    y = x
    y *= x
    y += math.sin(x)
    y -= 0.5 * x
    y /= 3.0
    return y * y


def s_early_return(x):
    if x < 0.0:
        return -x * x
    y = math.exp(x) * x
    return y


def s_quotient(x):
    return (x ** 2 + 1.0) / (x ** 3 + 2.0)


def s_self_product(x):
    return x * x * x * x + x * x


def s_for_over_list(x):
    total = 0.0
    for item in [x, math.sin(x), x * x]:
        total = total + item * item
    return total


def s_abs_cubed(x):
    return abs(x) ** 3


def s_fourier(x):
    total = 0.0
    for k in range(1, 4):
        total = total + math.cos(k * x) / k
    return total


def s_builtin_max(x):
    return max(x * x, 2.0 * x) * x


SCALAR_CASES = [
    (s_quartic, 0.7),
    (s_x_sin, 1.3),
    (s_exp_sin, 0.4),
    (s_log1_plus_sq, -0.9),
    (s_sqrt, 1.1),
    (s_tanh_sq, 0.6),
    (s_reciprocal, 0.8),
    (s_power_frac, 1.4),
    (s_cos_cubed, 0.5),
    (s_x_atan, 0.9),
    (s_sinh_cosh, 0.3),
    (s_gaussian, 0.7),
    (s_xlogx, 1.6),
    (s_tan, 0.4),
    (s_asin, 0.3),
    (s_if_else, 0.8),
    (s_if_else, -0.8),
    (s_if_elif_else, 2.5),
    (s_if_elif_else, 1.0),
    (s_if_elif_else, 0.3),
    (s_horner_for, 0.6),
    (s_for_sin, 0.7),
    (s_while_count, 0.9),
    (s_while_value, 1.2),
    (s_subroutine, 0.6),
    (s_nested_subroutines, 0.8),
    (s_list, 1.1),
    (s_dict, 0.5),
    (s_tuple_unpack, 0.9),
    (s_np_calls, 0.4),
    (s_np_sqrt_log, 0.7),
    (s_np_array_sum, 0.8),
    (s_augmented, 1.2),
    (s_early_return, 0.9),
    (s_early_return, -0.9),
    (s_quotient, 0.6),
    (s_self_product, 0.75),
    (s_for_over_list, 0.5),
    (s_abs_cubed, -1.1),
    (s_fourier, 0.8),
    (s_builtin_max, 1.5),
    (s_builtin_max, 3.0),
]

SCALAR_IDS = [f'{f.__name__}-{x:g}' for f, x in SCALAR_CASES]


def _second_difference(func, x, h=1e-4):
    return (func(x + h) - 2.0 * func(x) + func(x - h)) / (h * h)


@pytest.mark.parametrize('case', SCALAR_CASES, ids=SCALAR_IDS)
def test_grad_of_grad_matches_autograd(case):
    func, x = case
    actual = tangent.grad(tangent.grad(func))(x)
    expected = autograd.grad(autograd.grad(twin(func)))(x)
    assert np.ndim(actual) == 0
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize('case', SCALAR_CASES, ids=SCALAR_IDS)
def test_grad_of_grad_matches_second_differences(case):
    func, x = case
    actual = tangent.grad(tangent.grad(func))(x)
    expected = _second_difference(func, x)
    np.testing.assert_allclose(float(actual), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('optimized', [True, False], ids=['opt', 'noopt'])
@pytest.mark.parametrize('case', SCALAR_CASES, ids=SCALAR_IDS)
def test_grad_of_grad_unoptimized_and_first_gradient(case, optimized):
    func, x = case
    first = tangent.grad(func, optimized=optimized)
    second = tangent.grad(first, optimized=optimized)
    g_ref = autograd.grad(twin(func))
    np.testing.assert_allclose(float(first(x)), float(g_ref(x)), rtol=1e-9, atol=1e-11)
    # Central difference of the (already checked) first gradient.
    eps = 1e-6
    fd = (float(first(x + eps)) - float(first(x - eps))) / (2 * eps)
    np.testing.assert_allclose(float(second(x)), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('order', ORDERS)
@pytest.mark.parametrize('case', SCALAR_CASES, ids=SCALAR_IDS)
def test_scalar_second_derivative_all_orders(case, order):
    func, x = case
    actual = build_hvp(order, func, True)((x,), 1.0)
    expected = autograd.grad(autograd.grad(twin(func)))(x)
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-9, atol=1e-11)


def test_enough_scalar_functions():
    assert len({f for f, _ in SCALAR_CASES}) >= 32


def test_third_derivative_by_triple_composition():
    x = 0.7
    third = tangent.grad(tangent.grad(tangent.grad(s_x_sin)))(x)
    expected = autograd.grad(autograd.grad(autograd.grad(twin(s_x_sin))))(x)
    np.testing.assert_allclose(float(third), float(expected), rtol=1e-9)


def test_a_split_motion_derivative_is_not_differentiated_again():
    """Its tape's contents would carry no derivative: a clear error, never a number."""
    split = tangent.autodiff(s_quartic, motion='split', check_dims=False)
    for mode in ('forward', 'reverse'):
        with pytest.raises(NotImplementedError, match="split-motion.*motion='joint'"):
            tangent.autodiff(split, mode=mode, check_dims=False)

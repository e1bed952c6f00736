"""Forward mode (JVP) checked against finite differences and against reverse mode.

Every function below is differentiated with
``tangent.autodiff(f, mode='forward', wrt=..., optimized=..., preserve_result=...)``
and called as ``df(*args, *tangents)``.  The resulting directional derivative
is compared with

* a central finite-difference JVP of the original function along the same
  random direction, and
* for scalar-valued functions, the reverse-mode gradient ``tangent.grad``
  dotted with the direction.
"""

import math

import numpy as np
import pytest
from reference import assert_close, numerical_jvp

import tangent

FD_RTOL = 1e-4
FD_ATOL = 1e-6
EXACT_RTOL = 1e-9
EXACT_ATOL = 1e-10


# ---------------------------------------------------------------------------
# Module-level helpers used as subroutines
# ---------------------------------------------------------------------------


def square(a):
    return a * a


def cube_plus(a, b):
    return a * a * a + b


def sin_of_square(a):
    return math.sin(square(a))


def inner_poly(a):
    return 3.0 * a * a - a


def middle_mix(a):
    t = inner_poly(a)
    return math.exp(0.1 * t) + square(a)


def affine_tanh(w, v):
    return np.tanh(np.dot(w, v))


def sum_squares(v):
    return np.sum(v * v)


def arr_inner(v):
    return np.sin(v) * v


def arr_middle(v):
    u = arr_inner(v)
    return u + np.exp(0.5 * u)


# ---------------------------------------------------------------------------
# Scalar (Python float) functions
# ---------------------------------------------------------------------------


def s_poly(x):
    return x ** 3 - 2.0 * x * x + 3.0 * x - 1.0


def s_sin_cos(x):
    return math.sin(x) * math.cos(x) + math.sin(x * x)


def s_exp_log(x):
    return math.exp(x / 2.0) + math.log(x * x + 1.0)


def s_sqrt_tanh(x):
    return math.sqrt(x * x + 1.0) * math.tanh(x)


def s_division(x):
    return (x + 1.0) / (x * x + 2.0) - 1.0 / (x + 5.0)


def s_pow_float(x):
    return x ** 2.5 + 2.0 ** x


def s_tan_atan(x):
    return math.tan(0.3 * x) + math.atan(x)


def s_asin_acos(x):
    return math.asin(x) * math.acos(x / 2.0)


def s_sinh_cosh(x):
    return math.sinh(x) - 0.5 * math.cosh(x) * x


def s_augmented(x):
    y = -x
    y += x * x
    y *= 3.0
    y -= math.sin(x)
    y /= 2.0
    return y


def s_if_else(x):
    if x > 0.0:
        y = x * x
    else:
        y = -x ** 3
    return y


def s_if_elif_else(x):
    if x > 2.0:
        y = math.exp(x)
    elif x > 0.5:
        y = x * math.sin(x)
    else:
        y = x ** 4
    return y * x


def s_for_range(x):
    y = x
    for i in range(4):
        y = y * x + float(i)
    return y


def s_while(x):
    i = 0
    y = x
    while i < 3:
        y = math.sin(y) + x
        i += 1
    return y


def s_early_return(x):
    if x > 1.0:
        return x * 2.0 + math.cos(x)
    y = x * x
    return y * y


def s_subroutine(x):
    return square(x) + square(math.sin(x)) + cube_plus(x, 2.0)


def s_nested_calls(x):
    return middle_mix(x) * sin_of_square(x)


def s_list_read(x):
    items = [x, x * x, 2.0 * x]
    return items[0] * items[1] + items[2]


def s_list_write(x):
    items = [0.0, 0.0, 1.0]
    items[0] = x * x
    items[1] = math.sin(x)
    items[2] = items[0] * items[1]
    return items[0] + items[1] + items[2]


def s_dict(x):
    d = {'a': x, 'b': x * x}
    d['c'] = d['a'] * d['b']
    return d['c'] + d['a'] + math.cos(d['b'])


def s_tuple_unpack(x):
    a, b = x * 2.0, x * x
    c = (a, b, math.sin(x))
    return c[0] * c[1] + c[2]


def s_for_over_list(x):
    total = 0.0
    for item in [x, 2.0 * x, x * x]:
        total = total + item * item
    return total


def s_tuple_result(x):
    return x * x, math.sin(x) * x


def s_two_args(x, y):
    return x * y + math.sin(x) / (y * y + 1.0)


def s_two_args_tuple(x, y):
    return x * y, x - y * y, math.exp(x * 0.5) * y


def s_builtin_abs_max(x):
    return abs(x) * x + max(x * x, 0.5)


def s_log_variants(x):
    return math.log1p(x) + math.log10(x) + math.log2(x) + math.expm1(x)


def s_hypot_atan2(x):
    return math.hypot(x, 2.0) + math.atan2(x, 3.0)


def s_while_convergence(x):
    y = x
    count = 0
    while y < 10.0:
        y = y * 1.5 + x
        count += 1
    return y


# ---------------------------------------------------------------------------
# NumPy array functions
# ---------------------------------------------------------------------------


def a_sum_squares(x):
    return np.sum(x ** 2)


def a_sum_axis0(x):
    return np.sum(x * x, axis=0)


def a_sum_axis1_keepdims(x):
    return np.sum(np.sin(x), axis=1, keepdims=True) * x


def a_mean(x):
    return np.mean(x * x) + np.mean(np.cos(x))


def a_mean_axis_keepdims(x):
    return x - np.mean(x, axis=0, keepdims=True)


def a_dot_matvec(W, x):
    return np.dot(W, x)


def a_matmul(x, W):
    return x @ W


def a_exp_log_sqrt(x):
    return np.exp(0.3 * x) + np.log(x) + np.sqrt(x)


def a_tanh(x):
    return np.sum(np.tanh(x) ** 2)


def a_trig(x):
    return np.sin(x) * np.cos(x) + np.tan(0.5 * x)


def a_hyperbolic(x):
    return np.sinh(x) - np.cosh(0.5 * x)


def a_inverse_trig(x):
    return np.arcsin(x) + np.arccos(0.5 * x) * np.arctan(3.0 * x)


def a_abs(x):
    return np.sum(np.abs(x) * x)


def a_max_min(x, y):
    return np.maximum(x, y) + 2.0 * np.minimum(x * x, y)


def a_power(x):
    return np.power(x, 3) + np.power(x, 1.5)


def a_reshape(x):
    y = np.reshape(x, (3, 2))
    return np.sum(y * np.arange(6.0).reshape(3, 2), axis=1)


def a_transpose(x):
    return np.transpose(x) @ x + x.T


def a_array_from_list(x):
    v = np.array([x[0] * x[1], np.sin(x[2]), x[0]])
    return v * v


def a_atleast_2d(x):
    m = np.atleast_2d(x)
    return np.sum(m * m, axis=1)


def a_det(x):
    return np.linalg.det(x) + np.linalg.det(x @ x.T)


def a_broadcast(x, y):
    return np.sum(x * y + y / (1.0 + x * x))


def a_broadcast_scalar(x):
    return 2.0 * x + x / 3.0 - 1.0


def a_softmax(x):
    e = np.exp(x - 1.0)
    return e / np.sum(e)


def a_logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def a_if_array(x):
    if np.sum(x) > 0.0:
        y = x * x
    else:
        y = np.sin(x)
    return np.sum(y * x)


def a_for_rows(X):
    total = 0.0
    for row in X:
        total = total + np.sum(row * row * row)
    return total


def a_for_range_index(x):
    y = x
    for i in range(3):
        y = np.tanh(y) * x + 0.1 * i
    return y


def a_while(x):
    y = x
    n = 0
    while n < 4:
        y = 0.5 * y + np.sin(x)
        n = n + 1
    return y


def a_slices(x):
    return x[1:4] * x[:3] + x[-3:]


def a_index_elements(x):
    return x[0] * x[2] + x[1] ** 2


def a_subroutines(x, W):
    h = affine_tanh(W, x)
    return sum_squares(h) + sum_squares(x)


def a_nested_subroutines(x):
    return np.sum(arr_middle(x) * arr_inner(x))


def a_tuple_result(x):
    return np.sum(x * x), np.cos(x) * 2.0


def a_two_matrices(A, B):
    return np.sum(np.tanh(A @ B))


def a_matmat_dot(A):
    return np.dot(A, A)


def a_method_calls(x):
    return x.sum() * x.mean()


def a_list_of_arrays(x):
    parts = [x, np.sin(x), x * x]
    parts[1] = parts[1] * 2.0
    total = parts[0]
    for p in parts:
        total = total + p
    return total


def a_dict_of_arrays(x):
    d = {'w': x * 2.0}
    d['v'] = np.exp(d['w'] * 0.1)
    return d['v'] * d['w']


def a_early_return(x):
    s = np.sum(x)
    if s > 100.0:
        return x
    return np.tanh(x) * s


W_CONST = np.random.default_rng(77).standard_normal((3, 4))
SCALE_CONST = np.array([0.5, -1.0, 2.0, 1.5])


def a_global_matrix(x):
    return np.tanh(W_CONST @ x)


def a_global_elementwise(x):
    return np.sum(SCALE_CONST * np.sin(x))


def a_neg_sub_div(x, y):
    return -x / y - (x - y) * 0.5


# ---------------------------------------------------------------------------
# Cases: (function, argument factory, wrt)
# ---------------------------------------------------------------------------


def _rng(seed):
    return np.random.default_rng(seed)


def _vec(n, seed, low=-1.0, high=1.0):
    return _rng(seed).uniform(low, high, size=n)


def _away_from_zero(shape, seed):
    r = _rng(seed)
    mag = r.uniform(0.3, 1.5, size=shape)
    sign = np.where(r.uniform(size=shape) > 0.5, 1.0, -1.0)
    return mag * sign


CASES = [
    (s_poly, lambda: (0.7,), (0,)),
    (s_sin_cos, lambda: (1.3,), (0,)),
    (s_exp_log, lambda: (-0.4,), (0,)),
    (s_sqrt_tanh, lambda: (0.9,), (0,)),
    (s_division, lambda: (1.7,), (0,)),
    (s_pow_float, lambda: (1.2,), (0,)),
    (s_tan_atan, lambda: (0.8,), (0,)),
    (s_asin_acos, lambda: (0.35,), (0,)),
    (s_sinh_cosh, lambda: (0.6,), (0,)),
    (s_augmented, lambda: (1.1,), (0,)),
    (s_if_else, lambda: (0.8,), (0,)),
    (s_if_else, lambda: (-1.3,), (0,)),
    (s_if_elif_else, lambda: (2.5,), (0,)),
    (s_if_elif_else, lambda: (1.0,), (0,)),
    (s_if_elif_else, lambda: (0.2,), (0,)),
    (s_for_range, lambda: (0.9,), (0,)),
    (s_while, lambda: (0.5,), (0,)),
    (s_early_return, lambda: (1.6,), (0,)),
    (s_early_return, lambda: (0.4,), (0,)),
    (s_subroutine, lambda: (0.75,), (0,)),
    (s_nested_calls, lambda: (0.65,), (0,)),
    (s_list_read, lambda: (1.4,), (0,)),
    (s_list_write, lambda: (0.3,), (0,)),
    (s_dict, lambda: (0.8,), (0,)),
    (s_tuple_unpack, lambda: (1.1,), (0,)),
    (s_for_over_list, lambda: (0.7,), (0,)),
    (s_tuple_result, lambda: (0.9,), (0,)),
    (s_two_args, lambda: (0.6, 1.3), (0, 1)),
    (s_two_args, lambda: (0.6, 1.3), (1,)),
    (s_two_args_tuple, lambda: (0.4, -0.8), (0, 1)),
    (s_builtin_abs_max, lambda: (-1.2,), (0,)),
    (s_log_variants, lambda: (1.5,), (0,)),
    (s_hypot_atan2, lambda: (0.9,), (0,)),
    (s_while_convergence, lambda: (1.3,), (0,)),
    (a_sum_squares, lambda: (_vec(5, 1),), (0,)),
    (a_sum_axis0, lambda: (_vec((3, 4), 2),), (0,)),
    (a_sum_axis1_keepdims, lambda: (_vec((3, 4), 3),), (0,)),
    (a_mean, lambda: (_vec(6, 4),), (0,)),
    (a_mean_axis_keepdims, lambda: (_vec((4, 3), 5),), (0,)),
    (a_dot_matvec, lambda: (_vec((3, 4), 6), _vec(4, 7)), (0, 1)),
    (a_matmul, lambda: (_vec((2, 3), 8), _vec((3, 4), 9)), (0, 1)),
    (a_exp_log_sqrt, lambda: (_vec(5, 10, 0.5, 2.0),), (0,)),
    (a_tanh, lambda: (_vec(7, 11),), (0,)),
    (a_trig, lambda: (_vec(5, 12),), (0,)),
    (a_hyperbolic, lambda: (_vec(5, 13),), (0,)),
    (a_inverse_trig, lambda: (_vec(5, 14, -0.8, 0.8),), (0,)),
    (a_abs, lambda: (_away_from_zero(6, 15),), (0,)),
    (a_max_min, lambda: (_vec(6, 16), _vec(6, 17)), (0, 1)),
    (a_power, lambda: (_vec(5, 18, 0.5, 2.0),), (0,)),
    (a_reshape, lambda: (_vec(6, 19),), (0,)),
    (a_transpose, lambda: (_vec((3, 3), 20),), (0,)),
    (a_array_from_list, lambda: (_vec(3, 21),), (0,)),
    (a_atleast_2d, lambda: (_vec(4, 22),), (0,)),
    (a_det, lambda: (_vec((3, 3), 23) + 2.0 * np.eye(3),), (0,)),
    (a_broadcast, lambda: (_vec((3, 1), 24), _vec(4, 25)), (0, 1)),
    (a_broadcast_scalar, lambda: (_vec((2, 3), 26),), (0,)),
    (a_softmax, lambda: (_vec(5, 27),), (0,)),
    (a_logsumexp, lambda: (_vec(5, 28),), (0,)),
    (a_if_array, lambda: (_vec(4, 29, 0.1, 1.0),), (0,)),
    (a_if_array, lambda: (_vec(4, 30, -1.0, -0.1),), (0,)),
    (a_for_rows, lambda: (_vec((4, 3), 31),), (0,)),
    (a_for_range_index, lambda: (_vec(5, 32),), (0,)),
    (a_while, lambda: (_vec(4, 33),), (0,)),
    (a_slices, lambda: (_vec(5, 34),), (0,)),
    (a_index_elements, lambda: (_vec(3, 35),), (0,)),
    (a_subroutines, lambda: (_vec(4, 36), _vec((3, 4), 37)), (0, 1)),
    (a_nested_subroutines, lambda: (_vec(5, 38),), (0,)),
    (a_tuple_result, lambda: (_vec(4, 39),), (0,)),
    (a_two_matrices, lambda: (_vec((2, 3), 40), _vec((3, 2), 41)), (0, 1)),
    (a_matmat_dot, lambda: (_vec((3, 3), 42),), (0,)),
    (a_method_calls, lambda: (_vec(5, 43),), (0,)),
    (a_list_of_arrays, lambda: (_vec(4, 44),), (0,)),
    (a_dict_of_arrays, lambda: (_vec(4, 45),), (0,)),
    (a_early_return, lambda: (_vec(4, 46),), (0,)),
    (a_global_matrix, lambda: (_vec(4, 49),), (0,)),
    (a_global_elementwise, lambda: (_vec(4, 50),), (0,)),
    (a_neg_sub_div, lambda: (_vec(4, 47), _vec(4, 48, 0.5, 1.5)), (0, 1)),
]


def _case_id(case):
    func, make_args, wrt = case
    args = make_args()
    first = args[0]
    where = f'{first:g}' if isinstance(first, float) else 'arr'
    return f'{func.__name__}-{where}-wrt{"".join(map(str, wrt))}'


CASE_IDS = [_case_id(c) for c in CASES]


def _directions(args, wrt, seed):
    r = _rng(seed)
    out = []
    for i in wrt:
        a = args[i]
        if isinstance(a, float):
            out.append(float(r.uniform(0.5, 1.5)))
        else:
            out.append(r.standard_normal(np.shape(a)))
    return out


def _fd_jvp(func, args, wrt, directions):
    """The JVP as a sum of one-argument finite-difference JVPs (linearity)."""
    total = None
    for i, d in zip(wrt, directions, strict=True):
        part = numerical_jvp(func, list(args), i, d)
        if total is None:
            total = part
        elif isinstance(part, tuple):
            total = tuple(a + b for a, b in zip(total, part, strict=True))
        else:
            total = total + part
    return total


def _is_scalar_valued(func, args):
    out = func(*args)
    return not isinstance(out, tuple) and np.ndim(out) == 0


def _as_float_structure(value):
    if isinstance(value, tuple):
        return tuple(_as_float_structure(v) for v in value)
    return np.asarray(value, dtype=float)


@pytest.mark.parametrize('preserve_result', [False, True], ids=['nores', 'res'])
@pytest.mark.parametrize('optimized', [True, False], ids=['opt', 'noopt'])
@pytest.mark.parametrize('case', CASES, ids=CASE_IDS)
def test_forward_matches_finite_differences(case, optimized, preserve_result):
    func, make_args, wrt = case
    args = make_args()
    directions = _directions(args, wrt, seed=100 + CASES.index(case))
    df = tangent.autodiff(func, mode='forward', wrt=wrt, optimized=optimized,
                          preserve_result=preserve_result)
    out = df(*args, *directions)
    expected = _fd_jvp(func, args, wrt, directions)
    if preserve_result:
        assert isinstance(out, tuple) and len(out) == 2, \
            f'preserve_result=True should give (tangent, result), got {out!r}'
        tangent_value, result = out
        assert_close(_as_float_structure(result), _as_float_structure(func(*args)),
                     rtol=1e-12, atol=1e-12)
    else:
        tangent_value = out
    assert_close(_as_float_structure(tangent_value), expected, rtol=FD_RTOL, atol=FD_ATOL)


SCALAR_CASES = [c for c in CASES if _is_scalar_valued(c[0], c[1]())]
SCALAR_IDS = [_case_id(c) for c in SCALAR_CASES]


@pytest.mark.parametrize('preserve_result', [False, True], ids=['nores', 'res'])
@pytest.mark.parametrize('optimized', [True, False], ids=['opt', 'noopt'])
@pytest.mark.parametrize('case', SCALAR_CASES, ids=SCALAR_IDS)
def test_forward_matches_reverse(case, optimized, preserve_result):
    func, make_args, wrt = case
    args = make_args()
    directions = _directions(args, wrt, seed=7)
    df = tangent.autodiff(func, mode='forward', wrt=wrt, optimized=optimized,
                          preserve_result=preserve_result)
    out = df(*args, *directions)
    tangent_value = out[0] if preserve_result else out
    gradient = tangent.grad(func, wrt=wrt)(*args)
    if len(wrt) == 1:
        gradient = (gradient,)
    expected = sum(float(np.sum(np.asarray(g) * d))
                   for g, d in zip(gradient, directions, strict=True))
    assert np.ndim(tangent_value) == 0
    np.testing.assert_allclose(float(tangent_value), expected,
                               rtol=EXACT_RTOL, atol=EXACT_ATOL)


def test_enough_functions_are_covered():
    assert len({c[0] for c in CASES}) >= 55


# ---------------------------------------------------------------------------
# Several wrt arguments and tuple results
# ---------------------------------------------------------------------------


def test_two_wrt_arguments_each_tangent_separately():
    # Seeding only one argument at a time must give the partial derivatives.
    x, y = 0.6, 1.3
    df = tangent.autodiff(s_two_args, mode='forward', wrt=(0, 1))
    dfdx = df(x, y, 1.0, 0.0)
    dfdy = df(x, y, 0.0, 1.0)
    expected_x = numerical_jvp(s_two_args, [x, y], 0, 1.0)
    expected_y = numerical_jvp(s_two_args, [x, y], 1, 1.0)
    assert_close(np.asarray(dfdx), expected_x, rtol=FD_RTOL, atol=FD_ATOL)
    assert_close(np.asarray(dfdy), expected_y, rtol=FD_RTOL, atol=FD_ATOL)
    # Linearity in the pair of tangents.
    both = df(x, y, 2.0, -3.0)
    np.testing.assert_allclose(both, 2.0 * dfdx - 3.0 * dfdy, rtol=1e-12)


def test_two_wrt_arrays_match_reverse_gradients():
    W = _vec((3, 4), 60)
    x = _vec(4, 61)
    dW = _vec((3, 4), 62)
    dx = _vec(4, 63)
    df = tangent.autodiff(a_subroutines, mode='forward', wrt=(1, 0))
    jvp = df(x, W, dW, dx)
    gx, gW = tangent.grad(a_subroutines, wrt=(0, 1))(x, W)
    expected = np.sum(gx * dx) + np.sum(gW * dW)
    np.testing.assert_allclose(jvp, expected, rtol=1e-9)
    fd = numerical_jvp(a_subroutines, [x, W], 0, dx) + numerical_jvp(a_subroutines, [x, W], 1, dW)
    np.testing.assert_allclose(jvp, fd, rtol=FD_RTOL)


def test_tuple_result_gives_tuple_tangent():
    x = 0.9
    df = tangent.autodiff(s_tuple_result, mode='forward')
    out = df(x, 1.0)
    assert isinstance(out, tuple) and len(out) == 2
    expected = numerical_jvp(s_tuple_result, [x], 0, 1.0)
    assert_close(tuple(np.asarray(o) for o in out), expected, rtol=FD_RTOL, atol=FD_ATOL)


def test_tuple_result_with_two_tangents_and_preserved_result():
    x, y = 0.4, -0.8
    df = tangent.autodiff(s_two_args_tuple, mode='forward', wrt=(0, 1), preserve_result=True)
    out = df(x, y, 0.3, 0.7)
    assert isinstance(out, tuple) and len(out) == 2
    tangents, result = out
    assert isinstance(tangents, tuple) and len(tangents) == 3
    assert_close(tuple(np.asarray(r) for r in result),
                 tuple(np.asarray(r) for r in s_two_args_tuple(x, y)), rtol=1e-12)
    expected = tuple(a + b for a, b in zip(
        numerical_jvp(s_two_args_tuple, [x, y], 0, 0.3),
        numerical_jvp(s_two_args_tuple, [x, y], 1, 0.7), strict=True))
    assert_close(tuple(np.asarray(t) for t in tangents), expected, rtol=FD_RTOL, atol=FD_ATOL)


def test_array_tuple_result_tangent_shapes():
    x = _vec(4, 64)
    d = _vec(4, 65)
    out = tangent.autodiff(a_tuple_result, mode='forward')(x, d)
    assert isinstance(out, tuple) and len(out) == 2
    assert np.ndim(out[0]) == 0
    assert np.shape(out[1]) == (4,)
    expected = numerical_jvp(a_tuple_result, [x], 0, d)
    assert_close(tuple(np.asarray(o) for o in out), expected, rtol=FD_RTOL, atol=FD_ATOL)


def test_jvp_entry_point_matches_autodiff_forward():
    W = _vec((3, 4), 66)
    x = _vec(4, 67)
    d = _vec(4, 68)
    via_jvp = tangent.jvp(a_subroutines, wrt=(0,))(x, W, d)
    via_autodiff = tangent.autodiff(a_subroutines, mode='forward', wrt=(0,))(x, W, d)
    expected = numerical_jvp(a_subroutines, [x, W], 0, d)
    np.testing.assert_allclose(via_jvp, expected, rtol=FD_RTOL)
    np.testing.assert_allclose(via_autodiff, expected, rtol=FD_RTOL)


def test_jvp_entry_point_preserve_result():
    x = _vec(5, 69)
    d = _vec(5, 70)
    dy, y = tangent.jvp(a_softmax, preserve_result=True)(x, d)
    np.testing.assert_allclose(y, a_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(dy, numerical_jvp(a_softmax, [x], 0, d), rtol=FD_RTOL, atol=FD_ATOL)


def test_forward_tangent_is_linear_in_direction():
    x = _vec((4, 3), 71)
    d1 = _vec((4, 3), 72)
    d2 = _vec((4, 3), 73)
    df = tangent.autodiff(a_for_rows, mode='forward')
    np.testing.assert_allclose(df(x, 2.0 * d1 + d2), 2.0 * df(x, d1) + df(x, d2), rtol=1e-10)
    np.testing.assert_allclose(df(x, d1), numerical_jvp(a_for_rows, [x], 0, d1), rtol=FD_RTOL)


def test_forward_does_not_modify_inputs():
    x = _vec(5, 74)
    d = _vec(5, 75)
    x_copy, d_copy = x.copy(), d.copy()
    df = tangent.autodiff(a_list_of_arrays, mode='forward')
    out = df(x, d)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(d, d_copy)
    np.testing.assert_allclose(out, numerical_jvp(a_list_of_arrays, [x], 0, d), rtol=FD_RTOL,
                               atol=FD_ATOL)

"""Second-order derivatives of constructs and NumPy rules that used to crash.

Each case goes through ``tangent.testing.check_grads(f, *args, order=2)``:
the first-order derivatives and all four compositions (reverse over reverse,
forward over reverse, reverse over forward, forward over forward) against
central finite differences. Where a second derivative is not available, the
call must raise tangent's clear error naming the function, never an internal
``IndexError``/``KeyError`` or a wrong number.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent
from tangent.testing import check_grads

X = np.array([0.3, -0.7, 1.1])
M = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])  # no ties along either axis
SQUARE = np.array([[2.5, 0.3, -0.4], [0.1, 3.1, 0.6], [-0.2, 0.5, 2.2]])
SPD = SQUARE @ SQUARE.T + np.eye(3)


# Comprehensions and map: desugared loops whose adjoint pops the list it built ----------

def comprehension_stack(x):
    return np.sum(np.stack([np.sin(x * i) for i in range(3)]))


def comprehension_sum_of_items(x):
    squares = [np.tanh(x) * i for i in range(1, 4)]
    return np.sum(squares[0] * squares[2]) + np.sum(squares[1])


def map_stack(x):
    return np.sum(np.stack(list(map(np.sin, [x, x * 2.0]))) ** 2)


def comprehension_in_loop(x):
    total = 0.0
    for k in range(2):
        rows = [np.cos(x * (i + k)) for i in range(2)]
        total = total + np.sum(np.concatenate(rows) ** 2)
    return total


# Lists built with append, then joined --------------------------------------------------

def append_concatenate(x):
    parts = []
    for i in range(3):
        parts.append(x * i)
    return np.sum(np.concatenate(parts) ** 2)


def append_stack(x):
    parts = []
    for i in range(3):
        parts.append(np.sin(x) * i)
    return np.sum(np.stack(parts) ** 2)


def append_array(x):
    parts = []
    for i in range(3):
        parts.append(np.sin(x) * (i + 1.0))
    return np.sum(np.array(parts) ** 3)


def append_while(x):
    parts = []
    i = 0
    while i < 3:
        parts.append(np.exp(x * 0.5 * i))
        i = i + 1
    return np.sum(np.stack(parts, axis=1) * np.cos(x)[:, None])


@pytest.mark.parametrize('function', [
    comprehension_stack, comprehension_sum_of_items, map_stack, comprehension_in_loop,
    append_concatenate, append_stack, append_array, append_while,
], ids=lambda f: f.__name__)
def test_lists_popped_by_the_adjoint_differentiate_again(function):
    check_grads(function, X, order=2)


def test_reverse_over_reverse_of_a_comprehension_by_nested_grad():
    def f(a):
        return np.sum(np.stack([np.sin(a * i) for i in range(3)]))

    second = tangent.grad(tangent.grad(f))
    a, h = 0.4, 1e-5
    first = tangent.grad(f)
    assert np.isclose(second(a), (first(a + h) - first(a - h)) / (2 * h), rtol=1e-6)


# Reductions whose rules share an element's part of a max, min or median ----------------

def max_axis0(y):
    return np.sum(np.max(y, axis=0) ** 2 * np.sin(y[0]))


def min_axis1_keepdims(y):
    return np.sum(np.exp(np.min(y, axis=1, keepdims=True)) * y)


def amax_all(y):
    return np.amax(y) ** 3


def nanmax_axis0(y):
    return np.sum(np.nanmax(y, axis=0) ** 2)


def ptp_axis1(y):
    return np.sum(np.ptp(y, axis=1) ** 2)


def median_axis0(y):
    return np.sum(np.median(y * y, axis=0) ** 2)


def remainder(y):
    return np.sum(np.mod(y * y, 0.3) ** 2)


def sinc(y):
    return np.sum(np.sinc(y) ** 2)


@pytest.mark.parametrize('function', [
    max_axis0, min_axis1_keepdims, amax_all, nanmax_axis0, ptp_axis1, median_axis0,
    remainder, sinc,
], ids=lambda f: f.__name__)
def test_reductions_with_shares_differentiate_again(function):
    check_grads(function, M, order=2)


# np.linalg.norm ------------------------------------------------------------------------

def norm_vector(x, ord):  # noqa: A002 - NumPy's name
    return np.linalg.norm(x, ord) ** 2 * np.sum(x)


@pytest.mark.parametrize('ord', [None, 1, 2, 3, np.inf, -np.inf])
def test_vector_norm_differentiates_again(ord):  # noqa: A002
    check_grads(lambda x: norm_vector(x, ord), X, order=2)


def norm_matrix(m, ord):  # noqa: A002
    return np.linalg.norm(m, ord) * np.sum(m * m)


@pytest.mark.parametrize('ord', ['fro', np.inf, -1])
def test_matrix_norm_differentiates_again(ord):  # noqa: A002
    check_grads(lambda m: norm_matrix(m, ord), M, order=2)


def norm_rows(m):
    return np.sum(np.linalg.norm(m, axis=1, keepdims=True) * m)


def vector_norm(m):
    return np.linalg.vector_norm(m) ** 3


def test_norm_over_an_axis_differentiates_again():
    check_grads(norm_rows, M, order=2)
    check_grads(vector_norm, M, order=2)


@pytest.mark.parametrize('ord', ['nuc', 2, -2])
@pytest.mark.parametrize('inner, outer, error', [
    ('reverse', 'reverse', tangent.ReverseNotImplementedError),
    ('reverse', 'forward', tangent.ForwardNotImplementedError),
])
def test_singular_value_norms_say_their_second_derivative_is_missing(ord, inner, outer, error):
    def f(m):
        return np.linalg.norm(m, ord)

    first = tangent.autodiff(lambda m: norm_matrix(m, ord), mode=inner, check_dims=False)
    second = tangent.autodiff(first, mode=outer, check_dims=False)
    with pytest.raises(error, match=r"np\.linalg\.norm with ord='nuc', 2 or -2"):
        second(M, 1.0, np.ones_like(M)) if outer == 'forward' else second(M, 1.0, M)


# np.einsum and linear algebra ----------------------------------------------------------

def einsum_matmul(a, b):
    return np.sum(np.einsum('ij,jk->ik', a, b) ** 2)


def einsum_three(v, a, w):
    return np.einsum('i,ij,j->', v, a, w) ** 2


def einsum_diagonal(a):
    return np.sum(np.einsum('ii->i', a) ** 3)


def einsum_repeated_with_other(a, v):
    return np.sum(np.sin(np.einsum('ii,k->ik', a, v)))


def test_einsum_differentiates_again():
    check_grads(einsum_matmul, M, M.T * 0.5, order=2)
    check_grads(einsum_three, X[:2], M, X, order=2)
    check_grads(einsum_diagonal, SQUARE, order=2)
    check_grads(einsum_repeated_with_other, SQUARE, X[:2], order=2)


def solve(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


def inverse(a):
    return np.sum(np.linalg.inv(a) * a)


def cholesky(a):
    # The rule assumes a symmetric matrix; NumPy reads one triangle only.
    return np.sum(np.linalg.cholesky((a + a.T) / 2.0) ** 3)


def cholesky_upper(a):
    return np.sum(np.linalg.cholesky((a + a.T) / 2.0, upper=True) ** 3)


def kron(a, b):
    return np.sum(np.kron(a, b) ** 2)


def test_linear_algebra_differentiates_again():
    check_grads(solve, SQUARE, X, order=2)
    check_grads(inverse, SQUARE, order=2)
    check_grads(cholesky, SPD, order=2)
    check_grads(cholesky_upper, SPD, order=2)
    check_grads(kron, M, SQUARE[:2, :2], order=2)


def qr_product(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * np.diag(r))


@pytest.mark.parametrize('outer, error', [
    ('reverse', tangent.ReverseNotImplementedError),
    ('forward', tangent.ForwardNotImplementedError),
])
def test_qr_gradient_says_it_is_not_differentiated_again(outer, error):
    first = tangent.autodiff(qr_product, check_dims=False)
    second = tangent.autodiff(first, mode=outer, check_dims=False)
    with pytest.raises(error, match=r'np\.linalg\.qr'):
        second(SQUARE, 1.0, SQUARE)


@pytest.mark.parametrize('outer, error', [
    ('reverse', tangent.ReverseNotImplementedError),
    ('forward', tangent.ForwardNotImplementedError),
])
def test_qr_tangent_says_it_is_not_differentiated_again(outer, error):
    first = tangent.autodiff(qr_product, mode='forward', check_dims=False)
    second = tangent.autodiff(first, mode=outer, check_dims=False)
    with pytest.raises(error, match=r'np\.linalg\.qr'):
        second(SQUARE, SQUARE, 1.0) if outer == 'reverse' else second(SQUARE, SQUARE, SQUARE)


# NumPy rules whose helpers are differentiated again (or have rules of their own) -------

SAMPLES = np.array([-2.0, -0.5, 0.4, 1.1, 2.0])
AT = np.array([-2.5, -1.2, 0.1, 0.9, 1.6, 2.4])  # below, inside (away from samples), above


def interp_values(x, fp):
    return np.sum(np.interp(x, SAMPLES, fp) ** 2 * np.cos(x))


def interp_left_right(x, fp, edge):
    return np.sum(np.interp(x, SAMPLES, fp, left=edge, right=2.0 * edge) ** 3)


def interp_periodic(x, fp):
    return np.sum(np.sin(np.interp(x, np.array([0.0, 0.7, 1.9, 2.8]), fp, period=3.0)) * x)


def test_interp_differentiates_again_in_x_and_fp():
    fp = np.array([0.3, -0.8, 1.2, 0.5, -0.4])
    check_grads(interp_values, AT, fp, order=2)
    check_grads(interp_left_right, AT, fp, 0.7, order=2)
    check_grads(interp_periodic, np.array([0.2, 1.3, 2.5, 4.1]), fp[:4], order=2)


def append_flat(a, v):
    return np.sum(np.append(a, v) ** 3)


def append_axis(a, v):
    return np.sum(np.sin(np.append(a, v, axis=0)) * np.append(a, v, axis=0))


def subscript_by_built_tuple(m):
    index = [slice(None)] * 2
    index[1] = slice(1, None)
    return np.sum(m[tuple(index)] ** 2 * m[(0, *index[1:])])


def test_append_and_subscripts_by_starred_tuples_differentiate_again():
    check_grads(append_flat, M, X, order=2)
    check_grads(append_axis, M, M[:1] * 2.0, order=2)
    check_grads(subscript_by_built_tuple, M, order=2)


def determinant(a):
    return np.linalg.det(a) ** 2


def trace_offset(a):
    return np.trace(a * a, offset=1) * np.trace(a)


def log_determinant(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet ** 2


def tensordot_axes(a, b):
    return np.sum(np.tensordot(a, b, axes=([1], [0])) ** 2)


def eigh_vectors(a):
    # eigh reads one triangle: a symmetric input; squares hide the eigenvectors' signs.
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w ** 2) + np.sum(v ** 4)


def eigvalsh(a):
    return np.sum(np.linalg.eigvalsh(a + a.T) ** 3)


def pinv_tall(a):
    return np.sum(np.linalg.pinv(a) ** 2)


def matrix_power(a):
    return np.sum(np.linalg.matrix_power(a, 3)) + np.sum(np.linalg.matrix_power(a, -2))


def multi_dot(v, a, w):
    return np.linalg.multi_dot([v, a, w]) ** 2


def test_linear_algebra_helpers_differentiate_again():
    check_grads(determinant, SQUARE, order=2)
    check_grads(trace_offset, SQUARE, order=2)
    check_grads(log_determinant, SQUARE, order=2)
    check_grads(tensordot_axes, M, SQUARE, order=2)
    check_grads(eigh_vectors, SPD, order=2)
    check_grads(eigvalsh, SPD, order=2)
    check_grads(pinv_tall, M.T, order=2)
    check_grads(matrix_power, SQUARE, order=2)
    check_grads(multi_dot, X[:2], M, X, order=2)


def sort_axis0(m):
    return np.sum(np.sort(m, axis=0) ** 2 * np.arange(1.0, 4.0))


def sort_flat(m):
    return np.sum(np.sort(m, axis=None) ** 3 * np.arange(6.0))


def take_repeat(x):
    return np.sum(np.take(x, [2, 0, 2]) ** 3) + np.sum(np.repeat(x, [1, 0, 2]) ** 2 * x[0])


def take_along(m):
    return np.sum(np.take_along_axis(m, np.array([[1, 0, 1]]), axis=0) ** 3)


def unique_values(x):
    # Distinct values: where two meet, the shares jump (a kink).
    return np.sum(np.unique(x) ** 3 * np.arange(4.0))


def cumprod_flat(m):
    return np.sum(np.cumprod(m) ** 2)


def cumprod_with_zero(x):
    return np.sum(np.cumprod(x, axis=0) ** 2)


def cumulative_prod(x):
    return np.sum(np.cumulative_prod(x) * x)


def test_reordering_and_cumulative_rules_differentiate_again():
    check_grads(sort_axis0, M, order=2)
    check_grads(sort_flat, M, order=2)
    check_grads(take_repeat, X, order=2)
    check_grads(take_along, M, order=2)
    check_grads(unique_values, np.array([0.3, -0.3, 1.1, 0.7]), order=2)
    check_grads(cumprod_flat, M, order=2)
    check_grads(cumprod_with_zero, np.array([[0.5, 0.0], [1.2, -0.7], [0.3, 0.4]]), order=2)
    check_grads(cumulative_prod, X, order=2)


def full_of(x):
    return np.sum(np.full((2, 3), x[0] * x[1]) * np.full_like(x, x[2]) [:, None].T ** 2)


def ranges(a, b):
    return (np.sum(np.linspace(a, b, 5) ** 3) + np.sum(np.logspace(a, b, 4, base=1.5) ** 2) +
            np.sum(np.geomspace(a, b, 3) ** 2) + np.sum(np.arange(a, a + 3.0) ** 3))


def linspace_arrays(a, b):
    return np.sum(np.linspace(a, b, 4, axis=-1) ** 3)


def bessel(x):
    return np.sum(np.i0(x) ** 2) + np.i0(x[0]) ** 3


def test_constructors_and_special_functions_differentiate_again():
    check_grads(full_of, X, order=2)
    check_grads(ranges, 0.4, 1.3, order=2)
    check_grads(linspace_arrays, X, X[::-1] * 2.0, order=2)
    check_grads(bessel, X, order=2)


# The fence and the operators: clear errors, never a silent zero or a bare KeyError ----

def adds_in_place(x):
    total = np.zeros(3)
    np.add.at(total, [0, 1, 1], x)
    return np.sum(total ** 2)


def test_ufunc_at_is_refused_instead_of_differentiated_to_zero():
    with pytest.raises(tangent.TangentParseError, match=r'np\.add\.at'):
        tangent.grad(adds_in_place)


def bit_operations(x, n):
    mask = (x > 0.0) | (x < -1.0)
    flags = (n << 1) ^ ~n & n >> 1
    return np.sum(np.where(mask & ~(x > 5.0), x * x, x) * flags)


def test_bit_operations_carry_no_derivative_in_either_mode():
    check_grads(lambda x: bit_operations(x, 6), np.array([0.5, -1.5, -0.3]), order=2)


def quantile_fixed_q(m):
    return np.sum(np.quantile(m * m, 0.3, axis=1) ** 2) + np.nanmedian(m) ** 3


def test_quantiles_with_a_fixed_q_differentiate_again():
    check_grads(quantile_fixed_q, M, order=2)


# What is still not differentiated twice says so with tangent's errors ------------------

def quantile_moving_q(m, q):
    return np.sum(np.quantile(m, q, axis=1) ** 2)


def deleted(x):
    return np.sum(np.delete(x, 1) ** 3)


def polynomial(p, x):
    return np.sum(np.polyval(p, x) ** 2)


def meshgrid_product(x, y):
    u, v = np.meshgrid(x, y)
    return np.sum((u * v) ** 2)


CLEAR_ERRORS = (tangent.TangentParseError, tangent.ReverseNotImplementedError,
                tangent.ForwardNotImplementedError)


@pytest.mark.parametrize('function, args, inner, outer', [
    (quantile_moving_q, (M, 0.4), 'reverse', 'reverse'),
    (quantile_moving_q, (M, 0.4), 'reverse', 'forward'),
    (deleted, (X,), 'reverse', 'reverse'),
    (polynomial, (X, X[:2]), 'reverse', 'reverse'),
    (meshgrid_product, (X, X[:2]), 'reverse', 'forward'),
    (qr_product, (SQUARE,), 'reverse', 'reverse'),
], ids=lambda v: getattr(v, '__name__', None))
def test_second_derivatives_not_written_raise_tangent_errors(function, args, inner, outer):
    first = tangent.autodiff(function, mode=inner, wrt=tuple(range(len(args))),
                             check_dims=False)
    with pytest.raises(CLEAR_ERRORS) as raised:
        second = tangent.autodiff(first, mode=outer, wrt=tuple(range(len(args))),
                                  check_dims=False)
        extra = [np.ones_like(np.asarray(a)) for a in args] if outer == 'forward' else [1.0]
        second(*args, 1.0, *extra)
    assert type(raised.value) in CLEAR_ERRORS


def diagonal_placed_and_read(a):
    return np.sum(np.diag(np.diag(a) ** 2, 1) * np.sin(a[0, 0])) + \
        np.sum(np.diagonal(a * a, 1) ** 3)


def diagonal_from_a_vector(v):
    return np.sum(np.diag(v * v, -1) ** 2)


def test_diagonal_gradients_are_differentiated_again():
    # Their helpers write the seed through a view of a new array: declared linear, they
    # are differentiated by their transposes instead of from that source.
    check_grads(diagonal_placed_and_read, SQUARE, order=2)
    check_grads(diagonal_from_a_vector, SQUARE[0], order=2)


def comprehension_then_append(x):
    total = 0.0
    for _ in range(2):
        items = [np.sin(e) for e in np.array([x, 2.0 * x])]
        for _ in range(2):
            items.append(x * items[0])
        total = total + items[2]
    return total


def test_a_comprehension_appended_to_later_is_differentiated_again():
    # The list used to be built under a temporary and bound to items after: two names
    # for one list, whose pops the second derivative tracked apart (fuzzer, order 2).
    check_grads(comprehension_then_append, 0.3, order=2)

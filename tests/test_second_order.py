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


def kron(a, b):
    return np.sum(np.kron(a, b) ** 2)


def test_linear_algebra_differentiates_again():
    check_grads(solve, SQUARE, X, order=2)
    check_grads(inverse, SQUARE, order=2)
    check_grads(cholesky, SPD, order=2)
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

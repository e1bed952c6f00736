"""Rules for NumPy functions that programs written elsewhere call: ufunc reductions
(``np.add.reduce``), statistics (``np.cov``, ``np.corrcoef``, ``np.nanvar``),
``np.vander``, ``np.select`` and the SVD and least squares of ``np.linalg``.

Each is checked with ``check_grads(..., order=2)``: reverse (joint and split) and
forward mode, and the second-order compositions, against central finite
differences. Calls outside what a rule covers must raise tangent's clear error.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent
from tangent.testing import check_grads

MODES = ('reverse', 'forward')
M = np.array([[0.3, -1.2, 0.7, 0.15], [1.1, 0.4, -0.5, 0.9], [-0.8, 0.25, 1.3, -0.35]])


# Ufunc methods ---------------------------------------------------------------------------

def add_reduce_default_axis(x):
    return np.sum(np.add.reduce(x) ** 2)


def add_reduce_positional_axis_keepdims(x):
    return np.sum(np.add.reduce(x, 1, None, None, True) * x)


def multiply_reduce_rows(x):
    return np.sum(np.multiply.reduce(x, axis=1) ** 2)


def maximum_reduce_keepdims(x):
    return np.sum(np.maximum.reduce(x, axis=1, keepdims=True) * x)


def minimum_reduce_all(x):
    return np.minimum.reduce(x, axis=None) * np.sum(x)


def logaddexp_reduce_last_axis(x):
    return np.sum(np.logaddexp.reduce(x, axis=-1) ** 2)


def logaddexp_reduce_all(x):
    return np.logaddexp.reduce(x, axis=None) ** 2


def add_accumulate_rows(x):
    return np.sum(np.add.accumulate(x, 1) ** 2)


def multiply_accumulate_default_axis(x):
    return np.sum(np.multiply.accumulate(x) ** 2)


@pytest.mark.parametrize('function', [
    add_reduce_default_axis, add_reduce_positional_axis_keepdims, multiply_reduce_rows,
    maximum_reduce_keepdims, minimum_reduce_all, logaddexp_reduce_last_axis,
    logaddexp_reduce_all, add_accumulate_rows, multiply_accumulate_default_axis,
], ids=lambda f: f.__name__)
def test_ufunc_method_to_second_order(function):
    check_grads(function, M, modes=MODES, order=2)


def test_ufunc_reduce_default_axis_is_zero():
    gradient = tangent.grad(add_reduce_default_axis)(M)
    np.testing.assert_allclose(gradient, 2.0 * np.broadcast_to(M.sum(axis=0), M.shape))


def test_logaddexp_reduce_gradient_is_the_softmax():
    gradient = tangent.grad(lambda x: np.sum(np.logaddexp.reduce(x, axis=1)))(M)
    softmax = np.exp(M) / np.sum(np.exp(M), axis=1, keepdims=True)
    np.testing.assert_allclose(gradient, softmax, rtol=1e-12)


def test_ufunc_reduce_keeps_float32():
    x = M.astype(np.float32)
    for function in (add_reduce_default_axis, logaddexp_reduce_last_axis,
                     add_accumulate_rows):
        gradient = tangent.grad(function)(x)
        assert gradient.dtype == np.float32
        np.testing.assert_allclose(gradient, tangent.grad(function)(M), rtol=1e-4, atol=1e-5)


def reduce_with_initial(x):
    return np.sum(np.add.reduce(x, initial=1.0))


def reduce_with_where(x):
    return np.sum(np.add.reduce(x, where=x > 0.0))


def maximum_reduce_with_dtype(x):
    return np.sum(np.maximum.reduce(x, dtype=np.float64))


def accumulate_without_an_axis(x):
    return np.sum(np.add.accumulate(x, axis=None))


def subtract_reduce(x):
    return np.sum(np.subtract.reduce(x))


def add_reduceat(x):
    return np.sum(np.add.reduceat(x, [0, 1]))


@pytest.mark.parametrize('function, name', [
    (reduce_with_initial, 'numpy.add.reduce'), (reduce_with_where, 'numpy.add.reduce'),
    (maximum_reduce_with_dtype, 'numpy.maximum.reduce'),
    (accumulate_without_an_axis, 'numpy.add.accumulate'),
    (subtract_reduce, 'numpy.subtract.reduce'), (add_reduceat, 'numpy.add.reduceat'),
], ids=lambda value: getattr(value, '__name__', value))
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_other_ufunc_method_calls_raise_naming_the_method(function, name, mode):
    error = (tangent.ReverseNotImplementedError if mode == 'reverse'
             else tangent.ForwardNotImplementedError)
    with pytest.raises(error, match=name.replace('.', r'\.')):
        tangent.autodiff(function, mode=mode)


# Statistics, Vandermonde matrices and selections ------------------------------------------

Y = np.array([[0.5, 0.1, -0.9, 0.6]])
V = np.array([0.3, -1.2, 0.7, 0.15, 1.1])
WEIGHTS_3 = np.arange(9.0).reshape(3, 3)
WEIGHTS_4 = np.arange(16.0).reshape(4, 4)
PRESENT = np.array([True, False, True, True])


def cov_of_rows(m):
    return np.sum(np.cov(m) * WEIGHTS_3)


def cov_of_columns_ddof0(m):
    return np.sum(np.cov(m, rowvar=False, ddof=0) ** 2)


def cov_of_a_vector(v):
    return np.cov(v) ** 2


def cov_with_y_biased(m, y):
    return np.sum(np.cov(m, y, bias=True) * WEIGHTS_4)


def corrcoef_of_rows(m):
    return np.sum(np.corrcoef(m) * WEIGHTS_3)


def corrcoef_with_y(m, y):
    return np.sum(np.corrcoef(m, y) ** 3)


def corrcoef_of_columns(m):
    return np.sum(np.corrcoef(m, rowvar=False) * WEIGHTS_4)


def vander_square(v):
    return np.sum(np.vander(v) * np.arange(25.0).reshape(5, 5))


def vander_increasing_three_columns(v):
    return np.sum(np.vander(v, 3, increasing=True) ** 2)


def select_with_default(m, y):
    return np.sum(np.select([m > 0.6, m < -0.6], [m ** 2, y * m], default=y) ** 2)


def select_default_zero(m):
    return np.sum(np.select([m > 0.5], [np.sin(m)]) ** 2)


def nanvar_rows(m):
    return np.sum(np.nanvar(np.where(PRESENT, m, np.nan), axis=1) ** 2)


def nanstd_rows_ddof1_keepdims(m):
    return np.sum(np.nanstd(np.where(PRESENT, m, np.nan), axis=1, ddof=1, keepdims=True) * m)


def nanvar_all(m):
    return np.nanvar(m) ** 2


@pytest.mark.parametrize('function, args', [
    (cov_of_rows, (M,)), (cov_of_columns_ddof0, (M,)), (cov_of_a_vector, (V,)),
    (cov_with_y_biased, (M, Y)), (corrcoef_of_rows, (M,)), (corrcoef_with_y, (M, Y)),
    (corrcoef_of_columns, (M,)), (vander_square, (V,)),
    (vander_increasing_three_columns, (V,)), (select_with_default, (M, M[0])),
    (select_default_zero, (M,)), (nanvar_rows, (M,)), (nanstd_rows_ddof1_keepdims, (M,)),
    (nanvar_all, (M,)),
], ids=lambda value: getattr(value, '__name__', ''))
def test_statistics_and_selections_to_second_order(function, args):
    check_grads(function, *args, modes=MODES, order=2)


def test_nanvar_gives_nan_entries_no_gradient():
    gradient = tangent.grad(nanvar_rows)(M)
    assert np.all(gradient[:, 1] == 0.0)
    present = M[:, PRESENT]
    variance = np.var(present, axis=1)
    expected = 2.0 * variance[:, None] * 2.0 * (present - present.mean(axis=1, keepdims=True)) \
        / present.shape[1]
    np.testing.assert_allclose(gradient[:, PRESENT], expected, rtol=1e-12)


def test_cov_gradient_matches_the_centred_formula():
    # d/dX sum(W * cov(X)) = (W + W^T) Xc / (n - 1)
    centred = M - M.mean(axis=1, keepdims=True)
    expected = (WEIGHTS_3 + WEIGHTS_3.T) @ centred / (M.shape[1] - 1)
    np.testing.assert_allclose(tangent.grad(cov_of_rows)(M), expected, rtol=1e-12)


def test_statistics_keep_float32():
    x = M.astype(np.float32)
    for function in (cov_of_columns_ddof0, corrcoef_with_y, nanvar_rows,
                     vander_increasing_three_columns):
        args = (x, Y.astype(np.float32)) if function is corrcoef_with_y else (x[0],) if \
            function is vander_increasing_three_columns else (x,)
        gradient = tangent.grad(function)(*args)
        assert gradient.dtype == np.float32, function.__name__
        np.testing.assert_allclose(gradient, tangent.grad(function)(
            *[np.asarray(arg, dtype=np.float64) for arg in args]), rtol=1e-3, atol=1e-4)


def weighted_cov(m):
    return np.sum(np.cov(m, fweights=np.array([1, 2, 1, 1])))


def test_weighted_cov_raises_naming_the_function():
    with pytest.raises(tangent.ReverseNotImplementedError, match=r'np\.cov .*fweights'):
        tangent.grad(weighted_cov)(M)
    with pytest.raises(tangent.ForwardNotImplementedError, match=r'np\.cov .*fweights'):
        tangent.autodiff(weighted_cov, mode='forward')(M, np.ones_like(M))


# SVD and least squares ----------------------------------------------------------------------

A = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5], [-0.8, 0.25, 1.3], [0.6, 0.9, -0.2]])
B = np.array([0.5, 0.1, -0.9, 0.6])
B2 = np.stack([B, B[::-1] * 0.7], axis=1)
W = np.arange(12.0).reshape(4, 3) / 10.0


def singular_values_cubed(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 3)


def singular_values_of_wide(a):
    return np.sum(np.linalg.svd(a.T, compute_uv=False) ** 3)


def svd_every_factor_read(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u[:, 0] ** 2 * np.arange(4.0)) + np.sum(s * s) + np.sum(vh * W[:3])


def svd_reassembled_with_abs(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum((u * s) @ np.abs(vh))


def svd_of_wide_vectors(a):
    u, _, vh = np.linalg.svd(a.T, full_matrices=False)
    return np.sum(u ** 3) + np.sum(vh ** 3 * W.T)


def svd_of_square_default(a):
    u, _, vh = np.linalg.svd(a[:3])
    return np.sum(u ** 3) + np.sum(vh[0] ** 3)


def lstsq_solution(a, b):
    return np.sum(np.linalg.lstsq(a, b, rcond=None)[0] ** 2)


def lstsq_solution_columns(a, b):
    return np.sum(np.linalg.lstsq(a, b)[0] * W[:3, :2])


def lstsq_every_item(a, b):
    solution, residuals, _, singular_values = np.linalg.lstsq(a, b)
    return np.sum(solution ** 2) + 2.0 * np.sum(residuals) + np.sum(singular_values ** 2)


@pytest.mark.parametrize('function, args', [
    (singular_values_cubed, (A,)), (singular_values_of_wide, (A,)),
    (svd_every_factor_read, (A,)), (svd_reassembled_with_abs, (A,)),
    (svd_of_wide_vectors, (A,)), (svd_of_square_default, (A,)),
    (lstsq_solution, (A, B)), (lstsq_solution_columns, (A, B2)),
    (lstsq_every_item, (A, B)), (lstsq_every_item, (A, B2)),
], ids=lambda value: getattr(value, '__name__', ''))
def test_svd_and_lstsq_to_second_order(function, args):
    check_grads(function, *args, modes=MODES, order=2)


def test_singular_values_gradient_is_u_vt():
    u, _, vh = np.linalg.svd(A, full_matrices=False)
    gradient = tangent.grad(lambda a: np.sum(np.linalg.svd(a, compute_uv=False)))(A)
    np.testing.assert_allclose(gradient, u @ vh, rtol=1e-12, atol=1e-12)


def test_lstsq_gradient_in_b_is_through_the_pseudo_inverse():
    gradient = tangent.grad(lstsq_solution, wrt=(1,))(A, B)
    solution = np.linalg.pinv(A) @ B
    np.testing.assert_allclose(gradient, np.linalg.pinv(A).T @ (2.0 * solution), rtol=1e-10)


def test_svd_and_lstsq_keep_float32():
    a32, b32 = A.astype(np.float32), B.astype(np.float32)
    for function, args in ((svd_every_factor_read, (a32,)), (lstsq_solution, (a32, b32))):
        gradient = tangent.grad(function)(*args)
        assert gradient.dtype == np.float32, function.__name__
        np.testing.assert_allclose(gradient, tangent.grad(function)(
            *[np.asarray(arg, dtype=np.float64) for arg in args]), rtol=1e-3, atol=1e-3)


def full_svd_of_tall(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u) + np.sum(s)


def lstsq_of_wide(a, b):
    return np.sum(np.linalg.lstsq(a.T, b[:3])[0])


def lstsq_of_rank_deficient(a, b):
    return np.sum(np.linalg.lstsq(a * np.array([1.0, 1.0, 0.0]), b)[0])


@pytest.mark.parametrize('function, args, message', [
    (full_svd_of_tall, (A,), r'np\.linalg\.svd .*full_matrices=True of a 4x3'),
    (lstsq_of_wide, (A, B), r'np\.linalg\.lstsq .*3x4 matrix'),
    (lstsq_of_rank_deficient, (A, B), r'np\.linalg\.lstsq .*of rank 2'),
], ids=lambda value: getattr(value, '__name__', ''))
def test_svd_and_lstsq_outside_their_derivative_raise(function, args, message):
    with pytest.raises(tangent.ReverseNotImplementedError, match=message):
        tangent.grad(function)(*args)
    with pytest.raises(tangent.ForwardNotImplementedError, match=message):
        tangent.autodiff(function, mode='forward')(*args, np.ones_like(args[0]))


# Polynomial fits --------------------------------------------------------------------------

SAMPLES = np.array([0.3, -1.2, 0.7, 0.15, 1.1, -0.4])
VALUES = np.sin(2.0 * SAMPLES) + 0.3


def quadratic_fit(x, y):
    return np.sum(np.polyfit(x, y, 2) * np.array([1.0, -2.0, 0.5]))


def cubic_fit_squared(x, y):
    return np.sum(np.polyfit(x, y, 3) ** 2)


def line_fits_of_columns(x, y):
    return np.sum(np.polyfit(x, y, 1) ** 2)


@pytest.mark.parametrize('function, args', [
    (quadratic_fit, (SAMPLES, VALUES)), (cubic_fit_squared, (SAMPLES, VALUES)),
    (line_fits_of_columns, (SAMPLES, np.stack([VALUES, VALUES[::-1]], axis=1))),
], ids=lambda value: getattr(value, '__name__', ''))
def test_polyfit_to_second_order(function, args):
    check_grads(function, *args, modes=MODES, order=2, wrt=(0, 1))


def test_polyfit_is_linear_in_y():
    gradient = tangent.grad(quadratic_fit, wrt=(1,))(SAMPLES, VALUES)
    expected = np.linalg.pinv(np.vander(SAMPLES, 3)).T @ np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(gradient, expected, rtol=1e-10)


def weighted_fit(x, y):
    return np.sum(np.polyfit(x, y, 1, w=np.ones(6)))


def fit_with_too_few_points(x, y):
    return np.sum(np.polyfit(x[:2], y[:2], 2))


@pytest.mark.parametrize('function', [weighted_fit, fit_with_too_few_points],
                         ids=lambda f: f.__name__)
def test_polyfit_outside_its_derivative_raises(function):
    with pytest.raises(tangent.ReverseNotImplementedError, match=r'np\.polyfit'):
        tangent.grad(function, wrt=(1,))(SAMPLES, VALUES)
    with pytest.raises(tangent.ForwardNotImplementedError, match=r'np\.polyfit'):
        tangent.autodiff(function, mode='forward', wrt=(1,))(SAMPLES, VALUES, VALUES)

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

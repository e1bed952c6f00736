"""Longer derivative formulas shared by the rules: products, powers, logs, casts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tangent.runtime.dispatch import backend_overridable
from tangent.runtime.shapes import _is_floating, astype, unbroadcast, unreduce_like


@backend_overridable('dy', 'x1', 'x2')
def grad_dot(dy: Any, x1: Any, x2: Any) -> Any:
    """Gradient with respect to `x1` of `z = np.dot(x1, x2)`, given `dy = dL/dz`.

    Handles every case of np.dot: scalar operands (plain multiplication), vector and
    matrix products, and N-D x M-D (the last axis of `x1` contracted with the
    second-to-last axis of `x2`). The result has `x1`'s shape and, for floating
    `x1`, its dtype.
    """
    nd1 = np.ndim(x1)
    nd2 = np.ndim(x2)
    if nd1 == 2 and nd2 == 2:
        result = np.dot(dy, np.transpose(x2))
    elif nd1 == 0 or nd2 == 0:
        # np.dot of a scalar is broadcasting multiplication.
        result = unbroadcast(np.multiply(dy, x2), x1)
        if nd1 == 0:
            return result  # unbroadcast already matched x1's scalar type
    elif nd2 == 1:
        # z[i...] = sum_k x1[i..., k] x2[k]: covers 1-D.1-D, 2-D.1-D and N-D.1-D.
        result = np.dot(dy, x2) if nd1 == 1 else np.multiply.outer(dy, x2)
    elif nd1 == 1 and nd2 == 2:
        result = np.dot(x2, dy)
    else:
        # z[i..., j..., l] = sum_k x1[i..., k] x2[j..., k, l]: contract dy's trailing
        # j..., l axes with x2's; the free axes come out in x1's order (i..., k).
        dy_axes = tuple(range(nd1 - 1, nd1 - 1 + nd2 - 1))
        x2_axes = tuple(range(nd2 - 2)) + (nd2 - 1,)
        result = np.tensordot(dy, x2, axes=(dy_axes, x2_axes))
    dtype = getattr(x1, "dtype", None)
    if _is_floating(dtype) and result.dtype != dtype:
        result = result.astype(dtype)
    return result


@backend_overridable('x')
def safe_log(x: Any) -> Any:
    """log(x) where x > 0 and 0 where x == 0: the d/dy factor of x ** y.

    At x == 0 the term it multiplies (x ** y) is zero, so the product is 0
    instead of 0 * -inf.
    """
    if isinstance(x, (int, float)):
        return math.log(x) if x != 0 else 0.0
    x = np.asarray(x)
    return np.log(np.where(x == 0, 1, x))


@backend_overridable('x', 'y')
def power_slope(x: Any, y: Any, order: int = 1) -> Any:
    """The ``order``-th derivative of ``x ** y`` with respect to x, exactly:
    ``y * (y - 1) * ... * (y - order + 1) * x ** (y - order)``.

    Where that coefficient is zero (an integer exponent ``0 <= y < order``) the
    derivative is 0: the formula would give ``0 * x ** -1``, NaN at x == 0 (a
    ZeroDivisionError for floats). No division and no logarithm, so an integer
    exponent is exact at x == 0 and at negative x. Elsewhere at x == 0 the
    value is what the power gives: infinite for ``y < order``.
    """
    if isinstance(y, (int, float)):
        coefficient = math.prod(y - k for k in range(order))
        if coefficient == 0:
            return 0.0 * x
        if isinstance(x, (int, float)):
            if x == 0 and y < order:  # Python raises here; the derivative is infinite
                with np.errstate(divide='ignore'):
                    return coefficient * float(np.float64(0.0) ** (y - order))
            return coefficient * float(x) ** (y - order)
        return coefficient * x ** (y - order)
    y = np.asarray(y)
    coefficient = _falling_factorial(y, order)
    exponent = np.where(coefficient == 0, 1, y - order)  # any finite power will do there
    return coefficient * np.asarray(x) ** exponent


def _falling_factorial(y: Any, order: int) -> Any:
    coefficient = 1
    for k in range(order):
        coefficient = coefficient * (y - k)
    return coefficient


@backend_overridable('x', 'y')
def power_slope_exponent(x: Any, y: Any, order: int = 1) -> Any:
    """The derivative of ``power_slope(x, y, order)`` with respect to the exponent y:
    ``c'(y) x ** (y - order) + c(y) x ** (y - order) log x`` with c the falling
    factorial; the logarithm's term is 0 at x == 0, where the power is."""
    y_array = np.asarray(y, dtype=float)
    coefficient = _falling_factorial(y_array, order)
    # c'(y) by the product rule: the factors before y - j times those after it.
    rate = sum(_falling_factorial(y_array, j) * _product_skipping(y_array, order, j)
               for j in range(order))
    power = np.asarray(x, dtype=float) ** (y_array - order)
    result = rate * power + coefficient * power * safe_log(x)
    return result if np.ndim(result) else float(result)


def _product_skipping(y: Any, order: int, skipped: int) -> Any:
    """The product of ``y - k`` for k in ``skipped + 1 .. order - 1``."""
    product = 1.0
    for k in range(skipped + 1, order):
        product = product * (y - k)
    return product


@backend_overridable('dy', 'x1', 'x2')
def grad_dot_right(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``np.dot(x1, x2)`` with respect to ``x2`` given ``dy``."""
    x1_arr, x2_arr = np.asarray(x1), np.asarray(x2)
    if x1_arr.ndim == 0 or x2_arr.ndim == 0:
        return unbroadcast(dy * x1_arr, x2)
    if x2_arr.ndim == 1:
        # x1 (..., k) . x2 (k,) -> (...): contract dy against x1 over all leading axes
        result = np.tensordot(x1_arr, dy, axes=(list(range(x1_arr.ndim - 1)),
                                                list(range(np.ndim(dy)))))
    else:
        # x1 (..., k) . x2 (..., k, m) -> (x1 leading..., x2 leading..., m)
        lead1 = x1_arr.ndim - 1
        dy = np.asarray(dy)
        result = np.tensordot(x1_arr, dy, axes=(list(range(lead1)), list(range(lead1))))
        # result axes: (k, x2 leading..., m) -> move k to x2's second-to-last place
        result = np.moveaxis(result, 0, -2)
    return astype(result, x2)


def _plain_matrices(dz: Any, x: Any, y: Any) -> bool:
    """2-D arrays of one dtype: the common case, needing no broadcasting or cast."""
    return (type(dz) is np.ndarray and type(x) is np.ndarray and type(y) is np.ndarray
            and dz.ndim == 2 and x.ndim == 2 and y.ndim == 2
            and dz.dtype == x.dtype == y.dtype)


def _matrix_vector(dz: Any, x: Any, y: Any) -> bool:
    """``x @ y`` of a 2-D ``x`` and a 1-D ``y`` of one dtype (a matrix-vector product)."""
    return (type(dz) is np.ndarray and type(x) is np.ndarray and type(y) is np.ndarray
            and x.ndim == 2 and y.ndim == 1 and dz.ndim == 1
            and dz.dtype == x.dtype == y.dtype)


@backend_overridable('dz', 'x', 'y')
def grad_matmul_left(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``x`` given ``dz``."""
    if _plain_matrices(dz, x, y):
        return dz @ y.T
    if _matrix_vector(dz, x, y):
        return np.outer(dz, y)
    x_arr, y_arr = np.asarray(x), np.asarray(y)
    dz = np.asarray(dz)
    if y_arr.ndim == 1:
        if x_arr.ndim == 1:
            return astype(dz * y_arr, x)
        return astype(unbroadcast(dz[..., None] * y_arr, x), x)
    if x_arr.ndim == 1:
        return astype(unbroadcast(np.matmul(y_arr, dz[..., None])[..., 0], x), x)
    return astype(unbroadcast(np.matmul(dz, np.swapaxes(y_arr, -1, -2)), x), x)


@backend_overridable('dz', 'x', 'y')
def grad_matmul_right(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``y`` given ``dz``."""
    if _plain_matrices(dz, x, y):
        return x.T @ dz
    if _matrix_vector(dz, x, y):
        return dz @ x
    x_arr, y_arr = np.asarray(x), np.asarray(y)
    dz = np.asarray(dz)
    if x_arr.ndim == 1:
        if y_arr.ndim == 1:
            return astype(dz * x_arr, y)
        return astype(unbroadcast(x_arr[:, None] * dz[..., None, :], y), y)
    if y_arr.ndim == 1:
        return astype(unbroadcast(np.matmul(np.swapaxes(x_arr, -1, -2), dz[..., None])[..., 0],
                                  y), y)
    return astype(unbroadcast(np.matmul(np.swapaxes(x_arr, -1, -2), dz), y), y)


def grad_det(dy: Any, y: Any, a: Any) -> Any:
    """The gradient of ``np.linalg.det(a)``: ``dy * det(a) * inv(a).T`` (batched)."""
    scale = np.asarray(dy * y)[..., None, None]
    return scale * np.swapaxes(np.linalg.inv(a), -1, -2)


def inverse_permutation(axes: Any) -> Any:
    """The ``axes`` argument of np.transpose that undoes ``np.transpose(x, axes)``."""
    if axes is None:
        return None
    return tuple(np.argsort(axes))


def _cast_is_constant(dtype: Any) -> bool:
    """Whether a cast to ``dtype`` is piecewise constant (integers and booleans), so that
    no derivative passes through it; a cast to a floating dtype passes it unchanged."""
    return dtype is not None and np.dtype(dtype).kind in "biu"


def unarray(grad: Any, like: Any, dtype: Any = None) -> Any:
    """The gradient of ``np.array(like, dtype)`` given as the structure of ``like``.

    ``like`` may be a (nested) list or tuple of numbers and arrays. Through a cast
    to an integer or boolean ``dtype`` the gradient is zero.
    """
    if _cast_is_constant(dtype):
        grad = np.zeros(np.shape(grad))
    if isinstance(like, (list, tuple)):
        if np.ndim(grad) == 0:  # a zeroed slot (x[k] = 0.0): the same for every item
            return type(like)(unarray(grad, item) for item in like)
        return type(like)(unarray(grad[i], item) for i, item in enumerate(like))
    if isinstance(like, np.ndarray):
        if np.ndim(grad) == 0:
            return astype(np.full(like.shape, grad), like)
        return astype(np.reshape(grad, like.shape), like)
    return unbroadcast(grad, like)


def array_tangent(tangent_value: Any, like: Any, dtype: Any = None) -> Any:
    """The tangent of ``np.array(obj, dtype)`` from the tangent of ``obj`` (a nested list).

    Zeros (for items that carry no tangent) become zeros of the item's shape; through
    a cast to an integer or boolean ``dtype`` the tangent is zero.
    """
    if _cast_is_constant(dtype):
        source = getattr(tangent_value, 'dtype', None)  # a float32 tangent stays float32
        return np.zeros(np.shape(like), source if _is_floating(source) else np.float64)
    result_dtype = np.result_type(like, 1.0)  # 1.0 is weak: float32 stays float32
    return np.broadcast_to(np.array(tangent_value, dtype=result_dtype),
                           np.shape(like)).astype(result_dtype, copy=False)


@backend_overridable('value', 'like')
def broadcast_like(value: Any, like: Any) -> Any:
    """``value`` broadcast to the shape of ``like`` (a tangent of a broadcasting result)."""
    shape = np.shape(like)
    if np.shape(value) == shape:
        return value
    if not shape:
        return value
    return np.broadcast_to(value, shape)


def grad_sum_sequence(grad: Any, sequence: Any) -> Any:
    """The gradient of builtin ``sum(sequence)``: each item receives ``grad``.

    A list for a list of items; for an array (whose items are its rows), an array of
    its shape, as for ``np.sum(sequence, axis=0)``.
    """
    if isinstance(sequence, np.ndarray):
        return unreduce_like(grad, sequence, 0, False)
    return [unbroadcast(grad, item) for item in sequence]


def sum_tangents(tangents: Any, like: Any) -> Any:
    """The tangent of builtin ``sum(sequence)``: the sum of the items' tangents."""
    total = 0.0
    for item in tangents:
        total = total + item
    return broadcast_like(total, like)

"""Runtime helpers named by the NumPy (and longer builtin) derivative rules.

A derivative rule stays a few lines by calling one of these for anything
longer: the gradient of a product, of a norm, of einsum, the pieces of a
concatenation. Each takes the output gradient (or an input tangent) first.
They import only NumPy; the backend hands them to the runtime, so generated code
calls them as ``tangent.<name>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tangent.errors import ForwardNotImplementedError, ReverseNotImplementedError

__all__ = [
    'matrix_transpose', 'sinc_derivative', 'clip_passes', 'clip_bound_gradient',
    'where_gradient', 'extremum_share', 'prod_others', 'prod_others_tangent',
    'variance_gradient',
    'variance_tangent', 'reverse_cumsum', 'cumprod_gradient', 'cumprod_tangent',
    'average_gradient', 'average_weights_gradient', 'average_tangent', 'trace_gradient',
    'norm_direction', 'inner_gradient_left', 'inner_gradient_right', 'outer_gradient',
    'tensordot_gradient', 'einsum_gradient', 'kron_gradient', 'solve_gradients',
    'solve_tangent',
    'cholesky_gradient', 'eigh_gradient', 'eigh_tangent', 'slogdet_gradient',
    'slogdet_tangent', 'concatenate_gradient', 'stack_gradient', 'joined_gradient',
    'split_gradient', 'tile_gradient', 'repeat_gradient', 'negated_shift', 'pad_gradient',
    'diag_gradient', 'diagonal_gradient', 'take_gradient', 'take_along_axis_gradient',
    'sort_gradient', 'sort_tangent', 'append_gradient', 'reduced_axes', 'reduction_count',
    'inverse_moveaxis', 'vdot_gradient', 'nan_mask_gradient', 'nan_count',
    'present_operands', 'einsum_tangent', 'average_weights_tangent', 'broadcast_items',
    'linear_pad_mode', 'cholesky_tangent_factor', 'diff_gradient', 'rollaxis_gradient',
    'cumulative_gradient', 'cumulative_tangent', 'trapezoid_weights', 'vector_norm_direction',
    'matrix_norm_direction', 'median_share', 'compress_gradient', 'delete_gradient',
    'multi_dot_gradient', 'multi_dot_tangent', 'remainder_quotient', 'digamma',
    'extremum_gradient', 'extremum_tangent', 'pinv_gradient', 'pinv_tangent', 'qr_gradient',
    'qr_tangent', 'eigvalsh_gradient', 'eigvalsh_tangent', 'matrix_power_gradient',
    'matrix_power_tangent', 'fill_gradient', 'fill_tangent', 'linspace_gradient',
    'linspace_tangent', 'logspace_gradient', 'logspace_tangent', 'geomspace_gradient',
    'geomspace_tangent', 'meshgrid_gradient', 'meshgrid_tangent', 'arange_gradient',
    'arange_tangent', 'convolution_gradient', 'interp_slope', 'interp_fp_gradient',
    'interp_fp_tangent', 'interp_outside', 'interp_slope_fp_gradient', 'slogdet_log_seed',
    'slogdet_pair', 'unless_still', 'polynomial_slope', 'polyval_coefficient_gradient',
    'quantile_gradient', 'quantile_q_gradient', 'quantile_tangent',
    'finite_difference_gradient', 'finite_difference_spacing_gradient',
    'finite_difference_tangent', 'ediff1d_gradient', 'ediff1d_tangent',
    'trapezoid_sample_gradient', 'trapezoid_unit_area', 'bessel_i1', 'prod_sequence_gradient',
    'prod_sequence_tangent', 'dist_gradient', 'dist_tangent', 'unique_gradient',
    'unique_tangent', 'singular_norm_direction', 'no_second_derivative', 'einsum_with',
    'einsum_gradient_operands_gradient', 'einsum_gradient_tangent', 'einsum_tangent_gradients',
    'einsum_tangent_tangent', 'logaddexp_reduce', 'logaddexp_share', 'covariance_gradient',
    'covariance_tangent', 'correlation_gradient', 'correlation_tangent',
    'nan_variance_gradient', 'nan_variance_tangent', 'vander_slopes', 'vander_gradient',
    'select_gradient',
    'select_tangent', 'svd_gradient', 'svd_tangent', 'lstsq_gradient', 'lstsq_tangent',
    'polyfit_gradient', 'polyfit_tangent', 'cholesky_tangent', 'cross_gradient_axes',
]


def _real_dtype(*values: Any) -> np.dtype:
    """The floating dtype a derivative of ``values`` computes in: float32 stays
    float32, integers and booleans become float64."""
    # Python numbers are weak in NumPy's promotion: a float32 array times 1.0 is float32.
    dtype = np.result_type(*[v if isinstance(v, (int, float, complex)) else np.asarray(v).dtype
                             for v in values])
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def _as_gradient(g: Any, *like: Any) -> np.ndarray:
    """``g`` as an array in the dtype of the values it is a gradient for."""
    return np.asarray(g, dtype=_real_dtype(g, *like))


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,)


def _expand(value: Any, ndim: int, axis: Any, keepdims: bool) -> Any:
    """A reduction's result with its reduced axes back (size 1), ready to broadcast."""
    if isinstance(value, (int, float)):
        return value  # broadcasts as it is, and stays weak in NumPy's promotion
    if keepdims or axis is None and np.ndim(value) == 0:
        return np.reshape(value, (1,) * ndim) if np.ndim(value) == 0 and ndim else value
    return np.expand_dims(value, _axes(axis, ndim))


def reduced_axes(ndim: int, axis: Any) -> tuple[int, ...]:
    """The axes a reduction with ``axis`` sums over, for an ``ndim``-dimensional input."""
    return _axes(axis, ndim)


def reduction_count(a: Any, axis: Any) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    shape = np.shape(a)
    count = 1
    for item in _axes(axis, len(shape)):
        count *= shape[item]
    return count


def matrix_transpose(x: Any) -> Any:
    """Swap the last two axes (the transpose of a stack of matrices)."""
    return np.swapaxes(x, -1, -2)


def sinc_derivative(x: Any, y: Any) -> Any:
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, which is 0 at x = 0."""
    x = np.asarray(x, dtype=_real_dtype(x))
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - y) / safe)


def remainder_quotient(x: Any, y: Any, z: Any) -> Any:
    """The whole number ``k`` with ``z = x - k * y`` for a remainder ``z`` of ``x`` by
    ``y`` (``%``, ``np.mod``, ``np.fmod``, ``math.fmod``, ``math.remainder``), so that
    ``dz/dx = 1`` and ``dz/dy = -k`` wherever the remainder is continuous."""
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return float(round((x - z) / y))
    quotient = (np.asarray(x) - z) / y
    return np.round(quotient).astype(_real_dtype(quotient), copy=False)


def digamma(x: float) -> float:
    """The digamma function ``psi = Gamma' / Gamma``, the derivative of ``math.lgamma``
    (NaN at the poles 0, -1, -2, ...), to about 1e-14."""
    x = float(x)
    if x <= 0.0 and x == int(x):
        return float('nan')
    if x < 0.5:  # the reflection formula psi(1 - x) - psi(x) = pi / tan(pi x)
        return digamma(1.0 - x) - float(np.pi / np.tan(np.pi * x))
    shift = 0.0
    while x < 10.0:  # psi(x) = psi(x + 1) - 1 / x, up to where the series is accurate
        shift -= 1.0 / x
        x += 1.0
    # The asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k).
    u = 1.0 / (x * x)
    series = u * (1 / 12 - u * (1 / 120 - u * (1 / 252 - u * (1 / 240 - u / 132))))
    return shift + float(np.log(x)) - 0.5 / x - series


def _equal_count(hits: list) -> Any:
    count = 0
    for hit in hits:
        count = count + np.asarray(hit, dtype=np.int64)
    return count


def _in_dtype_of(share: Any, like: Any) -> Any:
    """``share`` in ``like``'s floating dtype when that is not float64 (float32 stays)."""
    dtype = _narrow_float_dtype(like)
    if dtype is not None:
        return np.asarray(share, dtype=dtype)
    return share


def _narrow_float_dtype(like: Any) -> Any:
    """``like``'s dtype if it is a floating dtype other than float64, else None."""
    dtype = getattr(like, 'dtype', None)
    return dtype if dtype is not None and dtype.kind == 'f' and dtype != np.float64 else None


def _extremum_items(items: Any, z: Any) -> tuple:
    """For builtin ``z = max(items)``: which items equal ``z``, and how many do."""
    if isinstance(items, np.ndarray):
        hits = items == z
        return hits, np.sum(hits, axis=0, keepdims=True)
    hits = [np.equal(item, z) for item in items]
    return hits, _equal_count(hits)


def extremum_gradient(g: Any, z: Any, arguments: tuple, index: int | None = None) -> Any:
    """The gradient of builtin ``z = max(*arguments)`` (or ``min``) reaching
    ``arguments[index]``; with one argument, ``z = max(iterable)``, the gradient of
    the iterable, its items equal to ``z`` receiving it. Ties share it equally.
    Arguments that are None were not passed. With ``index`` None, the gradients of
    all arguments, as a tuple (the transpose of ``extremum_tangent``).
    """
    if index is None:
        return tuple(0.0 if argument is None else extremum_gradient(g, z, arguments, i)
                     for i, argument in enumerate(arguments))
    present = [argument for argument in arguments if argument is not None]
    if len(present) == 1:
        items = present[0]
        hits, count = _extremum_items(items, z)
        if isinstance(items, np.ndarray):
            return np.asarray(g * hits / count, dtype=_real_dtype(g, items))
        return type(items)(g * _in_dtype_of(hit / count, item) for hit, item in
                           zip(hits, items))
    hits = [np.equal(argument, z) for argument in present]
    return g * _in_dtype_of(hits[index] / _equal_count(hits), present[index])


def extremum_tangent(z: Any, arguments: tuple, tangents: Any, index: int | None = None) -> Any:
    """The tangent of builtin ``z = max(*arguments)`` (or ``min``, or ``max(iterable)``)
    given the arguments' tangents: the mean tangent of the arguments (items) equal to
    ``z``. With ``index``, ``tangents`` is the tangent of ``arguments[index]`` alone
    (the transpose of ``extremum_gradient``).
    """
    if index is None:
        total = 0.0
        for i, argument_tangent in enumerate(tangents):
            if arguments[i] is not None:
                total = total + extremum_tangent(z, arguments, argument_tangent, i)
        return total
    present = [argument for argument in arguments if argument is not None]
    if len(present) == 1:
        items = present[0]
        hits, count = _extremum_items(items, z)
        if isinstance(items, np.ndarray):
            total = np.sum(hits * np.broadcast_to(tangents, items.shape), axis=0)
            return np.asarray(total / count[0], dtype=_real_dtype(total, items))
        total = 0.0
        for hit, item_tangent in zip(hits, tangents):
            total = total + hit * item_tangent
        return _in_dtype_of(total / count, z)
    hits = [np.equal(argument, z) for argument in present]
    return _in_dtype_of(hits[index] / _equal_count(hits), z) * tangents


def clip_passes(a: Any, a_min: Any, a_max: Any) -> Any:
    """Where ``np.clip`` passes ``a`` through (1.0) rather than a bound (0.0)."""
    passes = np.ones(np.shape(a), dtype=bool)
    if a_min is not None:
        passes &= np.asarray(a) >= a_min
    if a_max is not None:
        passes &= np.asarray(a) <= a_max
    return passes


def clip_bound_gradient(g: Any, a: Any, bound: Any, lower: bool, other: Any) -> Any:
    """The gradient reaching a clip bound, where it replaced ``a`` (before
    summing it down to the bound's shape)."""
    if bound is None:
        return None
    hit = np.asarray(a) < bound if lower else np.asarray(a) > bound
    if other is not None and lower:
        hit &= np.asarray(bound) <= other
    return np.where(hit, g, 0.0)


def where_gradient(g: Any, condition: Any, like: Any, taken_when: bool) -> Any:
    """The part of ``g`` that ``np.where`` took from ``like`` (before summing it
    down to ``like``'s shape)."""
    chosen = np.asarray(condition, dtype=bool)
    return np.where(chosen if taken_when else ~chosen, g, 0.0)


def extremum_share(y: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """Each element's share of a max or min: 1/k for the k elements equal to it.

    At a tie the derivative does not exist; splitting it equally gives the
    average of the one-sided derivatives, which is what finite differences see.
    """
    a = np.asarray(a)
    full = _expand(y, a.ndim, axis, keepdims)
    hits = (a == full).astype(_real_dtype(a))
    return hits / np.sum(hits, axis=_axes(axis, a.ndim) if a.ndim else None, keepdims=True)


def logaddexp_reduce(a: Any, axis: Any = 0, dtype: Any = None, keepdims: bool = False) -> Any:
    """``np.logaddexp.reduce(a, axis, dtype, keepdims=keepdims)``, log(sum(exp(a))) along
    ``axis``: what calls of that bound method are written as, so that a rule applies."""
    return np.logaddexp.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)


def logaddexp_share(y: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """exp(a - y) for ``y = logaddexp_reduce(a, axis)``: each element's share of the
    sum, the softmax along ``axis``, which is the derivative of y in a."""
    a = np.asarray(a)
    return np.exp(a - _expand(y, a.ndim, axis, keepdims))


def prod_others(a: Any, axis: Any) -> Any:
    """For each element, the product of the others in its reduction (exact with zeros)."""
    a = np.asarray(a, dtype=_real_dtype(a))
    if a.ndim == 0:
        return np.ones_like(a)
    axes = _axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=a.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


def prod_others_tangent(a: Any, da: Any, axis: Any) -> Any:
    """The tangent of ``prod_others(a, axis)`` along ``da``, exact with zeros.

    Element i moves by the sum, over the other elements j of its reduction, of
    ``da[j]`` times the product of the elements other than i and j: a zero
    outside {i, j} makes a term vanish, so what is left depends on how many
    zeros lie among the others. The Jacobian is symmetric, so this is also
    ``prod_others``'s adjoint.
    """
    a = np.asarray(a, dtype=_real_dtype(a))
    da = np.broadcast_to(np.asarray(da, dtype=a.dtype), a.shape)
    if a.ndim == 0:
        return np.zeros_like(a)
    axes = _axes(axis, a.ndim)
    is_zero = a == 0
    nonzero = np.where(is_zero, 1.0, a)
    zeros = is_zero.astype(a.dtype)
    zeros_among_others = np.sum(zeros, axis=axes, keepdims=True) - zeros
    ratios = da / nonzero
    no_zero_among_others = np.sum(ratios, axis=axes, keepdims=True) - ratios
    at_zeros = zeros * da
    one_zero_among_others = np.sum(at_zeros, axis=axes, keepdims=True) - at_zeros
    factor = np.where(zeros_among_others == 0, no_zero_among_others,
                      np.where(zeros_among_others == 1, one_zero_among_others, 0.0))
    return np.prod(nonzero, axis=axes, keepdims=True) / nonzero * factor


def variance_gradient(g: Any, a: Any, axis: Any, ddof: int, keepdims: bool) -> Any:
    """The gradient of ``np.var(a, axis, ddof=ddof, keepdims=keepdims)``."""
    a = np.asarray(a)
    count = reduction_count(a, axis) - ddof
    centred = a - np.mean(a, axis=_axes(axis, a.ndim) if a.ndim else None, keepdims=True)
    return _expand(g, a.ndim, axis, keepdims) * 2.0 * centred / count


def variance_tangent(da: Any, a: Any, axis: Any, ddof: int, keepdims: bool) -> Any:
    """The tangent of ``np.var`` given the input's tangent ``da``."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim) if a.ndim else None
    count = reduction_count(a, axis) - ddof
    centred = a - np.mean(a, axis=axes, keepdims=True)
    return np.sum(2.0 * centred * da, axis=axes, keepdims=keepdims) / count


def reverse_cumsum(g: Any, a: Any, axis: Any) -> Any:
    """The gradient of ``np.cumsum(a, axis)``: sums of ``g`` from each position on."""
    if axis is None:
        flat = np.ravel(g)
        return np.reshape(np.cumsum(flat[::-1])[::-1], np.shape(a))
    g = np.asarray(g)
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def cumprod_gradient(g: Any, y: Any, a: Any, axis: Any) -> Any:
    """The gradient of ``np.cumprod(a, axis)``, exact when ``a`` holds zeros."""
    if axis is None:
        return np.reshape(_cumprod_gradient_along(np.ravel(g), np.ravel(y), np.ravel(a), 0),
                          np.shape(a))
    return _cumprod_gradient_along(g, y, a, axis)


def _cumprod_gradient_along(g: Any, y: Any, a: Any, axis: int) -> Any:
    a = np.asarray(a)
    g = np.broadcast_to(g, a.shape)
    if np.all(a != 0):
        return reverse_cumsum(g * y, y, axis) / a
    # d y[i] / d a[k] = y[k-1] * (a[k+1] ... a[i]) for i >= k, so the gradient is
    # y[k-1] * tail[k] with tail[k] = g[k] + a[k+1] * tail[k+1]: no division by a zero.
    a, g = np.moveaxis(a, axis, 0), np.moveaxis(g, axis, 0)
    tail = np.array(g, dtype=_real_dtype(g, a))
    for k in range(len(tail) - 2, -1, -1):
        tail[k] += a[k + 1] * tail[k + 1]
    before = np.concatenate([np.ones_like(a[:1]), np.cumprod(a[:-1], axis=0)])
    return np.moveaxis(before * tail, 0, axis)


def cumprod_tangent(da: Any, y: Any, a: Any, axis: Any) -> Any:
    """The tangent of ``np.cumprod(a, axis)``, exact when ``a`` holds zeros."""
    if axis is None:
        return _cumprod_tangent_along(np.ravel(np.broadcast_to(da, np.shape(a))), np.ravel(y),
                                      np.ravel(a), 0)
    return _cumprod_tangent_along(da, y, a, axis)


def _cumprod_tangent_along(da: Any, y: Any, a: Any, axis: int) -> Any:
    a = np.asarray(a)
    da = np.broadcast_to(da, a.shape)
    if np.all(a != 0):
        return y * np.cumsum(da / a, axis=axis)
    # The product rule one step at a time: y[i] = y[i-1] * a[i].
    a, da, y = np.moveaxis(a, axis, 0), np.moveaxis(da, axis, 0), np.moveaxis(y, axis, 0)
    result = np.array(da, dtype=_real_dtype(da, a))
    for i in range(1, len(result)):
        result[i] = da[i] * y[i - 1] + a[i] * result[i - 1]
    return np.moveaxis(result, 0, axis)


def _weights_like(a: Any, weights: Any, axis: Any) -> Any:
    a = np.asarray(a)
    if weights is None:
        return np.ones_like(a, dtype=_real_dtype(a))
    weights = np.asarray(weights, dtype=_real_dtype(weights))
    if weights.shape != a.shape and axis is not None and weights.ndim == 1:
        shape = [1] * a.ndim
        shape[axis % a.ndim] = weights.shape[0]
        weights = weights.reshape(shape)
    return np.broadcast_to(weights, a.shape)


def average_gradient(g: Any, a: Any, axis: Any, weights: Any, keepdims: bool) -> Any:
    """The gradient of ``np.average(a, axis, weights)`` with respect to ``a``."""
    a = np.asarray(a)
    full = _weights_like(a, weights, axis)
    axes = _axes(axis, a.ndim) if a.ndim else None
    return _expand(g, a.ndim, axis, keepdims) * full / np.sum(full, axis=axes, keepdims=True)


def average_weights_gradient(g: Any, y: Any, a: Any, axis: Any, weights: Any,
                             keepdims: bool) -> Any:
    """The gradient of ``np.average(a, axis, weights)`` with respect to ``weights``."""
    a = np.asarray(a)
    full = _weights_like(a, weights, axis)
    axes = _axes(axis, a.ndim) if a.ndim else None
    total = np.sum(full, axis=axes, keepdims=True)
    per_element = _expand(g, a.ndim, axis, keepdims) * (a - _expand(y, a.ndim, axis, keepdims)) \
        / total
    weights = np.asarray(weights)
    if weights.shape == a.shape:
        return per_element
    other = tuple(i for i in range(a.ndim) if i != axis % a.ndim)
    return np.sum(per_element, axis=other)


def average_tangent(da: Any, a: Any, axis: Any, weights: Any, keepdims: bool) -> Any:
    """The tangent of ``np.average(a, axis, weights)`` for a tangent of ``a``."""
    a = np.asarray(a)
    full = _weights_like(a, weights, axis)
    axes = _axes(axis, a.ndim) if a.ndim else None
    return np.sum(da * full, axis=axes, keepdims=keepdims) / np.sum(full, axis=axes,
                                                                    keepdims=keepdims)


def average_weights_tangent(dw: Any, y: Any, a: Any, axis: Any, weights: Any,
                            keepdims: bool) -> Any:
    """The tangent of ``np.average(a, axis, weights)`` for a tangent of ``weights``."""
    a = np.asarray(a)
    full = _weights_like(a, weights, axis)
    moving = _weights_like(a, dw, axis)
    axes = _axes(axis, a.ndim) if a.ndim else None
    centred = a - _expand(y, a.ndim, axis, keepdims)
    return np.sum(moving * centred, axis=axes, keepdims=keepdims) / np.sum(
        full, axis=axes, keepdims=keepdims)


def trace_gradient(g: Any, a: Any, offset: int, axis1: int, axis2: int) -> Any:
    """The gradient of ``np.trace(a, offset, axis1, axis2)``: ``g`` on that diagonal."""
    a = np.asarray(a)
    g = _as_gradient(g, a)
    eye = np.eye(a.shape[axis1], a.shape[axis2], k=offset, dtype=g.dtype)
    moved = np.moveaxis(np.zeros(a.shape, dtype=g.dtype), (axis1, axis2), (-2, -1))
    full = g[..., None, None] * eye + moved
    return np.moveaxis(full, (-2, -1), (axis1, axis2))


def norm_direction(y: Any, x: Any, ord: Any, axis: Any, keepdims: bool) -> Any:  # noqa: A002
    """``G`` with ``d norm = sum(G * dx)`` over the reduced axes, for ``np.linalg.norm``."""
    x = np.asarray(x, dtype=_real_dtype(x))
    matrix = (isinstance(axis, (tuple, list)) and len(axis) == 2) or \
        (axis is None and x.ndim == 2 and ord is not None)
    if axis is None and not matrix:
        return _vector_norm_direction(x.ravel(), y, ord, None, True).reshape(x.shape)
    if not matrix:
        return _vector_norm_direction(x, _expand(y, x.ndim, axis, keepdims), ord, axis, True)
    rows, cols = (axis if axis is not None else (0, 1))
    moved = np.moveaxis(x, (rows, cols), (-2, -1))
    direction = _matrix_norm_direction(moved, ord)
    return np.moveaxis(direction, (-2, -1), (rows, cols))


def _vector_norm_direction(x, y, ord, axis, keepdims):  # noqa: A002
    y = np.asarray(y)
    if ord is None or ord == 2:
        return np.where(y == 0, 0.0, x / np.where(y == 0, 1.0, y))
    if ord == 1:
        return np.sign(x)
    if ord in (np.inf, -np.inf):
        magnitude = np.abs(x)
        hits = (magnitude == y).astype(x.dtype)
        return np.sign(x) * hits / np.sum(hits, axis=axis, keepdims=True)
    if ord == 0:
        return np.zeros_like(x)
    safe = np.where(y == 0, 1.0, y)
    return np.sign(x) * np.abs(x) ** (ord - 1) / safe ** (ord - 1)


def _matrix_norm_direction(x, ord):  # noqa: A002
    if ord is None or ord == 'fro':
        total = np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True))
        return x / np.where(total == 0, 1.0, total)
    if ord in ('nuc', 2, -2):
        return singular_norm_direction(x, ord)
    if ord in (1, -1, np.inf, -np.inf):
        over_rows = ord in (1, -1)
        sums = np.sum(np.abs(x), axis=-2 if over_rows else -1, keepdims=True)
        best = np.max(sums, axis=-1 if over_rows else -2, keepdims=True) if ord in (1, np.inf) \
            else np.min(sums, axis=-1 if over_rows else -2, keepdims=True)
        hits = (sums == best).astype(x.dtype)
        hits = hits / np.sum(hits, axis=-1 if over_rows else -2, keepdims=True)
        return np.sign(x) * hits
    raise ValueError(f'no derivative for the matrix norm of order {ord!r}')


def singular_norm_direction(x: Any, ord: Any) -> Any:  # noqa: A002
    """``norm_direction`` of the nuclear (``'nuc'``) and spectral (2, -2) norms of a
    stack of matrices: ``u @ vt`` of its SVD, or the top (bottom) singular pair."""
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    if ord == 'nuc':
        return u @ vt
    pick = 0 if ord == 2 else -1
    return u[..., :, pick:pick + 1 or None] @ vt[..., pick:pick + 1 or None, :]


def no_second_derivative(function: str, why: str, reverse: bool) -> Any:
    """Raise: a first-order rule of ``function`` calls a helper whose own derivative
    tangent does not have, so that rule cannot be differentiated again."""
    error = ReverseNotImplementedError if reverse else ForwardNotImplementedError
    raise error(function, f'its second derivative {why} is not implemented',
                'Take first derivatives only of this call, or write it with operations '
                'that have second derivatives.')


def unless_still(tangent_value: Any, function: str, why: str) -> float:
    """0.0 for a tangent that is zero (its term vanishes whatever its derivative); else
    raise as ``no_second_derivative`` does, in forward mode."""
    if np.all(np.asarray(tangent_value) == 0):
        return 0.0
    return no_second_derivative(function, why, False)


def inner_gradient_left(g: Any, a: Any, b: Any) -> Any:
    """The gradient of ``np.inner(a, b)`` with respect to ``a`` (before summing
    a broadcast scalar down)."""
    a, b = np.asarray(a), np.asarray(b)
    g = _as_gradient(g, a, b)
    if a.ndim == 0 or b.ndim == 0:
        return g * b
    free_b = b.ndim - 1
    return np.tensordot(g, b, axes=(list(range(g.ndim - free_b, g.ndim)),
                                    list(range(free_b))))


def inner_gradient_right(g: Any, a: Any, b: Any) -> Any:
    """The gradient of ``np.inner(a, b)`` with respect to ``b``."""
    a, b = np.asarray(a), np.asarray(b)
    g = _as_gradient(g, a, b)
    if a.ndim == 0 or b.ndim == 0:
        return g * a
    free_a = a.ndim - 1
    return np.tensordot(g, a, axes=(list(range(free_a)), list(range(free_a))))


def outer_gradient(g: Any, a: Any, b: Any, left: bool) -> Any:
    """The gradient of ``np.outer(a, b)`` with respect to ``a`` (left) or ``b``."""
    g = np.asarray(g)
    if left:
        return np.reshape(g @ np.ravel(b), np.shape(a))
    return np.reshape(np.ravel(a) @ g, np.shape(b))


def vdot_gradient(g: Any, other: Any, like: Any) -> Any:
    """The gradient of ``np.vdot`` with respect to one operand (real arrays)."""
    return np.reshape(g * np.ravel(other), np.shape(like))


# Spelled out: the ``string`` module compiles a regular expression when imported.
_EINSUM_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _letters(count: int, skip: str = '') -> list[str]:
    pool = [c for c in _EINSUM_LETTERS if c not in skip]
    return pool[:count]


def tensordot_gradient(g: Any, a: Any, b: Any, axes: Any, left: bool) -> Any:
    """The gradient of ``np.tensordot(a, b, axes)`` with respect to ``a`` or ``b``."""
    subscripts = _tensordot_gradient_subscripts(np.ndim(a), np.ndim(b), axes, left)
    return np.einsum(subscripts, g, b if left else a)


def _tensordot_gradient_subscripts(a_ndim: int, b_ndim: int, axes: Any, left: bool) -> str:
    """The einsum taking ``np.tensordot(a, b, axes)``'s gradient and ``b`` (``left``) or
    ``a`` to the gradient of ``a`` (or ``b``)."""
    if isinstance(axes, int):
        a_axes = list(range(a_ndim - axes, a_ndim))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [axis % a_ndim for axis in np.atleast_1d(a_axes)]
        b_axes = [axis % b_ndim for axis in np.atleast_1d(b_axes)]
    letters = _letters(a_ndim + b_ndim)
    a_sub = letters[:a_ndim]
    b_sub = letters[a_ndim:]
    for a_axis, b_axis in zip(a_axes, b_axes):
        b_sub[b_axis] = a_sub[a_axis]
    out = [c for i, c in enumerate(a_sub) if i not in a_axes] + \
        [c for i, c in enumerate(b_sub) if i not in b_axes]
    if left:
        return f"{''.join(out)},{''.join(b_sub)}->{''.join(a_sub)}"
    return f"{''.join(out)},{''.join(a_sub)}->{''.join(b_sub)}"


def _explicit_subscripts(subscripts: str, operands: list) -> tuple[list[str], str]:
    """Operand and output subscripts of an einsum, with '...' spelled out."""
    if not isinstance(subscripts, str):
        raise NotImplementedError(
            "The derivative of np.einsum covers the subscripts-string form "
            "(np.einsum('ij,jk->ik', a, b)), not the interleaved form with lists of "
            "axis numbers; write the subscripts as a string.")
    subscripts = subscripts.replace(' ', '')
    inputs, _, output = subscripts.partition('->')
    parts = inputs.split(',')
    used = set(subscripts) - set('.,->')
    spare = _letters(52, ''.join(used))
    ellipsis_ndim = max((np.ndim(op) - len(part.replace('...', ''))
                         for part, op in zip(parts, operands) if '...' in part), default=0)
    ellipsis = ''.join(spare[:ellipsis_ndim])
    explicit = []
    for part, operand in zip(parts, operands):
        if '...' in part:
            own = np.ndim(operand) - len(part.replace('...', ''))
            part = part.replace('...', ellipsis[ellipsis_ndim - own:])
        explicit.append(part)
    if '->' not in subscripts:
        counts = {c: sum(p.count(c) for p in explicit) for c in set(''.join(explicit))}
        output = ellipsis + ''.join(sorted(c for c, n in counts.items()
                                           if n == 1 and c not in ellipsis))
    else:
        output = output.replace('...', ellipsis)
    return explicit, output


def einsum_gradient(g: Any, subscripts: str, operands: list, index: int) -> Any:
    """The gradient of ``np.einsum(subscripts, *operands)`` with respect to one operand.

    An operand with a repeated index (``'ii'``) only contributes its diagonal,
    so its gradient is zero off the diagonal; einsum's writeable diagonal view
    (``np.einsum('ii->i', result)``) puts the values in place.
    """
    operands = list(operands)
    g = _as_gradient(g, *operands)
    inputs, output = _explicit_subscripts(subscripts, operands)
    target = inputs[index]
    shape = np.shape(operands[index])
    size_of = dict(zip(target, shape))
    unique = ''.join(dict.fromkeys(target))
    others = [(sub, op) for i, (sub, op) in enumerate(zip(inputs, operands)) if i != index]
    present = set(output).union(*[set(sub) for sub, _ in others]) if others else set(output)
    kept = ''.join(c for c in unique if c in present)
    spec = ','.join([output] + [sub for sub, _ in others]) + '->' + kept
    part = np.einsum(spec, g, *[op for _, op in others])
    # An axis of length 1 in this operand that einsum broadcast against a longer
    # one elsewhere received the whole length: its gradient is the sum over it.
    broadcast = tuple(axis for axis, c in enumerate(kept)
                      if size_of[c] == 1 and np.shape(part)[axis] != 1)
    if broadcast:
        part = np.sum(part, axis=broadcast, keepdims=True)
    # An axis broadcast the other way (length 1 elsewhere) comes back with length 1.
    expanded_shape = [np.shape(part)[kept.index(c)] if c in present else 1 for c in unique]
    diagonal = np.broadcast_to(np.reshape(part, expanded_shape),
                               [size_of[c] for c in unique])
    if unique == target:
        return diagonal.copy()
    result = np.zeros(shape, dtype=diagonal.dtype)
    np.einsum(f'{target}->{unique}', result)[...] = diagonal
    return result


def broadcast_items(tangents: Any, like: Any) -> list:
    """Tangents of a sequence's items, each as large as its item (zeros spread)."""
    return [np.broadcast_to(t, np.shape(item)) for t, item in zip(tangents, like)]


def linear_pad_mode(mode: str) -> str:
    """The pad mode whose tangent is the pad of the tangent: constant (with zeros)."""
    if mode != 'constant':
        raise NotImplementedError(f"the derivative of np.pad covers mode='constant' only, "
                                  f'not {mode!r}')
    return mode


def cholesky_tangent_factor(low: Any, da: Any) -> Any:
    """``Phi(L^-1 dA L^-T)``: the factor with ``dL = L @ factor`` for ``A = L L^T``."""
    # The input is read as symmetric, as the gradient reads it: an unsymmetric dA
    # otherwise gave a tangent matching neither the gradient nor NumPy's lower triangle.
    da = 0.5 * (da + matrix_transpose(da))
    inverse = np.linalg.inv(low)
    inner = inverse @ da @ matrix_transpose(inverse)
    return np.tril(inner) - 0.5 * np.eye(np.shape(low)[-1]) * inner


def diff_gradient(g: Any, a: Any, n: int, axis: int) -> Any:
    """The gradient of ``np.diff(a, n, axis)``: the transposed difference, n times."""
    g = np.asarray(g)
    for _ in range(n):
        pad = [(0, 0)] * g.ndim
        pad[axis % g.ndim] = (1, 1)
        padded = np.pad(g, pad)
        g = -np.diff(padded, axis=axis)
    return np.reshape(g, np.shape(a))


def rollaxis_gradient(g: Any, a: Any, axis: int, start: int) -> Any:
    """The gradient of ``np.rollaxis(a, axis, start)``: the axis moved back."""
    ndim = np.ndim(a)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    # rollaxis puts the axis before ``start``: one place earlier when it came from before it.
    position = start - 1 if start > axis else start
    return np.moveaxis(g, position, axis)


def cumulative_gradient(g: Any, y: Any, x: Any, axis: Any, include_initial: bool,
                        product: bool) -> Any:
    """The gradient of ``np.cumulative_sum`` / ``np.cumulative_prod``."""
    if include_initial:
        raise NotImplementedError('the derivative of cumulative_sum/prod does not cover '
                                  'include_initial=True')
    axis = 0 if axis is None else axis
    if product:
        return cumprod_gradient(g, y, x, axis)
    return reverse_cumsum(g, x, axis)


def cumulative_tangent(dx: Any, y: Any, x: Any, axis: Any, include_initial: bool,
                       product: bool) -> Any:
    """The tangent of ``np.cumulative_sum`` / ``np.cumulative_prod``."""
    if include_initial:
        raise NotImplementedError('the derivative of cumulative_sum/prod does not cover '
                                  'include_initial=True')
    axis = 0 if axis is None else axis
    if product:
        return cumprod_tangent(dx, y, x, axis)
    return np.cumsum(dx, axis=axis)


def trapezoid_weights(y: Any, x: Any, dx: float, axis: int) -> Any:
    """The weight of each sample in ``np.trapezoid(y, x, dx, axis)`` (linear in y): half
    the width of each interval it ends, for 1-D or broadcasting sample points ``x``."""
    y = np.asarray(y)
    axis = axis % y.ndim
    n = y.shape[axis]
    if x is None:
        spacing = np.full(n - 1, float(dx))
    else:
        spacing = np.asarray(x, dtype=float)
        spacing = np.diff(spacing) if spacing.ndim == 1 else np.diff(spacing, axis=axis)
    if spacing.ndim == 1:
        shape = [1] * y.ndim
        shape[axis] = n - 1
        spacing = spacing.reshape(shape)
    spacing = spacing.astype(_real_dtype(y), copy=False)
    widths = [(0, 0)] * spacing.ndim
    before, after = list(widths), list(widths)
    before[axis], after[axis] = (0, 1), (1, 0)
    return (np.pad(spacing, before) + np.pad(spacing, after)) / 2.0


def vector_norm_direction(y: Any, x: Any, ord: Any, axis: Any, keepdims: bool) -> Any:  # noqa: A002
    """``norm_direction`` for ``np.linalg.vector_norm``, which never takes matrix norms."""
    x = np.asarray(x, dtype=_real_dtype(x))
    if axis is None:
        return _vector_norm_direction(x.ravel(), y, ord, None, True).reshape(x.shape)
    return _vector_norm_direction(x, _expand(y, x.ndim, axis, keepdims), ord, axis, True)


def matrix_norm_direction(x: Any, ord: Any) -> Any:  # noqa: A002
    """``norm_direction`` for ``np.linalg.matrix_norm`` over the last two axes."""
    return _matrix_norm_direction(np.asarray(x, dtype=_real_dtype(x)), ord)


def median_share(a: Any, axis: Any, keepdims: bool) -> Any:
    """Each element's weight in ``np.median(a, axis)``: 1 for the middle element, 1/2
    for each of the two middle ones of an even count (ties as sorted, stably)."""
    a = np.asarray(a, dtype=_real_dtype(a))
    axes = _axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    n = flat.shape[-1]
    order = np.argsort(flat, axis=-1, kind='stable')
    weights = np.zeros(flat.shape, dtype=a.dtype)
    middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    for position in middle:
        np.put_along_axis(weights, order[..., position:position + 1], 1.0 / len(middle),
                          axis=-1)
    return np.transpose(weights.reshape(moved.shape), np.argsort(rest + list(axes)))


def compress_gradient(g: Any, condition: Any, a: Any, axis: Any) -> Any:
    """The gradient of ``np.compress(condition, a, axis)`` (or ``np.extract``)."""
    a = np.asarray(a)
    kept = np.flatnonzero(np.asarray(condition))
    result = np.zeros(a.size if axis is None else a.shape, dtype=_real_dtype(g, a))
    if axis is None:
        result[kept] = np.ravel(g)
        return result.reshape(a.shape)
    index = [slice(None)] * a.ndim
    index[axis] = kept
    result[tuple(index)] = g
    return result


def delete_gradient(g: Any, arr: Any, obj: Any, axis: Any) -> Any:
    """The gradient of ``np.delete(arr, obj, axis)``: ``g`` where the kept items were."""
    arr = np.asarray(arr)
    size = arr.size if axis is None else arr.shape[axis]
    kept = np.delete(np.arange(size), obj)
    return compress_gradient(g, np.isin(np.arange(size), kept), arr, axis)


def _chain(arrays: list) -> list:
    """Partial products left to right: [A, A B, A B C, ...] with 1-D ends as vectors."""
    products = [np.asarray(arrays[0])]
    for array in arrays[1:]:
        products.append(products[-1] @ array)
    return products


def multi_dot_gradient(g: Any, arrays: Any) -> list:
    """The gradients of ``np.linalg.multi_dot(arrays)``, one per array."""
    arrays = [np.asarray(a) for a in arrays]
    gradients = []
    for index, array in enumerate(arrays):
        left = _chain(arrays[:index])[-1] if index else None
        right = _chain(arrays[index + 1:])[-1] if index + 1 < len(arrays) else None
        seed = np.asarray(g)
        if right is not None:
            seed = seed @ right.T if right.ndim == 2 else np.tensordot(seed, right, 0)
        if left is not None:
            seed = left.T @ seed if left.ndim == 2 else np.tensordot(left, seed, 0)
        gradients.append(np.reshape(seed, array.shape))
    return gradients


def multi_dot_tangent(tangents: Any, arrays: Any) -> Any:
    """The tangent of ``np.linalg.multi_dot(arrays)``: one term per moving array."""
    arrays = list(arrays)
    total = 0.0
    for index, array_tangent in enumerate(tangents):
        if np.ndim(array_tangent) == 0 and array_tangent == 0:
            continue
        replaced = list(arrays)
        replaced[index] = np.broadcast_to(array_tangent, np.shape(arrays[index]))
        total = total + np.linalg.multi_dot(replaced)
    return total


def present_operands(*operands: Any) -> list:
    """The operands actually passed (a rule's optional operands default to None)."""
    return [operand for operand in operands if operand is not None]


def einsum_tangent(subscripts: str, operands: tuple, tangents: tuple) -> Any:
    """The tangent of ``np.einsum(subscripts, *operands)``: one term per moving operand."""
    operands = present_operands(*operands)
    _explicit_subscripts(subscripts, operands)  # the interleaved form is refused
    total = 0.0
    for index, operand_tangent in enumerate(tangents[:len(operands)]):
        if operand_tangent is None or np.ndim(operand_tangent) == 0 and operand_tangent == 0:
            continue
        replaced = list(operands)
        replaced[index] = operand_tangent
        total = total + np.einsum(subscripts, *replaced)
    return total


def _with_operand(operands: list, index: int, value: Any) -> list:
    replaced = list(operands)
    replaced[index] = value
    return replaced


def _operand_tangents(tangents: Any, count: int) -> list:
    """One tangent or None (not moving) per operand; a zero for the whole tuple is
    what forward mode passes when no operand moves."""
    if not isinstance(tangents, (list, tuple)):
        return [None] * count
    return [None if t is None or np.ndim(t) == 0 and t == 0 else t
            for t in list(tangents)[:count]] + [None] * (count - len(tangents))


def einsum_with(subscripts: str, operands: tuple, index: int, value: Any) -> Any:
    """``np.einsum(subscripts, *operands)`` with operand ``index`` replaced by ``value``:
    the adjoint of ``einsum_gradient`` with respect to its seed."""
    operands = present_operands(*operands)
    return np.einsum(subscripts, *_with_operand(operands, index, value))


def einsum_gradient_operands_gradient(g: Any, subscripts: str, operands: tuple, index: int,
                                      seed: Any) -> list:
    """The gradients of ``einsum_gradient(g, subscripts, operands, index)`` for ``seed``
    with respect to each operand: einsum is linear in each, and the gradient for
    ``index`` does not read that operand."""
    operands = present_operands(*operands)
    seeded = _with_operand(operands, index, seed)
    return [np.zeros(np.shape(operand)) if j == index
            else einsum_gradient(g, subscripts, seeded, j) for j, operand in enumerate(operands)]


def einsum_gradient_tangent(dg: Any, g: Any, subscripts: str, operands: tuple,
                            doperands: Any, index: int) -> Any:
    """The tangent of ``einsum_gradient(g, subscripts, operands, index)``: one term for
    the seed and one per other moving operand."""
    operands = present_operands(*operands)
    total = np.zeros(np.shape(operands[index]))
    if not (np.ndim(dg) == 0 and dg == 0):
        total = total + einsum_gradient(dg, subscripts, operands, index)
    for j, moving in enumerate(_operand_tangents(doperands, len(operands))):
        if j != index and moving is not None:
            total = total + einsum_gradient(g, subscripts, _with_operand(operands, j, moving),
                                            index)
    return total


def einsum_tangent_gradients(seed: Any, subscripts: str, operands: tuple, tangents: Any,
                             of_operands: bool) -> list:
    """The gradients of ``einsum_tangent(subscripts, operands, tangents)`` for ``seed``
    with respect to the tangents or (``of_operands``) the operands. The tangent is a
    sum over i of einsum with operand i replaced by its tangent."""
    operands = present_operands(*operands)
    moving = _operand_tangents(tangents, len(operands))
    if not of_operands:
        return [einsum_gradient(seed, subscripts, operands, i) for i in range(len(operands))]
    gradients = []
    for j, operand in enumerate(operands):
        total = np.zeros(np.shape(operand))
        for i, operand_tangent in enumerate(moving):
            if i != j and operand_tangent is not None:
                total = total + einsum_gradient(
                    seed, subscripts, _with_operand(operands, i, operand_tangent), j)
        gradients.append(total)
    return gradients


def einsum_tangent_tangent(subscripts: str, operands: tuple, tangents: Any, doperands: Any,
                           dtangents: Any) -> Any:
    """The tangent of ``einsum_tangent(subscripts, operands, tangents)`` along tangents
    ``doperands`` of the operands and ``dtangents`` of the tangents."""
    operands = present_operands(*operands)
    moving = _operand_tangents(tangents, len(operands))
    total = einsum_tangent(subscripts, operands, _operand_tangents(dtangents, len(operands)))
    for j, operand_tangent in enumerate(_operand_tangents(doperands, len(operands))):
        if operand_tangent is None:
            continue
        for i, tangent_i in enumerate(moving):
            if i != j and tangent_i is not None:
                both = _with_operand(_with_operand(operands, i, tangent_i), j, operand_tangent)
                total = total + np.einsum(subscripts, *both)
    if np.ndim(total) == 0 and total == 0:  # nothing moves: zeros shaped like the result
        return np.zeros_like(np.einsum(subscripts, *operands), dtype=float)
    return total


def cross_gradient_axes(a: Any, b: Any, axisa: int, axisb: int, axisc: int, axis: Any,
                        left: bool) -> tuple:
    """The axes of the ``np.cross`` whose result is the gradient of ``c = np.cross(a, b,
    axisa, axisb, axisc, axis)`` for ``a`` (``left``: ``b x dc``) or ``b`` (``dc x a``).

    The vectors of ``b`` (or ``a``) and ``dc`` are read where ``c`` took or put them; the
    result's vectors go where the operand's were. Counted from the end, since the
    result has the broadcast batch axes, which an operand may lack."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    from_a, from_b = axisa % a_ndim - a_ndim, axisb % b_ndim - b_ndim
    if np.shape(a)[from_a] != 3 or np.shape(b)[from_b] != 3:
        raise NotImplementedError(
            'the derivative of np.cross covers vectors of 3 components, not of 2 '
            f'(shapes {np.shape(a)} along axis {axisa} and {np.shape(b)} along axis {axisb})')
    c_ndim = max(a_ndim - 1, b_ndim - 1) + 1
    from_c = axisc % c_ndim - c_ndim
    return (from_b, from_c, from_a) if left else (from_c, from_a, from_b)


def kron_gradient(g: Any, a: Any, b: Any, left: bool) -> Any:
    """The gradient of ``np.kron(a, b)`` (arrays of equal rank) with respect to a or b."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    ndim = max(a.ndim, b.ndim)
    a_full = a.reshape((1,) * (ndim - a.ndim) + a.shape)
    b_full = b.reshape((1,) * (ndim - b.ndim) + b.shape)
    blocks = g.reshape([n for pair in zip(a_full.shape, b_full.shape) for n in pair])
    letters = _letters(2 * ndim)
    a_sub, b_sub = letters[0::2], letters[1::2]
    g_sub = ''.join(letters)
    if left:
        return np.einsum(f"{g_sub},{''.join(b_sub)}->{''.join(a_sub)}", blocks,
                         b_full).reshape(a.shape)
    return np.einsum(f"{g_sub},{''.join(a_sub)}->{''.join(b_sub)}", blocks,
                     a_full).reshape(b.shape)


def _solve_columns(v: Any, b: Any) -> Any:
    """``v``, shaped like the solution of ``np.linalg.solve(a, b)``, as a stack of
    columns: NumPy reads ``b`` as one vector only when it is 1-D, whatever ``a``'s
    batch dimensions (and then ``v`` is a stack of vectors, one per batch entry)."""
    return np.asarray(v)[..., None] if np.ndim(b) == 1 else np.asarray(v)


def _solve_solution(columns: Any, b: Any) -> Any:
    """The inverse of ``_solve_columns``."""
    return columns[..., 0] if np.ndim(b) == 1 else columns


def solve_gradients(g: Any, x: Any, a: Any, b: Any) -> tuple:
    """Gradients of ``x = np.linalg.solve(a, b)`` with respect to ``a`` and ``b``,
    summed over the batch dimensions the solve broadcast each of them along."""
    a = np.asarray(a)
    columns = np.linalg.solve(matrix_transpose(a), _solve_columns(g, b))
    gradient_a = -(columns @ matrix_transpose(_solve_columns(x, b)))
    return _unbroadcast_to(gradient_a, a), _unbroadcast_to(_solve_solution(columns, b), b)


def solve_tangent(a: Any, b: Any, x: Any, da: Any, db: Any) -> Any:
    """The tangent of ``x = np.linalg.solve(a, b)``: ``solve(a, db - da x)`` in the
    shape of ``x`` (``da`` or ``db`` may be a zero scalar)."""
    columns_x = _solve_columns(x, b)
    rhs = _solve_columns(db, b) if np.ndim(db) else np.zeros_like(columns_x)
    if np.ndim(da):
        rhs = rhs - np.asarray(da) @ columns_x
    return _solve_solution(np.linalg.solve(a, rhs), b)


def cholesky_tangent(da: Any, factor: Any, upper: bool) -> Any:
    """The tangent of ``np.linalg.cholesky(a, upper=upper)``: ``factor`` is ``L`` or,
    with ``upper``, ``U = L^T``."""
    if upper:
        low = matrix_transpose(factor)
        return matrix_transpose(low @ cholesky_tangent_factor(low, da))
    return factor @ cholesky_tangent_factor(factor, da)


def cholesky_gradient(g: Any, low: Any, upper: bool = False) -> Any:
    """The gradient of ``L = np.linalg.cholesky(a)`` with respect to (symmetric) ``a``;
    with ``upper``, ``low`` is ``U = L^T`` and ``g`` its gradient."""
    low, g = np.asarray(low), np.asarray(g)
    if upper:  # the gradient for U = L^T is the transposed one for L
        low, g = matrix_transpose(low), matrix_transpose(g)
    phi = np.tril(matrix_transpose(low) @ np.tril(g))
    phi = phi - 0.5 * np.eye(low.shape[-1]) * phi
    inverse = np.linalg.inv(low)
    inner = matrix_transpose(inverse) @ phi @ inverse
    return 0.5 * (inner + matrix_transpose(inner))


def _eigh_parts(seed: Any, w: Any, v: Any) -> tuple:
    # A plain pair or NumPy's EighResult (a named tuple: its items are its fields).
    gw, gv = seed[0], seed[1]
    gw = np.zeros_like(w) if gw is None or np.ndim(gw) == 0 and gw == 0 else gw
    gv = np.zeros_like(v) if gv is None or np.ndim(gv) == 0 and gv == 0 else gv
    return _as_gradient(gw, w), _as_gradient(gv, v)


def eigh_gradient(seed: Any, result: Any, a: Any) -> Any:
    """The gradient of ``np.linalg.eigh(a)`` for seed (gw, gv): eigenvalues must be distinct
    where eigenvectors are read."""
    w, v = result
    gw, gv = _eigh_parts(seed, w, v)
    vt = matrix_transpose(v)
    middle = gw[..., None] * np.eye(w.shape[-1], dtype=w.dtype)
    # Only read eigenvectors turn the result: with none read, repeated eigenvalues
    # (where how they turn is undefined) still have a gradient.
    if np.any(gv):
        inner = vt @ gv
        middle = middle + _inverse_gaps(w) * (inner - matrix_transpose(inner)) / 2.0
    full = v @ middle @ vt
    return 0.5 * (full + matrix_transpose(full))


def _inverse_gaps(w: Any) -> Any:
    """``1 / (w[j] - w[i])`` at ``[..., i, j]``, 0 on the diagonal: how the eigenvectors
    turn as distinct eigenvalues ``w`` move (written without writes, so that it is
    differentiated again)."""
    gaps = w[..., None, :] - w[..., :, None]
    off_diagonal = ~np.eye(np.shape(w)[-1], dtype=bool)
    return np.where(off_diagonal, 1.0 / np.where(off_diagonal, gaps, 1.0), 0.0)


def eigh_tangent(da: Any, result: Any) -> tuple:
    """The tangents of ``np.linalg.eigh(a)``'s eigenvalues and eigenvectors."""
    w, v = result
    da = 0.5 * (np.asarray(da) + matrix_transpose(da))
    vt = matrix_transpose(v)
    projected = vt @ da @ v
    dw = np.diagonal(projected, axis1=-2, axis2=-1).copy()
    dv = v @ (projected * _inverse_gaps(w))
    return dw, dv


def slogdet_log_seed(seed: Any) -> Any:
    """The log-determinant part of a seed for ``np.linalg.slogdet``'s result (its sign
    carries no gradient)."""
    return seed[1] if isinstance(seed, tuple) else getattr(seed, 'logabsdet', seed)


def slogdet_pair(result: Any, dlog: Any) -> Any:
    """``(0, dlog)`` shaped like ``np.linalg.slogdet``'s ``result`` (a named tuple
    stays one): the sign does not move."""
    pair = (np.zeros_like(result[0]), dlog)
    return type(result)(*pair) if hasattr(result, '_fields') else pair


def slogdet_gradient(seed: Any, a: Any) -> Any:
    """The gradient of ``np.linalg.slogdet(a)`` (the log-determinant part)."""
    glog = slogdet_log_seed(seed)
    return np.asarray(glog)[..., None, None] * matrix_transpose(np.linalg.inv(a))


def slogdet_tangent(da: Any, a: Any, result: Any) -> tuple:
    """The tangents of ``np.linalg.slogdet(a)``: sign constant, log|det| moving."""
    return slogdet_pair(result, np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1))


def _eye_like(a: Any, n: int) -> np.ndarray:
    return np.eye(n, dtype=_real_dtype(a))


def pinv_gradient(g: Any, y: Any, a: Any) -> Any:
    """The gradient of ``y = np.linalg.pinv(a)`` for ``a`` of full rank (its rank
    is min(m, n), so the pseudo-inverse is differentiable there)."""
    a, y = np.asarray(a), np.asarray(y)
    g = _as_gradient(g, y)
    yt, gt = matrix_transpose(y), matrix_transpose(g)
    m, n = a.shape[-2:]
    # d y = -y da y + y y^T da^T (I - a y) + (I - y a) da^T y^T y, transposed term by term.
    return _in_dtype_of(-yt @ g @ yt + (_eye_like(y, m) - a @ y) @ gt @ y @ yt
                        + yt @ y @ gt @ (_eye_like(y, n) - y @ a), a)


def pinv_tangent(da: Any, y: Any, a: Any) -> Any:
    """The tangent of ``y = np.linalg.pinv(a)`` for ``a`` of full rank."""
    a, y = np.asarray(a), np.asarray(y)
    dat = matrix_transpose(np.broadcast_to(da, a.shape))
    m, n = a.shape[-2:]
    return _in_dtype_of(-y @ matrix_transpose(dat) @ y + y @ matrix_transpose(y) @ dat @ (
        _eye_like(y, m) - a @ y) + (_eye_like(y, n) - y @ a) @ dat @ matrix_transpose(y) @ y, a)


def _qr_factors(result: Any, a: Any, mode: str) -> tuple:
    """Q and R of ``np.linalg.qr(a, mode)``, where the derivative is defined."""
    a = np.asarray(a)
    m, n = a.shape[-2:]
    if mode not in ('reduced', 'r', 'complete') or m < n or mode == 'complete' and m > n:
        raise NotImplementedError(
            f"the derivative of np.linalg.qr covers mode='reduced' or 'r' of a square or "
            f'tall (m >= n) matrix of full rank, not mode={mode!r} of a {m}x{n} matrix')
    return tuple(np.linalg.qr(a)) if mode == 'r' else tuple(result)


def _upper_to_lower(m: Any) -> Any:
    """The symmetric matrix with the upper triangle (and diagonal) of ``m``."""
    return np.triu(m) + matrix_transpose(np.triu(m, 1))


def qr_gradient(seed: Any, result: Any, a: Any, mode: str) -> Any:
    """The gradient of ``np.linalg.qr(a, mode)`` for the seed of (Q, R), or of R
    alone for ``mode='r'`` (full-rank ``a`` with m >= n)."""
    q, r = _qr_factors(result, a, mode)
    gq, gr = (None, seed) if mode == 'r' else (seed[0], seed[1])
    gq = np.zeros_like(q) if gq is None or np.ndim(gq) == 0 else _as_gradient(gq, q)
    gr = np.zeros_like(r) if gr is None or np.ndim(gr) == 0 else _as_gradient(gr, r)
    inner = gr @ matrix_transpose(r) - matrix_transpose(q) @ gq
    left = gq + q @ _upper_to_lower(inner)
    # left @ inv(r)^T, by a solve with the triangular r.
    return _in_dtype_of(matrix_transpose(np.linalg.solve(r, matrix_transpose(left))), a)


def qr_tangent(da: Any, result: Any, a: Any, mode: str) -> Any:
    """The tangents of ``np.linalg.qr(a, mode)``: (dQ, dR), or dR for ``mode='r'``."""
    q, r = _qr_factors(result, a, mode)
    da = np.broadcast_to(da, np.shape(a))
    da_over_r = matrix_transpose(np.linalg.solve(matrix_transpose(r), matrix_transpose(da)))
    c = matrix_transpose(q) @ da_over_r  # q^T dA r^-1 = q^T dq + dr r^-1
    low = np.tril(c, -1)
    omega = low - matrix_transpose(low)  # q^T dq, antisymmetric
    dr = _in_dtype_of((c - omega) @ r, a)  # upper triangular
    if mode == 'r':
        return dr
    dq = _in_dtype_of(q @ omega + da_over_r - q @ c, a)
    return type(result)(dq, dr) if hasattr(result, '_fields') else (dq, dr)


def _seed_part(part: Any, like: Any) -> Any:
    """One item of a seed for a tuple result, zeros where nothing reached it."""
    if part is None or np.ndim(part) == 0 and np.ndim(like) > 0 and part == 0:
        return np.zeros_like(like)
    return _as_gradient(part, like)


def _svd_factors(result: Any, a: Any, full_matrices: bool, compute_uv: bool,
                 reverse: bool) -> tuple:
    """U, s and Vh of ``np.linalg.svd(a)`` reduced to min(m, n) singular vectors,
    where the derivative is defined."""
    m, n = np.shape(a)[-2:]
    if compute_uv and full_matrices and m != n:
        error = ReverseNotImplementedError if reverse else ForwardNotImplementedError
        raise error('np.linalg.svd', f'full_matrices=True of a {m}x{n} matrix: the extra '
                    'singular vectors are not unique', 'Pass full_matrices=False.')
    if not compute_uv:
        return tuple(np.linalg.svd(a, full_matrices=False))
    return tuple(result)


def svd_gradient(seed: Any, result: Any, a: Any, full_matrices: bool, compute_uv: bool) -> Any:
    """The gradient of ``np.linalg.svd(a)`` for the seed of (U, s, Vh), or of s alone
    for ``compute_uv=False``: U diag(gs) Vh, plus, where singular vectors are read
    (distinct nonzero singular values), with F_ij = 1 / (s_j^2 - s_i^2) and J = U^T gU,
    K = V^T gV: U [(F o (J - J^T)) S + S (F o (K - K^T))] Vh + (I - U U^T) gU S^-1 Vh
    + U S^-1 gV^T (I - V V^T)."""
    u, s, vh = _svd_factors(result, a, full_matrices, compute_uv, True)
    if not compute_uv:
        return _in_dtype_of((u * _as_gradient(seed, s)[..., None, :]) @ vh, a)
    gu, gs, gvh = (_seed_part(seed[0], u), _seed_part(seed[1], s), _seed_part(seed[2], vh))
    full = (u * gs[..., None, :]) @ vh
    # Only read singular vectors turn with a: with none read, repeated singular values
    # still have a gradient.
    if np.any(gu) or np.any(gvh):
        v, gv = matrix_transpose(vh), matrix_transpose(gvh)
        gaps = _inverse_gaps(s * s)
        j, k = matrix_transpose(u) @ gu, vh @ gv
        middle = (gaps * (j - matrix_transpose(j))) * s[..., None, :] + \
            s[..., :, None] * (gaps * (k - matrix_transpose(k)))
        full = full + u @ middle @ vh + ((gu - u @ j) / s[..., None, :]) @ vh + \
            u @ (matrix_transpose(gv - v @ k) / s[..., :, None])
    return _in_dtype_of(full, a)


def svd_tangent(da: Any, result: Any, a: Any, full_matrices: bool, compute_uv: bool) -> Any:
    """The tangents of ``np.linalg.svd(a)``: with P = U^T dA V, ds = diag(P),
    dU = U (F o (P S + S P^T)) + (I - U U^T) dA V S^-1 and
    dV = V (F o (S P + P^T S)) + (I - V V^T) dA^T U S^-1 (F as in ``svd_gradient``)."""
    u, s, vh = _svd_factors(result, a, full_matrices, compute_uv, False)
    da = np.broadcast_to(da, np.shape(a))
    v = matrix_transpose(vh)
    p = matrix_transpose(u) @ da @ v
    ds = np.diagonal(p, axis1=-2, axis2=-1).copy()
    if not compute_uv:
        return _in_dtype_of(ds, a)
    gaps = _inverse_gaps(s * s)
    ps, sp = p * s[..., None, :], s[..., :, None] * p
    du = u @ (gaps * (ps + matrix_transpose(ps))) + (da @ v - u @ p) / s[..., None, :]
    dv = v @ (gaps * (sp + matrix_transpose(sp))) + (
        matrix_transpose(da) @ u - v @ matrix_transpose(p)) / s[..., None, :]
    return _in_dtype_of(du, a), _in_dtype_of(ds, a), _in_dtype_of(matrix_transpose(dv), a)


def _lstsq_parts(result: Any, a: Any, b: Any, reverse: bool) -> tuple:
    """a, the solution x and the residual vectors r = b - a x of ``np.linalg.lstsq``,
    where its derivative is defined (a tall or square matrix of full column rank)."""
    a = np.asarray(a)
    m, n = a.shape
    x, rank = result[0], result[2]
    if m < n or rank < n:
        error = ReverseNotImplementedError if reverse else ForwardNotImplementedError
        raise error('np.linalg.lstsq', f'of a {m}x{n} matrix of rank {rank}: its derivative '
                    'covers tall or square matrices of full column rank',
                    'Solve with a tall matrix of full column rank.')
    return a, x, b - a @ x


def _as_columns(v: Any) -> Any:
    return v[:, None] if np.ndim(v) == 1 else v


def lstsq_gradient(seed: Any, result: Any, a: Any, b: Any, of_b: bool) -> Any:
    """The gradient of ``np.linalg.lstsq(a, b)`` in ``b`` (or in ``a``) for the seed of
    (x, residuals, rank, s), with x = (a^T a)^-1 a^T b and r = b - a x:
    z = (a^T a)^-1 gx, gb = a z + 2 r gres, ga = r z^T - gb x^T (+ the singular values'
    gradient, as for ``np.linalg.svd``)."""
    a, x, r = _lstsq_parts(result, a, b, True)
    z = np.linalg.solve(matrix_transpose(a) @ a, _seed_part(seed[0], x))
    gb = a @ z
    if np.size(result[1]):  # residuals: their squared norms, when m > n
        gb = gb + 2.0 * r * _seed_part(seed[1], result[1])
    if of_b:
        return _in_dtype_of(gb, b)
    ga = _as_columns(r) @ matrix_transpose(_as_columns(z)) - \
        _as_columns(gb) @ matrix_transpose(_as_columns(x))
    gs = _seed_part(seed[3], result[3])
    if np.any(gs):
        ga = ga + svd_gradient(gs, None, a, False, False)
    return _in_dtype_of(ga, a)


def lstsq_tangent(da: Any, db: Any, result: Any, a: Any, b: Any) -> tuple:
    """The tangents of ``np.linalg.lstsq(a, b)``'s (x, residuals, rank, s): with
    e = db - da x, dx = (a^T a)^-1 (a^T e + da^T r) and dres = 2 sum(r e, axis=0)
    (a^T r = 0); the rank does not move."""
    a, x, r = _lstsq_parts(result, a, b, False)
    da = np.broadcast_to(da, a.shape)
    moved = np.broadcast_to(db, np.shape(b)) - da @ x
    dx = np.linalg.solve(matrix_transpose(a) @ a,
                         matrix_transpose(a) @ moved + matrix_transpose(da) @ r)
    dresiduals = np.reshape(2.0 * np.sum(r * moved, axis=0), np.shape(result[1])) if \
        np.size(result[1]) else np.zeros_like(result[1])
    ds = svd_tangent(da, None, a, False, False)
    return (_in_dtype_of(dx, a), _in_dtype_of(dresiduals, a), 0, ds)


def _polyfit_design(x: Any, deg: int, w: Any, full: bool, cov: Any, reverse: bool) -> Any:
    """The matrix V = np.vander(x, deg + 1) that ``np.polyfit`` solves V p = y with in
    the least-squares sense, where its derivative is defined."""
    if w is not None or full or cov is not False or np.size(np.unique(x)) <= deg:
        error = ReverseNotImplementedError if reverse else ForwardNotImplementedError
        raise error('np.polyfit', 'with weights, full=True, cov or fewer distinct x than '
                    'coefficients: its derivative covers the plain fit of full rank',
                    'Fit without w, full or cov (scale x and y yourself for weights).')
    return np.vander(x, deg + 1)


def polyfit_gradient(g: Any, p: Any, x: Any, y: Any, deg: int, of_y: bool, w: Any = None,
                     full: bool = False, cov: Any = False) -> Any:
    """The gradient of ``p = np.polyfit(x, y, deg)`` in ``y`` (or in ``x``): with
    p = (V^T V)^-1 V^T y and z = (V^T V)^-1 g, gy = V z; in x through V, whose gradient
    is r z^T - gy p^T (r = y - V p), each row times the slopes of its powers."""
    vander = _polyfit_design(x, deg, w, full, cov, True)
    z = np.linalg.solve(matrix_transpose(vander) @ vander, _as_gradient(g, p))
    gy = vander @ z
    if of_y:
        return _in_dtype_of(gy, y)
    r = y - vander @ p
    gv = _as_columns(r) @ matrix_transpose(_as_columns(z)) - \
        _as_columns(gy) @ matrix_transpose(_as_columns(p))
    return _in_dtype_of(np.sum(gv * vander_slopes(x, deg + 1, False), axis=1), x)


def polyfit_tangent(dx: Any, dy: Any, p: Any, x: Any, y: Any, deg: int, w: Any = None,
                    full: bool = False, cov: Any = False) -> Any:
    """The tangent of ``p = np.polyfit(x, y, deg)``: with dV the tangent of V and
    e = dy - dV p, dp = (V^T V)^-1 (V^T e + dV^T r), r = y - V p."""
    vander = _polyfit_design(x, deg, w, full, cov, False)
    dvander = np.expand_dims(np.broadcast_to(dx, np.shape(x)), -1) * vander_slopes(
        x, deg + 1, False)
    moved = np.broadcast_to(dy, np.shape(y)) - dvander @ p
    r = y - vander @ p
    return _in_dtype_of(np.linalg.solve(matrix_transpose(vander) @ vander, matrix_transpose(
        vander) @ moved + matrix_transpose(dvander) @ r), p)


def eigvalsh_gradient(g: Any, a: Any, uplo: str) -> Any:
    """The gradient of ``np.linalg.eigvalsh(a)`` (distinct eigenvalues): V diag(g) V^T."""
    _, v = np.linalg.eigh(a, UPLO=uplo)
    g = _as_gradient(g, v)
    return _in_dtype_of((v * g[..., None, :]) @ matrix_transpose(v), a)


def eigvalsh_tangent(da: Any, a: Any, uplo: str) -> Any:
    """The tangent of ``np.linalg.eigvalsh(a)``: the diagonal of V^T dA V."""
    _, v = np.linalg.eigh(a, UPLO=uplo)
    da = np.broadcast_to(da, np.shape(a))
    return _in_dtype_of(np.sum(v * (da @ v), axis=-2), a)


def _matrix_powers(a: Any, n: int) -> tuple:
    """The matrix whose power is taken (``a``, or ``inv(a)`` for n < 0) and its
    powers 0 .. |n| - 1."""
    base = np.asarray(a) if n >= 0 else np.linalg.inv(a)
    powers = [np.broadcast_to(_eye_like(base, base.shape[-1]), base.shape)]
    for _ in range(abs(n) - 1):
        powers.append(powers[-1] @ base)
    return base, powers


def matrix_power_gradient(g: Any, a: Any, n: int) -> Any:
    """The gradient of ``np.linalg.matrix_power(a, n)``: sum over k of
    (B^k)^T g (B^(|n|-1-k))^T for B = a, or B = inv(a) and a chain through inv for n < 0."""
    base, powers = _matrix_powers(a, n)
    if n == 0:
        return np.zeros(base.shape, dtype=_real_dtype(base))
    g = _as_gradient(g, base)
    total = 0.0
    for k in range(abs(n)):
        total = total + matrix_transpose(powers[k]) @ g @ matrix_transpose(powers[-1 - k])
    if n < 0:
        total = -matrix_transpose(base) @ total @ matrix_transpose(base)
    return _in_dtype_of(total, a)


def matrix_power_tangent(da: Any, a: Any, n: int) -> Any:
    """The tangent of ``np.linalg.matrix_power(a, n)``."""
    base, powers = _matrix_powers(a, n)
    if n == 0:
        return np.zeros(base.shape, dtype=_real_dtype(base))
    da = np.broadcast_to(da, base.shape)
    if n < 0:
        da = -base @ da @ base  # the tangent of inv(a)
    total = 0.0
    for k in range(abs(n)):
        total = total + powers[k] @ da @ powers[-1 - k]
    return _in_dtype_of(total, a)


def _pieces(g: Any, sizes: list[int], axis: int) -> list:
    bounds = np.cumsum(sizes)[:-1]
    return np.split(np.asarray(g), bounds, axis=axis)


def concatenate_gradient(g: Any, arrays: Any, axis: Any) -> list:
    """The gradients of the arrays joined by ``np.concatenate(arrays, axis)``."""
    if axis is None:
        sizes = [np.size(x) for x in arrays]
        return [np.reshape(p, np.shape(x)) for p, x in
                zip(_pieces(np.ravel(g), sizes, 0), arrays)]
    axis = axis % np.ndim(arrays[0])
    return [p for p in _pieces(g, [np.shape(x)[axis] for x in arrays], axis)]


def stack_gradient(g: Any, arrays: Any, axis: int) -> list:
    """The gradients of the arrays joined by ``np.stack(arrays, axis)``."""
    g = np.asarray(g)
    return [np.take(g, i, axis=axis) for i in range(len(arrays))]


def joined_gradient(g: Any, arrays: Any, how: str) -> list:
    """Gradients for hstack, vstack, dstack and column_stack: split, then reshape."""
    if how == 'vstack':
        promoted = [np.atleast_2d(x) for x in arrays]
        axis = 0
    elif how == 'dstack':
        promoted = [np.atleast_3d(x) for x in arrays]
        axis = 2
    elif how == 'column_stack':
        promoted = [np.asarray(x).reshape(-1, 1) if np.ndim(x) < 2 else np.asarray(x)
                    for x in arrays]
        axis = 1
    else:
        promoted = [np.atleast_1d(x) for x in arrays]
        axis = 0 if promoted[0].ndim == 1 else 1
    pieces = _pieces(g, [x.shape[axis] for x in promoted], axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]


def split_gradient(gradients: Any, ary: Any, indices_or_sections: Any, axis: int) -> Any:
    """The gradient of ``np.split`` (or ``array_split``): the pieces' gradients joined."""
    ary = np.asarray(ary)
    dtype = _real_dtype(ary, *[gradient for gradient in gradients if gradient is not None])
    pieces = np.array_split(np.zeros(ary.shape, dtype=dtype), indices_or_sections, axis=axis)
    parts = [p if gradient is None else np.broadcast_to(gradient, p.shape)
             for gradient, p in zip(gradients, pieces)]
    return np.concatenate(parts, axis=axis)


def tile_gradient(g: Any, a: Any, reps: Any) -> Any:
    """The gradient of ``np.tile(a, reps)``: the tiles summed."""
    a = np.asarray(a)
    reps = tuple(np.atleast_1d(reps))
    ndim = max(a.ndim, len(reps))
    shape = (1,) * (ndim - a.ndim) + a.shape
    reps = (1,) * (ndim - len(reps)) + reps
    blocks = np.reshape(g, [n for pair in zip(reps, shape) for n in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * ndim, 2))), a.shape)


def repeat_gradient(g: Any, a: Any, repeats: Any, axis: Any) -> Any:
    """The gradient of ``np.repeat(a, repeats, axis)``: the repeats summed (an item
    repeated zero times gets zero)."""
    a = np.asarray(a)
    if axis is None:
        shape, axis, g = (a.size,), 0, np.ravel(g)
    else:
        shape, axis = a.shape, axis % a.ndim
    g = np.moveaxis(np.asarray(g), axis, 0)
    counts = np.broadcast_to(repeats, (shape[axis],))
    summed = np.zeros((shape[axis],) + g.shape[1:], dtype=_real_dtype(g))
    kept = counts > 0
    if np.any(kept):
        # Each kept item's first copy; items repeated zero times have none.
        starts = (np.cumsum(counts) - counts)[kept]
        summed[kept] = np.add.reduceat(g, starts, axis=0)
    return np.reshape(np.moveaxis(summed, 0, axis), a.shape)


def negated_shift(shift: Any) -> Any:
    """The shift that undoes ``np.roll(x, shift)``."""
    if isinstance(shift, (tuple, list)):
        return tuple(-s for s in shift)
    return -shift


def inverse_moveaxis(source: Any, destination: Any) -> tuple:
    """The (source, destination) that undo ``np.moveaxis(x, source, destination)``."""
    return destination, source


def pad_gradient(g: Any, array: Any, pad_width: Any, mode: str) -> Any:
    """The gradient of ``np.pad(array, pad_width)`` in constant mode: the middle."""
    if mode != 'constant':
        raise NotImplementedError(f"the derivative of np.pad covers mode='constant' only, "
                                  f'not {mode!r}')
    array = np.asarray(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int).reshape(-1, 2)
                             if np.ndim(pad_width) else np.full((1, 2), pad_width),
                             (array.ndim, 2))
    index = tuple(slice(before, before + n) for (before, _), n in zip(widths, array.shape))
    return np.asarray(g)[index]


def diag_gradient(g: Any, v: Any, k: int) -> Any:
    """The gradient of ``np.diag(v, k)``: a diagonal read, or a matrix with g placed."""
    if np.ndim(v) == 1:
        return np.diagonal(g, offset=k).copy()
    return diagonal_gradient(g, v, k, 0, 1)


def diagonal_gradient(g: Any, a: Any, offset: int, axis1: int, axis2: int) -> Any:
    """The gradient of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` put back."""
    result = np.zeros(np.shape(a), dtype=_real_dtype(g, a))
    view = np.diagonal(result, offset=offset, axis1=axis1, axis2=axis2)
    view.setflags(write=True)
    view[...] = g
    return result


def take_gradient(g: Any, a: Any, indices: Any, axis: Any) -> Any:
    """The gradient of ``np.take(a, indices, axis)``: ``g`` added at the indices."""
    a = np.asarray(a)
    result = np.zeros(a.size if axis is None else a.shape, dtype=_real_dtype(g, a))
    if axis is None:
        np.add.at(result, np.asarray(indices).ravel(), np.ravel(g))
        return result.reshape(a.shape)
    axis = axis % a.ndim
    moved = np.moveaxis(result, axis, 0)
    np.add.at(moved, np.asarray(indices), np.moveaxis(
        np.asarray(g), tuple(range(axis, axis + np.ndim(indices))),
        tuple(range(np.ndim(indices)))))
    return result


def take_along_axis_gradient(g: Any, arr: Any, indices: Any, axis: Any) -> Any:
    """The gradient of ``np.take_along_axis``: ``g`` added back where it was taken."""
    arr = np.asarray(arr)
    if axis is None:
        result = np.zeros(arr.size, dtype=_real_dtype(g, arr))
        np.add.at(result, np.asarray(indices).ravel(), np.ravel(g))
        return result.reshape(arr.shape)
    axis = axis % arr.ndim
    indices = np.asarray(indices)
    grids = np.indices(indices.shape, sparse=True)
    index = tuple(indices if i == axis else np.broadcast_to(grid, indices.shape)
                  for i, grid in enumerate(grids))
    result = np.zeros(arr.shape, dtype=_real_dtype(g, arr))
    np.add.at(result, index, g)
    return result


def sort_gradient(g: Any, a: Any, axis: Any) -> Any:
    """The gradient of ``np.sort(a, axis)``: ``g`` sent back to where each value was."""
    a = np.asarray(a)
    if axis is None:
        order = np.argsort(a, axis=None, kind='stable')
        result = np.zeros(a.size, dtype=_real_dtype(g, a))
        result[order] = np.ravel(g)
        return result.reshape(a.shape)
    order = np.argsort(a, axis=axis, kind='stable')
    result = np.zeros(a.shape, dtype=_real_dtype(g, a))
    np.put_along_axis(result, order, g, axis=axis)
    return result


def sort_tangent(da: Any, a: Any, axis: Any) -> Any:
    """The tangent of ``np.sort(a, axis)``: ``da`` in the sorted order."""
    if axis is None:
        return np.ravel(da)[np.argsort(a, axis=None, kind='stable')]
    return np.take_along_axis(np.asarray(da), np.argsort(a, axis=axis, kind='stable'), axis)


def append_gradient(g: Any, arr: Any, values: Any, axis: Any, first: bool) -> Any:
    """The gradient of ``np.append(arr, values, axis)`` for ``arr`` (first) or ``values``."""
    g = np.asarray(g)
    if axis is None:
        flat = np.ravel(g)
        size = np.size(arr)
        return np.reshape(flat[:size], np.shape(arr)) if first else \
            np.reshape(flat[size:], np.shape(values))
    size = np.shape(arr)[axis]
    index = [slice(None)] * g.ndim
    index[axis] = slice(None, size) if first else slice(size, None)
    return g[tuple(index)]


def nan_mask_gradient(g: Any, a: Any, axis: Any, keepdims: bool, mean: bool) -> Any:
    """The gradient of ``np.nansum`` (or ``nanmean``): none for the NaN entries."""
    a = np.asarray(a)
    present = ~np.isnan(a)
    spread = _expand(_as_gradient(g, a), a.ndim, axis, keepdims) * present
    if mean:
        spread = spread / np.sum(present, axis=_axes(axis, a.ndim) if a.ndim else None,
                                 keepdims=True, dtype=spread.dtype)
    return spread


def nan_count(a: Any, axis: Any, keepdims: bool) -> Any:
    """How many non-NaN entries each ``nanmean`` averages."""
    a = np.asarray(a)
    return np.sum(~np.isnan(a), axis=_axes(axis, a.ndim) if a.ndim else None,
                  keepdims=keepdims, dtype=_real_dtype(a))


def _nan_variance_parts(a: Any, axis: Any, ddof: int, keepdims: bool) -> tuple:
    """For ``np.nanvar``: the present (non-NaN) entries, their deviations from the
    mean of the present ones (0 at NaNs), the axes and the divisor count - ddof."""
    present = ~np.isnan(a)
    axes = _axes(axis, a.ndim) if a.ndim else None
    centred = np.where(present, a - np.nanmean(a, axis=axes, keepdims=True), 0.0)
    count = np.sum(present, axis=axes, keepdims=keepdims, dtype=_real_dtype(a))
    return present, centred, axes, count - ddof


def nan_variance_gradient(g: Any, a: Any, axis: Any, ddof: int, keepdims: bool) -> Any:
    """The gradient of ``np.nanvar(a, axis, ddof=ddof, keepdims=keepdims)``:
    2 (a - mean) / (count - ddof) at the present entries, none at the NaNs."""
    a = np.asarray(a)
    _, centred, _, divisor = _nan_variance_parts(a, axis, ddof, True)
    return _expand(g, a.ndim, axis, keepdims) * 2.0 * centred / divisor


def nan_variance_tangent(da: Any, a: Any, axis: Any, ddof: int, keepdims: bool) -> Any:
    """The tangent of ``np.nanvar``: the NaN entries' tangents do not count."""
    a = np.asarray(a)
    present, centred, axes, divisor = _nan_variance_parts(a, axis, ddof, keepdims)
    return np.sum(2.0 * centred * np.where(present, da, 0.0), axis=axes,
                  keepdims=keepdims) / divisor


# Covariance and correlation -----------------------------------------------------------

def _no_weights(function: str, fweights: Any, aweights: Any, reverse: bool) -> None:
    if fweights is not None or aweights is not None:
        error = ReverseNotImplementedError if reverse else ForwardNotImplementedError
        raise error(function, 'with fweights or aweights: its derivative covers unweighted '
                    'observations only', 'Repeat or weight the observations yourself.')


def _as_variables(values: Any, rowvar: bool) -> Any:
    """One input of ``np.cov`` as rows of variables, observations along axis 1."""
    rows = np.atleast_2d(values)
    return matrix_transpose(rows) if not rowvar and rows.shape[0] != 1 else rows


def _all_variables(m: Any, y: Any, rowvar: bool) -> Any:
    x = _as_variables(m, rowvar)
    return x if y is None else np.concatenate([x, _as_variables(y, rowvar)], axis=0)


def _covariance_divisor(observations: int, bias: bool, ddof: Any) -> int:
    if ddof is None:
        return observations - (0 if bias else 1)
    return observations - ddof


def covariance_gradient(g: Any, m: Any, y: Any, rowvar: bool, bias: bool, ddof: Any,
                        of_y: bool, fweights: Any = None, aweights: Any = None) -> Any:
    """The gradient of ``c = np.cov(m, y, rowvar, bias, ddof)`` in ``m`` (or in ``y``).

    With X the variables as rows and Xc = X - mean(X, axis=1), c = Xc Xc^T / n, so
    the gradient in X is (G + G^T) Xc / n (already centred), split back into m's and
    y's rows and laid out as they were.
    """
    _no_weights('np.cov', fweights, aweights, True)
    x = _all_variables(m, y, rowvar)
    count = x.shape[0]
    g = np.reshape(_as_gradient(g, x), (count, count))
    centred = x - np.mean(x, axis=1, keepdims=True)
    gradient = (g + matrix_transpose(g)) @ centred / _covariance_divisor(x.shape[1], bias,
                                                                         ddof)
    first = _as_variables(m, rowvar).shape[0]
    part, like = (gradient[first:], y) if of_y else (gradient[:first], m)
    if not rowvar and np.atleast_2d(like).shape[0] != 1:
        part = matrix_transpose(part)
    # np.cov computes float32 inputs in float64; their gradient stays float32.
    return _in_dtype_of(np.reshape(part, np.shape(like)), like)


def covariance_tangent(dm: Any, dy: Any, m: Any, y: Any, rowvar: bool, bias: bool,
                       ddof: Any, fweights: Any = None, aweights: Any = None) -> Any:
    """The tangent of ``np.cov(m, y, rowvar, bias, ddof)``: (dXc Xc^T + Xc dXc^T) / n."""
    _no_weights('np.cov', fweights, aweights, False)
    x = _all_variables(m, y, rowvar)
    dx = _all_variables(np.broadcast_to(dm, np.shape(m)),
                        None if y is None else np.broadcast_to(dy, np.shape(y)), rowvar)
    centred = x - np.mean(x, axis=1, keepdims=True)
    dcentred = dx - np.mean(dx, axis=1, keepdims=True)
    product = dcentred @ matrix_transpose(centred)
    return np.squeeze(product + matrix_transpose(product)) / _covariance_divisor(
        x.shape[1], bias, ddof)


def _correlation_scale(c: Any) -> tuple:
    """s s^T for the standard deviations s = sqrt(diag(c)), and the correlations."""
    deviations = np.sqrt(np.diagonal(c))
    scale = deviations[:, None] * deviations[None, :]
    return scale, c / scale


def correlation_gradient(g: Any, x: Any, y: Any, rowvar: bool, of_y: bool) -> Any:
    """The gradient of ``r = np.corrcoef(x, y, rowvar)`` in ``x`` (or in ``y``).

    r = c / (s s^T) with c the covariance and s_i = sqrt(c_ii), so the seed of c is
    G / (s s^T), less on the diagonal (sum_j (G r)_ij + sum_j (G r)_ji) / (2 c_ii).
    """
    c = np.atleast_2d(np.cov(x, y, rowvar))
    count = c.shape[0]
    g = np.reshape(_as_gradient(g, c), (count, count))
    scale, r = _correlation_scale(c)
    weighted = g * r
    through_deviations = (np.sum(weighted, axis=1) + np.sum(weighted, axis=0)) / (
        2.0 * np.diagonal(c))
    seed = g / scale - through_deviations[:, None] * np.eye(count, dtype=_real_dtype(c))
    return covariance_gradient(seed, x, y, rowvar, False, None, of_y)


def correlation_tangent(dx: Any, dy: Any, x: Any, y: Any, rowvar: bool) -> Any:
    """The tangent of ``np.corrcoef(x, y, rowvar)``:
    dc / (s s^T) - r (u_i + u_j) with u_i = dc_ii / (2 c_ii)."""
    c = np.atleast_2d(np.cov(x, y, rowvar))
    dc = np.atleast_2d(covariance_tangent(dx, dy, x, y, rowvar, False, None))
    scale, r = _correlation_scale(c)
    moved = np.diagonal(dc) / (2.0 * np.diagonal(c))
    return np.squeeze(dc / scale - r * (moved[:, None] + moved[None, :]))


# Vandermonde matrices and selections ------------------------------------------------

def vander_slopes(x: Any, n: Any, increasing: bool) -> Any:
    """The derivative of each entry of ``np.vander(x, n, increasing)`` in its x:
    p x^(p - 1) for the column's power p (0 for p = 0, also at x = 0)."""
    x = np.asarray(x)
    count = x.shape[0] if n is None else n
    powers = np.arange(count) if increasing else np.arange(count)[::-1]
    powers = np.asarray(powers, dtype=_real_dtype(x))
    return powers * x[:, None] ** np.maximum(powers - 1.0, 0.0)


def vander_gradient(g: Any, x: Any, n: Any, increasing: bool) -> Any:
    """The gradient of ``np.vander(x, n, increasing)``: each row of ``g`` times the
    slopes of its row, summed (in x's dtype: NumPy computes float32 in float64)."""
    return _in_dtype_of(np.sum(g * vander_slopes(x, n, increasing), axis=1), x)


def _selected(condlist: Any, count: int) -> Any:
    """Which choice ``np.select`` takes at each position: the index of the first true
    condition, ``count`` where it takes the default."""
    return np.select(condlist, list(range(count)), count)


def select_gradient(g: Any, condlist: Any, choicelist: Any, default: Any,
                    of_default: bool) -> Any:
    """The gradients of ``np.select(condlist, choicelist, default)``: the list of the
    choices' (``g`` where each is taken), or the default's."""
    which = _selected(condlist, len(choicelist))
    if of_default:
        return _unbroadcast_to(np.where(which == len(choicelist), g, 0.0), default)
    return [_unbroadcast_to(np.where(which == index, g, 0.0), choice)
            for index, choice in enumerate(choicelist)]


def select_tangent(condlist: Any, dchoices: Any, ddefault: Any) -> Any:
    """The tangent of ``np.select``: the tangent of whichever value it takes (the
    first true condition's choice, else the default)."""
    result = ddefault
    for condition, dchoice in zip(condlist[::-1], dchoices[::-1]):
        result = np.where(condition, dchoice, result)
    return result


# Constructors and grids linear in their values ---------------------------------------

def _carries_derivative(y: Any) -> bool:
    """Whether a result of ``y``'s dtype can carry a derivative (not a cast to an
    integer or boolean dtype, which is piecewise constant)."""
    return np.asarray(y).dtype.kind in 'fc'


def fill_gradient(g: Any, y: Any, fill_value: Any) -> Any:
    """The gradient of ``np.full(shape, fill_value)`` (or ``np.full_like``) with respect to
    ``fill_value``: the seed summed down to its shape, zero through an integer dtype."""
    if not _carries_derivative(y):
        g = np.zeros(np.shape(y))
    return _unbroadcast_to(np.broadcast_to(g, np.shape(y)), fill_value)


def fill_tangent(dfill: Any, y: Any) -> Any:
    """The tangent of ``np.full`` (or ``np.full_like``): the fill's tangent everywhere."""
    if not _carries_derivative(y):
        return np.zeros(np.shape(y), _real_dtype(dfill))
    return np.array(np.broadcast_to(dfill, np.shape(y)), dtype=np.asarray(y).dtype)


def _unbroadcast_to(g: Any, like: Any) -> Any:
    """``g`` summed down to the shape of ``like``, in its floating dtype (a Python float
    for a Python number): ``tangent.unbroadcast`` without importing the runtime."""
    g = np.asarray(g)
    shape = np.shape(like)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    if isinstance(like, (bool, int, float)):
        return float(g)
    dtype = _real_dtype(like) if _carries_derivative(like) else g.dtype
    if not shape:
        return dtype.type(g)
    return np.asarray(g, dtype=dtype)


def _sample_fractions(num: int, endpoint: bool, ndim: int, axis: int, dtype: Any) -> Any:
    """Where each sample of ``np.linspace`` lies between start (0) and stop (1), shaped
    to broadcast along the samples' ``axis`` of an ``ndim``-dimensional result."""
    div = num - 1 if endpoint else num
    fractions = np.arange(num, dtype=dtype) / div if div > 0 else np.zeros(num, dtype)
    shape = [1] * ndim
    shape[axis % ndim] = num
    return fractions.reshape(shape)


def _linspace_adjoint(g: Any, start: Any, stop: Any, num: int, endpoint: bool, axis: int,
                      at_stop: bool) -> Any:
    common = np.broadcast_shapes(np.shape(start), np.shape(stop))
    ndim = len(common) + 1
    g = np.asarray(g)
    shape = common[:axis % ndim] + (num,) + common[axis % ndim:]
    weights = _sample_fractions(num, endpoint, ndim, axis, _real_dtype(g, start, stop))
    weights = weights if at_stop else 1.0 - weights
    return _unbroadcast_to(np.sum(np.broadcast_to(g, shape) * weights, axis=axis % ndim),
                           stop if at_stop else start)


def _linspace_forward(dstart: Any, dstop: Any, start: Any, stop: Any, num: int,
                      endpoint: bool, axis: int, dtype: Any) -> Any:
    common = np.broadcast_shapes(np.shape(start), np.shape(stop))
    ndim = len(common) + 1
    t = _sample_fractions(num, endpoint, ndim, axis, dtype)
    begin = np.expand_dims(np.broadcast_to(np.asarray(dstart, dtype), common), axis % ndim)
    end = np.expand_dims(np.broadcast_to(np.asarray(dstop, dtype), common), axis % ndim)
    return begin * (1.0 - t) + end * t


def linspace_gradient(g: Any, y: Any, start: Any, stop: Any, num: int, endpoint: bool,
                      retstep: bool, axis: int, at_stop: bool) -> Any:
    """The gradient of ``np.linspace(start, stop, num, endpoint, retstep, axis=axis)`` with
    respect to ``start`` (or ``stop``, ``at_stop``): sample ``k`` is
    ``start + (stop - start) * k / div``. With ``retstep`` the seed is a pair."""
    samples, g_samples = (y[0], g[0]) if retstep else (y, g)
    if not _carries_derivative(samples):
        return _unbroadcast_to(np.zeros(np.shape(samples)), stop if at_stop else start)
    gradient = _linspace_adjoint(g_samples, start, stop, num, endpoint, axis, at_stop)
    div = num - 1 if endpoint else num
    if retstep and div > 0:
        step_part = _unbroadcast_to(np.asarray(g[1]) / (div if at_stop else -div),
                                    stop if at_stop else start)
        gradient = gradient + step_part
    return gradient


def linspace_tangent(dstart: Any, dstop: Any, y: Any, start: Any, stop: Any, num: int,
                     endpoint: bool, retstep: bool, axis: int) -> Any:
    """The tangent of ``np.linspace`` (a pair with ``retstep``)."""
    samples = y[0] if retstep else y
    dtype = np.asarray(samples).dtype
    if not _carries_derivative(samples):
        tangent = np.zeros(np.shape(samples))
    else:
        tangent = _linspace_forward(dstart, dstop, start, stop, num, endpoint, axis, dtype)
    if not retstep:
        return tangent
    div = num - 1 if endpoint else num
    return tangent, (np.subtract(dstop, dstart) / div if div > 0 else 0.0)


def _logspace_parts(start: Any, stop: Any, num: int, endpoint: bool, base: Any,
                    axis: int) -> tuple:
    """What ``np.logspace`` raises ``base`` to: the start, stop and base as it broadcasts
    them, and the exponents (``np.linspace`` of start and stop)."""
    if not isinstance(base, (float, int)) and np.ndim(base):
        ndmax = np.broadcast(start, stop, base).ndim
        start, stop, base = (np.array(v, copy=None, ndmin=ndmax) for v in (start, stop, base))
        base = np.expand_dims(base, axis=axis)
    return start, stop, base, np.linspace(start, stop, num, endpoint, axis=axis)


def logspace_gradient(g: Any, y: Any, start: Any, stop: Any, num: int, endpoint: bool,
                      base: Any, axis: int, part: str) -> Any:
    """The gradient of ``y = np.logspace(start, stop, num, endpoint, base, axis=axis)``,
    ``base ** linspace(start, stop)``, with respect to ``part``: ``'start'``, ``'stop'``
    or ``'base'`` (``dy/dbase = y * exponent / base``)."""
    like = {'start': start, 'stop': stop, 'base': base}[part]
    if not _carries_derivative(y):
        return _unbroadcast_to(np.zeros(np.shape(like)), like)
    start_b, stop_b, base_b, exponent = _logspace_parts(start, stop, num, endpoint, base, axis)
    g = np.broadcast_to(g, np.shape(y))
    if part == 'base':
        gradient = _unbroadcast_to(g * y * exponent / base_b, base_b)
        return _unbroadcast_to(np.reshape(gradient, np.shape(base)), base)
    g_exponent = _unbroadcast_to(g * y * np.log(base_b), exponent)
    gradient = _linspace_adjoint(g_exponent, start_b, stop_b, num, endpoint, axis,
                                 part == 'stop')
    return _unbroadcast_to(np.reshape(gradient, np.shape(start_b if part == 'start' else
                                                          stop_b)), like)


def logspace_tangent(dstart: Any, dstop: Any, dbase: Any, y: Any, start: Any, stop: Any,
                     num: int, endpoint: bool, base: Any, axis: int) -> Any:
    """The tangent of ``np.logspace`` for tangents of start, stop and base."""
    if not _carries_derivative(y):
        return np.zeros(np.shape(y))
    dtype = np.asarray(y).dtype
    start_b, stop_b, base_b, exponent = _logspace_parts(start, stop, num, endpoint, base, axis)
    if np.ndim(base_b) and np.ndim(dbase):  # spread like the base itself
        dbase = np.expand_dims(np.array(dbase, ndmin=np.ndim(base_b) - 1), axis)
    dexponent = _linspace_forward(dstart, dstop, start_b, stop_b, num, endpoint, axis, dtype)
    return np.asarray(y * (np.log(base_b) * dexponent + exponent * dbase / base_b),
                      dtype=dtype)


def geomspace_gradient(g: Any, y: Any, start: Any, stop: Any, num: int, endpoint: bool,
                       axis: int, at_stop: bool) -> Any:
    """The gradient of ``y = np.geomspace(start, stop, num, endpoint, axis=axis)``, sample
    ``k`` being ``start ** (1 - t) * stop ** t``, with respect to ``start`` (or
    ``stop``): ``(1 - t) * y / start`` (``t * y / stop``)."""
    like = stop if at_stop else start
    if not _carries_derivative(y):
        return _unbroadcast_to(np.zeros(np.shape(like)), like)
    common = np.broadcast_shapes(np.shape(start), np.shape(stop))
    ndim = len(common) + 1
    value = np.expand_dims(np.broadcast_to(like, common), axis % ndim)
    scaled = np.broadcast_to(g, np.shape(y)) * y / value
    return _linspace_adjoint(scaled, start, stop, num, endpoint, axis, at_stop)


def geomspace_tangent(dstart: Any, dstop: Any, y: Any, start: Any, stop: Any, num: int,
                      endpoint: bool, axis: int) -> Any:
    """The tangent of ``np.geomspace``: ``y * ((1 - t) dstart / start + t dstop / stop)``."""
    if not _carries_derivative(y):
        return np.zeros(np.shape(y))
    dtype = np.asarray(y).dtype
    relative = _linspace_forward(np.divide(dstart, start), np.divide(dstop, stop), start, stop,
                                 num, endpoint, axis, dtype)
    return np.asarray(y * relative, dtype=dtype)


def _grid_axes(count: int, indexing: str) -> list[int]:
    """The axis of ``np.meshgrid``'s output along which each input varies."""
    axes = list(range(count))
    if indexing == 'xy' and count > 1:
        axes[0], axes[1] = 1, 0
    return axes


def meshgrid_gradient(g: Any, arguments: Any, index: int, indexing: str) -> Any:
    """The gradient of ``np.meshgrid(*arguments, indexing=indexing)`` (dense or sparse)
    with respect to ``arguments[index]``: its grid's seed summed over the other axes."""
    arguments = present_operands(*arguments)
    axes = _grid_axes(len(arguments), indexing)
    sizes = [np.size(argument) for argument in arguments]
    shape = [1] * len(arguments)
    for axis, size in zip(axes, sizes):
        shape[axis] = size
    seed = np.asarray(g[index])
    full = np.broadcast_shapes(np.shape(seed), tuple(
        size if axis == axes[index] else 1 for axis, size in enumerate(shape)))
    others = tuple(axis for axis in range(len(arguments)) if axis != axes[index])
    total = np.sum(np.broadcast_to(seed, full), axis=others)
    argument = arguments[index]
    return _unbroadcast_to(np.reshape(total, np.shape(argument)), argument)


def meshgrid_tangent(tangents: Any, arguments: Any, sparse: bool, indexing: str) -> tuple:
    """The tangent of ``np.meshgrid``: the grids of the inputs' tangents."""
    arguments = present_operands(*arguments)
    spread = [np.broadcast_to(np.asarray(tangent, _real_dtype(argument)), np.shape(argument))
              for tangent, argument in zip(tangents, arguments)]
    return tuple(np.meshgrid(*spread, sparse=sparse, indexing=indexing))


def arange_gradient(g: Any, y: Any, start_or_stop: Any, stop: Any, wrt_step: bool) -> Any:
    """The gradient of ``y = np.arange(start, stop, step)``, ``y[k] = start + k * step``,
    with respect to ``start`` (1 for every element; none when the only position
    argument is the stop) or to ``step`` (``k``). The stop sets the length only."""
    g = np.asarray(g)
    if not _carries_derivative(y) or (not wrt_step and stop is None):
        return 0.0
    if wrt_step:
        return np.sum(g * np.arange(np.size(y), dtype=_real_dtype(g, y)))
    return np.sum(g)


def arange_tangent(dstart: Any, dstep: Any, y: Any, stop: Any) -> Any:
    """The tangent of ``np.arange(start, stop, step)``."""
    if not _carries_derivative(y):
        return np.zeros(np.shape(y))
    dtype = np.asarray(y).dtype
    steps = np.arange(np.size(y), dtype=dtype)
    moving = 0.0 if stop is None else dstart
    return np.asarray(moving + steps * dstep, dtype=dtype)


# Convolution, interpolation, polynomials ------------------------------------------------

def _full_offset(mode: str, n: int, m: int, correlate: bool) -> int:
    """Where ``mode``'s output starts inside the 'full' convolution (or correlation)."""
    small = min(n, m)
    if mode == 'full':
        return 0
    if mode == 'valid':
        return small - 1
    if mode == 'same':
        # np.correlate swaps its operands when the second is longer, and so centres
        # the other way.
        centre = (small - 1) // 2
        return small - 1 - centre if correlate and m > n else centre
    raise NotImplementedError(f'the derivative of np.convolve/np.correlate covers modes '
                              f"'full', 'same' and 'valid', not {mode!r}")


def convolution_gradient(g: Any, a: Any, v: Any, mode: str, left: bool,
                         correlate: bool) -> Any:
    """The gradient of ``np.convolve(a, v, mode)`` (or ``np.correlate``, ``correlate``)
    with respect to ``a`` (``left``) or ``v``, for real 1-D operands."""
    a, v = np.atleast_1d(a), np.atleast_1d(v)
    n, m = a.size, v.size
    dtype = _real_dtype(g, a, v)
    seed = np.atleast_1d(np.asarray(g, dtype=dtype))
    full = np.zeros(n + m - 1, dtype)
    offset = _full_offset(mode, n, m, correlate)
    full[offset:offset + seed.size] = seed
    kernel = v[::-1] if correlate else v
    if left:
        return _unbroadcast_to(np.correlate(full, kernel, 'valid'), a)
    gradient = np.correlate(full, a, 'valid')
    return _unbroadcast_to(gradient[::-1] if correlate else gradient, v)


def _interp_table(xp: Any, fp: Any, period: Any) -> tuple:
    """The sample points ``np.interp`` interpolates between, and for each the index of
    its value in ``fp`` (periodic samples are sorted and wrapped around once)."""
    xp = np.asarray(xp, dtype=np.float64)
    source = np.arange(np.size(fp))
    if period is None:
        return xp, source
    period = abs(period)
    xp = xp % period
    order = np.argsort(xp)
    xp, source = xp[order], source[order]
    return (np.concatenate((xp[-1:] - period, xp, xp[0:1] + period)),
            np.concatenate((source[-1:], source, source[0:1])))


def _interp_segments(x: Any, xp: Any, fp: Any, period: Any) -> tuple:
    """For each ``x``: the segment's left end, its fractional position inside, and
    masks for the points below and above the samples."""
    table, source = _interp_table(xp, fp, period)
    x = np.asarray(x, dtype=np.float64)
    if period is not None:
        x = x % abs(period)
    last = table.size - 1
    index = np.clip(np.searchsorted(table, x, side='right') - 1, 0, max(last - 1, 0))
    upper = np.minimum(index + 1, last)
    width = table[upper] - table[index]
    fraction = np.where(width > 0, (x - table[index]) / np.where(width > 0, width, 1.0), 0.0)
    below, above = x < table[0], x > table[last]
    return table, source, index, upper, fraction, width, below, above


def interp_slope(x: Any, xp: Any, fp: Any, left: Any, right: Any, period: Any) -> Any:
    """``d np.interp(x, xp, fp) / dx``: the slope of the segment holding each ``x``
    (the one to its right at a sample point), 0 outside the samples."""
    table, source, index, upper, _, width, below, above = _interp_segments(x, xp, fp, period)
    values = np.asarray(fp, dtype=np.float64)[source]
    slope = np.where(width > 0, (values[upper] - values[index]) /
                     np.where(width > 0, width, 1.0), 0.0)
    return np.asarray(np.where(below | above, 0.0, slope), dtype=_real_dtype(x))


def _interp_weights(x: Any, xp: Any, fp: Any, left: Any, right: Any, period: Any) -> tuple:
    """Index arrays into ``fp`` and their weights, so that ``y = sum w * fp[i]`` (plus
    the ``left``/``right`` values outside the samples)."""
    table, source, index, upper, fraction, _, below, above = _interp_segments(x, xp, fp,
                                                                              period)
    inside = ~(below | above)
    low_weight = np.where(inside, 1.0 - fraction, 0.0)
    high_weight = np.where(inside, fraction, 0.0)
    if left is None or period is not None:
        low_weight = np.where(below, 1.0, low_weight)  # below: fp[0] is the value
    if right is None or period is not None:
        high_weight = np.where(above, 1.0, high_weight)  # above: fp[-1] is the value
        upper = np.where(above, table.size - 1, upper)
    index = np.where(below, 0, index)
    return source[index], low_weight, source[upper], high_weight


def interp_fp_gradient(g: Any, x: Any, xp: Any, fp: Any, left: Any, right: Any,
                       period: Any) -> Any:
    """The gradient of ``np.interp(x, xp, fp, left, right, period)`` with respect to
    ``fp``: each seed split between the two samples around its ``x``."""
    low, low_weight, high, high_weight = _interp_weights(x, xp, fp, left, right, period)
    seed = np.broadcast_to(np.asarray(g), np.shape(low))
    gradient = np.zeros(np.size(fp), dtype=_real_dtype(g, fp))
    np.add.at(gradient, low.ravel(), (seed * low_weight).ravel())
    np.add.at(gradient, high.ravel(), (seed * high_weight).ravel())
    return _unbroadcast_to(gradient.reshape(np.shape(fp)), fp)


def interp_fp_tangent(dfp: Any, x: Any, xp: Any, fp: Any, left: Any, right: Any,
                      period: Any) -> Any:
    """The tangent of ``np.interp`` for a tangent of ``fp``."""
    low, low_weight, high, high_weight = _interp_weights(x, xp, fp, left, right, period)
    dfp = np.broadcast_to(np.asarray(dfp, dtype=_real_dtype(dfp, fp)), np.shape(fp))
    return dfp[low] * low_weight + dfp[high] * high_weight


def interp_slope_fp_gradient(g: Any, x: Any, xp: Any, fp: Any, left: Any, right: Any,
                             period: Any) -> Any:
    """The transpose of ``interp_slope`` in ``fp``: each seed over its segment's width,
    added to the sample on its right and taken from the one on its left. It is also
    how the weights of ``interp_fp_gradient`` move with ``x``."""
    _, source, index, upper, _, width, below, above = _interp_segments(x, xp, fp, period)
    inside = ~(below | above) & (width > 0)
    share = np.where(inside, np.broadcast_to(np.asarray(g), np.shape(width)) /
                     np.where(width > 0, width, 1.0), 0.0)
    gradient = np.zeros(np.size(fp), dtype=_real_dtype(g, fp))
    np.add.at(gradient, source[upper].ravel(), share.ravel())
    np.subtract.at(gradient, source[index].ravel(), share.ravel())
    return _unbroadcast_to(gradient.reshape(np.shape(fp)), fp)


def interp_outside(x: Any, xp: Any, period: Any, below: bool) -> Any:
    """1.0 where ``np.interp`` returns its ``left`` (``below``) or ``right`` value."""
    if period is not None:
        return np.zeros(np.shape(x))
    xp = np.asarray(xp)
    x = np.asarray(x)
    return np.asarray(x < xp[0] if below else x > xp[-1], dtype=np.float64)


def polynomial_slope(p: Any, x: Any) -> Any:
    """``d np.polyval(p, x) / dx``, the derivative polynomial at ``x``."""
    p = np.asarray(p)
    slope = np.polyder(p) if p.size > 1 else np.zeros(1)
    return np.polyval(slope.astype(_real_dtype(p), copy=False), x)  # float32 stays float32


def polyval_coefficient_gradient(g: Any, p: Any, x: Any) -> Any:
    """The gradient of ``np.polyval(p, x)`` with respect to the coefficients ``p``:
    ``sum(g * x ** (n - 1 - i))`` for coefficient ``i``."""
    p = np.asarray(p)
    n = p.size
    dtype = _real_dtype(g, p, x)
    power = np.ones(np.broadcast_shapes(np.shape(g), np.shape(x)), dtype)
    gradient = np.zeros(n, dtype)
    for i in range(n - 1, -1, -1):
        gradient[i] = np.sum(g * power)
        power = power * x
    return _unbroadcast_to(gradient.reshape(p.shape), p)


# Quantiles --------------------------------------------------------------------------------

# (alpha, beta) of NumPy's continuous quantile methods: the virtual index of q among
# n sorted values is n * q + alpha + q * (1 - alpha - beta) - 1 (Hyndman and Fan).
_CONTINUOUS_METHODS = {
    'linear': (1.0, 1.0), 'hazen': (0.5, 0.5), 'weibull': (0.0, 0.0),
    'median_unbiased': (1 / 3, 1 / 3), 'normal_unbiased': (3 / 8, 3 / 8),
    'interpolated_inverted_cdf': (0.0, 1.0),
}
_DISCRETE_METHODS = ('lower', 'higher', 'nearest', 'midpoint')


def _quantile_parts(a: Any, q: Any, axis: Any, method: str, scale: float,
                    skip_nan: bool) -> tuple:
    """For ``np.quantile(a, q / scale, axis, method)`` (``np.nanquantile`` when
    ``skip_nan``): ``a`` as rows ``(R, n)``, the stable order of each row, and for each
    quantile and row the two order statistics, their weights and ``dy/dq``."""
    if method not in _CONTINUOUS_METHODS and method not in _DISCRETE_METHODS:
        raise NotImplementedError(
            f'the derivative of np.quantile/np.percentile covers the methods '
            f'{", ".join(list(_CONTINUOUS_METHODS) + list(_DISCRETE_METHODS))}, '
            f'not {method!r}')
    a = np.asarray(a, dtype=_real_dtype(a))
    axes = _axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    rows = moved.reshape((-1, int(np.prod([a.shape[i] for i in axes], dtype=int))))
    order = np.argsort(rows, axis=-1, kind='stable')  # NaN last
    ranked = np.take_along_axis(rows, order, axis=-1)
    count = np.sum(~np.isnan(rows), axis=-1) if skip_nan else np.full(len(rows),
                                                                     rows.shape[-1])
    fractions = np.asarray(q, dtype=np.float64).reshape(-1, 1) / scale
    n = count[None, :].astype(np.float64)
    if method in _CONTINUOUS_METHODS:
        alpha, beta = _CONTINUOUS_METHODS[method]
        virtual = n * fractions + alpha + fractions * (1.0 - alpha - beta) - 1.0
        slope = n + 1.0 - alpha - beta
        inside = (virtual > 0) & (virtual < n - 1)
        virtual = np.clip(virtual, 0.0, np.maximum(n - 1.0, 0.0))
    else:
        virtual = fractions * (n - 1.0)
        slope, inside = 0.0, False
    low = np.floor(virtual)
    gamma = virtual - low
    if method == 'lower':
        gamma = np.zeros_like(gamma)
    elif method == 'higher':
        gamma = (gamma > 0).astype(np.float64)
    elif method == 'nearest':
        gamma = (np.around(virtual) > low).astype(np.float64)
    elif method == 'midpoint':
        gamma = np.where(gamma > 0, 0.5, 0.0)
    last = np.maximum(count[None, :] - 1, 0)
    low_index = np.minimum(low.astype(np.int64), last)
    high_index = np.minimum(low_index + 1, last)
    row = np.arange(len(rows))[None, :]
    empty = count[None, :] == 0
    low_weight = np.where(empty, 0.0, 1.0 - gamma)
    high_weight = np.where(empty, 0.0, gamma)
    gap = ranked[row, high_index] - ranked[row, low_index] if ranked.size else 0.0
    dq = np.where(inside & ~empty, gap * slope / scale, 0.0)
    return (moved.shape, rest, axes, order, row, low_index, high_index, low_weight,
            high_weight, dq)


def quantile_gradient(g: Any, y: Any, a: Any, q: Any, axis: Any, method: str, scale: float,
                      skip_nan: bool) -> Any:
    """The gradient of ``y = np.quantile(a, q / scale, axis, method=method)`` (or
    ``np.percentile`` with ``scale`` 100, ``np.nanquantile`` with ``skip_nan``) with
    respect to ``a``: each seed split between the two neighbouring order statistics."""
    shape, rest, axes, order, row, low, high, low_weight, high_weight, _ = _quantile_parts(
        a, q, axis, method, scale, skip_nan)
    seed = np.broadcast_to(np.asarray(g), np.shape(y)).reshape(low.shape)
    rows = np.zeros(order.shape, dtype=_real_dtype(g, a))
    row = np.broadcast_to(row, low.shape)
    np.add.at(rows, (row, order[row, low]), seed * low_weight)
    np.add.at(rows, (row, order[row, high]), seed * high_weight)
    return np.transpose(rows.reshape(shape), np.argsort(rest + list(axes)))


def quantile_q_gradient(g: Any, y: Any, a: Any, q: Any, axis: Any, method: str,
                        scale: float, skip_nan: bool) -> Any:
    """The gradient of ``np.quantile`` (``np.percentile``, ...) with respect to ``q``:
    the gap between the two order statistics, for the interpolating methods."""
    *_, low, _, _, _, dq = _quantile_parts(a, q, axis, method, scale, skip_nan)
    seed = np.broadcast_to(np.asarray(g), np.shape(y)).reshape(low.shape)
    gradient = np.sum(seed * dq, axis=1).astype(_real_dtype(g, q), copy=False)
    return _unbroadcast_to(gradient.reshape(np.shape(q)), q)


def quantile_tangent(da: Any, dq: Any, y: Any, a: Any, q: Any, axis: Any, method: str,
                     scale: float, skip_nan: bool) -> Any:
    """The tangent of ``np.quantile`` (``np.percentile``, ...) for tangents of ``a``
    and ``q``."""
    shape, rest, axes, order, row, low, high, low_weight, high_weight, slope = \
        _quantile_parts(a, q, axis, method, scale, skip_nan)
    dtype = _real_dtype(da, dq, a)
    moved = np.transpose(np.broadcast_to(np.asarray(da, dtype), np.shape(a)), rest + list(axes))
    rows = moved.reshape(order.shape)
    row = np.broadcast_to(row, low.shape)
    tangent = (rows[row, order[row, low]] * low_weight + rows[row, order[row, high]] *
               high_weight + np.asarray(dq, dtype=np.float64).reshape(-1, 1) * slope)
    return np.asarray(tangent.reshape(np.shape(y)), dtype=dtype)


# Finite differences ---------------------------------------------------------------------

def _gradient_axes(f: Any, axis: Any) -> tuple[int, ...]:
    ndim = np.ndim(f)
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def _gradient_spacings(spacings: Any, count: int) -> list:
    spacings = list(spacings)
    if not spacings:
        return [1.0] * count
    if len(spacings) == 1 and np.ndim(spacings[0]) == 0:
        return spacings * count
    return spacings


def _difference_transpose(g: Any, n: int, spacing: Any, edge_order: int) -> Any:
    """The transpose of ``np.gradient``'s difference along the last axis of ``g``.

    Each output of ``np.gradient`` reads at most three neighbouring inputs, within the
    window starting at ``clip(i - 1, 0, n - 3)``; those three have distinct residues
    modulo 3, so applying ``np.gradient`` to the comb of inputs with residue ``r``
    gives, for every output, the weight of its one input with that residue.
    """
    result = np.zeros(g.shape, dtype=g.dtype)
    outputs = np.arange(n)
    start = np.clip(outputs - 1, 0, max(n - 3, 0))
    for residue in range(3):
        comb = (np.arange(n) % 3 == residue).astype(np.float64)
        weights = np.gradient(comb, spacing, edge_order=edge_order)
        inputs = start + (residue - start) % 3
        valid = inputs < n
        for shift in np.unique(inputs[valid] - outputs[valid]):
            rows = outputs[valid & (inputs - outputs == shift)]
            result[..., rows + shift] += weights[rows] * g[..., rows]
    return result


def finite_difference_gradient(g: Any, f: Any, spacings: Any, axis: Any,
                               edge_order: int) -> Any:
    """The gradient of ``np.gradient(f, *spacings, axis=axis, edge_order=edge_order)``
    (linear in ``f``) with respect to ``f``."""
    axes = _gradient_axes(f, axis)
    seeds = [g] if len(axes) == 1 else list(g)
    spacings = _gradient_spacings(spacings, len(axes))
    dtype = _real_dtype(f)
    total = np.zeros(np.shape(f), dtype)
    for seed, item, spacing in zip(seeds, axes, spacings):
        seed = np.moveaxis(np.broadcast_to(np.asarray(seed, dtype), np.shape(f)), item, -1)
        part = _difference_transpose(seed, np.shape(f)[item], spacing, edge_order)
        total = total + np.moveaxis(part, -1, item)
    return _unbroadcast_to(total, f)


def finite_difference_spacing_gradient(g: Any, y: Any, f: Any, spacings: Any, index: int,
                                       axis: Any) -> Any:
    """The gradient of ``np.gradient(f, *spacings, axis=axis)`` with respect to the
    spacing ``spacings[index]``, a scalar: the differences scale as its inverse."""
    spacing = spacings[index]
    if np.ndim(spacing):
        raise NotImplementedError('the derivative of np.gradient with respect to sample '
                                  'coordinates (an array of spacings) is not covered')
    axes = _gradient_axes(f, axis)
    seeds, results = ([g], [y]) if len(axes) == 1 else (list(g), list(y))
    used = range(len(axes)) if len(spacings) == 1 else [index]
    total = sum(np.sum(np.asarray(seeds[i]) * results[i]) for i in used)
    return _unbroadcast_to(-total / spacing, spacing)


def finite_difference_tangent(df: Any, dspacings: Any, y: Any, f: Any, spacings: Any,
                              axis: Any, edge_order: int) -> Any:
    """The tangent of ``np.gradient(f, *spacings, axis=axis, edge_order=edge_order)``."""
    axes = _gradient_axes(f, axis)
    dtype = _real_dtype(df, f)
    moving = np.broadcast_to(np.asarray(df, dtype), np.shape(f))
    parts = np.gradient(moving, *spacings, axis=axis, edge_order=edge_order)
    parts, results = ([parts], [y]) if len(axes) == 1 else (list(parts), list(y))
    dspacings = list(dspacings)[:len(spacings)]
    for index, dspacing in enumerate(dspacings):
        if np.ndim(dspacing) == 0 and dspacing == 0:
            continue
        if np.ndim(spacings[index]):
            raise NotImplementedError('the derivative of np.gradient with respect to sample '
                                      'coordinates (an array of spacings) is not covered')
        used = range(len(axes)) if len(spacings) == 1 else [index]
        for i in used:
            parts[i] = parts[i] - results[i] * (dspacing / spacings[index])
    parts = [np.asarray(part, dtype) for part in parts]
    return parts[0] if len(axes) == 1 else tuple(parts)


def ediff1d_gradient(g: Any, ary: Any, to_end: Any, to_begin: Any, part: str) -> Any:
    """The gradient of ``np.ediff1d(ary, to_end, to_begin)``, the flat differences of
    ``ary`` between ``to_begin`` and ``to_end``, with respect to ``part``: ``'ary'``,
    ``'to_end'`` or ``'to_begin'``."""
    g = np.ravel(g)
    begin = 0 if to_begin is None else np.size(to_begin)
    end = 0 if to_end is None else np.size(to_end)
    if part == 'to_begin':
        return _unbroadcast_to(g[:begin].reshape(np.shape(to_begin)), to_begin)
    if part == 'to_end':
        return _unbroadcast_to(g[g.size - end:].reshape(np.shape(to_end)), to_end)
    middle = g[begin:g.size - end]
    return _unbroadcast_to(diff_gradient(middle, np.ravel(ary), 1, 0).reshape(np.shape(ary)),
                           ary)


def ediff1d_tangent(dary: Any, dto_end: Any, dto_begin: Any, ary: Any, to_end: Any,
                    to_begin: Any) -> Any:
    """The tangent of ``np.ediff1d(ary, to_end, to_begin)``."""
    dtype = _real_dtype(ary)
    pieces = [] if to_begin is None else [np.broadcast_to(dto_begin, np.shape(to_begin))]
    pieces.append(np.diff(np.broadcast_to(dary, np.shape(ary)).ravel()))
    if to_end is not None:
        pieces.append(np.broadcast_to(dto_end, np.shape(to_end)))
    return np.concatenate([np.ravel(np.asarray(piece, dtype)) for piece in pieces])


def trapezoid_sample_gradient(g: Any, y: Any, x: Any, axis: int) -> Any:
    """The gradient of ``np.trapezoid(y, x, axis=axis)`` with respect to the sample points
    ``x``: ``sum(diff(x) * (y[1:] + y[:-1]) / 2)`` differentiated through ``diff``."""
    y = np.asarray(y)
    axis = axis % y.ndim
    head = [slice(None)] * y.ndim
    tail = [slice(None)] * y.ndim
    head[axis], tail[axis] = slice(1, None), slice(None, -1)
    means = (y[tuple(head)] + y[tuple(tail)]) / 2.0
    seed = np.expand_dims(np.asarray(g, dtype=_real_dtype(g, y, x)), axis)
    x = np.asarray(x)
    if x.ndim == 1:
        steps = np.sum(np.moveaxis(seed * means, axis, -1).reshape(-1, means.shape[axis]),
                       axis=0)
        return _unbroadcast_to(diff_gradient(steps, x, 1, 0), x)
    spacing_shape = np.shape(np.diff(x, axis=axis))
    steps = _unbroadcast_to(seed * means, np.zeros(spacing_shape))
    return _unbroadcast_to(diff_gradient(steps, x, 1, axis), x)


def trapezoid_unit_area(y: Any, x: Any, axis: int) -> Any:
    """``np.trapezoid(y, dx=1.0, axis=axis)``: its derivative in ``dx`` (none when
    sample points ``x`` are given, which override ``dx``)."""
    if x is not None:
        return 0.0
    return np.trapezoid(y, dx=1.0, axis=axis)


# Special functions and sequences --------------------------------------------------------

def bessel_i1(x: Any) -> Any:
    """The modified Bessel function ``I1``, the derivative of ``np.i0``.

    ``I1(x)`` is the mean of ``exp(x cos t) cos t`` over a full turn; the trapezoid
    rule on a periodic analytic integrand converges exponentially, and with
    ``n > sqrt(80 |x|)`` points its error is below double precision.
    """
    x = np.asarray(x)
    dtype = _real_dtype(x)
    values = x.astype(np.float64)
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    n = 16 + 2 * int(np.ceil(np.sqrt(80.0 * largest)))
    total = np.zeros(values.shape)
    for k in range(n):
        angle = np.cos(2.0 * np.pi * k / n)
        # The cosines sum to zero: expm1 keeps the small-x values (about x / 2) exact.
        total = total + np.expm1(values * angle) * angle
    result = total / n
    return result.astype(dtype)[()]  # [()] makes a 0-d result the scalar np.i0 gives


def prod_sequence_gradient(g: Any, sequence: Any, start: Any) -> Any:
    """The gradient of ``math.prod(sequence, start=start)`` with respect to the items:
    ``g`` times ``start`` and every other item (exact with zeros). A list for a list,
    an array of its shape for an array (whose items are its rows)."""
    items = list(sequence)
    before = [start]
    for item in items[:-1]:
        before.append(before[-1] * item)
    after = 1.0
    gradients = [None] * len(items)
    for i in range(len(items) - 1, -1, -1):
        gradients[i] = _unbroadcast_to(np.asarray(g * before[i] * after), items[i])
        after = after * items[i]
    if isinstance(sequence, np.ndarray):
        return np.asarray(gradients, dtype=_real_dtype(g, sequence)).reshape(sequence.shape)
    return type(sequence)(gradients) if isinstance(sequence, tuple) else gradients


def prod_sequence_tangent(tangents: Any, sequence: Any, start: Any) -> Any:
    """The tangent of ``math.prod(sequence, start=start)`` for the items' tangents."""
    items = list(sequence)
    total = 0.0
    for i, item_tangent in enumerate(tangents):
        others = start
        for j, item in enumerate(items):
            others = others * (item_tangent if i == j else item)
        total = total + others
    return total


def dist_gradient(g: Any, y: Any, p: Any, q: Any) -> Any:
    """The gradient of ``y = math.dist(p, q)`` with respect to ``p``:
    ``g * (p - q) / y`` (zero where the points coincide), shaped like ``p``."""
    difference = np.asarray(p, dtype=np.float64) - np.asarray(q, dtype=np.float64)
    direction = difference / y if y else np.zeros_like(difference)
    gradient = g * direction
    if isinstance(p, (list, tuple)):
        return type(p)(float(item) for item in gradient)
    return _unbroadcast_to(gradient, p)


def dist_tangent(dp: Any, dq: Any, y: Any, p: Any, q: Any) -> Any:
    """The tangent of ``math.dist(p, q)``."""
    difference = np.asarray(p, dtype=np.float64) - np.asarray(q, dtype=np.float64)
    if not y:
        return 0.0
    moving = np.asarray(dp, dtype=np.float64) - np.asarray(dq, dtype=np.float64)
    return float(np.sum(difference * moving)) / y


def _unique_groups(ar: Any, axis: Any, equal_nan: bool, sorted: bool) -> tuple:  # noqa: A002
    _, inverse, counts = np.unique(ar, return_inverse=True, return_counts=True, axis=axis,
                                   equal_nan=equal_nan, sorted=sorted)
    return np.reshape(inverse, -1), counts


def unique_gradient(g: Any, y: Any, ar: Any, axis: Any, equal_nan: bool = True,
                    sorted: bool = True) -> Any:  # noqa: A002 - NumPy's name
    """The gradient of ``np.unique(ar, ..., axis=axis)`` with respect to ``ar``: each
    distinct value's seed shared equally by the elements (or slices) equal to it. With
    ``return_index`` and the like the result is a tuple whose first item moves."""
    seed = g[0] if isinstance(y, tuple) else g
    values = y[0] if isinstance(y, tuple) else y
    inverse, counts = _unique_groups(ar, axis, equal_nan, sorted)
    ar = np.asarray(ar)
    dtype = _real_dtype(seed, ar)
    seed = np.broadcast_to(np.asarray(seed, dtype), np.shape(values))
    if axis is None:
        return (seed[inverse] / counts[inverse]).astype(dtype, copy=False).reshape(ar.shape)
    shape = [1] * ar.ndim
    shape[axis % ar.ndim] = inverse.size
    shares = (1.0 / counts[inverse]).reshape(shape)
    return (np.take(seed, inverse, axis=axis) * shares).astype(dtype, copy=False)


def unique_tangent(dar: Any, y: Any, ar: Any, axis: Any, equal_nan: bool = True,
                   sorted: bool = True) -> Any:  # noqa: A002 - NumPy's name
    """The tangent of ``np.unique``: the mean tangent of the elements (or slices) equal
    to each distinct value (zeros for the integer results of a tuple)."""
    values = y[0] if isinstance(y, tuple) else y
    inverse, counts = _unique_groups(ar, axis, equal_nan, sorted)
    ar = np.asarray(ar)
    dtype = _real_dtype(dar, ar)
    dar = np.broadcast_to(np.asarray(dar, dtype), ar.shape)
    total = np.zeros(np.shape(values), dtype)
    if axis is None:
        np.add.at(total, inverse, dar.ravel())
        tangent = total / counts
    else:
        axis = axis % ar.ndim
        moved = np.moveaxis(total, axis, 0)
        np.add.at(moved, inverse, np.moveaxis(dar, axis, 0))
        shape = [1] * ar.ndim
        shape[axis] = counts.size
        tangent = total / counts.reshape(shape)
    tangent = tangent.astype(dtype, copy=False)
    if isinstance(y, tuple):
        return (tangent,) + tuple(np.zeros(np.shape(item)) for item in y[1:])
    return tangent

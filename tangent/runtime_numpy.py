"""Runtime helpers named by the NumPy (and longer builtin) derivative rules (layer L0).

A derivative rule stays a few lines by calling one of these for anything
longer: the gradient of a product, of a norm, of einsum, the pieces of a
concatenation. Each takes the output gradient (or an input tangent) first.
They import only NumPy; ``tangent.utils`` re-exports them, so generated code
calls them as ``tangent.<name>``.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

__all__ = [
    'matrix_transpose', 'sinc_derivative', 'clip_passes', 'clip_bound_gradient',
    'where_gradient', 'extremum_share', 'prod_others', 'variance_gradient',
    'variance_tangent', 'reverse_cumsum', 'cumprod_gradient', 'cumprod_tangent',
    'average_gradient', 'average_weights_gradient', 'average_tangent', 'trace_gradient',
    'norm_direction', 'inner_gradient_left', 'inner_gradient_right', 'outer_gradient',
    'tensordot_gradient', 'einsum_gradient', 'kron_gradient', 'solve_gradients',
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
    'matrix_power_tangent',
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
    dtype = getattr(like, 'dtype', None)
    if dtype is not None and dtype.kind == 'f' and dtype != np.float64:
        return np.asarray(share, dtype=dtype)
    return share


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
        return np.reshape(cumprod_gradient(np.ravel(g), np.ravel(y), np.ravel(a), 0),
                          np.shape(a))
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
        return cumprod_tangent(np.ravel(np.broadcast_to(da, np.shape(a))), np.ravel(y),
                               np.ravel(a), 0)
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
    if ord == 'nuc':
        u, _, vt = np.linalg.svd(x, full_matrices=False)
        return u @ vt
    if ord in (2, -2):
        u, _, vt = np.linalg.svd(x, full_matrices=False)
        pick = 0 if ord == 2 else -1
        return u[..., :, pick:pick + 1 or None] @ vt[..., pick:pick + 1 or None, :]
    if ord in (1, -1, np.inf, -np.inf):
        over_rows = ord in (1, -1)
        sums = np.sum(np.abs(x), axis=-2 if over_rows else -1, keepdims=True)
        best = np.max(sums, axis=-1 if over_rows else -2, keepdims=True) if ord in (1, np.inf) \
            else np.min(sums, axis=-1 if over_rows else -2, keepdims=True)
        hits = (sums == best).astype(x.dtype)
        hits = hits / np.sum(hits, axis=-1 if over_rows else -2, keepdims=True)
        return np.sign(x) * hits
    raise ValueError(f'no derivative for the matrix norm of order {ord!r}')


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


def _letters(count: int, skip: str = '') -> list[str]:
    pool = [c for c in string.ascii_letters if c not in skip]
    return pool[:count]


def tensordot_gradient(g: Any, a: Any, b: Any, axes: Any, left: bool) -> Any:
    """The gradient of ``np.tensordot(a, b, axes)`` with respect to ``a`` or ``b``."""
    a, b = np.asarray(a), np.asarray(b)
    if isinstance(axes, int):
        a_axes = list(range(a.ndim - axes, a.ndim))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [axis % a.ndim for axis in np.atleast_1d(a_axes)]
        b_axes = [axis % b.ndim for axis in np.atleast_1d(b_axes)]
    letters = _letters(a.ndim + b.ndim)
    a_sub = letters[:a.ndim]
    b_sub = letters[a.ndim:]
    for a_axis, b_axis in zip(a_axes, b_axes):
        b_sub[b_axis] = a_sub[a_axis]
    out = [c for i, c in enumerate(a_sub) if i not in a_axes] + \
        [c for i, c in enumerate(b_sub) if i not in b_axes]
    if left:
        return np.einsum(f"{''.join(out)},{''.join(b_sub)}->{''.join(a_sub)}", g, b)
    return np.einsum(f"{''.join(out)},{''.join(a_sub)}->{''.join(b_sub)}", g, a)


def _explicit_subscripts(subscripts: str, operands: list) -> tuple[list[str], str]:
    """Operand and output subscripts of an einsum, with '...' spelled out."""
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
    expanded_shape = [size_of[c] if c in present else 1 for c in unique]
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
    """The weight of each sample in ``np.trapezoid(y, x, dx, axis)`` (linear in y)."""
    y = np.asarray(y)
    n = y.shape[axis]
    if x is None:
        spacing = np.full(n - 1, float(dx))
    else:
        spacing = np.diff(np.asarray(x, dtype=float))
        if spacing.ndim != 1:
            raise NotImplementedError('the derivative of np.trapezoid covers 1-D x only')
    weights = np.zeros(n, dtype=_real_dtype(y))
    weights[:-1] += spacing / 2.0
    weights[1:] += spacing / 2.0
    shape = [1] * y.ndim
    shape[axis] = n
    return weights.reshape(shape)


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
            seed = seed @ right.T if right.ndim == 2 else np.multiply.outer(seed, right)
        if left is not None:
            seed = left.T @ seed if left.ndim == 2 else np.multiply.outer(left, seed)
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
    total = 0.0
    for index, operand_tangent in enumerate(tangents[:len(operands)]):
        if np.ndim(operand_tangent) == 0 and operand_tangent == 0:
            continue
        replaced = list(operands)
        replaced[index] = operand_tangent
        total = total + np.einsum(subscripts, *replaced)
    return total


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


def solve_gradients(g: Any, x: Any, a: Any, b: Any) -> tuple:
    """Gradients of ``x = np.linalg.solve(a, b)`` with respect to ``a`` and ``b``."""
    a = np.asarray(a)
    vector = np.ndim(b) == a.ndim - 1
    if vector:
        gb = np.linalg.solve(matrix_transpose(a), np.asarray(g)[..., None])[..., 0]
        return -gb[..., :, None] * np.asarray(x)[..., None, :], gb
    gb = np.linalg.solve(matrix_transpose(a), g)
    return -gb @ matrix_transpose(x), gb


def cholesky_gradient(g: Any, low: Any) -> Any:
    """The gradient of ``L = np.linalg.cholesky(a)`` with respect to (symmetric) ``a``."""
    low, g = np.asarray(low), np.asarray(g)
    phi = np.tril(matrix_transpose(low) @ np.tril(g))
    phi = phi - 0.5 * np.eye(low.shape[-1]) * phi
    inverse = np.linalg.inv(low)
    inner = matrix_transpose(inverse) @ phi @ inverse
    return 0.5 * (inner + matrix_transpose(inner))


def _eigh_parts(seed: Any, w: Any, v: Any) -> tuple:
    gw = getattr(seed, 'eigenvalues', None) if not isinstance(seed, tuple) or \
        hasattr(seed, 'eigenvalues') else seed[0]
    gv = getattr(seed, 'eigenvectors', None) if hasattr(seed, 'eigenvectors') else seed[1]
    gw = np.zeros_like(w) if gw is None or np.ndim(gw) == 0 and gw == 0 else gw
    gv = np.zeros_like(v) if gv is None or np.ndim(gv) == 0 and gv == 0 else gv
    return _as_gradient(gw, w), _as_gradient(gv, v)


def eigh_gradient(seed: Any, result: Any, a: Any) -> Any:
    """The gradient of ``np.linalg.eigh(a)`` (distinct eigenvalues) for seed (gw, gv)."""
    w, v = result
    gw, gv = _eigh_parts(seed, w, v)
    gaps = w[..., None, :] - w[..., :, None]
    np.fill_diagonal(gaps, np.inf) if gaps.ndim == 2 else None
    if gaps.ndim > 2:
        index = np.arange(gaps.shape[-1])
        gaps[..., index, index] = np.inf
    f = 1.0 / gaps
    vt = matrix_transpose(v)
    inner = vt @ gv
    middle = f * (inner - matrix_transpose(inner)) / 2.0
    full = v @ (gw[..., None] * np.eye(w.shape[-1], dtype=w.dtype) + middle) @ vt
    return 0.5 * (full + matrix_transpose(full))


def eigh_tangent(da: Any, result: Any) -> tuple:
    """The tangents of ``np.linalg.eigh(a)``'s eigenvalues and eigenvectors."""
    w, v = result
    da = 0.5 * (np.asarray(da) + matrix_transpose(da))
    vt = matrix_transpose(v)
    projected = vt @ da @ v
    dw = np.diagonal(projected, axis1=-2, axis2=-1).copy()
    gaps = w[..., None, :] - w[..., :, None]
    index = np.arange(w.shape[-1])
    gaps[..., index, index] = np.inf
    dv = v @ (projected / gaps)
    return dw, dv


def slogdet_gradient(seed: Any, a: Any) -> Any:
    """The gradient of ``np.linalg.slogdet(a)`` (the log-determinant part)."""
    glog = seed[1] if isinstance(seed, tuple) else getattr(seed, 'logabsdet', seed)
    return np.asarray(glog)[..., None, None] * matrix_transpose(np.linalg.inv(a))


def slogdet_tangent(da: Any, a: Any, result: Any) -> tuple:
    """The tangents of ``np.linalg.slogdet(a)``: sign constant, log|det| moving."""
    dlog = np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)
    return type(result)(np.zeros_like(result[0]), dlog) if hasattr(result, '_fields') else \
        (np.zeros_like(result[0]), dlog)


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

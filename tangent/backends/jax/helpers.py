"""Runtime helpers for JAX values (loaded only with JAX).

Generated code calls the same helpers whatever the values are
(``tangent.unbroadcast(g, x)``); the runtime hands a call to this module when
one of its deciding arguments is a JAX array or tracer. Every helper is pure:
it builds new arrays (``target.at[index].add(value)`` where the NumPy version
writes into its target) and reads shapes only from the static shape, so that
generated code runs unchanged inside ``jax.jit``.

The second half holds the helpers only the JAX rules call, as
``tangent_jax.<name>``; each has rules of its own in ``rules`` (or is declared
to have no derivative there), so that generated code can be differentiated again.

Importing this module imports JAX; the backend loads it the first time a
function being differentiated refers to JAX.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _float_dtype(value: Any) -> Any:
    """The dtype a derivative of ``value`` has: its own if inexact, else the default float."""
    dtype = getattr(value, 'dtype', None)
    if dtype is not None and jnp.issubdtype(dtype, jnp.inexact):
        return dtype
    return jnp.result_type(float)


def _axes(axis: Any, rank: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % rank for a in axes))


# Generic runtime helpers for JAX values (the runtime hands them over) ------------------

def init_grad(x: Any, allow_lazy_initializer: bool = False) -> Any:
    return jnp.zeros(jnp.shape(x), _float_dtype(x))


def ones_like(x: Any) -> Any:
    return jnp.ones(jnp.shape(x), _float_dtype(x))


def copy(x: Any) -> Any:
    """JAX arrays are immutable: an array is its own copy."""
    return x


def sign(x: Any) -> Any:
    return jnp.sign(x)


def unbroadcast(array: Any, like: Any) -> Any:
    """Sum ``array`` down to the shape of ``like`` (undo broadcasting), in like's dtype."""
    target = jnp.shape(like)
    array = jnp.asarray(array)
    if array.shape != target:
        extra = array.ndim - len(target)
        if extra > 0:
            array = jnp.sum(array, axis=tuple(range(extra)))
        offset = len(target) - array.ndim
        kept = tuple(i for i, size in enumerate(array.shape)
                     if size != 1 and target[i + offset] == 1)
        if kept:
            array = jnp.sum(array, axis=kept, keepdims=True)
        array = jnp.broadcast_to(array, target)
    if isinstance(like, (int, float, bool)):
        return array
    return array.astype(_float_dtype(like))


def broadcast_like(value: Any, like: Any) -> Any:
    """``value`` broadcast to the shape of ``like`` (a tangent of a broadcasting result)."""
    shape = jnp.shape(like)
    if jnp.shape(value) == shape:
        return value
    return jnp.broadcast_to(value, shape)


def unreduce(array: Any, shape: Any, axis: Any, keepdims: bool) -> Any:
    """The gradient of a reduction over ``axis`` of a value of ``shape``, spread back."""
    shape = tuple(shape)
    array = jnp.asarray(array)
    if not keepdims and axis is not None and shape:
        array = jnp.expand_dims(array, _axes(axis, len(shape)))
    return jnp.broadcast_to(array, shape)


def unreduce_like(array: Any, original: Any, axis: Any, keepdims: bool) -> Any:
    """``unreduce`` to the shape of ``original``, in its floating dtype."""
    return unreduce(array, jnp.shape(original), axis, keepdims).astype(_float_dtype(original))


def astype(array: Any, like: Any) -> Any:
    dtype = getattr(like, 'dtype', None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        return array
    return jnp.asarray(array).astype(dtype)


def shapes_match(a: Any, b: Any) -> bool:
    return jnp.shape(a) == jnp.shape(b)


def array_size(x: Any, axis: Any) -> int:
    shape = jnp.shape(x)
    return math.prod(shape[a] for a in _axes(axis, len(shape)))


def check_scalar(value: Any, function_name: str) -> None:
    shape = jnp.shape(value)
    if shape:
        raise ValueError(
            f'{function_name} returned a JAX array of shape {shape}; tangent.grad needs a '
            f'scalar result. Reduce it (for example with jnp.sum), or use check_dims=False.')


def check_seed(result: Any, seed: Any, function_name: str) -> None:
    if jnp.shape(result) == jnp.shape(seed):
        return
    if not jnp.shape(seed):
        check_scalar(result, function_name)
    raise ValueError(
        f'The output gradient (seed) has shape {jnp.shape(seed)} but {function_name} '
        f'returned a JAX array of shape {jnp.shape(result)}; pass a seed shaped like the '
        f'result, or check_dims=False.')


def safe_log(x: Any) -> Any:
    """log(x) where x > 0 and 0 where x == 0 (the exponent's factor of x ** y)."""
    return jnp.log(jnp.where(x == 0, 1.0, x))


def _falling(y: Any, order: int, skipped: int | None = None) -> Any:
    """The product of ``y - k`` for k below ``order``, leaving out ``k == skipped``."""
    product = jnp.ones_like(y)
    for k in range(order):
        if k != skipped:
            product = product * (y - k)
    return product


def power_slope(x: Any, y: Any, order: int = 1) -> Any:
    """The ``order``-th derivative of ``x ** y`` in x: 0 where an integer exponent
    makes it so (``x ** 0`` at 0), never ``0 * inf``."""
    y = jnp.asarray(y, _float_dtype(x))
    coefficient = _falling(y, order)
    exponent = jnp.where(coefficient == 0, 1.0, y - order)
    return coefficient * jnp.power(x, exponent)


def power_slope_exponent(x: Any, y: Any, order: int = 1) -> Any:
    """The derivative of ``power_slope(x, y, order)`` in the exponent y."""
    y = jnp.asarray(y, _float_dtype(x))
    rate = sum(_falling(y, order, skipped) for skipped in range(order))
    power = jnp.power(x, y - order)
    return rate * power + _falling(y, order) * power * safe_log(x)


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """Share of the gradient of ``z = max(x, y)`` flowing to ``x`` (half at a tie)."""
    return (x == z) / (1.0 + (x == y))


def add_at(target: Any, index: Any, value: Any) -> Any:
    """``target`` with ``value`` added at ``target[index]``: a new array (repeated
    positions accumulate); ``value`` is first summed down to the indexed shape."""
    if value is None:
        return target
    return target.at[index].add(unbroadcast(value, target[index]))


def grad_matmul_left(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``x``."""
    if jnp.ndim(y) == 1:
        if jnp.ndim(x) == 1:
            return dz * y
        return unbroadcast(dz[..., None] * y, x)
    if jnp.ndim(x) == 1:
        return unbroadcast(jnp.matmul(y, dz[..., None])[..., 0], x)
    return unbroadcast(jnp.matmul(dz, jnp.swapaxes(y, -1, -2)), x)


def grad_matmul_right(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``y``."""
    if jnp.ndim(x) == 1:
        if jnp.ndim(y) == 1:
            return dz * x
        return unbroadcast(x[:, None] * dz[..., None, :], y)
    if jnp.ndim(y) == 1:
        return unbroadcast(jnp.matmul(jnp.swapaxes(x, -1, -2), dz[..., None])[..., 0], y)
    return unbroadcast(jnp.matmul(jnp.swapaxes(x, -1, -2), dz), y)


def grad_dot(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``jnp.dot(x1, x2)`` for ``x1``."""
    if jnp.ndim(x1) == 0 or jnp.ndim(x2) == 0:
        return unbroadcast(dy * x2, x1)
    if jnp.ndim(x2) == 1:
        return jnp.expand_dims(dy, -1) * x2
    rank1, rank2 = jnp.ndim(x1), jnp.ndim(x2)
    dy_axes = list(range(rank1 - 1, rank1 - 1 + rank2 - 1))
    x2_axes = list(range(rank2 - 2)) + [rank2 - 1]
    return jnp.tensordot(dy, x2, axes=(dy_axes, x2_axes))


def grad_dot_right(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``jnp.dot(x1, x2)`` for ``x2``."""
    if jnp.ndim(x1) == 0 or jnp.ndim(x2) == 0:
        return unbroadcast(dy * x1, x2)
    rank1, rank2 = jnp.ndim(x1), jnp.ndim(x2)
    lead = rank1 - 1  # x1's leading axes come first in dy
    contracted = jnp.tensordot(x1, dy, axes=(list(range(lead)), list(range(lead))))
    if rank2 == 1:
        return contracted
    # (k, x2's leading axes..., l) -> x2's order (x2's leading axes..., k, l)
    return jnp.transpose(contracted, list(range(1, rank2 - 1)) + [0, rank2 - 1])


def jax_vjp(fn: Any, args: tuple, kwargs: dict, positions: tuple, seed: Any) -> Any:
    """The gradient of ``fn(*args, **kwargs)`` in the arguments at ``positions``, from
    JAX's own autodiff (for ``@tangent.trace`` functions)."""
    def of_chosen(*chosen):
        full = list(args)
        for position, value in zip(positions, chosen):
            full[position] = value
        return fn(*full, **kwargs)
    _, pullback = jax.vjp(of_chosen, *[args[p] for p in positions])
    gradients = pullback(jnp.asarray(seed))
    return gradients[0] if len(gradients) == 1 else tuple(gradients)


# The generic runtime helpers' versions for JAX values, by name: the runtime hands a
# call to one of these when a deciding argument is a JAX array or tracer.
HELPERS = {name: globals()[name] for name in (
    'init_grad', 'ones_like', 'copy', 'sign', 'unbroadcast', 'broadcast_like', 'unreduce',
    'unreduce_like', 'astype', 'shapes_match', 'array_size', 'check_scalar', 'check_seed',
    'safe_log', 'power_slope', 'power_slope_exponent', 'balanced_eq', 'add_at',
    'grad_matmul_left', 'grad_matmul_right', 'grad_dot', 'grad_dot_right')}


# Helpers named by the JAX derivative rules (rules.py, declared.py) -------------------------

def inverse_permutation(axes: Any) -> Any:
    """The ``axes`` of jnp.transpose that undo ``jnp.transpose(x, axes)``."""
    return None if axes is None else tuple(int(i) for i in np.argsort(axes))


def expand_reduced(value: Any, like: Any, axis: Any, keepdims: bool) -> Any:
    """A reduction's result with its reduced axes back (size 1), to broadcast over ``like``."""
    if keepdims or axis is None:
        return jnp.reshape(value, (1,) * jnp.ndim(like)) if jnp.ndim(value) == 0 else value
    return jnp.expand_dims(value, _axes(axis, jnp.ndim(like)))


def extremum_share(y: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Each element's share of a max or min: 1/k for the k elements equal to it."""
    hits = (x == expand_reduced(y, x, axis, keepdims)).astype(_float_dtype(x))
    return hits / jnp.sum(hits, axis=_axes(axis, jnp.ndim(x)), keepdims=True)


def clip_share(x: Any, lower: Any, upper: Any) -> Any:
    """1 where ``jnp.clip(x, lower, upper)`` passes x through, else 0 (None: no bound)."""
    inside = jnp.ones(jnp.shape(x), _float_dtype(x))
    if lower is not None:
        inside = inside * (x >= lower)
    if upper is not None:
        inside = inside * (x <= upper)
    return inside


def bound_share(x: Any, bound: Any, low: bool) -> Any:
    """1 where ``jnp.clip`` clamps x to ``bound`` (the lower one if ``low``), else 0."""
    if bound is None:
        return jnp.zeros(jnp.shape(x), _float_dtype(x))
    return ((x < bound) if low else (x > bound)).astype(_float_dtype(x))


def cumsum_gradient(g: Any, a: Any, axis: Any) -> Any:
    """The gradient of ``jnp.cumsum(a, axis)``: sums from the end (flattened for None)."""
    if axis is None:
        return jnp.reshape(jnp.flip(jnp.cumsum(jnp.flip(g))), jnp.shape(a))
    return jnp.flip(jnp.cumsum(jnp.flip(g, axis), axis), axis)


def take_gradient(g: Any, a: Any, indices: Any, axis: Any) -> Any:
    """The gradient of ``jnp.take(a, indices, axis)``: g added back where it was read."""
    if axis is None:
        flat = jnp.zeros(jnp.size(a), g.dtype).at[jnp.ravel(indices)].add(jnp.ravel(g))
        return jnp.reshape(flat, jnp.shape(a))
    axis = axis % jnp.ndim(a)
    index = (slice(None),) * axis + (indices,)
    return jnp.zeros(jnp.shape(a), g.dtype).at[index].add(g)


def take_along_axis_gradient(g: Any, arr: Any, indices: Any, axis: Any) -> Any:
    """The gradient of ``jnp.take_along_axis(arr, indices, axis)``."""
    if axis is None:
        return take_gradient(g, arr, indices, None)
    axis = axis % jnp.ndim(arr)
    grids = jnp.meshgrid(*[jnp.arange(n) for n in jnp.shape(indices)], indexing='ij')
    grids[axis] = indices
    return jnp.zeros(jnp.shape(arr), g.dtype).at[tuple(grids)].add(g)


def diagonal_gradient(g: Any, a: Any, offset: int, axis1: int, axis2: int) -> Any:
    """The gradient of ``jnp.diagonal(a, offset, axis1, axis2)``: g back on the diagonal."""
    rank = jnp.ndim(a)
    axis1, axis2 = axis1 % rank, axis2 % rank
    rows, cols = jnp.shape(a)[axis1], jnp.shape(a)[axis2]
    # Move the two axes last, select g onto their diagonal, and move them back: a
    # mask XLA fuses into one loop, where writing into zeros would be a scatter.
    others = [i for i in range(rank) if i not in (axis1, axis2)]
    batch = tuple(jnp.shape(a)[i] for i in others)
    on_diagonal = np.arange(rows)[:, None] + offset == np.arange(cols)[None, :]
    if offset >= 0:  # entry (i, i + offset) holds g[i]: g runs down the rows
        along = jnp.pad(g, [(0, 0)] * len(batch) + [(0, rows - jnp.shape(g)[-1])])[..., :, None]
    else:  # entry (i - offset, i) holds g[i]: g runs along the columns
        along = jnp.pad(g, [(0, 0)] * len(batch) + [(0, cols - jnp.shape(g)[-1])])[..., None, :]
    moved = jnp.where(on_diagonal, along, jnp.zeros((), g.dtype))
    moved = jnp.broadcast_to(moved, batch + (rows, cols))
    return jnp.moveaxis(moved, (-2, -1), (axis1, axis2))


def concatenate_gradient(g: Any, arrays: Any, axis: Any) -> list:
    """The gradient of ``jnp.concatenate(arrays, axis)``: g cut back into the pieces."""
    if axis is None:
        sizes = np.cumsum([jnp.size(a) for a in arrays])[:-1]
        return [jnp.reshape(part, jnp.shape(a))
                for part, a in zip(jnp.split(g, sizes), arrays)]
    sizes = np.cumsum([jnp.shape(a)[axis] for a in arrays])[:-1]
    return list(jnp.split(g, sizes, axis=axis))


def stack_gradient(g: Any, arrays: Any, axis: int) -> list:
    """The gradient of ``jnp.stack(arrays, axis)``: g's slices along ``axis``."""
    return [jnp.take(g, i, axis=axis) for i in range(len(arrays))]


def item_tangents(tangents: Any, arrays: Any) -> list:
    """The tangents of a list's items, with zeros for the items that carry none."""
    return [init_grad(a) if t is None else broadcast_like(t, a)
            for t, a in zip(tangents, arrays)]


def gelu_slope(x: Any, approximate: bool = True) -> Any:
    """The derivative of ``jax.nn.gelu(x, approximate)``."""
    if approximate:
        scale = math.sqrt(2.0 / math.pi)
        inner = scale * (x + 0.044715 * x ** 3)
        t = jnp.tanh(inner)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * scale * (1.0 + 3 * 0.044715 * x * x)
    return 0.5 * (1.0 + jax.lax.erf(x / math.sqrt(2.0))) + \
        x * jnp.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def gelu_curvature(x: Any, approximate: bool = True) -> Any:
    """The second derivative of ``jax.nn.gelu(x, approximate)``."""
    if approximate:
        scale = math.sqrt(2.0 / math.pi)
        t = jnp.tanh(scale * (x + 0.044715 * x ** 3))
        rate = scale * (1.0 + 3 * 0.044715 * x * x)
        return (1.0 - t * t) * (rate - x * t * rate * rate + 0.5 * x * scale * 6 * 0.044715 * x)
    return jnp.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi) * (2.0 - x * x)


def tile_gradient(g: Any, A: Any, reps: Any) -> Any:  # noqa: N803 - jax.numpy's name
    """The gradient of ``jnp.tile(A, reps)``: the tiles summed."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    shape = jnp.shape(A)
    rank = max(len(reps), len(shape))
    reps = (1,) * (rank - len(reps)) + reps
    padded = (1,) * (rank - len(shape)) + shape
    interleaved = [size for pair in zip(reps, padded) for size in pair]
    summed = jnp.sum(jnp.reshape(g, interleaved), axis=tuple(range(0, 2 * rank, 2)))
    return jnp.reshape(summed, shape)


def repeat_gradient(g: Any, a: Any, repeats: Any, axis: Any) -> Any:
    """The gradient of ``jnp.repeat(a, repeats, axis)`` for a whole number of repeats."""
    if not isinstance(repeats, int):
        raise NotImplementedError(
            'the gradient of jnp.repeat with an array of repeats is not supported by the '
            'JAX backend; repeat by a whole number (an int)')
    if axis is None:
        return jnp.reshape(jnp.sum(jnp.reshape(g, (-1, repeats)), axis=1), jnp.shape(a))
    axis = axis % jnp.ndim(a)
    shape = jnp.shape(a)
    split = shape[:axis] + (shape[axis], repeats) + shape[axis + 1:]
    return jnp.sum(jnp.reshape(g, split), axis=axis + 1)


def item_gradients(grads: Any, tangents: Any) -> list:
    """The transpose of ``item_tangents``: each gradient summed to its tangent's shape."""
    return [None if t is None else unbroadcast(g, t) for g, t in zip(grads, tangents)]


def without_weights(b: Any, function_name: str) -> float:
    """1.0, after checking that ``b`` (a weighting argument the rule does not cover) is None."""
    if b is not None:
        raise NotImplementedError(
            f'the derivative of {function_name} with weights b is not implemented by the '
            f'JAX backend; multiply the exponentials yourself (jnp.log(jnp.sum(b * jnp.exp(a))))')
    return 1.0


def deviation(a: Any, axis: Any) -> Any:
    """``a`` minus its mean over ``axis`` (kept for broadcasting)."""
    return a - jnp.mean(a, axis=axis, keepdims=True)


def _reduced_last(a: Any, axis: Any) -> tuple[Any, tuple]:
    """``a`` with the axes of a reduction over ``axis`` moved last and joined into one,
    and what ``_restored`` needs to undo it."""
    rank = jnp.ndim(a)
    reduced = _axes(axis, rank)
    order = [i for i in range(rank) if i not in reduced] + list(reduced)
    moved = jnp.transpose(a, order)
    kept = moved.shape[:rank - len(reduced)]
    return jnp.reshape(moved, kept + (-1,)), (order, moved.shape)


def _restored(flat: Any, layout: tuple) -> Any:
    order, shape = layout
    return jnp.transpose(jnp.reshape(flat, shape), tuple(int(i) for i in np.argsort(order)))


def others_product(a: Any, axis: Any = None) -> Any:
    """For each element of ``a``, the product of the other elements of its reduction
    over ``axis``: the derivative of ``jnp.prod``, exact at zeros (no division)."""
    flat, layout = _reduced_last(a, axis)
    ones = jnp.ones_like(flat[..., :1])
    before = jnp.cumprod(jnp.concatenate([ones, flat[..., :-1]], -1), -1)
    reversed_flat = jnp.flip(flat, -1)
    after = jnp.flip(jnp.cumprod(jnp.concatenate([ones, reversed_flat[..., :-1]], -1), -1), -1)
    return _restored(before * after, layout)


def others_product_jvp(v: Any, a: Any, axis: Any = None) -> Any:
    """The derivative of ``others_product(a, axis)`` in ``a`` applied to ``v``; the
    Jacobian is symmetric, so this is its transpose too."""
    flat, layout = _reduced_last(a, axis)
    direction, _ = _reduced_last(v, axis)
    diagonal = jnp.eye(flat.shape[-1], dtype=bool)
    # Row j holds a with a_j set to 1, so that row's others_product at k is the
    # product over i != j, k: the mixed second derivative of the product.
    pairs = jnp.where(diagonal, 0.0, others_product(
        jnp.where(diagonal, 1.0, flat[..., None, :]), -1))
    return _restored(jnp.sum(pairs * direction[..., None, :], axis=-1), layout)


def frobenius_only(ord: Any, function_name: str) -> float:  # noqa: A002 - jnp's name
    """1.0, after checking that ``ord`` asks for the default norm: 2-norm of vectors,
    Frobenius norm of matrices."""
    if ord not in (None, 'fro'):
        raise NotImplementedError(
            f'the derivative of {function_name} with ord={ord!r} is not implemented by the '
            f'JAX backend; only the default 2-norm / Frobenius norm (ord=None) is')
    return 1.0


_JOINS = {'hstack': jnp.hstack, 'vstack': jnp.vstack, 'column_stack': jnp.column_stack,
          'dstack': jnp.dstack}


def join(arrays: Any, how: str) -> Any:
    """``jnp.<how>(arrays)`` for ``how`` one of hstack, vstack, column_stack, dstack."""
    return _JOINS[how](arrays)


def _joined_piece(a: Any, how: str) -> tuple[Any, int]:
    """The shape ``a`` takes in ``jnp.<how>`` and the axis the pieces are joined on."""
    shape = jnp.shape(a)
    if how == 'vstack':
        return jnp.shape(jnp.atleast_2d(a)), 0
    if how == 'dstack':
        return jnp.shape(jnp.atleast_3d(a)), 2
    if how == 'column_stack':
        return (shape + (1,) if len(shape) < 2 else shape), 1
    return (shape or (1,)), (0 if len(shape) <= 1 else 1)  # hstack


def joined_gradient(g: Any, arrays: Any, how: str) -> list:
    """The gradient of ``join(arrays, how)``: g cut back into the pieces' shapes."""
    pieces = [_joined_piece(a, how) for a in arrays]
    axis = pieces[0][1]
    ends = np.cumsum([shape[axis] for shape, _ in pieces])[:-1]
    return [jnp.reshape(part, jnp.shape(a))
            for part, a in zip(jnp.split(g, ends, axis=axis), arrays)]


def diff_gradient(g: Any, a: Any, n: int, axis: int, prepend: Any, append: Any) -> Any:
    """The gradient of ``jnp.diff(a, n, axis)``: the first difference's transpose
    (g shifted down minus g) applied n times."""
    if prepend is not None or append is not None:
        raise NotImplementedError(
            'the derivative of jnp.diff with prepend or append is not implemented by the '
            'JAX backend; concatenate them to the array first')
    rank = jnp.ndim(a)
    for _ in range(n):
        before = [(0, 0)] * rank
        after = [(0, 0)] * rank
        before[axis % rank], after[axis % rank] = (1, 0), (0, 1)
        g = jnp.pad(g, before) - jnp.pad(g, after)
    return g


def diag_gradient(g: Any, v: Any, k: int) -> Any:
    """The gradient of ``jnp.diag(v, k)``: the diagonal of g (v a vector), or g placed
    on the diagonal (v a matrix, whose diagonal diag reads)."""
    if jnp.ndim(v) == 1:
        return jnp.diagonal(g, k)
    return diagonal_gradient(g, v, k, 0, 1)


def sort_order(a: Any, axis: Any, descending: bool) -> Any:
    """The indices ``jnp.sort(a, axis, descending=...)`` reads ``a`` at."""
    return jnp.argsort(a, axis=axis, stable=True, descending=descending)


def lower_half_diagonal(x: Any) -> Any:
    """The strictly lower triangle of ``x`` and half its diagonal (the map that
    carries a symmetric perturbation onto a Cholesky factor's)."""
    return jnp.tril(x) - 0.5 * x * jnp.eye(jnp.shape(x)[-1], dtype=_float_dtype(x))


def symmetric_part(x: Any) -> Any:
    """``(x + x^T) / 2`` over the last two axes."""
    return 0.5 * (x + jnp.swapaxes(x, -1, -2))


def as_columns(v: Any, b: Any) -> Any:
    """``v``, shaped like the solution of ``jnp.linalg.solve(a, b)``, as a stack of
    columns: ``b`` is read as one vector only when it is 1-D, whatever ``a``'s batch
    dimensions (and then ``v`` is a stack of vectors, one per batch entry)."""
    return v[..., None] if jnp.ndim(b) == 1 else v


def as_solution(columns: Any, b: Any) -> Any:
    """The inverse of ``as_columns``."""
    return columns[..., 0] if jnp.ndim(b) == 1 else columns


def solve_transposed(a: Any, columns: Any) -> Any:
    """``x`` with ``a^T x = columns``, a stack of columns, from the LU factors of ``a``:
    under ``jax.jit`` they are the forward solve's, which XLA then computes once."""
    dtype = jnp.result_type(a, columns, 1.0)
    batch = jnp.broadcast_shapes(jnp.shape(a)[:-2], jnp.shape(columns)[:-2])
    a = jnp.broadcast_to(jnp.asarray(a, dtype), batch + jnp.shape(a)[-2:])
    columns = jnp.broadcast_to(jnp.asarray(columns, dtype), batch + jnp.shape(columns)[-2:])
    return jax.scipy.linalg.lu_solve(jax.scipy.linalg.lu_factor(a), columns, trans=1)


def is_transposed(trans: Any) -> bool:
    """Whether ``solve_triangular``'s ``trans`` solves with the transpose (``'C'`` is
    the transpose for the real matrices tangent differentiates)."""
    if trans not in (0, 1, 2, 'N', 'T', 'C'):
        raise ValueError(f'solve_triangular: trans must be 0, 1, 2, N, T or C, not {trans!r}')
    return trans not in (0, 'N')


def flipped_trans(trans: Any) -> int:
    """The ``trans`` of the transposed system."""
    return 0 if is_transposed(trans) else 1


def transposed_if(x: Any, trans: Any) -> Any:
    """``x`` with its last two axes swapped when ``trans`` asks for the transpose."""
    return jnp.swapaxes(x, -1, -2) if is_transposed(trans) else x


def triangle(x: Any, lower: bool, unit_diagonal: bool) -> Any:
    """The part of ``x`` that ``solve_triangular(x, ..., lower=, unit_diagonal=)`` reads."""
    offset = 1 if unit_diagonal else 0
    return jnp.tril(x, -offset) if lower else jnp.triu(x, offset)


def side_product(m: Any, x: Any, left_side: bool) -> Any:
    """``m @ x`` for ``triangular_solve(..., left_side=True)``, ``x @ m`` otherwise."""
    return jnp.matmul(m, x) if left_side else jnp.matmul(x, m)


def side_outer(g: Any, x: Any, left_side: bool) -> Any:
    """The gradient of ``side_product(m, x, left_side)`` in ``m`` for the seed ``g``:
    ``g @ x^T`` on the left side, ``x^T @ g`` on the right."""
    x_t = jnp.swapaxes(x, -1, -2)
    return jnp.matmul(g, x_t) if left_side else jnp.matmul(x_t, g)


def _tensordot_subscripts(rank_a: int, rank_b: int, axes: Any) -> tuple[str, str, str]:
    """The einsum subscripts of ``a``, ``b`` and ``jnp.tensordot(a, b, axes)``."""
    if isinstance(axes, int):
        a_axes, b_axes = list(range(rank_a - axes, rank_a)), list(range(axes))
    else:
        a_axes, b_axes = ([i % rank for i in np.atleast_1d(part)]
                          for part, rank in zip(axes, (rank_a, rank_b)))
    letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
    a_sub = list(letters[:rank_a])
    b_sub = list(letters[rank_a:rank_a + rank_b])
    for a_axis, b_axis in zip(a_axes, b_axes):
        b_sub[b_axis] = a_sub[a_axis]
    out = [c for i, c in enumerate(a_sub) if i not in a_axes] + \
        [c for i, c in enumerate(b_sub) if i not in b_axes]
    return ''.join(a_sub), ''.join(b_sub), ''.join(out)


def tensordot_gradient_left(g: Any, a: Any, b: Any, axes: Any) -> Any:
    """The gradient of ``jnp.tensordot(a, b, axes)`` for ``a``."""
    a_sub, b_sub, out = _tensordot_subscripts(jnp.ndim(a), jnp.ndim(b), axes)
    return jnp.einsum(f'{out},{b_sub}->{a_sub}', g, b)


def tensordot_gradient_right(g: Any, a: Any, b: Any, axes: Any) -> Any:
    """The gradient of ``jnp.tensordot(a, b, axes)`` for ``b``."""
    a_sub, b_sub, out = _tensordot_subscripts(jnp.ndim(a), jnp.ndim(b), axes)
    return jnp.einsum(f'{out},{a_sub}->{b_sub}', g, a)


def inner_axes(a: Any, b: Any) -> tuple:
    """``jnp.inner(a, b)`` as ``jnp.tensordot(a, b, inner_axes(a, b))``: the last axes."""
    if jnp.ndim(a) == 0 or jnp.ndim(b) == 0:
        raise NotImplementedError(
            'the derivative of jnp.inner with a scalar operand is not implemented by the JAX '
            'backend; multiply instead (a * b)')
    return ((jnp.ndim(a) - 1,), (jnp.ndim(b) - 1,))


def cast_gradient(g: Any, like: Any, dtype: Any) -> Any:
    """A derivative through a cast to ``dtype``, in the floating dtype of ``like``: zero
    for a cast to integers or booleans (piecewise constant), else ``g`` cast."""
    if dtype is not None and not jnp.issubdtype(dtype, jnp.inexact):
        return jnp.zeros(jnp.shape(like), _float_dtype(like))
    return astype(g, like)


def is_float_array(value: Any) -> bool:
    """A JAX array of real floating-point numbers: an attribute a gradient with respect
    to a plain object includes."""
    return isinstance(value, jax.Array) and jnp.issubdtype(value.dtype, jnp.floating)

"""Runtime helpers for TensorFlow values (loaded only with TensorFlow).

Generated code calls the same helpers whatever the values are
(``tangent.unbroadcast(g, x)``); the runtime hands a call to this
module when one of its arguments is a TensorFlow tensor or variable. Every
helper works in eager mode and inside ``tf.function`` (graph mode, XLA):
shapes come from the static shape where it is known and from ``tf.shape``
where it is not, and nothing converts a tensor to NumPy.

Importing this module imports TensorFlow; the backend's rules do so the
first time a function being differentiated refers to TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

TENSOR_TYPES = (tf.Tensor, tf.Variable)


def _float_dtype(value: Any) -> tf.DType:
    """The dtype a gradient of ``value`` has: its own if floating, else float32."""
    dtype = getattr(value, 'dtype', None)
    if isinstance(dtype, tf.DType) and dtype.is_floating:
        return dtype
    if isinstance(value, float):
        return tf.float32
    if isinstance(dtype, np.dtype) and dtype.kind == 'f':
        return tf.as_dtype(dtype)
    return tf.float32


def _tensor(value: Any, dtype: tf.DType) -> tf.Tensor:
    if isinstance(value, TENSOR_TYPES):
        return value if value.dtype == dtype else tf.cast(value, dtype)
    return tf.convert_to_tensor(value, dtype=dtype)


def _static_shape(value: Any) -> list | None:
    """The shape as a list of ints, or None when some dimension is unknown."""
    shape = getattr(value, 'shape', None)
    if shape is None:
        return list(np.shape(value))
    shape = tf.TensorShape(shape)
    if shape.rank is None or not shape.is_fully_defined():
        return None
    return shape.as_list()


def _rank(x: Any) -> int:
    shape = getattr(x, 'shape', None)
    return np.ndim(x) if shape is None else tf.TensorShape(shape).rank


def _dynamic_shape(value: Any) -> Any:
    static = _static_shape(value)
    return static if static is not None else tf.shape(value)


def init_grad(x: Any, allow_lazy_initializer: bool = False) -> Any:
    return tf.zeros(_dynamic_shape(x), _float_dtype(x))


def ones_like(x: Any) -> Any:
    return tf.ones(_dynamic_shape(x), _float_dtype(x))


def unbroadcast(array: Any, like: Any) -> Any:
    """Sum ``array`` down to the shape of ``like`` (undo broadcasting)."""
    if isinstance(like, (int, float, bool)):
        return tf.reduce_sum(array)  # a Python number receives a scalar tensor
    array = _tensor(array, _float_dtype(like))
    target = _static_shape(like)
    have = _static_shape(array)
    if target is not None and have is not None:
        if have == target:
            return array
        extra = len(have) - len(target)
        if extra > 0:
            array = tf.reduce_sum(array, axis=list(range(extra)))
            have = have[extra:]
        offset = len(target) - len(have)
        axes = [i for i, size in enumerate(have) if size != 1 and target[i + offset] == 1]
        if axes:
            array = tf.reduce_sum(array, axis=axes, keepdims=True)
        if _static_shape(array) != target:
            array = tf.broadcast_to(array, target)
        return array
    # Unknown dimensions (inside tf.function): let TensorFlow work out the axes.
    like_shape = tf.shape(like)
    full = tf.broadcast_dynamic_shape(like_shape, tf.shape(array))
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=like_shape, s1=full)
    return tf.reshape(tf.reduce_sum(tf.broadcast_to(array, full), axis=axes), like_shape)


def broadcast_like(value: Any, like: Any) -> Any:
    """``value`` broadcast to the shape of ``like`` (a tangent of a broadcasting result)."""
    if isinstance(like, (int, float, bool)):
        return value
    value = _tensor(value, _float_dtype(like))
    if _static_shape(value) is not None and _static_shape(value) == _static_shape(like):
        return value
    return tf.broadcast_to(value, _dynamic_shape(like))


def unreduce_like(array: Any, original: Any, axis: Any, keepdims: bool) -> Any:
    """The gradient of a reduction of ``original`` over ``axis`` spread back over it."""
    array = _tensor(array, _float_dtype(original))
    rank = _rank(original)
    if not keepdims and axis is not None and rank:
        axes = [axis] if isinstance(axis, int) else list(axis)
        for item in sorted(a % rank for a in axes):
            array = tf.expand_dims(array, item)
    return tf.broadcast_to(array, _dynamic_shape(original))


def unreduce(array: Any, shape: Any, axis: Any, keepdims: bool) -> Any:
    array = tf.convert_to_tensor(array)
    rank = len(shape)
    if not keepdims and axis is not None and rank:
        axes = [axis] if isinstance(axis, int) else list(axis)
        for item in sorted(a % rank for a in axes):
            array = tf.expand_dims(array, item)
    return tf.broadcast_to(array, shape)


def astype(array: Any, like: Any) -> Any:
    dtype = _float_dtype(like)
    return _tensor(array, dtype)


def shapes_match(a: Any, b: Any) -> bool:
    first, second = _static_shape(a), _static_shape(b)
    return first is not None and first == second


def array_size(x: Any, axis: Any) -> Any:
    shape = _dynamic_shape(x)
    if axis is None:
        return tf.reduce_prod(shape) if isinstance(shape, tf.Tensor) else int(np.prod(shape))
    axes = [axis] if isinstance(axis, int) else list(axis)
    total = 1
    for item in axes:
        total = total * shape[item]
    return total


def check_seed(result: Any, seed: Any, function_name: str) -> None:
    result_shape, seed_shape = _static_shape(result), _static_shape(seed)
    if result_shape is None or seed_shape is None or result_shape == seed_shape:
        return
    if not seed_shape:
        check_scalar(result, function_name)
    raise ValueError(
        f'The output gradient (seed) has shape {tuple(seed_shape)} but {function_name} '
        f'returned a tensor of shape {tuple(result_shape)}; pass a seed shaped like the '
        f'result, or check_dims=False.')


def check_scalar(value: Any, function_name: str) -> None:
    shape = _static_shape(value)
    if shape is None or not shape:
        return
    raise ValueError(
        f'{function_name} returned a tensor of shape {tuple(shape)}; tangent.grad needs a '
        f'scalar result. Reduce it (for example with tf.reduce_sum), or use check_dims=False.')


def safe_log(x: Any) -> Any:
    """log(x) where x > 0 and 0 where x == 0 (the exponent's factor of x ** y)."""
    x = tf.convert_to_tensor(x)
    return tf.math.log(tf.where(tf.equal(x, 0), tf.ones_like(x), x))


def _falling(y: Any, order: int, skipped: int | None = None) -> Any:
    """The product of ``y - k`` for k below ``order``, leaving out ``k == skipped``."""
    product = tf.ones_like(y)
    for k in range(order):
        if k != skipped:
            product = product * (y - k)
    return product


def power_slope(x: Any, y: Any, order: int = 1) -> Any:
    """The ``order``-th derivative of ``x ** y`` in x for tensors: 0 where an
    integer exponent makes it so (``x ** 0`` at 0), never ``0 * inf``."""
    x = tf.convert_to_tensor(x)
    y = tf.cast(tf.convert_to_tensor(y), x.dtype)
    coefficient = _falling(y, order)
    exponent = tf.where(tf.equal(coefficient, 0), tf.ones_like(y), y - order)
    return coefficient * tf.pow(x, exponent)


def power_slope_exponent(x: Any, y: Any, order: int = 1) -> Any:
    """The derivative of ``power_slope(x, y, order)`` in the exponent y."""
    x = tf.convert_to_tensor(x)
    y = tf.cast(tf.convert_to_tensor(y), x.dtype)
    rate = tf.add_n([_falling(y, order, skipped) for skipped in range(order)])
    power = tf.pow(x, y - order)
    return rate * power + _falling(y, order) * power * safe_log(x)


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """Share of the gradient of ``z = max(x, y)`` flowing to ``x`` (half at a tie)."""
    dtype = _float_dtype(z)
    x_hits = tf.cast(tf.equal(x, z), dtype)
    ties = tf.cast(tf.equal(x, y), dtype)
    return x_hits / (1.0 + ties)


def _positions(like: Any) -> tf.Tensor:
    """Each element's flat position, shaped like ``like``: indexing it the way the
    program indexed ``like`` tells which elements an index reads."""
    shape = _dynamic_shape(like)
    size = tf.size(like) if isinstance(shape, tf.Tensor) else int(np.prod(shape))
    return tf.reshape(tf.range(size), shape)


def add_at(target: Any, index: Any, value: Any) -> Any:
    """``target`` with ``value`` added at ``target[index]`` (a new tensor: tensors
    are immutable). Repeated positions accumulate."""
    if value is None:
        return target
    positions = _positions(target)[index]
    value = tf.broadcast_to(_tensor(value, target.dtype), tf.shape(positions))
    flat = tf.scatter_nd(tf.reshape(positions, [-1, 1]), tf.reshape(value, [-1]),
                         tf.reshape(tf.size(target), [1]))
    return target + tf.reshape(flat, tf.shape(target))


def grad_matmul_left(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``x``."""
    if x.shape.rank == 1:
        return tf.linalg.matvec(y, dz) if y.shape.rank == 2 else tf.reduce_sum(dz * y, -1)
    if y.shape.rank == 1:
        return unbroadcast(dz[..., :, None] * y, x)
    return unbroadcast(tf.matmul(dz, y, transpose_b=True), x)


def grad_matmul_right(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``y``."""
    if y.shape.rank == 1:
        if x.shape.rank == 1:
            return dz * x
        return unbroadcast(tf.linalg.matvec(x, dz, transpose_a=True), y)
    if x.shape.rank == 1:
        return unbroadcast(x[:, None] * dz[..., None, :], y)
    return unbroadcast(tf.matmul(x, dz, transpose_a=True), y)


# Helpers named by the TensorFlow derivative rules (rules.py) -------------------
#
# Generated code calls these; so that it can be differentiated again (Hessian-vector
# products), each one has an adjoint and a tangent of its own in rules.py, or is
# declared there to have no derivative. Tangent never reads their source.

def _axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % rank for a in axes)


def last_axis(axis: Any) -> Any:
    """The axis tf.nn.softmax and tf.nn.log_softmax normalise over (None is the last)."""
    return -1 if axis is None else axis


def expand_reduced(value: Any, like: Any, axis: Any, keepdims: bool) -> Any:
    """A reduction's result with its reduced axes back (size 1), to broadcast over ``like``."""
    value = _tensor(value, _float_dtype(like))
    if keepdims or axis is None:
        return tf.reshape(value, [1] * _rank(like)) if value.shape.rank == 0 else value
    for item in _axes(axis, _rank(like)):
        value = tf.expand_dims(value, item)
    return value


def reduction_count(x: Any, axis: Any) -> Any:
    """How many elements each result of a reduction over ``axis`` combines, as x's dtype."""
    shape = tf.shape(x)
    count = tf.reduce_prod(tf.gather(shape, _axes(axis, _rank(x))))
    return tf.cast(count, _float_dtype(x))


def extremum_share(y: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Each element's share of a max or min: 1/k for the k elements equal to it."""
    hits = tf.cast(tf.equal(x, expand_reduced(y, x, axis, keepdims)), _float_dtype(x))
    return hits / tf.reduce_sum(hits, axis=_axes(axis, _rank(x)), keepdims=True)


def prod_others(x: Any, axis: Any) -> Any:
    """For each element, the product of the others in its reduction (exact with zeros)."""
    rank = _rank(x)
    axes = _axes(axis, rank)
    rest = [i for i in range(rank) if i not in axes]
    moved = tf.transpose(x, rest + axes)
    flat = tf.reshape(moved, tf.concat([tf.shape(moved)[:len(rest)], [-1]], 0))
    before = tf.math.cumprod(flat, axis=-1, exclusive=True)
    after = tf.math.cumprod(flat, axis=-1, exclusive=True, reverse=True)
    others = tf.reshape(before * after, tf.shape(moved))
    return tf.transpose(others, np.argsort(rest + axes).tolist())


def prod_others_tangent(x: Any, dx: Any, axis: Any) -> Any:
    """The tangent of ``prod_others(x, axis)`` along ``dx``, exact with zeros.

    Element i moves by the sum over j != i of dx_j times the product of the elements
    other than i and j: zero when a zero lies outside {i, j}. The Jacobian is
    symmetric, so this is also prod_others's adjoint.
    """
    axes = _axes(axis, _rank(x))
    dx = broadcast_like(dx, x)
    zero = tf.equal(x, 0)
    safe = tf.where(zero, tf.ones_like(x), x)
    zeros = tf.cast(zero, x.dtype)
    zeros_elsewhere = tf.reduce_sum(zeros, axes, keepdims=True) - zeros
    ratio = dx / safe
    spread = tf.reduce_sum(ratio, axes, keepdims=True) - ratio  # no zero but i's
    at_zero = zeros * dx
    from_zero = tf.reduce_sum(at_zero, axes, keepdims=True) - at_zero  # one zero, j's
    factor = tf.where(tf.equal(zeros_elsewhere, 0), spread,
                      tf.where(tf.equal(zeros_elsewhere, 1), from_zero, tf.zeros_like(x)))
    return tf.reduce_prod(safe, axes, keepdims=True) / safe * factor


def cast_gradient(g: Any, x: Any) -> Any:
    """``g`` as the derivative of ``x`` through ``tf.cast``: in x's floating dtype, or
    zero (shaped like x, in g's dtype) when x is an integer or boolean: nothing passes
    through a cast to or from one."""
    dtype = getattr(x, 'dtype', None)
    if dtype is None:
        if isinstance(x, float):
            return g
        return tf.zeros(_dynamic_shape(x), _float_dtype(g))
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        return tf.zeros(_dynamic_shape(x), _float_dtype(g))
    return broadcast_like(tf.cast(g, dtype), x)


def inverse_permutation(perm: Any, rank: int) -> list[int]:
    if perm is None:
        return list(range(rank))[::-1]
    return np.argsort(np.asarray(perm)).tolist()


def matmul_gradient_a(g: Any, a: Any, b: Any, transpose_a: bool, transpose_b: bool,
                      adjoint_a: bool, adjoint_b: bool) -> Any:
    """The gradient of ``tf.matmul(a, b, ...)`` for ``a`` (real: adjoint is transpose)."""
    transpose_a, transpose_b = transpose_a or adjoint_a, transpose_b or adjoint_b
    if transpose_a:
        gradient = tf.matmul(b, g, transpose_a=transpose_b, transpose_b=True)
    else:
        gradient = tf.matmul(g, b, transpose_b=not transpose_b)
    return unbroadcast(gradient, a)


def matmul_gradient_b(g: Any, a: Any, b: Any, transpose_a: bool, transpose_b: bool,
                      adjoint_a: bool, adjoint_b: bool) -> Any:
    """The gradient of ``tf.matmul(a, b, ...)`` for ``b`` (real: adjoint is transpose)."""
    transpose_a, transpose_b = transpose_a or adjoint_a, transpose_b or adjoint_b
    if transpose_b:
        gradient = tf.matmul(g, a, transpose_a=True, transpose_b=transpose_a)
    else:
        gradient = tf.matmul(a, g, transpose_a=not transpose_a)
    return unbroadcast(gradient, b)


def _letters(count: int, used: str) -> str:
    spare = [c for c in 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ' if c not in used]
    return ''.join(spare[:count])


def _einsum_parts(equation: str, operands: list) -> tuple[list[str], str]:
    """Operand and output subscripts of an einsum with '...' spelled out."""
    equation = equation.replace(' ', '')
    inputs, _, output = equation.partition('->')
    parts = inputs.split(',')
    width = max((op.shape.rank - len(part.replace('...', ''))
                 for part, op in zip(parts, operands) if '...' in part), default=0)
    ellipsis = _letters(width, equation)
    explicit = [part.replace('...', ellipsis[width - (op.shape.rank - len(part) + 3):])
                if '...' in part else part for part, op in zip(parts, operands)]
    if '->' not in equation:
        letters = ''.join(explicit)
        output = ellipsis + ''.join(sorted(c for c in set(letters)
                                           if letters.count(c) == 1 and c not in ellipsis))
    else:
        output = output.replace('...', ellipsis)
    return explicit, output


def _present(*operands: Any) -> list:
    return [tf.convert_to_tensor(op) for op in operands if op is not None]


def einsum_of(equation: str, a: Any, b: Any = None, c: Any = None) -> Any:
    """``tf.einsum(equation, a, b, c)`` of the operands given (b and c may be None)."""
    return tf.einsum(equation, *_present(a, b, c))


def _einsum_gradient(g: Any, equation: str, operands: list, index: int) -> Any:
    """The gradient of ``tf.einsum(equation, *operands)`` for operand ``index``."""
    inputs, output = _einsum_parts(equation, operands)
    target = inputs[index]
    if len(set(target)) != len(target):
        raise NotImplementedError(
            f'the gradient of tf.einsum for an operand with a repeated index ({target!r}) '
            f'is not supported; take the diagonal with tf.linalg.diag_part first')
    others = [(sub, op) for i, (sub, op) in enumerate(zip(inputs, operands)) if i != index]
    present = set(output).union(*[set(sub) for sub, _ in others])
    kept = ''.join(c for c in target if c in present)
    spec = ','.join([output] + [sub for sub, _ in others]) + '->' + kept
    like = operands[index]
    # tf.einsum broadcasts only through '...': each other operand is stretched to the
    # sizes its letters have in the result, written here with letters.
    g = _tensor(g, like.dtype)
    sizes = dict(zip(output, g.shape))
    for sub, op in others:
        for c, size in zip(sub, op.shape):
            sizes[c] = size if sizes.get(c, 1) == 1 else sizes[c]
    stretched_others = [op if list(op.shape) == [sizes[c] for c in sub]
                        else tf.broadcast_to(op, [sizes[c] for c in sub]) for sub, op in others]
    part = tf.einsum(spec, g, *stretched_others)
    # A '...' axis of size 1 that the other operands stretched: its gradient is the sum.
    stretched = [k for k, c in enumerate(kept)
                 if like.shape[target.index(c)] == 1 and part.shape[k] != 1]
    if stretched:
        part = tf.reduce_sum(part, axis=stretched, keepdims=True)
    if kept != target:
        part = tf.reshape(part, [tf.shape(like)[i] if c in present else 1
                                 for i, c in enumerate(target)])
    return tf.broadcast_to(part, tf.shape(like))


def einsum_gradient_a(g: Any, equation: str, a: Any, b: Any = None, c: Any = None) -> Any:
    """The gradient of ``tf.einsum(equation, a, b, c)`` for ``a``."""
    return _einsum_gradient(g, equation, _present(a, b, c), 0)


def einsum_gradient_b(g: Any, equation: str, a: Any, b: Any = None, c: Any = None) -> Any:
    """The gradient of ``tf.einsum(equation, a, b, c)`` for ``b``."""
    return _einsum_gradient(g, equation, _present(a, b, c), 1)


def einsum_gradient_c(g: Any, equation: str, a: Any, b: Any = None, c: Any = None) -> Any:
    """The gradient of ``tf.einsum(equation, a, b, c)`` for ``c``."""
    return _einsum_gradient(g, equation, _present(a, b, c), 2)


def matvec_gradient_matrix(g: Any, a: Any, b: Any, transposed: bool) -> Any:
    """The gradient of ``tf.linalg.matvec(a, b)`` with respect to the matrix ``a``."""
    outer = tf.expand_dims(g, -1) * tf.expand_dims(b, -2) if not transposed else \
        tf.expand_dims(b, -1) * tf.expand_dims(g, -2)
    return unbroadcast(outer, a)


def tensordot_equation(a: Any, b: Any, axes: Any) -> str:
    """The einsum equation ``tf.tensordot(a, b, axes)`` computes."""
    rank_a, rank_b = _rank(a), _rank(b)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(rank_a - axes, rank_a)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    letters = _letters(rank_a + rank_b, '')
    sub_a = list(letters[:rank_a])
    sub_b = list(letters[rank_a:rank_a + rank_b])
    for i, j in zip(axes_a, axes_b):
        sub_b[j % rank_b] = sub_a[i % rank_a]
    kept_a = [c for i, c in enumerate(sub_a) if i not in [k % rank_a for k in axes_a]]
    kept_b = [c for j, c in enumerate(sub_b) if j not in [k % rank_b for k in axes_b]]
    return f"{''.join(sub_a)},{''.join(sub_b)}->{''.join(kept_a + kept_b)}"


def trace_gradient(g: Any, x: Any) -> Any:
    """The gradient of ``tf.linalg.trace(x)``: ``g`` on each matrix's diagonal."""
    g = _tensor(g, _float_dtype(x))
    shape = tf.shape(x)
    eye = tf.eye(shape[-2], shape[-1], dtype=g.dtype)
    return tf.reshape(g, tf.concat([tf.shape(g), [1, 1]], 0)) * eye


def concat_sizes(values: Any, axis: int) -> Any:
    """The sizes of ``tf.concat(values, axis)``'s pieces along ``axis``."""
    return tf.stack([tf.shape(value)[axis] for value in values])


def tangent_items(tangents: Any, values: Any) -> list:
    """Tangents (or gradients) of a list's items, each as large as its item (zeros spread)."""
    return [init_grad(v) if t is None else broadcast_like(t, v)
            for t, v in zip(tangents, values)]


def item_gradients(grads: Any, tangents: Any) -> list:
    """The adjoint of ``tangent_items``: each gradient summed back to its tangent's shape."""
    return [None if t is None else unbroadcast(g, t) for g, t in zip(grads, tangents)]


def tile_gradient(g: Any, x: Any, multiples: Any) -> Any:
    """The gradient of ``tf.tile(x, multiples)``: the tiles summed."""
    shape = tf.shape(x)
    split = tf.reshape(tf.stack([tf.convert_to_tensor(multiples, shape.dtype), shape], 1), [-1])
    return tf.reduce_sum(tf.reshape(g, split), axis=list(range(0, 2 * _rank(x), 2)))


def gather_gradient(g: Any, params: Any, indices: Any, axis: Any, batch_dims: int) -> Any:
    """The gradient of ``tf.gather(params, indices, axis)``: ``g`` summed back by index."""
    if batch_dims:
        raise NotImplementedError('the gradient of tf.gather with batch_dims is not supported')
    axis = 0 if axis is None else axis % _rank(params)
    indices = tf.convert_to_tensor(indices)
    rank_i = indices.shape.rank
    # Bring the gathered axes to the front, sum by index, and put the axis back.
    g_rank = g.shape.rank
    order = list(range(axis, axis + rank_i)) + list(range(axis)) + \
        list(range(axis + rank_i, g_rank))
    moved = tf.transpose(g, order)
    moved = tf.reshape(moved, tf.concat([[-1], tf.shape(moved)[rank_i:]], 0))
    summed = tf.math.unsorted_segment_sum(moved, tf.reshape(indices, [-1]),
                                          tf.shape(params)[axis])
    back = list(range(1, axis + 1)) + [0] + list(range(axis + 1, _rank(params)))
    return tf.transpose(summed, back)


def slice_gradient(g: Any, x: Any, begin: Any, size: Any) -> Any:
    """The gradient of ``tf.slice(x, begin, size)``: ``g`` padded back to x's shape."""
    shape = tf.shape(x)
    begin = tf.convert_to_tensor(begin, shape.dtype)
    after = shape - begin - tf.shape(g)
    return tf.pad(g, tf.stack([begin, after], axis=1))


def pad_gradient(g: Any, x: Any, paddings: Any) -> Any:
    """The gradient of ``tf.pad(x, paddings)`` (constant mode): the inside of ``g``."""
    begin = tf.convert_to_tensor(paddings)[:, 0]
    return tf.slice(g, tf.cast(begin, tf.int32), tf.shape(x))


def bias_add_gradient(g: Any, bias: Any, data_format: Any) -> Any:
    """The gradient of ``tf.nn.bias_add`` with respect to the bias: sum over all but channels."""
    rank = g.shape.rank
    channel = 1 if data_format and data_format.startswith('NC') else rank - 1
    return tf.reduce_sum(g, axis=[i for i in range(rank) if i != channel])


def _window(value: Any, data_format: str) -> list:
    """ksize or strides as the four numbers the raw pooling and convolution ops take."""
    if isinstance(value, int):
        value = [value]
    value = list(value)
    if len(value) == 4:
        return value
    if len(value) == 1:
        value = value * 2
    return [1, 1] + value if data_format.startswith('NC') else [1] + value + [1]


def _padding(padding: Any) -> tuple:
    if isinstance(padding, str):
        return padding, []
    return 'EXPLICIT', [int(p) for pair in padding for p in pair]


def conv2d_input_gradient(g: Any, x: Any, filters: Any, strides: Any, padding: Any,
                          data_format: str, dilations: Any) -> Any:
    """The gradient of ``tf.nn.conv2d(x, filters, ...)`` for ``x`` (linear in g, filters)."""
    kind, explicit = _padding(padding)
    return tf.raw_ops.Conv2DBackpropInput(
        input_sizes=tf.shape(x), filter=filters, out_backprop=g,
        strides=_window(strides, data_format), padding=kind, explicit_paddings=explicit,
        data_format=data_format, dilations=_window(dilations or 1, data_format))


def conv2d_filter_gradient(g: Any, x: Any, filters: Any, strides: Any, padding: Any,
                           data_format: str, dilations: Any) -> Any:
    """The gradient of ``tf.nn.conv2d(x, filters, ...)`` for ``filters`` (linear in g, x)."""
    kind, explicit = _padding(padding)
    return tf.raw_ops.Conv2DBackpropFilter(
        input=x, filter_sizes=tf.shape(filters), out_backprop=g,
        strides=_window(strides, data_format), padding=kind, explicit_paddings=explicit,
        data_format=data_format, dilations=_window(dilations or 1, data_format))


def max_pool_gradient(g: Any, y: Any, x: Any, ksize: Any, strides: Any, padding: str,
                      data_format: str) -> Any:
    """The gradient of max pooling: each window's ``g`` to the position of its max."""
    return tf.raw_ops.MaxPoolGrad(orig_input=x, orig_output=y, grad=g,
                                  ksize=_window(ksize, data_format),
                                  strides=_window(strides, data_format), padding=padding,
                                  data_format=data_format)


def max_pool_tangent(dx: Any, y: Any, x: Any, ksize: Any, strides: Any, padding: str,
                     data_format: str) -> Any:
    """The tangent of max pooling: each window's tangent at the position of its max
    (the transpose of ``max_pool_gradient``)."""
    return tf.raw_ops.MaxPoolGradGrad(orig_input=x, orig_output=y, grad=dx,
                                      ksize=_window(ksize, data_format),
                                      strides=_window(strides, data_format), padding=padding,
                                      data_format=data_format)


def avg_pool_gradient(g: Any, x: Any, ksize: Any, strides: Any, padding: str,
                      data_format: str) -> Any:
    """The gradient of average pooling (the transpose of ``tf.nn.avg_pool2d``)."""
    return tf.raw_ops.AvgPoolGrad(orig_input_shape=tf.shape(x), grad=g,
                                  ksize=_window(ksize, data_format),
                                  strides=_window(strides, data_format), padding=padding,
                                  data_format=data_format)


def one_hot_like(labels: Any, logits: Any) -> Any:
    """``labels`` one-hot over the last axis of ``logits``, in its dtype."""
    return tf.one_hot(labels, tf.shape(logits)[-1], dtype=logits.dtype)


# Generic runtime helpers for TensorFlow values (the runtime hands them over) ---------

def sign(x: Any) -> Any:
    return tf.sign(x)


def copy(x: Any) -> Any:
    """Tensors are immutable: a tensor is its own copy; a variable's copy is a snapshot of
    its value, which later assignments to the variable do not change."""
    if isinstance(x, tf.Variable):
        return tf.identity(x)
    return x


def grad_dot(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``np.dot(x1, x2)`` for ``x1`` when the operands are tensors."""
    x1, x2 = tf.convert_to_tensor(x1), tf.convert_to_tensor(x2)
    dy = _tensor(dy, _float_dtype(x1))
    rank1, rank2 = _rank(x1), _rank(x2)
    if rank1 == 0 or rank2 == 0:
        return unbroadcast(dy * x2, x1)
    if rank2 == 1:  # x1 (..., k) . x2 (k,): dy has x1's leading axes
        return tf.expand_dims(dy, -1) * x2
    # x1 (..., k) . x2 (j..., k, l): contract dy's trailing axes (j..., l) with x2's.
    dy_axes = list(range(rank1 - 1, rank1 - 1 + rank2 - 1))
    x2_axes = list(range(rank2 - 2)) + [rank2 - 1]
    return tf.tensordot(dy, x2, axes=[dy_axes, x2_axes])


def grad_dot_right(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``np.dot(x1, x2)`` for ``x2`` when the operands are tensors."""
    x1, x2 = tf.convert_to_tensor(x1), tf.convert_to_tensor(x2)
    dy = _tensor(dy, _float_dtype(x2))
    rank1, rank2 = _rank(x1), _rank(x2)
    if rank1 == 0 or rank2 == 0:
        return unbroadcast(dy * x1, x2)
    lead = rank1 - 1  # x1's leading axes come first in dy
    contracted = tf.tensordot(x1, dy, axes=[list(range(lead)), list(range(lead))])
    if rank2 == 1:
        return contracted
    # (k, x2 leading..., l) -> x2's order (x2 leading..., k, l)
    order = list(range(1, rank2 - 1)) + [0, rank2 - 1]
    return tf.transpose(contracted, order)


def tape_vjp(fn: Any, args: tuple, kwargs: dict, positions: tuple, seed: Any) -> Any:
    """The gradient of ``fn(*args, **kwargs)`` in the arguments at ``positions``, from
    TensorFlow's tape (for ``@tangent.trace`` functions)."""
    args = list(args)
    for position in positions:
        if not isinstance(args[position], TENSOR_TYPES):
            args[position] = tf.convert_to_tensor(args[position])
    watched = [args[position] for position in positions]
    with tf.GradientTape() as tape:
        tape.watch(watched)
        result = fn(*args, **kwargs)
    gradients = tape.gradient(result, watched, output_gradients=seed)
    gradients = [init_grad(value) if gradient is None else tf.convert_to_tensor(gradient)
                 for gradient, value in zip(gradients, watched)]
    return gradients[0] if len(gradients) == 1 else tuple(gradients)


# The generic runtime helpers' versions for TensorFlow values, by name: the
# runtime hands a call to one of these when an argument is a tensor or variable.
HELPERS = {name: globals()[name] for name in (
    'init_grad', 'ones_like', 'unbroadcast', 'broadcast_like', 'unreduce_like', 'unreduce',
    'astype', 'shapes_match', 'array_size', 'check_seed', 'check_scalar', 'safe_log',
    'balanced_eq', 'power_slope', 'power_slope_exponent', 'add_at', 'grad_matmul_left',
    'grad_matmul_right', 'sign', 'copy', 'grad_dot', 'grad_dot_right')}

"""Runtime helpers for PyTorch tensors (loaded only with PyTorch).

Generated code calls the same helpers whatever the values are
(``tangent.unbroadcast(g, x)``); the runtime hands a call to this module when
one of its arguments is a tensor. Every helper builds new tensors (never
writes into one: the tensor may be a user's argument or a view), uses plain
tensor operations (never autograd), and never leaves PyTorch for NumPy, so
that ``torch.compile`` traces it.

A NumPy array meeting a tensor here means the differentiated code mixed the
two libraries: that raises ``tangent.errors.MixedLibrariesError`` instead of
returning a derivative of the wrong kind (a function calling both libraries on
differentiated values raises it already when its derivative is written).

Importing this module imports PyTorch; the backend's rules do so the first
time a function being differentiated refers to PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

from tangent.errors import ComplexNumberError, MixedLibrariesError


def _check_unmixed(where: str, *values: Any) -> None:
    if any(isinstance(value, (np.ndarray, np.generic)) for value in values):
        raise MixedLibrariesError(where, [('numpy', '', ''), ('torch', '', '')],
                                  'a NumPy array met tensors when the derivative ran')


def _float_dtype(value: Any) -> torch.dtype:
    """The dtype a derivative of ``value`` has: its own if floating, else the default."""
    dtype = getattr(value, 'dtype', None)
    if isinstance(dtype, torch.dtype) and (dtype.is_floating_point or dtype.is_complex):
        return dtype
    return torch.get_default_dtype()


def _tensor(value: Any, like: Any) -> torch.Tensor:
    """``value`` as a tensor of ``like``'s floating dtype and device."""
    if isinstance(value, torch.Tensor):
        dtype = _float_dtype(like)
        return value if value.dtype == dtype else value.to(dtype)
    if type(value) is float or type(value) is int:  # a seed: the cheapest 0-d tensor
        return torch.scalar_tensor(value, dtype=_float_dtype(like),
                                   device=getattr(like, 'device', None))
    _check_unmixed('a derivative of a torch tensor', value)
    return torch.as_tensor(value, dtype=_float_dtype(like),
                           device=getattr(like, 'device', None))


def _shape(value: Any) -> tuple:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


def _complex_tensor_in(value: Any, depth: int = 2) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_complex()
    if depth and isinstance(value, (list, tuple)):
        return any(_complex_tensor_in(item, depth - 1) for item in value)
    if depth and isinstance(value, dict):
        return any(_complex_tensor_in(item, depth - 1) for item in value.values())
    return False


def derivative_call(*args: Any, **kwargs: Any) -> Any:
    """The context every call of a derivative of PyTorch code runs in: ``torch.no_grad``
    (generated code records no graph), after checking that no argument is a complex
    tensor (tangent's rules are written for real numbers)."""
    if any(_complex_tensor_in(value) for value in args + tuple(kwargs.values())):
        raise ComplexNumberError('an argument', 'a derivative of PyTorch code')
    return torch.no_grad()


def init_grad(x: Any, allow_lazy_initializer: bool = False) -> Any:
    if isinstance(x, tuple):
        # A structure of torch.return_types (torch.max(x, dim): values and indices).
        raise NotImplementedError(
            f'the derivative through torch.{type(x).__name__}(..., dim), which returns '
            f'values and indices, is not supported (torch.max or torch.min with dim); '
            f'use torch.amax or torch.amin for the values')
    return torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)


def ones_like(x: Any) -> Any:
    return torch.ones(x.shape, dtype=_float_dtype(x), device=x.device)


def unbroadcast(array: Any, like: Any) -> Any:
    """Sum ``array`` down to the shape of ``like`` (undo broadcasting)."""
    if type(array) is torch.Tensor and type(like) is torch.Tensor and \
            array.dtype == like.dtype and array.shape == like.shape and \
            like.dtype.is_floating_point:
        # Checked first: in a loop's backward pass nearly every call is of this kind.
        return array
    _check_unmixed('unbroadcast', array, like)
    if not isinstance(like, torch.Tensor):
        # A Python number receives a 0-d tensor: a float would leave the graph
        # torch.compile traces.
        return array.sum() if isinstance(array, torch.Tensor) else array
    array = _tensor(array, like)
    target = tuple(like.shape)
    if tuple(array.shape) == target:
        return array
    extra = array.dim() - len(target)
    if extra > 0:
        array = array.sum(dim=tuple(range(extra)))
    axes = tuple(i for i, size in enumerate(target) if size == 1 and array.shape[i] != 1)
    if axes:
        array = array.sum(dim=axes, keepdim=True)
    if tuple(array.shape) != target:
        array = array.expand(target)
    return array


def broadcast_like(value: Any, like: Any) -> Any:
    """``value`` broadcast to the shape of ``like`` (a tangent of a broadcasting result)."""
    _check_unmixed('broadcast_like', value, like)
    if not isinstance(like, torch.Tensor):
        return value
    value = _tensor(value, like)
    return value if value.shape == like.shape else value.expand(like.shape)


def _expanded(array: Any, rank: int, axis: Any, keepdims: bool) -> torch.Tensor:
    if not keepdims and axis is not None and rank:
        for item in sorted(a % rank for a in _axis_tuple(axis)):
            array = array.unsqueeze(item)
    return array


def _axis_tuple(axis: Any) -> tuple:
    return (axis,) if isinstance(axis, int) else tuple(axis)


def unreduce_like(array: Any, original: Any, axis: Any, keepdims: bool) -> Any:
    """The gradient of a reduction of ``original`` over ``axis`` spread back over it."""
    if type(array) is torch.Tensor and array.dtype == original.dtype and \
            original.dtype.is_floating_point and (axis is None or keepdims):
        return array.expand(original.shape)  # nothing to put back: a sum of everything
    _check_unmixed('unreduce_like', array, original)
    array = _tensor(array, original)
    return _expanded(array, original.dim(), axis, keepdims).expand(original.shape)


def unreduce(array: Any, shape: Any, axis: Any, keepdims: bool) -> Any:
    shape = tuple(shape)
    return _expanded(array, len(shape), axis, keepdims).expand(shape)


def astype(array: Any, like: Any) -> Any:
    if not isinstance(like, torch.Tensor):
        return array
    return _tensor(array, like)


def shapes_match(a: Any, b: Any) -> bool:
    return _shape(a) == _shape(b)


def array_size(x: Any, axis: Any) -> Any:
    if axis is None:
        return x.numel()
    return math.prod(x.shape[item] for item in _axis_tuple(axis))


def check_seed(result: Any, seed: Any, function_name: str) -> None:
    _check_unmixed(f'the result of {function_name}', result, seed)
    result_shape, seed_shape = _shape(result), _shape(seed)
    if result_shape == seed_shape:
        return
    if not seed_shape:
        check_scalar(result, function_name)
    raise ValueError(
        f'The output gradient (seed) has shape {seed_shape} but {function_name} returned '
        f'a tensor of shape {result_shape}; pass a seed shaped like the result, or '
        f'check_dims=False.')


def check_scalar(value: Any, function_name: str) -> None:
    _check_unmixed(f'the result of {function_name}', value)
    if not _shape(value):
        return
    raise ValueError(
        f'{function_name} returned a tensor of shape {_shape(value)}; tangent.grad needs '
        f'a scalar result. Reduce it (for example with torch.sum), or use check_dims=False.')


def safe_log(x: Any) -> Any:
    """log(x) where x > 0 and 0 where x == 0 (the exponent's factor of x ** y)."""
    x = torch.as_tensor(x)
    return torch.log(torch.where(x == 0, torch.ones_like(x), x))


def _falling(y: Any, order: int, skipped: int | None = None) -> Any:
    """The product of ``y - k`` for k below ``order``, leaving out ``k == skipped``."""
    product = torch.ones_like(y)
    for k in range(order):
        if k != skipped:
            product = product * (y - k)
    return product


def _power_operands(x: Any, y: Any) -> tuple:
    like = x if isinstance(x, torch.Tensor) else y
    return _tensor(x, like), _tensor(y, like)


def power_slope(x: Any, y: Any, order: int = 1) -> Any:
    """The ``order``-th derivative of ``x ** y`` in x: 0 where an integer exponent
    makes it so (``x ** 0`` at 0), never ``0 * inf``."""
    x, y = _power_operands(x, y)
    coefficient = _falling(y, order)
    exponent = torch.where(coefficient == 0, torch.ones_like(y), y - order)
    return coefficient * torch.pow(x, exponent)


def power_slope_exponent(x: Any, y: Any, order: int = 1) -> Any:
    """The derivative of ``power_slope(x, y, order)`` in the exponent y."""
    x, y = _power_operands(x, y)
    rate = sum(_falling(y, order, skipped) for skipped in range(order))
    power = torch.pow(x, y - order)
    return rate * power + _falling(y, order) * power * safe_log(x)


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """Share of the gradient of ``z = max(x, y)`` flowing to ``x`` (half at a tie)."""
    dtype = _float_dtype(z)
    return torch.eq(x, z).to(dtype) / (1.0 + torch.eq(x, y).to(dtype))


def sign(x: Any) -> Any:
    return torch.sign(x)


def copy(x: Any) -> Any:
    """A copy of ``x`` that later item writes (``y[0] = v`` in the user's code) leave
    unchanged: the backward pass reads the value from before the write."""
    return x.clone() if isinstance(x, torch.Tensor) else x


def unaliased(value: Any, inputs: tuple) -> Any:
    """``value`` cloned if it shares storage with a tensor among ``inputs`` (the call's
    arguments): a returned gradient is never the caller's seed, nor a view of it."""
    if not isinstance(value, torch.Tensor):
        return value
    storage = value.untyped_storage().data_ptr()
    for item in inputs:
        if isinstance(item, torch.Tensor) and item.untyped_storage().data_ptr() == storage:
            return value.clone()
    return value


def add_at(target: Any, index: Any, value: Any) -> Any:
    """``target`` with ``value`` added at ``target[index]``, as a new tensor (the target
    may be an expanded view). Repeated positions accumulate."""
    if value is None:
        return target
    _check_unmixed('add_at', value)
    if _is_basic_index(index):
        # Basic indexing selects each element once: add into the region of a copy (the
        # target may be an expanded view, or a tensor the caller still reads).
        total = target.clone(memory_format=torch.contiguous_format)
        total[index] += _tensor(value, target)
        return total
    positions = torch.arange(target.numel(), device=target.device).reshape(target.shape)
    positions = positions[index].reshape(-1)
    value = _tensor(value, target).expand(target[index].shape).reshape(-1)
    flat = target.reshape(-1).index_add(0, positions, value)
    return flat.reshape(target.shape)


def _is_basic_index(index: Any) -> bool:
    """Whether ``tensor[index]`` is a view that holds each selected element once: ints,
    slices, None and ``...`` (not a bool, nor a tensor or list of indices)."""
    items = index if type(index) is tuple else (index,)
    return all(type(item) is int or type(item) is slice or item is None or item is Ellipsis
               for item in items)


def grad_matmul_left(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``x``."""
    if y.dim() == 1:
        if x.dim() == 1:
            return dz * y
        return unbroadcast(dz.unsqueeze(-1) * y, x)
    if x.dim() == 1:
        return unbroadcast(torch.matmul(y, dz.unsqueeze(-1)).squeeze(-1), x)
    return unbroadcast(torch.matmul(dz, y.transpose(-1, -2)), x)


def grad_matmul_right(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``y``."""
    if x.dim() == 1:
        if y.dim() == 1:
            return dz * x
        return unbroadcast(x.unsqueeze(-1) * dz.unsqueeze(-2), y)
    if y.dim() == 1:
        return unbroadcast(torch.matmul(x.transpose(-1, -2), dz.unsqueeze(-1)).squeeze(-1), y)
    return unbroadcast(torch.matmul(x.transpose(-1, -2), dz), y)


def grad_dot(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of a dot product for ``x1`` (1-D and 2-D operands, as ``x1 @ x2``)."""
    _check_unmixed('grad_dot', dy, x1, x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return unbroadcast(dy * x2, x1)
    return grad_matmul_left(dy, x1, x2)


def grad_dot_right(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of a dot product for ``x2``."""
    _check_unmixed('grad_dot_right', dy, x1, x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return unbroadcast(dy * x1, x2)
    return grad_matmul_right(dy, x1, x2)


# Helpers named by the PyTorch derivative rules (declared.py, rules.py) ---------------
#
# Generated code calls these; so that it can be differentiated again (Hessian-vector
# products), each one has rules of its own, or is declared to have no derivative.

def true_quotient(rounding_mode: Any) -> float:
    """1.0 for true division; rounded division is piecewise constant, whose derivative
    tangent does not return as zero by accident: it raises."""
    if rounding_mode is not None:
        raise NotImplementedError(
            f'the derivative of torch.div with rounding_mode={rounding_mode!r} is zero '
            f'almost everywhere and undefined at the steps; tangent does not differentiate '
            f'it. Wrap the rounded quotient in .detach() if it is meant to be constant.')
    return 1.0


def no_eps(eps: Any) -> float:
    """1.0 for torch.logit without ``eps``; with it the input is clamped (not supported)."""
    if eps is not None:
        raise NotImplementedError(
            'the derivative of torch.logit with eps (which clamps the input) is not '
            'supported; clamp with torch.clamp before torch.logit instead')
    return 1.0


def inside(x: Any, low: Any, high: Any) -> Any:
    """1 where ``low < x < high`` (either bound may be None), else 0: clamp's slope."""
    share = torch.ones_like(x)
    if low is not None:
        share = share * (x > low).to(x.dtype)
    if high is not None:
        share = share * (x < high).to(x.dtype)
    return share


def log_where_nonzero(x: Any, y: Any) -> Any:
    """log(y) where x != 0, else 0: the slope of xlogy(x, y) in x."""
    x, y = torch.broadcast_tensors(torch.as_tensor(x), torch.as_tensor(y))
    return torch.where(x == 0, torch.zeros_like(y), torch.log(torch.where(x == 0,
                                                                          torch.ones_like(y), y)))


def softplus_slope(x: Any, beta: float, threshold: float) -> Any:
    """The slope of F.softplus: sigmoid(beta x), and 1 where it is linear (beta x > threshold)."""
    return torch.where(beta * x > threshold, torch.ones_like(x), torch.sigmoid(beta * x))


def softplus_curvature(x: Any, beta: float, threshold: float) -> Any:
    """The derivative of ``softplus_slope`` in x."""
    s = torch.sigmoid(beta * x)
    return torch.where(beta * x > threshold, torch.zeros_like(x), beta * s * (1.0 - s))


def gelu_slope(x: Any, approximate: str) -> Any:
    """The slope of exact GELU, x Phi(x): Phi(x) + x phi(x)."""
    if approximate != 'none':
        raise NotImplementedError(
            f"the derivative of F.gelu with approximate={approximate!r} is not supported; "
            f"use the exact GELU (approximate='none')")
    density = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return torch.special.ndtr(x) + x * density


def gelu_curvature(x: Any, approximate: str) -> Any:
    """The derivative of ``gelu_slope`` in x: phi(x) (2 - x^2)."""
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi) * (2.0 - x * x)


def mish_slope(x: Any) -> Any:
    """The slope of mish, x tanh(softplus(x))."""
    t = torch.tanh(F.softplus(x))
    return t + x * (1.0 - t * t) * torch.sigmoid(x)


def mish_curvature(x: Any) -> Any:
    """The derivative of ``mish_slope`` in x."""
    t = torch.tanh(F.softplus(x))
    s = torch.sigmoid(x)
    sech2 = 1.0 - t * t
    return 2.0 * sech2 * s + x * sech2 * s * (1.0 - s) - 2.0 * x * t * sech2 * s * s


def matrix_transpose(x: Any) -> Any:
    """``x.mT``: the last two dims swapped."""
    return torch.transpose(x, -2, -1)


def inverse_permutation(dims: Any) -> tuple:
    """The dims of torch.permute that undo ``torch.permute(x, dims)``."""
    order = [d % len(dims) for d in dims]
    return tuple(sorted(range(len(order)), key=order.__getitem__))


def negated(shifts: Any) -> Any:
    """``shifts`` of torch.roll reversed."""
    return -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)


def diagonal_gradient(g: Any, x: Any, offset: int, dim1: int, dim2: int) -> Any:
    """The gradient of ``torch.diagonal(x, offset, dim1, dim2)``: ``g`` on that diagonal."""
    zeros = torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)
    return torch.diagonal_scatter(zeros, g, offset, dim1, dim2)


def narrow_gradient(g: Any, x: Any, dim: int, start: int) -> Any:
    """The gradient of ``torch.narrow(x, dim, start, length)``: ``g`` padded back."""
    zeros = torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)
    return torch.slice_scatter(zeros, g, dim, start, start + g.shape[dim])


def index_select_gradient(g: Any, x: Any, dim: int, index: Any) -> Any:
    """The gradient of ``torch.index_select(x, dim, index)``: summed back by index."""
    zeros = torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)
    return zeros.index_add(dim, index, g)


def gather_gradient(g: Any, x: Any, dim: int, index: Any) -> Any:
    """The gradient of ``torch.gather(x, dim, index)``: summed back by index."""
    zeros = torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)
    return zeros.scatter_add(dim, index, g)


def take_along_dim_gradient(g: Any, x: Any, indices: Any, dim: Any) -> Any:
    """The gradient of ``torch.take_along_dim(x, indices, dim)``: summed back by index
    (over the flattened ``x`` when ``dim`` is None)."""
    zeros = torch.zeros(x.shape, dtype=_float_dtype(x), device=x.device)
    if dim is None:
        return zeros.reshape(-1).scatter_add(0, indices.reshape(-1), g.reshape(-1)) \
            .reshape(x.shape)
    return zeros.scatter_add(dim, torch.broadcast_to(indices, g.shape), g)


def pad_gradient(g: Any, x: Any, pad: Any, mode: str) -> Any:
    """The gradient of ``F.pad(x, pad)`` in constant mode: the inside of ``g``."""
    if mode != 'constant':
        raise NotImplementedError(
            f"the derivative of F.pad with mode={mode!r} is not supported; only "
            f"mode='constant'")
    return F.pad(g, tuple(-p for p in pad))


def diag_gradient(g: Any, x: Any, diagonal: int) -> Any:
    """The gradient of ``torch.diag(x, diagonal)``: the diagonal of ``g`` for a vector
    ``x`` (diag built a matrix), ``g`` on that diagonal for a matrix ``x``."""
    if x.dim() == 1:
        return torch.diagonal(g, diagonal)
    return diagonal_gradient(g, x, diagonal, 0, 1)


def _inner_contraction(g: Any, target: Any, source: Any, dims: tuple) -> Any:
    """``g`` contracted with ``source`` over ``dims``; a 0-d operand makes inner a
    plain product, summed when ``target`` (whose gradient this is) is 0-d."""
    if target.dim() == 0 or source.dim() == 0:
        product = g * source
        return product if target.dim() else torch.sum(product)
    return torch.tensordot(g, source, dims=dims)


def inner_gradient_left(g: Any, x: Any, other: Any) -> Any:
    """The gradient of ``torch.inner(x, other)`` for ``x``: the seed (x's leading dims,
    then other's) contracted with ``other`` over other's leading dims."""
    return _inner_contraction(g, x, other, (list(range(x.dim() - 1, g.dim())),
                                            list(range(other.dim() - 1))))


def inner_gradient_right(g: Any, x: Any, other: Any) -> Any:
    """The gradient of ``torch.inner(x, other)`` for ``other``: the seed contracted with
    ``x`` over x's leading dims."""
    return _inner_contraction(g, other, x, (list(range(x.dim() - 1)),
                                            list(range(x.dim() - 1))))


def lower_half(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved: what the derivative of a
    Cholesky factor keeps (self-adjoint, so its own transpose)."""
    return torch.tril(x) - 0.5 * x * torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def _solves_vectors(b: Any, a: Any) -> bool:
    """Whether ``torch.linalg.solve(a, b)`` reads ``b`` as vectors: a 1-D ``b``, or one
    with a dimension fewer than ``a`` and ``a``'s batch dimensions."""
    return b.dim() == 1 or (b.dim() == a.dim() - 1 and b.shape[:-1] == a.shape[:-2])


def as_columns(v: Any, b: Any, a: Any) -> Any:
    """``v``, shaped like the solution of ``torch.linalg.solve(a, b)``, as a stack of
    columns."""
    return v.unsqueeze(-1) if _solves_vectors(b, a) else v


def as_solution(columns: Any, b: Any, a: Any) -> Any:
    """The inverse of ``as_columns``."""
    return columns.squeeze(-1) if _solves_vectors(b, a) else columns


def on_the_left(left: bool) -> float:
    """1.0 for torch.linalg.solve(a, b) solving a x = b; left=False is not supported."""
    if not left:
        raise NotImplementedError(
            'the derivative of torch.linalg.solve with left=False is not supported; '
            'transpose the system instead')
    return 1.0


def lower_only(upper: bool) -> float:
    """1.0 for the lower Cholesky factor; upper=True is not supported."""
    if upper:
        raise NotImplementedError(
            'the derivative of torch.linalg.cholesky with upper=True is not supported; '
            'transpose the lower factor instead')
    return 1.0


def plain_embedding(max_norm: Any, scale_grad_by_freq: bool, sparse: bool) -> float:
    """1.0 for F.embedding without the options whose derivative tangent does not write
    (max_norm renormalises the weight in place)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            'the derivative of F.embedding with max_norm, scale_grad_by_freq or sparse '
            'is not supported')
    return 1.0


def without_row(weight: Any, row: Any) -> Any:
    """``weight`` with row ``row`` zeroed (none when ``row`` is None): the padding row of
    F.embedding receives no gradient."""
    if row is None:
        return weight
    keep = torch.ones(weight.shape[0], dtype=weight.dtype, device=weight.device)
    keep = keep.index_fill(0, torch.tensor([row], device=weight.device), 0.0)
    return weight * keep.reshape((-1,) + (1,) * (weight.dim() - 1))


def embedding_gradient(g: Any, indices: Any, weight: Any, padding_idx: Any,
                       plain: float) -> Any:
    """The gradient of ``F.embedding(indices, weight)`` for ``weight``: each looked-up
    row's gradients summed back into it (none into the padding row)."""
    rows = torch.zeros(weight.shape, dtype=_float_dtype(weight), device=weight.device)
    rows = rows.index_add(0, indices.reshape(-1), g.reshape((-1,) + tuple(weight.shape[1:])))
    return without_row(rows, padding_idx) * plain


def not_training(training: bool, inplace: bool) -> float:
    """1.0 for F.dropout outside training (the identity); dropout while training draws
    a random mask that the derivative would have to read back, and raises."""
    if training or inplace:
        raise NotImplementedError(
            'the derivative of F.dropout with training=True (or inplace=True) is not '
            'supported; pass training=False (the identity), or apply the mask yourself: '
            'x * mask / (1 - p) with mask drawn outside the differentiated function')
    return 1.0


def out_of_place(name: str, inplace: bool) -> float:
    """1.0, or an error for ``inplace=True`` where the slope reads the input the call
    overwrote (``F.silu``, ``F.mish``)."""
    if inplace:
        raise NotImplementedError(
            f'the derivative of {name} with inplace=True is not supported (the input it '
            f'needs is overwritten); use inplace=False')
    return 1.0


def _extremum_share(y: Any, x: Any, rival: Any, dim: Any) -> Any:
    """The share of ``y = torch.max(x)`` (or ``torch.max(x, rival)``, or min) that each
    element of ``x`` holds: 1/k among k tied extremes, 1/2 at a tie with the rival."""
    if dim is not None or (rival is not None and not isinstance(rival, torch.Tensor)):
        raise NotImplementedError(
            'the derivative of torch.max or torch.min with dim (which returns values and '
            'indices) is not supported; use torch.amax or torch.amin for the values')
    if rival is None:
        return extremum_share(y, x, None, False)
    dtype = _float_dtype(y)
    return torch.eq(x, y).to(dtype) / (1.0 + torch.eq(x, rival).to(dtype))


def extremum_gradient(g: Any, y: Any, x: Any, rival: Any, dim: Any) -> Any:
    """The gradient for ``x`` of ``y = torch.max(x)`` or ``torch.max(x, rival)`` (or
    min), ``g`` being ``y``'s; None when ``x`` is None (no second operand)."""
    if x is None:
        return None
    return unbroadcast(broadcast_like(g, y) * _extremum_share(y, x, rival, dim), x) \
        if rival is not None else g * _extremum_share(y, x, rival, dim)


def extremum_tangent(dx: Any, y: Any, x: Any, rival: Any, dim: Any) -> Any:
    """What the tangent ``dx`` of ``x`` adds to the tangent of ``y = torch.max(x)`` or
    ``torch.max(x, rival)`` (or min): the transpose of ``extremum_gradient``."""
    if x is None or dx is None:
        return torch.zeros_like(y)
    moved = broadcast_like(dx, x) * _extremum_share(y, x, rival, dim)
    return broadcast_like(moved, y) if rival is not None else torch.sum(moved)


def last_dims(normalized_shape: Any) -> tuple:
    """The dims F.layer_norm normalises over: the last ``len(normalized_shape)``."""
    return tuple(range(-len(as_dims(normalized_shape)), 0))


def weight_or_one(weight: Any) -> Any:
    """A normalisation's weight, or 1.0 without one."""
    return 1.0 if weight is None else weight


def dim_or_axis(dim: Any, axis: Any) -> Any:
    """A reduction's dims, given by PyTorch's name (dim) or by NumPy's (axis)."""
    return dim if axis is None else axis


def keepdim_or_keepdims(keepdim: bool, keepdims: Any) -> bool:
    """Whether a reduction keeps its dims, by PyTorch's name or by NumPy's (keepdims)."""
    return keepdim if keepdims is None else keepdims


def as_dims(dims: Any) -> tuple:
    """A method's shape or dims argument as a tuple: ``x.view(6)`` means ``(6,)``."""
    return (dims,) if isinstance(dims, int) else tuple(dims)


def reshaped(x: Any, shape: Any) -> Any:
    """``x.reshape(shape)`` and ``x.view(shape)``, with ``shape`` an int or a tuple."""
    return torch.reshape(x, as_dims(shape))


def permuted(x: Any, dims: Any) -> Any:
    """``x.permute(dims)``, with ``dims`` an int or a tuple."""
    return torch.permute(x, as_dims(dims))


def flipped(x: Any, dims: Any) -> Any:
    """``x.flip(dims)``, with ``dims`` an int or a tuple."""
    return torch.flip(x, as_dims(dims))


def split_along(g: Any, sizes: list, dim: int) -> list:
    """``g`` cut along ``dim`` into pieces of ``sizes``: the gradients of torch.cat's inputs."""
    return list(torch.split(g, sizes, dim))


def unbound(g: Any, dim: int) -> list:
    """``g``'s slices along ``dim``: the gradients of torch.stack's inputs."""
    return list(torch.unbind(g, dim))


def extremum_share(y: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    """Each element's share of a max or min over ``dim``: 1/k for the k elements equal to it."""
    hits = torch.eq(x, _expanded(y, x.dim(), dim, keepdim)).to(_float_dtype(x))
    axes = tuple(range(x.dim())) if dim is None else _axis_tuple(dim)
    return hits / hits.sum(dim=axes, keepdim=True)


def last_dim(dim: Any) -> int:
    """The dim a softmax normalises over: PyTorch's implicit choice is deprecated, so
    tangent asks for it."""
    if dim is None:
        raise NotImplementedError(
            'softmax and log_softmax without dim are not differentiated (PyTorch picks the '
            'dim implicitly, and warns); pass dim=')
    return dim


def one_hot_like(target: Any, logits: Any, dim: int) -> Any:
    """Class indices ``target`` one-hot along ``dim`` of ``logits``, in its dtype."""
    encoded = F.one_hot(target, logits.shape[dim]).to(logits.dtype)
    return torch.movedim(encoded, -1, dim)


def reduction_scale(reduction: str, x: Any) -> float:
    """The factor a loss's reduction applies to each element: 1/n for 'mean'."""
    if reduction == 'mean':
        return 1.0 / x.numel()
    if reduction in ('sum', 'none'):
        return 1.0
    raise ValueError(f'unknown reduction {reduction!r}')


def reduced_seed(g: Any, reduction: str, like: Any) -> Any:
    """A loss's seed spread over the elements: broadcast for 'sum' and 'mean'."""
    if reduction == 'none':
        return g
    return _tensor(g, like).expand(like.shape)


def all_dims(dim: Any) -> Any:
    """None for a reduction over every dim (torch.amax's ``dim=()``), else ``dim``."""
    return None if dim is None or (isinstance(dim, (tuple, list)) and not dim) else dim


def _reduced_axes(x: Any, dim: Any) -> tuple:
    dim = all_dims(dim)
    return tuple(range(x.dim())) if dim is None else \
        tuple(sorted(a % x.dim() for a in _axis_tuple(dim)))


def prod_others(x: Any, dim: Any) -> Any:
    """For each element, the product of the others in its reduction (exact with zeros)."""
    axes = _reduced_axes(x, dim)
    rest = [i for i in range(x.dim()) if i not in axes]
    moved = x.permute(rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = torch.ones_like(flat[..., :1])
    before = torch.cumprod(torch.cat([ones, flat[..., :-1]], -1), -1)
    after = torch.flip(torch.cumprod(torch.cat([ones, torch.flip(flat, (-1,))[..., :-1]], -1),
                                     -1), (-1,))
    others = (before * after).reshape(moved.shape)
    return others.permute(inverse_permutation(rest + list(axes)))


def prod_others_tangent(x: Any, dx: Any, dim: Any) -> Any:
    """The tangent of ``prod_others(x, dim)`` along ``dx``, exact with zeros.

    Element i moves by the sum over j != i of dx_j times the product of the elements
    other than i and j: zero when a zero lies outside {i, j}. The Jacobian is
    symmetric, so this is also prod_others's adjoint.
    """
    axes = _reduced_axes(x, dim)
    dx = broadcast_like(dx, x)
    zero = x == 0
    safe = torch.where(zero, torch.ones_like(x), x)
    zeros = zero.to(x.dtype)
    zeros_elsewhere = zeros.sum(axes, keepdim=True) - zeros
    ratio = dx / safe
    spread = ratio.sum(axes, keepdim=True) - ratio  # no zero but i's
    at_zero = zeros * dx
    from_zero = at_zero.sum(axes, keepdim=True) - at_zero  # one zero, j's
    factor = torch.where(zeros_elsewhere == 0, spread,
                         torch.where(zeros_elsewhere == 1, from_zero, torch.zeros_like(x)))
    product = safe
    for axis in axes:
        product = product.prod(axis, keepdim=True)
    return product / safe * factor


def sizes_along(tensors: Any, dim: int) -> list:
    """The sizes of ``torch.cat(tensors, dim)``'s pieces along ``dim``."""
    return [tensor.shape[dim] for tensor in tensors]


def tangent_items(tangents: Any, values: Any) -> list:
    """Tangents (or gradients) of a list's items, each as large as its item (zeros spread)."""
    return [init_grad(v) if t is None else broadcast_like(t, v)
            for t, v in zip(tangents, values)]


def item_gradients(grads: Any, tangents: Any) -> list:
    """The adjoint of ``tangent_items``: each gradient summed back to its tangent's shape."""
    return [None if t is None else unbroadcast(g, t) for g, t in zip(grads, tangents)]


def linear_weight_gradient(g: Any, x: Any) -> Any:
    """The gradient of ``F.linear(x, weight)`` for ``weight``: g^T x summed over the batch."""
    if x.dim() == 1:
        return torch.outer(g, x)
    return torch.matmul(g.reshape(-1, g.shape[-1]).t(), x.reshape(-1, x.shape[-1]))


def reduced(x: Any, reduction: str) -> Any:
    """``x`` reduced as a loss's ``reduction`` says: 'mean', 'sum' or 'none'."""
    if reduction == 'none':
        return x
    return x.sum() * reduction_scale(reduction, x)


def summed(reduction: str) -> str:
    """The reduction that transposes ``reduced_seed``: a sum of the spread seed."""
    return 'none' if reduction == 'none' else 'sum'


def class_targets(target: Any, logits: Any, weight: Any, ignore_index: int,
                  label_smoothing: float) -> Any:
    """The target distribution of F.cross_entropy over the classes (dim 1) of ``logits``."""
    if weight is not None or label_smoothing or target.dtype.is_floating_point or \
            bool((target == ignore_index).any()):
        raise NotImplementedError(
            'the derivative of F.cross_entropy is implemented for class-index targets '
            'without weight, ignore_index hits or label_smoothing')
    return one_hot_like(target, logits, 1)


def unweighted(weight: Any, pos_weight: Any) -> float:
    """1.0 when a loss has no weights; weighted losses are not supported."""
    if weight is not None or pos_weight is not None:
        raise NotImplementedError(
            'the derivative of F.binary_cross_entropy_with_logits with weight or '
            'pos_weight is not supported')
    return 1.0


def autograd_vjp(fn: Any, args: tuple, kwargs: dict, positions: tuple, seed: Any) -> Any:
    """The gradient of ``fn(*args, **kwargs)`` in the arguments at ``positions``, from
    PyTorch's own autograd (for ``@tangent.trace`` black boxes only)."""
    args = list(args)
    watched = []
    for position in positions:
        args[position] = torch.as_tensor(args[position]).detach().requires_grad_(True)
        watched.append(args[position])
    with torch.enable_grad():
        result = fn(*args, **kwargs)
        gradients = torch.autograd.grad(result, watched, grad_outputs=torch.as_tensor(seed),
                                        allow_unused=True)
    gradients = [init_grad(value) if gradient is None else gradient
                 for gradient, value in zip(gradients, watched)]
    return gradients[0] if len(gradients) == 1 else tuple(gradients)


class InPlaceTensorMethodError(NotImplementedError):
    """A differentiated function wrote into a tensor with an in-place method."""


def _in_place_method(name: str) -> Any:
    """What ``x.<name>(...)``, a method writing into ``x`` (``add_``), means in generated
    code: an error naming it. Derivatives do not follow writes into tensors, so running
    it would give a wrong derivative."""
    def in_place(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        raise InPlaceTensorMethodError(
            f'the differentiated function calls the in-place tensor method .{name}(), '
            f'which tangent does not differentiate (the derivative would miss the write). '
            f'Write the out-of-place form instead (y = y + x rather than y.add_(x)).')
    in_place.__name__ = in_place.__qualname__ = name
    return in_place


IN_PLACE_METHODS = {name: _in_place_method(name) for name in dir(torch.Tensor)
                    if name.endswith('_') and not name.startswith('_')}


# The generic runtime helpers' versions for tensors, by name: the runtime hands a
# call to one of these when an argument is a tensor.
HELPERS = {name: globals()[name] for name in (
    'init_grad', 'ones_like', 'unbroadcast', 'broadcast_like', 'unreduce_like', 'unreduce',
    'astype', 'shapes_match', 'array_size', 'check_seed', 'check_scalar', 'safe_log',
    'balanced_eq', 'power_slope', 'power_slope_exponent', 'add_at', 'grad_matmul_left',
    'grad_matmul_right', 'sign', 'copy', 'grad_dot', 'grad_dot_right', 'unaliased')}

"""Shapes: taped shape records, undoing broadcasting and reductions, casts.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tangent import errors
from tangent.runtime.dispatch import backend_overridable


# Python scalars that stand for a single real number; bool is included because
# NumPy treats it as a number in arithmetic, so its gradient is a float.
_PY_REAL = (float, int, bool)
_add_reduce = np.add.reduce
# Index types for which ndarray indexing returns a view (or a single element), so
# `+=` cannot hit the same element twice.
_BASIC_INDEX = (int, np.integer, slice, type(Ellipsis), type(None))


class ShapeOnly:
    """What the tape keeps of an array the backward pass reads only for its shape
    and dtype (``unbroadcast(g, x)``): those two, and no contents."""

    __slots__ = ('shape', 'dtype')

    def __init__(self, shape: tuple, dtype: np.dtype):
        object.__setattr__(self, 'shape', shape)
        object.__setattr__(self, 'dtype', dtype)

    def __setattr__(self, name: str, value: Any) -> None:
        # One record stands for every tape entry of its shape and dtype.
        raise AttributeError('a ShapeOnly record is shared by tape entries: it cannot change')

    def __delattr__(self, name: str) -> None:
        raise AttributeError('a ShapeOnly record is shared by tape entries: it cannot change')

    def __reduce__(self) -> tuple:
        # copy, deepcopy and pickle rebuild it through __init__, not by setting slots.
        return ShapeOnly, (self.shape, self.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f'ShapeOnly({self.shape}, {self.dtype})'


@functools.lru_cache(maxsize=1024)
def _shared_shape_record(shape: tuple, dtype: np.dtype) -> ShapeOnly:
    # A loop pushes the same few shapes at every step: one shared record per
    # shape and dtype makes each tape entry a reference, not a new object
    # (about 100 bytes, and one more object for the garbage collector to walk).
    # Records are never changed after they are made, so sharing them is safe.
    return ShapeOnly(shape, dtype)


def shape_only(x: Any) -> Any:
    """A stand-in for ``x`` with its shape and dtype but no contents, for the tape.

    Arrays of one shape and dtype share one record. Anything but an array is
    kept as it is.
    """
    if type(x) is np.ndarray:
        return _shared_shape_record(x.shape, x.dtype)
    return x


def _is_basic_index(index: Any) -> bool:
    """True if ndarray indexing with `index` is basic (view) indexing."""
    kind = type(index)
    if kind is int or kind is slice:
        return True
    if kind is tuple:
        for item in index:
            if not isinstance(item, _BASIC_INDEX) or isinstance(item, bool):
                return False
        return True
    return isinstance(index, _BASIC_INDEX) and kind is not bool


def _needs_reduce(value_shape: tuple, shape: tuple) -> bool:
    """True if a value of `value_shape` must be summed to fit into `shape`."""
    if len(value_shape) > len(shape):
        return True
    for v, s in zip(reversed(value_shape), reversed(shape), strict=False):
        if s == 1 and v != 1:
            return True
    return False


def _sum_to_shape(array: Any, shape: tuple) -> Any:
    """Sum `array` over the axes that broadcasting to `shape` would have added.

    One ``np.add.reduce`` over the leading and the size-1 axes (``np.sum``'s
    Python wrapper costs more than the sum itself on small arrays).
    """
    if type(array) is not np.ndarray:
        array = np.asarray(array)
    array_shape = array.shape
    extra = len(array_shape) - len(shape)
    axes = list(range(extra)) if extra > 0 else []
    for i in range(max(extra, 0), len(array_shape)):  # a loop: cheaper than a generator
        if array_shape[i] != 1 and shape[i - extra] == 1:
            axes.append(i)
    if not axes:
        return array
    summed = _add_reduce(array, axis=tuple(axes), keepdims=True)
    return summed.reshape(summed.shape[extra:]) if extra > 0 else summed


def _is_complex(value: Any) -> bool:
    if isinstance(value, complex):
        return True
    dtype = getattr(value, 'dtype', None)
    return isinstance(dtype, np.dtype) and dtype.kind == 'c'


# ------------------------------------------------------------- shape handling


def _is_floating(dtype: Any) -> bool:
    return getattr(dtype, "kind", None) == "f"  # TensorFlow's dtypes have no kind


@backend_overridable('x')
def sign(x: Any) -> Any:
    """The sign of ``x`` (NumPy's, or its array library's for tensors): the
    derivative of ``abs``."""
    if _is_complex(x):  # np.sign of a complex number is x / |x|: not abs's slope
        raise errors.ComplexNumberError('the argument of abs', 'abs')
    return np.sign(x)


@backend_overridable('array', 'like')
def unbroadcast(array: Any, like: Any) -> Any:
    """Sum the gradient `array` down to the shape of `like`, undoing broadcasting.

    Leading axes that broadcasting added are summed away, then axes where `like` has
    size 1 are summed with keepdims.

    Returns:
        `array` itself when the shapes already match; a Python float if `like` is a
        Python number; a numpy scalar of `like`'s float dtype if `like` is 0-d;
        otherwise an array of `like`'s shape, cast to `like`'s dtype if that is a
        floating dtype (so float32 stays float32). If `array` has fewer axes than
        `like` (a uniform seed), it is broadcast up into a fresh array.
    """
    kind = type(like)
    if kind is np.ndarray or kind is ShapeOnly:
        # Checked first: in a loop's backward pass this is nearly every call, and
        # a taped shape record answers it as fast as the array it stands for.
        shape = like.shape
        if type(array) is np.ndarray and array.shape == shape:
            return array
        return _unbroadcast_to(array, shape, like.dtype)
    if kind is float or kind is int or kind is bool:
        if type(array) is float:
            return array
        if type(array) is np.float64:  # np.sin(x) of a float x: real, one value
            return float(array)
        if _is_complex(array):  # float() would drop the imaginary part
            raise errors.ComplexNumberError('a derivative', 'a real variable')
        if isinstance(array, np.generic):
            return float(array)
        return float(_add_reduce(array, axis=None))
    if (kind is list or kind is tuple) and isinstance(array, (list, tuple)) and \
            len(array) != len(like):
        # A sequence's gradient of another length: a + b or x * n that joined or
        # repeated lists where the source looked like arithmetic. Never guess.
        raise ValueError(
            f"a gradient of {len(array)} items reached a {kind.__name__} of {len(like)} "
            "items: a + or * of lists or tuples was differentiated as arithmetic. Build "
            "the sequence in the function with a display ([...], [*x], (*x,)) so that "
            "tangent sees it is one."
        )
    if kind is type(array) and kind is not np.ndarray:
        return array  # two NumPy scalars of one type (np.float64 from np.sin(x) on floats)
    if isinstance(like, np.generic) and (type(array) is float or isinstance(array, np.generic)):
        return like.dtype.type(array) if like.dtype.kind in "fc" else np.float64(array)
    return _unbroadcast_to(array, np.shape(like), getattr(like, "dtype", None))


def _unbroadcast_to(array: Any, shape: tuple, dtype: Any) -> Any:
    """`unbroadcast` to a known ``shape`` and ``dtype`` (None for a non-NumPy value)."""
    if np.shape(array) == shape:
        return array
    if not shape:
        total = _add_reduce(np.asarray(array), axis=None)
        if _is_complex(total) and (dtype is None or dtype.kind != "c"):
            raise errors.ComplexNumberError('a derivative', 'a real variable')
        if dtype is not None and dtype.kind in "fc":
            return dtype.type(total)
        return np.float64(total)
    if type(array) is np.ndarray:
        extra = array.ndim - len(shape)
        if extra > 0 and array.shape[extra:] == shape and array.dtype == dtype:
            # Only leading axes were added (a bias of a batch): the common case.
            return _add_reduce(array, axis=0) if extra == 1 else \
                _add_reduce(array, axis=tuple(range(extra)))
    result = _sum_to_shape(array, shape)
    if result.shape != shape:
        filled = np.empty(shape, result.dtype)
        filled[...] = result
        result = filled
    if _is_floating(dtype) and result.dtype != dtype:
        if result.dtype.kind == "c" and dtype.kind != "c":
            raise errors.ComplexNumberError('a derivative', 'a real variable')
        result = result.astype(dtype, copy=False)
    return result


def _normalise_axes(axis: int | tuple[int, ...], ndim: int) -> tuple[int, ...]:
    if isinstance(axis, tuple):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


@backend_overridable('array')
def unreduce(array: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Spread the gradient of a reduction back over the reduced input's shape.

    Given the gradient of `np.sum(x, axis=axis, keepdims=keepdims)` with
    `x.shape == shape`, return it broadcast to `shape`. The result may be a
    read-only broadcast view that aliases `array`: callers must not write into it
    (copy it first).

    Args:
        array: Gradient of the reduction's result.
        shape: Shape of the reduction's input.
        axis: None, an int (negative allowed) or a tuple of ints.
        keepdims: The reduction's keepdims flag.
    """
    shape = tuple(shape)
    if not shape:
        return array
    if np.shape(array) == shape:
        return array
    if not keepdims and axis is not None:
        array = np.expand_dims(array, _normalise_axes(axis, len(shape)))
    return np.broadcast_to(array, shape)


@backend_overridable('array', 'original')
def unreduce_like(array: Any, original: Any, axis: Any, keepdims: bool) -> Any:
    """`unreduce` to the shape of `original`, in its floating dtype (float32 stays
    float32 when the seed is a Python float); a Python float if `original` is one."""
    if (type(original) is np.ndarray or type(original) is ShapeOnly) and original.ndim:
        # A fresh array filled by broadcasting assignment: cheaper than np.broadcast_to,
        # and already in the gradient's dtype. A taped shape record takes the same path
        # as the array it stands for.
        shape = original.shape
        dtype = original.dtype if original.dtype.kind in 'fc' else \
            np.result_type(array, np.float64)
        if not keepdims and axis is not None and np.ndim(array):
            expanded = list(shape)
            for item in _normalise_axes(axis, len(shape)):
                expanded[item] = 1
            array = np.reshape(array, expanded)
        result = np.empty(shape, dtype)
        result[...] = array
        return result
    result = unreduce(array, np.shape(original), axis, keepdims)
    if isinstance(original, _PY_REAL):
        return float(result)
    dtype = getattr(original, 'dtype', None)
    if _is_floating(dtype) and getattr(result, 'dtype', dtype) != dtype:
        result = result.astype(dtype) if isinstance(result, np.ndarray) else dtype.type(result)
    return result


@backend_overridable('array', 'like')
def astype(array: Any, like: Any) -> Any:
    """Cast `array` to the float type of `like` (float32 stays float32).

    A Python float if `like` is a Python number; `like`'s dtype if that is floating;
    otherwise `array` unchanged.
    """
    dtype = getattr(like, "dtype", None)
    if dtype is None:
        if isinstance(like, _PY_REAL):
            return float(array)
        return array
    if dtype.kind != "f" or getattr(array, "dtype", None) == dtype:
        return array
    if isinstance(array, np.ndarray):
        return array.astype(dtype)
    return dtype.type(array)


@backend_overridable('a', 'b')
def shapes_match(a: Any, b: Any) -> bool:
    """True if `a` and `b` have the same numpy shape."""
    return np.shape(a) == np.shape(b)


@backend_overridable('x')
def array_size(x: Any, axis: Any) -> int:
    """Number of elements a reduction of `x` over `axis` combines into each output.

    Args:
        x: The reduced value.
        axis: None (all elements), an int or a tuple of ints; negatives allowed.
    """
    if axis is None:
        return int(np.size(x))
    shape = np.shape(x)
    if isinstance(axis, tuple):
        return math.prod(shape[a] for a in axis)
    return shape[axis]


@backend_overridable('x', 'z', 'y')
def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """Share of the gradient of `z = max(x, y)` (or min) that flows to `x`.

    1 where `x` alone equals `z`, 0.5 where `x` and `y` tie, 0 elsewhere.
    """
    share = np.equal(x, z) / (1.0 + np.equal(x, y))
    dtype = getattr(x, "dtype", None)
    # Keep float32 gradients float32 instead of promoting through the 1.0.
    if _is_floating(dtype) and dtype != np.float64:
        share = share.astype(dtype)
    return share

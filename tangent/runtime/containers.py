"""Gradients of containers: zeros, ones, sums and copies of nested lists, tuples,
dicts and arrays; accumulation into one item (``add_at``); the tape of the items
a write overwrote.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tangent.runtime.dispatch import backend_overridable
from tangent.runtime.shapes import (
    _is_basic_index,
    _needs_reduce,
    _PY_REAL,
    _sum_to_shape,
    ShapeOnly,
)


def dict_keys(dictionary: dict) -> list:
    """The keys of ``dictionary`` in order: what ``for k, v in d.items()`` walks by position."""
    return list(dictionary)


# ------------------------------------------------------------------ containers


def _rebuild(template: tuple, items: Any) -> tuple:
    """A tuple of `template`'s type holding `items` (namedtuples take *args)."""
    if type(template) is tuple:
        return tuple(items)
    if hasattr(template, "_fields"):
        return type(template)(*items)
    return type(template)(items)


def _zero_scalar(dtype: np.dtype) -> Any:
    """Zero for a numpy scalar of `dtype`: float64 ones become a Python float."""
    if dtype.kind in "fc" and dtype != np.float64:
        return dtype.type(0)
    return 0.0


@backend_overridable('x')
def init_grad(x: Any, allow_lazy_initializer: bool = False) -> Any:
    """Return the zero gradient with the structure, shape and float dtype of `x`.

    Args:
        x: The value whose gradient is being initialised.
        allow_lazy_initializer: Accepted for compatibility with Tangent 0.1.9 and
            ignored: gradients are always built eagerly.

    Returns:
        0.0 for Python numbers; a fresh writable zero array for arrays (float64 for
        integer/bool arrays, otherwise the same dtype); the same container type with
        zero items for lists, tuples and dicts; None for anything non-numeric.
    """
    if type(x) is float:
        return 0.0
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        if kind in "fc":
            return np.zeros(x.shape, x.dtype)
        if kind in "biuO":
            return np.zeros(x.shape, np.float64)
        return None
    if isinstance(x, _PY_REAL):
        return 0.0
    if isinstance(x, complex):
        return 0.0
    if isinstance(x, np.generic):
        if x.dtype.kind in "biufc":
            return _zero_scalar(x.dtype)
        return None
    if isinstance(x, list):
        return [init_grad(item) for item in x]
    if isinstance(x, tuple):
        return _rebuild(x, [init_grad(item) for item in x])
    if isinstance(x, dict):
        return {key: init_grad(value) for key, value in x.items()}
    if isinstance(x, ShapeOnly):
        return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else np.float64)
    return None


@backend_overridable('x')
def ones_like(x: Any) -> Any:
    """Return ones shaped like `x`: 1.0 for Python numbers, float arrays for arrays.

    Containers are mapped item by item, like `init_grad`.
    """
    if type(x) is float:
        return 1.0
    if isinstance(x, np.ndarray):
        dtype = x.dtype if x.dtype.kind in "fc" else np.float64
        return np.ones(x.shape, dtype)
    if isinstance(x, (int, float, complex)):
        return 1.0
    if isinstance(x, np.generic):
        if x.dtype.kind in "fc" and x.dtype != np.float64:
            return x.dtype.type(1)
        return 1.0
    if isinstance(x, list):
        return [ones_like(item) for item in x]
    if isinstance(x, tuple):
        return _rebuild(x, [ones_like(item) for item in x])
    if isinstance(x, dict):
        return {key: ones_like(value) for key, value in x.items()}
    raise TypeError(f"ones_like does not know how to build ones for a {type(x).__name__}")


def add_grad(left: Any, right: Any) -> Any:
    """Return the sum of two gradients, recursing into lists, tuples and dicts.

    None is a zero gradient on either side. Never mutates either argument: numbers
    and arrays are added with `+`, which always makes a new object.

    Raises:
        ValueError: If two list/tuple gradients have different lengths.
    """
    if left is None:
        return right
    if right is None:
        return left
    kind = type(left)
    if kind is float or kind is np.ndarray or kind is np.float64:
        return left + right
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        if len(left) != len(right):
            raise ValueError(
                f"add_grad: cannot add gradients of lengths {len(left)} and {len(right)}"
            )
        items = [add_grad(a, b) for a, b in zip(left, right, strict=True)]
        if isinstance(left, tuple):
            return _rebuild(left, items)
        return type(left)(items) if type(left) is not list else items
    if isinstance(left, dict) and isinstance(right, dict):
        total = dict(left)
        for key, value in right.items():
            total[key] = add_grad(left[key], value) if key in left else value
        return total
    return left + right


@backend_overridable('x')
def copy(x: Any) -> Any:
    """Return a copy of `x` that can be mutated without affecting `x`.

    Arrays are copied; lists, tuples and dicts are rebuilt with copied items; numbers,
    None and other objects are returned as they are (they are immutable or opaque).
    """
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, list):
        items = [copy(item) for item in x]
        return items if type(x) is list else type(x)(items)
    if isinstance(x, tuple):
        return _rebuild(x, [copy(item) for item in x])
    if isinstance(x, dict):
        return {key: copy(value) for key, value in x.items()}
    return x


def as_sequence(x: Any) -> Any:
    """Return what `for item in x` iterates over, as an indexable sequence with len.

    Arrays, lists, tuples and ranges are returned as they are; a dict gives the list
    of its keys; any other iterable (generators, sets, strings) is materialised.
    """
    if isinstance(x, (np.ndarray, list, tuple, range)):
        return x
    return list(x)


def _add_at_array(target: np.ndarray, index: Any, value: Any) -> np.ndarray:
    if _is_basic_index(index):
        region = target[index]
        scalar_value = type(value) is float
        if isinstance(region, np.ndarray):
            # A view: adding into it writes through to target.
            if not scalar_value:
                value_shape = np.shape(value)
                if value_shape != region.shape and _needs_reduce(value_shape, region.shape):
                    value = _sum_to_shape(value, region.shape)
            region += value
        else:
            # A single element comes back as a scalar copy, so assign it back.
            if not scalar_value and np.ndim(value):
                value = np.sum(value)
            target[index] = region + value
        return target
    try:
        # Unbuffered, so repeated indices accumulate instead of overwriting.
        np.add.at(target, index, value)
    except ValueError:
        # Only now pay for materialising the indexed region to learn its shape.
        shape = target[index].shape
        if not _needs_reduce(np.shape(value), shape):
            raise
        np.add.at(target, index, _sum_to_shape(value, shape))
    return target


def _add_at_list(target: list, index: Any, value: Any) -> list:
    if isinstance(index, slice):
        positions = range(*index.indices(len(target)))
        values = as_sequence(value)
        if len(values) != len(positions):
            raise ValueError(
                f"add_at: slice selects {len(positions)} items but the value has {len(values)}"
            )
        for position, item in zip(positions, values, strict=True):
            target[position] = add_grad(target[position], item)
        return target
    target[index] = add_grad(target[index], value)
    return target


def _selects_whole(index: Any) -> bool:
    """``...``, ``None`` and ``()``, alone or together: an index that only adds axes, which a
    0-d array takes too (``np.asarray(s)[..., None, None]``)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is Ellipsis or part is None for part in parts)


@backend_overridable('target')
def add_at(target: Any, index: Any, value: Any) -> Any:
    """Add `value` into `target[index]` and return the target.

    `target` must be a gradient owned by the caller (freshly built, not aliased):
    arrays, lists and dicts are updated in place. Tuples are immutable, so a new
    tuple is returned. For arrays, repeated integer indices accumulate (like
    `np.add.at`), boolean masks are supported, and a value with extra leading or
    size-1 axes is summed down to the indexed region first. A value of None is a
    zero gradient and leaves the target unchanged.

    Raises:
        TypeError: If `target` is a scalar, or a 0-d array indexed by more than
            ``...`` and ``None``: it has no elements to index into.
    """
    if value is None:
        return target
    if isinstance(target, np.ndarray):
        if target.ndim == 0 and not _selects_whole(index):
            raise TypeError(
                "add_at: the target is a 0-d array; it has no elements to add into. "
                "Accumulate into a scalar gradient with add_grad instead."
            )
        return _add_at_array(target, index, value)
    if isinstance(target, list):
        return _add_at_list(target, index, value)
    if isinstance(target, dict):
        target[index] = add_grad(target.get(index), value)
        return target
    if isinstance(target, tuple):
        return _rebuild(target, _add_at_list(list(target), index, value))
    raise TypeError(
        f"add_at: cannot add into an element of a {type(target).__name__}; the target must "
        "be an ndarray with at least one dimension, a list, a tuple or a dict."
    )


# ---------------------------------------------------------------- item tape


class _Missing:
    """What the tape holds for a dict key that a write is about to create."""

    def __repr__(self) -> str:
        return 'tangent.MISSING'


MISSING = _Missing()


def copy_item(container: Any, index: Any) -> Any:
    """A copy of ``container[index]`` before a write replaces it (for the tape).

    A dict key that does not exist yet gives ``MISSING``: restoring it in the
    backward pass leaves a placeholder that nothing earlier reads.
    """
    if isinstance(container, dict) and index not in container:
        return MISSING
    return copy(container[index])


def written_grad(grad: Any, index: Any, value: Any) -> Any:
    """The gradient reaching ``value`` from ``x[index] = value``, given x's gradient.

    A copy of ``grad[index]``, except where the write did not land: a dict key
    with no gradient gives zeros, and with repeated integer indices only the
    last write to an element survives (as in NumPy), so the earlier ones get 0.
    """
    if isinstance(grad, dict):
        return copy(grad[index]) if index in grad else init_grad(value)
    part = grad[index]
    if not isinstance(grad, np.ndarray) or _is_basic_index(index) or \
            getattr(index, 'dtype', None) is not None and index.dtype == np.bool_:
        return copy(part)
    return np.where(_surviving_writes(grad.shape, index), part, 0).astype(part.dtype)


def _surviving_writes(shape: tuple, index: Any) -> np.ndarray:
    """For ``x[index] = v`` on an array of ``shape``: which written elements stay."""
    element_ids = np.arange(int(np.prod(shape))).reshape(shape)[index]
    flat = element_ids.ravel()
    last_writes = flat.size - 1 - np.unique(flat[::-1], return_index=True)[1]
    survives = np.zeros(flat.size, dtype=bool)
    survives[last_writes] = True
    return survives.reshape(element_ids.shape)


def scatter_written(part: Any, grad: Any, index: Any) -> Any:
    """The adjoint of ``written_grad(grad, index, value)`` with respect to ``grad``:
    zeros shaped like ``grad`` with ``part`` where the write landed."""
    result = init_grad(grad)
    if isinstance(grad, np.ndarray) and not _is_basic_index(index) and \
            getattr(index, 'dtype', None) != np.bool_:
        part = np.where(_surviving_writes(grad.shape, index), part, 0)
    return add_at(result, index, part)

"""Sequence concatenation and repetition: ``+`` and ``*`` on lists and tuples, and
starred displays, split back into their pieces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tangent.runtime.algebra import broadcast_like
from tangent.runtime.containers import _rebuild, add_grad, init_grad
from tangent.runtime.shapes import astype, unbroadcast


# --------------------------------------------------- sequence concatenation
#
# ``a + b`` and ``a * n`` concatenate and repeat when their operands are lists
# or tuples, and add and multiply otherwise. Where the transformer cannot tell
# which from the source, the derivative rules call these helpers, which decide
# from the values (the transposes and tangents of each one are here too, so
# that generated code can be differentiated again).


def _is_concatenation(left: Any, right: Any) -> bool:
    """Whether ``left + right`` joins two sequences (list + list, tuple + tuple)."""
    return isinstance(left, (list, tuple)) and isinstance(right, (list, tuple))


def _repetition(x: Any, n: Any) -> bool:
    """Whether ``x * n`` repeats the sequence ``x`` ``n`` times."""
    return isinstance(x, (list, tuple)) and isinstance(n, (int, np.integer)) and \
        not isinstance(n, bool)


def _items(derivative: Any, like: Any, what: str = "gradient", size: int | None = None) -> list:
    """The derivative of the sequence ``like`` (of ``size`` items, by default its
    length) as a list of its items; None, or a number zero (the zero a rule passes
    for an operand without derivative), stands for zeros of ``like``'s items."""
    size = len(like) if size is None else size
    if _is_zero_number(derivative):
        return [init_grad(item) for item in like]
    if (isinstance(derivative, (list, tuple)) or np.ndim(derivative) > 0) and \
            len(derivative) == size:
        return list(derivative)
    raise ValueError(
        f"the {what} of a {type(like).__name__} of {size} items is "
        f"{type(derivative).__name__} {_describe(derivative)}; it must be a list or tuple "
        "of as many items"
    )


def _is_zero_number(value: Any) -> bool:
    return value is None or (isinstance(value, (float, int)) and value == 0)


def _describe(value: Any) -> str:
    try:
        return f"of length {len(value)}"
    except TypeError:
        return f"{value!r}"


def _like(items: list, like: Any) -> Any:
    """``items`` as a sequence of the type of ``like``."""
    return _rebuild(like, items) if isinstance(like, tuple) else list(items)


def add_or_concat(x: Any, y: Any) -> Any:
    """``x + y``: the key of the derivative rules of a ``+`` whose operands may be
    lists or tuples (concatenation) or numbers and arrays (addition)."""
    return x + y


def mul_or_repeat(x: Any, y: Any) -> Any:
    """``x * y``: the key of the derivative rules of a ``*`` that may repeat a list
    or tuple (``[v] * 3``, ``3 * (v,)``) or multiply numbers and arrays."""
    return x * y


def unconcat(grad: Any, left: Any, right: Any, side: int) -> Any:
    """The gradient of ``left`` (``side`` 0) or ``right`` (1) in ``left + right``.

    For a concatenation it is the items of ``grad`` where that operand's items
    went, as a sequence of the operand's type; for an addition, ``grad`` summed
    down to the operand's shape. None (a zero gradient) stays None.
    """
    if grad is None:
        return None
    operand = right if side else left
    if not _is_concatenation(left, right):
        return unbroadcast(grad, operand)
    if _is_zero_number(grad):
        return init_grad(operand)
    items = _items(grad, (), size=len(left) + len(right))
    return _like(items[len(left):] if side else items[:len(left)], operand)


def reconcat(part: Any, grad: Any, left: Any, right: Any, side: int) -> Any:
    """The transpose of ``unconcat(grad, left, right, side)`` in ``grad``: ``part``
    in its operand's place, zeros for the other operand (a concatenation), or
    ``part`` broadcast to ``grad``'s shape (an addition)."""
    if not _is_concatenation(left, right):
        return broadcast_like(part, grad)
    if side:
        return concat_tangent(None, part, left, right, grad)
    return concat_tangent(part, None, left, right, grad)


def concat_tangent(dleft: Any, dright: Any, left: Any, right: Any, like: Any) -> Any:
    """The tangent of ``left + right`` from the operands' tangents.

    A concatenation joins them (an operand without a tangent gives zeros of its
    length); an addition adds them, broadcast to the shape of ``like``, the result.
    """
    if not _is_concatenation(left, right):
        if dleft is None:
            return broadcast_like(dright, like)
        if dright is None:
            return broadcast_like(dleft, like)
        return broadcast_like(dleft + dright, like)
    items = _items(dleft, left, "tangent") + _items(dright, right, "tangent")
    return list(items) if isinstance(left, list) else tuple(items)


def unrepeat(grad: Any, x: Any, y: Any, side: int) -> Any:
    """The gradient of ``x`` (``side`` 0) or ``y`` (1) in ``x * y``.

    For a repetition of a sequence ``n`` times, the sequence's gradient is the sum
    of the ``n`` slices of ``grad`` and the count's is zero; for a product, the
    gradient times the other factor, summed down to the operand's shape.
    """
    if grad is None:
        return None
    operand, other = (y, x) if side else (x, y)
    if _repetition(x, y) or _repetition(y, x):
        if not isinstance(operand, (list, tuple)):
            return 0.0  # the count
        size = len(operand)
        if _is_zero_number(grad):
            return init_grad(operand)
        items = _items(grad, (), size=size * max(other, 0))
        total = [init_grad(item) for item in operand]
        for start in range(0, len(items), max(size, 1)):
            total = [add_grad(a, b) for a, b in zip(total, items[start:start + size],
                                                     strict=True)]
        return _like(total, operand)
    return unbroadcast(grad * other, operand)


def rerepeat(part: Any, grad: Any, x: Any, y: Any, side: int) -> Any:
    """The transpose of ``unrepeat(grad, x, y, side)`` in ``grad``."""
    if _repetition(x, y) or _repetition(y, x):
        return repeat_tangent(part if not side else None, part if side else None, x, y, grad)
    return broadcast_like(part, grad) * (x if side else y)


def repeat_tangent(dx: Any, dy: Any, x: Any, y: Any, like: Any) -> Any:
    """The tangent of ``x * y``: the sequence's tangent repeated for a repetition
    (the count carries none), ``dx * y + x * dy`` broadcast like ``like`` for a
    product. None is a zero tangent."""
    if _repetition(x, y) or _repetition(y, x):
        sequence, count, tangent_ = (x, y, dx) if _repetition(x, y) else (y, x, dy)
        items = _items(tangent_, sequence, "tangent") * count
        return list(items) if isinstance(sequence, list) else tuple(items)
    total = None
    if dx is not None:
        total = dx * y
    if dy is not None:
        total = x * dy if total is None else total + x * dy
    return broadcast_like(0.0 if total is None else total, like)


def starred_list(x: Any) -> list:
    """The items ``*x`` spreads into a list display ``[*x, ...]``."""
    return list(x)


def starred_tuple(x: Any) -> tuple:
    """The items ``*x`` spreads into a tuple display ``(*x, ...)``."""
    return tuple(x)


def unstarred(grad: Any, like: Any) -> Any:
    """The gradient of ``list(like)`` or ``tuple(like)``, shaped as ``like``: a list,
    a tuple of ``like``'s type, or an array of the items' gradients (an array's
    rows); None for what has no gradient (a dict's keys, a range)."""
    if grad is None:
        return None
    if isinstance(like, (list, tuple)):
        return _like(_items(grad, like), like)
    if isinstance(like, np.ndarray):
        rows = [np.zeros(like.shape[1:]) if item is None else item
                for item in _items(grad, like)]
        return astype(np.reshape(np.array(rows), like.shape), like)
    return None


def restarred(grad: Any, like: Any, kind: Any) -> Any:
    """The transpose of ``unstarred(grad, like)`` in ``grad``, and the tangent of
    ``list(like)`` (``kind`` list) or ``tuple(like)`` (``kind`` tuple)."""
    if grad is None:
        return None
    items = _items(grad, like, "tangent") if isinstance(like, (list, tuple, np.ndarray)) \
        else list(grad)
    return kind(items)


# --------------------------------------------------- unzipping: zip(*pairs)


def unzipped(pairs: Any) -> list:
    """``list(zip(*pairs))``: the sequence of pairs (or longer tuples) as the tuple of
    their first items, the tuple of their second items, and so on."""
    return list(zip(*pairs))


def unzipped_derivative(derivative: Any, like: Any) -> Any:
    """The derivative of ``pairs`` (``like``) from that of ``unzipped(pairs)``, and
    the other way round: both transpose the items. Items ``zip`` dropped (past the
    shortest tuple) and None items get zeros."""
    if derivative is None:
        return None
    inner = [list(group) for group in like]
    size = min((len(group) for group in inner), default=0)
    columns = _items(derivative, range(size))
    columns = [None if _is_zero_number(column) else _items(column, inner, size=len(inner))
               for column in columns]
    rows = []
    for i, group in enumerate(inner):
        row = [init_grad(item) if j >= size or columns[j] is None or
               _is_zero_number(columns[j][i]) else columns[j][i]
               for j, item in enumerate(group)]
        rows.append(_as_sequence_like(row, like[i]))
    return _like(rows, like)


def _as_sequence_like(items: list, like: Any) -> Any:
    """The derivatives of the items of ``like`` (a list, tuple or array) as one
    derivative of ``like``: an array's item derivatives stack back into an array."""
    if isinstance(like, (list, tuple)):
        return _like(items, like)
    if isinstance(like, np.ndarray):
        return np.reshape(np.stack([np.asarray(item) for item in items]), like.shape)
    return items


def unzipped_tangent(derivative: Any, like: Any) -> Any:
    """The tangent of ``unzipped(like)`` from the tangent of ``like``."""
    if derivative is None:
        return None
    return unzipped([_items(row, group) for row, group in zip(_items(derivative, like), like)])


# --------------------------------------- functools.reduce, dict.get, sorted
#
# ``functools.reduce(f, xs)``, ``d.get(k, default)`` and ``sorted(xs)`` are rewritten
# into calls of
# these, written in plain Python and copied into the caller like a user's helper: the
# function handed to reduce is then differentiated at each step with its own rule, and
# the value looked up flows through as any dict item does, to any order.

# Set on a function of tangent's runtime that stands for a library call and is read
# as source, copied into the caller like a user's helper.
INLINED_AS_SOURCE = '_tangent_inlined_as_source'


def reduced(function: Any, items: Any) -> Any:
    """``functools.reduce(function, items)``."""
    items = [*items]
    if len(items) == 0:
        raise TypeError('reduce() of empty iterable with no initial value')
    accumulated = items[0]
    for item in items[1:]:
        accumulated = function(accumulated, item)
    return accumulated


def reduced_from(function: Any, items: Any, initial: Any) -> Any:
    """``functools.reduce(function, items, initial)``."""
    accumulated = initial
    for item in items:
        accumulated = function(accumulated, item)
    return accumulated


def dict_get(mapping: Any, key: Any, default: Any = None) -> Any:
    """``mapping.get(key, default)`` for a dict."""
    if not isinstance(mapping, dict):
        raise TypeError(
            f'tangent read .get(key) as a dict lookup, but it was called on a '
            f'{type(mapping).__name__}: index the dict, or pass the object in as an argument '
            f'so that tangent can read its class')
    if key in mapping:
        return mapping[key]
    return default


def sort_order(items: Any, key: Any = None, reverse: bool = False) -> list:
    """The positions of ``items`` in the order ``sorted(items, key=key, reverse=reverse)``
    puts them (a permutation: no derivative)."""
    if key is None:
        return sorted(range(len(items)), key=items.__getitem__, reverse=reverse)
    return sorted(range(len(items)), key=lambda i: key(items[i]), reverse=reverse)


def sorted_items(items: Any, key: Any = None, reverse: bool = False) -> list:
    """``sorted(items, key=key, reverse=reverse)``: each item moved to its place."""
    items = [*items]
    order = sort_order(items, key, reverse)
    return [items[i] for i in order]


for _helper in (reduced, reduced_from, dict_get, sorted_items):
    setattr(_helper, INLINED_AS_SOURCE, True)

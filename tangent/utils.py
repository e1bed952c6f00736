"""Runtime library called by the derivative code that tangent generates.

Every function here is referenced by name from generated source, so the names and
signatures are public API (kept from Tangent 0.1.9). This module is layer L0 of the
package: it imports only numpy and the standard library, never another tangent
module, so generated code can run with nothing else loaded.

These helpers run inside the user's hot loops. Each one tests the cheapest common
case first (a plain float, or an ndarray whose shape already matches) and returns
early; the general machinery is only reached for unusual inputs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from tangent import errors

__all__ = [
    "add_at",
    "register_tensor_backend",
    "add_grad",
    "add_or_concat",
    "array_size",
    "array_tangent",
    "as_sequence",
    "concat_tangent",
    "mul_or_repeat",
    "reconcat",
    "repeat_tangent",
    "rerepeat",
    "restarred",
    "starred_list",
    "starred_tuple",
    "unconcat",
    "unrepeat",
    "unstarred",
    "astype",
    "balanced_eq",
    "broadcast_like",
    "check_scalar",
    "check_seed",
    "checkpoint",
    "copy",
    "copy_item",
    "dict_keys",
    "grad_det",
    "grad_dot",
    "grad_dot_right",
    "grad_matmul_left",
    "grad_matmul_right",
    "grad_sum_sequence",
    "init_grad",
    "inverse_permutation",
    "ones_like",
    "pop",
    "pop_stack",
    "push",
    "push_stack",
    "require_seed",
    "revolve",
    "sign",
    "revolve_advances",
    "revolve_after_first_sweep",
    "revolve_first_sweep",
    "safe_log",
    "power_slope",
    "power_slope_exponent",
    "unaliased",
    "real_only",
    "scatter_written",
    "ShapeOnly",
    "shape_only",
    "shapes_match",
    "Stack",
    "sum_tangents",
    "unarray",
    "unbroadcast",
    "unreduce",
    "unreduce_like",
    "written_grad",
]

# Python scalars that stand for a single real number; bool is included because
# NumPy treats it as a number in arithmetic, so its gradient is a float.
_PY_REAL = (float, int, bool)
_add_reduce = np.add.reduce
# Index types for which ndarray indexing returns a view (or a single element), so
# `+=` cannot hit the same element twice.
_BASIC_INDEX = (int, np.integer, slice, type(Ellipsis), type(None))

# Helpers for the tensors of other libraries, by the module prefix of their
# types: TensorFlow's are added by ``tangent.runtime_tf`` when it is first
# needed. Empty until then, so NumPy code pays one dict test per call.
_TENSOR_BACKENDS: dict[str, dict[str, Any]] = {}


def register_tensor_backend(module_prefix: str, helpers: dict[str, Any]) -> None:
    """Route runtime helper calls on values of ``module_prefix``'s types to ``helpers``."""
    _TENSOR_BACKENDS[module_prefix] = helpers


def _tensor_helper(name: str, *values: Any) -> Any:
    """The backend's helper ``name`` if one of ``values`` is such a tensor, else None."""
    for value in values:
        module = type(value).__module__
        for prefix, helpers in _TENSOR_BACKENDS.items():
            if module.startswith(prefix):
                return helpers.get(name)
    return None


# --------------------------------------------------------------------------- tape


class Stack(list):
    """LIFO tape that the forward sweep pushes onto and the backward sweep pops."""

    __slots__ = ()

    def __repr__(self) -> str:
        # Contents can be huge arrays; the length is what matters when debugging.
        return f"Stack(len={len(self)})"


def push(stack: Stack, x: Any, op_id: str) -> None:
    """Push `x` onto `stack`; `op_id` pairs this push with its pop in the source."""
    stack.append(x)


def pop(stack: Stack, op_id: str) -> Any:
    """Pop and return the most recently pushed item of `stack`."""
    try:
        return stack.pop()
    except IndexError:
        # Only reached on a bug; the op_id tells which push is missing.
        raise IndexError(f"pop from an empty Stack (op_id {op_id!r}): no matching push") from None


def push_stack(stack: Stack, substack: Stack, op_id: str) -> None:
    """Push a whole Stack (the tape of an inner call) onto `stack`."""
    stack.append(substack)


def pop_stack(stack: Stack, op_id: str) -> Stack:
    """Pop and return the Stack most recently pushed with `push_stack`."""
    return pop(stack, op_id)


# -------------------------------------------------------------- checkpointing


def checkpoint(iterations: Any, snapshots: int | None = None) -> Any:
    """Mark a loop for checkpointing: ``for i in tangent.checkpoint(range(n), snapshots=k):``.

    Called normally it returns ``iterations`` unchanged; in reverse mode the
    loop keeps at most ``snapshots`` copies of its state instead of a tape
    entry per step (None: twice the square root of the number of steps).
    """
    return iterations


def revolve(iterations: Any, snapshots: int | None = None) -> RevolveSchedule:
    """The binomial checkpointing schedule for reversing ``len(iterations)`` steps.

    An iterable of ``(action, first, last)``: 'advance' (run steps first..last-1),
    'snapshot' / 'restore' / 'discard' (the state before step ``first``) and
    'reverse' (reverse step ``first``, whose input state is the current one).
    With ``s`` snapshots and ``t`` the smallest number with
    ``comb(s + t, t) >= steps``, no step is run forward more than ``t`` times
    and the forward steps number ``t * steps - comb(s + t, t - 1)``, the fewest
    possible (Griewank and Walther's binomial schedule).

    The actions are computed as they are read, in constant time each, so
    iterating costs time proportional to the schedule and memory proportional
    to the snapshots (``list(revolve(...))`` is the list of them).
    """
    steps = iterations if isinstance(iterations, int) else len(iterations)
    if snapshots is None:
        # Twice the square root: each step then runs forward at most about twice
        # while the snapshots stay a small fraction of a full tape.
        snapshots = max(1, 2 * math.isqrt(max(steps, 0)))
    if snapshots < 1 and steps > 0:
        raise ValueError(f'checkpointing needs at least one snapshot, got {snapshots}')
    return RevolveSchedule(max(steps, 0), snapshots)


class RevolveSchedule:
    """The actions of a binomial schedule, computed afresh each time it is
    iterated (all of them, or those left after the first sweep).

    Iterating holds nothing beyond the pending segments. ``len`` and indexing,
    which code differentiated a second time uses because it loops by
    position, build the list once.
    """

    def __init__(self, steps: int, snapshots: int, after_first_sweep: bool = False):
        self.steps = steps
        self.snapshots = snapshots
        self.after_first_sweep = after_first_sweep
        self._listed = None

    def __iter__(self) -> Iterator:
        return _binomial_actions(self.steps, self.snapshots, self.after_first_sweep)

    def _list(self) -> list:
        if self._listed is None:
            self._listed = list(iter(self))  # a generator: no length hint calls len(self)
        return self._listed

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: int | slice) -> Any:
        return self._list()[index]

    def __repr__(self) -> str:
        rest = ', after the first sweep' if self.after_first_sweep else ''
        return f'<binomial schedule: {self.steps} steps, {self.snapshots} snapshots{rest}>'


def _binomial_actions(steps: int, snapshots: int, after_first_sweep: bool) -> Iterator:
    """The binomial schedule reversing ``steps`` steps with ``snapshots`` states
    held at most, the start's included; computed without recursion.

    Write ``b(s, t) = comb(s + t, t)``: with ``s`` snapshots and each step run
    forward at most ``t`` times, at most ``b(s, t)`` steps can be reversed. A
    segment of ``l`` steps whose start is saved, with ``s >= 2`` snapshots and
    ``t`` the smallest with ``b(s, t) >= l``, advances ``m`` steps, snapshots
    the state there, reverses the last ``l - m`` steps with ``s - 1`` snapshots
    and then the first ``m`` with ``s``. Any ``m`` with ``b(s, t - 2) <= m <=
    b(s, t - 1)`` and ``b(s - 1, t - 1) <= l - m <= b(s - 1, t)`` makes the
    total forward steps ``t * l - b(s + 1, t - 1)``, the fewest possible; the
    smallest such ``m`` is taken.

    Pending work is a stack, at most three entries per snapshot. Each segment
    carries an upper bound ``t`` and ``b(s, t)`` from its parent, lowered by
    the ratio ``b(s, t - 1) = b(s, t) * t / (s + t)``; the parts of a segment
    of exactly ``b(s, t)`` steps are exact binomials again, so only one chain
    of segments from the whole range ever lowers ``t`` by more than one, and
    the whole schedule costs time proportional to its length.

    ``after_first_sweep`` leaves out the advances and snapshots before the
    first reversal (the loop itself takes them) and starts by restoring the
    last of them. One generator, not a chain of them: the backward pass reads
    an action per step or so, and each layer would cost as much again.
    """
    if steps <= 0:
        return
    sweeping = after_first_sweep
    if not sweeping:
        yield ('snapshot', 0, 0)
    repetitions, binomial = 1, snapshots + 1        # b(s, 1)
    if snapshots > 1:
        while binomial < steps:
            repetitions += 1
            binomial = binomial * (snapshots + repetitions) // repetitions
    # Last first: a segment (first, last, snapshots, repetitions, b(snapshots,
    # repetitions)), or an action to yield as it is.
    pending = [(0, steps, snapshots, repetitions, binomial)]
    while pending:
        item = pending.pop()
        if len(item) == 3:
            yield item
            continue
        first, last, snapshots, repetitions, binomial = item
        length = last - first
        if length == 1 or snapshots == 1:
            if sweeping:  # the first reversal: back to the snapshot this segment starts at
                sweeping = False
                yield ('restore', first, first)
            # With only the start saved, replay from it up to every step.
            for step in range(last - 1, first, -1):
                yield ('advance', first, step)
                yield ('reverse', step, step + 1)
                yield ('restore', first, first)
            yield ('reverse', first, first + 1)
            continue
        fewer = binomial * repetitions // (snapshots + repetitions)     # b(s, t - 1)
        while fewer >= length:
            repetitions, binomial = repetitions - 1, fewer
            fewer = binomial * repetitions // (snapshots + repetitions)
        if repetitions == 1:
            # A snapshot for every step but the last (length <= s + 1): advance one
            # step at a time, saving each state, and reverse back through them.
            # Written out rather than split, as most steps of a schedule with the
            # default snapshots fall in such a segment.
            if sweeping:
                sweeping = False
                yield ('restore', last - 2, last - 2)
            else:
                for step in range(first, last - 2):
                    yield ('advance', step, step + 1)
                    yield ('snapshot', step + 1, step + 1)
            yield ('advance', last - 2, last - 1)
            yield ('reverse', last - 1, last)
            yield ('restore', last - 2, last - 2)
            yield ('reverse', last - 2, last - 1)
            for step in range(last - 3, first - 1, -1):
                yield ('discard', step + 1, step + 1)
                yield ('restore', step, step)
                yield ('reverse', step, step + 1)
            continue
        right_most = binomial - fewer                   # b(s - 1, t), Pascal's rule
        left_least = fewer * (repetitions - 1) // (snapshots + repetitions - 1)  # b(s, t - 2)
        middle = first + max(1, left_least, length - right_most)
        if not sweeping:
            yield ('advance', first, middle)
            yield ('snapshot', middle, middle)
        pending.append((first, middle, snapshots, repetitions - 1, fewer))
        pending.append(('restore', first, first))
        pending.append(('discard', middle, middle))
        pending.append((middle, last, snapshots - 1, repetitions, right_most))
    yield ('discard', 0, 0)


def revolve_first_sweep(schedule: Iterable) -> set:
    """The steps whose input state the schedule saves before its first reversal:
    the loop itself takes these snapshots as it runs."""
    first_sweep = set()
    for action, first, _ in schedule:
        if action == 'reverse':
            break
        if action == 'snapshot':
            first_sweep.add(first)
    return first_sweep


def revolve_after_first_sweep(schedule: Iterable) -> Iterable:
    """What remains of ``schedule`` once the loop ran, taking the first snapshots:
    back from the end to the last of them, then the rest of the schedule.

    For a schedule from ``revolve``, a schedule of the same kind, computed as it
    is read; for any other iterable of actions, a list.
    """
    if isinstance(schedule, RevolveSchedule):
        return RevolveSchedule(schedule.steps, schedule.snapshots, after_first_sweep=True)
    actions = iter(schedule)
    last_snapshot = None
    for action, first, last in actions:
        if action == 'snapshot':
            last_snapshot = first
        elif action == 'reverse':
            resume = [('restore', last_snapshot, last_snapshot)]
            if first > last_snapshot:
                resume.append(('advance', last_snapshot, first))
            return resume + [(action, first, last), *actions]
    return []


def revolve_advances(steps: int, snapshots: int | None = None) -> int:
    """How many forward steps the backward pass replays, after the loop took the
    schedule's first snapshots (for tests and docs)."""
    return sum(last - first for action, first, last
               in revolve_after_first_sweep(revolve(steps, snapshots)) if action == 'advance')


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


def dict_keys(dictionary: dict) -> list:
    """The keys of ``dictionary`` in order: what ``for k, v in d.items()`` walks by position."""
    return list(dictionary)


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
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('init_grad', x)
        if helper is not None:
            return helper(x)
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


def ones_like(x: Any) -> Any:
    """Return ones shaped like `x`: 1.0 for Python numbers, float arrays for arrays.

    Containers are mapped item by item, like `init_grad`.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('ones_like', x)
        if helper is not None:
            return helper(x)
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
    if kind is float or kind is np.ndarray:
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


def copy(x: Any) -> Any:
    """Return a copy of `x` that can be mutated without affecting `x`.

    Arrays are copied; lists, tuples and dicts are rebuilt with copied items; numbers,
    None and other objects are returned as they are (they are immutable or opaque).
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('copy', x)
        if helper is not None:
            return helper(x)
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


# --------------------------------------------------------------------- add_at


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


def add_at(target: Any, index: Any, value: Any) -> Any:
    """Add `value` into `target[index]` and return the target.

    `target` must be a gradient owned by the caller (freshly built, not aliased):
    arrays, lists and dicts are updated in place. Tuples are immutable, so a new
    tuple is returned. For arrays, repeated integer indices accumulate (like
    `np.add.at`), boolean masks are supported, and a value with extra leading or
    size-1 axes is summed down to the indexed region first. A value of None is a
    zero gradient and leaves the target unchanged.

    Raises:
        TypeError: If `target` is a scalar or a 0-d array, which has no elements to
            index into.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('add_at', target)
        if helper is not None:
            return helper(target, index, value)
    if value is None:
        return target
    if isinstance(target, np.ndarray):
        if target.ndim == 0:
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


# ------------------------------------------------------------- shape handling


def _is_floating(dtype: Any) -> bool:
    return getattr(dtype, "kind", None) == "f"  # TensorFlow's dtypes have no kind


def sign(x: Any) -> Any:
    """The sign of ``x`` (NumPy's, or its array library's for tensors): the
    derivative of ``abs``."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('sign', x)
        if helper is not None:
            return helper(x)
    if _is_complex(x):  # np.sign of a complex number is x / |x|: not abs's slope
        raise errors.ComplexNumberError('the argument of abs', 'abs')
    return np.sign(x)


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
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('unbroadcast', array, like)
        if helper is not None:
            return helper(array, like)
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
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('unreduce', array)
        if helper is not None:
            return helper(array, shape, axis, keepdims)
    shape = tuple(shape)
    if not shape:
        return array
    if np.shape(array) == shape:
        return array
    if not keepdims and axis is not None:
        array = np.expand_dims(array, _normalise_axes(axis, len(shape)))
    return np.broadcast_to(array, shape)


def unreduce_like(array: Any, original: Any, axis: Any, keepdims: bool) -> Any:
    """`unreduce` to the shape of `original`, in its floating dtype (float32 stays
    float32 when the seed is a Python float); a Python float if `original` is one."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('unreduce_like', array, original)
        if helper is not None:
            return helper(array, original, axis, keepdims)
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


def astype(array: Any, like: Any) -> Any:
    """Cast `array` to the float type of `like` (float32 stays float32).

    A Python float if `like` is a Python number; `like`'s dtype if that is floating;
    otherwise `array` unchanged.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('astype', array, like)
        if helper is not None:
            return helper(array, like)
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


def shapes_match(a: Any, b: Any) -> bool:
    """True if `a` and `b` have the same numpy shape."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('shapes_match', a, b)
        if helper is not None:
            return helper(a, b)
    return np.shape(a) == np.shape(b)


def array_size(x: Any, axis: Any) -> int:
    """Number of elements a reduction of `x` over `axis` combines into each output.

    Args:
        x: The reduced value.
        axis: None (all elements), an int or a tuple of ints; negatives allowed.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('array_size', x)
        if helper is not None:
            return helper(x, axis)
    if axis is None:
        return int(np.size(x))
    shape = np.shape(x)
    if isinstance(axis, tuple):
        return math.prod(shape[a] for a in axis)
    return shape[axis]


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """Share of the gradient of `z = max(x, y)` (or min) that flows to `x`.

    1 where `x` alone equals `z`, 0.5 where `x` and `y` tie, 0 elsewhere.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('balanced_eq', x, z, y)
        if helper is not None:
            return helper(x, z, y)
    share = np.equal(x, z) / (1.0 + np.equal(x, y))
    dtype = getattr(x, "dtype", None)
    # Keep float32 gradients float32 instead of promoting through the 1.0.
    if _is_floating(dtype) and dtype != np.float64:
        share = share.astype(dtype)
    return share


def grad_dot(dy: Any, x1: Any, x2: Any) -> Any:
    """Gradient with respect to `x1` of `z = np.dot(x1, x2)`, given `dy = dL/dz`.

    Handles every case of np.dot: scalar operands (plain multiplication), vector and
    matrix products, and N-D x M-D (the last axis of `x1` contracted with the
    second-to-last axis of `x2`). The result has `x1`'s shape and, for floating
    `x1`, its dtype.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('grad_dot', dy, x1, x2)
        if helper is not None:
            return helper(dy, x1, x2)
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


# --------------------------------------------------------------------- checks


def check_scalar(value: Any, function_name: str) -> None:
    """Raise ValueError unless `value` is a scalar that tangent.grad can seed.

    Python numbers, numpy scalars and 0-d arrays pass; an array of shape (1,) does
    not, because silently treating it as a scalar hides shape bugs.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('check_scalar', value)
        if helper is not None:
            return helper(value, function_name)
    if isinstance(value, (float, int, complex, np.number, np.bool_)):
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biufc":
        return None
    try:
        shape = np.shape(value)
    except ValueError:
        shape = None  # ragged nested lists have no numpy shape
    if shape is None or (shape == () and not isinstance(value, np.ndarray)):
        # Non-numeric objects: a shape of () would be misleading here.
        described = f"a value of type {type(value).__name__}"
    else:
        described = f"a value of shape {shape}"
    raise ValueError(
        f"{function_name} returned {described}; tangent.grad needs a scalar result. "
        "Reduce it (for example with np.sum), or use tangent.autodiff(..., "
        "input_derivative=tangent.INPUT_DERIVATIVE.DefaultOnes) or check_dims=False."
    )


# Helpers named by derivative rules ------------------------------------------

def safe_log(x: Any) -> Any:
    """log(x) where x > 0 and 0 where x == 0: the d/dy factor of x ** y.

    At x == 0 the term it multiplies (x ** y) is zero, so the product is 0
    instead of 0 * -inf.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('safe_log', x)
        if helper is not None:
            return helper(x)
    if isinstance(x, (int, float)):
        return math.log(x) if x != 0 else 0.0
    x = np.asarray(x)
    return np.log(np.where(x == 0, 1, x))


def real_only(derivative: Any, value: Any, function_name: str) -> Any:
    """``derivative``, after checking that ``value`` (the argument of
    ``function_name``, a function meaningful for complex numbers) is real."""
    if _is_complex(value):
        raise errors.ComplexNumberError(f'the argument of {function_name}', function_name)
    return derivative


def _is_complex(value: Any) -> bool:
    if isinstance(value, complex):
        return True
    dtype = getattr(value, 'dtype', None)
    return isinstance(dtype, np.dtype) and dtype.kind == 'c'


def unaliased(value: Any, inputs: tuple) -> Any:
    """``value``, with every array in it that shares memory with an array among
    ``inputs`` (the call's arguments) copied, and its lists, tuples and dicts
    rebuilt: a returned gradient is never the caller's seed, nor a view of it.

    Generated code calls this on returned values that may be an argument
    (or a reshape, transpose or slice of one); results of arithmetic never are.
    """
    if type(value) is float or type(value) is int or isinstance(value, np.generic):
        return value  # immutable: nothing to share
    arrays = _array_leaves(inputs)
    if not arrays and not isinstance(value, (list, tuple, dict)):
        return value
    return _copied_if_shared(value, arrays)


# NumPy functions that return a new array (as do ufuncs called without out=).
_NEW_ARRAY_FUNCTIONS = frozenset({np.sum, np.mean, np.prod, np.dot, np.inner, np.outer,
                                  np.cumsum, np.cumprod, np.var, np.std, np.clip, np.where})


def returns_new_array(func: Any) -> bool:
    """Whether a call of ``func`` (without ``out=``) returns a value that shares no
    memory with its arguments: what generated code need not pass to ``unaliased``."""
    if isinstance(func, np.ufunc):
        return True
    try:
        return func in _NEW_ARRAY_FUNCTIONS
    except TypeError:  # an unhashable callable
        return False


def _array_leaves(value: Any) -> list:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, Stack):  # the tape holds the generated code's own values
        return []
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _array_leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _array_leaves(item)]
    return []


def _copied_if_shared(value: Any, arrays: list) -> Any:
    if isinstance(value, np.ndarray):
        if any(np.may_share_memory(value, array) for array in arrays):
            return value.copy()
        return value
    if isinstance(value, list):
        return [_copied_if_shared(item, arrays) for item in value]
    if type(value) is tuple:
        return tuple(_copied_if_shared(item, arrays) for item in value)
    if type(value) is dict:
        return {key: _copied_if_shared(item, arrays) for key, item in value.items()}
    return value


def power_slope(x: Any, y: Any, order: int = 1) -> Any:
    """The ``order``-th derivative of ``x ** y`` with respect to x, exactly:
    ``y * (y - 1) * ... * (y - order + 1) * x ** (y - order)``.

    Where that coefficient is zero (an integer exponent ``0 <= y < order``) the
    derivative is 0: the formula would give ``0 * x ** -1``, NaN at x == 0 (a
    ZeroDivisionError for floats). No division and no logarithm, so an integer
    exponent is exact at x == 0 and at negative x. Elsewhere at x == 0 the
    value is what the power gives: infinite for ``y < order``.
    """
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('power_slope', x, y)
        if helper is not None:
            return helper(x, y, order)
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


def power_slope_exponent(x: Any, y: Any, order: int = 1) -> Any:
    """The derivative of ``power_slope(x, y, order)`` with respect to the exponent y:
    ``c'(y) x ** (y - order) + c(y) x ** (y - order) log x`` with c the falling
    factorial; the logarithm's term is 0 at x == 0, where the power is."""
    if _TENSOR_BACKENDS:
        helper = _tensor_helper('power_slope_exponent', x, y)
        if helper is not None:
            return helper(x, y, order)
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


def grad_dot_right(dy: Any, x1: Any, x2: Any) -> Any:
    """The gradient of ``np.dot(x1, x2)`` with respect to ``x2`` given ``dy``."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('grad_dot_right', dy, x1, x2)
        if helper is not None:
            return helper(dy, x1, x2)
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


def grad_matmul_left(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``x`` given ``dz``."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('grad_matmul_left', dz, x, y)
        if helper is not None:
            return helper(dz, x, y)
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


def grad_matmul_right(dz: Any, x: Any, y: Any) -> Any:
    """The gradient of ``x @ y`` with respect to ``y`` given ``dz``."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('grad_matmul_right', dz, x, y)
        if helper is not None:
            return helper(dz, x, y)
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


_SCALAR_TYPES = (float, np.float64, np.float32, int)


def check_seed(result: Any, seed: Any, function_name: str) -> None:
    """Raise a clear error when the seed's shape does not match the result's."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('check_seed', result, seed)
        if helper is not None:
            return helper(result, seed, function_name)
    if type(seed) is float and type(result) in _SCALAR_TYPES:
        return  # the common case of a scalar loss, without computing shapes
    if _is_complex(result):
        raise errors.ComplexNumberError('the returned value', function_name)
    if np.shape(result) != np.shape(seed):
        if np.shape(seed) == ():
            check_scalar(result, function_name)
        raise ValueError(
            f'The output gradient (seed) has shape {np.shape(seed)} but {function_name} '
            f'returned a value of shape {np.shape(result)}; pass a seed shaped like the '
            f'result, or check_dims=False.')


def require_seed(seed: Any, seed_name: str) -> None:
    """Raise a TypeError when a required seed was not passed."""
    if seed is None:
        raise TypeError(f'missing the output gradient argument {seed_name!r} '
                        f'(INPUT_DERIVATIVE.Required)')


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


def broadcast_like(value: Any, like: Any) -> Any:
    """``value`` broadcast to the shape of ``like`` (a tangent of a broadcasting result)."""
    if _TENSOR_BACKENDS:  # no walrus here: TensorFlow's AutoGraph cannot read it
        helper = _tensor_helper('broadcast_like', value, like)
        if helper is not None:
            return helper(value, like)
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


# The NumPy rules' longer computations live in their own module.
from tangent.runtime_numpy import *  # noqa: E402,F401,F403
from tangent.runtime_numpy import __all__ as _numpy_helpers  # noqa: E402

__all__ += _numpy_helpers

"""How the shape and dtype of a call's result follow from its arguments': what the
specialiser (``tangent.transforms.shapes``) reads to know every shape in a derivative
once it knows the arguments'.

A backend declares its functions next to its rules, by one of three kinds:

- ``ELEMENTWISE``: NumPy broadcasting of the arguments. The result's type and dtype
  are those of the function on arguments of one element each, with the same number
  of axes. Functions declared with ``@elementwise`` in ``tangent.rules.declare`` are
  of this kind without saying so.
- ``CONTRACTING``: ``np.dot`` and ``@``: the result is that of the function on
  arguments whose contracted axis has one element, so that knowing it costs no
  more than the result's size.
- ``EVALUATED``: the result's shape follows from the arguments' shapes alone (a
  reduction, a reshape, a transpose, a factorisation, a gradient helper such as
  ``grad_dot``), and from ints every call shares (``np.eye(n)``, ``n`` a size),
  never from their values: the function runs once on ones of the arguments'
  shapes, or, when that fails, on identity matrices (``np.linalg.cholesky``). A
  tuple of results is known item by item.

A function declared nowhere has a result of unknown shape, which leaves the
derivative code after it as generic as it was.

A backend whose arrays are not NumPy's (PyTorch's tensors) declares their type
with ``declare_array_type``: how to read a value's shape and dtype, how to make
a stand-in of given numbers, and how generated code sums one over axes. Its
versions of the runtime helpers must then keep the contract the specialiser
relies on for such arrays: ``unbroadcast(g, x)`` is ``g`` itself when ``g`` has
``x``'s shape and floating dtype, the gradient helpers' results have the shape
and floating dtype of the value they are the gradient of, and ``check_seed``
passes a Python float seed for a 0-d result.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Callable

from tangent.rules import declare
from tangent.rules.registry import key_of

ELEMENTWISE = 'elementwise'
CONTRACTING = 'contracting'
EVALUATED = 'evaluated'
_KINDS = (ELEMENTWISE, CONTRACTING, EVALUATED)

_declared_kinds: dict[Any, str] = {}


def declare_shapes(kind: str, *funcs: Any) -> None:
    """Declare how the results of ``funcs`` are shaped: one of the kinds above."""
    if kind not in _KINDS:
        raise ValueError(f'unknown kind of result shape {kind!r}: one of {_KINDS}')
    for func in funcs:
        _declared_kinds[key_of(func)] = kind


def shape_kind(func: Any) -> str | None:
    """How the result of ``func`` is shaped, or None when nothing says."""
    kind = _declared_kinds.get(key_of(func))
    # Only compiled functions (ufuncs, math's): running a Python function on
    # stand-in values could have effects the user never asked for.
    if kind is None and not isinstance(func, types.FunctionType) and \
            declare.declared_kind(func) == 'elementwise':
        return ELEMENTWISE
    return kind


@dataclasses.dataclass(frozen=True)
class ArrayType:
    """How the specialiser handles the arrays of a library other than NumPy."""

    library: str  # how a signature names it: 'torch' in ``torch.float64[3, 4]``
    # A value's shape and NumPy dtype, or None when it is not modelled (a dtype NumPy
    # lacks, an array on a device the stand-ins cannot imitate).
    describe: Callable[[Any], tuple | None]
    stand_in: Callable[[Any], Any]  # a NumPy array's numbers as a value of this type
    axis_keyword: str  # of the array's ``sum`` method: ``g.sum(dim=0)``
    keepdims_keyword: str
    # What of a value a version depends on, hashable: its dtype, shape and whatever
    # decides ``describe`` (a device), in the library's own terms (cheap to compute at
    # each call, and what torch.compile can trace).
    key: Callable[[Any], Any]
    # ``fn`` made plain Python for the library's compiler (torch.compile), which would
    # otherwise trace the writing of a version when a compiled call first needs it;
    # None for a library without one.
    untraced: Callable[[Callable], Callable] | None = None


_array_types: dict[type, ArrayType] = {}
# Each declared type's ``key``: what a derivative's call looks its version up by.
ARRAY_KEYS: dict[type, Callable[[Any], Any]] = {}


def declare_array_type(kind: type, array_type: ArrayType) -> None:
    """Let the specialiser know the values of exactly the type ``kind`` (not its
    subclasses: an ``nn.Parameter`` stays generic) as arrays of a shape and dtype."""
    _array_types[kind] = array_type
    ARRAY_KEYS[kind] = array_type.key


def array_type(kind: type) -> ArrayType | None:
    return _array_types.get(kind)


def array_type_named(library: str) -> ArrayType | None:
    return next((t for t in _array_types.values() if t.library == library), None)


def untraced(fn: Callable) -> Callable:
    """``fn`` run as plain Python by every declared library's compiler."""
    for declared in _array_types.values():
        if declared.untraced is not None:
            fn = declared.untraced(fn)
    return fn

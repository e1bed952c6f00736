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
"""

from __future__ import annotations

import types
from typing import Any

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

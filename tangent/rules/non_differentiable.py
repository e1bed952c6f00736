"""Functions whose result carries no derivative.

Shapes, constructors, integer maths, comparisons, printing: a call to one of
these is evaluated in the primal code and contributes nothing to any
derivative, in every mode. Declared once; zero tangents and adjoints follow
from the declaration. This module declares Python's own such functions and
the runtime's; each backend declares its library's.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any, Callable

from tangent import errors, runtime
from tangent.rules.registry import generation, Registry

__all__ = ['register_non_differentiable_functions', 'is_non_differentiable', 'generation',
           'on_first_lookup']

non_differentiables = Registry('non-differentiable')

# Declarations made the first time any function is looked up: a backend uses
# it for a module that is costly to import and that code using it has imported.
_deferred: list[Callable[[], None]] = []


def register_non_differentiable_functions(*fns: Any) -> None:
    """Declare that calls to ``fns`` have no derivative (their result is a constant)."""
    non_differentiables.declare(*fns)


def on_first_lookup(declare: Callable[[], None]) -> None:
    """Run ``declare`` before the next lookup rather than now (it may defer itself again)."""
    _deferred.append(declare)


def is_non_differentiable(fn: Any) -> bool:
    """Whether ``fn`` was declared non-differentiable."""
    if _deferred:
        pending = _deferred[:]
        _deferred.clear()
        for declare in pending:
            declare()
    return fn in non_differentiables


register_non_differentiable_functions(
    builtins.len, builtins.range, builtins.int, builtins.bool, builtins.str,
    builtins.isinstance, builtins.type, builtins.print, builtins.enumerate,
    builtins.hasattr, builtins.id, builtins.round, builtins.repr,
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    math.comb, math.factorial, math.gcd, math.isqrt, math.lcm, math.perm, math.isclose,
    math.ulp,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains,
    operator.floordiv,
    # Bit operations: defined on integers and booleans only (masks, flags)
    operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift,
    operator.rshift,
    # The runtime: zeros, ones, checks and the tape itself
    runtime.Stack, runtime.init_grad, runtime.ones_like, runtime.check_seed,
    runtime.require_seed, runtime.check_scalar, runtime.shapes_match, runtime.array_size,
    runtime.balanced_eq, runtime.as_sequence, runtime.inverse_permutation,
    runtime.shape_only, runtime.dict_keys, runtime.sign, runtime.sort_order,
    # An object whose differentiable attributes are read through object_parameters
    runtime.constant_object,
    # Checks generated code runs: a path returning None, a write through an alias
    errors.returned_none, errors.check_not_aliased, errors.check_not_view,
    # The checkpointing schedule
    runtime.revolve, runtime.revolve_advances, runtime.revolve_first_sweep,
    runtime.revolve_after_first_sweep,
)

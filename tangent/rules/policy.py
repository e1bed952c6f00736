"""The policy beside the registries: where a call's derivative comes from, and
which calls generated code may drop when their result is unused.

Every pass that meets a call asks ``derivation``; nothing else decides between
a registered rule and the callee's source. ``is_pure`` is the one list of what
has no side effects.
"""

from __future__ import annotations

import builtins
import enum
from typing import Any

from tangent import runtime
from tangent.rules.non_differentiable import is_non_differentiable
from tangent.rules.registry import adjoints, tangents

# Set on a function by @tangent.trace: differentiated as a black box by the
# library its values belong to, when they belong to one.
TRACED = '__tangent_traced__'

# A derivative tangent wrote that chooses its version at call time carries
# the generic version under this attribute; differentiating it reads that.
GENERAL_VERSION = '_tangent_general_version'


class Derivation(enum.Enum):
    """Where the derivative of a call comes from."""

    RULE = 'a template registered for this mode'
    NON_DIFFERENTIABLE = 'nothing: declared to have no derivative'
    TRACED = "the library's own autodiff on its values, else the source"
    SOURCE = "the callee's source, differentiated like the function itself"
    MISSING = 'nowhere: a rule exists only for the other mode'


def derivation(func: Any, mode: str) -> Derivation:
    """Where the ``mode`` ('reverse' or 'forward') derivative of a call of ``func``
    comes from. ``SOURCE`` still needs the callee to be a Python function; a
    function with a rule for the other mode only is a primitive whose rule for
    this mode is missing, not source to read."""
    own, other = (adjoints, tangents) if mode == 'reverse' else (tangents, adjoints)
    if func in own:
        return Derivation.RULE
    if func in other:
        return Derivation.MISSING
    if is_non_differentiable(func):
        return Derivation.NON_DIFFERENTIABLE
    if getattr(func, TRACED, False) is True:
        return Derivation.TRACED
    return Derivation.SOURCE


def has_rule(func: Any) -> bool:
    """Whether calls of ``func`` are never differentiated from its source in any
    mode (so it is never copied in to be inlined): a rule or a declaration, a
    traced function, or a derivative tangent wrote itself."""
    return (derivation(func, 'reverse') is not Derivation.SOURCE
            or hasattr(func, GENERAL_VERSION))


# Runtime helpers that write to the tape, accumulate in place or raise: a call
# of one is never dropped, even when its result is unused.
_IMPURE = {runtime.push, runtime.pop, runtime.push_stack, runtime.pop_stack, runtime.add_at,
           runtime.check_seed, runtime.require_seed, runtime.check_scalar, builtins.print}
_PURE_BUILTINS = {len, range, reversed, slice, min, max, abs, float, int, tuple, list, dict,
                  zip, enumerate, sum}


def declare_impure(*funcs: Any) -> None:
    """Declare calls of ``funcs`` to have effects (they raise, or write), so that
    generated code keeps them even when their result is unused."""
    _IMPURE.update(funcs)


def draws_random_numbers(func: Any) -> bool:
    """A call that advances a random generator: dropping an unused draw would shift
    every later one (np.random.uniform, rs.randn, random.random)."""
    owner = getattr(func, '__self__', None)
    if owner is not None and type(owner).__module__.split('.')[0] in ('numpy', 'random') \
            and hasattr(owner, 'random'):
        return True  # a method of a RandomState, Generator or random.Random
    module = getattr(func, '__module__', None) or ''
    return module == 'random' or module.startswith('numpy.random')


def is_pure(func: Any) -> bool:
    """Whether a call of ``func`` has no effect besides its result, so that generated
    code may drop it when the result is unused."""
    if func in _IMPURE or draws_random_numbers(func):
        return False
    module = getattr(func, '__module__', None)
    if isinstance(module, str) and module.startswith(runtime.__name__):
        return True
    return func in adjoints or is_non_differentiable(func) or func in _PURE_BUILTINS

"""``tangent.trace``, kept for code written for Tangent 0.1.9.

A function marked ``@tangent.trace`` is differentiated as a black box: when a
derivative reaches a call of it with the values of a backend that can
differentiate black boxes (TensorFlow's tensors: its own tape), the call's
gradient comes from that library (so the function may use ops tangent has no
rule for); with any other values it is differentiated from its source like
any other function. Reverse mode only: forward mode reads the source.
"""

from __future__ import annotations

from typing import Any, Callable

from tangent import backends
from tangent.rules import policy

# The keyword a traced function's gradient takes its seed by.
SEED_NAME = 'btraced_result'


def trace(fn: Callable | None = None) -> Callable:
    """Mark ``fn`` as traced; usable as ``@trace`` or ``@trace()``."""
    def mark(function: Callable) -> Callable:
        setattr(function, policy.TRACED, True)
        return function
    return mark if fn is None else mark(fn)


def is_traced(fn: Any) -> bool:
    return getattr(fn, policy.TRACED, False) is True


def traced_gradient(fn: Callable, positions: tuple[int, ...],
                    from_source: Callable[[], Any]) -> Callable:
    """The gradient of a call of traced ``fn`` with respect to arguments ``positions``.

    ``from_source`` generates the source derivative (a ``_Generated``), only
    the first time the gradient is called with values that are not tensors.
    """
    generated = []

    def gradient(*args, **kwargs):
        seed = kwargs.pop(SEED_NAME)
        library_vjp = backends.traced_vjp(args)
        if library_vjp is not None:
            return library_vjp(fn, args, kwargs, positions, seed)
        if not generated:
            generated.append(from_source())
        inner = generated[0]
        return inner.function(*args, **kwargs, **{inner.seed_name: seed})

    gradient.__name__ = gradient.__qualname__ = f'd{fn.__name__}_traced'
    gradient.__doc__ = f'The gradient of traced {fn.__qualname__}: TensorFlow\'s tape ' \
                       f'for tensors, its source derivative otherwise.'
    return gradient

"""``tangent.trace``, kept for code written for Tangent 0.1.9 (layer L5).

The original used ``@tangent.trace`` to mark a function to differentiate as
a black box by tracing it with TensorFlow Eager. Here the decorator is
accepted and records the mark; a marked function is differentiated from its
source like any other, which gives the same derivative.
"""

from __future__ import annotations

from typing import Callable


def trace(fn: Callable | None = None) -> Callable:
    """Mark ``fn`` as traced; usable as ``@trace`` or ``@trace()``."""
    def mark(function: Callable) -> Callable:
        function.__tangent_traced__ = True
        return function
    return mark if fn is None else mark(fn)

"""Objects differentiated through their attributes: what a derivative with respect to an
object (an ``nn.Module``, a class holding arrays) calls to read them.

The front end (``tangent.frontend.object_parameters``) writes a function's reads of
an object's differentiable attributes as items of the dict ``object_parameters``
returns, and its other reads through ``constant_object``: the derivative flows through
the dict only, and its gradient, keyed by the attributes' dotted paths, is the
object's gradient.
"""

from __future__ import annotations

from typing import Any


def attribute_at(obj: Any, path: str) -> Any:
    """The value at the dotted ``path`` from ``obj``: ``'layers.0.weight'`` reads the
    attribute ``layers``, its item 0 (a list, tuple or dict, else the attribute
    named ``'0'``, as a PyTorch ``ModuleList`` has), then ``weight``."""
    value = obj
    for step in path.split('.'):
        if isinstance(value, (list, tuple)):
            value = value[int(step)]
        elif isinstance(value, dict):
            value = value[step]
        else:
            value = getattr(value, step)
    return value


def object_parameters(obj: Any, paths: tuple) -> dict:
    """The values at ``paths`` from ``obj``, read now (each call of a derivative reads
    the object as it is then), in a dict keyed by the paths."""
    return {path: attribute_at(obj, path) for path in paths}


def constant_object(obj: Any) -> Any:
    """``obj`` itself: the reads through it are constants (no derivative flows through
    it; its differentiable attributes are read through ``object_parameters``)."""
    return obj

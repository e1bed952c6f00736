"""Which NumPy or SciPy function an ``autograd.numpy``/``autograd.scipy`` name stands for.

autograd re-exports NumPy and SciPy in wrapper namespaces of the same shape
(``autograd.numpy.linalg`` for ``numpy.linalg``, ``autograd.scipy.stats.norm``
for ``scipy.stats.norm``). Most names are primitives that keep the function
they wrap (``anp.sum.fun is numpy.sum``); the rest are Python functions that
re-implement a NumPy function of the same name (``anp.concatenate``,
``anp.where``, ``anp.linalg.norm``). Both stand for the library function, so
its tangent rules apply.

A primitive whose wrapped function belongs to autograd itself
(``autograd.scipy.signal.convolve``), to the user (``autograd.extend.primitive``)
or has no tangent rule is differentiated through autograd's own rules instead
(``autograd_helpers.autograd_apply``).

``autograd.builtins`` holds autograd's stand-ins for Python builtins of the same
name: the containers ``tuple``, ``list`` and ``dict`` (subclasses whose constructors
record their items for autograd's tracer) and ``isinstance`` and ``type`` (which
look through autograd's boxes). tangent has no boxes, so each is the builtin.

Nothing here imports autograd: a wrapper is recognised by the attributes and
module names it carries, and the namespaces are read from ``sys.modules``.
"""

from __future__ import annotations

import builtins
import importlib
import sys
import types
from typing import Any

from tangent import backends
from tangent.rules import policy

_ROOTS = ('autograd.numpy', 'autograd.scipy')
_PREFIX = 'autograd.'
_BUILTINS = 'autograd.builtins'


def _is_autograd(module: Any) -> bool:
    return isinstance(module, str) and (module == 'autograd' or module.startswith(_PREFIX))


def is_primitive(value: Any) -> bool:
    """An autograd primitive: a wrapper keeping the function it wraps in ``fun``."""
    return (isinstance(value, types.FunctionType) and _is_autograd(value.__module__)
            and hasattr(value, 'fun'))


def _counterpart(module_name: str) -> Any:
    """``numpy.linalg`` for ``autograd.numpy.linalg``; ``scipy.stats.norm`` (an object)
    for ``autograd.scipy.stats.norm``; None when the library has no such name."""
    parts = module_name[len(_PREFIX):].split('.')
    found: Any = sys.modules.get(parts[0])
    if found is None:
        return None
    for depth, part in enumerate(parts[1:], start=2):
        attribute = getattr(found, part, None)
        if attribute is None:
            dotted = '.'.join(parts[:depth])
            try:  # a submodule not imported by its package
                attribute = importlib.import_module(dotted)
            except ImportError:
                return None
        found = attribute
    return found


class _Index:
    """For each function of the loaded wrapper namespaces, the library function of
    the same name in the matching library namespace."""

    def __init__(self):
        self.modules: frozenset = frozenset()
        self.targets: dict[int, tuple[Any, Any]] = {}  # id -> (wrapper, target)

    def target(self, value: Any) -> Any:
        self._refresh()
        entry = self.targets.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def _refresh(self) -> None:
        loaded = frozenset(name for name in list(sys.modules)
                           if name.startswith(_ROOTS) and
                           isinstance(sys.modules.get(name), types.ModuleType))
        if loaded == self.modules:
            return
        targets = {}
        for module_name in sorted(loaded):
            counterpart = _counterpart(module_name)
            if counterpart is None:
                continue
            for name, value in vars(sys.modules[module_name]).items():
                if name.startswith('_') or not isinstance(value, types.FunctionType) or \
                        not _is_autograd(value.__module__) or id(value) in targets:
                    continue
                target = getattr(counterpart, name, None)
                if callable(target) and not isinstance(target, type) and \
                        not _is_autograd(getattr(target, '__module__', None)):
                    targets[id(value)] = (value, target)
        self.targets, self.modules = targets, loaded


_index = _Index()


def _stands_for_builtin(value: Any, builtin: Any) -> bool:
    """Whether ``value`` of ``autograd.builtins`` is ``builtin`` for unboxed values:
    a subclass of the builtin container, or a wrapper calling the builtin function
    (the only function its closure holds)."""
    if isinstance(value, type):
        return isinstance(builtin, type) and issubclass(value, builtin)
    cells = getattr(value, '__closure__', None) or ()
    return isinstance(value, types.FunctionType) and _is_autograd(value.__module__) and \
        any(cell.cell_contents is builtin for cell in cells)


class _BuiltinsIndex:
    """For each name of ``autograd.builtins`` that stands for the Python builtin of the
    same name, that builtin."""

    def __init__(self):
        self.module: Any = None
        self.targets: dict[int, tuple[Any, Any]] = {}  # id -> (wrapper, builtin)

    def target(self, value: Any) -> Any:
        module = sys.modules.get(_BUILTINS)
        if module is None:
            return None
        if module is not self.module:
            self.targets = {id(wrapper): (wrapper, getattr(builtins, name))
                            for name, wrapper in vars(module).items()
                            if not name.startswith('_') and hasattr(builtins, name)
                            and _stands_for_builtin(wrapper, getattr(builtins, name))}
            self.module = module
        entry = self.targets.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None


_builtins_index = _BuiltinsIndex()


def library_target(value: Any) -> Any:
    """The NumPy or SciPy function an autograd wrapper stands for, or the Python
    builtin an ``autograd.builtins`` name stands for, or None."""
    builtin = _builtins_index.target(value)
    if builtin is not None:
        return builtin
    if not isinstance(value, types.FunctionType) or not _is_autograd(value.__module__):
        return None
    if value.__module__ == 'autograd.misc.flatten' and value.__name__ == 'flatten':
        # Imported here, as autograd's own rules load only when autograd is in use.
        from tangent.backends.numpy import autograd_helpers
        return autograd_helpers.flatten_parameters
    if is_primitive(value):
        wrapped = value.fun
        owner = backends.owner_of(wrapped)
        if owner is not None and not _is_autograd(getattr(wrapped, '__module__', None)):
            return wrapped
        # autograd's own function under a library's name (signal.convolve is not
        # scipy.signal.convolve): only autograd's rules know it.
        return None
    return _index.target(value)


def _is_vjp_closure(value: Any) -> bool:
    """A vector-Jacobian product autograd made (``make_vjp``): the ``unflatten`` that
    ``autograd.misc.flatten`` returns. autograd differentiates it, being linear."""
    return (isinstance(value, types.FunctionType) and value.__module__ == 'autograd.core'
            and value.__qualname__ == 'make_vjp.<locals>.vjp')


def goes_through_autograd(value: Any) -> bool:
    """Whether calls of ``value`` are differentiated by autograd's own rules: an autograd
    primitive with no tangent rule for it or the function it wraps. (One that autograd
    has no rule for either raises, naming it, when its derivative is needed.)"""
    if _is_vjp_closure(value):
        return True
    if not is_primitive(value) or policy.has_rule(value):
        return False
    target = library_target(value)
    return target is None or not policy.has_rule(target)

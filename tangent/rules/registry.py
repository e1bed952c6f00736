"""The registry class holding derivative templates.

A registry maps a live Python callable (``numpy.tanh``, ``operator.mul``, a
user function) to a template: a plain Python function whose first parameter
stands for the call's result and whose other parameters stand for the call's
arguments, in order, keyword arguments by name with their defaults. The body
uses ``d[x]`` for "the derivative of x". Templates are checked when they are
registered, not when they are first used. A template derived from a
declaration (``declare``) may be registered as a recipe, checked when it is
declared and built the first time it is looked up, so that ``import tangent``
compiles none of them.
"""

from __future__ import annotations

import inspect
import threading
import types
from typing import Any, Callable, Iterator

from tangent.errors import TemplateError


def key_of(func: Any) -> Any:
    """The registry key of a callable: unwraps bound builtin methods of modules.

    ``np.add`` and ``numpy.core.umath.add`` are the same object, so identity
    works as a key; objects that cannot be hashed are keyed by ``id``.
    """
    try:
        hash(func)
    except TypeError:
        return ('unhashable', id(func))
    return func


# Bumped whenever any registry changes: part of the key of cached derivatives,
# so registering a rule after a gradient was generated takes effect.
_generation = 0


def generation() -> int:
    """How many times rules were registered or removed, in any registry."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


_MISSING = object()


class _Recipe:
    """A template not built yet: ``build()`` makes it."""

    def __init__(self, build: Callable[[], Callable]):
        self.build = build


class Registry:
    """A dict-like, thread-safe store of templates keyed by the function they differentiate."""

    def __init__(self, kind: str):
        self.kind = kind
        self._rules: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def register(self, func: Any, template: Callable, override: bool = False) -> Callable:
        """Validate ``template`` and store it as the rule of ``func``."""
        self._check(func, template)
        self._store(func, template, override)
        return template

    def register_recipe(self, func: Any, build: Callable[[], Callable],
                        override: bool = False) -> None:
        """Store ``build``, which makes the template of ``func`` when it is first looked up."""
        self._store(func, _Recipe(build), override)

    def _check(self, func: Any, template: Callable) -> None:
        if not isinstance(template, types.FunctionType):
            raise TemplateError(
                f'A {self.kind} template must be a plain Python function, got {template!r}.')
        # The code object, not inspect.signature: hundreds of rules register at import.
        code = template.__code__
        if code.co_argcount + code.co_kwonlyargcount == 0 and \
                not code.co_flags & inspect.CO_VARARGS:
            raise TemplateError(
                f'The {self.kind} template {template.__name__} needs a first parameter '
                f'standing for the result of {getattr(func, "__name__", func)}.')
        if code.co_flags & inspect.CO_VARKEYWORDS:
            raise TemplateError(
                f'The {self.kind} template {template.__name__} may not take **kwargs.')

    def _store(self, func: Any, rule: Any, override: bool) -> None:
        key = key_of(func)
        with self._lock:
            if key in self._rules and not override:
                raise TemplateError(
                    f'A {self.kind} rule for {getattr(func, "__name__", func)} is already '
                    f'registered; pass override=True to replace it.')
            self._rules[key] = rule
            _changed()

    def _built(self, key: Any, rule: Any) -> Any:
        """``rule`` itself, or the template its recipe makes (stored in its place)."""
        if not isinstance(rule, _Recipe):
            return rule
        template = rule.build()
        with self._lock:
            if self._rules.get(key) is rule:
                self._rules[key] = template
        return template

    def declare(self, *funcs: Any) -> None:
        """Store ``funcs`` with no template: a registry of declarations, such as
        the functions whose results carry no derivative."""
        with self._lock:
            self._rules.update((key_of(func), None) for func in funcs)
            _changed()

    def __call__(self, func: Any, override: bool = False) -> Callable[[Callable], Callable]:
        """Decorator form: ``@registry(np.tanh)``."""
        def decorate(template: Callable) -> Callable:
            return self.register(func, template, override=override)
        return decorate

    def __contains__(self, func: Any) -> bool:
        return key_of(func) in self._rules

    def __getitem__(self, func: Any) -> Callable:
        key = key_of(func)
        return self._built(key, self._rules[key])

    def get(self, func: Any, default: Any = None) -> Any:
        key = key_of(func)
        rule = self._rules.get(key, _MISSING)
        return default if rule is _MISSING else self._built(key, rule)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._rules))

    def __len__(self) -> int:
        return len(self._rules)

    def remove(self, func: Any) -> None:
        with self._lock:
            self._rules.pop(key_of(func), None)
            _changed()


# The two registries every backend adds its rules to.
adjoints = Registry('adjoint')
tangents = Registry('tangent')

# The template marker: in a rule, ``d[x]`` reads "the derivative of x" (the
# gradient in an adjoint, the tangent in a tangent rule).
d: Any = None


# On a template: the parameters its result does not change with (a shape or an index,
# a sign's argument: piecewise constant), whose derivative is zero, not missing.
CONSTANT_PARAMETERS = '_tangent_constant_parameters'


def constant_in(*params: str) -> Callable[[Callable], Callable]:
    """Say that the decorated template's function does not change with ``params``
    (placed under ``@adjoint``/``@tangent_``). A differentiated value reaching any other
    parameter whose derivative the template does not write (or read) is an error."""
    def mark(template: Callable) -> Callable:
        setattr(template, CONSTANT_PARAMETERS, frozenset(params))
        return template
    return mark


def adjoint(func: Any, override: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated template as the adjoint (reverse-mode rule) of ``func``."""
    return adjoints(func, override=override)


def tangent_(func: Any, override: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated template as the tangent (forward-mode rule) of ``func``."""
    return tangents(func, override=override)

"""Decorated functions: what a ``functools.wraps`` wrapper computes.

A decorator written with ``functools.wraps`` returns a wrapper whose
``__wrapped__`` is the decorated function. ``inspect`` then shows the
decorated function's source, but a call runs the wrapper, which may scale the
output or clip the input. ``undecorated`` gives the function to differentiate:
the wrapper itself, read from its own code. A wrapper that forwards
``*args, **kwargs`` is given the decorated function's parameters, so its body
calls ``func(x, y, k=k)``. The new function shares the wrapper's globals and
closure cells, so it reads what the wrapper reads. Tangent's own wrappers
(a derivative choosing its version at call time) are seen through.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import textwrap
import types
import weakref
from typing import Any

import gast

from tangent.errors import TangentParseError
from tangent.rules import policy
from tangent.syntax import quoting, threadsafe_ast

# Set by tangent on the wrappers it writes around a generated derivative.
GENERAL_VERSION = policy.GENERAL_VERSION

_made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_counter = itertools.count()


def undecorated(fn: Any) -> Any:
    """The function whose code runs when ``fn`` is called (see the module docstring)."""
    if not isinstance(fn, types.FunctionType) or not hasattr(fn, '__wrapped__'):
        return fn
    if hasattr(fn, GENERAL_VERSION):
        # A derivative choosing its version per call: the generic code, which every
        # call may run; ``__wrapped__`` is the version ``inspect`` shows.
        return inspect.unwrap(getattr(fn, GENERAL_VERSION),
                              stop=lambda f: not isinstance(f, types.FunctionType))
    made = _made.get(fn)
    if made is not None and made[0] is fn.__code__ and made[1] is fn.__defaults__:
        return made[2]
    function = _wrapper_as_function(fn)
    _made[fn] = (fn.__code__, fn.__defaults__, function)
    return function


def forget_undecorated() -> None:
    """Drop the undecorated copies made so far (``tangent.clear_cache``)."""
    _made.clear()


def _wrapper_as_function(wrapper: types.FunctionType) -> types.FunctionType:
    code = wrapper.__code__
    try:
        source = textwrap.dedent(inspect.getsource(code))
    except (OSError, TypeError) as error:
        raise TangentParseError(
            f'{wrapper.__qualname__} is wrapped by a decorator whose wrapper '
            f'({code.co_name}) has no source to read ({error}); differentiate the '
            f'undecorated function', code.co_filename, code.co_firstlineno) from None
    with threadsafe_ast.LOCK:
        tree = gast.parse(source)
    fdef = tree.body[0]
    fdef.decorator_list = []
    fdef.name = wrapper.__name__
    defaults, keyword_defaults = wrapper.__defaults__, wrapper.__kwdefaults__
    if fdef.args.vararg is not None or fdef.args.kwarg is not None:
        signature = inspect.signature(wrapper.__wrapped__)
        _forward_parameters(fdef, signature, wrapper)
        defaults = tuple(p.default for p in signature.parameters.values()
                         if p.kind is not p.KEYWORD_ONLY and p.default is not p.empty) or None
        keyword_defaults = {p.name: p.default for p in signature.parameters.values()
                            if p.kind is p.KEYWORD_ONLY and p.default is not p.empty} or None
    cells = dict(zip(code.co_freevars, wrapper.__closure__ or ()))
    definition = quoting.to_source(fdef)
    if cells:  # the closure variables become a factory's parameters, then cells
        definition = (f'def make_{fdef.name}({", ".join(cells)}):\n'
                      + textwrap.indent(definition, '    ') + f'\n    return {fdef.name}\n')
    filename = f'<decorated {wrapper.__qualname__} #{next(_counter)}>'
    linecache.cache[filename] = (len(definition), None, definition.splitlines(True), filename)
    with threadsafe_ast.LOCK:
        module_code = compile(definition, filename, 'exec', dont_inherit=True)
    function_code = _code_named(module_code, fdef.name)
    closure = tuple(cells[name] for name in function_code.co_freevars)
    function = types.FunctionType(function_code, wrapper.__globals__, wrapper.__name__,
                                  defaults, closure or None)
    function.__kwdefaults__ = keyword_defaults
    function.__qualname__ = wrapper.__qualname__
    function.__module__ = wrapper.__module__
    function.__doc__ = wrapper.__doc__
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function


def _code_named(code: types.CodeType, name: str) -> types.CodeType:
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            if constant.co_name == name:
                return constant
            inner = _code_named(constant, name)
            if inner is not None:
                return inner
    return None


def _forward_parameters(fdef: gast.FunctionDef, signature: inspect.Signature,
                        wrapper: types.FunctionType) -> None:
    """``def wrapper(*args, **kwargs)`` forwarding both whole to calls becomes
    ``def wrapper(x, y, *, k)`` with ``func(x, y, k=k)``, or a clear error."""
    arguments = fdef.args
    args = arguments.vararg.id if arguments.vararg is not None else None
    kwargs = arguments.kwarg.id if arguments.kwarg is not None else None
    params = list(signature.parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                         p.POSITIONAL_OR_KEYWORD)]
    keyword_only = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    rest = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    forwarded = {id(n) for n in gast.walk(fdef)
                 if (isinstance(n, gast.Starred) and isinstance(n.value, gast.Name)
                     and n.value.id == args)
                 or (isinstance(n, gast.keyword) and n.arg is None
                     and isinstance(n.value, gast.Name) and n.value.id == kwargs)}
    inner = {id(n.value) for n in gast.walk(fdef)
             if isinstance(n, (gast.Starred, gast.keyword)) and id(n) in forwarded}
    used_otherwise = any(isinstance(n, gast.Name) and n.id in (args, kwargs)
                         and id(n) not in inner and not isinstance(n.ctx, gast.Param)
                         for n in gast.walk(fdef))
    taken = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)}
    if (used_otherwise or arguments.args or arguments.posonlyargs or arguments.kwonlyargs
            or any(p.kind is p.VAR_KEYWORD for p in params)
            or taken & (set(positional) | set(keyword_only) | {rest})):
        code = wrapper.__code__
        raise TangentParseError(
            f'{wrapper.__qualname__} is wrapped by a decorator whose wrapper '
            f'({code.co_name}) takes *args/**kwargs and does more with them than pass '
            f'them on whole, so tangent cannot tell which value is which; give the wrapper '
            f'named parameters, or differentiate {wrapper.__qualname__}.__wrapped__ with '
            f"the decorator's effect written into it", code.co_filename, code.co_firstlineno)

    def names(ids):
        return [gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)
                for n in ids]

    spread = names(positional) + ([gast.Starred(value=names([rest])[0], ctx=gast.Load())]
                                  if rest is not None else [])
    for node in gast.walk(fdef):
        if isinstance(node, gast.Call):
            node.args = [a for arg in node.args for a in (
                spread if id(arg) in forwarded else [arg])]
            node.keywords = [k for keyword in node.keywords for k in (
                [gast.keyword(arg=n, value=v) for n, v in zip(keyword_only,
                                                              names(keyword_only))]
                if id(keyword) in forwarded else [keyword])]

    def param(n):
        return gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)

    fdef.args = gast.arguments(args=[param(n) for n in positional], posonlyargs=[],
                               vararg=param(rest) if rest is not None else None,
                               kwonlyargs=[param(n) for n in keyword_only],
                               kw_defaults=[None] * len(keyword_only), kwarg=None,
                               defaults=[])

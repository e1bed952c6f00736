"""Desugaring: array methods, array attributes and autograd.numpy (layer L2).

Requires: a resolved, fenced function (``annotate.resolve`` has marked every
global and module attribute with ``Key.FUNC``).
Guarantees: calls the user wrote as array methods (``x.sum(axis=0)``,
``x.reshape(2, 3)``, ``x.dot(y)``) and the ``x.T`` attribute are calls of the
NumPy functions they mean (``np.sum(x, axis=0)``), so the derivative rules of
those functions apply; calls through ``autograd.numpy`` name the NumPy
function it wraps. A user function called with a lambda or a nested function
as an argument (``apply(lambda v: v * v, x)``) is copied into the caller as a
nested function, so normalisation inlines it with the function argument
bound (``lift_callees_given_functions``). ``parameter_receivers`` reports the parameters whose class
must be known before the function can be differentiated (``model.forward(x)``
with ``model`` an argument).
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Callable

import gast
import numpy

from tangent import annotations as anno
from tangent.annotate import NON_DIFFERENTIABLE_ATTRIBUTES, dotted_path, local_names
from tangent.annotations import Key
from tangent.naming import Namer, names_in

# ndarray method -> the NumPy function taking the array as its first argument.
ARRAY_METHODS = {
    name: getattr(numpy, name) for name in (
        'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'cumsum', 'cumprod', 'dot',
        'ravel', 'squeeze', 'swapaxes', 'clip', 'copy', 'trace', 'diagonal', 'repeat',
        'take', 'conj', 'argmax', 'argmin', 'any', 'all', 'round', 'nonzero', 'argsort')
}
ARRAY_METHODS['flatten'] = numpy.ravel
# Methods whose trailing positional arguments are one tuple: x.reshape(2, 3).
_TUPLE_ARGUMENT_METHODS = {'reshape': numpy.reshape, 'transpose': numpy.transpose}
# x.astype(dtype) computes what np.asarray(x, dtype=dtype) does, up to a copy.
_ASTYPE = numpy.asarray
ARRAY_ATTRIBUTES = {'T': numpy.transpose, 'real': numpy.real}

# Receivers tangent never specialises on: names of arrays' own attributes.
_ARRAY_NAMES = (set(ARRAY_METHODS) | set(_TUPLE_ARGUMENT_METHODS) | set(ARRAY_ATTRIBUTES)
                | NON_DIFFERENTIABLE_ATTRIBUTES | {'astype', 'append', 'copy', 'item'})


def parameter_receivers(fdef: gast.FunctionDef) -> list[str]:
    """Parameters used as objects (``p.forward(x)``, ``p.w``) whose class is unknown.

    Their attributes can only be resolved once the class is known: at the
    first call of the derivative (call-time specialisation).
    """
    params = [arg.id for arg in fdef.args.args]
    assigned = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    found = []
    for node in gast.walk(fdef):
        if (isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name)
                and node.value.id in params and node.value.id not in assigned
                and not anno.has(node, Key.FUNC) and node.attr not in _ARRAY_NAMES
                and node.value.id not in found):
            found.append(node.value.id)
        elif (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
              and node.func.id in params and node.func.id not in assigned
              and node.func.id not in found):  # model(x): a callable instance
            found.append(node.func.id)
        if isinstance(node, gast.Call):  # self.encoder.forward(x), self.encoder(x)
            for receiver in (node.func.value if isinstance(node.func, gast.Attribute)
                             else None, node.func):
                path = dotted_path(receiver) if receiver is not None else None
                if path and '.' in path and path.split('.')[0] in params and \
                        path.split('.')[0] not in assigned and path not in found and \
                        not anno.has(receiver, Key.FUNC) and \
                        path.split('.')[-1] not in _ARRAY_NAMES:
                    found.append(path)
    return found


class Desugarer(gast.NodeTransformer):
    """Rewrites array methods and autograd.numpy references into NumPy calls."""

    def __init__(self, free: dict[str, Any], namer: Namer):
        self.free = free
        self.namer = namer
        self._numpy_name = None

    def numpy_name(self) -> str:
        if self._numpy_name is None:
            existing = [n for n, value in self.free.items() if value is numpy]
            if existing:
                self._numpy_name = existing[0]
            else:
                self._numpy_name = self.namer.fresh('np')
                self.free[self._numpy_name] = numpy
        return self._numpy_name

    def reference(self, func: Any) -> gast.expr:
        """An expression naming NumPy function ``func`` in generated code."""
        module = getattr(func, '__module__', '') or ''
        path = module.split('.')[1:] if module.startswith('numpy') else []
        node: gast.expr = gast.Name(id=self.numpy_name(), ctx=gast.Load(), annotation=None,
                                    type_comment=None)
        anno.set(node, Key.FUNC, numpy)
        owner: Any = numpy
        for attr in path + [func.__name__]:
            owner = getattr(owner, attr, None)
            node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
            anno.set(node, Key.FUNC, owner)
        if owner is not func:  # not reachable from the numpy namespace: bind it directly
            bound = self.namer.fresh(func.__name__)
            self.free[bound] = func
            node = gast.Name(id=bound, ctx=gast.Load(), annotation=None, type_comment=None)
            anno.set(node, Key.FUNC, func)
        return node

    def visit_Name(self, node):
        return self._autograd_numpy(node)

    def visit_Attribute(self, node):
        replaced = self._autograd_numpy(node)
        if replaced is not node:
            return replaced
        self.generic_visit(node)
        if (node.attr in ARRAY_ATTRIBUTES and isinstance(node.ctx, gast.Load)
                and not anno.has(node, Key.FUNC)):
            return self._call(ARRAY_ATTRIBUTES[node.attr], [node.value], [], node)
        return node

    def visit_Call(self, node):
        func = node.func
        if not (isinstance(func, gast.Attribute) and not anno.has(func, Key.FUNC)):
            self.generic_visit(node)
            return node
        method = func.attr
        receiver = self.visit(func.value)
        args = [self.visit(arg) for arg in node.args]
        keywords = [self.visit(keyword) for keyword in node.keywords]
        if method in ARRAY_METHODS:
            return self._call(ARRAY_METHODS[method], [receiver] + args, keywords, node)
        if method in _TUPLE_ARGUMENT_METHODS:
            if len(args) > 1:
                args = [gast.Tuple(elts=args, ctx=gast.Load())]
            return self._call(_TUPLE_ARGUMENT_METHODS[method], [receiver] + args, keywords, node)
        if method == 'astype' and len(args) == 1:
            dtype = gast.keyword(arg='dtype', value=args[0])
            return self._call(_ASTYPE, [receiver], [dtype] + keywords, node)
        func.value = receiver
        node.args, node.keywords = args, keywords
        return node

    def _call(self, func, args, keywords, original) -> gast.Call:
        call = gast.Call(func=self.reference(func), args=args, keywords=keywords)
        return gast.copy_location(call, original)

    def _autograd_numpy(self, node):
        """``anp.sum`` (autograd's wrapper) -> ``np.sum``, the function it wraps."""
        if not isinstance(node.ctx, gast.Load):
            return node
        value = anno.get(node, Key.FUNC)
        wrapped = autograd_numpy_target(value)
        if wrapped is None:
            return node
        return gast.copy_location(self.reference(wrapped), node)


def autograd_numpy_target(value: Any) -> Any:
    """The NumPy function an ``autograd.numpy`` function wraps, or None."""
    if not isinstance(value, types.FunctionType):
        return None
    module = getattr(value, '__module__', '') or ''
    if not module.startswith('autograd'):
        return None
    wrapped = getattr(value, 'fun', None)
    if wrapped is not None and getattr(wrapped, '__module__', '').startswith('numpy'):
        return wrapped
    candidate = getattr(numpy, value.__name__, None)
    return candidate if callable(candidate) else None


def desugar(fdef: gast.FunctionDef, free: dict[str, Any], namer: Namer) -> gast.FunctionDef:
    """Rewrite array methods and autograd.numpy calls in ``fdef`` (updates ``free``)."""
    Desugarer(free, namer).visit(fdef)
    return fdef


def _local_function_names(fdef: gast.FunctionDef) -> set[str]:
    """Names bound to a nested ``def`` or to a lambda in ``fdef``."""
    found = set()
    for node in gast.walk(fdef):
        if isinstance(node, gast.FunctionDef) and node is not fdef:
            found.add(node.name)
        elif (isinstance(node, gast.Assign) and isinstance(node.value, gast.Lambda)
              and len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)):
            found.add(node.targets[0].id)
    return found


def _is_user_function(value: Any) -> bool:
    module = getattr(value, '__module__', '') or ''
    return (isinstance(value, types.FunctionType)
            and module.split('.')[0] not in ('numpy', 'tangent', 'autograd', 'builtins'))


class _FreeRenamer(gast.NodeTransformer):
    """Renames the free names a lifted function reads (keeping their resolution)."""

    def __init__(self, renames: dict[str, str], locals_: set[str]):
        self.renames = renames
        self.locals_ = locals_

    def visit_Name(self, node):
        if node.id in self.renames and node.id not in self.locals_:
            node.id = self.renames[node.id]
        return node


def lift_callees_given_functions(
        fdef: gast.FunctionDef, free: dict[str, Any], namer: Namer,
        parse: Callable[[Callable], tuple[gast.FunctionDef, dict[str, Any]]],
        lifting: tuple = (), function_params: frozenset = frozenset(),
        outer_locals: frozenset = frozenset(),
        has_rule: Callable[[Any], bool] = lambda func: False) -> None:
    """Copy user functions that receive a lambda or nested def into ``fdef``.

    ``apply(lambda v: v * v, x)`` with ``apply`` a global user function cannot
    be differentiated as a separate subroutine, since what it computes depends
    on the function it is given. Copied in as a nested function, the call is
    inlined by normalisation with the lambda bound to its parameter. The free
    names the copy reads are renamed where the caller means something else by
    them, so each still refers to the value in the callee's own module.
    ``parse`` returns a user function's resolved, fenced definition and free
    values. ``function_params`` are parameters of ``fdef`` given functions;
    ``outer_locals`` the local names of the functions ``fdef`` is copied into;
    ``has_rule`` tells the functions with registered derivatives, never copied.
    Updates ``fdef`` and ``free`` in place.
    """
    functions = _local_function_names(fdef) | function_params
    caller_locals = local_names(fdef) | outer_locals
    lifted: dict[Any, str] = {}
    for node in list(gast.walk(fdef)):
        if not isinstance(node, gast.Call):
            continue
        callee = anno.get(node.func, Key.FUNC, None)
        def is_function(arg):
            return (isinstance(arg, gast.Lambda)
                    or (isinstance(arg, gast.Name) and arg.id in functions))
        if not _is_user_function(callee) or has_rule(callee):
            continue
        params = callee.__code__.co_varnames[:callee.__code__.co_argcount
                                              + callee.__code__.co_kwonlyargcount]
        given = {params[i] for i, arg in enumerate(node.args[:len(params)])
                 if is_function(arg)}
        given |= {keyword.arg for keyword in node.keywords if is_function(keyword.value)}
        # Values gathered into *args have no parameter of their own to differentiate
        # with respect to; inlined, *args is a tuple of the caller's values.
        gathers = bool(callee.__code__.co_flags & inspect.CO_VARARGS) and (
            len(node.args) > callee.__code__.co_argcount
            or any(isinstance(arg, gast.Starred) for arg in node.args))
        if not given and not gathers:
            continue
        if callee.__code__ in lifting:
            continue  # recursion: left as a call, which reports it
        if callee not in lifted:
            copied, callee_free = parse(callee)
            namer.reserve(names_in(copied))
            renames = {}
            for free_name, value in callee_free.items():
                if free_name in caller_locals or free.get(free_name, value) is not value:
                    renames[free_name] = namer.fresh(free_name)
                    free[renames[free_name]] = value
                else:
                    free[free_name] = value
            copied = _FreeRenamer(renames, local_names(copied)).visit(copied)
            copied.name = namer.fresh(callee.__name__)
            copied.decorator_list = []
            lift_callees_given_functions(copied, free, namer, parse,
                                         lifting + (callee.__code__,), frozenset(given),
                                         frozenset(caller_locals), has_rule)
            fdef.body.insert(0, copied)
            lifted[callee] = copied.name
        node.func = gast.copy_location(
            gast.Name(id=lifted[callee], ctx=gast.Load(), annotation=None, type_comment=None),
            node.func)

"""Desugaring: array methods, array attributes and autograd.numpy.

Requires: a resolved, fenced function (``annotate.resolve`` has marked every
global and module attribute with ``Key.FUNC``).
Guarantees: calls the user wrote as array methods (``x.sum(axis=0)``,
``x.reshape(2, 3)``, ``x.dot(y)``) and the ``x.T`` attribute are calls of the
NumPy functions they mean (``np.sum(x, axis=0)``), so the derivative rules of
those functions apply; calls through ``autograd.numpy`` name the NumPy
function it wraps. ``parameter_receivers`` reports the parameters whose class
must be known before the function can be differentiated (``model.forward(x)``
with ``model`` an argument).
"""

from __future__ import annotations

import types
from typing import Any

import gast
import numpy

from tangent.frontend.annotate import dotted_path, NON_DIFFERENTIABLE_ATTRIBUTES
from tangent.syntax import annotations as anno, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer

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
    assigned = {n.id for n in anno.walk(fdef) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    found = []
    for node in anno.walk(fdef):
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


class Desugarer(transformers.NodeTransformer):
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



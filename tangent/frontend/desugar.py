"""Desugaring: array methods, array attributes and wrapper modules (autograd.numpy).

Requires: a resolved, fenced function (``annotate.resolve`` has marked every
global and module attribute with ``Key.FUNC``).
Guarantees: calls the user wrote as array methods (``x.sum(axis=0)``,
``x.reshape(2, 3)``, ``x.dot(y)``) and the ``x.T`` attribute are calls of the
library functions they mean (``np.sum(x, axis=0)``), so the derivative rules of
those functions apply; calls through a wrapper module (``autograd.numpy``)
name the function it wraps, and calls of a function that only its own library
can differentiate (an autograd primitive without a tangent rule) go through
the helper that library's backend names (``ArrayMethods.call_helper``). What
each method means comes from the loaded backends' ``ArrayMethods`` (the NumPy
backend's ``methods``). ``parameter_receivers`` reports the parameters whose
class must be known before the function can be differentiated
(``model.forward(x)`` with ``model`` an argument).
"""

from __future__ import annotations

from typing import Any

import gast

from tangent import backends
from tangent.frontend.annotate import dotted_path
from tangent.syntax import annotations as anno, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer



def _array_names() -> frozenset:
    """Receivers tangent never specialises on: names of arrays' own attributes."""
    names = frozenset({'copy'})
    for table in backends.array_methods():
        names |= table.names()
    return names


def parameter_receivers(fdef: gast.FunctionDef) -> list[str]:
    """Parameters used as objects (``p.forward(x)``, ``p.w``) whose class is unknown.

    Their attributes can only be resolved once the class is known: at the
    first call of the derivative (call-time specialisation).
    """
    params = [arg.id for arg in fdef.args.args]
    array_names = _array_names()
    assigned = {n.id for n in anno.walk(fdef) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    found = []
    for node in anno.walk(fdef):
        if (isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name)
                and node.value.id in params and node.value.id not in assigned
                and not anno.has(node, Key.FUNC) and node.attr not in array_names
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
                        path.split('.')[-1] not in array_names:
                    found.append(path)
    return found


class Desugarer(transformers.NodeTransformer):
    """Rewrites array methods and wrapper-module references into the library's calls."""

    def __init__(self, free: dict[str, Any], namer: Namer):
        self.free = free
        self.namer = namer
        self.tables = backends.array_methods()
        self._module_names: dict[int, str] = {}

    def module_name(self, table: backends.ArrayMethods) -> str:
        """The name generated code reaches ``table.module`` by."""
        if id(table.module) not in self._module_names:
            existing = [n for n, value in self.free.items() if value is table.module]
            if existing:
                name = existing[0]
            else:
                name = self.namer.fresh(table.module_alias)
                self.free[name] = table.module
            self._module_names[id(table.module)] = name
        return self._module_names[id(table.module)]

    def reference(self, func: Any, table: backends.ArrayMethods) -> gast.expr:
        """An expression naming ``func``, a function of ``table``'s library."""
        root = table.module.__name__
        module = getattr(func, '__module__', '') or ''
        path = module.split('.')[1:] if module.split('.')[0] == root else []
        node: gast.expr = gast.Name(id=self.module_name(table), ctx=gast.Load(),
                                    annotation=None, type_comment=None)
        anno.set(node, Key.FUNC, table.module)
        owner: Any = table.module
        for attr in path + [func.__name__]:
            owner = getattr(owner, attr, None)
            node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
            anno.set(node, Key.FUNC, owner)
        if owner is not func:  # not reachable from the library's namespace: bind it directly
            bound = self.namer.fresh(func.__name__)
            self.free[bound] = func
            node = gast.Name(id=bound, ctx=gast.Load(), annotation=None, type_comment=None)
            anno.set(node, Key.FUNC, func)
        return node

    def visit_Name(self, node):
        return self._unwrapped(node)

    def visit_Attribute(self, node):
        replaced = self._unwrapped(node)
        if replaced is not node:
            return replaced
        self.generic_visit(node)
        if isinstance(node.ctx, gast.Load) and not anno.has(node, Key.FUNC):
            for table in self.tables:
                if node.attr in table.attributes:
                    return self._call(table.attributes[node.attr], table, [node.value], [],
                                      node)
        return node

    def visit_Call(self, node):
        through = self._through_helper(node)
        if through is not None:
            return through
        func = node.func
        if not (isinstance(func, gast.Attribute) and not anno.has(func, Key.FUNC)):
            self.generic_visit(node)
            return node
        method = func.attr
        receiver = self.visit(func.value)
        args = [self.visit(arg) for arg in node.args]
        keywords = [self.visit(keyword) for keyword in node.keywords]
        for table in self.tables:
            if method in table.methods:
                return self._call(table.methods[method], table, [receiver] + args, keywords,
                                  node)
            if method in table.shape_methods:
                if len(args) > 1:
                    args = [gast.Tuple(elts=args, ctx=gast.Load())]
                return self._call(table.shape_methods[method], table, [receiver] + args,
                                  keywords, node)
            if method == 'astype' and table.astype is not None and len(args) == 1:
                dtype = gast.keyword(arg='dtype', value=args[0])
                return self._call(table.astype, table, [receiver], [dtype] + keywords, node)
        func.value = receiver
        node.args, node.keywords = args, keywords
        return node

    def _call(self, func, table, args, keywords, original) -> gast.Call:
        call = gast.Call(func=self.reference(func, table), args=args, keywords=keywords)
        return gast.copy_location(call, original)

    def _through_helper(self, node):
        """``p(a, k=c)`` -> ``helper(p, ('k',), a, c)`` for a function differentiated by
        its library's own rules (an autograd primitive without a tangent rule)."""
        value = anno.get(node.func, Key.FUNC)
        if value is None or any(isinstance(arg, gast.Starred) for arg in node.args) or \
                any(keyword.arg is None for keyword in node.keywords):
            return None
        for table in self.tables:
            helper = table.call_helper(value) if table.call_helper is not None else None
            if helper is not None:
                names = gast.Tuple(elts=[gast.Constant(value=keyword.arg, kind=None)
                                         for keyword in node.keywords], ctx=gast.Load())
                values = [self.visit(arg) for arg in node.args] + \
                    [self.visit(keyword.value) for keyword in node.keywords]
                call = gast.Call(func=self.reference(helper, table),
                                 args=[node.func, names] + values, keywords=[])
                return gast.copy_location(call, node)
        return None

    def _unwrapped(self, node):
        """``anp.sum`` (autograd's wrapper) -> ``np.sum``, the function it wraps."""
        if not isinstance(node.ctx, gast.Load):
            return node
        value = anno.get(node, Key.FUNC)
        for table in self.tables:
            if table.call_helper is not None and table.call_helper(value) is not None:
                return node  # differentiated by its library's rules, not the wrapped one's
            wrapped = table.wrapped(value) if table.wrapped is not None else None
            if wrapped is not None:
                return gast.copy_location(self.reference(wrapped, table), node)
        return node


def desugar(fdef: gast.FunctionDef, free: dict[str, Any], namer: Namer) -> gast.FunctionDef:
    """Rewrite array methods and wrapper-module calls in ``fdef`` (updates ``free``)."""
    Desugarer(free, namer).visit(fdef)
    return fdef



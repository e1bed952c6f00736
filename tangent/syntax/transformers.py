"""The base classes of the passes that visit or rewrite trees.

``NodeVisitor`` and ``NodeTransformer`` behave as gast's (``visit_<Class>``
methods, ``generic_visit`` for the rest; a transformer's method returns the
node, a replacement, a list of them, or None to remove it) and cost about
half as much: the method for each node class is looked up once, fields are
read from a per-class table, and expression contexts and operators (``Load``,
``Mult``), which no pass looks at, are not visited. Long functions spend most of their
code-generation time in these walks.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

import gast

from tangent.syntax import annotations as anno

_SKIPPED_FIELDS = frozenset({'ctx', 'op', 'ops'})  # contexts and operators: leaves no pass visits
FIELDS: dict[type, tuple[str, ...]] = {}  # filled by child_fields


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class ``cls`` that may hold child nodes, contexts left out."""
    fields = FIELDS.get(cls)
    if fields is None:
        fields = FIELDS[cls] = tuple(f for f in anno.node_fields(cls)
                                      if f not in _SKIPPED_FIELDS)
    return fields


def _method(visitor_class: type, node_class: type, cache: dict) -> Callable:
    key = (visitor_class, node_class)
    method = cache.get(key)
    if method is None:
        method = getattr(visitor_class, 'visit_' + node_class.__name__, None)
        # ast.NodeVisitor.visit_Constant only forwards to the visit_Num family,
        # which no pass defines.
        if method is None or method is ast.NodeVisitor.visit_Constant:
            method = visitor_class.generic_visit
        cache[key] = method
    return method


_METHODS: dict[tuple[type, type], Callable] = {}


class NodeVisitor(gast.NodeVisitor):

    def visit(self, node: Any) -> Any:
        method = _METHODS.get((type(self), type(node)))
        if method is None:
            method = _method(type(self), type(node), _METHODS)
        return method(self, node)

    def generic_visit(self, node: Any) -> None:
        fields = FIELDS.get(type(node))
        for field in child_fields(type(node)) if fields is None else fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)


class NodeTransformer(gast.NodeTransformer):

    def visit(self, node: Any) -> Any:
        method = _METHODS.get((type(self), type(node)))
        if method is None:
            method = _method(type(self), type(node), _METHODS)
        return method(self, node)

    def generic_visit(self, node: Any) -> Any:
        fields = FIELDS.get(type(node))
        for field in child_fields(type(node)) if fields is None else fields:
            value = getattr(node, field, None)
            if type(value) is list:
                new_items = []
                for item in value:
                    if isinstance(item, ast.AST):
                        item = self.visit(item)
                        if item is None:
                            continue
                        if not isinstance(item, ast.AST):
                            new_items.extend(item)
                            continue
                    new_items.append(item)
                value[:] = new_items
            elif isinstance(value, ast.AST):
                new_node = self.visit(value)
                if new_node is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new_node)
        return node

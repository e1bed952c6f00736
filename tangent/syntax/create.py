"""Building the nodes of generated code.

Every pass that writes code builds its names, constants, assignments, tuples,
index values and runtime-helper calls here, so that a node of a given kind is
made one way everywhere. Code longer than a statement or two is better written
as source: ``fill_template`` parses a short template once and fills its
placeholders with names, nodes and statement lists.

Nodes built here carry no source position, like any generated node: passes
that need one copy it from the user's statement they rewrite.
"""

from __future__ import annotations

import functools
from typing import Any

import gast

from tangent import runtime as runtime
from tangent.syntax import annotations as anno, quoting
from tangent.syntax.naming import Namespace


# Contexts hold nothing: every name shares one, as Python's own parser does (and
# ``anno.copy_tree``). Building a node through its class's generic constructor costs
# several times more, and generated code holds tens of thousands of names.
_LOAD, _STORE = gast.Load(), gast.Store()
_new_name = gast.Name.__new__


def name(id_: str, store: bool = False) -> gast.Name:
    """The variable ``id_``, read (or assigned, with ``store``)."""
    node = _new_name(gast.Name)
    node.__dict__.update(id=id_, ctx=_STORE if store else _LOAD, annotation=None,
                         type_comment=None)
    return node


def attribute(value: gast.expr, attr: str) -> gast.Attribute:
    """``value.attr``, read."""
    node = _new_attribute(gast.Attribute)
    node.__dict__.update(value=value, attr=attr, ctx=_LOAD)
    return node


_new_attribute = gast.Attribute.__new__


def assign(target: str | gast.expr, value: gast.expr) -> gast.Assign:
    """``target = value``; a string target is a variable name."""
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def const(value: Any) -> gast.Constant:
    """The literal ``value`` (a number, string, bool or None)."""
    return gast.Constant(value=value, kind=None)


def tuple_(elements: list[str | gast.expr], store: bool = False) -> gast.Tuple:
    """``(a, b, ...)``: strings become variables in the tuple's context (read, or
    assigned with ``store``); nodes are used as they are."""
    return gast.Tuple(elts=[name(e, store) if isinstance(e, str) else e for e in elements],
                      ctx=gast.Store() if store else gast.Load())


def runtime_call(namespace: Namespace, helper: Any, args: list,
                 keywords: list | None = None) -> gast.Call:
    """``tangent.helper(*args)``: a call of a function of the runtime library
    (``tangent.runtime``), through whichever global name of the generated module
    reaches the runtime (the user's own ``tangent`` when it is the same module)."""
    root = namespace.ref_chain(runtime, 'tangent', [helper.__name__])
    function = attribute(name(root), helper.__name__)
    return gast.Call(func=function, args=args, keywords=keywords or [])


def index(subscript: gast.expr) -> gast.expr:
    """The index of a subscript ``x[subscript]`` as a value a function can take:
    a copy of it in which each slice ``a:b:c`` becomes ``slice(a, b, c)``."""
    subscript = anno.copy_tree(subscript)
    if isinstance(subscript, gast.Slice):
        return gast.Call(func=name('slice'), args=[
            subscript.lower or const(None), subscript.upper or const(None),
            subscript.step or const(None)], keywords=[])
    if isinstance(subscript, gast.Tuple):
        return gast.Tuple(elts=[index(e) for e in subscript.elts], ctx=gast.Load())
    return subscript


def fill_template(source: str, **parts: str | gast.AST | list) -> list[gast.stmt]:
    """The statements of ``source`` with each placeholder name replaced by its part.

    A placeholder is a name of the template (a variable, a parameter, the name
    of a defined function) that is a key of ``parts``. Its part is
      - a string: the placeholder is renamed, keeping its context;
      - a node: it takes the placeholder's place as it is (context included,
        so an assignment target must be given as a store node), and only once,
        since a tree must not share a subtree;
      - a list of statements: a placeholder standing alone as a statement is
        replaced by them (none, for an empty list).
    Parts are not searched for placeholders, so user code passed in as a part
    may use any names. Template nodes carry no source position.
    """
    statements = anno.copy_tree(_parsed_template(source))
    inserted = set()
    return [filled for statement in statements
            for filled in _filled(statement, parts, inserted)]


@functools.lru_cache(maxsize=None)
def _parsed_template(source: str) -> list[gast.stmt]:
    """Parsed once per process; ``fill_template`` fills a copy."""
    return quoting.parse_string(source).body


def _filled(node: gast.AST, parts: dict, inserted: set) -> list[gast.AST]:
    """What replaces ``node`` of a template: its part, or itself with its children filled."""
    if isinstance(node, gast.Expr) and isinstance(node.value, gast.Name):
        part = parts.get(node.value.id)
        if isinstance(part, list):
            return part
        if isinstance(part, gast.stmt):
            return [_inserted(part, inserted)]
    if isinstance(node, gast.Name) and node.id in parts:
        part = parts[node.id]
        if not isinstance(part, str):
            return [_inserted(part, inserted)]
        node.id = part
    if isinstance(node, gast.FunctionDef) and isinstance(parts.get(node.name), str):
        node.name = parts[node.name]
    for attribute in node._attributes:  # the template's positions mean nothing in its user
        node.__dict__.pop(attribute, None)
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            setattr(node, field, [filled for item in value for filled in (
                _filled(item, parts, inserted) if isinstance(item, gast.AST) else [item])])
        elif isinstance(value, gast.AST):
            (filled,) = _filled(value, parts, inserted)
            setattr(node, field, filled)
    return [node]


def _inserted(part: gast.AST, inserted: set) -> gast.AST:
    if id(part) in inserted:
        raise ValueError(f'fill_template: the node {gast.dump(part)} fills two '
                         f'placeholders; give each its own node')
    inserted.add(id(part))
    return part

"""Annotations carried by AST nodes between passes.

Analysis results travel on the nodes themselves, under the keys below, so
that no pass reads hidden global state. Each key documents its value.
"""

from __future__ import annotations

import ast as _ast
import enum
from typing import Any

import gast

_FIELD = '_tangent_annotations'


class Key(enum.Enum):
    """Annotation keys; the value each holds is in the comment."""

    FUNC = 'the live object a global Name or module attribute chain resolves to'
    ORIGIN = 'source text of the user statement a normalised statement came from'
    LINENO = 'line number (in the user file) of that statement'
    PUSH = 'on a generated push/pop: the op_id pairing them'
    SAVED = ('on a primal statement whose target is taped: the op_id of the push that '
             'saves the old value, which the adjoint pops back')
    RECOMPUTED = ('on a primal statement v = a[i] in a loop that is not taped: the '
                  'backward loop computes it again (True)')
    BOUNDARY = 'on the statement where the backward pass begins: True'
    RECEIVER = 'on p.method of a call: the parameter p passed as the method first argument'
    UNRESOLVED = ('on p.name that resolves to nothing when the derivative is written: '
                  'why, and the way out (the advice of the error if it is called)')
    CHECKPOINT = 'on a checkpointed For loop: its checkpoint.CheckpointedLoop description'
    ZERO_GRADIENT_OF = ('on a parameter of a function: the expression whose init_grad is '
                        'its zero gradient, when not the parameter itself (an object: the '
                        'dict of its differentiable attributes)')
    FOLDED_POWER_SLOPE = ('on y * x ** (y - 1) that optimization wrote for power_slope(x, y) '
                          'with a literal y: True')


# Every annotation read hashes its key: an enum member's own hash is Python code, and
# members are singletons compared by identity, so the identity hash (in C) serves.
Key.__hash__ = object.__hash__


class _Store(dict):
    """The annotations of one node. Copying a tree shares the annotated values
    (live modules and functions cannot, and need not, be copied)."""

    def __deepcopy__(self, memo):
        return _Store(self)


def set(node: Any, key: Key, value: Any) -> None:  # noqa: A001 - mirrors getattr/setattr
    """Attach ``value`` to ``node`` under ``key``."""
    store = node.__dict__.setdefault(_FIELD, _Store())
    store[key] = value


def get(node: Any, key: Key, default: Any = None) -> Any:
    """The value attached to ``node`` under ``key``, or ``default``."""
    return node.__dict__.get(_FIELD, {}).get(key, default)


def has(node: Any, key: Key) -> bool:
    """Whether ``node`` carries ``key``."""
    return key in node.__dict__.get(_FIELD, {})


def copy(source: Any, target: Any) -> None:
    """Copy every annotation of ``source`` onto ``target``."""
    if _FIELD in source.__dict__:
        target.__dict__[_FIELD] = _Store(source.__dict__[_FIELD])


# Fields that hold only text in every tree (gast's own declared field types are not
# to be trusted: its ExceptHandler.name is declared a string, and holds a Name).
_TEXT_FIELDS = {'Name': ('id', 'type_comment'), 'Constant': ('kind',),
                'Attribute': ('attr',), 'keyword': ('arg',)}
_FIELDS_OF: dict[type, tuple[str, ...]] = {}


def node_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class ``cls`` that may hold nodes, in declaration order."""
    fields = _FIELDS_OF.get(cls)
    if fields is None:
        text = _TEXT_FIELDS.get(cls.__name__, ())
        fields = _FIELDS_OF[cls] = tuple(field for field in cls._fields if field not in text)
    return fields


# Fields ``walk`` leaves out: expression contexts (``Load``) and operators (``Mult``), which
# no pass looks for among the nodes (they are read as ``node.ctx``, ``node.op``) and which
# are a third of a tree, and the constant of a ``Constant``, which is never a node.
_UNWALKED = frozenset({'ctx', 'op', 'ops'})
_LEAVES = frozenset({'Constant', 'MatchSingleton'})
_CHILDREN_OF: dict[type, Any] = {}


def _children_function(cls: type):
    """A function adding the children of a ``cls`` node to a queue, fields in order:
    written once per class, so that ``walk`` does no per-field lookups."""
    fields = () if cls.__name__ in _LEAVES else \
        tuple(f for f in node_fields(cls) if f not in _UNWALKED)
    lines = ['def children(node, add, AST):']
    for field in fields:
        lines += [f'    value = getattr(node, {field!r}, None)',
                  '    if value.__class__ is list:',
                  '        for item in value:',
                  '            if isinstance(item, AST):',
                  '                add(item)',
                  '    elif isinstance(value, AST):',
                  '        add(value)']
    if not fields:
        lines.append('    pass')
    scope: dict[str, Any] = {}
    exec('\n'.join(lines), scope)  # noqa: S102 - our own text, from the class's fields
    function = _CHILDREN_OF[cls] = scope['children']
    return function


_STATEMENT_LISTS = ('body', 'handlers', 'orelse', 'finalbody', 'cases')


def statements(node: Any):
    """``node`` and every statement under it, in the order of the source, without
    entering expressions (which hold no statements): a tenth of a ``walk``, for passes
    that look for assignments, loops or branches. Exception handlers and match cases
    are among them, since they hold statements."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        for field in reversed(_STATEMENT_LISTS):
            block = getattr(current, field, None)
            if block.__class__ is list:
                pending.extend(reversed(block))


def own_statements(statements: list):
    """The statements of a block and of the blocks under them, in the order of the
    source, those of nested functions and classes aside (``statements`` enters them)."""
    pending = list(reversed(statements))
    while pending:
        statement = pending.pop()
        yield statement
        if not isinstance(statement, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            for field in ('handlers', 'cases', 'finalbody', 'orelse', 'body'):
                block = getattr(statement, field, None)
                if block.__class__ is list:
                    pending.extend(reversed(block))


def children(node: Any) -> list:
    """The nodes directly under ``node``, fields in order (as ``walk`` meets them)."""
    found: list = []
    add_children = _CHILDREN_OF.get(node.__class__) or _children_function(node.__class__)
    add_children(node, found.append, _ast.AST)
    return found


def walk(node: Any):
    """Every node of the tree under ``node``, in the order ``ast.walk`` gives
    (breadth first, fields in order), at about a fifth of its cost: the passes walk
    whole functions dozens of times, so this is where code generation spends.
    Expression contexts and operators (``Load``, ``Mult``) are left out."""
    pending = [node]  # a list iterated while it grows: a queue that never shifts
    add = pending.append
    syntax_node = _ast.AST
    children_of = _CHILDREN_OF
    name, constant = gast.Name, gast.Constant
    for node in pending:
        kind = node.__class__
        # Half the nodes are names and numbers, with nothing under them: no call.
        if kind is not constant and (kind is not name or node.annotation is not None):
            children = children_of.get(kind)
            if children is None:
                children = _children_function(kind)
            children(node, add, syntax_node)
        yield node


def copy_tree(node: Any) -> Any:
    """A deep copy of a syntax tree (or a list of them) keeping the annotations.

    Much cheaper than ``copy.deepcopy``, which goes through the generic
    reduce protocol for every node; leaf values (strings, numbers) are shared.
    """
    if type(node) is list:
        return [copy_tree(item) for item in node]
    if not isinstance(node, _ast.AST):
        return copy_tree(list(node)) if isinstance(node, list) else node
    return _copy_node(node)


# Operators and expression contexts (``Mult``, ``Load``) hold nothing and carry no
# annotations: a copy shares them, as Python's own parser shares one ``Load``.
_SHARED = frozenset(
    cls for module in (_ast, gast) for cls in vars(module).values() if isinstance(cls, type)
    and issubclass(cls, (_ast.expr_context, _ast.operator, _ast.unaryop, _ast.cmpop, _ast.boolop)))


def shallow_copy(node: _ast.AST) -> _ast.AST:
    """A new node of ``node``'s class with the same fields (children shared) and a
    copy of its annotations."""
    cls = node.__class__
    new = cls.__new__(cls)
    fields = new.__dict__
    fields.update(node.__dict__)
    if _FIELD in fields:
        fields[_FIELD] = _Store(fields[_FIELD])
    return new


def _copy_node(node: _ast.AST) -> _ast.AST:
    cls = node.__class__
    if cls in _SHARED:
        return node
    new = cls.__new__(cls)
    fields = new.__dict__
    syntax_node = _ast.AST
    for key, value in node.__dict__.items():
        kind = type(value)
        if kind is list:
            fields[key] = [_copy_node(item) if isinstance(item, syntax_node) else copy_tree(item)
                           for item in value]
        elif kind is _Store:
            fields[key] = _Store(value)
        elif isinstance(value, syntax_node):
            fields[key] = _copy_node(value)
        elif isinstance(value, list):
            fields[key] = copy_tree(list(value))
        else:
            fields[key] = value
    return new

"""Splitting of deeply nested expressions, before any pass walks them.

Requires: a Python ``ast`` tree, straight from ``ast.parse``.

Guarantees: every expression that a statement evaluates once, before anything
else it does (an assignment's value, a return value, an ``if`` test, a
``for`` loop's iterable, an expression statement), nests at most
``MAX_DEPTH`` operations deep. A deeper one is cut into pieces assigned to
fresh variables just before the statement, in the order Python evaluates
them, so the function computes exactly what it did: ``x*0.0 + x*1.0 + ...``
with 2,000 terms becomes a chain of partial sums, ``sin(sin(...(x)))``
nested 190 times a chain of calls.

Python compiles expressions far deeper than a recursive tree walk can follow
(the recursion limit is near 1,000 frames, and each walk spends several per
level). This pass is iterative, so every later pass, recursive or not, only
ever sees shallow expressions. A piece is cut out only where moving it
earlier cannot change what runs: not from a lambda, a comprehension, a
conditional expression or a short-circuit operand, and only when everything
Python evaluates before it in its statement is a name, a constant or an
attribute of a name.
"""

from __future__ import annotations

import ast
import itertools

from tangent.syntax import annotations as anno

# How deep an expression may nest before it is cut, and how deep each piece is:
# far below what the recursive passes can follow, and far above what people write.
MAX_DEPTH = 64
PIECE_DEPTH = 16
# The deepest expression the recursive passes are sure to follow.
MAX_FOLLOWED_DEPTH = 150

PREFIX = '_nested_'  # of the variables holding the pieces


def split_deep_expressions(tree: ast.AST) -> ast.stmt | None:
    """Cut every too-deep statement-level expression in ``tree`` (in place).

    Returns a statement still holding an expression deeper than the passes
    can follow (in a lambda, a comprehension, a ``while`` test...), or None.
    """
    if _deepest(tree) <= MAX_DEPTH:
        return None
    taken = {node.id if isinstance(node, ast.Name) else node.arg for node in ast.walk(tree)
             if isinstance(node, (ast.Name, ast.arg))}
    counter = itertools.count(1)

    def fresh() -> str:
        while True:
            candidate = f'{PREFIX}{next(counter)}'
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    for block in _statement_lists(tree):
        split_block = []
        for statement in block:
            for field in _splittable_fields(statement):
                value = getattr(statement, field)
                if value is not None and _deepest(value) > MAX_DEPTH:
                    pieces, value = _cut(value, fresh)
                    setattr(statement, field, value)
                    for piece in pieces:
                        ast.copy_location(piece, statement)
                        ast.fix_missing_locations(piece)
                    split_block.extend(pieces)
            split_block.append(statement)
        block[:] = split_block
    return next((statement for block in _statement_lists(tree) for statement in block
                 if _own_depth(statement) > MAX_FOLLOWED_DEPTH), None)


def _own_depth(statement: ast.stmt) -> int:
    """How deep the expressions of ``statement`` itself nest (a ``while`` test,
    an assigned value), leaving out the statements in its blocks."""
    if not isinstance(statement, _COMPOUND):
        return _deepest(statement)
    return max((_deepest(child) for field, child in ast.iter_fields(statement)
                if field not in ('body', 'orelse', 'finalbody', 'handlers')
                and isinstance(child, ast.AST)), default=0)


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For,
             ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


# The expressions a statement evaluates first and once: pieces may go before it.
_SPLITTABLE_FIELDS = {
    ast.Assign: ('value',), ast.AnnAssign: ('value',),
    ast.Return: ('value',), ast.Expr: ('value',), ast.If: ('test',), ast.For: ('iter',),
}

def _splittable_fields(statement: ast.stmt) -> tuple[str, ...]:
    if isinstance(statement, ast.AugAssign):  # ``a[f()] += v`` reads a[f()] before v
        return ('value',) if isinstance(statement.target, ast.Name) else ()
    return _SPLITTABLE_FIELDS.get(type(statement), ())


# Nodes whose children run conditionally, repeatedly or in a scope of their own.
_CONDITIONAL = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                ast.Yield, ast.YieldFrom, ast.Await)


def _always_evaluated(node: ast.AST, field: str, index: int | None) -> bool:
    """Whether evaluating ``node`` always evaluates its child at ``field[index]``,
    once: the test of ``a if test else b``, the first operand of ``and``/``or``,
    the first two operands of a chained comparison."""
    if isinstance(node, _CONDITIONAL):
        return False
    if isinstance(node, ast.IfExp):
        return field == 'test'
    if isinstance(node, ast.BoolOp):
        return index == 0
    if isinstance(node, ast.Compare):
        return field == 'left' or index == 0
    return True


def _statement_lists(tree: ast.AST):
    """Every list of statements in ``tree``, without recursion."""
    pending = [tree]
    while pending:
        node = pending.pop()
        for field in ('body', 'orelse', 'finalbody'):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
                pending.extend(block)
        for handler in getattr(node, 'handlers', ()):
            yield handler.body
            pending.extend(handler.body)
        for case in getattr(node, 'cases', ()):
            yield case.body
            pending.extend(case.body)


def _deepest(node: ast.AST) -> int:
    """How many levels of nodes ``node`` spans (contexts and operators, ``Load`` and
    ``Add``, count as a level), without recursion."""
    deepest = 0
    pending = [(node, 1)]
    while pending:
        current, depth = pending.pop()
        kind = current.__class__
        holds_operator = _HOLDS_OPERATOR.get(kind)
        if holds_operator is None:
            holds_operator = _HOLDS_OPERATOR[kind] = bool(
                {'ctx', 'op', 'ops'} & set(kind._fields))
        # The context or operator under it is a level deeper.
        reached = depth + 1 if holds_operator and (kind is not ast.Compare or current.ops) \
            else depth
        if reached > deepest:
            deepest = reached
        children = anno.children(current)
        if children:
            pending.extend((child, depth + 1) for child in children)
    return deepest


_HOLDS_OPERATOR: dict[type, bool] = {}  # by class: has a ctx, op or ops field


def _is_inert(node: ast.expr) -> bool:
    """Evaluating it earlier or later changes nothing: a name, a constant, ``a.b``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, (ast.Name, ast.Constant))


def _cut(root: ast.expr, fresh) -> tuple[list[ast.Assign], ast.expr]:
    """Pieces of ``root`` (assignments, in evaluation order) and what is left of it.

    One iterative post-order walk: children finish left to right, the order
    Python evaluates them in. A subexpression whose height reaches PIECE_DEPTH
    becomes a piece, and so does everything before it that is not inert (a
    call left in place would otherwise run after the piece, not before it).
    """
    original_height = _heights(root)
    pieces: list[ast.Assign] = []
    height: dict[int, int] = {}
    # Entries: node, parent, field, index, may move, must move, children done.
    stack = [(root, None, None, None, True, False, False)]
    while stack:
        node, parent, field, index, may_move, must_move, done = stack.pop()
        if not done:
            stack.append((node, parent, field, index, may_move, must_move, True))
            # What cannot be named itself (a keyword, a *spread) passes the
            # obligation to move on to its parts.
            passes_on = must_move and not _may_be_named(node, parent)
            children = list(_children(node))
            entries = []
            for position, (child_field, child_index, child) in enumerate(children):
                inside = may_move and _always_evaluated(node, child_field, child_index)
                before_deep = any(original_height[id(later)] >= PIECE_DEPTH
                                  for _, _, later in children[position + 1:])
                child_must_move = inside and (before_deep or passes_on) and not (
                    isinstance(child, ast.expr) and _is_inert(child))
                entries.append((child, node, child_field, child_index, inside,
                                child_must_move, False))
            stack.extend(reversed(entries))  # the leftmost child finishes first
            continue
        own = 1 + max((height[id(child)] for _, _, child in _children(node)), default=0)
        if (may_move and parent is not None and (own >= PIECE_DEPTH or must_move)
                and _may_be_named(node, parent)):
            variable = fresh()
            pieces.append(ast.Assign(targets=[ast.Name(id=variable, ctx=ast.Store())],
                                     value=node, lineno=getattr(node, 'lineno', 1)))
            replacement = ast.copy_location(ast.Name(id=variable, ctx=ast.Load()), node)
            _replace(parent, field, index, replacement)
            own, node = 1, replacement
        height[id(node)] = own
    return pieces, root


def _heights(root: ast.AST) -> dict[int, int]:
    """The height of every node under ``root``, by id, without recursion."""
    heights: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        children = [child for _, _, child in _children(node)]
        if done:
            heights[id(node)] = 1 + max((heights[id(c)] for c in children), default=0)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
    return heights


def _children(node: ast.AST):
    """``(field, index, child)`` for each child node, in the order Python evaluates them."""
    if isinstance(node, ast.Dict):  # k1, v1, k2, v2: a key and its value in turn
        for index, (key, value) in enumerate(zip(node.keys, node.values)):
            if key is not None:
                yield 'keys', index, key
            yield 'values', index, value
        return
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield field, index, item
        elif isinstance(value, ast.AST):
            yield field, None, value


def _may_be_named(node: ast.AST, parent: ast.AST | None) -> bool:
    """Whether ``node`` is a value a variable can stand for where it is."""
    if not isinstance(node, ast.expr) or isinstance(node, (ast.Starred, ast.Slice)) \
            or isinstance(parent, ast.JoinedStr) \
            or not isinstance(getattr(node, 'ctx', ast.Load()), ast.Load):
        return False
    return not isinstance(parent, (ast.comprehension, ast.arguments))


def _replace(parent: ast.AST, field: str, index: int | None, new: ast.expr) -> None:
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new

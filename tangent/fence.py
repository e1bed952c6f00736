"""The fence: reject Python outside the supported subset (layer L2).

Requires: a parsed FunctionDef with line numbers of the user's file.
Guarantees: every construct left is one the later passes handle; anything
else raised a ``TangentParseError`` naming the construct, ``file:line``,
quoting the line and saying what to do instead.
"""

from __future__ import annotations

import linecache

import gast

from tangent import annotations as anno
from tangent.annotations import Key
from tangent.errors import TangentParseError

# node type -> (what to call it, the way out)
UNSUPPORTED_NODES = {
    gast.Try: ('try/except', 'move the error handling outside the differentiated function'),
    gast.With: ('a with statement', 'only "with insert_grad_of(x) as dx:" is supported'),
    gast.Yield: ('yield (a generator)', 'return a value instead'),
    gast.YieldFrom: ('yield from (a generator)', 'return a value instead'),
    gast.Await: ('await', 'differentiate a synchronous function'),
    gast.AsyncFor: ('async for', 'differentiate a synchronous function'),
    gast.AsyncWith: ('async with', 'differentiate a synchronous function'),
    gast.AsyncFunctionDef: ('an async function', 'differentiate a synchronous function'),
    gast.Global: ('a global statement', 'pass the value in as an argument and return it'),
    gast.Nonlocal: ('a nonlocal statement', 'pass the value in as an argument and return it'),
    gast.Delete: ('del', 'leave the variable in place (it does no harm)'),
    gast.ClassDef: ('a class definition inside the function', 'define the class at module level'),
    gast.Import: ('an import inside the function', 'import at module level'),
    gast.ImportFrom: ('an import inside the function', 'import at module level'),
    gast.NamedExpr: ('an assignment expression (:=)', 'assign in a separate statement'),
    gast.Match: ('a match statement', 'use if/elif/else'),
    gast.SetComp: ('a set comprehension', 'write the loop out'),
    gast.DictComp: ('a dict comprehension', 'write the loop out'),
}

# Constructs rejected by a check of their context rather than their node type.
FOR_ELSE = ('for ... else', 'move the else block after the loop behind a flag')
WHILE_ELSE = ('while ... else', 'move the else block after the loop behind a flag')
RETURN_IN_LOOP = ('return inside a loop',
                  'assign the value to a variable, leave the loop, and return after it')
STARRED_TARGET = ('a starred assignment target (a, *rest = ...)', 'index the sequence explicitly')
ATTRIBUTE_TARGET = ('assignment to an attribute',
                    'compute the value into a variable and return it')
NESTED_SUBSCRIPT_TARGET = ('assignment into a nested subscript (x[i][j] = ...)',
                           'index with one subscript (x[i, j] = ...) or rebuild the inner value')
KWARGS_CALL = ('a **kwargs call argument', 'pass the keyword arguments one by one')
KWARGS_PARAMETER = ('a **kwargs parameter', 'name each keyword parameter')
# Found when differentiation reaches a function already being differentiated.
RECURSION = ('recursion (a function calling itself)', 'rewrite the recursion as a loop')


def unsupported_constructs() -> list[tuple[str, str]]:
    """Every construct the fence rejects, as (name, way out), for the docs page."""
    context_checks = [FOR_ELSE, WHILE_ELSE, RETURN_IN_LOOP, STARRED_TARGET, ATTRIBUTE_TARGET,
                      NESTED_SUBSCRIPT_TARGET, KWARGS_CALL, KWARGS_PARAMETER, RECURSION]
    return list(dict.fromkeys([*UNSUPPORTED_NODES.values(), *context_checks]))


class Fence(gast.NodeVisitor):
    """Walks a function and raises on the first construct outside the subset."""

    def __init__(self, filename: str, function_name: str):
        self.filename = filename
        self.function_name = function_name
        self.loop_depth = 0

    def fail(self, node: gast.AST, construct: str, way_out: str) -> None:
        lineno = getattr(node, 'lineno', None)
        line = linecache.getline(self.filename, lineno) if lineno else None
        raise TangentParseError(
            f'{construct} is not supported in differentiated code (in '
            f'{self.function_name}); {way_out}.', self.filename, lineno, line)

    def check(self, fdef: gast.FunctionDef) -> None:
        if isinstance(fdef, gast.AsyncFunctionDef):
            self.fail(fdef, *UNSUPPORTED_NODES[gast.AsyncFunctionDef])
        args = fdef.args
        if args.kwarg is not None:
            self.fail(fdef, *KWARGS_PARAMETER)
        for statement in fdef.body:
            self.visit(statement)

    def generic_visit(self, node):
        entry = UNSUPPORTED_NODES.get(type(node))
        if entry is not None and not self._allowed(node):
            self.fail(node, *entry)
        if isinstance(node, gast.With):
            return  # its body runs in the backward pass as written: anything goes
        super().generic_visit(node)

    def _allowed(self, node) -> bool:
        if isinstance(node, gast.With):
            return _is_insert_grad_of(node)
        return False

    def visit_For(self, node):
        if node.orelse:
            self.fail(node, *FOR_ELSE)
        self._loop(node)

    def visit_While(self, node):
        if node.orelse:
            self.fail(node, *WHILE_ELSE)
        self._loop(node)

    def _loop(self, node):
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    def visit_Return(self, node):
        if self.loop_depth:
            self.fail(node, *RETURN_IN_LOOP)
        self.generic_visit(node)

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target)
        self.generic_visit(node)

    def _target(self, target):
        for child in gast.walk(target):
            if isinstance(child, gast.Starred):
                self.fail(target, *STARRED_TARGET)
            if isinstance(child, gast.Attribute) and isinstance(child.ctx, gast.Store):
                self.fail(target, *ATTRIBUTE_TARGET)
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Subscript):
            self.fail(target, *NESTED_SUBSCRIPT_TARGET)

    def visit_Call(self, node):
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail(node, *KWARGS_CALL)
        self.generic_visit(node)


def _is_insert_grad_of(node: gast.With) -> bool:
    if len(node.items) != 1 or node.items[0].optional_vars is None:
        return False
    expr = node.items[0].context_expr
    if not isinstance(expr, gast.Call) or len(expr.args) != 1 or \
            not isinstance(expr.args[0], gast.Name):
        return False
    func = anno.get(expr.func, Key.FUNC)
    return getattr(func, '__name__', None) == 'insert_grad_of'


def check(fdef: gast.FunctionDef, filename: str, function_name: str) -> None:
    """Raise ``TangentParseError`` if ``fdef`` uses an unsupported construct."""
    Fence(filename, function_name).check(fdef)

"""The fence: reject Python outside the supported subset (layer L2).

Requires: a parsed FunctionDef with line numbers of the user's file.
Guarantees: every construct left is one the later passes handle; anything
else raised a ``TangentParseError`` naming the construct, ``file:line``,
quoting the line and saying what to do instead.
"""

from __future__ import annotations

import linecache
import types

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
NONLOCAL_WRITE = ('writing into a global or closure variable (X[i] = ... or X.append(...) '
                  'with X not local)',
                  'copy it into a local variable first (x = np.copy(X), or list(X)) and '
                  'return what the caller needs')
ALIASED_WRITE = ('writing into an array that another variable also refers to '
                 '(y = x or y = x[i] then y[j] = ...)',
                 'make the copy explicit before writing into it: y = np.copy(x)')
IN_PLACE_CALL = ('a call that changes an array or list in place (x.sort(), x.fill(...), '
                 'l.extend(...), np.copyto, out=...)',
                 'use the function that returns a new value (np.sort(x), np.full_like(x, v), '
                 'l = l + [...]) and assign it')
KWARGS_CALL = ('a **kwargs call argument', 'pass the keyword arguments one by one')
KWARGS_PARAMETER = ('a **kwargs parameter', 'name each keyword parameter')
# Methods of arrays, lists and dicts that change their receiver (append is supported
# on local lists).
IN_PLACE_METHODS = frozenset({
    'sort', 'fill', 'resize', 'put', 'itemset', 'partition', 'setfield', 'byteswap',
    'extend', 'insert', 'remove', 'reverse', 'clear', 'update', 'setdefault', 'popitem', 'pop'})
IN_PLACE_FUNCTIONS = frozenset({'copyto', 'put', 'place', 'putmask', 'fill_diagonal',
                                'put_along_axis'})
# Found when differentiation reaches a function already being differentiated.
RECURSION = ('recursion (a function calling itself)', 'rewrite the recursion as a loop')


def unsupported_constructs() -> list[tuple[str, str]]:
    """Every construct the fence rejects, as (name, way out), for the docs page."""
    context_checks = [FOR_ELSE, WHILE_ELSE, RETURN_IN_LOOP, STARRED_TARGET, ATTRIBUTE_TARGET,
                      NESTED_SUBSCRIPT_TARGET, NONLOCAL_WRITE, ALIASED_WRITE, IN_PLACE_CALL,
                      KWARGS_CALL, KWARGS_PARAMETER, RECURSION]
    return list(dict.fromkeys([*UNSUPPORTED_NODES.values(), *context_checks]))


class Fence(gast.NodeVisitor):
    """Walks a function and raises on the first construct outside the subset."""

    def __init__(self, filename: str, function_name: str, generated: bool = False):
        self.filename = filename
        self.function_name = function_name
        # Derivatives tangent wrote copy an adjoint before updating it in place and pop
        # their own lists: what the alias and in-place checks guard against is not there.
        self.generated = generated
        self.loop_depth = 0
        self.aliased_writes: set[int] = set()  # ids of writes through a shared object

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
        self.aliased_writes = set() if self.generated else _aliased_writes(fdef)
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
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            if anno.has(target.value, Key.FUNC):  # resolved to a global or closure value
                self.fail(target, *NONLOCAL_WRITE)
            if id(target) in self.aliased_writes:
                self.fail(target, *ALIASED_WRITE)

    def visit_Call(self, node):
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail(node, *KWARGS_CALL)
            if keyword.arg == 'out':
                self.fail(node, *IN_PLACE_CALL)
        func = node.func
        value = anno.get(func, Key.FUNC)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            receiver = anno.get(func.value, Key.FUNC)
            if value is None and func.attr in IN_PLACE_METHODS and not self.generated:
                self.fail(node, *IN_PLACE_CALL)
            if func.attr == 'append' and receiver is not None and \
                    not isinstance(receiver, types.ModuleType):
                self.fail(node, *NONLOCAL_WRITE)
        if value is not None and getattr(value, '__name__', None) in IN_PLACE_FUNCTIONS and \
                (getattr(value, '__module__', '') or '').startswith('numpy'):
            self.fail(node, *IN_PLACE_CALL)
        self.generic_visit(node)


def _aliased_writes(fdef: gast.FunctionDef) -> set[int]:
    """The subscript writes (ids of their targets) into an object another name may
    also refer to, found by a may-alias analysis in statement order.

    ``y = x`` makes both names one object; ``y = x[i]`` and ``y = x.T`` may
    be views of it; a loop over a sequence binds views of its rows. Any other
    assignment gives a name an object of its own. A write through a shared
    object changes what the other names read, which the derivative (one value
    per name) cannot follow.
    """
    found: set[int] = set()
    # Lists and dicts built here: replacing an item (c[i] = v) changes no object a
    # name read from it holds, as writing into an array's rows would.
    built, other = set(), set()
    for node in gast.walk(fdef):
        if isinstance(node, gast.Assign):
            kind = built if isinstance(node.value, (gast.List, gast.Dict, gast.ListComp,
                                                    gast.DictComp)) else other
            kind.update(t.id for t in node.targets if isinstance(t, gast.Name))
    containers = built - other

    def sharing(derived, source, whole):
        """The names sharing an object after ``derived`` is read from ``source``."""
        if whole or source not in containers:
            return {derived, source}
        return {derived}

    def block(statements, aliased, report):
        for stmt in statements:
            aliased = statement(stmt, aliased, report)
        return aliased

    def statement(stmt, aliased, report):
        if isinstance(stmt, (gast.Assign, gast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            for target in targets:
                if report and isinstance(target, gast.Subscript) and \
                        isinstance(target.value, gast.Name) and target.value.id in aliased:
                    found.add(id(target))
            if isinstance(stmt, gast.Assign):
                names = {t.id for t in stmt.targets if isinstance(t, gast.Name)}
                source = stmt.value
                while isinstance(source, (gast.Subscript, gast.Attribute)):
                    source = source.value
                if isinstance(stmt.value, (gast.Name, gast.Subscript, gast.Attribute)) and \
                        isinstance(source, gast.Name) and not anno.has(source, Key.FUNC):
                    whole = isinstance(stmt.value, gast.Name)
                    shared = set()
                    for derived in names:
                        shared |= sharing(derived, source.id, whole)
                    return (aliased - names) | shared
                if isinstance(stmt.value, (gast.List, gast.Tuple, gast.Dict)):
                    items = stmt.value.values if isinstance(stmt.value, gast.Dict) \
                        else stmt.value.elts
                    held = {item.id for item in items if isinstance(item, gast.Name)}
                    if held:  # [v, w] holds v itself: writing into v changes the item
                        return (aliased - names) | held
                return aliased - names  # a new object of their own
            return aliased
        if isinstance(stmt, gast.If):
            return block(stmt.body, aliased, report) | block(stmt.orelse, aliased, report)
        if isinstance(stmt, (gast.For, gast.While)):
            if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name) and \
                    isinstance(stmt.iter, gast.Name):
                aliased = aliased | sharing(stmt.target.id, stmt.iter.id, False)
            entry = aliased
            while True:  # the state at the loop's head, over any number of iterations
                after = block(stmt.body, entry, False)
                if after <= entry:
                    break
                entry = entry | after
            return block(stmt.body, entry, report) | entry
        return aliased

    block(fdef.body, frozenset(), True)
    return found

def _is_insert_grad_of(node: gast.With) -> bool:
    if len(node.items) != 1 or node.items[0].optional_vars is None:
        return False
    expr = node.items[0].context_expr
    if not isinstance(expr, gast.Call) or len(expr.args) != 1 or \
            not isinstance(expr.args[0], gast.Name):
        return False
    func = anno.get(expr.func, Key.FUNC)
    return getattr(func, '__name__', None) == 'insert_grad_of'


def check(fdef: gast.FunctionDef, filename: str, function_name: str,
          generated: bool = False) -> None:
    """Raise ``TangentParseError`` if ``fdef`` uses an unsupported construct.

    ``generated``: ``fdef`` is a derivative tangent wrote (higher order).
    """
    Fence(filename, function_name, generated).check(fdef)

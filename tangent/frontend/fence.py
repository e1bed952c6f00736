"""The fence: reject Python outside the supported subset.

Requires: a parsed FunctionDef with line numbers of the user's file.
Guarantees: every construct left is one the later passes handle; anything
else raised a ``TangentParseError`` naming the construct, ``file:line``,
quoting the line and saying what to do instead.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import operator
import sys
import types

import gast

from tangent import errors
from tangent.errors import TangentParseError
from tangent.rules import non_differentiable, policy
from tangent.syntax import annotations as anno, transformers
from tangent.syntax.annotations import Key

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
# x.flat[i], x.T[i], x.real[i] and self.w[i] write into x (or self) through a view.
DERIVED_SUBSCRIPT_TARGET = ('assignment into a subscript of an attribute or a call '
                            '(x.flat[i] = ..., x.T[i] = ..., self.w[i] = ...)',
                            'write into a local variable itself (x[i] = ...), or build a new '
                            'array and assign it')
NONLOCAL_WRITE = ('writing into a global or closure variable (X[i] = ... or X.append(...) '
                  'with X not local)',
                  'copy it into a local variable first (x = np.copy(X), or list(X)) and '
                  'return what the caller needs')
ALIASED_WRITE = ('writing into an array that another variable also refers to '
                 '(y = x or y = x[i] then y[j] = ...)',
                 'make the copy explicit before writing into it: y = np.copy(x)')
AUGMENTED_ALIAS = ('an augmented assignment (y += v) to an array or list that another '
                   'variable also refers to and reads afterwards (z = y or y = x[i], then '
                   'y += v)',
                   'write y = y + v, which makes a new array and leaves the other variable '
                   'as it was, or copy first (z = np.copy(y)) if both should change')
IN_PLACE_CALL = ('a call that changes an array or list in place (x.sort(), x.fill(...), '
                 'l.extend(...), np.copyto, np.add.at, rs.shuffle(x), out=...)',
                 'use the function that returns a new value (np.sort(x), np.full_like(x, v), '
                 'l = l + [...]) and assign it')
COMPLEX_LITERAL = ('a complex literal (2j, 1 + 2j)',
                   'tangent differentiates real numbers only (a complex intermediate would '
                   'give a wrong real gradient); hold the real and imaginary parts in real '
                   'variables')
KWARGS_CALL = ('a **kwargs call argument', 'pass the keyword arguments one by one')
# Methods of arrays, lists and dicts that change their receiver (append is supported
# on local lists).
IN_PLACE_METHODS = frozenset({
    'sort', 'fill', 'resize', 'put', 'itemset', 'partition', 'setfield', 'byteswap',
    'extend', 'insert', 'remove', 'reverse', 'clear', 'update', 'setdefault', 'popitem', 'pop',
    'shuffle', '__setitem__', '__delitem__', '__setattr__', '__delattr__',
    *(f'__i{operation}__' for operation in ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod',
                                            'pow', 'matmul', 'and', 'or', 'xor', 'lshift',
                                            'rshift', 'concat'))})
# The function spellings of in-place statements: operator.iadd(y, v) is y += v.
IN_PLACE_OPERATORS = frozenset({
    operator.setitem, operator.delitem, operator.iadd, operator.isub, operator.imul,
    operator.itruediv, operator.ifloordiv, operator.imod, operator.ipow, operator.imatmul,
    operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift,
    operator.iconcat})
# NumPy functions, and methods of random generators, that change an argument in place.
IN_PLACE_FUNCTIONS = frozenset({'copyto', 'put', 'place', 'putmask', 'fill_diagonal',
                                'put_along_axis', 'shuffle'})
# Found when differentiation reaches a function already being differentiated.
RECURSION = ('recursion (a function calling itself)', 'rewrite the recursion as a loop')
# Functions that read or run code against the frame: what they touch is invisible to
# the transformation, so their results would carry no derivative (a silent zero).
FRAME_ACCESS = ('code that reads the frame or runs source text (eval, exec, compile, '
                'locals(), globals(), vars(), __import__, sys._getframe, '
                'inspect.currentframe)',
                'write the computation as ordinary expressions on the variables '
                'themselves (obj.attr instead of vars(obj)[...]), and import at module level')
FRAME_FUNCTIONS = {
    id(builtins.eval): 'eval', id(builtins.exec): 'exec', id(builtins.compile): 'compile',
    id(builtins.locals): 'locals()', id(builtins.globals): 'globals()',
    id(builtins.vars): 'vars()', id(builtins.__import__): '__import__',
    id(sys._getframe): 'sys._getframe', id(inspect.currentframe): 'inspect.currentframe',
    id(inspect.stack): 'inspect.stack',
}
# setattr/delattr write attributes as an assignment to an attribute would.
ATTRIBUTE_FUNCTIONS = {id(builtins.setattr): 'setattr', id(builtins.delattr): 'delattr'}


def unsupported_constructs() -> list[tuple[str, str]]:
    """Every construct the fence rejects, as (name, way out), for the docs page."""
    context_checks = [FOR_ELSE, WHILE_ELSE, RETURN_IN_LOOP, STARRED_TARGET, ATTRIBUTE_TARGET,
                      NESTED_SUBSCRIPT_TARGET, DERIVED_SUBSCRIPT_TARGET, NONLOCAL_WRITE,
                      ALIASED_WRITE, AUGMENTED_ALIAS,
                      IN_PLACE_CALL,
                      KWARGS_CALL, RECURSION, FRAME_ACCESS, COMPLEX_LITERAL]
    return list(dict.fromkeys([*UNSUPPORTED_NODES.values(), *context_checks]))


class Fence(transformers.NodeVisitor):
    """Walks a function and raises on the first construct outside the subset."""

    def __init__(self, filename: str, function_name: str, generated: bool = False):
        self.filename = filename
        self.function_name = function_name
        # Derivatives tangent wrote copy an adjoint before updating it in place and pop
        # their own lists: what the alias and in-place checks guard against is not there.
        self.generated = generated
        self.loop_depth = 0
        self.aliased_writes: dict[int, tuple] = {}  # writes through a shared object

    def fail(self, node: gast.AST, construct: str, way_out: str) -> None:
        lineno = getattr(node, 'lineno', None)
        line = linecache.getline(self.filename, lineno) if lineno else None
        raise TangentParseError(
            f'{construct} is not supported in differentiated code (in '
            f'{self.function_name}); {way_out}.', self.filename, lineno, line)

    def check(self, fdef: gast.FunctionDef) -> None:
        if isinstance(fdef, gast.AsyncFunctionDef):
            self.fail(fdef, *UNSUPPORTED_NODES[gast.AsyncFunctionDef])
        plan = None if self.generated else _aliased_writes(fdef)
        self.aliased_writes = plan.rejected if plan is not None else {}
        for statement in fdef.body:
            self.visit(statement)
        if plan is not None:
            _insert_checks(plan, self.filename)

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

    def visit_Constant(self, node):
        if isinstance(node.value, complex):
            self.fail(node, *COMPLEX_LITERAL)

    def visit_Name(self, node):
        self._frame_access(node)

    def visit_Attribute(self, node):
        self._frame_access(node)
        self.generic_visit(node)

    def _frame_access(self, node):
        """Any reference to eval, locals, sys._getframe, ... (an alias, e = eval, or a
        global bound to one, is the same object): calling it through the reference
        would read or run code the derivative never sees."""
        value = anno.get(node, Key.FUNC, None)
        if value is None or self.generated:
            return
        which = FRAME_FUNCTIONS.get(id(value))
        if which is not None and value is _frame_function(which):
            construct, way_out = FRAME_ACCESS
            self.fail(node, f'{which}: {construct}', way_out)
        which = ATTRIBUTE_FUNCTIONS.get(id(value))
        if which is not None and value is getattr(builtins, which):
            construct, way_out = ATTRIBUTE_TARGET
            self.fail(node, f'{which}: {construct}', way_out)

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
        for child in anno.walk(target):
            if isinstance(child, gast.Starred):
                self.fail(target, *STARRED_TARGET)
            if isinstance(child, gast.Attribute) and isinstance(child.ctx, gast.Store):
                self.fail(target, *ATTRIBUTE_TARGET)
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Subscript):
            self.fail(target, *NESTED_SUBSCRIPT_TARGET)
        if isinstance(target, gast.Subscript) and \
                not isinstance(target.value, (gast.Name, gast.Subscript)):
            self.fail(target, *DERIVED_SUBSCRIPT_TARGET)
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            if anno.has(target.value, Key.FUNC):  # resolved to a global or closure value
                self.fail(target, *NONLOCAL_WRITE)
            if id(target) in self.aliased_writes:
                self.fail(target, *self.aliased_writes[id(target)])

    def visit_Call(self, node):
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail(node, *KWARGS_CALL)
            if keyword.arg == 'out':
                self.fail(node, *IN_PLACE_CALL)
        func = node.func
        value = anno.get(func, Key.FUNC)
        if id(func) in self.aliased_writes:  # l.append(v) with another name for l
            self.fail(node, *self.aliased_writes[id(func)])
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            receiver = anno.get(func.value, Key.FUNC)
            if value is None and func.attr in IN_PLACE_METHODS and not self.generated:
                self.fail(node, *IN_PLACE_CALL)
            if func.attr == 'append' and receiver is not None and \
                    not isinstance(receiver, types.ModuleType):
                self.fail(node, *NONLOCAL_WRITE)
        if value is not None and getattr(value, '__name__', None) in IN_PLACE_FUNCTIONS and \
                ((getattr(value, '__module__', '') or '').startswith('numpy')
                 or policy.draws_random_numbers(value)):
            self.fail(node, *IN_PLACE_CALL)
        if value is not None and _is_ufunc_at(value):
            self.fail(node, *IN_PLACE_CALL)
        if value is not None and not self.generated and _is_in_place_operator(value):
            self.fail(node, *IN_PLACE_CALL)
        self.generic_visit(node)


def _appended_list(stmt: gast.Expr) -> gast.Attribute | None:
    """``l.append`` of a statement ``l.append(v)`` on a local name, else None."""
    call = stmt.value
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
            call.func.attr == 'append' and isinstance(call.func.value, gast.Name):
        return call.func
    return None


def _is_runtime_function(value) -> bool:
    """A helper of tangent's own (a check, a tape operation): never returns an alias."""
    return (getattr(value, '__module__', None) or '').startswith('tangent.')


def _is_in_place_operator(value) -> bool:
    try:
        return value in IN_PLACE_OPERATORS
    except TypeError:  # an unhashable callable is none of them
        return False


def _is_ufunc_at(value) -> bool:
    """``np.add.at`` and the other ufuncs' ``at``: they add into their first argument in
    place and return None, so a derivative would never see what they wrote."""
    receiver = getattr(value, '__self__', None)
    return getattr(value, '__name__', None) == 'at' and receiver is not None and \
        type(receiver).__name__ == 'ufunc' and \
        (type(receiver).__module__ or '').startswith('numpy')


class _AliasPlan:
    """What the alias analysis found: writes to reject now, checks to run."""

    def __init__(self):
        self.rejected: dict[int, tuple[str, str]] = {}  # id(target) -> construct
        # (statement list, anchor statement or None for the list's start, 'before' or
        # 'after', name checked, errors function, construct, way out, written line)
        self.checks: dict[tuple, tuple] = {}


# Array attributes that are numbers about the array (not views of its values).
_SHAPE_ATTRIBUTES = frozenset({'shape', 'ndim', 'size', 'dtype', 'itemsize', 'nbytes',
                               'strides'})


def _aliased_writes(fdef: gast.FunctionDef) -> _AliasPlan:
    """Writes into an object another name may also refer to, found by a may-alias
    analysis in statement order.

    The state is a set of pairs ``(derived, source, kind)``: ``y = x`` makes
    ``('y', 'x', 'same')``, one object; ``y = x[i]``, ``y = x.T`` and
    ``for y in x`` make ``('y', 'x', 'part')``, which is a view of ``x`` when
    ``x`` has more dimensions than the index takes away and an independent
    number otherwise (known only at run time); ``l = [v]`` makes
    ``('v', 'l', 'held')``. Rebinding a name ends its pairs; ``w = w``
    changes nothing.

    A subscript write ``y[j] = v`` through a name sharing an object is rejected
    (the derivative keeps one value per name); a write into ``x`` with a part
    ``y`` of it gets a run-time check where ``y`` is bound that ``y`` is not a
    view of ``x`` (a number read from a vector is no alias, nor an item of a
    list whose slot is replaced).

    ``y += v`` changes an array, list or dict in place and rebinds a number,
    tuple or string; it matters only when a partner is read afterwards, and
    then by the kind of pair: the same object or an item held in a container
    (``z = y``, ``l = [y]``): a check before the ``+=`` raises if ``y`` is an
    array, list or dict; ``y`` a part of ``x`` (``y = x[i]``, ``for y in x``):
    a check where ``y`` is read raises if ``y`` is an item or a view of ``x``
    that += changes (not a number, nor the copy ``x[1:]`` of a list); ``x`` a
    part of ``y``: a check where ``x`` is read raises if ``x`` is a view of the
    array ``y`` (a list extended keeps its items); ``y`` a container holding
    ``v`` (``y = [v]``): nothing, extending ``y`` leaves ``v`` as it was.

    ``y = f(x, ...)`` makes ``('y', 'x', 'call')`` for each local name passed
    (and a method's receiver): the result may be ``x`` itself or share its
    memory (``np.asarray``, ``np.reshape``, ``np.squeeze``, ``x.view()``) or be
    new (``np.sin(x)``), which only the run time tells. A write into either, or
    ``+=`` on either while the other is read later, gets a run-time check
    where ``y`` is bound that the two share no memory.
    """
    plan = _AliasPlan()
    built, other = set(), set()
    for node in anno.statements(fdef):
        if isinstance(node, gast.Assign):
            kind = built if isinstance(node.value, (gast.List, gast.Dict, gast.ListComp,
                                                    gast.DictComp)) else other
            kind.update(t.id for t in node.targets if isinstance(t, gast.Name))
    containers = built - other

    def reads(nodes) -> set:
        return {n.id for node in nodes for n in anno.walk(node)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}

    def drop(state, names):
        return frozenset(p for p in state if p[0] not in names and p[1] not in names)

    def derive(state, derived, source, kind, origin):
        """Pairs after ``derived`` is read from ``source`` (whole or a part of it)."""
        new = {(derived, source, kind, origin)}
        for d, src, k, o in state:
            if kind == 'same':  # derived is source: it inherits source's pairs
                if d == source:
                    new.add((derived, src, k, o))
                if src == source:
                    new.add((d, derived, k, o))
            elif k == 'same' and source in (d, src):  # a part of source's other names
                new.add((derived, src if d == source else d, 'part', origin))
            elif k == 'part' and d == source:  # a part of a part
                new.add((derived, src, 'part', origin))
            elif k == 'call' and d == source:  # a part of what may share src's memory
                new.add((derived, src, 'call', at_call(origin, derived, src)))
            elif k == 'held' and src == source:  # an item of l = [v, ...] may be v itself
                new.add((derived, d, 'same', origin))
        return frozenset(new)

    def chain_root(value):
        node = value
        attribute_only = isinstance(value, gast.Attribute)
        while isinstance(node, (gast.Subscript, gast.Attribute)):
            node = node.value
        if not isinstance(node, gast.Name) or anno.has(node, Key.FUNC):
            return None
        if attribute_only and value.attr in _SHAPE_ATTRIBUTES:
            return None
        return node.id

    def check(where, anchor, position, names, function, construct, line):
        key = (id(where), id(anchor), position, names, function)
        plan.checks.setdefault(key, (where, anchor, position, names, function, construct,
                                     line))

    # An origin is where a pair ``(derived, source, 'part')`` began: the place in the
    # code and the names bound there that show, when it runs, what the part is (the
    # part and the whole it was read from; the whole is None when the statement
    # rebinds it, as in x = x[0]). Pairs hold the key: lists cannot be in a frozenset.
    origins: dict[tuple, tuple] = {}

    def at(where, anchor, position, part, whole) -> tuple:
        key = (id(anchor) if anchor is not None else id(where), part, whole)
        origins[key] = (where, anchor, position)
        return key

    def at_call(origin, part, whole) -> tuple:
        """An origin for ``(part, whole, 'call')`` at the place ``origin`` names."""
        key = (origin[0], part, whole)
        origins[key] = origins[origin]
        return key

    def shared_memory_check(origin, line, construct):
        """Raise where the pair of ``origin`` is bound if the two share memory."""
        where, anchor, position = origins[origin]
        check(where, anchor, position, origin[1:], check_not_view_of, construct, line)

    def view_check(origin, line, construct):
        """The whole ``origin`` read from changes in place (``x[j] = v``, or ``x += v``
        when it is an array): raise where the part is bound if it is a view."""
        where, anchor, position = origins[origin]
        _, part, whole = origin
        if whole is None:
            check(where, anchor, position, (part,), errors.check_not_view, construct, line)
        else:
            check(where, anchor, position, (part, whole), check_not_view_of, construct,
                  line)

    def block(statements, state, report, later):
        read_after = [frozenset()] * len(statements)  # names read after each statement
        names = set(later)
        for index in range(len(statements) - 1, -1, -1):
            read_after[index] = frozenset(names)
            names |= reads([statements[index]])
        for stmt, after in zip(statements, read_after):
            state = statement(stmt, state, report, after, statements)
        return state

    def write_into(target, state, report):
        """A subscript write into the object ``target.value`` names."""
        name = target.value.id
        for d, src, kind, origin in state:
            if kind == 'call' and name in (d, src):
                if report:
                    shared_memory_check(origin, target.lineno, ALIASED_WRITE)
            elif d == name or (src == name and kind == 'same'):
                if report:
                    plan.rejected[id(target)] = ALIASED_WRITE
            elif src == name and kind == 'part' and name not in containers and report:
                view_check(origin, target.lineno, ALIASED_WRITE)

    def extend_into(receiver, state):
        """``l.append(v)``: the list ``receiver`` names grows; another name for the
        same list, or one it was read from (a row of a list of lists), sees it grow."""
        name = receiver.value.id
        for d, src, kind, origin in state:
            if d == name and kind == 'part' and origin[2] is not None:
                # l = rows[i] is a row of rows, l = rows[:] a copy: the run time tells
                where, anchor, position = origins[origin]
                check(where, anchor, position, origin[1:], check_part_not_shared,
                      ALIASED_WRITE, receiver.lineno)
            elif d == name and kind in ('same', 'part') or src == name and kind == 'same':
                plan.rejected[id(receiver)] = ALIASED_WRITE

    def augmented(stmt, name, state, after, statements):
        """``name += v`` with the pairs of ``state``; ``after``: the names read later.

        In place only for a mutable ``name`` (an array; a list or dict extended; a
        number, tuple or string is rebound), and then it changes another name only
        when that name is the same object, a view of the array, or holds it."""
        for d, src, kind, origin in state:
            partner = src if d == name else d if src == name else None
            if partner is None or partner == name or partner not in after:
                continue
            if kind == 'held' and src == name:
                continue  # extending a list leaves the items it holds as they were
            if kind == 'call':
                shared_memory_check(origin, stmt.lineno, AUGMENTED_ALIAS)
                continue
            if kind == 'part' and src == name:  # d is read from name: a view of an array?
                view_check(origin, stmt.lineno, AUGMENTED_ALIAS)
            elif kind == 'part' and origin[2] is not None:
                # name is read from src: where it is read, tell an item or a view of the
                # whole (changed by +=) from a copy (x[1:] of a list) or a number
                where, anchor, position = origins[origin]
                check(where, anchor, position, origin[1:], check_part_not_shared,
                      AUGMENTED_ALIAS, stmt.lineno)
            else:  # the same object, held in a container, or a part of a rebound whole
                check(statements, stmt, 'before', (name,), errors.check_not_aliased,
                      AUGMENTED_ALIAS, stmt.lineno)

    def call_pairs(stmt, names, state, statements) -> frozenset:
        """``(target, partner, 'call')`` for ``targets = f(x, ...)``: each local array
        passed (or whose method is called) may come back as the result or inside it,
        and so may whatever shared memory with it, if the call rebinds it."""
        call = stmt.value
        if _is_runtime_function(anno.get(call.func, Key.FUNC)):
            return frozenset()
        passed = [arg for arg in call.args if isinstance(arg, gast.Name)]
        if isinstance(call.func, gast.Attribute):
            passed.append(call.func.value)
        partners = set()
        for arg in passed:
            source = chain_root(arg)
            if source is None:
                continue
            if source not in names:
                partners.add(source)
            else:  # x = f(x): what x shared memory with, the result may share too
                partners.update(src if d == source else d for d, src, kind, _ in state
                                if source in (d, src) and kind != 'held')
        targets = {n.id for t in stmt.targets for n in anno.walk(t)
                   if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        return frozenset((target, partner, 'call', at(statements, stmt, 'after', target,
                                                      partner))
                         for target in targets for partner in partners - names)

    def statement(stmt, state, report, after, statements):
        if isinstance(stmt, (gast.Assign, gast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    write_into(target, state, report)
            if isinstance(stmt, gast.AugAssign):
                if isinstance(stmt.target, gast.Name) and report:
                    augmented(stmt, stmt.target.id, state, after, statements)
                return state  # an array keeps its partners; a number has none to keep
            names = {n.id for t in stmt.targets for n in anno.walk(t)
                     if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
            source = chain_root(stmt.value) if isinstance(
                stmt.value, (gast.Name, gast.Subscript, gast.Attribute)) else None
            if source is not None:
                whole = isinstance(stmt.value, gast.Name)
                if whole and names == {source}:
                    return state  # w = w
                new = drop(state, names - {source})
                read = None if source in names else source  # the whole, if still bound
                if source in names:  # x = x[0]: now a part of what x shared an object with
                    origin = at(statements, stmt, 'after', source, None)
                    new = drop(new, {source}) | {
                        (source, src if d == source else d, 'part', origin)
                        for d, src, kind, _ in new if source in (d, src) and kind != 'held'}
                for target in stmt.targets:
                    if isinstance(target, gast.Name) and target.id != source:
                        new = derive(new, target.id, source, 'same' if whole else 'part',
                                     at(statements, stmt, 'after', target.id, read))
                    elif isinstance(target, (gast.Tuple, gast.List)):  # a, b = x: rows
                        for item in target.elts:
                            if isinstance(item, gast.Name) and item.id != source:
                                new = derive(new, item.id, source, 'part',
                                             at(statements, stmt, 'after', item.id, read))
                return new
            new = drop(state, names)
            if isinstance(stmt.value, gast.Call):
                new = new | call_pairs(stmt, names, state, statements)
            if isinstance(stmt.value, (gast.List, gast.Tuple, gast.Dict)):
                items = stmt.value.values if isinstance(stmt.value, gast.Dict) \
                    else stmt.value.elts
                held = {item.id for item in items if isinstance(item, gast.Name)}
                # [v, w] holds v itself: writing into v changes the item
                new = new | {(h, t, 'held', None) for h in held for t in names}
            return new
        if isinstance(stmt, gast.Expr) and report:
            appended = _appended_list(stmt)
            if appended is not None:
                extend_into(appended, state)
            return state
        if isinstance(stmt, gast.If):
            return block(stmt.body, state, report, after) | \
                block(stmt.orelse, state, report, after)
        if isinstance(stmt, (gast.For, gast.While)):
            if isinstance(stmt, gast.For):
                targets = {n.id for n in anno.walk(stmt.target) if isinstance(n, gast.Name)}
                state = drop(state, targets)
                if isinstance(stmt.target, gast.Name) and isinstance(stmt.iter, gast.Name) \
                        and not anno.has(stmt.iter, Key.FUNC):
                    state = derive(state, stmt.target.id, stmt.iter.id, 'part',
                                   at(stmt.body, None, 'start', stmt.target.id,
                                      stmt.iter.id))
            in_loop = after | reads([stmt])
            entry = state
            while True:  # the state at the loop's head, over any number of iterations
                after_body = block(stmt.body, entry, False, in_loop)
                if after_body <= entry:
                    break
                entry = entry | after_body
            return block(stmt.body, entry, report, in_loop) | entry
        return state

    block(fdef.body, frozenset(), True, set())
    return plan


def _check_call(function, names: tuple, construct: tuple[str, str], filename: str,
                lineno: int, line: str) -> gast.stmt:
    """``tangent_check(value, ..., name, ...)``: a statement generated code runs,
    given the values of ``names`` and the first name's text."""
    func = gast.Name(id=RUNTIME_NAMES[function], ctx=gast.Load(), annotation=None,
                     type_comment=None)
    anno.set(func, Key.FUNC, function)
    arguments = [gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
                 for name in names]
    arguments += [gast.Constant(value=v, kind=None)
                  for v in (names[0], *construct, filename, lineno, line)]
    return gast.Expr(value=gast.Call(func=func, args=arguments, keywords=[]))


def _insert_checks(plan: _AliasPlan, filename: str) -> None:
    for where, anchor, position, names, function, construct, lineno in plan.checks.values():
        line = linecache.getline(filename, lineno).strip() if lineno else ''
        call = _check_call(function, names, construct, filename, lineno, line)
        if anchor is None:
            gast.copy_location(call, where[0])
            gast.copy_location(call.value, where[0])
            where.insert(0, call)
            continue
        index = next(i for i, stmt in enumerate(where) if stmt is anchor)
        gast.copy_location(call, anchor)
        gast.copy_location(call.value, anchor)
        where.insert(index + (position == 'after'), call)


def _is_array(value) -> bool:
    return type(value).__name__ == 'ndarray' and hasattr(value, '__array_interface__')


def _memory_of(array):
    """The object whose memory ``array`` uses (itself, or what it is a view of)."""
    while getattr(array, 'base', None) is not None:
        array = array.base
    return array


def check_not_view_of(part: object, whole: object, name: str, construct: str,
                      way_out: str, filename: str, lineno: int, line: str) -> None:
    """Called by generated code where ``part`` is read from ``whole`` (``part = whole[i]``,
    ``for part in whole``), when ``whole`` is changed in place at ``lineno``
    (``whole[j] = v``, ``whole += v``) and ``part`` read afterwards: the change
    reaches ``part`` only if ``whole`` is an array and ``part`` a view of it (not a
    number read from a vector, nor an item of a list, which extending or writing
    into a slot of the list leaves as it was)."""
    if _is_array(whole) and _is_array(part) and _memory_of(part) is _memory_of(whole):
        raise TangentParseError(
            f'{construct} is not supported in differentiated code ({name} is a view of '
            f'an array written into at line {lineno}, not a number); {way_out}.',
            filename, lineno, line)


def check_part_not_shared(part: object, whole: object, name: str, construct: str,
                          way_out: str, filename: str, lineno: int, line: str) -> None:
    """Called by generated code where ``part`` is read from ``whole``, when ``part +=
    v`` at ``lineno`` is followed by a read of ``whole``: the change reaches
    ``whole`` if ``part`` is changed in place (an array, list or dict) and is an item
    of ``whole`` or a view of its memory, not a copy (``whole[1:]`` of a list, an
    array read with an index array)."""
    if not (_is_array(part) or isinstance(part, (list, dict, bytearray))):
        return  # a number, tuple or string: += rebinds it
    if _is_array(whole):
        if _is_array(part) and _memory_of(part) is not _memory_of(whole):
            return
    elif isinstance(whole, (list, tuple)):
        if not any(item is part for item in whole):
            return
    elif isinstance(whole, dict):
        if not any(item is part for item in whole.values()):
            return
    raise TangentParseError(
        f'{construct} is not supported in differentiated code ({name} is an array or '
        f'list here, which += changes in place, and part of a variable read '
        f'afterwards); {way_out}.', filename, lineno, line)


non_differentiable.register_non_differentiable_functions(check_not_view_of,
                                                         check_part_not_shared)


def runtime_names(fdef: gast.FunctionDef) -> dict:
    """The names generated checks in ``fdef`` call, with their values (free names)."""
    found = {}
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and node.id in RUNTIME_VALUES and \
                anno.get(node, Key.FUNC) is RUNTIME_VALUES[node.id]:
            found[node.id] = RUNTIME_VALUES[node.id]
    return found


def _frame_function(which: str):
    """The live object FRAME_FUNCTIONS calls ``which``."""
    name = which.rstrip('()')
    if name.startswith('sys.'):
        return getattr(sys, name[4:])
    if name.startswith('inspect.'):
        return getattr(inspect, name[8:])
    return getattr(builtins, name)


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


RETURNED_NONE = 'tangent_returned_none'  # the name generated code calls it by
# The checks generated code runs, by the names it calls them.
RUNTIME_NAMES = {errors.returned_none: RETURNED_NONE,
                 errors.check_not_aliased: 'tangent_check_not_aliased',
                 errors.check_not_view: 'tangent_check_not_view',
                 check_not_view_of: 'tangent_check_not_view_of',
                 check_part_not_shared: 'tangent_check_part_not_shared'}
RUNTIME_VALUES = {name: value for value, name in RUNTIME_NAMES.items()}
policy.declare_impure(*RUNTIME_NAMES)  # they raise: never dropped


def require_returned_value(fdef: gast.FunctionDef, filename: str, function_name: str,
                           free: dict) -> None:
    """Make sure ``fdef`` returns a value: a derivative of None is no number.

    A function with no ``return <value>`` at all raises ``TangentParseError`` now.
    Otherwise each path that would return None (``return``, ``return None``, or
    falling off the end) instead calls ``errors.returned_none``, which raises when
    that path runs; the paths that return values are unchanged (no cost).
    Updates ``fdef`` and ``free`` in place.
    """
    returns = [node for node in anno.own_statements(fdef.body)
               if isinstance(node, gast.Return)]
    valued = [node for node in returns if not _is_none(node.value)]
    if not valued:
        lineno = returns[0].lineno if returns else \
            getattr(fdef.body[-1], 'end_lineno', None) or fdef.body[-1].lineno
        line = linecache.getline(filename, lineno)
        why = 'a return without a value' if returns else 'it has no return statement'
        raise TangentParseError(
            f'{function_name} returns None ({why}); '
            f'a derivative needs a returned value: return the value to differentiate '
            f'(a forgotten return?)', filename, lineno, line)
    marker = free.get(RETURNED_NONE)
    if marker is not None and marker is not errors.returned_none:
        raise TangentParseError(f'{function_name} uses the name {RETURNED_NONE}, which '
                                f'tangent reserves; rename it', filename, fdef.lineno, None)

    def raising(node: gast.AST) -> gast.Call:
        func = gast.Name(id=RETURNED_NONE, ctx=gast.Load(), annotation=None, type_comment=None)
        anno.set(func, Key.FUNC, errors.returned_none)
        lineno = getattr(node, 'lineno', None) or fdef.lineno
        call = gast.Call(func=func, args=[gast.Constant(value=v, kind=None) for v in
                                          (function_name, filename, lineno)], keywords=[])
        return gast.copy_location(call, node) if hasattr(node, 'lineno') else call

    changed = False
    for node in returns:
        if _is_none(node.value):
            node.value = raising(node)
            changed = True
    if _may_fall_off(fdef.body):
        last = fdef.body[-1]
        end = gast.Return(value=None)
        end.lineno = end.end_lineno = getattr(last, 'end_lineno', None) or last.lineno
        end.col_offset, end.end_col_offset = 0, 0
        end.value = raising(end)
        fdef.body.append(end)
        changed = True
    if changed:
        free[RETURNED_NONE] = errors.returned_none


def _is_none(value) -> bool:
    return value is None or (isinstance(value, gast.Constant) and value.value is None)


def _may_fall_off(statements: list) -> bool:
    """Whether running ``statements`` can reach their end (no return or raise on
    some path)."""
    for stmt in statements:
        if isinstance(stmt, (gast.Return, gast.Raise)):
            return False
        if isinstance(stmt, gast.If) and not _may_fall_off(stmt.body) and \
                not _may_fall_off(stmt.orelse):
            return False
    return True

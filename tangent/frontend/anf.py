"""Normal form: one operation per statement.

Requires: a FunctionDef that passed ``fence``, with calls annotated by
``annotate.resolve``.

Guarantees to the mode drivers (``reverse_ad``, ``forward_ad``):
- The only ``return`` is the last statement and returns a Name.
- Every assignment has one target: a Name, or a Subscript ``x[index]`` of a
  Name whose index parts are atoms. Tuple unpacking, augmented assignment,
  chained targets and conditional expressions are gone.
- The right-hand side of a Name assignment is an atom (Name or constant), or
  one operation on atoms: a BinOp, a UnaryOp, a Call whose arguments are
  atoms, a Subscript, an Attribute, a Tuple/List/Dict of atoms, or a whole
  non-differentiable test (Compare/BoolOp/not). The target never appears in
  its own right-hand side (``x = sin(x)`` becomes ``sin_x = sin(x); x = sin_x``),
  so an adjoint can always read the old value of its arguments.
- ``if`` tests are Names; ``for`` loops run over ``range(...)`` with a Name
  target (other iterables become index loops reading ``seq[i]``).
- Every statement carries the source of the user statement it came from
  (``Key.ORIGIN``) and its line (``Key.LINENO``).
"""

from __future__ import annotations

import gast

from tangent import runtime as runtime
from tangent.errors import TangentParseError
from tangent.frontend import annotate
from tangent.syntax import annotations as anno, comments, quoting, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.create import assign, name
from tangent.syntax.naming import Namer


_NOT_CONSTANT = (gast.Name, gast.Call, gast.Subscript, gast.Attribute, gast.Lambda,
                 gast.ListComp, gast.GeneratorExp, gast.DictComp, gast.SetComp, gast.NamedExpr)


def is_constant_expression(node: gast.AST) -> bool:
    """An expression with no variables and no calls (``-1``, ``(0, 1)``)."""
    if isinstance(node, gast.Constant):
        return True
    if isinstance(node, _NOT_CONSTANT):
        return False  # asked of every operand while the normal form is made: no walk
    pending = anno.children(node)  # depth first: a variable is found in a few steps
    while pending:
        child = pending.pop()
        if isinstance(child, _NOT_CONSTANT):
            return False
        if not isinstance(child, gast.Constant):
            pending += anno.children(child)
    return True


def is_atom(node: gast.AST) -> bool:
    """A Name, a constant expression, or a module attribute (``np.pi``)."""
    if isinstance(node, gast.Name) or is_constant_expression(node):
        return True
    return isinstance(node, gast.Attribute) and anno.has(node, Key.FUNC)


def stored_names(nodes) -> set[str]:
    """Names assigned anywhere in ``nodes`` (a node or a list of nodes)."""
    if not isinstance(nodes, list):
        nodes = [nodes]
    found = set()
    for node in nodes:
        for child in anno.walk(node):
            if isinstance(child, gast.Name) and isinstance(child.ctx, gast.Store):
                found.add(child.id)
    return found


def _always_returns(stmts: list[gast.stmt]) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


# Where statements nest: a return is a statement, so expressions need no look.
_STATEMENT_LISTS = ('body', 'orelse', 'finalbody', 'handlers', 'cases')


def _contains_return(node) -> bool:
    """Whether ``node`` returns from the function (returns of nested functions aside)."""
    if isinstance(node, gast.Return):
        return True
    if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        return False
    return any(_contains_return(child) for field in _STATEMENT_LISTS
               for child in getattr(node, field, None) or ())


def lift_returns(stmts: list[gast.stmt]) -> list[gast.stmt]:
    """Restructure ``if`` statements so no statement follows a ``return``.

    ``if c: return a`` followed by ``rest`` becomes ``if c: return a``
    ``else: rest``; code after a return is dropped.
    """
    for index, stmt in enumerate(stmts):
        if isinstance(stmt, gast.Return):
            return stmts[:index + 1]
        if isinstance(stmt, gast.If) and _contains_return(stmt):
            rest = stmts[index + 1:]
            body = stmt.body if _always_returns(stmt.body) else stmt.body + anno.copy_tree(rest)
            orelse = (stmt.orelse if _always_returns(stmt.orelse)
                      else stmt.orelse + anno.copy_tree(rest))
            stmt.body = lift_returns(body)
            stmt.orelse = lift_returns(orelse)
            return stmts[:index + 1]
    return stmts


def _jumps(stmts: list, kind: type) -> bool:
    """Whether ``stmts`` contain ``kind`` (Break/Continue) for this loop, not a nested one."""
    for stmt in stmts:
        if isinstance(stmt, kind):
            return True
        if isinstance(stmt, gast.If) and (_jumps(stmt.body, kind) or _jumps(stmt.orelse, kind)):
            return True
    return False


class _LoopExits:
    """Rewrites ``break`` and ``continue`` of one loop body into flags.

    ``if c: break`` becomes ``if c: stop = True`` and every later statement of
    the body runs under ``if not stop``; the body ends with ``if stop: break``,
    the only jump left. The backward pass then replays a partial iteration by
    the same recorded tests.
    """

    def __init__(self, namer: Namer, has_break: bool, has_continue: bool):
        self.stop = namer.fresh('stop') if has_break else None
        self.skip = namer.fresh('skip') if has_continue else None

    def _flag(self, flag: str, value: bool) -> gast.Assign:
        return assign(flag, gast.Constant(value=value, kind=None))

    def _running(self) -> gast.expr:
        flags = [name(f) for f in (self.stop, self.skip) if f]
        test = flags[0] if len(flags) == 1 else gast.BoolOp(op=gast.Or(), values=flags)
        return gast.UnaryOp(op=gast.Not(), operand=test)

    def body(self, stmts: list) -> list:
        out = [self._flag(self.skip, False)] if self.skip else []
        out += self.guard(stmts)
        if self.stop:
            out.append(gast.If(test=name(self.stop), body=[gast.Break()], orelse=[]))
        return out

    def guard(self, stmts: list) -> list:
        out = []
        for index, stmt in enumerate(stmts):
            if isinstance(stmt, gast.Break):
                out.append(self._flag(self.stop, True))
                return out
            if isinstance(stmt, gast.Continue):
                out.append(self._flag(self.skip, True))
                return out
            if isinstance(stmt, gast.If) and (_jumps([stmt], gast.Break) or
                                              _jumps([stmt], gast.Continue)):
                stmt.body = self.guard(stmt.body) or [gast.Pass()]
                stmt.orelse = self.guard(stmt.orelse)
                out.append(stmt)
                rest = stmts[index + 1:]
                if rest:
                    out.append(gast.If(test=self._running(), body=self.guard(rest), orelse=[]))
                return out
            out.append(stmt)
        return out

    def before_loop(self) -> list:
        return [self._flag(self.stop, False)] if self.stop else []


class Normalizer:
    """Rewrites a function body into normal form (see the module docstring)."""

    def __init__(self, namer: Namer, free: dict | None = None, filename: str = '<unknown>'):
        self.namer = namer
        self.filename = filename  # of the user's function, for errors
        # Global names the normal form introduces (runtime helpers), with their values.
        self.free = free if free is not None else {}
        self.origin = ''
        self.lineno = None
        # Nested functions and lambdas by local name: inlined where they are called.
        self.local_functions: dict[str, gast.FunctionDef] = {}
        # Nested functions and named lambdas also used as values (passed to a call
        # that is not inlined, such as one with a rule): kept as lambdas.
        self.function_values: set[str] = set()
        self.name_counts: dict[str, int] = {}  # uses of each name in the function
        self.known_tuples: dict[str, int] = {}  # inlined *args tuples, by their length
        self.dict_names: set[str] = set()  # local variables only ever assigned dict literals

    # Statements --------------------------------------------------------------

    def function(self, fdef: gast.FunctionDef) -> gast.FunctionDef:
        self.name_counts = {}
        stores: dict[str, int] = {}
        built = {'dict': set(), 'other': set()}  # dicts built here: ``for k in d`` walks their keys
        tuples = []  # t = (a, b) assigned once: f(*t) is f(t[0], t[1])
        for node in anno.walk(fdef):
            if isinstance(node, gast.Name):
                self.name_counts[node.id] = self.name_counts.get(node.id, 0) + 1
                if isinstance(node.ctx, (gast.Store, gast.Param)):
                    stores[node.id] = stores.get(node.id, 0) + 1
            elif isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                kind = 'dict' if isinstance(node.value, gast.Dict) else 'other'
                built[kind].add(node.targets[0].id)
                if len(node.targets) == 1 and isinstance(node.value, gast.Tuple) and \
                        not any(isinstance(e, gast.Starred) for e in node.value.elts):
                    tuples.append(node)
        self.dict_names = built['dict'] - built['other'] - {a.id for a in fdef.args.args}
        for node in tuples:
            if stores[node.targets[0].id] == 1:
                self.known_tuples[node.targets[0].id] = len(node.value.elts)
        self.function_values = _functions_used_as_values(fdef)
        body = lift_returns(list(fdef.body))
        returns = [n for n in body if isinstance(n, gast.Return)]
        nested_return = any(_contains_return(n) for n in body
                            if not isinstance(n, gast.Return))
        if nested_return:
            result = self.namer.fresh('result')
            body = [_ReturnToAssign(result).visit(n) for n in body]
            body.append(gast.Return(value=name(result)))
        elif not returns:
            body.append(gast.Return(value=gast.Constant(value=None, kind=None)))
        fdef.body = self.block(body)
        last = fdef.body[-1]
        if not isinstance(last.value, gast.Name):
            result = self.namer.fresh('result')
            fdef.body[-1:] = [self._mark(assign(result, last.value)), last]
            last.value = name(result)
        if not any(anno.has(node, Key.CHECKPOINT) for node in fdef.body):
            _version_reassignments(fdef, self.namer)
        return fdef

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out = []
        for stmt in stmts:
            if comments.is_comment(stmt):
                out.append(stmt)
                continue
            saved = self.origin, self.lineno
            self.origin = quoting.to_source(_header(stmt))
            self.lineno = getattr(stmt, 'lineno', None)
            produced = []
            self.statement(stmt, produced)
            for node in produced:
                self._mark(node)
            out.extend(produced)
            self.origin, self.lineno = saved
        return out

    def _mark(self, node: gast.stmt) -> gast.stmt:
        if not anno.has(node, Key.ORIGIN):
            anno.set(node, Key.ORIGIN, self.origin)
            anno.set(node, Key.LINENO, self.lineno)
        return node

    def statement(self, stmt: gast.stmt, out: list) -> None:
        method = getattr(self, 'visit_' + type(stmt).__name__, None)
        if method is None:
            out.append(stmt)  # fence let it through: a primal-only statement
        else:
            method(stmt, out)

    def visit_Pass(self, stmt, out):
        pass

    def visit_Expr(self, stmt, out):
        if isinstance(stmt.value, gast.Constant):
            return  # docstrings and bare constants do nothing
        out.append(gast.Expr(value=self.operation(stmt.value, out)))

    def visit_Return(self, stmt, out):
        value = stmt.value if stmt.value is not None else gast.Constant(value=None, kind=None)
        atom = self.atom(value, out)
        if not isinstance(atom, gast.Name):
            result = self.namer.fresh('result')
            out.append(assign(result, atom))
            atom = name(result)
        out.append(gast.Return(value=atom))

    def visit_AugAssign(self, stmt, out):
        target_load = anno.copy_tree(stmt.target)
        _set_ctx(target_load, gast.Load())
        value = gast.BinOp(left=target_load, op=stmt.op, right=stmt.value)
        self.visit_Assign(gast.Assign(targets=[stmt.target], value=value,
                                      type_comment=None), out)

    def visit_AnnAssign(self, stmt, out):
        if stmt.value is not None:
            self.visit_Assign(gast.Assign(targets=[stmt.target], value=stmt.value,
                                          type_comment=None), out)

    def visit_FunctionDef(self, stmt, out):
        self.local_functions[stmt.name] = stmt
        if stmt.name in self.function_values:
            body = [s for s in stmt.body if not comments.is_comment(s)]
            if stmt.decorator_list or len(body) != 1 or not isinstance(body[0], gast.Return) \
                    or body[0].value is None:
                raise TangentParseError(
                    f'the nested function {stmt.name} is used as a value (passed to a call '
                    f'tangent does not inline, or stored); tangent keeps such a function only '
                    f'when its body is one return statement. Write it as one, or define it '
                    f'at module level and pass what it reads as arguments',
                    self.filename, self.lineno, self.origin)
            self.assign_to(name(stmt.name, store=True),
                           gast.Lambda(args=stmt.args, body=body[0].value), out)

    def visit_Assign(self, stmt, out):
        if (len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Lambda)):
            self.local_functions[stmt.targets[0].id] = _lambda_def(stmt.targets[0].id,
                                                                   stmt.value)
            if stmt.targets[0].id in self.function_values:
                self.assign_to(stmt.targets[0], stmt.value, out)
            return
        if len(stmt.targets) > 1:
            value = self.atom(stmt.value, out)
            for target in stmt.targets:
                self.assign_to(target, anno.copy_tree(value), out)
            return
        self.assign_to(stmt.targets[0], stmt.value, out)

    def assign_to(self, target: gast.expr, value: gast.expr, out: list) -> None:
        if isinstance(target, gast.Name) and isinstance(value, (gast.ListComp, gast.DictComp)) and \
                target.id not in {n.id for n in anno.walk(value) if isinstance(n, gast.Name)}:
            # Built under its own name: a temporary bound to it after would be a second
            # name for one list, whose appends and pops a derivative would track apart.
            self.comprehension(value, out, result=target.id)
            return
        if isinstance(target, gast.Name):
            operation = self.operation(value, out)
            if (not isinstance(operation, gast.Name)
                    and target.id in {n.id for n in anno.walk(operation)
                                      if isinstance(n, gast.Name)}
                    and annotate.tape_operation(assign(target.id, operation)) is None):
                temp = self.namer.temp_for(operation)
                out.append(assign(temp, operation))
                operation = name(temp)
            if isinstance(operation, gast.Name) and operation.id == target.id:
                return  # x = x
            out.append(assign(target.id, operation))
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                # Evaluate every right-hand side before any target changes (a, b = b, a).
                temps = []
                for element in value.elts:
                    atom = self.atom(element, out)
                    if isinstance(atom, gast.Name):
                        temp = self.namer.fresh(atom.id + '_old')
                        out.append(assign(temp, atom))
                        atom = name(temp)
                    temps.append(atom)
                for sub_target, atom in zip(target.elts, temps):
                    self.assign_to(sub_target, atom, out)
                return
            sequence = self.atom(value, out)
            if not isinstance(sequence, gast.Name):
                temp = self.namer.fresh('seq')
                out.append(assign(temp, sequence))
                sequence = name(temp)
            if sequence.id in stored_names(target):
                temp = self.namer.fresh(sequence.id + '_old')
                out.append(assign(temp, sequence))
                sequence = name(temp)
            for index, sub_target in enumerate(target.elts):
                item = gast.Subscript(value=name(sequence.id),
                                      slice=gast.Constant(value=index, kind=None),
                                      ctx=gast.Load())
                self.assign_to(sub_target, item, out)
        elif isinstance(target, gast.Subscript):
            base = target.value
            if not isinstance(base, gast.Name):
                base = self.atom(_load(base), out)
            index = self.index(target.slice, out)
            atom = self.atom(value, out)
            out.append(assign(gast.Subscript(value=name(base.id), slice=index,
                                             ctx=gast.Store()), atom))
        else:  # fence rejects the rest; keep the statement as the user wrote it
            out.append(assign(target, value))

    def visit_If(self, stmt, out):
        test = self.test(stmt.test, out)
        out.append(gast.If(test=test, body=self.block(stmt.body),
                           orelse=self.block(stmt.orelse)))

    def lower_exits(self, stmt, out) -> list:
        """The loop's body with break/continue made into flags (see ``_LoopExits``)."""
        has_break, has_continue = _jumps(stmt.body, gast.Break), _jumps(stmt.body, gast.Continue)
        if not (has_break or has_continue):
            return list(stmt.body)
        exits = _LoopExits(self.namer, has_break, has_continue)
        out.extend(self.block(exits.before_loop()))
        return exits.body(list(stmt.body))

    def visit_While(self, stmt, out):
        body = self.lower_exits(stmt, out)
        out.append(gast.While(test=stmt.test, body=self.block(body), orelse=[]))

    def visit_Break(self, stmt, out):
        out.append(stmt)

    def visit_For(self, stmt, out):
        target, iterable, body = stmt.target, stmt.iter, list(stmt.body)
        assigned_in_body = stored_names(body) | stored_names(target)
        func = anno.get(iterable.func, Key.FUNC) if isinstance(iterable, gast.Call) else None
        if func is range:
            body = self.lower_exits(stmt, out)
            args = [self.loop_invariant(arg, assigned_in_body, out) for arg in iterable.args]
            loop_iter = gast.Call(func=iterable.func, args=args, keywords=[])
            if not isinstance(target, gast.Name):
                item = self.namer.fresh('item')
                body.insert(0, assign(target, name(item)))
                target = name(item, store=True)
            loop = gast.For(target=target, iter=loop_iter, body=self.block(body),
                            orelse=[], type_comment=None)
            anno.copy(stmt, loop)
            out.append(loop)
            return
        backwards = func is reversed and len(iterable.args) == 1 and not iterable.keywords
        if backwards:
            iterable = iterable.args[0]
        index = self.namer.fresh('i')
        if isinstance(target, gast.Tuple) and _enumerated(iterable) and \
                isinstance(target.elts[0], gast.Name) and not backwards and \
                len(target.elts) == 2 and not _enumerate_start(iterable):
            index = target.elts[0].id  # for i, v in enumerate(x): the counter is i itself
        lengths = []
        if isinstance(iterable, gast.Name) and isinstance(target, gast.Name) and \
                _indexes_with(target.id, body):
            # Its items are keys or indices (a dict argument's keys too): walk a list of them.
            iterable = _keys_view(iterable)
        item = self.loop_item(iterable, name(index), assigned_in_body, lengths, out)
        reads = []
        _unpack(target, item, reads)
        reads = [read for read in reads if not (  # i = i
            isinstance(read.targets[0], gast.Name) and isinstance(read.value, gast.Name)
            and read.targets[0].id == read.value.id == index)]
        length = lengths[0] if len(lengths) == 1 else gast.Call(
            func=_builtin('min'), args=lengths, keywords=[])
        range_args = [length]
        if backwards:  # from the last index down to 0
            last = self.namer.fresh('last')
            out.append(assign(last, gast.BinOp(left=length, op=gast.Sub(),
                                               right=gast.Constant(value=1, kind=None))))
            range_args = [name(last), gast.Constant(value=-1, kind=None),
                          gast.Constant(value=-1, kind=None)]
        self.visit_For(gast.For(target=name(index, store=True),
                                iter=gast.Call(func=_builtin('range'), args=range_args,
                                               keywords=[]),
                                body=reads + body, orelse=[], type_comment=None), out)

    def runtime_helper(self, helper) -> gast.Attribute:
        """``tangent.<helper>`` for a runtime helper the normal form calls; the root
        name is bound among the free names (a fresh one if the user's code has its own)."""
        root = 'tangent'
        if getattr(self.free.get(root), helper.__name__, None) is not helper:
            root = next((bound for bound, value in self.free.items() if value is runtime),
                        None) or self.namer.fresh('tangent')
            self.free[root] = runtime
        base = name(root)
        anno.set(base, Key.FUNC, self.free[root])
        node = gast.Attribute(value=base, attr=helper.__name__, ctx=gast.Load())
        anno.set(node, Key.FUNC, helper)
        return node

    def loop_item(self, iterable, index, assigned_in_body, lengths, out) -> gast.expr:
        """The item at position ``index`` of what a ``for`` loop iterates over.

        ``enumerate`` and ``zip`` are taken apart into their sequences (so the
        gradient reaches each), a dict's ``items()``, ``keys()`` and
        ``values()`` into its keys in order; anything else is a sequence read
        by position. The length of every sequence goes to ``lengths``.
        """
        func = anno.get(iterable.func, Key.FUNC) if isinstance(iterable, gast.Call) else None
        if _enumerated(iterable):
            start = _enumerate_start(iterable)
            position = index if start is None else gast.BinOp(
                left=index, op=gast.Add(), right=self.loop_invariant(start, assigned_in_body, out))
            return gast.Tuple(elts=[position, self.loop_item(
                iterable.args[0], index, assigned_in_body, lengths, out)], ctx=gast.Load())
        if func is zip and iterable.args and all(
                k.arg == 'strict' for k in iterable.keywords):
            return gast.Tuple(elts=[self.loop_item(arg, index, assigned_in_body, lengths, out)
                                    for arg in iterable.args], ctx=gast.Load())
        view = _dict_view(iterable)
        if view is None and isinstance(iterable, gast.Name) and iterable.id in self.dict_names:
            view, iterable = 'keys', _keys_view(iterable)
        if view is not None:
            dictionary = self.loop_invariant(iterable.func.value, assigned_in_body, out,
                                             force_name=True)
            keys = self.namer.fresh(dictionary.id + '_keys')
            out.append(assign(keys, gast.Call(func=self.runtime_helper(runtime.dict_keys),
                                              args=[name(dictionary.id)], keywords=[])))
            lengths.append(gast.Call(func=_builtin('len'), args=[name(keys)], keywords=[]))
            key = gast.Subscript(value=name(keys), slice=index, ctx=gast.Load())
            value = gast.Subscript(value=name(dictionary.id), slice=anno.copy_tree(key),
                                   ctx=gast.Load())
            return {'keys': key, 'values': value,
                    'items': gast.Tuple(elts=[key, value], ctx=gast.Load())}[view]
        sequence = self.loop_invariant(iterable, assigned_in_body, out, force_name=True)
        lengths.append(gast.Call(func=_builtin('len'), args=[name(sequence.id)], keywords=[]))
        return gast.Subscript(value=name(sequence.id), slice=index, ctx=gast.Load())

    def test(self, node, out) -> gast.Name:
        """A Name holding the value of an ``if`` test."""
        if isinstance(node, gast.Name):
            return node
        if isinstance(node, (gast.Compare, gast.BoolOp)) or (
                isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not)):
            value = node  # a whole test: never differentiable, kept readable
        else:
            value = self.operation(node, out)
        temp = self.namer.fresh('cond')
        out.append(assign(temp, value))
        return name(temp)

    def loop_invariant(self, node, assigned_in_body, out, force_name=False):
        """An atom for ``node`` that the loop body cannot change."""
        if isinstance(node, gast.Name) and node.id not in assigned_in_body:
            return node
        if not force_name and is_constant_expression(node):
            return node
        value = self.atom(node, out)
        if isinstance(value, gast.Name) and value.id not in assigned_in_body:
            return value
        temp = self.namer.temp_for(node)
        out.append(assign(temp, value))
        return name(temp)

    # Expressions -------------------------------------------------------------

    def atom(self, node: gast.expr, out: list) -> gast.expr:
        """A Name or constant holding the value of ``node``."""
        if is_atom(node):
            return node
        operation = self.operation(node, out)
        if is_atom(operation):
            return operation
        temp = self.namer.temp_for(operation)
        out.append(assign(temp, operation))
        return name(temp)

    def comprehension(self, node, out: list, accumulate: bool = False,
                      result: str | None = None) -> gast.Name:
        """A list or dict comprehension as the loop it stands for (``sum(... for ...)``
        as a running total), written out in the generated code, building the list
        (the dict) under ``result`` (a fresh name by default)."""
        node = self.own_scope(node)
        result = result or self.namer.fresh('total' if accumulate else 'items')
        if accumulate:
            innermost = [assign(result, gast.BinOp(left=name(result), op=gast.Add(),
                                                   right=node.elt))]
            start = gast.Constant(value=0, kind=None)
        elif isinstance(node, gast.DictComp):
            entry = gast.Subscript(value=name(result), slice=node.key, ctx=gast.Store())
            innermost = [gast.Assign(targets=[entry], value=node.value, type_comment=None)]
            start = gast.Dict(keys=[], values=[])
        else:
            append = gast.Attribute(value=name(result), attr='append', ctx=gast.Load())
            innermost = [gast.Expr(value=gast.Call(func=append, args=[node.elt], keywords=[]))]
            start = gast.List(elts=[], ctx=gast.Load())
        body = innermost
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                body = [gast.If(test=condition, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body,
                             orelse=[], type_comment=None)]
        produced = self.block([assign(result, start)] + body)
        out.extend(produced)
        return name(result)

    def own_scope(self, node):
        """The comprehension with fresh names for its variables that the function
        also uses outside it: in Python they are the comprehension's own."""
        renames = {}
        for generator in node.generators:
            for target in stored_names(generator.target):
                if self.name_counts.get(target, 0) > sum(
                        1 for n in anno.walk(node) if isinstance(n, gast.Name) and n.id == target):
                    renames[target] = self.namer.fresh(target)
        if not renames:
            return node
        return _Renamer(renames).visit(anno.copy_tree(node))

    def inline_local_call(self, call: gast.Call, out: list) -> gast.Name | None:
        """Inline a call to a nested function or lambda, with fresh local names.

        Names the nested function reads from the enclosing function stay as
        they are, so a closure reads the enclosing variables, as in Python.
        """
        func = call.func
        if isinstance(func, gast.Lambda):
            definition = _lambda_def('lambda', func)
        elif isinstance(func, gast.Name) and func.id in self.local_functions:
            definition = self.local_functions[func.id]
        else:
            return None
        definition = anno.copy_tree(definition)
        params = [arg.id for arg in definition.args.args]
        keyword_only = [arg.id for arg in definition.args.kwonlyargs]
        vararg = definition.args.vararg.id if definition.args.vararg is not None else None
        kwarg = definition.args.kwarg.id if definition.args.kwarg is not None else None
        locals_ = set(params) | set(keyword_only) | stored_names(definition.body) | {
            a.id for a in (definition.args.vararg, definition.args.kwarg) if a is not None}
        renames = {local: self.namer.fresh(f'{definition.name}_{local}') for local in
                   sorted(locals_)}
        bound = {}
        defaults = definition.args.defaults
        for param, default in zip(params[len(params) - len(defaults):], defaults):
            bound[param] = default
        for param, default in zip(keyword_only, definition.args.kw_defaults):
            if default is not None:
                bound[param] = default
        definition = _Renamer(renames, root_is_function=True).visit(definition)
        args = self.expand_starred(call.args)
        # Positional arguments fill the positional parameters only: the rest go to
        # *args, never to a keyword-only parameter (which has a default or a keyword).
        for param, arg in zip(params, args):
            bound[param] = arg
        params += keyword_only
        if vararg is not None:
            params.append(vararg)
            extra = args[len(definition.args.args):]
            if any(isinstance(arg, gast.Starred) for arg in extra):
                raise TangentParseError(
                    f'{definition.name} gathers *{vararg} from a sequence of unknown '
                    f'length; pass the values one by one', self.filename, self.lineno,
                    self.origin)
            bound[vararg] = gast.Tuple(elts=extra, ctx=gast.Load())
        elif len(args) > len(definition.args.args):
            raise TypeError(f'{definition.name}() takes {len(definition.args.args)} '
                            f'positional arguments but {len(args)} were given')
        extra_keywords = [k for k in call.keywords if k.arg not in params]
        if kwarg is not None:  # **kwargs: a dict of the keywords no parameter names
            params.append(kwarg)
            bound[kwarg] = gast.Dict(
                keys=[gast.Constant(value=k.arg, kind=None) for k in extra_keywords],
                values=[k.value for k in extra_keywords])
        elif extra_keywords:
            raise TypeError(f'{definition.name}() got an unexpected keyword argument '
                            f'{extra_keywords[0].arg!r}')
        for keyword in call.keywords:
            if keyword.arg in params and keyword.arg != kwarg:
                bound[keyword.arg] = keyword.value
        for param in params:
            if param not in bound:
                raise TypeError(f'{definition.name}() missing argument {param!r}')
            value = bound[param]
            if isinstance(value, gast.Lambda):
                self.local_functions[renames[param]] = _lambda_def(renames[param], value)
                if self.passed_on(definition, renames[param]):  # sorted(xs, key=key)
                    out.append(self._mark(assign(renames[param], value)))
            elif isinstance(value, gast.Name) and value.id in self.local_functions:
                local = self.local_functions[renames[param]] = self.local_functions[value.id]
                if self.passed_on(definition, renames[param]):
                    out.append(self._mark(assign(renames[param], _as_lambda(local, self))))
            else:
                self.assign_to(name(renames[param], store=True), value, out)
                if param == vararg:
                    self.known_tuples[renames[param]] = len(value.elts)
        result = self.namer.fresh(f'{definition.name}_result')
        body = lift_returns(list(definition.body))
        body = [_ReturnToAssign(result).visit(stmt) for stmt in body]
        out.extend(self.block(body))
        return name(result)

    def passed_on(self, definition: gast.FunctionDef, variable: str) -> bool:
        return _read_as_value(definition.body, variable, set(self.local_functions))

    def expand_starred(self, args: list) -> list:
        """``f(*rest)`` with ``rest`` an inlined ``*args`` tuple as ``f(rest[0], rest[1])``,
        so each value reaches a parameter of its own."""
        expanded = []
        for arg in args:
            if isinstance(arg, gast.Starred) and isinstance(arg.value, gast.Name) and \
                    arg.value.id in self.known_tuples:
                expanded += [gast.Subscript(value=name(arg.value.id),
                                            slice=gast.Constant(value=index, kind=None),
                                            ctx=gast.Load())
                             for index in range(self.known_tuples[arg.value.id])]
            else:
                expanded.append(arg)
        return expanded

    def argument(self, node: gast.expr, out: list) -> gast.expr:
        """A call argument as an atom; ``*args`` stays starred around its atom."""
        if isinstance(node, gast.Starred):
            return gast.Starred(value=self.atom(node.value, out), ctx=gast.Load())
        return self.atom(node, out)

    def index(self, node: gast.expr, out: list) -> gast.expr:
        if isinstance(node, gast.Slice):
            return gast.Slice(lower=node.lower and self.atom(node.lower, out),
                              upper=node.upper and self.atom(node.upper, out),
                              step=node.step and self.atom(node.step, out))
        if isinstance(node, gast.Tuple) and \
                not any(isinstance(e, gast.Starred) for e in node.elts):
            return gast.Tuple(elts=[self.index(e, out) for e in node.elts], ctx=gast.Load())
        return self.atom(node, out)  # x[(*index,)] reads x[t] with t the tuple built first

    def operation(self, node: gast.expr, out: list) -> gast.expr:
        """One operation whose operands are atoms."""
        if is_atom(node):
            return node
        if isinstance(node, gast.BinOp):
            return gast.BinOp(left=self.atom(node.left, out), op=node.op,
                              right=self.atom(node.right, out))
        if isinstance(node, gast.UnaryOp):
            if isinstance(node.op, gast.Not):
                return node
            return gast.UnaryOp(op=node.op, operand=self.atom(node.operand, out))
        if isinstance(node, gast.BoolOp) and not _is_test(node):
            return self.bool_value(node, out)
        if isinstance(node, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
            return node  # not differentiable: kept whole, with its short-circuiting
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):
            return self.comprehension(node, out)
        if isinstance(node, gast.Call):
            func = node.func
            inlined = self.inline_local_call(node, out)
            if inlined is not None:
                return inlined
            if (anno.get(func, Key.FUNC) is sum and len(node.args) == 1
                    and isinstance(node.args[0], gast.GeneratorExp) and not node.keywords):
                return self.comprehension(node.args[0], out, accumulate=True)
            if isinstance(func, gast.Attribute) and not anno.has(func, Key.FUNC):
                func = gast.Attribute(value=self.atom(func.value, out), attr=func.attr,
                                      ctx=gast.Load())
                anno.copy(node.func, func)
            call = gast.Call(func=func, args=[self.argument(a, out)
                                              for a in self.expand_starred(node.args)],
                             keywords=[gast.keyword(arg=k.arg, value=self.atom(k.value, out))
                                       for k in node.keywords])
            anno.copy(node, call)
            return call
        if isinstance(node, gast.Subscript):
            return gast.Subscript(value=self.atom(node.value, out),
                                  slice=self.index(node.slice, out), ctx=gast.Load())
        if isinstance(node, gast.Attribute):
            return gast.Attribute(value=self.atom(node.value, out), attr=node.attr,
                                  ctx=gast.Load())
        if isinstance(node, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in node.elts):
                return self.operation(self.spread(node), out)
            return type(node)(elts=[self.atom(e, out) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.Dict):
            return gast.Dict(keys=[self.atom(k, out) for k in node.keys],
                             values=[self.atom(v, out) for v in node.values])
        if isinstance(node, gast.IfExp):
            temp = self.namer.fresh('choice')
            test = self.test(node.test, out)
            body, orelse = [], []
            self.assign_to(name(temp, store=True), node.body, body)
            self.assign_to(name(temp, store=True), node.orelse, orelse)
            out.append(gast.If(test=test, body=[self._mark(s) for s in body],
                               orelse=[self._mark(s) for s in orelse]))
            return name(temp)
        return node


    def spread(self, node: gast.expr) -> gast.expr:
        """A display with ``*x`` items as the concatenation it stands for:
        ``(*a, x, *b)`` is ``starred_tuple(a) + (x,) + starred_tuple(b)``, so each
        piece has the derivative of a sequence."""
        helper = runtime.starred_list if isinstance(node, gast.List) else runtime.starred_tuple
        pieces, run = [], []
        for element in node.elts:
            if isinstance(element, gast.Starred):
                if run:
                    pieces.append(type(node)(elts=run, ctx=gast.Load()))
                    run = []
                pieces.append(gast.Call(func=self.runtime_helper(helper),
                                        args=[element.value], keywords=[]))
            else:
                run.append(element)
        if run:
            pieces.append(type(node)(elts=run, ctx=gast.Load()))
        joined = pieces[0]
        for piece in pieces[1:]:
            joined = gast.BinOp(left=joined, op=gast.Add(), right=piece)
        return joined

    def bool_value(self, node: gast.BoolOp, out: list) -> gast.Name:
        """``a or b`` used as a value (it is one of its operands, which may carry a
        derivative) as the branches it stands for, short-circuiting kept."""
        result = self.namer.fresh('either' if isinstance(node.op, gast.Or) else 'both')
        self.assign_to(name(result, store=True), node.values[0], out)
        rest = node.values[1:]
        if not rest:
            return name(result)
        remaining = rest[0] if len(rest) == 1 else gast.BoolOp(op=node.op, values=rest)
        branch = []
        self.assign_to(name(result, store=True), remaining, branch)
        test = name(result)
        if isinstance(node.op, gast.Or):  # the next operand runs only if this one is false
            test = gast.UnaryOp(op=gast.Not(), operand=name(result))
        flag = self.namer.fresh('cond')
        out.append(assign(flag, test))
        out.append(gast.If(test=name(flag), body=[self._mark(s) for s in branch], orelse=[]))
        return name(result)


def _is_test(node: gast.expr) -> bool:
    """A boolean-valued test (comparisons, ``not``, booleans and/or-ed): no derivative."""
    if isinstance(node, gast.Compare) or (isinstance(node, gast.UnaryOp) and
                                          isinstance(node.op, gast.Not)):
        return True
    if isinstance(node, gast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, gast.BoolOp):
        return all(_is_test(value) for value in node.values)
    return False


def _rename(node: gast.AST, renamer: _Renamer) -> None:
    """``renamer.visit(node)``, by one walk where no function or lambda has parameters
    of its own to leave alone (a statement of normal form is a few nodes)."""
    names = []
    for child in anno.walk(node):
        kind = child.__class__
        if kind is gast.Name:
            names.append(child)
        elif kind is gast.Lambda or kind is gast.FunctionDef:
            renamer.visit(node)
            return
    renames = renamer.renames
    for name_ in names:
        if name_.id in renames:
            name_.id = renames[name_.id]


class _Renamer(transformers.NodeTransformer):
    """Renames names in a tree; a nested function's or lambda's own parameters keep
    their names inside it (a call may pass them by keyword)."""

    def __init__(self, renames: dict[str, str], root_is_function: bool = False):
        self.renames = renames
        self.root_seen = not root_is_function  # whose own parameters are renamed

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node

    def _nested(self, node):
        arguments = node.args
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d]:
            self.visit(default)  # evaluated where the function is defined
        own = {a.id for a in arguments.args + arguments.posonlyargs + arguments.kwonlyargs}
        own |= {a.id for a in (arguments.vararg, arguments.kwarg) if a is not None}
        inner = _Renamer({k: v for k, v in self.renames.items() if k not in own})
        for statement in (node.body if isinstance(node.body, list) else [node.body]):
            inner.visit(statement)
        return node

    def _function(self, node):
        if not self.root_seen:
            self.root_seen = True
            self.generic_visit(node)
            return node
        return self._nested(node)

    visit_FunctionDef = visit_Lambda = _function


def _functions_used_as_values(fdef: gast.FunctionDef) -> set[str]:
    """The nested functions and named lambdas of ``fdef`` whose name is read other
    than to call them or to pass them to one another (both of which inlining
    resolves): ``odeint(rhs, y0, t)`` needs ``rhs`` to exist as a value."""
    nodes = list(anno.walk(fdef))
    local = {node.name for node in nodes if isinstance(node, gast.FunctionDef) and node is not fdef}
    local |= {node.targets[0].id for node in nodes
              if isinstance(node, gast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], gast.Name) and isinstance(node.value, gast.Lambda)}
    resolved = set()
    for node in nodes:
        if isinstance(node, gast.Call):
            resolved.add(id(node.func))
            if isinstance(node.func, gast.Name) and node.func.id in local:
                resolved.update(id(arg) for arg in node.args)
                resolved.update(id(keyword.value) for keyword in node.keywords)
    return {node.id for node in nodes
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)
            and node.id in local and id(node) not in resolved}


def _lambda_def(function_name: str, node: gast.Lambda) -> gast.FunctionDef:
    definition = gast.FunctionDef(name=function_name, args=node.args,
                                  body=[gast.Return(value=node.body)], decorator_list=[],
                                  returns=None, type_comment=None, type_params=[])
    gast.copy_location(definition, node)
    return definition


def _as_lambda(definition: gast.FunctionDef, normalizer: Normalizer) -> gast.Lambda:
    """A local function as a value (handed to a library call): the lambda it is."""
    body = [stmt for stmt in definition.body if not comments.is_comment(stmt)]
    if len(body) != 1 or not isinstance(body[0], gast.Return) or body[0].value is None:
        raise TangentParseError(
            f'the nested function {definition.name} is passed on to a call tangent does not '
            f'inline; tangent keeps such a function only when its body is one return '
            f'statement. Write it as one, or define it at module level',
            normalizer.filename, normalizer.lineno, normalizer.origin)
    return gast.Lambda(args=anno.copy_tree(definition.args),
                       body=anno.copy_tree(body[0].value))


class _ReturnToAssign(transformers.NodeTransformer):

    def __init__(self, result: str):
        self.result = result

    def visit_Return(self, node):
        value = node.value if node.value is not None else gast.Constant(value=None, kind=None)
        return assign(self.result, value)

    def visit_FunctionDef(self, node):
        return node  # its returns are its own

    def visit_Lambda(self, node):
        return node


def _header(stmt: gast.stmt) -> gast.AST:
    """The part of a statement that names it in comments (no nested body)."""
    if isinstance(stmt, gast.If):
        return gast.If(test=stmt.test, body=[gast.Pass()], orelse=[])
    if isinstance(stmt, gast.For):
        return gast.For(target=stmt.target, iter=stmt.iter, body=[gast.Pass()],
                        orelse=[], type_comment=None)
    if isinstance(stmt, gast.While):
        return gast.While(test=stmt.test, body=[gast.Pass()], orelse=[])
    return stmt


def _version_reassignments(fdef: gast.FunctionDef, namer: Namer) -> None:
    """Give a variable assigned again outside any loop or branch a new name from there on.

    Each version then keeps its value, so the backward pass reads it without a
    tape: straight-line code needs none. The returned variable keeps its name
    on its last assignment (the seed is named after it), a parameter on its
    first; variables also assigned inside compound statements keep theirs.
    """
    params = [arg.id for arg in fdef.args.args]
    nested = set()
    for stmt in fdef.body:
        if not isinstance(stmt, (gast.Assign, gast.Expr, gast.Return)) or \
                annotate.tape_operation(stmt) is not None:  # t = add_at(t, i, v) updates t
            nested |= stored_names(stmt)
    returned = fdef.body[-1].value.id
    assignments: dict[str, list] = {}
    for stmt in fdef.body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                stmt.targets[0].id not in nested:
            assignments.setdefault(stmt.targets[0].id, []).append(stmt)
    keeps = {}  # the assignment that keeps the variable's own name (None: the parameter)
    for variable, statements in assignments.items():
        if variable == returned:
            keeps[variable] = statements[-1]
        elif variable in params or len(statements) > 1:
            keeps[variable] = None if variable in params else statements[0]
    current: dict[str, str] = {}
    for stmt in fdef.body:
        renamer = _Renamer(current)
        if isinstance(stmt, gast.Assign):
            if current:
                _rename(stmt.value, renamer)
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                variable = target.id
                if variable in keeps and (variable in params or len(assignments[variable]) > 1):
                    if stmt is keeps[variable]:
                        current.pop(variable, None)
                    else:
                        current[variable] = target.id = namer.fresh(variable)
            else:
                renamer.visit(target)
        else:
            renamer.visit(stmt)


def _enumerated(node) -> bool:
    return isinstance(node, gast.Call) and anno.get(node.func, Key.FUNC) is enumerate and \
        len(node.args) + len(node.keywords) in (1, 2) and len(node.args) >= 1 and \
        all(k.arg == 'start' for k in node.keywords)


def _read_as_value(body: list, variable: str, local_functions: set) -> bool:
    """Whether ``body`` reads ``variable`` other than to call it or to hand it to a
    local function (which is inlined too): passes it on to a library call."""
    nested = local_functions | {stmt.name for stmt in body
                                if isinstance(stmt, gast.FunctionDef)}
    inlined = set()
    for stmt in body:
        for node in anno.walk(stmt):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
                inlined.add(id(node.func))
                if node.func.id in nested:
                    inlined.update(id(arg) for arg in node.args)
                    inlined.update(id(keyword.value) for keyword in node.keywords)
    return any(isinstance(node, gast.Name) and node.id == variable and
               isinstance(node.ctx, gast.Load) and id(node) not in inlined
               for stmt in body for node in anno.walk(stmt))


def _enumerate_start(node) -> gast.expr | None:
    if len(node.args) == 2:
        return node.args[1]
    return node.keywords[0].value if node.keywords else None


def _dict_view(node) -> str | None:
    """``'items'`` for ``d.items()`` (also ``keys``, ``values``) on a variable."""
    if isinstance(node, gast.Call) and not node.args and not node.keywords and \
            isinstance(node.func, gast.Attribute) and \
            node.func.attr in ('items', 'keys', 'values') and \
            not anno.has(node.func, Key.FUNC) and not anno.has(node.func.value, Key.FUNC):
        return node.func.attr
    return None


def _keys_view(dictionary: gast.Name) -> gast.Call:
    """``dictionary.keys()``: a loop over it walks ``tangent.dict_keys(dictionary)``,
    which lists any iterable's items."""
    return gast.Call(func=gast.Attribute(value=dictionary, attr='keys', ctx=gast.Load()),
                     args=[], keywords=[])


def _indexes_with(variable: str, body: list) -> bool:
    """Whether ``variable`` is read inside a subscript's index somewhere in ``body``."""
    return any(isinstance(node, gast.Subscript) and any(
        isinstance(inner, gast.Name) and inner.id == variable for inner in anno.walk(node.slice))
        for statement in body for node in anno.walk(statement))


def _unpack(target: gast.expr, item: gast.expr, reads: list) -> None:
    """``target = item`` as one assignment per name where the shapes agree."""
    if isinstance(target, (gast.Tuple, gast.List)) and isinstance(item, gast.Tuple) and \
            len(target.elts) == len(item.elts):
        for sub_target, sub_item in zip(target.elts, item.elts):
            _unpack(sub_target, sub_item, reads)
        return
    reads.append(assign(target, item))


def _builtin(id_: str) -> gast.Name:
    node = name(id_)
    anno.set(node, Key.FUNC, __builtins__[id_] if isinstance(__builtins__, dict)
             else getattr(__builtins__, id_))
    return node


def _load(node):
    node = anno.copy_tree(node)
    _set_ctx(node, gast.Load())
    return node


def _set_ctx(node, ctx):
    for child in anno.walk(node):
        if hasattr(child, 'ctx'):
            child.ctx = type(ctx)()

"""Reverse mode: the primal pass and its adjoint.

Requires: a function in normal form (``anf``) whose names are resolved
(``annotate.resolve``).

Produces, for one function and a set of ``wrt`` arguments, two lists of
statements: the primal (forward) pass, and the adjoint (backward) pass that
runs its statements in reverse, each block under a ``# Grad of:`` comment.
``motion`` assembles them into joint or split functions.

How values reach the backward pass. A value is recorded on the tape only if
the backward pass could not otherwise see it: before a variable is
overwritten (assigned twice, or assigned inside a loop), its old value is
pushed, and the adjoint of that assignment pops it back, so every adjoint
reads the values its primal statement saw. The optimizer later drops pairs
whose popped value nothing reads. ``if`` tests are variables like any other;
``for`` loops run backward over the same ``range`` reversed; ``while`` loops
count their iterations.

How adjoints accumulate. While writing the backward pass the transformer
tracks, per variable, whether its adjoint is unset, set (possibly sharing an
array with another adjoint), or owned (a fresh array that may be updated in
place). The first contribution assigns, later ones add, and a zero is
created only where control flow needs one: before a loop or branch in which
an adjoint is read before any contribution is certain.
"""

from __future__ import annotations

import enum
import functools
import types
from typing import Any, Callable

import gast
import numpy as np

from tangent import backends, runtime
from tangent.errors import (
    FUNCTION_VALUE, OBJECT_ATTRIBUTE, ReverseNotImplementedError, callable_name,
)
from tangent.frontend import annotate
from tangent.frontend.anf import is_atom
from tangent.rules import policy, registry
from tangent.rules.policy import Derivation
from tangent.syntax import annotations as anno, comments, create, quoting, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.create import assign, name
from tangent.syntax.naming import adjoint_name, Namer, Namespace
from tangent.transforms import checkpoint, template

STACK = '_stack'


class Adj(enum.IntEnum):
    """What is known about an adjoint variable at a point of the backward pass."""

    UNSET = 0   # no gradient has reached it: the first contribution assigns
    SET = 1     # holds a gradient that may share an array with another adjoint
    OWNED = 2   # holds a fresh array only this variable refers to


State = dict  # primal name -> Adj (missing means UNSET)


class Subroutine:
    """What the driver returns for a user function called by the differentiated one."""

    def __init__(self, function: Callable, seed_name: str, returns_number: bool = False):
        self.function = function    # its generated reverse function
        self.seed_name = seed_name  # the name of that function's seed parameter
        # Written for parameters typed as numbers, it returns a number too.
        self.returns_number = returns_number


class ReverseResult:
    """The pieces ``motion`` assembles into functions."""

    def __init__(self, primal: list, adjoint: list, result_name: str, seed_name: str,
                 wrt_names: list, gradient_names: list, pushed: set, uses_stack: bool,
                 stack_name: str, adjoint_stack_name: str | None,
                 returns_number: bool = False, tape_lists: list | None = None):
        self.primal = primal
        self.adjoint = adjoint
        self.result_name = result_name
        self.seed_name = seed_name
        self.wrt_names = wrt_names
        self.gradient_names = gradient_names
        self.pushed = pushed
        self.uses_stack = uses_stack
        self.stack_name = stack_name
        self.adjoint_stack_name = adjoint_stack_name
        self.returns_number = returns_number  # the result is a number when the typed ones are
        self.tape_lists = tape_lists or []  # the lists range loops record into, each from []


def _differentiable(value: gast.expr) -> bool:
    """Whether a right-hand side can pass a derivative from its operands on."""
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        return False
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.Not):
        return False
    if isinstance(value, gast.Call) and annotate.is_non_differentiable_call(value):
        return False
    if isinstance(value, gast.Attribute) and value.attr in annotate.NON_DIFFERENTIABLE_ATTRIBUTES:
        return False
    if isinstance(value, (gast.BinOp, gast.UnaryOp)) and \
            annotate.is_non_differentiable_operation(value):
        return False
    return True


class ReverseAD:
    """Writes the primal and adjoint passes of one normalised function."""

    def __init__(self, fdef: gast.FunctionDef, wrt: list[int], namer: Namer,
                 namespace: Namespace, differentiate_subroutine: Callable,
                 filename: str, param_types: dict[str, type] | None = None,
                 file_of: Callable[[int], str | None] | None = None):
        self.param_types = param_types or {}
        self.fdef = fdef
        self.namer = namer
        self.namespace = namespace
        self.differentiate_subroutine = differentiate_subroutine
        self.filename = filename
        # The file a line number refers to: helpers copied in come from other files.
        self.file_of = file_of or (lambda line: None)
        # The backends whose rules apply to differentiated values here, by name.
        self.libraries: dict = {}
        # Keyword-only parameters follow the positional ones (a subroutine's wrt
        # positions may name them).
        self.params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
        self.wrt_names = [self.params[i] for i in wrt]
        self.result_name = fdef.body[-1].value.id
        self.active = annotate.activity(fdef, set(self.wrt_names), _differentiable)
        self.adjoint_names: dict[str, str] = {}
        self.pushed = self._names_to_push()
        self.op_ids = 0
        self.stack_pushes = 0  # pushes onto the general tape (not into a loop's lists)
        # Inside a for loop over range without break, each taped variable has a list of
        # its own, filled by append and emptied by pop: op_id -> that list's name.
        self.tape_lists: dict[str, str] = {}
        self.into_lists = False
        self.range_counters: list[str] = []  # of the enclosing for loops over range
        # id(loop) -> the statements of its body that its backward body computes again
        self.recomputed: dict[int, list] = {}
        self.reads_unchanged_arrays = _mutates_nothing(fdef)
        self.assignments, self.loads = _name_counts(fdef)
        self.loop_depth = 0
        self.loop_counters: dict[int, tuple[str, str | None]] = {}
        self._before: list = []
        self.stack = namer.fresh(STACK)
        self.adjoint_stack_name: str | None = None
        self.lineno = None  # of the user's statement being differentiated, for errors
        # id(statement) -> the variables certainly bound when it starts
        self.bound_before: dict[int, frozenset] = {}
        _bind_statements(fdef.body, set(self.params), self.bound_before)
        # Variables that only ever hold numbers or arrays: their gradients add with +.
        self.sequences = sequence_variables(fdef)
        self.numeric = _numeric_variables(fdef, self.sequences)
        scalars = {p for p, cls in self.param_types.items() if cls in _SCALAR_CLASSES}
        self.shape_classes = _shape_classes(
            fdef, self.params, scalars,
            lambda value: sequence_operation(value, self.numeric, self.sequences) is not None,
            self._steps_of_numbers())
        self.maybe_none: set[str] = set()  # adjoints that may hold None (a zero)
        # (rule, parameters differentiated, parameters of the result's shape) -> what
        # the rule's derivatives expand to (``template.expansion_values``).
        self.expansions: dict[tuple, list] = {}
        # Adjoints that the code being written copies before writing into them in
        # place (what a loop body would otherwise do in every iteration).
        self.copied_to_own: set[str] = set()

    # Names -------------------------------------------------------------------

    def adj(self, primal: str) -> str:
        """The adjoint variable of ``primal`` (``bx``)."""
        if primal not in self.adjoint_names:
            self.adjoint_names[primal] = self.namer.fresh(adjoint_name(primal))
        return self.adjoint_names[primal]

    def _op_id(self, primal: str) -> str:
        self.op_ids += 1
        return f'{primal}_{self.op_ids}'

    def _names_to_push(self) -> set[str]:
        """Variables that may be overwritten while the backward pass needs them."""
        counts: dict[str, int] = {name_: 1 for name_ in self.params}

        def visit(stmts, in_loop):
            for stmt in stmts:
                if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                    target = stmt.targets[0].id
                    counts[target] = counts.get(target, 0) + (2 if in_loop else 1)
                elif isinstance(stmt, gast.Assign):  # x[i] = v overwrites part of x
                    base = stmt.targets[0].value.id
                    counts[base] = counts.get(base, 0) + 2
                elif isinstance(stmt, gast.For):
                    target = stmt.target.id
                    counts[target] = counts.get(target, 0) + (2 if in_loop else 1)
                    if anno.has(stmt, Key.CHECKPOINT):
                        # Replayed from snapshots, not taped; leaves its state as one
                        # assignment would.
                        state = anno.get(stmt, Key.CHECKPOINT).state
                        counts[state] = counts.get(state, 0) + (2 if in_loop else 1)
                    else:
                        visit(stmt.body, True)
                elif isinstance(stmt, gast.While):
                    visit(stmt.body, True)
                elif isinstance(stmt, gast.If):
                    visit(stmt.body, in_loop)
                    visit(stmt.orelse, in_loop)
        visit(self.fdef.body, False)
        return {n for n, count in counts.items() if count > 1}

    # Driver ------------------------------------------------------------------

    def run(self) -> ReverseResult:
        body = self.fdef.body[:-1]
        seed = self.adj(self.result_name)
        primal = self.primal_block(body)
        state: State = {self.result_name: Adj.SET} if self.result_name in self.active else {}
        adjoint = self.adjoint_block(body, state)
        gradient_names = []
        zero_of = {argument.id: anno.get(argument, Key.ZERO_GRADIENT_OF, None)
                   for argument in self.fdef.args.args}
        for wrt_name in self.wrt_names:
            if state.get(wrt_name, Adj.UNSET) is Adj.UNSET:
                like = zero_of.get(wrt_name)
                adjoint.append(assign(self.adj(wrt_name), create.runtime_call(
                    self.namespace, runtime.init_grad,
                    [name(wrt_name) if like is None else anno.copy_tree(like)])))
            gradient_names.append(self.adj(wrt_name))
        self._tape_shapes_only(primal, adjoint)
        return ReverseResult(primal=primal, adjoint=adjoint, result_name=self.result_name,
                             seed_name=seed, wrt_names=self.wrt_names,
                             gradient_names=gradient_names, pushed=self.pushed,
                             uses_stack=bool(self.stack_pushes), stack_name=self.stack,
                             adjoint_stack_name=self.adjoint_stack_name,
                             returns_number=self.shape_classes.get(self.result_name) == _SCALAR,
                             tape_lists=sorted(self.tape_lists.values()))

    def _tape_shapes_only(self, primal: list, adjoint: list) -> None:
        """Tape only the shape of values the backward pass reads only for their shape.

        ``unbroadcast(g, x)`` needs x's shape and dtype, not its contents; a
        person would not keep every intermediate array of a loop alive for that.
        """
        if not (self.stack_pushes or self.tape_lists):
            return  # nothing is taped
        loads, shape_reads = [], set()
        for statement in adjoint:
            for node in anno.walk(statement):
                if isinstance(node, gast.Call):
                    position = _SHAPE_ARGUMENT.get(self._runtime_function(node.func))
                    if position is not None and position < len(node.args) and \
                            isinstance(node.args[position], gast.Name):
                        shape_reads.add(id(node.args[position]))
                elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    loads.append(node)
        value_reads = {node.id for node in loads if id(node) not in shape_reads}
        for statement in _walk_statements(primal):
            if not (anno.has(statement, Key.PUSH) and isinstance(statement, gast.Expr)):
                continue
            position = 0 if anno.get(statement, Key.PUSH) in self.tape_lists else 1
            pushed = statement.value.args[position]
            if isinstance(pushed, gast.Name) and pushed.id not in value_reads:
                statement.value.args[position] = create.runtime_call(
                    self.namespace, runtime.shape_only, [pushed])

    def _runtime_function(self, func: gast.expr) -> Any:
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            module = self.namespace.values.get(func.value.id)
            return getattr(module, func.attr, None) if module is not None else None
        return None

    @property
    def pushed_used(self) -> bool:
        return self.op_ids > 0

    # Primal pass ---------------------------------------------------------------

    def push(self, primal: str, op_id: str, value: gast.expr | None = None) -> gast.stmt:
        value = value if value is not None else name(primal)
        if self.into_lists:
            # Pops mirror pushes, so each op_id's values come back in reverse order
            # on a list of its own as on the shared tape, with no call into tangent.
            saved = self.tape_lists[op_id] = self.namer.fresh(f'{primal}_saved')
            append = gast.Attribute(value=name(saved), attr='append', ctx=gast.Load())
            call = gast.Call(func=append, args=[value], keywords=[])
        else:
            self.stack_pushes += 1
            call = create.runtime_call(self.namespace, runtime.push,
                                       [name(self.stack), value, create.const(op_id)])
        node = gast.Expr(value=call)
        anno.set(node, Key.PUSH, op_id)
        return node

    def pop(self, target: gast.expr, op_id: str) -> gast.stmt:
        if op_id in self.tape_lists:
            pop = gast.Attribute(value=name(self.tape_lists[op_id]), attr='pop', ctx=gast.Load())
            node = assign(target, gast.Call(func=pop, args=[], keywords=[]))
        else:
            node = assign(target, create.runtime_call(self.namespace, runtime.pop,
                                                      [name(self.stack), create.const(op_id)]))
        anno.set(node, Key.PUSH, op_id)
        return node

    def primal_block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.primal_statement(stmt))
        return out

    def primal_statement(self, stmt: gast.stmt) -> list:
        tape = annotate.tape_operation(stmt)
        if tape is not None and tape[0] == 'add_at':
            return [stmt]  # updates its target in place: nothing to restore
        popped_list = annotate.list_pop(stmt)
        if popped_list is not None:  # the backward pass puts the item back from the tape
            op_id = self._op_id(popped_list)
            anno.set(stmt, Key.SAVED, op_id)
            last = gast.Subscript(value=name(popped_list), slice=create.const(-1),
                                  ctx=gast.Load())
            return [self.push(popped_list, op_id, last), stmt]
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name) and target.id in self.pushed and \
                    not self.is_recomputed(stmt):
                op_id = self._op_id(target.id)
                anno.set(stmt, Key.SAVED, op_id)
                return [self.push(target.id, op_id), stmt]
            if isinstance(target, gast.Subscript) and target.value.id in self.pushed:
                op_id = self._op_id(target.value.id)
                anno.set(stmt, Key.SAVED, op_id)
                old = create.runtime_call(self.namespace, runtime.copy_item,
                                          [name(target.value.id), create.index(target.slice)])
                return [self.push(target.value.id, op_id, old), stmt]
            return [stmt]
        if isinstance(stmt, gast.If):
            return [gast.If(test=stmt.test, body=self.primal_block(stmt.body) or [gast.Pass()],
                            orelse=self.primal_block(stmt.orelse))]
        if isinstance(stmt, gast.For):
            out = []
            if anno.has(stmt, Key.CHECKPOINT):
                return [stmt]  # no tape inside: the backward pass replays steps
            if stmt.target.id in self.pushed:
                op_id = self._op_id(stmt.target.id)
                anno.set(stmt, Key.SAVED, op_id)
                out.append(self.push(stmt.target.id, op_id))
            counts = isinstance(stmt.iter, gast.Call) and annotate.callee(stmt.iter) is range
            into_lists, self.into_lists = self.into_lists, counts and not _breaks(stmt.body)
            if counts:
                self.range_counters.append(stmt.target.id)
                self.find_recomputed(stmt)
            try:
                body = self.loop_primal(stmt.body)
            finally:
                self.into_lists = into_lists
                if counts:
                    self.range_counters.pop()
            if _breaks(stmt.body):  # the backward loop replays only the iterations that ran
                counter, counter_code = self.iteration_counter(stmt)
                out += counter_code
                body.insert(0, assign(counter, gast.BinOp(left=name(counter), op=gast.Add(),
                                                          right=create.const(1))))
            out.append(gast.For(target=stmt.target, iter=stmt.iter, body=body,
                                orelse=[], type_comment=None))
            return out
        if isinstance(stmt, gast.While):
            counter, out = self.iteration_counter(stmt)
            increment = assign(counter, gast.BinOp(left=name(counter), op=gast.Add(),
                                                   right=create.const(1)))
            into_lists, self.into_lists = self.into_lists, False
            try:
                body = self.loop_primal(stmt.body)
            finally:
                self.into_lists = into_lists
            return out + [gast.While(test=stmt.test, body=[increment] + body, orelse=[])]
        if isinstance(stmt, gast.With):
            return []  # an insert_grad_of block runs in the backward pass only
        return [stmt]

    def find_recomputed(self, loop: gast.For) -> None:
        """Mark the items ``v = a[i]`` of the loop's body that its backward body reads
        again instead of taping them.

        That gives the value the primal iteration read when nothing changes ``a``
        (a parameter, in a function that writes into nothing), ``i`` is a constant
        or the counter of an enclosing loop over range (assigned nowhere else), and
        only what follows in the same iteration reads ``v`` (assigned only there).
        """
        if not self.reads_unchanged_arrays:
            return
        for index, stmt in enumerate(loop.body):
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and isinstance(stmt.value, gast.Subscript)
                    and isinstance(stmt.value.value, gast.Name)):
                continue
            item, array, position = stmt.targets[0].id, stmt.value.value.id, stmt.value.slice
            constant = isinstance(position, gast.Constant) and _is_int(position)
            counter = isinstance(position, gast.Name) and position.id in self.range_counters \
                and self.assignments.get(position.id) == 1
            unchanged = array in self.params and self.assignments.get(array) == 1
            read_after = sum(_load_count(later, item) for later in loop.body[index + 1:])
            if (constant or counter) and unchanged and self.assignments.get(item) == 1 \
                    and read_after == self.loads.get(item, 0):
                anno.set(stmt, Key.RECOMPUTED, True)
                self.recomputed.setdefault(id(loop), []).append(stmt)

    @staticmethod
    def is_recomputed(stmt: gast.stmt) -> bool:
        return anno.get(stmt, Key.RECOMPUTED, False)

    def iteration_counter(self, loop) -> tuple[str, list]:
        """A variable counting a loop's iterations, and the code that starts it."""
        counter = self.namer.fresh('n_iterations')
        out = []
        op_id = None
        if self.loop_depth:  # an enclosing loop runs this loop again
            op_id = self._op_id(counter)
            out.append(self.push(counter, op_id))
            self.pushed.add(counter)
        self.loop_counters[id(loop)] = (counter, op_id)
        return counter, out + [assign(counter, create.const(0))]

    def loop_primal(self, body: list) -> list:
        self.loop_depth += 1
        try:
            return self.primal_block(body) or [gast.Pass()]
        finally:
            self.loop_depth -= 1

    # Adjoint pass --------------------------------------------------------------

    def adjoint_block(self, stmts: list, state: State) -> list:
        out = []
        for stmt in reversed(stmts):
            out.extend(self.adjoint_statement(stmt, state))
        return out

    def adjoint_statement(self, stmt: gast.stmt, state: State) -> list:
        self.lineno = anno.get(stmt, Key.LINENO) or self.lineno
        tape = annotate.tape_operation(stmt)
        if tape is not None:
            return self.adjoint_tape(stmt, state, *tape)
        appended = annotate.list_append(stmt)
        if appended is not None:
            return self.adjoint_append(stmt, state, *appended)
        popped_list = annotate.list_pop(stmt)
        if popped_list is not None:
            return self.adjoint_list_pop(stmt, state, popped_list)
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                out = self.adjoint_assign(target.id, stmt.value, state)
                if out:
                    out.insert(0, comments.comment('Grad of: ' + quoting.to_source(stmt)))
                if anno.has(stmt, Key.SAVED):
                    out.append(self.pop(name(target.id, store=True), anno.get(stmt, Key.SAVED)))
                return out
            restore = None
            if anno.has(stmt, Key.SAVED):
                item = gast.Subscript(value=name(target.value.id),
                                      slice=anno.copy_tree(target.slice), ctx=gast.Store())
                restore = self.pop(item, anno.get(stmt, Key.SAVED))
            out = self.adjoint_subscript_write(target, stmt.value, state, restore)
            if out and out[0] is not restore:
                out.insert(0, comments.comment('Grad of: ' + quoting.to_source(stmt)))
            return out
        if isinstance(stmt, gast.If):
            return self.adjoint_if(stmt, state)
        if isinstance(stmt, gast.For):
            return self.adjoint_for(stmt, state)
        if isinstance(stmt, gast.While):
            return self.adjoint_while(stmt, state)
        if isinstance(stmt, gast.With):
            return self.adjoint_insert_grad_of(stmt, state)
        return []  # print(...), assert, raise: no derivative

    def adjoint_tape(self, stmt, state: State, kind: str, op_id, operand) -> list:
        """Adjoints of the tape operations found in generated code (higher order).

        A value pushed and later popped is a copy travelling through the tape, so
        its adjoint travels back through a second tape: the adjoint of the pop
        pushes the popped variable's gradient, the adjoint of the push pops it.
        """
        slot_active = annotate.tape_slot(op_id) in self.active if kind != 'add_at' else True
        out = []
        if kind == 'pop':
            target = operand
            if slot_active:
                gradient = (name(self.adj(target)) if state.get(target, Adj.UNSET)
                            is not Adj.UNSET else self.zero(target).value)
                out.append(gast.Expr(value=create.runtime_call(self.namespace, runtime.push, [
                    name(self.adjoint_stack()), gradient, create.const(op_id)])))
                state[target] = Adj.UNSET
            if anno.has(stmt, Key.SAVED):
                out.append(self.pop(name(target, store=True), anno.get(stmt, Key.SAVED)))
            return out
        if kind == 'push':
            if not slot_active:
                return []
            popped = create.runtime_call(self.namespace, runtime.pop,
                                         [name(self.adjoint_stack()), create.const(op_id)])
            if self.is_active(operand):
                return self.accumulate(operand.id, popped, state)
            return [gast.Expr(value=popped)]
        target, value = operand
        if not self.is_active(value) or state.get(target, Adj.UNSET) is Adj.UNSET:
            return []
        index = stmt.value.args[1]
        part = gast.Subscript(value=name(self.adj(target)), slice=anno.copy_tree(index),
                              ctx=gast.Load())
        return self.accumulate(value.id, create.runtime_call(
            self.namespace, runtime.unbroadcast,
            [create.runtime_call(self.namespace, runtime.copy, [part]), name(value.id)]), state)

    def adjoint_append(self, stmt, state: State, list_name: str, value) -> list:
        """``l.append(v)``: v's gradient is the last of l's; l is restored for what ran before."""
        out = []
        if list_name in self.active and state.get(list_name, Adj.UNSET) is not Adj.UNSET:
            out.append(comments.comment('Grad of: ' + quoting.to_source(stmt)))
            if self.is_active(value):
                last = gast.Subscript(value=name(self.adj(list_name)), slice=create.const(-1),
                                      ctx=gast.Load())
                out.extend(self.accumulate(value.id, last, state))
            out.append(assign(self.adj(list_name), gast.Subscript(
                value=name(self.adj(list_name)),
                slice=gast.Slice(lower=None, upper=create.const(-1), step=None), ctx=gast.Load())))
            state[list_name] = Adj.SET
        pop = gast.Attribute(value=name(list_name), attr='pop', ctx=gast.Load())
        out.append(gast.Expr(value=gast.Call(func=pop, args=[], keywords=[])))
        return out

    def adjoint_list_pop(self, stmt, state: State, list_name: str) -> list:
        """``l.pop()``, found in derivatives being differentiated again (the adjoint of an
        append pops): the item goes back on ``l`` from the tape, and l's gradient gets a
        zero for it, since the popped item was never read."""
        item = self.namer.fresh(f'{list_name}_popped')
        restore = self.pop(name(item, store=True), anno.get(stmt, Key.SAVED))
        append = gast.Attribute(value=name(list_name), attr='append', ctx=gast.Load())
        out = [comments.comment('Grad of: ' + quoting.to_source(stmt)), restore,
               gast.Expr(value=gast.Call(func=append, args=[name(item)], keywords=[]))]
        if list_name in self.active and state.get(list_name, Adj.UNSET) is not Adj.UNSET:
            zero = create.runtime_call(self.namespace, runtime.init_grad, [name(item)])
            out.append(assign(self.adj(list_name), gast.BinOp(
                left=name(self.adj(list_name)), op=gast.Add(),
                right=gast.List(elts=[zero], ctx=gast.Load()))))
            state[list_name] = Adj.SET
        return out

    def adjoint_stack(self) -> str:
        if self.adjoint_stack_name is None:
            self.adjoint_stack_name = self.namer.fresh('_adjoint_stack')
        return self.adjoint_stack_name

    # Accumulation

    def accumulate(self, primal: str, value: gast.expr, state: State) -> list:
        """Add ``value`` into the adjoint of ``primal``."""
        adjoint = self.adj(primal)
        if state.get(primal, Adj.UNSET) is Adj.UNSET:
            state[primal] = Adj.SET
            return [assign(adjoint, value)]
        state[primal] = Adj.OWNED
        if primal in self.numeric and primal not in self.maybe_none:
            return [assign(adjoint, gast.BinOp(left=name(adjoint), op=gast.Add(), right=value))]
        return [assign(adjoint, create.runtime_call(self.namespace, runtime.add_grad,
                                                    [name(adjoint), value]))]

    def own(self, primal: str, state: State) -> list:
        """Make the adjoint of ``primal`` a fresh array that may be updated in place."""
        status = state.get(primal, Adj.UNSET)
        state[primal] = Adj.OWNED
        if status is Adj.UNSET:
            return [self.zero(primal)]
        if status is Adj.SET:
            self.copied_to_own.add(primal)
            return [self.copy_adjoint(primal)]
        return []

    def copy_adjoint(self, primal: str) -> gast.stmt:
        return assign(self.adj(primal), create.runtime_call(self.namespace, runtime.copy,
                                                            [name(self.adj(primal))]))

    def zero_where(self, primal: str, bound: frozenset, state: State) -> gast.stmt:
        """A zero adjoint at a point where ``primal`` may not be bound yet.

        A taped variable holds there the value it had at that point of the
        primal pass, or None where it was not bound yet (the tape starts it
        as None), so ``init_grad`` gives its zero, or None. A loop needs that:
        the zero left at the end of one backward iteration is the seed that
        the next one (the previous primal iteration) reads. Otherwise no
        statement on a path where ``primal`` is unbound assigned it, so nothing
        reads its adjoint but ``add_grad``, for which None is zero.
        """
        if primal in bound:
            state[primal] = Adj.OWNED
            return self.zero(primal)
        state[primal] = Adj.SET
        self.maybe_none.add(primal)
        if primal in self.pushed:
            return self.zero(primal)
        return assign(self.adj(primal), create.const(None))

    def zero(self, primal: str) -> gast.stmt:
        return assign(self.adj(primal), create.runtime_call(self.namespace, runtime.init_grad,
                                                            [name(primal)]))

    def is_active(self, node: gast.expr) -> bool:
        if isinstance(node, gast.Starred):  # f(*args) passes on what args holds
            node = node.value
        return isinstance(node, gast.Name) and node.id in self.active

    # Statements

    def adjoint_assign(self, target: str, value: gast.expr, state: State) -> list:
        if target not in self.active or state.get(target, Adj.UNSET) is Adj.UNSET:
            return []
        seed = name(self.adj(target))
        out = self.adjoint_value(target, value, seed, state)
        state[target] = Adj.UNSET  # the old value of target has its own, fresh adjoint
        return out

    def adjoint_value(self, target: str, value: gast.expr, seed: gast.Name,
                      state: State) -> list:
        if isinstance(value, gast.Name):
            return self.accumulate(value.id, seed, state) if self.is_active(value) else []
        if is_atom(value) or not _differentiable(value):
            return []
        if isinstance(value, (gast.BinOp, gast.UnaryOp)):
            func, args = annotate.operation_of(value)
            if annotate.is_square(value):  # x * x is x ** 2: one term, not two
                func, args = annotate.operator.pow, [value.left, create.const(2)]
            sequence_rule = sequence_operation(value, self.numeric, self.sequences)
            if sequence_rule is not None:  # may join or repeat lists: decided at run time
                return self.expand_rule(sequence_rule, target, args, {}, seed, state, value)
            return self.expand_rule(func, target, args, {}, seed, state, value,
                                    self.same_shape_operands(target, args))
        if isinstance(value, gast.Call):
            return self.adjoint_call(target, value, seed, state)
        if isinstance(value, gast.Subscript):
            if not self.is_active(value.value):
                return []
            base = value.value.id
            out = self.own(base, state)
            # Assigned back: arrays are updated in place, tuples rebuilt.
            out.append(assign(self.adj(base), create.runtime_call(
                self.namespace, runtime.add_at,
                [name(self.adj(base)), create.index(value.slice), seed])))
            return out
        if isinstance(value, (gast.Tuple, gast.List)):
            out = []
            for index, element in enumerate(value.elts):
                if self.is_active(element):
                    item = gast.Subscript(value=anno.copy_tree(seed), slice=create.const(index),
                                          ctx=gast.Load())
                    out.extend(self.accumulate(element.id, item, state))
            return out
        if isinstance(value, gast.Dict):
            out = []
            for key, element in zip(value.keys, value.values):
                if self.is_active(element):
                    item = gast.Subscript(value=anno.copy_tree(seed), slice=anno.copy_tree(key),
                                          ctx=gast.Load())
                    out.extend(self.accumulate(element.id, item, state))
            return out
        if isinstance(value, gast.Attribute):
            if value.attr == 'T' and self.is_active(value.value):
                return self.accumulate(value.value.id, gast.Attribute(
                    value=anno.copy_tree(seed), attr='T', ctx=gast.Load()), state)
            if self.is_active(value.value):
                self._no_rule(f'the attribute .{value.attr}', value, OBJECT_ATTRIBUTE)
            return []
        if isinstance(value, gast.Lambda):
            self._no_rule(quoting.to_source(value), value, FUNCTION_VALUE)
        self._no_rule(quoting.to_source(value), value)
        return []

    def adjoint_call(self, target, call, seed, state) -> list:
        func = annotate.callee(call)
        args = annotate.call_arguments(call)
        active_args = [arg for arg in args if self.is_active(arg)]
        active_args += [k.value for k in call.keywords if self.is_active(k.value)]
        active_args += [r for r in annotate.unresolved_receiver(call) if self.is_active(r)]
        if not active_args:
            return []
        keywords = {k.arg: k.value for k in call.keywords}
        how = policy.derivation(func, 'reverse') if func is not None else None
        if how is Derivation.RULE:
            same_shape = self.same_shape_operands(target, args) \
                if isinstance(func, np.ufunc) else frozenset()
            return self.expand_rule(func, target, args, keywords, seed, state, call, same_shape)
        if func is None:
            self._no_rule(quoting.to_source(call.func), call,
                          annotate.unresolved_callee_advice(call))
        function, args = annotate.call_target(call)
        if isinstance(function, types.FunctionType) and how is not Derivation.MISSING and \
                not annotate.is_library_primitive(function):
            return self.adjoint_subroutine(function, args, call, seed, state)
        self._no_rule(callable_name(func), call)
        return []

    def same_shape_operands(self, target: str, operands: list) -> frozenset:
        """The operands of an element-wise operation known to have the result's shape:
        ``unbroadcast(g, x)`` has nothing to sum for them."""
        result_class = self.shape_classes.get(target)
        same = {arg.id for arg in operands if isinstance(arg, gast.Name)
                and result_class is not None and self.shape_classes.get(arg.id) == result_class}
        names = {arg.id for arg in operands if isinstance(arg, gast.Name)}
        if len(names) == 1 and all(isinstance(arg, gast.Name) or _is_number(arg)
                                   for arg in operands):
            same |= names  # x * x, x * 2.0: the result has x's shape
        return frozenset(same)

    def _without_unbroadcast(self, same_shape: frozenset):
        """``unbroadcast(g, x)`` -> ``g`` for the operands x known to have g's shape."""
        def simplify(call: gast.Call) -> gast.expr:
            if len(call.args) == 2 and isinstance(call.args[1], gast.Name) \
                    and call.args[1].id in same_shape \
                    and self._runtime_function(call.func) is runtime.unbroadcast:
                return call.args[0]
            return call
        return simplify

    def _no_rule(self, what: str, node: gast.AST, advice: str = '') -> None:
        line = self._line_of(node)
        raise ReverseNotImplementedError(what, f'called at {self._file_at(line)}:{line}', advice)

    def _line_of(self, node) -> Any:
        return getattr(node, 'lineno', None) or self.lineno or '?'

    def _file_at(self, line: Any) -> str:
        return (self.file_of(line) if isinstance(line, int) else None) or self.filename

    def expand_rule(self, func, target, args, keywords, seed, state, node,
                    same_shape: frozenset = frozenset()) -> list:
        line = self._line_of(node)
        backends.check_unmixed(self.libraries, func, f'{self._file_at(line)}:{line}',
                               self.fdef.name)
        rule = template.parse_template(registry.adjoints[func])
        func_name = getattr(func, '__name__', str(func))
        bindings = rule.bind(list(args), keywords, self.namespace, func_name)
        bindings[rule.result_param] = name(target)

        def read(param):
            if param != rule.result_param:
                raise TypeError(f'Adjoint template {rule.name} reads d[{param}]; '
                                f'an adjoint may only read d[{rule.result_param}].')
            return anno.copy_tree(seed)

        written = set()

        def write(param, value):
            written.add(param)
            actual = bindings[param]
            if value is not None and self.is_active(actual):
                return self.accumulate(actual.id, value, state)
            return []

        def wanted(param):
            return self.is_active(bindings[param])

        if rule.derivatives_only:
            # The same rule with the same arguments differentiated, over the same shapes:
            # the values written last time, with this call's operands put in.
            wanted_params = frozenset(p for p in rule.params if wanted(p))
            same_params = frozenset(p for p in rule.params if isinstance(bindings[p], gast.Name)
                                    and bindings[p].id in same_shape)
            key = (rule, wanted_params, same_params)
            values = self.expansions.get(key)
            if values is None:
                values = self.expansions[key] = template.expansion_values(
                    rule, self.namespace, self.namer, read, wanted_params, same_params,
                    self._without_unbroadcast)
            out = []
            for param, value in values:
                out.extend(write(param, None if value is None else
                                 template.substitute(value, bindings, seed)))
        else:
            out = template.expand(rule, bindings, self.namespace, self.namer, read, write,
                                  wanted, self._without_unbroadcast(same_shape)
                                  if same_shape else None)
        template.require_partials(rule, func, bindings, written, self.is_active, 'reverse',
                                  f'{self._file_at(line)}:{line}')
        return out

    def adjoint_subroutine(self, func, args, call, seed, state) -> list:
        line = self._line_of(call)
        where = (self._file_at(line), line, None)
        active = annotate.active_parameters(func, args, call.keywords, self.is_active, where)
        if not active:
            return []
        positions = tuple(active)
        subroutine = self.differentiate_subroutine(
            func, positions, annotate.argument_types(func, args, self.param_types,
                                                   call.keywords))
        function_name = self.namespace.ref(subroutine.function, subroutine.function.__name__)
        parts = [self.namer.fresh(adjoint_name(node.id) + '_part') for node in active.values()]
        keywords = [anno.copy_tree(k) for k in call.keywords]
        keywords.append(gast.keyword(arg=subroutine.seed_name, value=anno.copy_tree(seed)))
        grad_call = gast.Call(func=name(function_name), args=anno.copy_tree(args),
                              keywords=keywords)
        if len(parts) == 1:
            out = [assign(parts[0], grad_call)]
        else:
            out = [assign(gast.Tuple(elts=[name(p, store=True) for p in parts],
                                     ctx=gast.Store()), grad_call)]
        for node, part in zip(active.values(), parts):
            out.extend(self.accumulate(node.id, name(part), state))
        return out

    def adjoint_subscript_write(self, target: gast.Subscript, value: gast.expr,
                                state: State, restore: gast.stmt | None) -> list:
        """``x[i] = v``: v's gradient is what x[i]'s was, and x[i]'s is zero before the
        write, shaped like the old item: set after ``restore`` (the pop of the old item)
        where the item was saved, else shaped like the item's gradient."""
        base = target.value.id
        if base not in self.active or state.get(base, Adj.UNSET) is Adj.UNSET:
            return [restore] if restore is not None else []
        out = []
        if self.is_active(value):
            part = create.runtime_call(self.namespace, runtime.written_grad,
                                       [name(self.adj(base)), create.index(target.slice),
                                        name(value.id)])
            out.extend(self.accumulate(value.id, create.runtime_call(
                self.namespace, runtime.unbroadcast, [part, name(value.id)]),
                state))
        out.extend(self.own(base, state))
        if restore is None:
            out.append(self.zero_item(base, target.slice, self.adj(base)))
        else:
            out += [restore, self.zero_item(base, target.slice, base)]
        return out

    def zero_item(self, base: str, index: gast.expr, like: str) -> gast.stmt:
        """``bx[i] = tangent.init_grad(like[i])``: a zero of that item's structure."""
        item = gast.Subscript(value=name(like), slice=create.index(index), ctx=gast.Load())
        return assign(gast.Subscript(value=name(self.adj(base)), slice=create.index(index),
                                     ctx=gast.Store()),
                      create.runtime_call(self.namespace, runtime.init_grad, [item]))

    def adjoint_insert_grad_of(self, stmt: gast.With, state: State) -> list:
        """``with insert_grad_of(x) as dx:``: the user's code, given x's gradient so far."""
        item = stmt.items[0]
        primal = item.context_expr.args[0].id
        alias = item.optional_vars.id
        out = [comments.comment('Grad of: ' + _header_source(stmt))]
        if primal not in self.active:
            out.append(assign(alias, create.runtime_call(self.namespace, runtime.init_grad,
                                                         [name(primal)])))
            return out + anno.copy_tree(stmt.body)
        if state.get(primal, Adj.UNSET) is Adj.UNSET:
            out.append(self.zero(primal))
        out.append(assign(alias, name(self.adj(primal))))
        out.extend(anno.copy_tree(stmt.body))
        out.append(assign(self.adj(primal), name(alias)))
        state[primal] = Adj.SET
        return out

    # Control flow

    def adjoint_if(self, stmt: gast.If, state: State) -> list:
        body_state, orelse_state = dict(state), dict(state)
        body = self.adjoint_block(stmt.body, body_state)
        orelse = self.adjoint_block(stmt.orelse, orelse_state)
        self.merge([(body, body_state), (orelse, orelse_state)], state,
                   self.bound_before.get(id(stmt), frozenset()))
        if not body and not orelse:
            return []
        node = gast.If(test=stmt.test, body=body or [gast.Pass()], orelse=orelse)
        return [comments.comment('Grad of: ' + _header_source(stmt)), node]

    def merge(self, branches: list, state: State, bound: frozenset) -> None:
        """Bring branch states to a common state (in place), adding zeros where needed."""
        # Also the names set before the branch: one that no branch state holds any
        # more (a nested merge dropped it as unset) is unset after the branch too.
        names = set(state)
        for _, branch_state in branches:
            names |= set(branch_state)
        for primal in sorted(names):  # the same code in every process
            statuses = [s.get(primal, Adj.UNSET) for _, s in branches]
            if all(status is Adj.UNSET for status in statuses):
                state.pop(primal, None)
                continue
            for (code, branch_state), status in zip(branches, statuses):
                if status is Adj.UNSET:
                    code.append(self.zero_where(primal, bound, branch_state))
            statuses = [s[primal] for _, s in branches]
            state[primal] = min(statuses)

    def loop_body(self, body: list, state: State, bound: frozenset) -> list:
        """The backward code of a loop body, run any number of times.

        Adjoint states at the end of the body must equal those at its start;
        variables that the body reads before any contribution get a zero
        before the loop (returned through ``self._before``).
        """
        before = []
        entry = dict(state)
        copied_outside = self.copied_to_own
        owned_before = set()
        for _ in range(8):
            trial_state = dict(entry)
            self.copied_to_own = set()
            code = self.adjoint_block(body, trial_state)
            changed = False
            for primal in sorted(set(trial_state) | set(entry)):  # same code in every process
                start = entry.get(primal, Adj.UNSET)
                end = trial_state.get(primal, Adj.UNSET)
                if start is Adj.UNSET and end is not Adj.UNSET:
                    before.append(self.zero_where(primal, bound, entry))
                    changed = True
                elif start is Adj.OWNED and end is Adj.SET:
                    entry[primal] = Adj.SET
                    changed = True
            if changed:
                continue
            # An adjoint the body copies to write into it in place (``by[i] = 0``),
            # and still owns at its end, is copied once before the loop instead of
            # in every iteration: a copy per iteration makes a loop filling an
            # array of n values cost n^2.
            owned_across = {primal for primal in self.copied_to_own - owned_before
                            if entry.get(primal) is Adj.SET
                            and trial_state.get(primal) is Adj.OWNED}
            if not owned_across:
                break
            for primal in sorted(owned_across):
                before.append(self.copy_adjoint(primal))
                entry[primal] = Adj.OWNED
            owned_before |= owned_across
        self.copied_to_own = copied_outside | self.copied_to_own | owned_before
        for primal, start in entry.items():
            end = trial_state.get(primal, Adj.UNSET)
            if start is not Adj.UNSET and end is Adj.UNSET:
                code.append(self.zero_where(primal, bound, {}))
        state.clear()
        state.update(entry)
        self._before = before
        return code

    def adjoint_for(self, stmt: gast.For, state: State) -> list:
        if anno.has(stmt, Key.CHECKPOINT):
            return self.adjoint_checkpointed_for(stmt, state)
        body = self.loop_body(stmt.body, state, self.bound_before.get(id(stmt), frozenset()))
        before = self._before
        out = []
        if body:
            iterations = anno.copy_tree(stmt.iter)
            if id(stmt) in self.loop_counters:
                counter, op_id = self.loop_counters[id(stmt)]
                iterations = gast.Subscript(value=iterations, slice=gast.Slice(
                    lower=None, upper=name(counter), step=None), ctx=gast.Load())
            reversed_iter = gast.Call(func=name(self.namespace.ref(reversed, 'reversed')),
                                      args=[iterations], keywords=[])
            # Items of unchanged arrays are read again where the primal read them.
            body = [anno.copy_tree(recomputed) for recomputed in
                    self.recomputed.get(id(stmt), [])] + body
            out = before + [comments.comment('Grad of: ' + _header_source(stmt)),
                            gast.For(target=anno.copy_tree(stmt.target), iter=reversed_iter,
                                     body=body, orelse=[], type_comment=None)]
        if id(stmt) in self.loop_counters and self.loop_counters[id(stmt)][1] is not None:
            counter, op_id = self.loop_counters[id(stmt)]
            out.append(self.pop(name(counter, store=True), op_id))
        if anno.has(stmt, Key.SAVED):
            out.append(self.pop(name(stmt.target.id, store=True), anno.get(stmt, Key.SAVED)))
        return out

    def adjoint_checkpointed_for(self, stmt: gast.For, state: State) -> list:
        """Replay the loop from snapshots on a binomial schedule, reversing each
        step with the gradient of the loop's step function."""
        loop = anno.get(stmt, Key.CHECKPOINT)
        if loop.state not in self.active or state.get(loop.state, Adj.UNSET) is Adj.UNSET:
            return []
        with_invariants = loop.invariants in self.active
        positions = (1, 2) if with_invariants else (1,)
        subroutine = self.step_gradient(loop, positions)
        out = [comments.comment('Grad of: ' + _header_source(stmt) + '  (checkpointed)')]
        bindings = {
            'unused': name(loop.state), 'state': name(loop.state),
            'bstate': name(self.adj(loop.state)), 'invariants': name(loop.invariants),
            'iterations': anno.copy_tree(stmt.iter), 'schedule': name(loop.schedule),
            'saved': name(loop.saved),
            'step': name(self.namespace.ref(loop.step_function, loop.step_name)),
            'dstep': name(self.namespace.ref(subroutine.function,
                                             subroutine.function.__name__))}
        schedule = checkpoint.REVERSE_SCHEDULE_STATE_ONLY
        if with_invariants:
            schedule = checkpoint.REVERSE_SCHEDULE
            bindings['binvariants'] = name(self.adj(loop.invariants))
            if state.get(loop.invariants, Adj.UNSET) is Adj.UNSET:
                out.append(self.zero(loop.invariants))
            state[loop.invariants] = Adj.OWNED
        state[loop.state] = Adj.OWNED
        code = template.expand(template.parse_template(schedule), bindings, self.namespace,
                               self.namer, lambda param: None, lambda param, value: [])
        if not loop.mutates_state:  # snapshots can share the state: steps rebind it
            code = [_WithoutCopies(self.namespace).visit(statement) for statement in code]
        return out + code

    def step_gradient(self, loop: checkpoint.CheckpointedLoop,
                      positions: tuple[int, ...]) -> Subroutine:
        """The gradient of a checkpointed loop's step; written for numbers when its
        state is a number at every step (see ``_steps_of_numbers``)."""
        if self.shape_classes.get(loop.state) == _SCALAR:
            return self.step_gradient_for_numbers(
                loop, positions, self.shape_classes.get(loop.invariants) == _SCALAR)
        return self.differentiate_subroutine(loop.gradient_step_function, positions, {})

    def step_gradient_for_numbers(self, loop: checkpoint.CheckpointedLoop,
                                  positions: tuple[int, ...], invariant_number: bool
                                  ) -> Subroutine:
        """The gradient of a loop's step, written knowing that its state (and its
        lone invariant) are numbers (a Python float or int, or a NumPy scalar
        computed from them), as the derivative of a function of numbers is: it
        matches no shapes at run time, which over a small state costs as much as
        the step itself."""
        _, state_param, invariants_param = [arg.id for arg in loop.gradient_step_def.args.args]
        numbers = {state_param: float}
        if invariant_number:
            numbers[invariants_param] = float
        return self.differentiate_subroutine(loop.gradient_step_function, positions, numbers)

    def _steps_of_numbers(self) -> dict[int, Callable[[bool], bool]]:
        """By id of each checkpointed loop's step function: given a number as its
        state (and whether its invariant is one), does it return a number? Its
        gradient, written for numbers, says. ``_shape_classes`` asks only for
        a loop whose state starts as a number; a yes makes the state a number
        at every step, by induction."""
        def returns_number(loop, positions):
            @functools.cache
            def given(invariant_number: bool) -> bool:
                return self.step_gradient_for_numbers(
                    loop, positions, invariant_number).returns_number
            return given

        found = {}
        for node in anno.statements(self.fdef):  # the checkpointed loops
            if anno.has(node, Key.CHECKPOINT):
                loop = anno.get(node, Key.CHECKPOINT)
                positions = (1, 2) if loop.invariants in self.active else (1,)
                found[id(loop.step_function)] = returns_number(loop, positions)
        return found

    def adjoint_while(self, stmt: gast.While, state: State) -> list:
        counter, op_id = self.loop_counters[id(stmt)]
        body = self.loop_body(stmt.body, state, self.bound_before.get(id(stmt), frozenset()))
        out = []
        if body:
            loop_range = gast.Call(func=name(self.namespace.ref(range, 'range')),
                                   args=[name(counter)], keywords=[])
            out = self._before + [
                comments.comment('Grad of: ' + _header_source(stmt)),
                gast.For(target=name(self.namer.fresh('iteration'), store=True), iter=loop_range,
                         body=body, orelse=[], type_comment=None)]
        if op_id is not None:
            out.append(self.pop(name(counter, store=True), op_id))
        return out


# Runtime helpers that read one argument only for its shape and dtype.
_SHAPE_ARGUMENT = {runtime.unbroadcast: 1, runtime.unreduce_like: 1, runtime.init_grad: 0,
                   runtime.astype: 1, runtime.written_grad: 2}


_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult)


def sequence_variables(fdef: gast.FunctionDef) -> set[str]:
    """Variables that hold lists or tuples wherever they are assigned.

    A list or tuple display (``*x`` spread included) is one; so is a sum or a
    product with one as an operand (a concatenation, a repetition), and a
    copy of one. Assigned anything else anywhere, a variable is not.
    """
    sequences, other, derived = set(), set(), []
    for node in anno.statements(fdef):
        if not isinstance(node, gast.Assign) or not isinstance(node.targets[0], gast.Name):
            continue
        target, value = node.targets[0].id, node.value
        if _is_display(value) or (isinstance(value, gast.Call) and annotate.callee(value) in (
                runtime.starred_list, runtime.starred_tuple)):
            sequences.add(target)
        elif isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Mult)):
            derived.append((target, [value.left, value.right]))
        elif isinstance(value, gast.Name):
            derived.append((target, [value]))
        else:
            other.add(target)
    changed = True
    while changed:
        changed = False
        for target, operands in derived:
            if target not in sequences and any(_is_sequence(op, sequences) for op in operands):
                sequences.add(target)
                changed = True
    return sequences - other


def _is_display(node: gast.expr) -> bool:
    return isinstance(node, (gast.List, gast.Tuple))


def _is_sequence(node: gast.expr, sequences: set[str]) -> bool:
    return _is_display(node) or (isinstance(node, gast.Name) and node.id in sequences)


def _is_int(node: gast.expr) -> bool:
    return (isinstance(node, gast.Constant) and isinstance(node.value, int)
            and not isinstance(node.value, bool))


def sequence_operation(value: gast.expr, numeric: set[str], sequences: set[str]) -> Any:
    """The rule key for a ``+`` or ``*`` that may concatenate or repeat lists or
    tuples, or None when the source shows that it is arithmetic.

    ``a + b`` is arithmetic when an operand is a number or a numeric variable
    (a list plus a number is an error); ``a * b`` may be a repetition when an
    operand is a list or tuple, or an integer constant and the other operand
    is not known to be numeric. Otherwise, the rule (``add_or_concat``,
    ``mul_or_repeat``) decides from the values at run time.
    """
    if not isinstance(value, gast.BinOp):
        return None
    operands = (value.left, value.right)

    def is_numeric(node):
        return _is_number(node) or (isinstance(node, gast.Name) and node.id in numeric)

    if isinstance(value.op, gast.Add):
        return None if any(is_numeric(op) for op in operands) else runtime.add_or_concat
    if isinstance(value.op, gast.Mult):
        if any(_is_sequence(op, sequences) for op in operands):
            return runtime.mul_or_repeat
        for op, other in (operands, operands[::-1]):
            if _is_int(op) and not is_numeric(other):
                return runtime.mul_or_repeat
    return None


def _numeric_variables(fdef: gast.FunctionDef, sequences: set[str] = frozenset()) -> set[str]:
    """Variables that hold numbers or arrays wherever they are assigned.

    Results of arithmetic, ufuncs and ``math`` functions, and operands of
    arithmetic other than ``+`` are numbers or arrays; a sum is one when
    either side is (``+`` alone also joins lists), and then so is its other
    side; a copy is one when its source is. ``*`` repeats a list or tuple
    (``sequences``, or displays) by an integer: a product with one, or with
    an integer constant, is numeric only when its other operand is. Assigned
    anything else anywhere, a variable is not.
    """
    numeric, other, sums, copies = set(), set(), [], []
    for node in anno.walk(fdef):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult) and \
                _may_repeat(node, sequences):
            pass  # x * 3 may repeat a list x; [v] * n repeats a list
        elif isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC) and \
                not isinstance(node.op, gast.Add):
            numeric.update(n.id for n in (node.left, node.right) if isinstance(n, gast.Name))
        elif isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)) \
                and isinstance(node.operand, gast.Name):
            numeric.add(node.operand.id)
        if not isinstance(node, gast.Assign) or not isinstance(node.targets[0], gast.Name):
            continue
        target, value = node.targets[0].id, node.value
        func = annotate.callee(value) if isinstance(value, gast.Call) else None
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) and \
                _may_repeat(value, sequences):
            if any(_is_sequence(op, sequences) for op in (value.left, value.right)):
                other.add(target)
            else:  # x * 3: numeric when x is
                copies.append((target, [op for op in (value.left, value.right)
                                        if not _is_int(op)]))
        elif (isinstance(value, gast.BinOp) and isinstance(value.op, _ARITHMETIC)
                and not isinstance(value.op, gast.Add)) or \
                (isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd))) \
                or isinstance(func, np.ufunc) or getattr(func, '__module__', None) == 'math' \
                or _is_number(value):
            numeric.add(target)
        elif isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
            sums.append((target, [value.left, value.right]))
        elif isinstance(value, gast.Name):
            copies.append((target, [value]))
        else:
            other.add(target)
    flows = [(target, operands, True) for target, operands in sums] + \
        [(target, operands, False) for target, operands in copies]
    changed = True
    while changed:
        changed = False
        for target, operands, is_sum in flows:
            if any(_is_number(op) or (isinstance(op, gast.Name) and op.id in numeric)
                   for op in operands):
                joined = [target]
                if is_sum:  # a number plus a list is an error
                    joined += [op.id for op in operands if isinstance(op, gast.Name)]
                for name_ in joined:
                    if name_ not in numeric:
                        numeric.add(name_)
                        changed = True
    return numeric - other - sequences


def _may_repeat(node: gast.BinOp, sequences: set[str]) -> bool:
    """Whether product ``node`` may repeat a list or tuple (``l * 3``, ``[v] * n``)."""
    return any(_is_sequence(op, sequences) or _is_int(op) for op in (node.left, node.right))


def _bind_statements(stmts: list, bound: set, before: dict) -> set:
    """Record, for each statement, the variables bound on every path to it."""
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):  # the only ones asked about
            before[id(stmt)] = frozenset(bound)
        if isinstance(stmt, gast.Assign):
            bound |= {n.id for target in stmt.targets for n in anno.walk(target)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        elif isinstance(stmt, gast.If):
            bound |= (_bind_statements(stmt.body, set(bound), before)
                      & _bind_statements(stmt.orelse, set(bound), before))
        elif isinstance(stmt, (gast.For, gast.While)):  # may run no iteration
            inner = set(bound) | ({stmt.target.id} if isinstance(stmt, gast.For) else set())
            _bind_statements(stmt.body, inner, before)
        elif isinstance(stmt, gast.With):
            _bind_statements(stmt.body, set(bound), before)
    return bound


def _mutates_nothing(fdef: gast.FunctionDef) -> bool:
    """Whether no statement writes into an object: no ``x[i] = v``, no append, no
    tape operation, no ``insert_grad_of`` block (user code run backward)."""
    for node in anno.statements(fdef):  # each of those is a statement
        if isinstance(node, gast.Assign) and not isinstance(node.targets[0], gast.Name):
            return False
        if isinstance(node, gast.With) or annotate.list_append(node) is not None or \
                annotate.list_pop(node) is not None or annotate.tape_operation(node) is not None:
            return False
    return True


def _name_counts(fdef: gast.FunctionDef) -> tuple[dict[str, int], dict[str, int]]:
    """How many times each name is bound (parameters and loop targets included) and
    read in ``fdef``."""
    stores: dict[str, int] = {}
    loads: dict[str, int] = {}
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name):
            counts = loads if isinstance(node.ctx, gast.Load) else stores
            counts[node.id] = counts.get(node.id, 0) + 1
    return stores, loads


def _load_count(node: gast.AST, name_: str) -> int:
    return sum(1 for n in anno.walk(node)
               if isinstance(n, gast.Name) and n.id == name_ and isinstance(n.ctx, gast.Load))


def _walk_statements(stmts: list):
    for stmt in stmts:
        yield stmt
        for field_name in ('body', 'orelse'):
            yield from _walk_statements(getattr(stmt, field_name, []))


def _is_number(node: gast.expr) -> bool:
    return (isinstance(node, gast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


_NEUTRAL = 'a number: broadcasts to any shape'


_SCALAR_CLASSES = (float, int)
_SCALAR = 'a Python number'
_COUNTER = object()  # the value a for loop over range gives its target


def _shape_classes(fdef: gast.FunctionDef, params: list[str],
                   scalars: set[str] = frozenset(),
                   may_join: Callable[[gast.expr], bool] = lambda value: False,
                   steps_of_numbers: dict[int, Callable[[bool], bool]] | None = None
                   ) -> dict[str, str]:
    """Variables known to share a shape and dtype, by class (flow-insensitive).

    Each parameter starts a class, but ``scalars`` (parameters known to be
    Python numbers) share one; a number joins any class; element-wise
    arithmetic and ufuncs of operands of one class (and numbers) stay in it,
    but not a ``+`` or ``*`` that ``may_join`` says may concatenate or repeat
    lists. A checkpointed loop's step (its id a key of ``steps_of_numbers``) called
    with a number as its state gives a number if its entry, asked whether its
    invariant is a number too, says so.
    A variable assigned values of different classes, or of any other
    operation, is in no class.
    """
    assignments = []
    for node in anno.statements(fdef):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            assignments.append((node.targets[0].id, node.value))
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            counts = isinstance(node.iter, gast.Call) and annotate.callee(node.iter) is range
            assignments.append((node.target.id, _COUNTER if counts else None))
    unknown = object()
    classes: dict[str, Any] = {p: _SCALAR if p in scalars else p for p in params}

    def class_of(node):
        if _is_number(node):
            return _NEUTRAL
        if isinstance(node, gast.Name):
            return classes.get(node.id)  # None: not assigned yet in this round
        return unknown

    def joined(parts):
        found = {part for part in parts if part is not _NEUTRAL}
        if None in found:
            return None
        if len(found) > 1 or unknown in found:
            return unknown
        return found.pop() if found else _NEUTRAL

    def value_class(value):
        if value is None:
            return unknown
        if value is _COUNTER:
            return _NEUTRAL  # an int from range: broadcasts to any shape
        if isinstance(value, (gast.Name, gast.Constant)):
            return class_of(value)
        if isinstance(value, gast.BinOp) and isinstance(value.op, _ARITHMETIC) and \
                not isinstance(value.op, gast.MatMult) and not may_join(value):
            return joined([class_of(value.left), class_of(value.right)])
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            return class_of(value.operand)
        if steps_of_numbers and isinstance(value, gast.Call) and \
                id(annotate.callee(value)) in steps_of_numbers:
            return step_class(value)
        if isinstance(value, gast.Call) and not value.keywords and (
                isinstance(annotate.callee(value), np.ufunc)
                or getattr(annotate.callee(value), '__module__', None) == 'math'):
            return joined([class_of(arg) for arg in value.args])
        return unknown

    def step_class(call):
        _, state, invariants = call.args
        state_class, invariants_class = class_of(state), class_of(invariants)
        if state_class is None or invariants_class is None:
            return None
        if state_class is _SCALAR and steps_of_numbers[id(annotate.callee(call))](
                invariants_class is _SCALAR):
            return _SCALAR
        return unknown

    for _ in range(len(assignments) + 2):
        changed = False
        for target, value in assignments:
            if target in params and target not in scalars:
                new = unknown  # a parameter reassigned: its class is its own no more
            else:
                found = value_class(value)
                old = classes.get(target)
                new = found if old is None or old == found else unknown
                if {old, found} == {_NEUTRAL, _SCALAR}:
                    new = _SCALAR  # numbers, whatever their value
                if found is None:
                    new = old
            if new is not None and classes.get(target) is not new:
                if classes.get(target) != new:
                    classes[target] = new
                    changed = True
        if not changed:
            break
    return {name_: cls for name_, cls in classes.items()
            if cls is not unknown and cls is not None and cls is not _NEUTRAL}


class _WithoutCopies(transformers.NodeTransformer):
    """Drops ``tangent.copy(x)`` around snapshots of state that no step mutates."""

    def __init__(self, namespace: Namespace):
        self.copy_names = {n for n, value in namespace.values.items()
                           if getattr(value, 'copy', None) is runtime.copy}

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, gast.Attribute) and func.attr == 'copy'
                and isinstance(func.value, gast.Name) and func.value.id in self.copy_names):
            return node.args[0]
        return node


def _breaks(stmts: list) -> bool:
    """Whether a loop body leaves its loop early (a break not inside a nested loop)."""
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            return True
        if isinstance(stmt, gast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


def _header_source(stmt: gast.stmt) -> str:
    text = anno.get(stmt, Key.ORIGIN) or ''
    return text.split('\n')[0]

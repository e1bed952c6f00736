"""Checkpointed loops: trading recomputation for tape memory.

Requires: a resolved, fenced function (before normalisation).
Guarantees: every loop to checkpoint (``for i in tangent.checkpoint(range(n),
snapshots=k):``, or every top-level ``range`` loop when the user asks for
checkpointing of the whole function) has its body moved into a step function
of the loop-carried state, and reads

    loop_start = (h, c)                     # the state entering the loop
    loop_invariants = (w, xs)               # what the body only reads
    loop_state = loop_start
    for i in range(n):
        loop_state = f_loop_step(i, loop_state, loop_invariants)
    h, c = loop_state

with the loop annotated ``Key.CHECKPOINT`` (a lone state or invariant variable
is used as it is, not packed into a tuple). Reverse mode then writes no tape
inside the loop; its backward pass replays steps from snapshots on a
binomial schedule (``tangent.revolve``, computed as it is read) and calls the
step's own gradient once per step, with ``REVERSE_SCHEDULE`` below as the code
it writes.
"""

from __future__ import annotations

import copy
import functools
import types
from typing import Any

import gast

from tangent import runtime as tangent
from tangent.errors import TangentParseError
from tangent.syntax import annotations as anno, create, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer


class CheckpointedLoop:
    """What the reverse pass needs to know about a checkpointed loop."""

    def __init__(self, step_name: str, step_def: gast.FunctionDef, state: str,
                 invariants: str, start: str, schedule: str, saved: str, mutates_state: bool,
                 gradient_step_def: gast.FunctionDef, step_reference: gast.Name):
        self.step_name = step_name  # the step function's name in generated code
        self.step_def = step_def
        self.state = state  # the tuple variable holding the loop-carried state
        self.invariants = invariants  # the tuple of values the body only reads
        self.start = start  # the state entering the loop
        self.schedule = schedule  # the binomial schedule, computed before the loop
        self.saved = saved  # the snapshots, by step index (the loop takes the first ones)
        self.mutates_state = mutates_state  # the body writes into state arrays: snapshots copy
        self.gradient_step_def = gradient_step_def  # the step with its insert_grad_of blocks
        self.step_reference = step_reference  # the call's name of the step function
        self.step_function: Any = None  # set once the step is compiled
        self.gradient_step_function: Any = None  # what the backward pass reverses


def _names(nodes, ctx) -> list[str]:
    found = {}  # a dict keeps the order they are met in, and looks up in constant time
    for node in nodes:
        for child in anno.walk(node):
            if isinstance(child, gast.Name) and isinstance(child.ctx, ctx):
                found[child.id] = None
    return list(found)


def _read_before_written(body: list) -> set[str]:
    """Names a loop body may read before it assigns them: they carry a value from
    one iteration to the next. Assignments inside branches or inner loops are not
    counted as certain."""
    written, found = set(), set()
    for stmt in body:
        found |= set(_names([stmt], gast.Load)) - written
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            written |= set(_names([stmt], gast.Store))
    return found


def _packed(names: list[str], store: bool = False) -> gast.expr:
    """The loop state or invariants as one value: a lone variable stands for
    itself, so that the step's gradient, called once per step, neither packs
    nor unpacks a tuple (which costs about as much as a small step itself)."""
    if len(names) == 1:
        return create.name(names[0], store)
    return create.tuple_(names, store)


class _Marker:
    """Finds the loops to checkpoint and rewrites each around a step function."""

    def __init__(self, fdef: gast.FunctionDef, namer: Namer, filename: str, free: dict,
                 every_range_loop: bool, default_snapshots: int | None):
        self.fdef = fdef
        self.free = free
        self.runtime_name = None
        self.namer = namer
        self.filename = filename
        self.every_range_loop = every_range_loop
        self.default_snapshots = default_snapshots
        self.params = [arg.id for arg in fdef.args.args]
        self.loops: list[CheckpointedLoop] = []

    # Read of the function as it was given, and only once a loop is checkpointed.
    @functools.cached_property
    def locals(self) -> set[str]:
        return set(self.params) | set(_names([self.fdef], gast.Store))

    @functools.cached_property
    def local_functions(self) -> set[str]:
        return {n.name for n in anno.walk(self.fdef)
                if isinstance(n, gast.FunctionDef) and n is not self.fdef}

    def fail(self, node, message: str) -> None:
        raise TangentParseError(message + ' in a checkpointed loop; checkpoint a loop '
                                'whose body only updates variables',
                                self.filename, getattr(node, 'lineno', None), None)

    def block(self, stmts: list, before: list, after_of) -> list:
        out = []
        for index, stmt in enumerate(stmts):
            loop = self.marked(stmt)
            if loop is not None:
                earlier = before + out
                later = stmts[index + 1:] + after_of
                out.extend(self.rewrite(stmt, *loop, earlier, later))
                continue
            if isinstance(stmt, gast.If):
                stmt.body = self.block(stmt.body, before + out, stmts[index + 1:] + after_of)
                stmt.orelse = self.block(stmt.orelse, before + out,
                                         stmts[index + 1:] + after_of)
            elif isinstance(stmt, (gast.For, gast.While)):
                # Not checkpointed itself: loops inside it may be.
                stmt.body = self.block(stmt.body, before + out,
                                       stmts + after_of)
            out.append(stmt)
        return out

    def marked(self, stmt) -> tuple[gast.expr, gast.expr | None] | None:
        """(the range call, the snapshot count) of a loop to checkpoint."""
        if not isinstance(stmt, gast.For) or not isinstance(stmt.iter, gast.Call):
            return None
        func = anno.get(stmt.iter.func, Key.FUNC)
        if func is tangent.checkpoint:
            call = stmt.iter
            if not call.args:
                self.fail(stmt, 'tangent.checkpoint() needs the range to iterate over')
            snapshots = call.args[1] if len(call.args) > 1 else None
            for keyword in call.keywords:
                if keyword.arg == 'snapshots':
                    snapshots = keyword.value
            iterable = call.args[0]
            if not (isinstance(iterable, gast.Call) and anno.get(iterable.func, Key.FUNC)
                    is range):
                self.fail(stmt, 'tangent.checkpoint(...) wraps a range(...); iterating '
                                'anything else')
            return iterable, snapshots
        if self.every_range_loop and func is range:
            snapshots = (gast.Constant(value=self.default_snapshots, kind=None)
                         if self.default_snapshots is not None else None)
            return stmt.iter, snapshots
        return None

    def rewrite(self, loop: gast.For, iterable, snapshots, earlier, later) -> list:
        if not isinstance(loop.target, gast.Name):
            self.fail(loop, 'a loop target other than one variable')
        for node in anno.walk(gast.Module(body=loop.body, type_ignores=[])):
            if isinstance(node, (gast.Break, gast.Continue, gast.Return)):
                self.fail(node, f'{type(node).__name__.lower()}')
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr == 'append' and not anno.has(node.func, Key.FUNC):
                self.fail(node, 'appending to a list')
            if isinstance(node, gast.Name) and node.id in self.local_functions:
                self.fail(node, f'calling the nested function {node.id}')
        counter = loop.target.id
        body_nodes = list(anno.walk(gast.Module(body=loop.body, type_ignores=[])))
        # Containers written by subscript, and arrays updated by += (in place), change
        # without being rebound: they are state too, and snapshots must copy them.
        written_in_place = [node.value.id for node in body_nodes
                            if isinstance(node, gast.Subscript) and isinstance(
                                node.ctx, gast.Store) and isinstance(node.value, gast.Name)]
        augmented = [node.target.id for node in body_nodes
                     if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name)]
        assigned = [n for n in dict.fromkeys(_names(loop.body, gast.Store) + written_in_place)
                    if n != counter]
        bound_before = set(self.params) | set(_names(earlier, gast.Store))
        read_after = set(_names(later, gast.Load))
        read_first = _read_before_written(loop.body)  # the previous step's value
        carried = [n for n in assigned
                   if n in bound_before or n in read_after or n in read_first]
        read = _names(loop.body, gast.Load)
        invariants = [n for n in read if n in self.locals and n not in assigned
                      and n != counter]
        mutates = any(n in carried for n in written_in_place + augmented)

        base = self.fdef.name
        step_name = self.namer.fresh(f'{base}_loop_step')
        state, start = self.namer.fresh('loop_state'), self.namer.fresh('loop_start')
        invariants_name = self.namer.fresh('loop_invariants')
        gradient_step_def = self.step_function(step_name, counter, carried, invariants,
                                               loop.body)
        # The primal replays steps without the surgery blocks, which only
        # belong in the backward pass.
        step_def = _WithoutSurgery().visit(copy.deepcopy(gradient_step_def))
        gradient_step_def.name = self.namer.fresh(step_name + '_with_surgery') \
            if _has_surgery(loop.body) else step_name
        # A variable first assigned inside the loop and read after it.
        out = [create.assign(n, create.const(None)) for n in carried if n not in bound_before]
        if snapshots is None:
            snapshots = create.const(None)
        schedule, first_sweep = self.namer.fresh('loop_schedule'), self.namer.fresh('loop_first')
        saved, index = self.namer.fresh('loop_saved'), self.namer.fresh('loop_index')
        step_reference = create.name(step_name)
        snapshot = create.name(state)
        if mutates:
            snapshot = self.runtime_call(tangent.copy, [snapshot])
        out += create.fill_template(
            """
            schedule = revolve(iterations, snapshots)
            first_sweep = revolve_first_sweep(schedule)
            saved = {}
            index = 0
            start = carried
            invariants = invariant_values
            state = start
            for target in loop_range:
                if index in first_sweep:
                    saved[index] = snapshot
                state = step(counter, state, invariants)
                index = index + 1
            """,
            revolve=self.runtime_function(tangent.revolve), iterations=copy.deepcopy(iterable),
            snapshots=snapshots, schedule=schedule,
            revolve_first_sweep=self.runtime_function(tangent.revolve_first_sweep),
            first_sweep=first_sweep, saved=saved, index=index, start=start,
            carried=_packed(carried), invariants=invariants_name,
            invariant_values=_packed(invariants), state=state, target=loop.target,
            loop_range=iterable, snapshot=snapshot, step=step_reference, counter=counter)
        new_loop = out[-1]
        gast.copy_location(new_loop, loop)
        info = CheckpointedLoop(step_name=step_name, step_def=step_def,
                                gradient_step_def=gradient_step_def, state=state,
                                invariants=invariants_name, start=start, schedule=schedule,
                                saved=saved, mutates_state=mutates,
                                step_reference=step_reference)
        anno.set(new_loop, Key.CHECKPOINT, info)
        if carried:
            out.append(create.assign(_packed(carried, store=True), create.name(state)))
        self.loops.append(info)
        return [gast.copy_location(stmt, loop) for stmt in out]

    def runtime_call(self, func, args) -> gast.Call:
        """A call of runtime helper ``func`` through a name bound to the runtime."""
        return gast.Call(func=self.runtime_function(func), args=args, keywords=[])

    def runtime_function(self, func) -> gast.Attribute:
        """``tangent.func``, through a name bound to the runtime, resolved as
        ``annotate`` would have (the loop is rewritten after names are resolved)."""
        if self.runtime_name is None:
            # The user's own name for tangent (the package re-exports the runtime).
            self.runtime_name = next(
                (n for n, v in self.free.items()
                 if isinstance(v, types.ModuleType) and getattr(v, 'revolve', None)
                 is tangent.revolve), None)
            if self.runtime_name is None:
                self.runtime_name = self.namer.fresh('tangent')
                self.free[self.runtime_name] = tangent
        root = create.name(self.runtime_name)
        anno.set(root, Key.FUNC, tangent)
        function = gast.Attribute(value=root, attr=func.__name__, ctx=gast.Load())
        anno.set(function, Key.FUNC, func)
        return function

    def step_function(self, step_name, counter, carried, invariants, body) -> gast.FunctionDef:
        """``def f_loop_step(i, state, invariants)``: one iteration of the loop."""
        state_param = self.namer.fresh('state')
        invariants_param = self.namer.fresh('invariants')
        unpack = []
        if carried:
            unpack.append(create.assign(_packed(carried, store=True), create.name(state_param)))
        if invariants:
            unpack.append(create.assign(_packed(invariants, store=True),
                                        create.name(invariants_param)))
        (step_def,) = create.fill_template(
            """
            def step(counter, state, invariants):
                unpack
                body
                return carried
            """,
            step=step_name, counter=counter, state=state_param, invariants=invariants_param,
            unpack=unpack, body=copy.deepcopy(body), carried=_packed(carried))
        return step_def


def _has_surgery(body: list) -> bool:
    return any(isinstance(node, gast.With) for stmt in body for node in anno.walk(stmt))


class _WithoutSurgery(transformers.NodeTransformer):
    """Removes ``with insert_grad_of(...)`` blocks (the fence allows no other with)."""

    def visit_With(self, node):
        return None


def checkpoint_loops(fdef: gast.FunctionDef, namer: Namer, filename: str, free: dict,
                     every_range_loop: bool = False,
                     default_snapshots: int | None = None) -> list[CheckpointedLoop]:
    """Rewrite the loops of ``fdef`` to checkpoint; return their descriptions.

    ``free`` (the generated code's global names) gains the runtime if needed.
    """
    marker = _Marker(fdef, namer, filename, free, every_range_loop, default_snapshots)
    fdef.body = marker.block(fdef.body, [], [])
    return marker.loops


def calls_in_checkpointed_loops(fdef: gast.FunctionDef, every_range_loop: bool) -> set[int]:
    """Ids of the calls inside loops that will be checkpointed: their bodies become
    step functions of their own, so the calls in them stay calls (and run again when
    a step is recomputed, as checkpointing does by design)."""
    found = set()
    for loop in anno.walk(fdef):
        if isinstance(loop, gast.For) and isinstance(loop.iter, gast.Call):
            func = anno.get(loop.iter.func, Key.FUNC)
            if func is tangent.checkpoint or (every_range_loop and func is range):
                found |= {id(node) for statement in loop.body for node in anno.walk(statement)
                          if isinstance(node, gast.Call)}
    return found


def strip_markers(fdef: gast.FunctionDef) -> None:
    """Forward mode needs no checkpoints: ``tangent.checkpoint(r)`` is just ``r``."""
    for node in anno.walk(fdef):
        if isinstance(node, gast.For) and isinstance(node.iter, gast.Call) \
                and anno.get(node.iter.func, Key.FUNC) is tangent.checkpoint \
                and node.iter.args:
            node.iter = node.iter.args[0]


# The backward pass of a checkpointed loop, written by reverse_ad with the
# loop's names. The primal loop took the schedule's first snapshots; the rest
# of the schedule replays steps from them, holding at most the schedule's
# number of states, and reverses each step with the step function's gradient,
# which recomputes that one step. The schedule is computed as it is read, so
# it costs no memory; ``loop_values`` evaluates the loop's range once. Most
# steps are replayed and reversed in sweeps, two tight loops over a stretch
# with a snapshot per step, since reading an action costs more than a small
# step; the other actions are tested in the order of how often they come.
def REVERSE_SCHEDULE(unused, state, bstate, invariants, binvariants, iterations, schedule,
                     saved, step, dstep):
    loop_values = iterations
    for action, first, last in tangent.revolve_after_first_sweep(schedule, True):
        if action == 'reverse':
            bstate, binvariants_part = dstep(loop_values[first], state, invariants, bstate)
            binvariants = tangent.add_grad(binvariants, binvariants_part)
        elif action == 'sweep':
            for index in range(first + 1, last):
                state = step(loop_values[index - 1], state, invariants)
                saved[index] = tangent.copy(state)
            for index in range(last - 1, first, -1):
                bstate, binvariants_part = dstep(loop_values[index], saved[index], invariants,
                                                 bstate)
                binvariants = tangent.add_grad(binvariants, binvariants_part)
                saved.pop(index)
        elif action == 'advance':
            for value in loop_values[first:last]:
                state = step(value, state, invariants)
        elif action == 'restore':
            state = tangent.copy(saved[first])
        elif action == 'snapshot':
            saved[first] = tangent.copy(state)
        else:
            saved.pop(first)


def REVERSE_SCHEDULE_STATE_ONLY(unused, state, bstate, invariants, iterations, schedule,
                                saved, step, dstep):
    loop_values = iterations
    for action, first, last in tangent.revolve_after_first_sweep(schedule, True):
        if action == 'reverse':
            bstate = dstep(loop_values[first], state, invariants, bstate)
        elif action == 'sweep':
            for index in range(first + 1, last):
                state = step(loop_values[index - 1], state, invariants)
                saved[index] = tangent.copy(state)
            for index in range(last - 1, first, -1):
                bstate = dstep(loop_values[index], saved[index], invariants, bstate)
                saved.pop(index)
        elif action == 'advance':
            for value in loop_values[first:last]:
                state = step(value, state, invariants)
        elif action == 'restore':
            state = tangent.copy(saved[first])
        elif action == 'snapshot':
            saved[first] = tangent.copy(state)
        else:
            saved.pop(first)

"""Optimization of a generated function.

Requires: a FunctionDef whose statements follow the normal form of ``anf``
(plus the tape operations and comments that the mode drivers add), and a
predicate telling which calls are free of side effects.

Guarantees: the same results, with fewer statements. Three rewrites run
until none applies:
- dead-code elimination: an assignment whose value nothing reads, and whose
  right-hand side has no side effect, goes; a ``pop`` whose value nothing
  reads goes together with its ``push``;
- copy propagation: after ``a = b``, reads of ``a`` become reads of ``b``
  when neither changes in between, and ``t = <expr>; a = t`` becomes
  ``a = <expr>`` when ``t`` is read nowhere else;
- constant folding of arithmetic between literal numbers, and of arguments a
  runtime helper reads only for their shape (``unbroadcast(g, x ** 2)`` reads
  the shape of ``x ** 2``, which is that of ``x``);
- expression inlining: ``t = a * b`` read once, by the very next statement,
  becomes part of that statement (``c = a * b + d``), as a person writes it.
"""

from __future__ import annotations

import ast
from typing import Callable

import gast

from tangent import runtime
from tangent.frontend.annotate import SHAPE_ONLY_ARGUMENTS
from tangent.syntax import annotations as anno, comments, transformers
from tangent.syntax.annotations import Key

PurityCheck = Callable[[gast.expr], bool]


def optimize(fdef: gast.FunctionDef, is_pure_call: PurityCheck | None = None,
             max_rounds: int = 20) -> gast.FunctionDef:
    """Optimize ``fdef`` in place until it stops changing; return it."""
    is_pure_call = is_pure_call or (lambda func: False)
    may_fold = True
    whole_round = True
    for _ in range(max_rounds):
        stores, loads, foldable = _survey(fdef)
        # Only inlining and folding make new folds possible (``unbroadcast(g, x ** 2)``
        # appears when ``t = x ** 2`` is inlined, ``x ** 1`` when ``power_slope`` folds).
        folded = _fold_constants(fdef) if may_fold and foldable else False
        if not (whole_round or folded):
            break  # only inlining changed the code last round, and it ran to the end
        if folded:  # it may drop a read: ``power_slope(x, 2, 2)`` is 2
            stores, loads, _ = _survey(fdef)
        # Copy propagation keeps the counts up to date, and dead-code elimination only
        # removes statements: for inlining a count may be high, never low. It asks for
        # exactly one store and one read, and finds the read itself, so a high count
        # at worst leaves its work to the next round, which elimination brings on.
        propagated = _propagate_copies(fdef, stores, loads)
        eliminated = _eliminate_dead_code(fdef, is_pure_call)
        inlined = _inline_single_use(fdef, stores, loads)
        filled = _fill_empty_blocks(fdef)  # copy propagation may empty a block
        if not (folded or propagated or eliminated or inlined or filled):
            break
        may_fold = folded or inlined
        # Copy propagation finds every copy in one pass, and neither it nor inlining
        # (which moves an arithmetic expression into the one statement reading it)
        # leaves a dead store or a new copy: after them alone only folding and more
        # inlining could find work, and inlining has run to the end.
        whole_round = eliminated or filled
    for block in _blocks(fdef):  # the code under some comments was propagated away
        _drop_orphan_comments(block)
    return fdef


# Helpers -------------------------------------------------------------------

def _walk(node):
    """Every node under ``node`` (itself included; contexts and operators left out)."""
    return anno.walk(node)


def _loads(node) -> set[str]:
    return {n.id for n in _walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _stores(node) -> set[str]:
    return {n.id for n in _walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))}


def _blocks(node):
    """Every statement list in ``node``'s subtree (bodies of functions, ifs, loops)."""
    for child in anno.statements(node):
        for field in ('body', 'orelse'):
            block = getattr(child, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                yield block


def _is_pure(value: gast.expr, is_pure_call: PurityCheck) -> bool:
    for node in _walk(value):
        if isinstance(node, gast.Call) and not is_pure_call(node.func):
            return False
        if isinstance(node, (gast.Lambda, gast.Yield, gast.Await, gast.NamedExpr)):
            return False
    return True


# Dead code -----------------------------------------------------------------

def _eliminate_dead_code(fdef: gast.FunctionDef, is_pure_call: PurityCheck) -> bool:
    dead: set[int] = set()
    dead_pops: set[str] = set()
    _live_block(fdef.body, set(), dead, dead_pops, is_pure_call)
    if not dead:
        return False

    def is_dead(stmt):
        if id(stmt) in dead:
            return True
        op_id = anno.get(stmt, Key.PUSH)
        return isinstance(stmt, gast.Expr) and op_id is not None and op_id in dead_pops

    for block in list(_blocks(fdef)):
        block[:] = [s for s in block if not is_dead(s)]
        _drop_orphan_comments(block)
        if not block or all(comments.is_comment(s) for s in block):
            block[:] = block or []
    _fill_empty_blocks(fdef)
    return True


def _drop_orphan_comments(block: list) -> None:
    """A ``# Grad of`` comment whose code was all removed goes too."""
    kept = []
    for index, stmt in enumerate(block):
        if comments.is_comment(stmt) and comments.comment_text(stmt).startswith('Grad of'):
            following = block[index + 1] if index + 1 < len(block) else None
            if following is None or comments.is_comment(following):
                continue
        kept.append(stmt)
    block[:] = kept


def _fill_empty_blocks(fdef) -> bool:
    """Blocks emptied by another pass: ``pass`` in loops, empty ifs dropped."""
    changed = False
    for node in anno.statements(fdef):
        if isinstance(node, (gast.If, gast.For, gast.While)):
            if not [s for s in node.body if not comments.is_comment(s)]:
                node.body = [gast.Pass()]
                changed = True
            if node.orelse and all(comments.is_comment(s) for s in node.orelse):
                node.orelse = []  # an else holding only comments is no block
                changed = True
    return _remove_empty_control_flow(fdef) or changed


def _remove_empty_control_flow(fdef) -> bool:
    changed = False
    for block in list(_blocks(fdef)):
        kept = []
        for stmt in block:
            if isinstance(stmt, gast.If) and _is_empty(stmt.body) and _is_empty(stmt.orelse):
                continue
            kept.append(stmt)
        if kept and comments.is_comment(kept[-1]) and \
                comments.comment_text(kept[-1]).startswith('Grad of'):
            kept.pop()
        if len(kept) != len(block) or not kept:
            block[:] = kept or [gast.Pass()]
            changed = True
    return changed


def _is_empty(block):
    return all(isinstance(s, gast.Pass) or comments.is_comment(s) for s in block)


def _is_simple_iter(node):
    """The backward loops iterate over range/reversed objects, which do nothing else."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        node.func.id in ('reversed', 'range')


def _live_block(stmts, live_out, dead, dead_pops, is_pure_call):
    live = set(live_out)  # this block's own set: statements update it in place
    for stmt in reversed(stmts):
        live = _live_statement(stmt, live, dead, dead_pops, is_pure_call)
    return live


def _live_statement(stmt, live, dead, dead_pops, is_pure_call):
    """The variables live before ``stmt``, given ``live`` after it (which it may update)."""
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            op_id = anno.get(stmt, Key.PUSH)
            is_pop = op_id is not None and isinstance(stmt.value, gast.Call)
            if target.id not in live and (is_pop or _is_pure(stmt.value, is_pure_call)):
                dead.add(id(stmt))
                if is_pop:
                    dead_pops.add(op_id)
                return live
            live.discard(target.id)
            live.update(_loads(stmt.value))
            return live
        live.update(_loads(stmt))  # x[i] = v and tuple unpacking keep everything they touch
        return live
    if isinstance(stmt, gast.If):
        body = _live_block(stmt.body, live, dead, dead_pops, is_pure_call)
        orelse = _live_block(stmt.orelse, live, dead, dead_pops, is_pure_call)
        return body | orelse | _loads(stmt.test)
    if isinstance(stmt, (gast.For, gast.While)):
        header_reads = _loads(stmt.iter) if isinstance(stmt, gast.For) else _loads(stmt.test)
        loop_live = set(live) | header_reads
        while True:
            trial_dead: set[int] = set()
            trial_pops: set[str] = set()
            body_in = _live_block(stmt.body, loop_live, trial_dead, trial_pops, is_pure_call)
            new_live = loop_live | body_in
            if new_live == loop_live:
                break
            loop_live = new_live
        dead |= trial_dead
        dead_pops |= trial_pops
        if isinstance(stmt, gast.For):
            target = _stores(stmt.target)
            if not live & target and _is_simple_iter(stmt.iter) and all(
                    id(s) in trial_dead or isinstance(s, gast.Pass) or comments.is_comment(s)
                    for s in stmt.body):
                dead.add(id(stmt))  # does nothing, and its counter is not read after it
                return live
            return (loop_live - target) | (live & target) | header_reads
        return loop_live
    live.update(_loads(stmt))
    return live


# Copy propagation ----------------------------------------------------------

def _survey(fdef) -> tuple[dict[str, int], dict[str, int], bool]:
    """How many times each name is assigned (parameters included), and read, and
    whether some constant may fold, in one walk of the function."""
    stores: dict[str, int] = {}
    loads: dict[str, int] = {}
    foldable = False
    name, load, binop, call = gast.Name, gast.Load, gast.BinOp, gast.Call
    for node in _walk(fdef):
        kind = type(node)
        if kind is name:
            counts = loads if type(node.ctx) is load else stores
            counts[node.id] = counts.get(node.id, 0) + 1
        elif (kind is binop or kind is call) and not foldable:
            foldable = _may_fold(node)
    return stores, loads, foldable


def _load_count(nodes, name: str) -> int:
    return sum(1 for node in nodes for n in _walk(node)
               if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load))


def _propagate_copies(fdef: gast.FunctionDef, counts: dict[str, int],
                      loads: dict[str, int]) -> bool:
    """Every copy that can go, in one pass (the counts are kept up to date)."""
    params = _stores(fdef.args)
    changed = False
    for block in _blocks(fdef):
        index = 0
        while index < len(block):
            stmt = block[index]
            if (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and not anno.has(stmt, Key.PUSH)):
                target = stmt.targets[0].id
                if counts.get(target) == 1 and target not in params:
                    if isinstance(stmt.value, gast.Name):
                        source = stmt.value.id
                        if _forward_copy(block, index, target, source, loads):
                            loads[source] = loads.get(source, 0) - 1 + loads.pop(target, 0)
                            counts[target] = 0
                            changed = True
                            continue
                    if _backward_copy(block, index, target, counts, loads):
                        loads[stmt.value.id] = 0
                        changed = True
                        index = max(index - 1, 0)
                        continue
            index += 1
    return changed


# How far copy propagation looks for the reads of a copy, or for the statement
# computing a temporary: a bound that keeps it linear in the length of a block.
MAX_COPY_DISTANCE = 64


def _forward_copy(block, index, target, source, loads) -> bool:
    """``a = b`` then uses of ``a``: read ``b`` instead when nothing changes ``b``."""
    total_loads = loads.get(target, 0)
    reads = []  # the Name nodes reading ``a``
    for stmt in block[index + 1:index + 1 + MAX_COPY_DISTANCE]:
        if len(reads) == total_loads:
            break  # every read found; what follows may change ``b`` freely
        # An assignment reads its value before it stores: ``b = a * 2.0`` may read ``a``.
        parts = [stmt.value] + stmt.targets if isinstance(stmt, gast.Assign) else [stmt]
        for part in parts:
            for node in _walk(part):
                if isinstance(node, gast.Name):
                    if node.id == target and isinstance(node.ctx, gast.Load):
                        reads.append(node)
                    elif node.id == source and isinstance(node.ctx, gast.Store) and (
                            part is stmt or len(reads) != total_loads):
                        return False  # ``b`` changes before a read of ``a``
    if len(reads) != total_loads:
        return False  # a is read somewhere the copy may not have run
    for node in reads:
        node.id = source
    del block[index]
    return True


def _backward_copy(block, index, target, counts, loads) -> bool:
    """``t = <expr>; ...; a = t`` with ``t`` read only there: assign ``a`` directly."""
    stmt = block[index]
    if not isinstance(stmt.value, gast.Name):
        return False
    temp = stmt.value.id
    if counts.get(temp) != 1 or loads.get(temp, 0) != 1:
        return False
    for j in range(index - 1, max(index - 1 - MAX_COPY_DISTANCE, -1), -1):
        earlier = block[j]
        if isinstance(earlier, gast.Assign) and isinstance(earlier.targets[0], gast.Name) \
                and earlier.targets[0].id == temp and not anno.has(earlier, Key.PUSH):
            between = block[j + 1:index]
            if any(target in _stores(s) or _load_count([s], target) for s in between):
                return False
            if _load_count([earlier.value], target):
                return False
            earlier.targets[0].id = target
            del block[index]
            return True
        if temp in _stores(earlier):
            return False
    return False


# Inlining stops at expressions of this depth (operations within operations), so
# a long chain of statements never turns into one deeply nested expression,
# which later passes (and Python's own compiler) would have to recurse through.
MAX_INLINED_DEPTH = 4


def _depth(node: gast.expr) -> int:
    """How many operations deep ``node`` nests (a name or a number is 0)."""
    deepest = 0
    stack = [(node, 0)]
    for current, depth in stack:  # grows while it is read
        kind = current.__class__
        if kind is gast.Name or kind is gast.Constant:
            continue
        if kind is gast.BinOp:  # the usual case, without looking up its fields
            depth += 1
            stack += ((current.left, depth), (current.right, depth))
        elif kind is gast.UnaryOp:
            depth += 1
            stack.append((current.operand, depth))
        else:
            if kind is gast.Call or kind is gast.Subscript:
                depth += 1
            stack += ((child, depth) for child in anno.children(current)
                      if isinstance(child, (gast.expr, gast.keyword)))
        if depth > deepest:
            deepest = depth
    return deepest


def _is_arithmetic(node: gast.expr) -> bool:
    """Arithmetic on names and numbers only: pure, and cheap to move."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.BinOp):
        return _is_arithmetic(node.left) and _is_arithmetic(node.right)
    if isinstance(node, gast.UnaryOp) and not isinstance(node.op, gast.Not):
        return _is_arithmetic(node.operand)
    return False


def _inline_single_use(fdef: gast.FunctionDef, counts: dict[str, int],
                       loads: dict[str, int]) -> bool:
    """Every arithmetic temporary read once, by the very next statement, inlined
    there (in one pass: moving an expression changes no other name's counts)."""
    changed = False
    for block in _blocks(fdef):
        index = 0
        while index < len(block) - 1:
            stmt = block[index]
            following = block[index + 1]
            if (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and not anno.has(stmt, Key.PUSH)
                    and isinstance(stmt.value, (gast.BinOp, gast.UnaryOp))
                    and counts.get(stmt.targets[0].id) == 1
                    and loads.get(stmt.targets[0].id, 0) == 1
                    and isinstance(following, (gast.Assign, gast.Return))
                    and not anno.has(following, Key.PUSH)
                    and _is_arithmetic(stmt.value)
                    and _depth(stmt.value) + _depth(following.value) <= MAX_INLINED_DEPTH
                    and _replace_only_read(following, stmt.targets[0].id, stmt.value)):
                del block[index]
                changed = True
                # The statement before may be read once by the one just grown.
                index = max(index - 1, 0)
                continue
            index += 1
    return changed


_CONTEXT_FIELDS = frozenset({'ctx', 'op', 'ops'})  # hold no names


def _replace_only_read(statement: gast.stmt, name: str, value: gast.expr) -> bool:
    """Put ``value`` in place of the read of ``name`` in ``statement``'s value, when
    that is its only read there; say whether it was."""
    found = None  # (node holding the read, field, index in a list field or None)
    pending = [(statement, 'value', None)]
    name_class, load = gast.Name, gast.Load
    while pending:
        holder, field, index = pending.pop()
        node = getattr(holder, field) if index is None else getattr(holder, field)[index]
        if node.__class__ is name_class:
            if node.id == name and node.ctx.__class__ is load:
                if found is not None:
                    return False
                found = holder, field, index
            continue
        for child_field in anno.node_fields(node.__class__):
            if child_field in _CONTEXT_FIELDS:
                continue
            child = getattr(node, child_field, None)
            if child.__class__ is list:
                pending.extend((node, child_field, position)
                               for position, item in enumerate(child)
                               if isinstance(item, gast.AST))
            elif isinstance(child, gast.AST):
                pending.append((node, child_field, None))
    if found is None:
        return False
    holder, field, index = found
    if index is None:
        setattr(holder, field, value)
    else:
        getattr(holder, field)[index] = value
    return True


# Constant folding ------------------------------------------------------------

_FOLDABLE = {
    gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
    gast.Mult: lambda a, b: a * b,
}


def _fold_constants(fdef) -> bool:
    """Fold what ``_may_fold`` finds (``_survey`` looks first: a look at each node
    costs far less than rebuilding each)."""
    folder = _Folder()
    folder.visit(fdef)
    return folder.changed


def _may_fold(node) -> bool:
    """Whether ``_Folder`` may change ``node`` given its children as they are (a fold
    that makes another possible makes it at a node this also finds)."""
    kind = type(node)
    if kind is gast.BinOp:
        left, right, op = node.left, node.right, type(node.op)
        return (op is gast.Mult and _is_folded_power_slope(right)) or (
            op is gast.Pow and type(right) is gast.Constant and right.value == 1) or (
            type(left) is gast.Constant and type(right) is gast.Constant and op in _FOLDABLE)
    if kind is gast.Call:
        return _is_power_slope(node.func) or any(
            index < len(node.args) and _same_shape_variable(node.args[index]) is not None
            for index in SHAPE_ONLY_ARGUMENTS.get(anno.get(node.func, Key.FUNC, None), ()))
    return False


class _Folder(transformers.NodeTransformer):
    changed = False

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        if isinstance(node.op, gast.Mult) and _is_folded_power_slope(right):
            # g * (3 * x ** 2) as g * 3 * x ** 2: the order the rule had before it
            # called power_slope, so the same statements come out of ANF.
            self.changed = True
            return gast.BinOp(left=gast.BinOp(left=left, op=gast.Mult(), right=right.left),
                              op=gast.Mult(), right=right.right)
        if isinstance(node.op, gast.Pow) and isinstance(right, gast.Constant) and \
                right.value == 1 and _is_number(right.value):
            self.changed = True
            return left
        if isinstance(left, gast.Constant) and isinstance(right, gast.Constant) and \
                type(node.op) in _FOLDABLE and _is_number(left.value) and _is_number(right.value):
            self.changed = True
            return gast.Constant(value=_FOLDABLE[type(node.op)](left.value, right.value),
                                 kind=None)
        return node


    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_power_slope(node.func):
            return self._power_slope(node)
        for index in SHAPE_ONLY_ARGUMENTS.get(anno.get(node.func, Key.FUNC, None), ()):
            if index < len(node.args):
                same_shape = _same_shape_variable(node.args[index])
                if same_shape is not None:
                    node.args[index] = same_shape
                    self.changed = True
        return node

    def _power_slope(self, node):
        """``power_slope(x, 3)`` is ``3 * x ** 2``: with a literal exponent at least
        the order, the formula needs no guard (it is a smaller integer exponent,
        whose derivative is 0, that does)."""
        if len(node.args) not in (2, 3) or node.keywords:
            return node
        base, exponent = node.args[:2]
        order = node.args[2] if len(node.args) == 3 else gast.Constant(value=1, kind=None)
        if not (isinstance(exponent, gast.Constant) and _is_number(exponent.value)
                and isinstance(order, gast.Constant) and type(order.value) is int
                and exponent.value >= order.value >= 1):
            return node
        self.changed = True
        coefficient = 1
        for k in range(order.value):
            coefficient = coefficient * (exponent.value - k)
        if exponent.value == order.value:
            return gast.Constant(value=coefficient, kind=None)
        power = gast.BinOp(left=base, op=gast.Pow(),
                           right=gast.Constant(value=exponent.value - order.value, kind=None))
        folded = gast.BinOp(left=gast.Constant(value=coefficient, kind=None),
                            op=gast.Mult(), right=power)
        anno.set(folded, Key.FOLDED_POWER_SLOPE, True)
        return folded


def _is_folded_power_slope(node: gast.expr) -> bool:
    return isinstance(node, gast.BinOp) and anno.get(node, Key.FOLDED_POWER_SLOPE, False)


def _is_power_slope(func: gast.expr) -> bool:
    """``tangent.power_slope`` as rules write it (generated code names the runtime
    module ``tangent``, or ``tangent_2`` when a user's name takes that)."""
    if anno.get(func, Key.FUNC, None) is runtime.power_slope:
        return True
    return (isinstance(func, gast.Attribute) and func.attr == 'power_slope'
            and isinstance(func.value, gast.Name) and func.value.id.startswith('tangent'))


_ELEMENTWISE = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def _same_shape_variable(node: gast.expr) -> gast.Name | None:
    """For ``x ** 2``, ``2.0 * x`` or ``-x``: ``x``, which has the same shape."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)) \
            and isinstance(node.operand, gast.Name):
        return node.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ELEMENTWISE):
        left, right = node.left, node.right
        if isinstance(left, gast.Name) and isinstance(right, gast.Constant) and \
                _is_number(right.value):
            return left
        if isinstance(right, gast.Name) and isinstance(left, gast.Constant) and \
                _is_number(left.value):
            return right
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

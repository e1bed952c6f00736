"""Shape specialisation: a derivative rewritten for what its arguments are.

Requires: a joint-motion reverse derivative (one ``FunctionDef``: the primal
statements in normal form, then the backward pass), the namespace it is compiled
in, and for some parameters a ``Known`` value (a Python number, a NumPy scalar
or an array of known shape and dtype).

Guarantees: the shapes and dtypes are propagated forward through the function
(NumPy broadcasting, the kinds declared in ``tangent.rules.shapes``, indexing
with constants and counters, the tape), and every runtime helper call that only
dispatches on shapes is replaced by what it would do for those shapes:
``unbroadcast(g, x)`` by ``g`` or the exact ``np.sum``, ``add_grad(a, b)`` by
``a + b``, ``init_grad(x)`` by ``np.zeros(shape, dtype)`` or ``0.0``, a
``check_seed`` that must pass by nothing, a tape record of an array's shape alone
(and the pop that restores it) by nothing. A call whose arguments are not known
for every path that reaches it keeps the generic helper: the specialised
derivative computes the same numbers, of the same types, as the generic one.
"""

from __future__ import annotations

import builtins
import dataclasses
import itertools
import math
import operator
import sys
import warnings
from typing import Any, Callable

import gast
import numpy as np

from tangent import runtime
from tangent.runtime import dispatch
from tangent.rules import shapes as shape_rules
from tangent.syntax import annotations as anno, comments

NUMBER = 'number'  # a Python int, float or bool: ``dtype`` is its type
SCALAR = 'scalar'  # a NumPy scalar (np.float64(1.0)): what 0-d arithmetic returns
ARRAY = 'array'  # an ndarray (or the tape's record of one's shape and dtype)
# A Python float on some paths, a NumPy float64 on others (``loss = 0.0`` then
# ``loss = loss + np.sum(...)`` in a loop): one real number either way.
FLOAT = 'float or float64'
SHAPE = 'shape'  # an array's shape: ``dtype`` holds the tuple itself
TUPLE = 'tuple'  # a helper's tuple of results: ``dtype`` holds what each item is
# A dict of str keys (an argument, its gradient): ``dtype`` holds (key, value) pairs in
# order, ``value`` is True when none of its values can be an argument's array.
DICT = 'dict'
_NOT_VALUES = (SHAPE, TUPLE, DICT)  # kinds no arithmetic takes as one value
_NUMBER_TYPES = (float, int, bool)
# Arrays up to this many elements are run through EVALUATED functions to learn
# their results' shapes; past it, helper dispatch costs little next to the work.
_EVALUATED_SIZE_LIMIT = 1 << 16
_MAX_LOOP_ROUNDS = 8
# Ints every call shares are sizes and literals; the analysis computes with them only
# below this (and powers only to small exponents): never a number too long to write.
_SHARED_INT_LIMIT = 1 << 31


@dataclasses.dataclass(frozen=True)
class Known:
    """What a value is, all paths to a point agreeing: its kind, shape and dtype."""

    kind: str
    shape: tuple
    dtype: Any
    # An int's value, when every call of the signature gives it the same: a literal,
    # an array's size, or arithmetic on those (``2 * hidden``).
    value: Any = None
    # An ARRAY of a library other than NumPy (``shape_rules.declare_array_type``): the
    # library's name. Its helper calls resolve only where that takes no NumPy code.
    library: str | None = None

    def __str__(self) -> str:
        if self.kind == NUMBER:
            return self.dtype.__name__
        if self.kind == SCALAR:
            return f'np.{self.dtype.name}'
        if self.kind == FLOAT:
            return FLOAT
        if self.kind == DICT:
            return '{' + ', '.join(f'{key!r}: {item}' for key, item in self.dtype) + '}'
        if self.kind in (TUPLE, SHAPE):
            return repr(self.dtype)
        prefix = f'{self.library}.' if self.library else ''
        return f'{prefix}{self.dtype.name}{list(self.shape)}'


class _Mark:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = _Mark('UNKNOWN')  # differs between paths, or not modelled
BOTTOM = _Mark('BOTTOM')  # no value yet: a name the motion pass bound to None for the tape


_FLOATS = frozenset([Known(NUMBER, (), float), Known(SCALAR, (), np.dtype(np.float64)),
                     Known(FLOAT, (), np.dtype(np.float64))])


def join(left: Any, right: Any) -> Any:
    if left is BOTTOM:
        return right
    if right is BOTTOM or left == right:
        return left
    if left in _FLOATS and right in _FLOATS:
        return Known(FLOAT, (), np.dtype(np.float64))
    if isinstance(left, Known) and isinstance(right, Known) and \
            left.kind == right.kind == NUMBER and left.dtype is right.dtype:
        return Known(NUMBER, (), left.dtype)  # values differ between paths
    return UNKNOWN


def _agreed(results: list) -> Any:
    """What a call is, from its results on each choice of stand-ins (a FLOAT value
    has two): the one answer, FLOAT when they differ only between float and float64."""
    value = BOTTOM
    for result in results:
        value = join(value, result)
    return UNKNOWN if value is BOTTOM else value


def describe(value: Any) -> Known | None:
    """What a run-time value is, or None for anything but a number or an array."""
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return Known(NUMBER, (), kind)
    if kind is np.ndarray:
        return Known(ARRAY, value.shape, value.dtype) if value.dtype.kind in 'biufc' else None
    if isinstance(value, np.generic) and value.dtype.kind in 'biufc':
        return Known(SCALAR, (), value.dtype)
    array_type = shape_rules.array_type(kind)
    if array_type is not None:
        described = array_type.describe(value)
        if described is not None and described[1].kind in 'biufc':
            return Known(ARRAY, tuple(described[0]), described[1], library=array_type.library)
    return None


def _foreign(value: Any) -> bool:
    """Whether ``value`` is, or holds, an array of a library other than NumPy."""
    if not isinstance(value, Known):
        return False
    if value.kind == DICT:
        return any(_foreign(item) for _, item in value.dtype)
    return value.library is not None


def _like_array(base: Known, shape: tuple, dtype: Any) -> Known:
    """An array of ``base``'s library (a 0-d one too: a tensor indexed to one element
    stays a tensor)."""
    return Known(ARRAY, tuple(shape), np.dtype(dtype), library=base.library)


def describe_argument(value: Any) -> Known | None:
    """What an argument is: as ``describe``, or a dict of str keys whose values it
    describes (``params``)."""
    if type(value) is dict:
        items = tuple((key, describe(item)) for key, item in value.items())
        if items and all(type(key) is str and item is not None for key, item in items):
            return Known(DICT, (), items)
        return None
    return describe(value)


def _stand_ins(value: Known, full: bool, identity: bool = False) -> list:
    """Values of the kind and dtype of ``value`` (two for FLOAT: a float and a float64)."""
    if value.kind == FLOAT:
        return [1.0, np.float64(1)]
    return [_stand_in(value, full, identity)]


def _stand_in(value: Known, full: bool, identity: bool = False) -> Any:
    """A value of the kind and dtype of ``value``: of its shape when ``full``, else
    of one element with as many axes. With ``identity``, a stack of square matrices
    is of identities: what a factorisation or a solve (singular on ones) accepts."""
    if value.kind == NUMBER:
        return value.dtype(1)
    if value.kind == SCALAR or value.kind == FLOAT:
        return value.dtype.type(1)
    shape = value.shape if full else (1,) * len(value.shape)
    if identity and len(shape) >= 2 and shape[-1] == shape[-2]:
        numbers = np.broadcast_to(np.eye(shape[-1], dtype=value.dtype), shape).copy()
    else:
        numbers = np.ones(shape, value.dtype)
    if value.library is not None:
        return shape_rules.array_type_named(value.library).stand_in(numbers)
    return numbers


def _known_result(result: Any, shape: tuple | None = None) -> Any:
    if type(result) is tuple:  # a helper's several results (solve_gradients)
        items = tuple(_known_result(item) for item in result)
        return Known(TUPLE, (), items) if all(isinstance(i, Known) for i in items) \
            else UNKNOWN
    known = describe(result)
    if known is None:
        return UNKNOWN
    if shape is not None and known.kind == ARRAY:
        return dataclasses.replace(known, shape=tuple(shape))
    return known


def _quietly(compute: Callable[[], Any]) -> Any:
    """``compute()``, UNKNOWN when it fails: stand-in values say nothing about
    errors (the generic code meets those at run time)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with np.errstate(all='ignore'):
            try:
                return compute()
            except Exception:  # noqa: BLE001 - any failure means: not known
                return UNKNOWN


class _NotLiteral(Exception):
    pass


def _literal(node: gast.expr) -> Any:
    """The value of a constant expression (``0``, ``(0, -1)``, ``None``)."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        value = _literal(node.operand)
        if type(value) in (int, float):
            return -value
    if isinstance(node, gast.Tuple):
        return tuple(_literal(item) for item in node.elts)
    raise _NotLiteral


def _is_literal(node: gast.expr) -> bool:
    try:
        _literal(node)
    except _NotLiteral:
        return False
    return True


def _is_value(value: Any) -> bool:
    """Whether ``value`` is known to be one number or array."""
    return isinstance(value, Known) and value.kind not in _NOT_VALUES


def _elementwise(func: Any, values: list) -> Any:
    if not all(_is_value(v) for v in values):
        return UNKNOWN
    if values and all(v.value is not None and abs(v.value) < _SHARED_INT_LIMIT
                      for v in values) and not (func is operator.pow and values[1].value > 64):
        result = _quietly(lambda: func(*(v.value for v in values)))
        if type(result) is int:
            return Known(NUMBER, (), int, result)
    shape = _quietly(lambda: np.broadcast_shapes(*(v.shape for v in values)))
    if shape is UNKNOWN:
        return UNKNOWN
    results = []
    for arguments in itertools.product(*(_stand_ins(v, full=False) for v in values)):
        result = _quietly(lambda: func(*arguments))
        results.append(_known_result(result, shape) if result is not UNKNOWN else UNKNOWN)
    return _agreed(results)


def _contracting(func: Any, values: list) -> Any:
    """``np.dot(a, b)`` or ``a @ b``, run on operands whose contracted axis has one
    element: the result's shape and dtype at the cost of its size."""
    if len(values) != 2 or not all(_is_value(v) for v in values):
        return UNKNOWN
    left, right = values
    if left.kind == ARRAY and right.kind == ARRAY and left.shape and right.shape:
        left_shape = left.shape[:-1] + (1,)
        axis = -2 if len(right.shape) >= 2 else -1
        right_shape = list(right.shape)
        right_shape[axis] = 1
        if math.prod(left_shape) + math.prod(right_shape) > _EVALUATED_SIZE_LIMIT * 16:
            return UNKNOWN
        return _known_result(_quietly(lambda: func(
            _stand_in(dataclasses.replace(left, shape=left_shape), full=True),
            _stand_in(dataclasses.replace(right, shape=tuple(right_shape)), full=True))))
    return _evaluated(func, values, [], {})


def _evaluated(func: Any, values: list, nodes: list, keywords: dict) -> Any:
    """``func`` run on ones of the arguments' shapes (EVALUATED functions), then, if
    that fails, on identity matrices; ints are the literal arguments themselves
    (``axis=0``) or those whose value every call of the signature shares (``n``)."""
    arguments = []
    for index, value in enumerate(values):
        node = nodes[index] if index < len(nodes) else None
        if node is not None and _is_literal(node):
            arguments.append([_literal(node)])
        elif isinstance(value, Known) and value.kind == NUMBER and value.value is not None:
            arguments.append([value.value])
        elif _is_value(value) and not (value.kind == NUMBER and value.dtype is not float):
            # An int that is not a literal may be an axis or a shape: its value counts.
            if value.kind == ARRAY and math.prod(value.shape) > _EVALUATED_SIZE_LIMIT:
                return UNKNOWN
            arguments.append(value)
        else:
            return UNKNOWN

    def run(identity: bool) -> Any:
        choices = [_stand_ins(a, True, identity) if isinstance(a, Known) else a
                   for a in arguments]
        return _agreed([_known_result(_quietly(lambda: func(*chosen, **keywords)))
                        for chosen in itertools.product(*choices)])
    result = run(identity=False)
    return run(identity=True) if result is UNKNOWN else result


_OPERATORS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
              gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv,
              gast.Pow: operator.pow, gast.Mod: operator.mod, gast.MatMult: operator.matmul}


class Specialiser:
    """Propagates what the arguments are through a joint derivative, then rewrites
    its shape-dispatching helper calls (see the module docstring)."""

    def __init__(self, fdef: gast.FunctionDef, arguments: dict[str, Any],
                 values: dict[str, Any], numpy_name: str, unbound: set[str],
                 tape_lists: set[str] = frozenset()):
        self.fdef = fdef
        self.arguments = arguments  # parameter name -> Known or UNKNOWN
        self.values = values  # the generated module's globals
        self.numpy_name = numpy_name
        self.unbound = unbound  # names the motion pass set to None before their first value
        self.tape_lists = set(tape_lists)  # lists a loop's tape records into (append, pop)
        self.facts: dict[int, list] = {}  # id(call) -> its arguments' values, all visits joined
        self.pushed: dict[str, Any] = {}  # tape id -> what was pushed under it, joined
        self.shape_records: dict[str, bool] = {}  # tape id -> every push is shape_only(array)
        self.before_pop: dict[str, Any] = {}  # tape id -> the target's value before its pop
        # Tape ids with a record of a name still unbound (None): that record, the first
        # pushed, is the last popped, so a loop of pops leaves None behind it.
        self.none_records: set[str] = set()
        self.supported = True
        self.local_names: set[str] = set()  # the names the function binds: not globals
        self.dict_names: set[str] = set()  # the names that may hold a known dict
        self.helpers = {
            runtime.unbroadcast: self._unbroadcast, runtime.unconcat: self._unconcat,
            runtime.unreduce_like: self._unreduce_like, runtime.add_grad: self._add_grad,
            runtime.init_grad: self._init_grad, runtime.check_seed: self._check_seed,
            runtime.array_size: self._array_size, runtime.unaliased: self._unaliased,
            runtime.shape_only: self._shape_only, runtime.grad_dot: self._grad_dot,
            runtime.grad_dot_right: self._grad_dot_right,
            runtime.grad_matmul_left: self._grad_matmul_left,
            runtime.grad_matmul_right: self._grad_matmul_right, runtime.add_at: self._add_at,
            runtime.copy: self._copy,
        }
        self.indices: dict[int, Any] = {}  # id(add_at call) -> its index, all visits agreeing

    # ------------------------------------------------------------ resolving names

    def resolve(self, node: gast.expr) -> Any:
        if isinstance(node, gast.Name):
            return self.values.get(node.id, getattr(builtins, node.id, None))
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            return getattr(base, node.attr, None) if base is not None else None
        return None

    # ------------------------------------------------------------ analysis

    def run(self) -> bool:
        """Analyse and rewrite; False (and nothing rewritten) when the function holds
        a statement the analysis does not model."""
        env = {name: self.arguments.get(name, UNKNOWN) for name in _parameters(self.fdef)}
        self.local_names = _assigned_names(self.fdef) | set(env)
        if any(isinstance(v, Known) and v.kind == DICT for v in env.values()):
            self.dict_names = self._dict_safe_names()
        for name, value in env.items():
            if isinstance(value, Known) and value.kind == DICT and name not in self.dict_names:
                env[name] = UNKNOWN
        body = self.fdef.body
        start = 0
        while start < len(body) and (_is_unbound_marker(body[start], self.unbound) or
                                     _is_stack_creation(body[start]) or
                                     _is_empty_list(body[start], self.tape_lists)):
            if _is_unbound_marker(body[start], self.unbound):
                env[body[start].targets[0].id] = BOTTOM
            start += 1
        self.block(body[start:], env)
        if not self.supported:
            return False
        rest = self.rewrite_block(body[start:])
        dead = self._tapes_nothing_reads(rest)
        if dead:
            rest = self._without_tapes(rest, dead)
        read = {n.id for n in anno.walk(gast.Module(body=rest, type_ignores=[]))
                if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Store)}
        # A tape list or a name set to None for the tape that nothing uses any more.
        self.fdef.body = [s for s in body[:start] if not (
            isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id not in read)] + rest
        for statement in anno.statements(self.fdef):
            # A block whose statements all resolved to nothing (tapes no one reads,
            # helpers with nothing to do) still needs one to be Python: comments, which
            # are all that may be left, are not statements once written out.
            for field in ('body', 'orelse', 'finalbody'):
                block = getattr(statement, field, None)
                if type(block) is list and (block or field == 'body') and \
                        all(comments.is_comment(s) for s in block) and \
                        not isinstance(statement, gast.FunctionDef):
                    block.append(gast.Pass())
        return True

    def block(self, statements: list, env: dict) -> dict:
        for statement in statements:
            env = self.statement(statement, env)
        return env

    def statement(self, node: gast.stmt, env: dict) -> dict:
        if isinstance(node, gast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], gast.Name):
                tape_id = self._popped(node.value)
                if tape_id is not None:
                    before = env.get(node.targets[0].id, BOTTOM)
                    self.before_pop[tape_id] = join(self.before_pop.get(tape_id, BOTTOM),
                                                    before)
            value = self.expression(node.value, env)
            env = dict(env)
            for target in node.targets:
                self.assign(target, value, env)
            return env
        if isinstance(node, gast.AugAssign):
            value = self.expression(node.value, env)
            env = dict(env)
            if isinstance(node.target, gast.Name):
                current = env.get(node.target.id, UNKNOWN)
                if not (isinstance(current, Known) and current.kind == ARRAY):
                    # An array is updated in place; anything else is rebound.
                    current = _elementwise(_OPERATORS.get(type(node.op)), [current, value]) \
                        if type(node.op) in _OPERATORS else UNKNOWN
                env[node.target.id] = current
            else:
                self.expression(node.target, env)
            return env
        if isinstance(node, (gast.Expr, gast.Return)):
            if node.value is not None:
                self.expression(node.value, env)
            return env
        if isinstance(node, (gast.Pass, gast.Assert, gast.Raise)):
            return env
        if isinstance(node, gast.If):
            self.expression(node.test, env)
            return _join_env(self.block(node.body, dict(env)), self.block(node.orelse, dict(env)))
        if isinstance(node, (gast.For, gast.While)):
            return self.loop(node, env)
        self.supported = False  # try, with, del, nested definitions: not modelled
        return env

    def _dict_safe_names(self) -> set[str]:
        """The names that may hold a known dict: used only to read an entry by a str
        key, to bind a call's result, or by the runtime helpers that know dicts; never
        passed elsewhere (where it could change) nor bound to another name."""
        helpers = (runtime.init_grad, runtime.add_at, runtime.unaliased)
        args = self.fdef.args
        # id of each Name node in one of those places, or a parameter's declaration
        allowed = {id(arg) for arg in args.posonlyargs + args.args + args.kwonlyargs}
        names = []
        for node in anno.walk(self.fdef):
            if isinstance(node, gast.Name):
                names.append(node)
            elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                    isinstance(node.ctx, gast.Load) and isinstance(node.slice, gast.Constant) \
                    and type(node.slice.value) is str:
                allowed.add(id(node.value))
            elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Call):
                allowed.update(id(t) for t in node.targets if isinstance(t, gast.Name))
            elif isinstance(node, gast.Call) and self.resolve(node.func) in helpers \
                    and node.args:
                allowed.add(id(node.args[0]))
                if self.resolve(node.func) is runtime.unaliased and len(node.args) == 2 and \
                        isinstance(node.args[1], gast.Tuple):  # the inputs: only read
                    allowed.update(id(item) for item in node.args[1].elts)
        return {n.id for n in names} - {n.id for n in names if id(n) not in allowed}

    def assign(self, target: gast.expr, value: Any, env: dict) -> None:
        if isinstance(target, gast.Name):
            if isinstance(value, Known) and value.kind == DICT and \
                    target.id not in self.dict_names:
                value = UNKNOWN
            env[target.id] = value
        elif isinstance(target, (gast.Tuple, gast.List)):
            for item in target.elts:
                self.assign(item.value if isinstance(item, gast.Starred) else item,
                            UNKNOWN, env)
        elif isinstance(target, gast.Attribute):
            if isinstance(target.value, gast.Name) and target.attr in ('shape', 'dtype'):
                env[target.value.id] = UNKNOWN
        # x[i] = v writes into x: an array keeps its shape and dtype.

    def loop(self, node: gast.For | gast.While, env: dict) -> dict:
        """The values at the loop's head, joined over every round until they settle."""
        if any(isinstance(n, (gast.Break, gast.Continue)) for n in anno.walk(node)):
            # An exit or a skip from inside the body: the names it assigns are unknown.
            env = dict(env)
            for name in _assigned_names(node):
                env[name] = UNKNOWN
        if isinstance(node, gast.For):
            item = self.iterated(node.iter, env)
        head = env
        for round_ in range(_MAX_LOOP_ROUNDS + 1):
            inside = dict(head)
            if isinstance(node, gast.For):
                self.assign(node.target, item, inside)
            else:
                self.expression(node.test, inside)
            after = self.block(node.body, inside)
            joined = _join_env(head, after)
            if joined == head:
                break
            head = joined
            if round_ == _MAX_LOOP_ROUNDS - 1:
                head = dict(head)
                for name in _assigned_names(node):
                    head[name] = UNKNOWN
        exit_env = dict(head)
        # Inside the loop each pop restores a value pushed after the first record; the
        # last pop may restore the None a name held before its first value. Past the
        # loop such a name is unknown: the generic code may restore it before a read,
        # and its restoring pop must stay (higher order reads there what it restores).
        for statement in anno.statements(node):
            if isinstance(statement, gast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], gast.Name) and \
                    self._popped(statement.value) in self.none_records:
                exit_env[statement.targets[0].id] = UNKNOWN
        return self.block(node.orelse, exit_env)

    def iterated(self, node: gast.expr, env: dict) -> Any:
        """What each item of ``for item in node`` is."""
        if isinstance(node, gast.Call):
            func = self.resolve(node.func)
            if func is reversed and len(node.args) == 1:
                return self.iterated(node.args[0], env)
            if func is range:
                for arg in node.args:
                    self.expression(arg, env)
                return Known(NUMBER, (), int)
        value = self.expression(node, env)
        if isinstance(value, Known) and value.kind == ARRAY and value.shape:
            if value.library is not None:
                return _like_array(value, value.shape[1:], value.dtype)
            return _known_result(np.ones((1,) + value.shape[1:], value.dtype)[0])
        return UNKNOWN

    def expression(self, node: gast.expr, env: dict) -> Any:
        if isinstance(node, gast.Name):
            if node.id in env or node.id in self.local_names:
                return env.get(node.id, UNKNOWN)
            # A number of the generated module's globals: a rebinding of the user's
            # global writes the derivative anew. Not an array: `a.shape = ...` would
            # change it in place.
            value = describe(self.values.get(node.id))
            return value if value is not None and value.kind != ARRAY else UNKNOWN
        if isinstance(node, gast.Constant):
            if type(node.value) is int:
                return Known(NUMBER, (), int, node.value)
            return Known(NUMBER, (), type(node.value)) \
                if type(node.value) in _NUMBER_TYPES else UNKNOWN
        if isinstance(node, gast.BinOp):
            values = [self.expression(node.left, env), self.expression(node.right, env)]
            func = _OPERATORS.get(type(node.op))
            if func is operator.matmul:
                return _contracting(func, values)
            return _elementwise(func, values) if func is not None else UNKNOWN
        if isinstance(node, gast.UnaryOp):
            value = self.expression(node.operand, env)
            if isinstance(node.op, gast.USub):
                return _elementwise(operator.neg, [value])
            return value if isinstance(node.op, gast.UAdd) else UNKNOWN
        if isinstance(node, gast.Call):
            return self.call(node, env)
        if isinstance(node, gast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, gast.Attribute):
            value = self.expression(node.value, env)
            if node.attr == 'T' and isinstance(value, Known) and \
                    value.kind in (SCALAR, FLOAT, ARRAY):
                return dataclasses.replace(value, shape=value.shape[::-1])
            if node.attr == 'shape' and isinstance(value, Known) and value.kind == ARRAY:
                return Known(SHAPE, (len(value.shape),), value.shape)
            return UNKNOWN
        if isinstance(node, gast.IfExp):
            self.expression(node.test, env)
            return join(self.expression(node.body, env), self.expression(node.orelse, env))
        for child in gast.iter_child_nodes(node):  # evaluated for the calls inside
            if isinstance(child, gast.expr):
                self.expression(child, env)
        return UNKNOWN

    def subscript(self, node: gast.Subscript, env: dict) -> Any:
        base = self.expression(node.value, env)
        index_nodes = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        index = []
        for item in index_nodes:
            if isinstance(item, gast.Slice):
                bounds = [None if part is None else self.bound(part, env)
                          for part in (item.lower, item.upper, item.step)]
                if UNKNOWN in bounds:
                    return UNKNOWN  # the bounds' values decide the shape
                index.append(slice(*bounds))
            elif _is_literal(item):
                index.append(_literal(item))
            else:
                value = self.expression(item, env)
                if not (isinstance(value, Known) and value.kind == NUMBER
                        and value.dtype is int):
                    return UNKNOWN
                index.append(0)  # a counter: any int index drops the axis alike
        if isinstance(base, Known) and base.kind == SHAPE and len(index) == 1 and \
                type(index[0]) is int:
            # A size: the same for every call of the signature.
            size = _quietly(lambda: base.dtype[index[0]]) if _is_literal(index_nodes[0]) \
                else UNKNOWN
            return Known(NUMBER, (), int, None if size is UNKNOWN else size)
        if isinstance(base, Known) and base.kind == DICT and len(index) == 1 and \
                type(index[0]) is str:
            return dict(base.dtype).get(index[0], UNKNOWN)
        if isinstance(base, Known) and base.kind == TUPLE and len(index) == 1 and \
                _is_literal(index_nodes[0]) and type(index[0]) is int:
            return _quietly(lambda: base.dtype[index[0]])
        if not (isinstance(base, Known) and base.kind == ARRAY):
            return UNKNOWN
        if any(type(i) not in (int, slice, type(None), type(Ellipsis)) for i in index):
            return UNKNOWN  # an array or a boolean index: the values decide
        view = np.broadcast_to(np.zeros((), base.dtype), base.shape)
        result = _known_result(_quietly(
            lambda: view[tuple(index) if isinstance(node.slice, gast.Tuple) else index[0]]))
        if base.library is not None and isinstance(result, Known) and \
                result.kind in (ARRAY, SCALAR):
            # Basic indexing selects alike in every array library; what it selects is
            # an array of the base's library, down to one element.
            return _like_array(base, result.shape, result.dtype)
        return result

    def bound(self, node: gast.expr, env: dict) -> Any:
        """A slice bound's int value, UNKNOWN when calls of the signature may differ."""
        if _is_literal(node):
            return _literal(node)
        value = self.expression(node, env)
        if isinstance(value, Known) and value.kind == NUMBER and value.value is not None:
            return value.value
        return UNKNOWN

    def concrete(self, node: gast.expr, env: dict) -> Any:
        """An index's value (``(slice(None, None, None), slice(hidden, None, None))``),
        the same for every call of the signature, or UNKNOWN."""
        if _is_literal(node):
            return _literal(node)
        if isinstance(node, gast.Tuple):
            items = [self.concrete(item, env) for item in node.elts]
            return UNKNOWN if any(item is UNKNOWN for item in items) else tuple(items)
        if isinstance(node, gast.Call) and self.resolve(node.func) is slice and \
                not node.keywords and len(node.args) <= 3:
            parts = [self.concrete(arg, env) for arg in node.args]
            if all(part is None or type(part) is int for part in parts):
                return slice(*parts)
            return UNKNOWN
        value = self.expression(node, env)
        if isinstance(value, Known) and value.kind == NUMBER and value.value is not None:
            return value.value
        return UNKNOWN

    def call(self, node: gast.Call, env: dict) -> Any:
        func = self.resolve(node.func)
        values = [self.expression(arg, env) for arg in node.args]
        for keyword in node.keywords:  # evaluated for the calls inside
            self.expression(keyword.value, env)
        if any(isinstance(arg, gast.Starred) for arg in node.args) or \
                any(k.arg is None for k in node.keywords):
            return UNKNOWN
        pushed = self._pushed(node)
        if pushed is not None:
            tape_id, record = pushed
            self._record_push(tape_id, record, values[node.args.index(record)])
            return UNKNOWN
        tape_id = self._popped(node)
        if tape_id is not None:
            return self.pushed.get(tape_id, UNKNOWN)
        handler = self.helpers.get(func) if _hashable(func) else None
        if func is runtime.add_at and len(node.args) == 3:
            index, previous = self.concrete(node.args[1], env), self.indices.get(id(node))
            self.indices[id(node)] = index if previous is None or _same_index(previous, index) \
                else UNKNOWN
        if handler is not None or _dispatching(func):
            facts = self.facts.get(id(node))
            joined = values if facts is None else [join(a, b) for a, b in zip(facts, values)]
            self.facts[id(node)] = joined
        if handler is not None:
            return _handled(handler, node, values)[1]
        kind = shape_rules.shape_kind(func) if func is not None and _hashable(func) else None
        if kind == shape_rules.ELEMENTWISE and not node.keywords:
            return _elementwise(func, values)
        if kind == shape_rules.CONTRACTING and not node.keywords:
            return _contracting(func, values)
        if kind == shape_rules.EVALUATED:
            try:
                keywords = {k.arg: _literal(k.value) for k in node.keywords}
            except _NotLiteral:
                return UNKNOWN
            return _evaluated(func, values, node.args, keywords)
        return UNKNOWN

    def _is_helper_call(self, node: gast.expr, helper: Any) -> bool:
        return isinstance(node, gast.Call) and self.resolve(node.func) is helper

    def _pushed(self, node: gast.expr) -> tuple[str, gast.expr] | None:
        """``tangent.push(stack, value, 'id')`` or ``x_saved.append(value)`` (a tape
        list): the tape's id and the value recorded."""
        if not isinstance(node, gast.Call) or node.keywords:
            return None
        list_name = self._tape_list_method(node, 'append', 1)
        if list_name is not None:
            return list_name, node.args[0]
        if self.resolve(node.func) is runtime.push and len(node.args) == 3 and \
                isinstance(node.args[2], gast.Constant) and isinstance(node.args[2].value, str):
            return node.args[2].value, node.args[1]
        return None

    def _popped(self, node: gast.expr) -> str | None:
        """The tape's id of ``tangent.pop(stack, 'id')`` or ``x_saved.pop()``."""
        if not isinstance(node, gast.Call) or node.keywords:
            return None
        list_name = self._tape_list_method(node, 'pop', 0)
        if list_name is not None:
            return list_name
        if self.resolve(node.func) is runtime.pop and len(node.args) == 2 and \
                isinstance(node.args[1], gast.Constant) and isinstance(node.args[1].value, str):
            return node.args[1].value
        return None

    def _tape_list_method(self, node: gast.Call, method: str, arity: int) -> str | None:
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr == method and \
                isinstance(func.value, gast.Name) and func.value.id in self.tape_lists and \
                len(node.args) == arity:
            return func.value.id
        return None

    def _record_push(self, tape_id: str, record: gast.expr, value: Any) -> None:
        if value is BOTTOM:
            self.none_records.add(tape_id)
        self.pushed[tape_id] = join(self.pushed.get(tape_id, BOTTOM), value)
        is_shape = self._is_helper_call(record, runtime.shape_only)
        self.shape_records[tape_id] = self.shape_records.get(tape_id, True) and is_shape

    # ------------------------------------------------------------ rewriting

    def rewrite_block(self, statements: list) -> list:
        kept = []
        for statement in statements:
            if self._removable_tape_statement(statement):
                continue
            added = self._added_in_place(statement)
            if added is not None:
                statement = added
            if isinstance(statement, gast.Expr) and self._is_helper_call(
                    statement.value, runtime.check_seed):
                replacement, _ = self._check_seed(statement.value,
                                                  self.facts.get(id(statement.value)))
                if replacement is None:
                    continue
            for field in ('body', 'orelse'):
                if isinstance(getattr(statement, field, None), list):
                    setattr(statement, field, self.rewrite_block(getattr(statement, field)))
                    if field == 'body' and not statement.body:
                        statement.body = [gast.Pass()]
            self._rewrite_calls(statement)
            kept.append(statement)
        if statements and not any(not comments.is_comment(s) for s in kept):
            kept.append(gast.Pass())
        return kept

    def _added_in_place(self, statement: gast.stmt) -> gast.stmt | None:
        """``g = tangent.add_at(g, index, v)`` as ``g[index] += v``: what ``add_at``
        does for an array of floats, a basic index and a value of the region's shape
        (or a float), the same for every visit; for a dict holding a number or array
        at the key, ``g[key] = g[key] + v``."""
        if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], gast.Name)):
            return None
        call, name = statement.value, statement.targets[0].id
        if not (self._is_helper_call(call, runtime.add_at) and len(call.args) == 3
                and not call.keywords and isinstance(call.args[0], gast.Name)
                and call.args[0].id == name):
            return None
        facts, index = self.facts.get(id(call)), self.indices.get(id(call), UNKNOWN)
        if facts is not None and self._dict_entry(call, facts[0]) is not None and \
                _is_value(facts[2]):
            # add_grad of two numbers or arrays: their sum.
            def entry(ctx):
                return gast.Subscript(value=gast.Name(id=name, ctx=ctx, annotation=None,
                                                      type_comment=None),
                                      slice=call.args[1], ctx=ctx)
            return gast.Assign(targets=[entry(gast.Store())], value=gast.BinOp(
                left=entry(gast.Load()), op=gast.Add(), right=call.args[2]), type_comment=None)
        if facts is None or not _is_basic(index):
            return None
        target, _, value = facts
        if not (_is_value(target) and target.kind == ARRAY and target.dtype.kind == 'f'
                and target.library is None and _is_value(value) and not _foreign(value)):
            return None
        region = _quietly(lambda: np.broadcast_to(np.zeros((), target.dtype),
                                                  target.shape)[index])
        if not isinstance(region, np.ndarray):
            return None  # one element: add_at assigns it back
        if not (value == Known(NUMBER, (), float) or
                (value.kind == ARRAY and value.shape == region.shape)):
            return None  # a value add_at would sum down first
        return gast.AugAssign(
            target=gast.Subscript(value=gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                                  type_comment=None),
                                  slice=self._index_syntax(call.args[1]), ctx=gast.Store()),
            op=gast.Add(), value=call.args[2])

    def _index_syntax(self, node: gast.expr) -> gast.expr:
        """``(slice(None, None, None), slice(a, None, None))`` written ``:, a:``."""
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self._index_syntax(item) for item in node.elts],
                              ctx=gast.Load())
        if isinstance(node, gast.Call) and self.resolve(node.func) is slice:
            parts = list(node.args) + [None] * (3 - len(node.args))
            if len(node.args) == 1:
                parts = [None, node.args[0], None]  # slice(stop)
            parts = [None if isinstance(p, gast.Constant) and p.value is None else p
                     for p in parts]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        return node

    def _tapes_nothing_reads(self, body: list) -> set[str]:
        """The tapes whose values the backward pass, as rewritten, never reads: every
        pop of theirs is in the backward pass, into a name read nowhere there."""
        boundary = next((i for i, s in enumerate(body) if comments.is_comment(s)
                         and comments.comment_text(s) == 'Backward pass'), None)
        if boundary is None:
            return set()
        backward = gast.Module(body=body[boundary:], type_ignores=[])
        read = {n.id for n in anno.walk(backward)
                if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Store)}
        live, popped, assigned = set(), set(), set()
        for index, part in ((0, body[:boundary]), (1, body[boundary:])):
            for node in anno.walk(gast.Module(body=part, type_ignores=[])):
                if isinstance(node, gast.Assign) and self._popped(node.value) is not None:
                    assigned.add(id(node.value))
                    tape_id = self._popped(node.value)
                    popped.add(tape_id)
                    target = node.targets[0]
                    if index == 0 or len(node.targets) != 1 or \
                            not isinstance(target, gast.Name) or target.id in read:
                        live.add(tape_id)
                elif isinstance(node, gast.Call) and id(node) not in assigned and \
                        self._popped(node) is not None:
                    live.add(self._popped(node))  # a pop whose value goes elsewhere
        return popped - live

    def _without_tapes(self, statements: list, dead: set[str]) -> list:
        kept = []
        for statement in statements:
            if isinstance(statement, gast.Expr) and self._pushed(statement.value) is not None \
                    and self._pushed(statement.value)[0] in dead:
                continue
            if isinstance(statement, gast.Assign) and self._popped(statement.value) in dead:
                continue
            for field in ('body', 'orelse'):
                if isinstance(getattr(statement, field, None), list):
                    setattr(statement, field, self._without_tapes(getattr(statement, field),
                                                                  dead))
                    if field == 'body' and not statement.body:
                        statement.body = [gast.Pass()]
            kept.append(statement)
        return kept

    def _removable_tape_statement(self, node: gast.stmt) -> bool:
        """A push of an array's shape record, or the pop restoring it, when every
        record under that id has one known shape and dtype, the very ones of the
        value the pop would replace: the backward pass reads nothing else of it.
        Likewise a record of an int whose value every record and that value share."""
        if isinstance(node, gast.Expr) and self._pushed(node.value) is not None:
            tape_id = self._pushed(node.value)[0]
        elif isinstance(node, gast.Assign) and self._popped(node.value) is not None:
            tape_id = self._popped(node.value)
        else:
            return False
        pushed = self.pushed.get(tape_id, UNKNOWN)
        # An int every record shares (2 * hidden) restores what the name holds already.
        constant = isinstance(pushed, Known) and pushed.kind == NUMBER and \
            pushed.value is not None
        # A FLOAT is a float on some paths and a float64 on others: the type read differs.
        return (tape_id is not None and (self.shape_records.get(tape_id, False) or constant)
                and isinstance(pushed, Known) and pushed.kind != FLOAT
                and self.before_pop.get(tape_id) == pushed)

    def _rewrite_calls(self, statement: gast.stmt) -> None:
        for field, value in gast.iter_fields(statement):
            if field in ('body', 'orelse'):
                continue
            if isinstance(value, gast.AST):
                setattr(statement, field, self._rewritten(value))
            elif isinstance(value, list):
                value[:] = [self._rewritten(item) if isinstance(item, gast.AST) else item
                            for item in value]

    def _rewritten(self, node: gast.AST) -> gast.AST:
        """``node`` with the helper calls in it (inner ones first) replaced."""
        for field, value in gast.iter_fields(node):
            if isinstance(value, gast.AST):
                setattr(node, field, self._rewritten(value))
            elif isinstance(value, list):
                value[:] = [self._rewritten(item) if isinstance(item, gast.AST) else item
                            for item in value]
        if not isinstance(node, gast.Call):
            return node
        facts = self.facts.get(id(node))
        if facts is None:
            return node
        func = self.resolve(node.func)
        handler = self.helpers.get(func) if _hashable(func) else None
        if handler is not None:
            replacement, _ = _handled(handler, node, facts)
            if replacement is not None:
                return replacement
        return self._backend_version(node, func, facts)

    def _backend_version(self, node: gast.Call, func: Any, facts: list) -> gast.Call:
        """A runtime helper call that every visit hands to one backend's version calls
        that version directly, without choosing at run time. The runtime hands a call
        to the backend of the first deciding argument a backend owns: here, the first
        that is not a value no backend owns (a number, a NumPy array, a dict) must be
        known to be an array of that library."""
        if not _dispatching(func) or node.keywords:
            return node
        code = func.runtime_version.__code__
        parameters = code.co_varnames[:code.co_argcount]
        library = None
        for name in func.deciding:
            if name not in parameters:
                return node
            index = parameters.index(name)
            if index >= len(facts):
                continue  # its default: a constant no backend owns
            value = facts[index]
            if not isinstance(value, Known):
                return node  # it may be any library's value
            if value.library is not None:
                library = value.library
                break
        if library is None:
            return node
        helper = dispatch.backend_helper(library, func.__name__)
        module = sys.modules.get(getattr(helper, '__module__', None) or '')
        if module is None or getattr(module, func.__name__, None) is not helper:
            return node
        global_name = next((name for name, value in self.values.items()
                            if value is module and name not in self.local_names), None)
        if global_name is None:
            return node
        node.func = gast.Attribute(value=gast.Name(id=global_name, ctx=gast.Load(),
                                                   annotation=None, type_comment=None),
                                   attr=func.__name__, ctx=gast.Load())
        return node

    # Each handler returns (the replacement expression or None, the call's value).

    def _np(self, attr: str, *args: gast.expr, **keywords: Any) -> gast.Call:
        func = gast.Attribute(value=gast.Name(id=self.numpy_name, ctx=gast.Load(),
                                              annotation=None, type_comment=None),
                              attr=attr, ctx=gast.Load())
        return gast.Call(func=func, args=list(args), keywords=[
            gast.keyword(arg=name, value=value) for name, value in keywords.items()])

    def _dtype(self, dtype: np.dtype) -> gast.expr | None:
        """``np.float32``: the dtype as generated code names it, None when NumPy has no
        attribute of that name for it."""
        if getattr(np, dtype.name, None) is not None and np.dtype(getattr(np, dtype.name)) == dtype:
            return gast.Attribute(value=gast.Name(id=self.numpy_name, ctx=gast.Load(),
                                                  annotation=None, type_comment=None),
                                  attr=dtype.name, ctx=gast.Load())
        return None

    def _unbroadcast(self, node, values):
        if len(values) != 2:
            return None, UNKNOWN
        return self._summed_to(node.args[0], values[0], values[1])

    def _summed_to(self, gradient_node, gradient, like):
        """``unbroadcast(gradient, like)``: the replacement and its value."""
        if not (isinstance(gradient, Known) and isinstance(like, Known)):
            return None, UNKNOWN
        complex_gradient = np.dtype(gradient.dtype).kind == 'c'
        if like.kind == ARRAY:
            if gradient.kind == ARRAY and gradient.shape == like.shape:
                return gradient_node, gradient
            if not like.shape:
                dtype = like.dtype if like.dtype.kind in 'fc' else np.dtype(np.float64)
                return None, UNKNOWN if complex_gradient else Known(SCALAR, (), dtype)
            if like.dtype.kind != 'f':
                return None, UNKNOWN
            result = Known(ARRAY, like.shape, like.dtype)
            if gradient.kind != ARRAY or gradient.dtype != like.dtype:
                return None, result
            axes = _summed_axes(gradient.shape, like.shape)
            if axes is None:
                return None, result
            extra = len(gradient.shape) - len(like.shape)
            axis = gast.Constant(value=axes[0], kind=None) if len(axes) == 1 else \
                gast.Tuple(elts=[gast.Constant(value=a, kind=None) for a in axes],
                           ctx=gast.Load())
            if axes == list(range(extra)):
                return self._np('sum', gradient_node, axis=axis), result
            summed = self._np('sum', gradient_node, axis=axis,
                              keepdims=gast.Constant(value=True, kind=None))
            if extra:
                summed = self._np('reshape', summed, _shape_node(like.shape))
            return summed, result
        if like.kind == NUMBER:
            if complex_gradient:
                return None, UNKNOWN
            result = Known(NUMBER, (), float)
            if gradient == result:
                return gradient_node, result
            if gradient.kind == SCALAR and gradient.dtype == np.float64:
                return _float(gradient_node), result
            if gradient.kind == ARRAY and gradient.dtype.kind == 'f':
                return _float(self._np('sum', gradient_node)), result
            return None, result
        if like.kind == SCALAR:
            if gradient == like:
                return gradient_node, gradient
            if complex_gradient:
                return None, UNKNOWN
            result = Known(SCALAR, (), like.dtype if like.dtype.kind in 'fc'
                           else np.dtype(np.float64))
            dtype_node = self._dtype(result.dtype)
            if gradient.kind in (NUMBER, SCALAR, FLOAT) and dtype_node is not None:
                return gast.Call(func=dtype_node, args=[gradient_node], keywords=[]), result
            if gradient.kind == ARRAY and gradient.shape and gradient.dtype.kind == 'f' and \
                    dtype_node is not None:  # summed whole, then of the scalar's dtype
                return gast.Call(func=dtype_node, args=[self._np('sum', gradient_node)],
                                 keywords=[]), result
            return None, result
        if like.kind == FLOAT and gradient in _FLOATS:
            # A float for a float, a float64 for a float64: the same number either way,
            # and the value stays FLOAT, so nothing after relies on which it is.
            return gradient_node, like
        if like.kind == FLOAT and not complex_gradient and not gradient.shape:
            return None, like
        return None, UNKNOWN

    def _unconcat(self, node, values):
        if len(values) != 4 or not _is_literal(node.args[3]):
            return None, UNKNOWN
        gradient, left, right = values[:3]
        if not all(isinstance(v, Known) for v in (left, right)):
            return None, UNKNOWN  # two sequences would be a concatenation
        side = 1 if _literal(node.args[3]) else 0
        return self._summed_to(node.args[0], gradient, values[1 + side])

    def _unreduce_like(self, node, values):
        if len(values) != 4 or not (_is_literal(node.args[2]) and _is_literal(node.args[3])):
            return None, UNKNOWN
        gradient, original = values[:2]
        axis, keepdims = _literal(node.args[2]), _literal(node.args[3])
        if not (isinstance(gradient, Known) and isinstance(original, Known)):
            return None, UNKNOWN
        if original.kind == ARRAY and original.shape:
            dtype = original.dtype if original.dtype.kind in 'fc' else np.result_type(
                _stand_in(gradient, full=False), np.float64)
            result = Known(ARRAY, original.shape, dtype)
            dtype_node = self._dtype(dtype)
            if dtype_node is None or np.dtype(gradient.dtype).kind not in 'f':
                return None, result
            fill = node.args[0]
            if not keepdims and axis is not None and gradient.shape:
                expanded = list(original.shape)
                for item in ((axis,) if isinstance(axis, int) else axis):
                    expanded[item % len(expanded)] = 1
                fill = self._np('reshape', fill, _shape_node(tuple(expanded)))
            return self._np('full', _shape_node(original.shape), fill, dtype_node), result
        if original.kind == NUMBER:
            result = Known(NUMBER, (), float)
            if gradient == result:
                return node.args[0], result
            if gradient.kind == SCALAR and gradient.dtype == np.float64:
                return gast.Call(func=gast.Name(id='float', ctx=gast.Load(), annotation=None,
                                                type_comment=None),
                                 args=[node.args[0]], keywords=[]), result
            return None, result
        return None, UNKNOWN

    def _add_grad(self, node, values):
        if len(values) != 2 or not all(_is_value(v) for v in values):
            return None, UNKNOWN
        result = _elementwise(operator.add, values)
        return gast.BinOp(left=node.args[0], op=gast.Add(), right=node.args[1]), result

    def _init_grad(self, node, values):
        if not values or len(node.args) > 2:
            return None, UNKNOWN
        value = values[0]
        if isinstance(value, Known) and value.kind == DICT:
            zeros = [(key, self._zero(item)) for key, item in value.dtype]
            # Fresh zeros, or numbers: none of the gradient's values is an argument's.
            result = Known(DICT, (), tuple((key, zero[1]) for key, zero in zeros), True)
            if any(zero[0] is None for _, zero in zeros):
                return None, result
            return gast.Dict(keys=[gast.Constant(value=key, kind=None) for key, _ in zeros],
                             values=[zero[0] for _, zero in zeros]), result
        return self._zero(value)

    def _zero(self, value):
        """``init_grad`` of one number or array: its replacement and value."""
        if not _is_value(value):
            return None, UNKNOWN
        if value.kind == NUMBER:
            return gast.Constant(value=0.0, kind=None), Known(NUMBER, (), float)
        if value.kind == ARRAY:
            dtype = value.dtype if value.dtype.kind in 'fc' else np.dtype(np.float64)
            dtype_node = self._dtype(dtype)
            result = Known(ARRAY, value.shape, dtype)
            if dtype_node is None:
                return None, result
            return self._np('zeros', _shape_node(value.shape), dtype_node), result
        if value.dtype.kind in 'fc' and value.dtype != np.float64:
            return None, Known(SCALAR, (), value.dtype)
        return gast.Constant(value=0.0, kind=None), Known(NUMBER, (), float)

    def _check_seed(self, node, values):
        if not values or len(values) < 2:
            return node, UNKNOWN
        result, seed = values[:2]
        if (_foreign(result) or _foreign(seed)) and any(
                isinstance(v, Known) and v.kind in (ARRAY, SCALAR) and v.library is None
                for v in (result, seed)):
            return node, UNKNOWN  # NumPy's values meet another library's: that raises
        if _is_value(result) and _is_value(seed) and \
                np.dtype(result.dtype).kind != 'c' and result.shape == seed.shape:
            return None, UNKNOWN  # the check passes for every call of this signature
        return node, UNKNOWN

    def _array_size(self, node, values):
        if len(values) != 2 or not _is_literal(node.args[1]) or \
                not isinstance(values[0], Known):
            return None, UNKNOWN
        shape, axis = values[0].shape, _literal(node.args[1])
        size = _quietly(lambda: math.prod(shape) if axis is None else math.prod(
            shape[a] for a in (axis if isinstance(axis, tuple) else (axis,))))
        if size is UNKNOWN:
            return None, UNKNOWN
        return gast.Constant(value=int(size), kind=None), Known(NUMBER, (), int)

    def _unaliased(self, node, values):
        value = values[0] if values else UNKNOWN
        if isinstance(value, Known) and value.kind == DICT and value.value is True:
            return node.args[0], value  # rebuilt with the same values: nothing to copy
        if _is_value(value) and value.kind != ARRAY and \
                not (value.kind == NUMBER and value.dtype is bool):
            return node.args[0], value  # immutable: never the caller's object to share
        return None, value

    def _shape_only(self, node, values):
        return None, values[0] if values else UNKNOWN

    def _copy(self, node, values):
        value = values[0] if len(values) == 1 else UNKNOWN
        if not _is_value(value):
            return None, UNKNOWN
        if value.kind == ARRAY:
            return gast.Call(func=gast.Attribute(value=node.args[0], attr='copy',
                                                 ctx=gast.Load()), args=[], keywords=[]), value
        return node.args[0], value  # a number: nothing to share

    def _add_at(self, node, values):
        # Into an array or a dict in place, which it returns (see _added_in_place).
        target = values[0] if len(values) == 3 else UNKNOWN
        if _is_value(target) and target.kind == ARRAY:
            return None, target
        entry = self._dict_entry(node, target)
        if entry is not None and _is_value(values[2]):
            items = tuple((key, _elementwise(operator.add, [item, values[2]])
                           if key == entry else item) for key, item in target.dtype)
            # The entry's new value is a sum: a new array, whatever the value added.
            return None, Known(DICT, (), items, target.value) \
                if all(isinstance(item, Known) for _, item in items) else UNKNOWN
        return None, UNKNOWN

    def _dict_entry(self, node, target):
        """The key ``add_at(target, key, value)`` adds at, when ``target`` is a known
        dict already holding a known number or array there."""
        if not (isinstance(target, Known) and target.kind == DICT and len(node.args) == 3
                and isinstance(node.args[1], gast.Constant)
                and type(node.args[1].value) is str):
            return None
        key = node.args[1].value
        return key if _is_value(dict(target.dtype).get(key)) else None

    def _matrices(self, values, ndims):
        return all(isinstance(v, Known) and v.kind == ARRAY and len(v.shape) == n
                   for v, n in zip(values, ndims)) and \
            len({v.dtype for v in values}) == 1 and values[0].dtype.kind == 'f'

    def _grad_dot(self, node, values):
        # One dtype throughout: the helper's result has x1's shape and needs no cast.
        if len(values) == 3 and self._matrices(values, (2, 2, 2)):
            transposed = gast.Attribute(value=node.args[2], attr='T', ctx=gast.Load())
            return self._np('dot', node.args[0], transposed), values[1]
        if len(values) == 3 and self._matrices(values, (1, 1, 2)):
            return self._np('dot', node.args[2], node.args[0]), values[1]
        return None, _evaluated(runtime.grad_dot, values, [], {})

    def _grad_dot_right(self, node, values):
        if len(values) == 3 and self._matrices(values, (2, 2, 2)):
            transposed = gast.Attribute(value=node.args[1], attr='T', ctx=gast.Load())
            return self._np('dot', transposed, node.args[0]), values[2]
        if len(values) == 3 and self._matrices(values, (1, 1, 2)):
            return self._np('outer', node.args[1], node.args[0]), values[2]
        return None, _evaluated(runtime.grad_dot_right, values, [], {})

    def _grad_matmul_left(self, node, values):
        if len(values) == 3 and self._matrices(values, (2, 2, 2)):
            transposed = gast.Attribute(value=node.args[2], attr='T', ctx=gast.Load())
            return gast.BinOp(left=node.args[0], op=gast.MatMult(), right=transposed), \
                values[1]
        if len(values) == 3 and self._matrices(values, (1, 2, 1)):  # a matrix times a vector
            return self._np('outer', node.args[0], node.args[2]), values[1]
        return None, _evaluated(runtime.grad_matmul_left, values, [], {})

    def _grad_matmul_right(self, node, values):
        if len(values) == 3 and self._matrices(values, (2, 2, 2)):
            transposed = gast.Attribute(value=node.args[1], attr='T', ctx=gast.Load())
            return gast.BinOp(left=transposed, op=gast.MatMult(), right=node.args[0]), \
                values[2]
        if len(values) == 3 and self._matrices(values, (1, 2, 1)):
            return gast.BinOp(left=node.args[0], op=gast.MatMult(), right=node.args[1]), \
                values[2]
        return None, _evaluated(runtime.grad_matmul_right, values, [], {})

    # ---------------------------------------------------- another library's arrays

    def _same_library_floats(self, *values: Any) -> bool:
        """Arrays of one library other than NumPy and one floating dtype."""
        return all(isinstance(v, Known) and v.kind == ARRAY and v.library is not None
                   for v in values) and len({(v.library, v.dtype) for v in values}) == 1 \
            and values[0].dtype.kind == 'f'

    def _foreign_unbroadcast(self, node, values):
        if len(values) != 2:
            return None, UNKNOWN
        gradient, like = values
        if not self._same_library_floats(like):
            return None, UNKNOWN
        result = Known(ARRAY, like.shape, like.dtype, library=like.library)
        if not self._same_library_floats(gradient, like):
            return None, result
        if gradient.shape == like.shape:
            return node.args[0], result
        axes = _summed_axes(gradient.shape, like.shape)
        if axes is None:
            return None, result
        array_type = shape_rules.array_type_named(like.library)
        extra = len(gradient.shape) - len(like.shape)
        keywords = {array_type.axis_keyword: _axes_node(axes)}
        if axes != list(range(extra)):
            keywords[array_type.keepdims_keyword] = gast.Constant(value=True, kind=None)
        summed = _method(node.args[0], 'sum', **keywords)
        if extra and axes != list(range(extra)):
            summed = _method(summed, 'reshape', _shape_node(like.shape))
        return summed, result

    def _foreign_unreduce_like(self, node, values):
        # The gradient spread over the original: its shape, in its floating dtype.
        if len(values) != 4:
            return None, UNKNOWN
        gradient, original = values[:2]
        if self._same_library_floats(original) and (
                gradient == Known(NUMBER, (), float) or
                self._same_library_floats(gradient, original)):
            return None, Known(ARRAY, original.shape, original.dtype, library=original.library)
        return None, UNKNOWN

    def _foreign_zero(self, value):
        if self._same_library_floats(value):
            return value
        if isinstance(value, Known) and value.kind == NUMBER:
            return Known(NUMBER, (), float)
        return UNKNOWN

    def _foreign_init_grad(self, node, values):
        if not values or len(node.args) > 2:
            return None, UNKNOWN
        value = values[0]
        if isinstance(value, Known) and value.kind == DICT:
            zeros = tuple((key, self._foreign_zero(item)) for key, item in value.dtype)
            if any(zero is UNKNOWN for _, zero in zeros):
                return None, UNKNOWN
            return None, Known(DICT, (), zeros, True)  # fresh zeros: no argument's value
        return None, self._foreign_zero(value)

    def _foreign_copy(self, node, values):
        value = values[0] if len(values) == 1 else UNKNOWN
        return None, value if self._same_library_floats(value) else UNKNOWN

    def _foreign_gradient(self, helper, values, transposed_side, node):
        """``grad_matmul_left`` or ``_right`` of three matrices as ``g @ y.T`` or
        ``x.T @ g``; of other operands, the value the helper gives on stand-ins."""
        if len(values) == 3 and self._same_library_floats(*values) and \
                all(len(v.shape) == 2 for v in values):
            if transposed_side == 'left':
                transposed = gast.Attribute(value=node.args[2], attr='T', ctx=gast.Load())
                return gast.BinOp(left=node.args[0], op=gast.MatMult(), right=transposed), \
                    values[1]
            transposed = gast.Attribute(value=node.args[1], attr='T', ctx=gast.Load())
            return gast.BinOp(left=transposed, op=gast.MatMult(), right=node.args[0]), \
                values[2]
        return None, _evaluated(helper, values, [], {})

    def _foreign_grad_matmul_left(self, node, values):
        return self._foreign_gradient(runtime.grad_matmul_left, values, 'left', node)

    def _foreign_grad_matmul_right(self, node, values):
        return self._foreign_gradient(runtime.grad_matmul_right, values, 'right', node)

    def _foreign_grad_dot(self, node, values):
        return None, _evaluated(runtime.grad_dot, values, [], {})

    def _foreign_grad_dot_right(self, node, values):
        return None, _evaluated(runtime.grad_dot_right, values, [], {})


def _method(value: gast.expr, name: str, *args: gast.expr, **keywords: gast.expr) -> gast.Call:
    return gast.Call(func=gast.Attribute(value=value, attr=name, ctx=gast.Load()),
                     args=list(args), keywords=[gast.keyword(arg=key, value=item)
                                                for key, item in keywords.items()])


def _axes_node(axes: list[int]) -> gast.expr:
    if len(axes) == 1:
        return gast.Constant(value=axes[0], kind=None)
    return gast.Tuple(elts=[gast.Constant(value=a, kind=None) for a in axes], ctx=gast.Load())


# The handlers whose replacements are plain Python (``a + b``, an argument itself, an
# int, nothing) for arrays of any library whose helpers keep the contract stated in
# ``tangent.rules.shapes``; and those with a version of their own for such arrays.
_LIBRARY_NEUTRAL = frozenset(['_add_grad', '_check_seed', '_array_size', '_unaliased',
                              '_shape_only', '_add_at'])
_FOREIGN_VERSIONS = frozenset(['_unbroadcast', '_unreduce_like', '_init_grad', '_copy',
                               '_grad_matmul_left', '_grad_matmul_right', '_grad_dot',
                               '_grad_dot_right'])
# The handlers that know dicts (every other one is given numbers and arrays only).
_CONTAINER_HANDLERS = frozenset(['_init_grad', '_add_at', '_unaliased'])


def _handled(handler: Callable, node: gast.Call, values: list) -> tuple:
    """A helper call's replacement and value; a case a handler did not foresee (an
    array's shape where a number was expected) keeps the call and knows nothing."""
    containers = handler.__name__ in _CONTAINER_HANDLERS
    if any(isinstance(v, Known) and v.kind in _NOT_VALUES and not
           (containers and v.kind == DICT) for v in values):
        return None, UNKNOWN
    if any(_foreign(v) for v in values):
        # Another library's arrays: only the handlers that write no NumPy code, or
        # their versions for such arrays.
        name = handler.__name__
        if name in _FOREIGN_VERSIONS:
            handler = getattr(handler.__self__, '_foreign' + name)
        elif name not in _LIBRARY_NEUTRAL:
            return None, UNKNOWN
    try:
        return handler(node, values)
    except Exception:  # noqa: BLE001 - the generic helper is always right
        return None, UNKNOWN


def _dispatching(func: Any) -> bool:
    """Whether ``func`` is a runtime helper that hands calls to a backend's version."""
    return isinstance(getattr(func, 'deciding', None), tuple) and \
        callable(getattr(func, 'runtime_version', None))


def _same_index(left: Any, right: Any) -> bool:
    try:
        return left is not UNKNOWN and right is not UNKNOWN and bool(left == right)
    except Exception:  # noqa: BLE001 - values that do not compare are not the same
        return False


def _is_basic(index: Any) -> bool:
    """An index of ints, slices of ints, None and Ellipsis: a view, never repeats."""
    items = index if type(index) is tuple else (index,)
    return index is not UNKNOWN and all(
        type(item) is int or item is None or item is Ellipsis or
        (type(item) is slice and all(part is None or type(part) is int
                                     for part in (item.start, item.stop, item.step)))
        for item in items)


def _float(node: gast.expr) -> gast.Call:
    return gast.Call(func=gast.Name(id='float', ctx=gast.Load(), annotation=None,
                                    type_comment=None), args=[node], keywords=[])


def _summed_axes(gradient_shape: tuple, shape: tuple) -> list[int] | None:
    """The axes of a gradient to sum for it to take ``shape`` (broadcasting undone),
    None when summing is not enough (the gradient has fewer elements on an axis)."""
    extra = len(gradient_shape) - len(shape)
    if extra < 0:
        return None
    axes = list(range(extra))
    for index, size in enumerate(shape):
        gradient_size = gradient_shape[extra + index]
        if size == gradient_size:
            continue
        if size != 1:
            return None
        axes.append(extra + index)
    return axes or None


def _shape_node(shape: tuple) -> gast.Tuple:
    return gast.Tuple(elts=[gast.Constant(value=int(n), kind=None) for n in shape],
                      ctx=gast.Load())


def _hashable(func: Any) -> bool:
    try:
        hash(func)
    except TypeError:
        return False
    return func is not None


def _parameters(fdef: gast.FunctionDef) -> list[str]:
    args = fdef.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _join_env(left: dict, right: dict) -> dict:
    # A name bound on one path only cannot be read after the join on the other.
    return {name: join(left.get(name, BOTTOM), right.get(name, BOTTOM))
            for name in left.keys() | right.keys()}


def _assigned_names(node: gast.AST) -> set[str]:
    return {n.id for n in anno.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


def _is_unbound_marker(node: gast.stmt, unbound: set[str]) -> bool:
    return isinstance(node, gast.Assign) and len(node.targets) == 1 and \
        isinstance(node.targets[0], gast.Name) and node.targets[0].id in unbound and \
        isinstance(node.value, gast.Constant) and node.value.value is None


def _is_empty_list(node: gast.stmt, names: set[str]) -> bool:
    return isinstance(node, gast.Assign) and len(node.targets) == 1 and \
        isinstance(node.targets[0], gast.Name) and node.targets[0].id in names and \
        isinstance(node.value, gast.List) and not node.value.elts


def _is_stack_creation(node: gast.stmt) -> bool:
    return isinstance(node, gast.Assign) and isinstance(node.value, gast.Call) and \
        isinstance(node.value.func, gast.Attribute) and node.value.func.attr == 'Stack' \
        and not node.value.args


def specialise(fdef: gast.FunctionDef, arguments: dict[str, Any], values: dict[str, Any],
               numpy_name: str, unbound: set[str], tape_lists: set[str] = frozenset()) -> bool:
    """Rewrite ``fdef`` in place for ``arguments`` (parameter name -> Known); False
    when it holds what the analysis does not model (then it is left as it was)."""
    return Specialiser(fdef, arguments, values, numpy_name, unbound, tape_lists).run()


def signature_key(value: Any) -> Any:
    """What of a run-time argument a specialised version depends on, as a dict key:
    the type of a Python number, the dtype of a NumPy scalar, the dtype and shape of
    an array, the keys and their values' for a dict of str keys; None for anything
    else (which a version takes as it comes)."""
    kind = type(value)
    if kind is dict:
        if not all(type(key) is str for key in value):
            return dict
        return dict, tuple((key, signature_key(item)) for key, item in value.items())
    if kind is float or kind is int or kind is bool:
        return kind
    if kind is np.ndarray:
        return value.dtype, value.shape
    if isinstance(value, np.generic):
        return value.dtype
    array_type = shape_rules.array_type(kind)
    if array_type is not None:
        return kind, array_type.key(value)
    return None


def numpy_name(namespace: Any) -> str:
    """The global name under which specialised code reaches NumPy (``np`` if free)."""
    return namespace.ref(np, 'np')


_DISPATCHING = frozenset(['unbroadcast', 'unconcat', 'unreduce_like', 'add_grad', 'init_grad',
                          'check_seed', 'shape_only', 'grad_dot', 'grad_dot_right',
                          'grad_matmul_left', 'grad_matmul_right', 'array_size', 'add_at',
                          'copy'])


def dispatches_on_shapes(node: gast.AST) -> bool:
    """Whether generated code calls a helper that a known signature could resolve."""
    return any(isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
               and n.func.attr in _DISPATCHING for n in anno.walk(node))


def describe_signature(arguments: dict[str, Any]) -> str:
    """``x: float64[3, 4], s: float``: what a version was written for."""
    return ', '.join(f'{name}: {value}' for name, value in arguments.items())

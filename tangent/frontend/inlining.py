"""Inlining of user functions.

Requires: a resolved, fenced function (``annotate.resolve`` has marked every
global, closure value and attribute chain with ``Key.FUNC``).

Guarantees: every call of a user function (a plain function, a method, a
callable instance, a static or class method) that may receive a value carrying
a derivative is a call of a nested copy of that function, which normalisation
(``anf``) inlines. The derivative is then one function: each call of the
user's program runs exactly once per evaluation of the derivative, the
backward pass reads what the forward pass computed (a helper's random draws,
prints and cost are not repeated), and a derivative of a derivative sees no
call to differentiate again. Calls that receive no such value (``noise(rs,
3)`` with ``rs`` not differentiated) stay calls and run as written. A user
function given a lambda or a nested function, or gathering values into
``*args``, is copied in whatever it receives: what it computes depends on it.

A copy reads its own module's globals and closure: its free names are renamed
where the caller means something else by them. Its default values are the
function's own default objects (``quoting`` binds them, see
``grad_util._parse``). Recursion is left as a call, which reports it.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Callable

import gast

from tangent.frontend import annotate
from tangent.runtime.sequences import INLINED_AS_SOURCE
from tangent.frontend.annotate import dotted_path, local_names
from tangent.frontend.desugar import parameter_receivers
from tangent.syntax import annotations as anno, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer, names_in

# parse(function, param_types) -> (resolved, fenced definition, its free values)
Parse = Callable[[Callable, dict], tuple[gast.FunctionDef, dict[str, Any]]]


def is_user_function(value: Any) -> bool:
    """A function written in Python outside NumPy, autograd and tangent itself (or
    one of tangent's marked ``INLINED_AS_SOURCE``)."""
    module = getattr(value, '__module__', '') or ''
    return isinstance(value, types.FunctionType) and (
        getattr(value, INLINED_AS_SOURCE, False)
        or module.split('.')[0] not in ('numpy', 'tangent', 'autograd', 'builtins')
        and not annotate.is_library_primitive(value))


def _stored_names(target: gast.AST) -> set[str]:
    """The variables an assignment target binds or writes into (``x`` of ``x[i]``)."""
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Subscript, gast.Attribute, gast.Starred)):
        return _stored_names(target.value)
    if isinstance(target, (gast.Tuple, gast.List)):
        return set().union(*(_stored_names(e) for e in target.elts)) if target.elts else set()
    return set()


def _read_names(node: gast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {n.id for n in anno.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _flows(fdef: gast.FunctionDef):
    """(variables written, expressions whose values reach them) for each statement."""
    for node in anno.walk(fdef):
        if isinstance(node, gast.Assign):
            yield set().union(*(_stored_names(t) for t in node.targets)), [node.value]
        elif isinstance(node, (gast.AugAssign, gast.AnnAssign)):
            yield _stored_names(node.target), [node.value, node.target]
        elif isinstance(node, (gast.For, gast.comprehension)):
            yield _stored_names(node.target), [node.iter]
        elif isinstance(node, gast.withitem) and node.optional_vars is not None:
            yield _stored_names(node.optional_vars), [node.context_expr]
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            # l.append(v), d.update(...): the receiver takes in what it is given
            yield _stored_names(node.func.value), node.args + [k.value for k in node.keywords]
        elif isinstance(node, gast.FunctionDef) and node is not fdef:
            yield {node.name}, node.body  # a closure reading varied variables


def varied_names(fdef: gast.FunctionDef, varied_params: set[str]) -> set[str]:
    """The variables of ``fdef`` that may carry a derivative of ``varied_params``.

    Flow-insensitive and conservative: a superset of what reverse mode's
    activity analysis finds after normalisation. Parameters of nested
    functions and lambdas count as varied.
    """
    varied = set(varied_params)
    for node in anno.walk(fdef):
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not fdef:
            arguments = node.args
            varied |= {a.id for a in arguments.args + arguments.kwonlyargs
                       + arguments.posonlyargs}
            varied |= {a.id for a in (arguments.vararg, arguments.kwarg) if a is not None}
    flows = [(targets, set().union(*(_read_names(s) for s in sources)) if sources else set())
             for targets, sources in _flows(fdef)]
    flows_reading: dict[str, list[set[str]]] = {}
    for targets, reads in flows:
        for read in reads:
            flows_reading.setdefault(read, []).append(targets)
    pending = list(varied)  # a worklist: one visit per flow, however long the chains
    while pending:
        for targets in flows_reading.get(pending.pop(), ()):
            for target in targets - varied:
                varied.add(target)
                pending.append(target)
    return varied


def _local_function_names(fdef: gast.FunctionDef) -> set[str]:
    """Names bound to a nested ``def`` or to a lambda in ``fdef``."""
    found = set()
    for node in anno.walk(fdef):
        if isinstance(node, gast.FunctionDef) and node is not fdef:
            found.add(node.name)
        elif (isinstance(node, gast.Assign) and isinstance(node.value, gast.Lambda)
              and len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)):
            found.add(node.targets[0].id)
    return found


class _FreeRenamer(transformers.NodeTransformer):
    """Renames the free names a copied function reads (keeping their resolution)."""

    def __init__(self, renames: dict[str, str], locals_: set[str]):
        self.renames = renames
        self.locals_ = locals_

    def visit_Name(self, node):
        if node.id in self.renames and node.id not in self.locals_:
            node.id = self.renames[node.id]
        return node

    def visit_Attribute(self, node):
        # A method resolved on an item of a global list (LAYERS[0].forward, LAYERS[0](x))
        # is called with that item: the receiver's path follows the global's new name.
        receiver = anno.get(node, Key.RECEIVER)
        if receiver is not None:
            root = annotate.path_root(receiver)
            if root in self.renames and root not in self.locals_:
                anno.set(node, Key.RECEIVER, self.renames[root] + receiver[len(root):])
        self.generic_visit(node)
        return node

    visit_Subscript = visit_Attribute


def _parameters(function: types.FunctionType) -> tuple[list[str], str | None]:
    """Positional and keyword-only parameter names, and the ``*args`` name."""
    code = function.__code__
    named = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    vararg = (code.co_varnames[len(named)] if code.co_flags & inspect.CO_VARARGS else None)
    return named, vararg


def _calls_in_conditions(fdef: gast.FunctionDef) -> set[int]:
    """Calls whose value only decides a branch: operands of comparisons, and calls
    in ``if``/``while``/``assert`` tests and comprehension conditions. No
    derivative flows through them, and normalisation keeps such expressions whole
    (short-circuiting included), so they stay calls of the function itself."""
    conditions = [node.left for node in anno.walk(fdef) if isinstance(node, gast.Compare)]
    conditions += [c for node in anno.walk(fdef) if isinstance(node, gast.Compare)
                   for c in node.comparators]
    for node in anno.walk(fdef):
        if isinstance(node, (gast.If, gast.While, gast.IfExp, gast.Assert)) and \
                isinstance(node.test, (gast.BoolOp, gast.Compare, gast.UnaryOp)):
            conditions.append(node.test)
        elif isinstance(node, gast.comprehension):
            conditions += node.ifs
    return {id(call) for condition in conditions for call in anno.walk(condition)
            if isinstance(call, gast.Call)}


def _known_tuples(fdef: gast.FunctionDef) -> dict[str, int]:
    """Names assigned once, a tuple display of known length (``pair = (a, b)``)."""
    stores: dict[str, int] = {}
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            stores[node.id] = stores.get(node.id, 0) + 1
    return {node.targets[0].id: len(node.value.elts) for node in anno.walk(fdef)
            if isinstance(node, gast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], gast.Name) and stores[node.targets[0].id] == 1
            and isinstance(node.value, gast.Tuple)
            and not any(isinstance(e, gast.Starred) for e in node.value.elts)}


def _spread_known_tuples(args: list, tuples: dict[str, int]) -> list:
    """``g(*pair)`` with ``pair`` a known tuple as ``g(pair[0], pair[1])``."""
    spread = []
    for arg in args:
        if isinstance(arg, gast.Starred) and isinstance(arg.value, gast.Name) and \
                arg.value.id in tuples:
            spread += [gast.Subscript(value=gast.Name(id=arg.value.id, ctx=gast.Load(),
                                                      annotation=None, type_comment=None),
                                      slice=gast.Constant(value=index, kind=None),
                                      ctx=gast.Load())
                       for index in range(tuples[arg.value.id])]
        else:
            spread.append(arg)
    return spread


def _bound_arguments(params: list[str], args: list, keywords: dict) -> dict[str, gast.expr]:
    """The argument expression each named parameter receives at a call."""
    bound = {}
    for param, arg in zip(params, args):
        if isinstance(arg, gast.Starred):
            break
        bound[param] = arg
    bound.update((k, v) for k, v in keywords.items() if k in params)
    return bound


def _argument_types(function: types.FunctionType, bound: dict[str, gast.expr],
                    param_types: dict[str, type], all_bound: bool) -> dict[str, type]:
    """Classes of a callee's parameters, and of attributes of them, known at a call:
    the caller's typed parameters (``model``, ``model.first``), global instances, and
    the functions it is given or left to as defaults (``annotate.CalledValue``), which
    the copy then calls as those functions. ``all_bound``: no ``*args`` or ``**kwargs``
    at the call may fill the parameters not in ``bound``."""
    known = {}
    for param, arg in bound.items():
        path = dotted_path(arg)
        if path:
            for typed, cls in param_types.items():
                if typed == path or typed.startswith((path + '.', path + '[')):
                    known[param + typed[len(path):]] = cls
        kind = annotate.static_kind(anno.get(arg, Key.FUNC, None))
        if param not in known and kind is not None:
            known[param] = kind
    if all_bound:
        known.update(annotate.default_kinds(function, set(bound)))
    return known


def _known_functions(bound: dict[str, gast.expr], callee_types: dict[str, Any],
                     caller_locals: set[str]) -> dict[str, Any]:
    """The parameters of a copy given a function known where the call is written: a
    global function or library function at the call (``nonlinearity=relu``,
    ``np.sin``), or the parameter's default (``nonlinearity=np.tanh``); not a function
    the caller itself receives, which is known only per call."""
    known = {}
    for param, kind in callee_types.items():
        if not isinstance(kind, annotate.CalledValue) or kind.value is None:
            continue
        arg = bound.get(param)
        path = dotted_path(arg) if arg is not None else None
        if arg is None or (path is not None and annotate.path_root(path) not in caller_locals
                           and anno.get(arg, Key.FUNC, None) is kind.value):
            known[param] = kind.value
    return known


def _call_known_functions(copied: gast.FunctionDef, known: dict[str, Any],
                          free: dict[str, Any], namer: Namer) -> None:
    """Reads of a parameter given a known function, in the copy, as reads of the
    function itself through a free name: the derivative then calls ``np.tanh`` (or
    has ``relu`` copied in), and so does a derivative of that derivative, which
    would otherwise meet a local variable holding a function."""
    if not known:
        return
    rebound = {n.id for n in anno.walk(copied) if isinstance(n, gast.Name)
               and isinstance(n.ctx, gast.Store)}
    for node in anno.walk(copied):
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not copied:
            rebound |= local_names(node) if isinstance(node, gast.FunctionDef) else {
                a.id for a in node.args.args + node.args.kwonlyargs}
    names = {}
    for param, value in known.items():
        if param in rebound:
            continue
        names[param] = next((n for n, v in free.items() if v is value), None)
        if names[param] is None:
            names[param] = namer.fresh(getattr(value, '__name__', param))
            free[names[param]] = value
    for statement in copied.body:
        for node in anno.walk(statement):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                    node.id in names:
                anno.set(node, Key.FUNC, known[node.id])
                node.id = names[node.id]


def inline_user_calls(
        fdef: gast.FunctionDef, free: dict[str, Any], namer: Namer, parse: Parse,
        varied_params: set[str], param_types: dict[str, type],
        has_rule: Callable[[Any], bool], on_receiver: Callable[[str], None],
        param_paths: dict[str, str] | None = None,
        lifting: tuple = (), function_params: frozenset = frozenset(),
        outer_locals: frozenset = frozenset(), kept_calls: frozenset = frozenset()) -> None:
    """Copy into ``fdef`` the user functions it calls with varied values or functions.

    Args:
      fdef: the resolved, fenced function; updated in place.
      free: its free values; the copies' free values are added (renamed on a clash).
      namer: names for the copies and renamed free names.
      parse: a user function's resolved, fenced definition and free values, given
        the classes of its parameters that are known (it also records what the
        derivative must watch: the function's code, defaults and globals).
      varied_params: parameters of ``fdef`` that may carry a derivative.
      param_types: known classes of ``fdef``'s parameters (for method calls).
      has_rule: whether a function has a registered derivative (never copied).
      on_receiver: told each path from a parameter of the outermost function
        (``model.second``) whose class a copy needs to resolve a method call.
      param_paths: for each parameter of ``fdef``, the path from a parameter of the
        outermost function it is bound to (``self`` -> ``model.first``), if any.
      lifting: the code objects being copied in around this one (recursion).
      function_params: parameters of ``fdef`` given functions.
      outer_locals: local names of the functions ``fdef`` is copied into.
      kept_calls: ids of calls to leave as they are (in loops that checkpointing
        recomputes, which must stay self-contained).
    """
    if param_paths is None:
        param_paths = {a.id: a.id for a in fdef.args.args + fdef.args.kwonlyargs}
    copies: dict[tuple, str] = {}
    varied = functions = caller_locals = in_conditions = tuples = None

    def analyse() -> None:
        """What the copies need to know of ``fdef``, read before the first copy changes
        it, and only if some call is a user function's (most functions call none)."""
        nonlocal varied, functions, caller_locals, in_conditions, tuples
        varied = varied_names(fdef, varied_params)
        functions = _local_function_names(fdef) | function_params
        caller_locals = local_names(fdef) | outer_locals
        in_conditions = _calls_in_conditions(fdef)
        tuples = _known_tuples(fdef)

    def is_function(arg):
        return isinstance(arg, gast.Lambda) or (isinstance(arg, gast.Name)
                                                and arg.id in functions)

    def reads_varied(node):
        return bool(_read_names(node) & varied)

    for node in list(anno.walk(fdef)):
        if not isinstance(node, gast.Call):
            continue
        declared = annotate.callee(node)
        if declared is None or has_rule(declared) or id(node) in kept_calls:
            continue  # a registered rule applies to the call as written
        function, args = annotate.call_target(node)
        if not is_user_function(function) or has_rule(function):
            continue
        if varied is None:
            analyse()
        if id(node) in in_conditions:
            continue
        args = _spread_known_tuples(args, tuples)
        if function.__code__ in lifting:
            continue  # recursion: left as a call, which reports it
        params, vararg = _parameters(function)
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        given = {params[i] for i, arg in enumerate(args[:len(params)]) if is_function(arg)}
        given |= {k for k, value in keywords.items() if is_function(value)}
        gathers = vararg is not None and (
            len(args) > function.__code__.co_argcount
            or any(isinstance(arg, gast.Starred) for arg in args))
        receives_varied = any(reads_varied(a) for a in args) or any(
            reads_varied(v) for v in keywords.values())
        if not (given or gathers or receives_varied):
            continue
        if vararg is None and any(isinstance(arg, gast.Starred) for arg in args):
            continue  # g(x, *rest): which parameter gets which value is known at run time
        callee_varied = {params[i] for i, arg in enumerate(args[:len(params)])
                         if reads_varied(arg)}
        callee_varied |= {k for k, value in keywords.items() if reads_varied(value)}
        if vararg is not None and any(reads_varied(a) for a in args[len(params):]):
            callee_varied.add(vararg)
        kwarg = function.__code__.co_flags & inspect.CO_VARKEYWORDS and \
            function.__code__.co_varnames[len(params) + (vararg is not None)]
        if kwarg and any(reads_varied(v) for k, v in keywords.items() if k not in params):
            callee_varied.add(kwarg)
        bound = _bound_arguments(params, args, keywords)
        callee_types = _argument_types(
            function, bound, param_types,
            not any(isinstance(arg, gast.Starred) for arg in args)
            and all(k.arg is not None for k in node.keywords))
        callee_paths = {}
        for param, arg in bound.items():
            path = dotted_path(arg)
            if path and annotate.path_root(path) in param_paths:
                root = annotate.path_root(path)
                callee_paths[param] = param_paths[root] + path[len(root):]
        key = (function, frozenset(callee_varied), frozenset(given),
               tuple(sorted(callee_types.items(), key=lambda item: item[0])),
               tuple(sorted(callee_paths.items())))
        if key not in copies:
            copied, callee_free = parse(function, callee_types)
            for receiver in parameter_receivers(copied):
                root = annotate.path_root(receiver)
                if root in callee_paths and receiver not in callee_types:
                    on_receiver(callee_paths[root] + receiver[len(root):])
            namer.reserve(names_in(copied))
            renames = {}
            for free_name, value in callee_free.items():
                if free_name in caller_locals or free.get(free_name, value) is not value:
                    renames[free_name] = namer.fresh(free_name)
                    free[renames[free_name]] = value
                else:
                    free[free_name] = value
            copied = _FreeRenamer(renames, local_names(copied)).visit(copied)
            # Paths from a renamed global (LAYERS[0] of an unrolled loop) follow it.
            callee_types = {renames.get(annotate.path_root(path), annotate.path_root(path))
                            + path[len(annotate.path_root(path)):]: kind
                            for path, kind in callee_types.items()}
            _call_known_functions(copied, _known_functions(bound, callee_types, caller_locals),
                                  free, namer)
            copied.name = namer.fresh(function.__name__)
            copied.decorator_list = []
            inline_user_calls(copied, free, namer, parse, callee_varied, callee_types,
                              has_rule, on_receiver, callee_paths,
                              lifting + (function.__code__,),
                              frozenset(given), frozenset(caller_locals))
            fdef.body.insert(0, copied)
            copies[key] = copied.name
        node.func = gast.copy_location(
            gast.Name(id=copies[key], ctx=gast.Load(), annotation=None, type_comment=None),
            node.func)
        node.args = list(args)

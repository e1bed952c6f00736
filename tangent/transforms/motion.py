"""Joint and split motion: assembling derivative functions.

Requires: the primal and adjoint statements from ``reverse_ad``, or the
primal and tangent statements from ``forward_ad``.

``joint`` writes one function that runs the primal pass and then the
backward pass: ``dfdx(x, bz=1.0)``. ``split`` cuts an (optimized) joint
function at its boundary into a forward function that returns the result
and the tape, a backward function that consumes them, and a wrapper
``dfdx(x, init_grad=1.0)`` that calls both. Values the backward pass reads
from the forward pass travel on the tape, pushed once at the end of the
forward function. ``forward`` writes forward mode's one function,
``dfdx(x, dx)``, around the tangent statements.
"""

from __future__ import annotations

import enum

import gast

from tangent import runtime
from tangent.syntax import annotations as anno, comments, create, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.create import assign, name
from tangent.syntax.naming import Namer, Namespace
from tangent.transforms.reverse_ad import ReverseResult


class INPUT_DERIVATIVE(enum.Enum):  # noqa: N801 - the original's public name
    """How the output seed of a reverse-mode function is given."""

    Required = 1      # the caller passes it
    DefaultOne = 2    # defaults to 1.0 (scalar results)
    DefaultOnes = 3   # defaults to ones_like(result)


def _param(name_: str) -> gast.Name:
    return gast.Name(id=name_, ctx=gast.Param(), annotation=None, type_comment=None)


class Signature:
    """The parameters of a differentiated function, which its derivatives keep."""

    def __init__(self, fdef: gast.FunctionDef):
        args = fdef.args
        self.params: list[str] = [a.id for a in args.args]
        self.defaults: list = list(args.defaults)
        self.vararg: str | None = args.vararg.id if args.vararg is not None else None
        self.keyword_only: list[str] = [a.id for a in args.kwonlyargs]
        self.keyword_defaults: list = list(args.kw_defaults)
        self.kwarg: str | None = args.kwarg.id if args.kwarg is not None else None


def _arguments(signature: Signature, extra: list[str] = (), extra_defaults: list | None = None,
               with_defaults: bool = True) -> gast.arguments:
    """The signature's parameters with ``extra`` ones (seed, tangents, tape) after the
    positional ones, or keyword-only after ``*vararg``."""
    defaults = [anno.copy_tree(d) for d in signature.defaults] if with_defaults else []
    keyword_defaults = [anno.copy_tree(d) for d in signature.keyword_defaults]
    extra_defaults = list(extra_defaults or [])
    keyword_only = [_param(n) for n in signature.keyword_only]
    kwarg = _param(signature.kwarg) if signature.kwarg is not None else None
    if signature.vararg is None:
        return gast.arguments(
            args=[_param(n) for n in list(signature.params) + list(extra)], posonlyargs=[],
            vararg=None, kwonlyargs=keyword_only, kw_defaults=keyword_defaults, kwarg=kwarg,
            defaults=defaults + extra_defaults)
    extra_keyword_defaults = [None] * (len(extra) - len(extra_defaults)) + extra_defaults
    return gast.arguments(
        args=[_param(n) for n in signature.params], posonlyargs=[],
        vararg=_param(signature.vararg),
        kwonlyargs=[_param(n) for n in extra] + keyword_only,
        kw_defaults=extra_keyword_defaults + keyword_defaults, kwarg=kwarg, defaults=defaults)


def _forwarded(signature: Signature) -> tuple[list[gast.expr], list[gast.keyword]]:
    """Arguments passing the signature's parameters on to another function."""
    args = [name(p) for p in signature.params]
    if signature.vararg is not None:
        args.append(gast.Starred(value=name(signature.vararg), ctx=gast.Load()))
    keywords = [gast.keyword(arg=n, value=name(n)) for n in signature.keyword_only]
    if signature.kwarg is not None:
        keywords.append(gast.keyword(arg=None, value=name(signature.kwarg)))
    return args, keywords


def _function(function_name: str, args: gast.arguments, body: list) -> gast.FunctionDef:
    return gast.FunctionDef(name=function_name, args=args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def _returned(names: list[str]) -> gast.Return:
    if len(names) == 1:
        return gast.Return(value=name(names[0]))
    return gast.Return(value=create.tuple_(names))


def joint(primal_def: gast.FunctionDef, result: ReverseResult, function_name: str,
          namespace: Namespace, namer: Namer, input_derivative: INPUT_DERIVATIVE,
          check_dims: bool, preserve_result: bool, source_name: str) -> gast.FunctionDef:
    """One function running the primal pass then the backward pass."""
    signature = Signature(primal_def)
    params = signature.params
    seed = result.seed_name
    seed_default = []
    if input_derivative is INPUT_DERIVATIVE.DefaultOne:
        seed_default = [create.const(1.0)]
    elif input_derivative is INPUT_DERIVATIVE.DefaultOnes or signature.defaults or \
            signature.vararg or signature.kwarg:
        seed_default = [create.const(None)]
    body = []
    if result.uses_stack:
        body.append(assign(result.stack_name, create.runtime_call(namespace, runtime.Stack, [])))
    for tape_list in result.tape_lists:
        body.append(assign(tape_list, gast.List(elts=[], ctx=gast.Load())))
    for pushed in sorted(result.pushed - set(params)):
        body.append(assign(pushed, create.const(None)))  # a push may meet it still unbound
    body.extend(result.primal)
    result_value = result.result_name
    if preserve_result and result.result_name in result.pushed:
        result_value = namer.fresh(result.result_name + '_value')
        body.append(assign(result_value, name(result.result_name)))
    boundary = comments.comment('Backward pass')
    anno.set(boundary, Key.BOUNDARY, True)
    body.append(boundary)
    if result.adjoint_stack_name:
        body.append(assign(result.adjoint_stack_name,
                           create.runtime_call(namespace, runtime.Stack, [])))
    if input_derivative is INPUT_DERIVATIVE.DefaultOnes:
        body.append(gast.If(
            test=gast.Compare(left=name(seed), ops=[gast.Is()],
                              comparators=[create.const(None)]),
            body=[assign(seed, create.runtime_call(namespace, runtime.ones_like,
                                                   [name(result.result_name)]))],
            orelse=[]))
    elif input_derivative is INPUT_DERIVATIVE.Required and seed_default:
        body.append(gast.Expr(value=create.runtime_call(namespace, runtime.require_seed,
                                                        [name(seed), create.const(seed)])))
    if check_dims and input_derivative is not INPUT_DERIVATIVE.DefaultOnes:
        body.append(gast.Expr(value=create.runtime_call(namespace, runtime.check_seed,
                                                        [name(result.result_name), name(seed),
                                                         create.const(source_name)])))
    body.extend(result.adjoint)
    returned = list(result.gradient_names)
    if preserve_result:
        returned.append(result_value)
    body.append(_returned(returned))
    return _function(function_name, _arguments(signature, [seed], seed_default), body)


def forward(primal_def: gast.FunctionDef, statements: list, tangent_params: list[str],
            result_tangent: str, function_name: str, preserve_result: bool) -> gast.FunctionDef:
    """The forward-mode function: the primal's parameters and then the tangents
    (keyword-only after ``*args``), ``statements`` from ``forward_ad``, and a
    return of the result's tangent (and of the result, with ``preserve_result``)."""
    signature = Signature(primal_def)
    returned = [result_tangent] + ([primal_def.body[-1].value.id] if preserve_result else [])
    # A tangent parameter after parameters with defaults needs a default too.
    tangent_defaults = [create.const(None) for _ in tangent_params] if signature.defaults else []
    return _function(function_name, _arguments(signature, tangent_params, tangent_defaults),
                     statements + [_returned(returned)])


def split(joint_def: gast.FunctionDef, result: ReverseResult, namespace: Namespace,
          namer: Namer, signature: Signature, preserve_result: bool) -> gast.Module:
    """Cut an optimized joint function into forward, backward and a wrapper.

    The joint function returns the primal result last; the backward function
    does so only with ``preserve_result``.
    """
    body = joint_def.body
    returned = body[-1].value
    # The optimizer may have renamed the result (``y = x; return y`` reads x).
    result_value = returned.elts[-1]
    if not preserve_result:
        gradients = returned.elts[:-1]
        body[-1].value = gradients[0] if len(gradients) == 1 else gast.Tuple(
            elts=gradients, ctx=gast.Load())
    cut = next(i for i, s in enumerate(body) if anno.get(s, Key.BOUNDARY))
    stack = result.stack_name
    forward_body, backward_body = body[:cut], body[cut + 1:]
    seed = result.seed_name
    has_stack = any(isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                    and s.targets[0].id == stack for s in forward_body)
    carried = sorted(_free_reads(backward_body) & _assigned(forward_body) - {stack})
    stack_init = [] if has_stack else [
        assign(stack, create.runtime_call(namespace, runtime.Stack, []))]
    params = signature.params
    definitely_assigned = set(params) | {signature.vararg, signature.kwarg} | set(
        signature.keyword_only) | {
        target.id for s in forward_body if isinstance(s, gast.Assign)
        for target in s.targets if isinstance(target, gast.Name)}
    # A variable set on only some paths still has to travel on the tape.
    maybe_unbound = [assign(n, create.const(None)) for n in carried
                     if n not in definitely_assigned]
    forward_out = list(stack_init) + maybe_unbound + forward_body
    if carried:
        forward_out.append(gast.Expr(value=create.runtime_call(
            namespace, runtime.push,
            [name(stack), create.tuple_(carried), create.const('forward_values')])))
    forward_out.append(gast.Return(value=create.tuple_([anno.copy_tree(result_value), stack])))
    backward_out = []
    if carried:
        backward_out.append(assign(create.tuple_(carried, store=True), create.runtime_call(
            namespace, runtime.pop, [name(stack), create.const('forward_values')])))
    backward_out.extend(backward_body)
    base = joint_def.name
    forward_name = namer.fresh('f' + base)
    backward_name = namer.fresh('b' + base)
    forward_def = _function(forward_name, _arguments(signature), forward_out)
    backward_def = _function(backward_name,
                             _arguments(signature, [stack, seed], with_defaults=False),
                             backward_out)
    args, keywords = _forwarded(signature)
    # The tape and seed by keyword: they may follow *args.
    backward_keywords = [gast.keyword(arg=stack, value=name(stack)),
                         gast.keyword(arg=seed, value=name('init_grad'))]
    wrapper_body = [
        assign(create.tuple_([result.result_name, stack], store=True),
               gast.Call(func=name(forward_name), args=args, keywords=keywords)),
        gast.Return(value=gast.Call(func=name(backward_name), args=anno.copy_tree(args),
                                    keywords=anno.copy_tree(keywords) + backward_keywords))]
    wrapper = _function(base, _arguments(signature, ['init_grad'], [create.const(1.0)]),
                        wrapper_body)
    return gast.Module(body=[forward_def, backward_def, wrapper], type_ignores=[])


def unalias_returns(fdef: gast.FunctionDef, namespace: Namespace) -> gast.FunctionDef:
    """Make the values ``fdef`` returns share no memory with its arguments.

    A returned value that may be an argument (the seed of ``def f(x): return x``)
    or a view of one (a reshape of the seed, an unbroadcast that had nothing to
    sum) becomes ``tangent.unaliased(value, (arguments...))``, which copies only
    an array that does share memory. Values computed by arithmetic are new
    arrays and stay as they are, so most derivatives gain nothing.
    """
    arguments = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    arguments += [a.id for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None]
    fresh = _fresh_names(fdef, set(arguments), namespace)

    def guarded(value: gast.expr) -> gast.expr:
        if _is_new_value(value, fresh, namespace):
            return value
        inputs = create.tuple_(arguments)
        return create.runtime_call(namespace, runtime.unaliased, [value, inputs])

    for node in anno.own_statements(fdef.body):
        if isinstance(node, gast.Return) and node.value is not None:
            if isinstance(node.value, gast.Tuple):
                node.value.elts = [guarded(elt) for elt in node.value.elts]
            else:
                node.value = guarded(node.value)
    return fdef


_BLOCK_FIELDS = ('body', 'orelse', 'finalbody', 'handlers', 'cases')


def _stored_names(stmt: gast.stmt):
    """The names a statement (not its nested blocks) assigns. The fence keeps ``:=``
    out, and a comprehension's variables are its own, so only targets store."""
    if isinstance(stmt, (gast.Expr, gast.Return, gast.Pass, gast.Break, gast.Continue)):
        return
    for field in transformers.child_fields(type(stmt)):
        if field in _BLOCK_FIELDS:
            continue
        value = getattr(stmt, field, None)
        for part in (value if type(value) is list else [value]):
            if isinstance(part, gast.AST):
                for node in anno.walk(part):
                    if type(node) is gast.Name and isinstance(node.ctx, gast.Store):
                        yield node.id


# Runtime helpers that always build a new array, and those that return their first
# argument or a view of it (so they are new when it is).
_NEW_VALUE_HELPERS = frozenset({runtime.init_grad, runtime.grad_matmul_left,
                                runtime.grad_matmul_right, runtime.grad_dot,
                                runtime.grad_dot_right})
_PASS_THROUGH_HELPERS = frozenset({runtime.unbroadcast, runtime.unreduce_like,
                                   runtime.unreduce, runtime.broadcast_like})


def _resolve(func: gast.expr, namespace: Namespace):
    if isinstance(func, gast.Name):
        return namespace.values.get(func.id)
    if isinstance(func, gast.Attribute):
        base = _resolve(func.value, namespace)
        return getattr(base, func.attr, None) if base is not None else None
    return None


def _helper(func: gast.expr, namespace: Namespace):
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
            namespace.values.get(func.value.id) is runtime:
        return getattr(runtime, func.attr, None)
    return None


def _is_new_value(value: gast.expr, fresh: set[str], namespace: Namespace) -> bool:
    """Whether ``value`` certainly shares no memory with the function's arguments."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Constant, gast.Compare)):
        return True
    if isinstance(value, gast.Name):
        return value.id in fresh
    if isinstance(value, gast.Call):
        helper = _helper(value.func, namespace)
        if helper in _NEW_VALUE_HELPERS:
            return True
        if helper in _PASS_THROUGH_HELPERS and value.args:
            return _is_new_value(value.args[0], fresh, namespace)
        if helper is None and not any(k.arg == 'out' for k in value.keywords):
            return runtime.returns_new_array(_resolve(value.func, namespace))
    return False


def _fresh_names(fdef: gast.FunctionDef, arguments: set[str], namespace: Namespace) -> set[str]:
    """Variables every assignment of which gives a new value (arithmetic, a helper
    that builds one): the largest such set, as a variable may be assigned from itself."""
    simple = {}  # name -> values assigned to it by a plain ``name = value``
    stale = set(arguments)
    for stmt in anno.own_statements(fdef.body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            simple.setdefault(stmt.targets[0].id, []).append(stmt.value)
        else:
            stale.update(_stored_names(stmt))
    fresh = set(simple) - stale
    changed = True
    while changed:
        changed = False
        for variable in list(fresh):
            if not all(_is_new_value(v, fresh, namespace) for v in simple[variable]):
                fresh.discard(variable)
                changed = True
    return fresh


def _assigned(stmts: list) -> set[str]:
    found = set()
    for stmt in stmts:
        for node in anno.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                found.add(node.id)
    return found


def _free_reads(stmts: list) -> set[str]:
    """Names read by ``stmts`` (conservatively: any load not preceded at top level by a store)."""
    reads = set()
    for stmt in stmts:
        for node in anno.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                reads.add(node.id)
    return reads

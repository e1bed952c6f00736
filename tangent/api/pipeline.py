"""The pipeline: parse, resolve, fence, desugar, inline and normalise a function
(the front end), then write its derivative in reverse or forward mode,
assemble it (motion), optimize it and compile it.
"""

from __future__ import annotations

import builtins
import types
from typing import Any, Callable

import gast

from tangent import backends, errors, runtime
from tangent.api import specialise, tracing
from tangent.api.cache import (
    attribute_checks,
    cached_or_generate,
    checks_for,
    function_checks,
    function_key,
    Generated,
    global_item_checks,
    rules_key,
    types_key,
)
from tangent.api.options import for_callee, Options
from tangent.api.specialise import (
    GENERAL_VERSION,
    reads_shapes_in_loops,
    SPREAD,
    tangents_last,
)
from tangent.errors import SourceNotAvailableError, StaleSourceError
from tangent.frontend import anf, annotate, desugar, fence, inlining, object_parameters
from tangent.rules import policy
from tangent.syntax import annotations as anno, comments, compile as compile_, naming, quoting
from tangent.syntax.annotations import Key
from tangent.transforms import checkpoint, motion, optimization, shapes
from tangent.transforms.reverse_ad import ReverseAD, Subroutine

SPLIT_MOTION = '_tangent_split_motion'  # set on the functions of a split-motion derivative


def parse(fn: Callable, param_types: dict[str, type]) -> tuple[gast.FunctionDef, dict, str]:
    """``fn`` read, unrolled, resolved and fenced: its definition, free values and file.

    Adds to ``param_types`` the kinds of the items of the global lists it unrolls
    (``desugar.kinds_of_global_items``), which later passes read like those of a list
    argument.
    """
    if getattr(fn, SPLIT_MOTION, False):
        raise NotImplementedError(
            f'{fn.__qualname__} is part of a split-motion derivative, whose forward and '
            f'backward functions hand a tape to each other; it cannot be differentiated '
            f"again. For higher order, differentiate the joint-motion derivative "
            f"(motion='joint', the default).")
    module = quoting.parse_function(fn)
    fdef = module.body[0]
    # Loops over a global list of objects are unrolled like those over a list argument;
    # the kinds of its items join ``param_types`` (the caller's copy: see front_end).
    param_types.update(desugar.kinds_of_global_items(fdef, fn))
    desugar.unroll_loops_over_items(fdef, param_types, fn)
    if compile_.is_generated(fn):
        runtime_name = next((global_name for global_name, value in fn.__globals__.items()
                             if value is runtime), None)
        if runtime_name is not None:
            desugar.tape_lists_as_tape_calls(fdef, runtime_name)
    free = annotate.resolve(fdef, fn, param_types)
    desugar.calls_through_super(fdef, fn, param_types, free)
    desugar.calls_of_callables(fdef, free, param_types)
    backends.load_for(free)
    filename = fn.__code__.co_filename
    fence.check(fdef, filename, fn.__qualname__, generated=compile_.is_generated(fn))
    free.update(fence.runtime_names(fdef))  # the checks the fence added
    _positional_only_as_positional(fdef)
    _bind_live_defaults(fdef, fn, free)
    return fdef, free, filename


def read_callee(callee: Callable, read: Callable[[], Any]) -> Any:
    """``read()``, which reads the source of ``callee``, a function the differentiated
    one calls; when it has no source, the error also says how to register a
    derivative for it."""
    try:
        return read()
    except StaleSourceError:
        raise  # the way out is to reload the module, not another derivative
    except SourceNotAvailableError as error:
        if getattr(error, 'callee', None) is not None:
            raise  # a callee of this callee, already explained
        raise errors.callee_without_source(
            error, errors.callable_name(callee)) from None


def _positional_only_as_positional(fdef: gast.FunctionDef) -> None:
    """``def f(x, /, y)``: derivatives take ``x`` and ``y`` as ordinary positional
    parameters, in the same order, so ``wrt`` indices and calls line up."""
    fdef.args.args = list(fdef.args.posonlyargs) + list(fdef.args.args)
    fdef.args.posonlyargs = []

_LITERAL_TYPES = (bool, int, float, complex, str, bytes, type(None))


def _bind_live_defaults(fdef: gast.FunctionDef, fn: Callable, free: dict[str, Any]) -> None:
    """Replace default expressions by the function's own default objects.

    A default is evaluated once, when ``def`` runs; its source text may mean
    something else now (``s=SCALE`` before ``SCALE`` was rebound, ``k=k`` in a
    loop, ``w=np.random.randn(3)``). Numbers and strings become literals of the
    live value; other objects are referenced through a free name.
    """
    taken = annotate.local_names(fdef) | set(free) | set(fn.__globals__)
    positional = fdef.args.args

    def live(param: str, value: Any) -> gast.expr:
        if type(value) in _LITERAL_TYPES:
            return gast.Constant(value=value, kind=None)
        owner = fn.__name__ if fn.__name__.isidentifier() else 'lambda'
        name = f'{owner}_{param}_default'.lstrip('_')
        while name in taken:
            name += '_'
        taken.add(name)
        free[name] = value
        node = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
        anno.set(node, Key.FUNC, value)
        return node

    defaults = fn.__defaults__ or ()
    params = [arg.id for arg in positional[len(positional) - len(defaults):]]
    fdef.args.defaults = [live(p, v) for p, v in zip(params, defaults)]
    keyword_defaults = fn.__kwdefaults__ or {}
    fdef.args.kw_defaults = [live(arg.id, keyword_defaults[arg.id])
                             if arg.id in keyword_defaults else None
                             for arg in fdef.args.kwonlyargs]


def print_stage(verbose: int, level: int, title: str, node: Any) -> None:
    if verbose >= level:
        print(f'# ---- {title} ----')
        print(quoting.to_source(node))


class FrontEnd:
    """A function read, annotated and put in normal form, ready for a transform."""

    def __init__(self, fdef: gast.FunctionDef, filename: str, namer: naming.Namer,
                 namespace: naming.Namespace, checks: list, param_types: dict[str, type],
                 untyped_receivers: list[str], user_lines: compile_.UserLines):
        self.fdef = fdef  # in normal form
        self.filename = filename
        self.namer = namer
        self.namespace = namespace
        self.checks = checks
        self.param_types = param_types
        self.untyped_receivers = untyped_receivers  # parameters whose class decides what the code means
        self.user_lines = user_lines  # where the user statements behind fdef are


def front_end(fn: Callable, wrt: tuple[int, ...], verbose: int,
               param_types: dict[str, type], checkpoints: Any = None) -> FrontEnd:
    """Parse, resolve, fence and normalise ``fn``; set up names for generated code.

    ``checkpoints``: None in forward mode (checkpoint markers are dropped);
    in reverse mode False (only marked loops), True or a snapshot count (every
    top-level ``range`` loop).
    """
    param_types = dict(param_types)  # parse adds the kinds of global items it unrolls
    fdef, free, filename = parse(fn, param_types)
    user_lines = compile_.UserLines()
    user_lines.add_function(filename, fdef)
    if not compile_.is_generated(fn):
        fence.require_returned_value(fdef, filename, fn.__qualname__, free)
    untyped = [p for p in desugar.parameter_receivers(fdef) if p not in param_types]
    if SPREAD in param_types:
        _spread_known_length(fdef, param_types[SPREAD])
    elif _spreads_varargs_into_user_function(fdef):
        untyped.append(SPREAD)  # g(x, *rest): inlined once len(rest) is known
    namer = naming.Namer(naming.names_in(fdef) | set(free))
    checks = list(checks_for(fn, free)) + attribute_checks(fdef, param_types) + \
        global_item_checks(fn, param_types)

    def parse_copy(callee: Callable, callee_types: dict[str, type]) -> tuple:
        copied, callee_free, callee_file = read_callee(
            callee, lambda: parse(callee, callee_types))
        user_lines.add_function(callee_file, copied)
        checks.extend(checks_for(callee, callee_free))
        checks.extend(function_checks(callee))
        checks.extend(attribute_checks(copied, callee_types))
        checks.extend(global_item_checks(callee, callee_types))
        return copied, callee_free

    def needs_class(path: str) -> None:
        if path not in param_types and path not in untyped:
            untyped.append(path)

    params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    kept = checkpoint.calls_in_checkpointed_loops(fdef, bool(checkpoints)) \
        if checkpoints is not None else set()
    inlining.inline_user_calls(fdef, free, namer, parse_copy, {params[i] for i in wrt},
                               param_types, policy.has_rule, needs_class,
                               kept_calls=frozenset(kept))
    fdef = desugar.desugar(fdef, free, namer)
    if checkpoints is None:
        checkpoint.strip_markers(fdef)
    else:
        default = None if isinstance(checkpoints, bool) else int(checkpoints)
        for loop in checkpoint.checkpoint_loops(fdef, namer, filename, free,
                                                bool(checkpoints), default):
            # Only the names the step reads: all of fn's globals would include fn
            # (a module's function), and the cache entry would then keep fn alive.
            used = naming.names_in(loop.step_def) | naming.names_in(loop.gradient_step_def)
            step_globals = {name: value for name, value in
                            {**fn.__globals__, **annotate.free_values(fn)}.items()
                            if name in used}
            user_lines.mark_parsed_lines(loop.step_def)
            user_lines.mark_parsed_lines(loop.gradient_step_def)
            loop.step_function = compile_.compile_function(loop.step_def, step_globals,
                                                           user_lines)
            loop.gradient_step_function = loop.step_function
            if loop.gradient_step_def.name != loop.step_def.name:
                loop.gradient_step_function = compile_.compile_function(
                    loop.gradient_step_def, step_globals, user_lines)
            free[loop.step_name] = loop.step_function
            anno.set(loop.step_reference, Key.FUNC, loop.step_function)
            print_stage(verbose, 2, f'checkpointed loop body {loop.step_name}',
                         loop.step_def)
    fdef = anf.Normalizer(namer, free, filename).function(fdef)
    user_lines.add_statements(fdef)
    objects = object_parameters.objects_in(param_types, [params[i] for i in wrt])
    if objects and not untyped:  # with respect to objects: through their attributes
        # (with classes still unknown, the derivative is written again once they are)
        object_parameters.read_through_parameters(fdef, objects, free, namer,
                                                  fn.__qualname__, user_lines.place_of)
    print_stage(verbose, 2, 'normal form (ANF)', fdef)
    namespace = naming.Namespace(namer)
    for name, value in free.items():
        namespace.bind_user(name, value)
    return FrontEnd(fdef, filename, namer, namespace, checks,
                     dict(param_types), untyped, user_lines)


def _spreads_varargs_into_user_function(fdef: gast.FunctionDef) -> bool:
    """``g(x, *rest)`` with ``rest`` the function's own ``*args`` and ``g`` a user
    function: which parameter of ``g`` gets which value depends on ``len(rest)``."""
    if fdef.args.vararg is None:
        return False
    rest = fdef.args.vararg.id
    for node in anno.walk(fdef):
        if isinstance(node, gast.Call) and any(
                isinstance(a, gast.Starred) and isinstance(a.value, gast.Name)
                and a.value.id == rest for a in node.args):
            callee = annotate.callee(node)
            if callee is not None and not policy.has_rule(callee) and not isinstance(
                    callee, (types.BuiltinFunctionType, type)):
                return True
    return False


def _spread_known_length(fdef: gast.FunctionDef, length: int) -> None:
    """``g(x, *rest)`` as ``g(x, rest[0], rest[1])`` when ``rest`` holds two values."""
    rest = fdef.args.vararg.id
    for node in anno.walk(fdef):
        if isinstance(node, gast.Call):
            node.args = [item for arg in node.args for item in (
                [gast.Subscript(value=gast.Name(id=rest, ctx=gast.Load(), annotation=None,
                                                type_comment=None),
                                slice=gast.Constant(value=index, kind=None), ctx=gast.Load())
                 for index in range(length)]
                if isinstance(arg, gast.Starred) and isinstance(arg.value, gast.Name)
                and arg.value.id == rest else [arg])]


def forward(fn: Callable, wrt: tuple[int, ...], options: Options,
            param_types: dict[str, type] | None = None) -> Generated:
    param_types = param_types or {}
    fn = getattr(fn, GENERAL_VERSION, fn)
    key = (function_key(fn), rules_key(), wrt, options, types_key(param_types))
    return cached_or_generate(
        key, fn, lambda: _generate_forward(fn, wrt, options, param_types), options.verbose)


def _generate_forward(fn, wrt, options, param_types) -> Generated:
    # Loaded by the first forward-mode derivative: ``import tangent`` and reverse
    # mode do without it.
    from tangent.transforms import forward_ad

    code = fn.__code__
    objects = object_parameters.objects_in(
        param_types, [code.co_varnames[i] for i in wrt if i < code.co_argcount])
    if objects:
        raise errors.ObjectGradientError(
            f'{fn.__qualname__} is differentiated in forward mode with respect to '
            f'{", ".join(objects)}, an object: forward mode with respect to an object is '
            f'not supported. Use reverse mode (tangent.grad, tangent.vjp), whose gradient '
            f'for an object is a dict of its attributes\' gradients, or pass the '
            f'parameters as a dict argument (dict(model.named_parameters())) and give '
            f'a dict of tangents.')
    verbose = options.verbose
    front = front_end(fn, wrt, verbose, param_types)
    fdef, namer, namespace, checks = front.fdef, front.namer, front.namespace, front.checks
    params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    if front.untyped_receivers:
        tangent_names = [namer.fresh(naming.tangent_name(params[i])) for i in wrt]
        receivers = front.untyped_receivers + _object_receivers(front, wrt, param_types)

        def specialising(source: Callable) -> Callable:  # the cache keeps this: not fn
            return specialise.specialising(
                source, receivers, param_types,
                lambda types_: forward(source, wrt, options, types_),
                lambda generated: dict(zip(tangent_names, generated.tangent_names)),
                lambda kwargs: 0 if any(name in kwargs for name in tangent_names)
                else len(wrt))
        return Generated(function=None, seed_name='', checks=tuple(checks),
                          tangent_names=tangent_names, for_function=specialising)

    def differentiate_subroutine(callee: Callable, positions: tuple[int, ...],
                                 callee_types: dict[str, type]):
        inner = read_callee(callee, lambda: forward(callee, positions, for_callee(options),
                                                     callee_types))
        checks.extend(inner.checks)
        return forward_ad.Subroutine(function=inner.function,
                                     tangent_names=inner.tangent_names)

    body, tangent_params, result_tangent = forward_ad.ForwardAD(
        fdef, list(wrt), namer, namespace, differentiate_subroutine, front.filename,
        front.param_types, front.user_lines.file_of).run()
    function_name = namer.fresh(naming.function_name('d', fn.__name__,
                                                     [params[i] for i in wrt]))
    function = motion.forward(fdef, body, tangent_params, result_tangent, function_name,
                              options.preserve_result)
    print_stage(verbose, 2, 'raw tangent: primal and tangent statements', function)
    if options.optimized:
        function = optimization.optimize(function, _purity_check(namespace))
        print_stage(verbose, 2, 'after optimization', function)
    motion.unalias_returns(function, namespace)  # a tangent argument is not returned as is
    compiled = compile_.compile_function(function, namespace.values, front.user_lines)
    if verbose == 1:  # at 2 the last stage printed is the final source
        print(compile_.source_of(compiled))
    signature = motion.Signature(fdef)
    if signature.defaults or signature.vararg or signature.keyword_only or signature.kwarg:
        compiled = tangents_last(compiled, tangent_params)
    return Generated(function=compiled, seed_name='', checks=tuple(checks),
                      tangent_names=tangent_params)


def _object_receivers(front: FrontEnd, wrt: tuple[int, ...],
                      param_types: dict[str, Any]) -> list[str]:
    """The differentiated parameters used as objects, whose layout (which attributes
    are differentiable: ``object_parameters.parameter_layout``) is read at each call
    along with their classes: an object's gradient is one of its attributes'."""
    params = [arg.id for arg in front.fdef.args.args]
    roots = {annotate.path_root(path) for path in front.untyped_receivers}
    return [params[i] + object_parameters.PARAMETERS for i in wrt
            if i < len(params) and params[i] in roots
            and params[i] + object_parameters.PARAMETERS not in param_types]


def reverse(fn: Callable, wrt: tuple[int, ...], options: Options,
            param_types: dict[str, type] | None = None) -> Generated:
    param_types = param_types or {}
    fn = getattr(fn, GENERAL_VERSION, fn)
    key = (function_key(fn), rules_key(), wrt, options, types_key(param_types))
    return cached_or_generate(
        key, fn, lambda: _generate_reverse(fn, wrt, options, param_types), options.verbose)


def _generate_reverse(fn, wrt, options, param_types) -> Generated:
    verbose, motion_kind = options.verbose, options.motion
    front = front_end(fn, wrt, verbose, param_types, options.checkpoint)
    fdef, namer, namespace, checks = front.fdef, front.namer, front.namespace, front.checks
    if front.untyped_receivers:
        seed_name = namer.fresh(naming.adjoint_name(fdef.body[-1].value.id))
        receivers = front.untyped_receivers + _object_receivers(front, wrt, param_types)

        def specialising(source: Callable) -> Callable:  # the cache keeps this: not fn
            return specialise.specialising(
                source, receivers, param_types,
                lambda types_: reverse(source, wrt, options, types_),
                lambda generated: {seed_name: generated.seed_name})
        return Generated(function=None, seed_name=seed_name, checks=tuple(checks),
                          for_function=specialising)

    def differentiate_subroutine(callee: Callable, positions: tuple[int, ...],
                                 callee_types: dict[str, type]) -> Subroutine:
        def from_source() -> Generated:
            return reverse(callee, positions, for_callee(options), callee_types)
        if tracing.is_traced(callee):
            return Subroutine(function=tracing.traced_gradient(callee, positions, from_source),
                              seed_name=tracing.SEED_NAME)
        inner = read_callee(callee, from_source)
        checks.extend(inner.checks)
        return Subroutine(function=inner.function, seed_name=inner.seed_name,
                          returns_number=inner.returns_number)

    result = ReverseAD(fdef, list(wrt), namer, namespace, differentiate_subroutine,
                       front.filename, front.param_types, front.user_lines.file_of).run()
    print_stage(verbose, 2, 'raw adjoint: primal statements, then adjoint statements',
                 gast.Module(body=result.primal + result.adjoint, type_ignores=[]))
    params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    function_name = namer.fresh(naming.function_name('d', fn.__name__,
                                                     [params[i] for i in wrt]))
    # Split motion's forward function returns the result, so the joint function
    # it is cut from must keep computing it.
    joint = motion.joint(fdef, result, function_name, namespace, namer,
                         options.input_derivative, options.check_dims,
                         options.preserve_result or motion_kind == 'split',
                         fn.__qualname__)
    print_stage(verbose, 2, 'after motion: joint', joint)
    if options.optimized:
        joint = optimization.optimize(joint, _purity_check(namespace))
        print_stage(verbose, 2, 'after optimization', joint)
    if motion_kind == 'split':
        module = motion.split(joint, result, namespace, namer, motion.Signature(fdef),
                              options.preserve_result)
        print_stage(verbose, 2, 'after motion: split into forward, backward and wrapper',
                     module)
        motion.unalias_returns(module.body[1], namespace)  # the backward function
    else:
        # The seed (or an argument) is not returned as is: a copy where one is shared.
        module = gast.Module(body=[motion.unalias_returns(joint, namespace)], type_ignores=[])
    simple = not (fdef.args.vararg or fdef.args.kwonlyargs or fdef.args.defaults
                  or fdef.args.kwarg)
    specialisable = not param_types and simple and motion_kind != 'split'
    if specialisable:
        numpy_name = shapes.numpy_name(namespace)  # bound before the generic code is compiled
        # Compiling reads the tree and changes nothing in it: each version copies it.
        template = module.body[0]
    function = compile_.compile_function(module, namespace.values, front.user_lines)
    if motion_kind == 'split':
        for definition in module.body:
            setattr(function.__globals__[definition.name], SPLIT_MOTION, True)
    if verbose == 1:  # at 2 the last stage printed is the final source
        print(compile_.source_of(function))
    reads_shapes = reads_shapes_in_loops(module)
    if specialisable and (reads_shapes or shapes.dispatches_on_shapes(module)):
        generic, seed_name = function, result.seed_name
        unbound = set(result.pushed) - set(params)
        # The closures keep what they read alive with the cache entry: these, not the
        # normal form and the adjoint statements that ``front`` and ``result`` hold.
        tape_lists, user_lines = set(result.tape_lists), front.user_lines
        parameters = [arg.id for arg in template.args.args]
        defaults = dict(zip(parameters[len(parameters) - len(template.args.defaults):],
                            (getattr(d, 'value', None) for d in template.args.defaults)))

        def for_signature(arguments: dict[str, Any]) -> Callable:
            """The generic code rewritten for what the arguments are."""
            definition = anno.copy_tree(template)
            if not shapes.specialise(definition, arguments, namespace.values, numpy_name,
                                     unbound, tape_lists):
                return generic
            definition.body.insert(0, comments.comment(
                'Specialised for ' + shapes.describe_signature(arguments)))
            version = compile_.compile_function(definition, namespace.values, user_lines)
            if verbose == 1:  # the generic code was printed when it was written
                print(compile_.source_of(version))
            return version

        def with_versions(source: Callable) -> Callable:  # the cache keeps this: not fn
            for_numbers = (lambda: reverse(source, wrt, options.replace(verbose=0),
                                           {p: float for p in params})) if reads_shapes \
                else None
            return specialise.with_versions(generic, parameters, defaults, len(params),
                                            for_numbers, for_signature, seed_name)
        with_versions = specialise.made_once(with_versions)
        return Generated(function=generic, seed_name=seed_name, checks=tuple(checks),
                          for_function=with_versions)
    if not param_types and reads_shapes and simple:
        generic, seed_name = function, result.seed_name

        def with_scalar_version(source: Callable) -> Callable:  # the cache keeps this
            return specialise.with_versions(
                generic, [], {}, len(params), lambda: reverse(
                    source, wrt, options.replace(verbose=0), {p: float for p in params}),
                lambda arguments: generic, seed_name)
        return Generated(function=generic, seed_name=seed_name, checks=tuple(checks),
                          for_function=with_scalar_version)
    return Generated(function=function, seed_name=result.seed_name, checks=tuple(checks),
                     returns_number=result.returns_number)


def _purity_check(namespace: naming.Namespace) -> Callable[[gast.expr], bool]:
    """Which calls in generated code have no side effects (so unused ones may go)."""
    def resolve(node):
        if isinstance(node, gast.Name):
            return namespace.values.get(node.id, getattr(builtins, node.id, None))
        if isinstance(node, gast.Attribute):
            base = resolve(node.value)
            return getattr(base, node.attr, None) if base is not None else None
        return None

    def is_pure(func_node: gast.expr) -> bool:
        func = resolve(func_node)
        return func is not None and policy.is_pure(func)
    return is_pure

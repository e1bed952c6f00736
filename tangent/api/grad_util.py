"""The user-facing entry points: grad, autodiff, vjp, jvp.

Runs the passes in order (quoting, annotate, fence, anf, reverse_ad or
forward_ad, motion, optimization, compile) and wraps the result: the seed
parameter and its default, a single gradient returned bare, the primal
result appended on request. Generated functions are cached on the
function's code, the identity of every global and closure value it reads,
and the options, so a second ``grad`` call costs a dictionary lookup. An
entry lives only as long as its function: the cache keeps no user function,
closure value or global alive (``clear_cache`` empties it).
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import functools
import inspect
import operator
import types
from typing import Any, Callable


from tangent import backends
from tangent.api.cache import clear_cache, Generated
from tangent.api.options import Options
from tangent.api.pipeline import forward, reverse
from tangent.api.specialise import (
    CURRENT_VERSION,
    differentiated_per_version,
    GENERAL_VERSION,
    kept_current,
    VERSION_FOR,
)
from tangent.frontend import annotate, decorators
from tangent.transforms.motion import INPUT_DERIVATIVE

__all__ = ['INPUT_DERIVATIVE', 'autodiff', 'clear_cache', 'grad', 'vjp', 'jvp']


def _unwrap(fn: Any) -> Callable:
    fn = getattr(fn, 'tangent', fn) if callable(getattr(fn, 'tangent', None)) else fn
    # A functools.wraps wrapper: what it computes, not only the function it wraps.
    return decorators.undecorated(fn)


WRT_ACCEPTED = ('wrt must be the index of a positional argument (an int, such as 0) or a '
                'tuple or list of such indices (such as (0, 2))')


class _DefaultIndices(tuple):
    """A ``wrt`` default, ``(0,)``, told apart from a ``(0,)`` the caller passed (it
    compares equal to one and reads the same in ``help``): ``argnum`` may replace
    the default but not a ``wrt`` given explicitly."""

    __slots__ = ()


class _DefaultIndex(int):
    """``0`` as a ``wrt`` default, for entry points whose default is a bare index."""

    __slots__ = ()


DEFAULT_WRT = _DefaultIndices((0,))
DEFAULT_INDEX = _DefaultIndex(0)


def wrt_or_argnum(wrt: Any, argnum: Any, caller: str) -> Any:
    """The indices to differentiate with respect to: ``argnum`` (autograd's spelling of
    ``wrt``) when given, else ``wrt``; a TypeError when the caller gave both."""
    if argnum is None:
        return wrt
    if not isinstance(wrt, (_DefaultIndices, _DefaultIndex)):
        raise TypeError(f'tangent.{caller} takes wrt= or its other spelling argnum=, not '
                        f'both; got wrt={wrt!r} and argnum={argnum!r}.')
    return argnum


def _is_index(value: Any) -> bool:
    """An int, or an integer type that says it can stand for one (NumPy integers).

    Python counts True as 1, but ``wrt=True`` reads as a flag, not as an index.
    """
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def _wrt_indices(wrt: Any) -> tuple[int, ...]:
    """``wrt`` as a tuple of ints, or a TypeError that names ``wrt`` and what it accepts."""
    if _is_index(wrt):
        return (operator.index(wrt),)
    if isinstance(wrt, (str, bytes)) or not isinstance(wrt, collections.abc.Iterable):
        raise TypeError(f'{WRT_ACCEPTED}; got wrt={wrt!r} ({type(wrt).__name__}).')
    indices = tuple(wrt)
    for item in indices:
        if not _is_index(item):
            raise TypeError(f'{WRT_ACCEPTED}; got wrt={wrt!r}, which holds {item!r} '
                            f'({type(item).__name__}).')
    return tuple(operator.index(item) for item in indices)


def _validate(fn: Any, wrt: tuple[int, ...], caller: str,
              receivers: int = 0) -> tuple[Callable, tuple[int, ...]]:
    """The function to differentiate and ``wrt`` checked against its parameters.

    ``receivers``: leading parameters the caller fills itself (``self`` of a
    bound method), which the user's indices do not count.
    """
    if not callable(fn):
        raise TypeError(f'tangent.{caller} expects a function, got {type(fn).__name__} {fn!r}.')
    fn = _unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        if isinstance(fn, type):
            raise TypeError(
                f'tangent.{caller} expects a function, got the class {fn.__qualname__}; '
                f'differentiate a function, a method, or an instance whose class defines '
                f'__call__.')
        if isinstance(fn, types.BuiltinFunctionType) or not hasattr(fn, '__code__'):
            raise TypeError(
                f'tangent.{caller} expects a Python function defined with def, got '
                f'{fn!r}; builtins and C functions have no source to differentiate.')
    code = fn.__code__
    n_params = code.co_argcount - receivers
    if not wrt:
        raise ValueError(f'wrt is empty: name at least one argument of {fn.__name__} '
                         f'to differentiate with respect to.')
    for index in wrt:
        if not 0 <= index < n_params:
            besides = f' besides {code.co_varnames[0]}' if receivers else ''
            raise ValueError(
                f'wrt={wrt} is out of range: {fn.__qualname__} has {n_params} positional '
                f'parameter(s){besides}, so indices go from 0 to {n_params - 1}.')
    return fn, tuple(index + receivers for index in wrt)


def _is_callable_instance(func: Any) -> bool:
    """An object (not a function, method or class) whose class defines ``__call__``
    in Python, so that calling it runs code tangent can read."""
    return (not isinstance(func, (types.FunctionType, types.MethodType, type,
                                  types.BuiltinFunctionType, functools.partial))
            and annotate.python_call_method(type(func)) is not None)


def _partial_derivative(partial: functools.partial, wrt: tuple[int, ...],
                        differentiate: Callable[[Any, tuple[int, ...]], Callable]) -> Callable:
    """The derivative of ``partial``: its function's, the bound arguments held constant.

    ``wrt`` counts the parameters the partial still takes by position, as the
    user calls it. The derivative is called like the partial, followed (as for
    any function) by the seed in reverse mode or the tangents in forward mode.
    ``differentiate(function, wrt)`` is ``autodiff`` with the caller's options.
    """
    inner = partial.func
    label = f'functools.partial({getattr(inner, "__qualname__", type(inner).__name__)}, ...)'
    try:
        signature = inspect.signature(inner)
    except (TypeError, ValueError) as error:
        raise TypeError(f'tangent cannot differentiate {label}: the parameters of '
                        f'{inner!r} cannot be read ({error}).') from None
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                      inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    gathers = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    bound_args, bound_keywords = partial.args, partial.keywords
    if len(bound_args) > len(positional) and not gathers:
        raise TypeError(f'{label} binds {len(bound_args)} positional argument(s), but the '
                        f'function takes {len(positional)}.')
    remaining = positional[len(bound_args):]
    # A parameter bound by keyword ends those the partial takes by position: the
    # caller can pass the ones after it by keyword only.
    taken = next((i for i, p in enumerate(remaining) if p.name in bound_keywords),
                 len(remaining))
    own, after = remaining[:taken], remaining[taken:]
    for index in wrt:
        if not 0 <= index < len(own):
            names = ', '.join(p.name for p in own) or 'none'
            raise ValueError(
                f'wrt={wrt} is out of range: {label} takes {len(own)} positional '
                f'parameter(s) ({names}), so indices go from 0 to {len(own) - 1}; the '
                f'arguments the partial binds are constants, not differentiated.')
    derivative = differentiate(inner, tuple(len(bound_args) + index for index in wrt))

    def derivative_of_partial(*args, **kwargs):
        keywords = {**bound_keywords, **kwargs}
        if len(args) <= len(own) or gathers:
            return derivative(*bound_args, *args, **keywords)
        # Arguments beyond the partial's own are the seed or the tangents, which
        # follow all the function's positional parameters: fill those in between.
        between = []
        for parameter in after:
            if parameter.name in keywords:
                between.append(keywords.pop(parameter.name))
            elif parameter.default is not inspect.Parameter.empty:
                between.append(parameter.default)
            else:
                raise TypeError(f'{label} is missing the argument {parameter.name!r}.')
        return derivative(*bound_args, *args[:len(own)], *between, *args[len(own):],
                          **keywords)

    derivative_of_partial.__name__ = derivative_of_partial.__qualname__ = \
        getattr(derivative, '__name__', 'derivative')
    derivative_of_partial.__doc__ = (f'The derivative of {label}, the arguments it binds '
                                     f'held constant.')
    return derivative_of_partial


def autodiff(func: Callable, wrt: tuple[int, ...] = DEFAULT_WRT, optimized: bool = True,
             motion: str = 'joint', mode: str = 'reverse', preserve_result: bool = False,
             check_dims: bool = True,
             input_derivative: INPUT_DERIVATIVE = INPUT_DERIVATIVE.Required,
             verbose: int = 0, checkpoint: bool | int = False, *,
             argnum: int | tuple[int, ...] | None = None) -> Callable:
    """Differentiate ``func`` by writing and compiling its derivative's source.

    Args:
      func: a Python function defined with ``def`` in a file or notebook cell.
      wrt: indices of the positional arguments to differentiate with respect to.
      optimized: run dead-code elimination and assignment propagation.
      motion: 'joint' (one function, the seed an extra parameter) or 'split'
        (a forward and a backward function joined by a tape; the wrapper takes
        the seed as ``init_grad``). Reverse mode only.
      mode: 'reverse' (vector-Jacobian products) or 'forward' (Jacobian-vector
        products: the function takes one tangent per ``wrt`` argument after
        ``func``'s own arguments).
      preserve_result: also return the primal result, after the derivatives.
      check_dims: check that the seed has the result's shape.
      input_derivative: reverse mode: whether the seed is required, defaults to
        1.0, or defaults to ones shaped like the result.
      verbose: 1 prints the generated source; 2 also every intermediate stage.
      checkpoint: reverse mode: True checkpoints every top-level ``for`` loop
        over ``range`` (keeping 2 sqrt(n) snapshots of an n-step loop's
        state instead of a tape entry per step); an int gives the number of
        snapshots. Loops written ``for i in tangent.checkpoint(range(n),
        snapshots=k):`` are checkpointed whatever this says.
      argnum: autograd's name for ``wrt``, accepted in its place (not with it).

    Returns:
      The derivative function.
    """
    options = Options(mode=mode, motion=motion, optimized=optimized,
                      preserve_result=preserve_result, check_dims=check_dims,
                      input_derivative=input_derivative, checkpoint=checkpoint, verbose=verbose)
    wrt = _wrt_indices(wrt_or_argnum(wrt, argnum, 'autodiff'))
    if isinstance(func, functools.partial):
        return _partial_derivative(func, wrt, lambda inner, inner_wrt: autodiff(
            inner, inner_wrt, optimized, motion, mode, preserve_result, check_dims,
            input_derivative, verbose, checkpoint))
    version_for = getattr(getattr(func, GENERAL_VERSION, func), VERSION_FOR, None)
    if version_for is not None:  # a derivative written per call: differentiate each version
        return differentiated_per_version(version_for, lambda version: autodiff(
            version, wrt, optimized, motion, mode, preserve_result, check_dims,
            input_derivative, verbose, checkpoint), getattr(func, '__name__', 'derivative'))
    instance = None
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        # A bound method: differentiate its function, with self's class known.
        instance, func = func.__self__, func.__func__
    elif _is_callable_instance(func):
        # model(x) runs type(model).__call__(model, x): a bound method in all but name.
        instance, func = func, annotate.python_call_method(type(func))
    # A derivative kept current is differentiated as it is at each call (its code
    # goes stale with the globals and helpers it was written from), and so is watched.
    current_version = getattr(func, CURRENT_VERSION, None)
    fn, wrt = _validate(func, wrt, 'autodiff', receivers=int(instance is not None))
    param_types = {}
    if instance is not None:
        param_types[fn.__code__.co_varnames[0]] = type(instance)

    def generate() -> Generated:
        source, inner_checks = current_version() if current_version else (fn, ())
        differentiate = forward if options.mode == 'forward' else reverse
        generated = differentiate(source, wrt, options, param_types)
        if not inner_checks:
            return generated
        return Generated(generated.function, generated.seed_name,
                         tuple(generated.checks) + tuple(inner_checks),
                         generated.tangent_names)

    generated = generate()
    # The contexts follow what the generated code names: a dispatcher between versions
    # (specialise.with_versions) is read through to its generic code.
    code = getattr(generated.function, GENERAL_VERSION, generated.function)
    derivative = _in_call_contexts(kept_current(generated, generate), code.__globals__)
    if instance is not None:
        return types.MethodType(derivative, instance)
    return derivative


def _in_call_contexts(derivative: Callable, namespace: dict) -> Callable:
    """``derivative`` run inside the call contexts of the loaded backends its code
    (whose globals are ``namespace``) names, PyTorch's ``no_grad``; or itself when
    there are none."""
    contexts = backends.call_contexts(namespace)
    if not contexts:
        return derivative

    # The version for the arguments is looked up, and written the first time, outside
    # the contexts: writing it breaks a compiler's trace, which cannot resume inside
    # them (specialise.with_versions). A derivative without versions is its own.
    lookup = getattr(derivative, 'lookup', lambda *args, **kwargs: derivative)
    prepare = getattr(derivative, 'prepare', lambda *args, **kwargs: derivative)

    if len(contexts) == 1:
        (context,) = contexts

        # A plain with statement: torch.compile traces it (an ExitStack it cannot, and
        # would fall back to running the derivative op by op).
        def in_contexts(*args, **kwargs):
            version = lookup(*args, **kwargs)
            if version is None:
                version = prepare(*args, **kwargs)
            with context(*args, **kwargs):
                return version(*args, **kwargs)
    else:
        def in_contexts(*args, **kwargs):
            version = lookup(*args, **kwargs)
            if version is None:
                version = prepare(*args, **kwargs)
            with contextlib.ExitStack() as stack:
                for context in contexts:
                    stack.enter_context(context(*args, **kwargs))
                return version(*args, **kwargs)

    # The generated function's name, source and attributes stay visible through the
    # wrapper, and differentiating it again reads the generated function.
    functools.update_wrapper(in_contexts, derivative)
    setattr(in_contexts, GENERAL_VERSION, getattr(derivative, GENERAL_VERSION, derivative))
    return in_contexts


def grad(func: Callable, wrt: tuple[int, ...] = DEFAULT_WRT, optimized: bool = True,
         preserve_result: bool = False, check_dims: bool = True,
         verbose: int = 0, checkpoint: bool | int = False, *,
         argnum: int | tuple[int, ...] | None = None) -> Callable:
    """The gradient of a scalar-valued ``func``: ``dfdx(*args, bresult=1.0)``.

    ``argnum`` is autograd's name for ``wrt``, accepted in its place.
    """
    return autodiff(func, wrt=wrt_or_argnum(wrt, argnum, 'grad'),
                    optimized=optimized, motion='joint', mode='reverse',
                    preserve_result=preserve_result, check_dims=check_dims,
                    input_derivative=INPUT_DERIVATIVE.DefaultOne, verbose=verbose,
                    checkpoint=checkpoint)


def vjp(func: Callable, wrt: tuple[int, ...] = DEFAULT_WRT, optimized: bool = True,
        check_dims: bool = True, preserve_result: bool = False, verbose: int = 0, *,
        argnum: int | tuple[int, ...] | None = None) -> Callable:
    """A vector-Jacobian product function: reverse, joint, the seed required."""
    return autodiff(func, wrt=wrt_or_argnum(wrt, argnum, 'vjp'),
                    optimized=optimized, motion='joint', mode='reverse',
                    preserve_result=preserve_result, check_dims=check_dims,
                    input_derivative=INPUT_DERIVATIVE.Required, verbose=verbose)


def jvp(func: Callable, wrt: tuple[int, ...] = DEFAULT_WRT, optimized: bool = True,
        check_dims: bool = True, preserve_result: bool = False, verbose: int = 0, *,
        argnum: int | tuple[int, ...] | None = None) -> Callable:
    """A Jacobian-vector product function (forward mode)."""
    return autodiff(func, wrt=wrt_or_argnum(wrt, argnum, 'jvp'),
                    optimized=optimized, mode='forward',
                    preserve_result=preserve_result, check_dims=check_dims, verbose=verbose)


def _derivative_for_rules(func: Callable, wrt: tuple, mode: str) -> Callable:
    derive = vjp if mode == 'reverse' else jvp
    return derive(func, wrt=wrt, preserve_result=True)


backends.provide_derivatives(_derivative_for_rules)

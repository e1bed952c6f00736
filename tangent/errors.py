"""Error classes raised by tangent.

Every error names what went wrong in the user's terms: the construct or the
function, the user's ``file:line``, and the way out.
"""

from __future__ import annotations

import sys
import types


def callable_name(func: object) -> str:
    """The name a user knows ``func`` by, for messages.

    A library's wrapper made by a decorator factory (autograd's primitives:
    ``primitive.<locals>.f_wrapped``) keeps the function it wraps in ``fun``:
    name that one; when it wraps a method bound to a named object
    (``scipy.stats.norm.logpdf``), with its owner: ``norm.logpdf``.
    """
    qualname = getattr(func, '__qualname__', None)
    wrapped = getattr(func, 'fun', None)
    if wrapped is not None and isinstance(qualname, str) and '<locals>' in qualname:
        return _wrapped_name(wrapped)
    owner = getattr(func, '__self__', None)
    if type(owner).__name__ == 'ufunc' and isinstance(getattr(owner, '__name__', None), str):
        # A ufunc's method (np.add.reduceat): its qualified name is ufunc.reduceat.
        return f'{_ufunc_name(owner, owner.__name__)}.{func.__name__}'
    if isinstance(qualname, str):
        return qualname
    name = getattr(func, '__name__', None)
    if isinstance(name, str) and type(func).__name__ == 'ufunc':
        return _ufunc_name(func, name)
    return name if isinstance(name, str) else repr(func)


def _ufunc_name(func: object, name: str) -> str:
    """A ufunc outside NumPy carries no qualified name (``scipy.special.struve``):
    the shortest public module path that holds it (looked up only on the way to
    an error), else its bare name."""
    holders = sorted((module_name for module_name, module in list(sys.modules.items())
                      if not any(part.startswith('_') for part in module_name.split('.'))
                      and getattr(module, name, None) is func),
                     key=lambda module_name: (module_name.count('.'), module_name))
    return f'{holders[0]}.{name}' if holders else name


def _wrapped_name(func: object) -> str:
    owner = getattr(func, '__self__', None)
    name = getattr(func, '__name__', None)
    if owner is not None and isinstance(name, str) and \
            not isinstance(owner, (type, types.ModuleType)):
        owner_name = getattr(owner, 'name', None)
        if not (isinstance(owner_name, str) and owner_name.isidentifier()):
            # an object named by its class: instances of <name>_gen are <name>
            owner_name = type(owner).__name__.removesuffix('_gen')
        return f'{owner_name}.{name}'
    return callable_name(func)


class TangentParseError(SyntaxError):
    """The function uses Python outside the subset tangent differentiates."""

    def __init__(self, message: str, filename: str | None = None,
                 lineno: int | None = None, line: str | None = None):
        where = ''
        if filename is not None and lineno is not None:
            where = f'{filename}:{lineno}: '
        quoted = f'\n    {line.strip()}' if line else ''
        super().__init__(f'{where}{message}{quoted}')
        self.filename = filename
        self.lineno = lineno
        self.text = line


class ForwardNotImplementedError(NotImplementedError):
    """A function has no forward-mode (tangent) rule."""

    def __init__(self, func_name: str, why: str = '', advice: str = ''):
        reason = f' ({why})' if why else ''
        advice = advice or f'Register one with @tangent.tangents.tangent_({func_name}).'
        super().__init__(
            f'No forward-mode derivative is registered for {func_name}{reason}. {advice}')


class ReverseNotImplementedError(NotImplementedError):
    """A function has no reverse-mode (adjoint) rule and no source to read."""

    def __init__(self, func_name: str, why: str = '', advice: str = ''):
        reason = f' ({why})' if why else ''
        advice = advice or (
            f'Register an adjoint with @tangent.grads.adjoint({func_name}), or declare '
            f'it non-differentiable with tangent.non_differentiable.'
            f'register_non_differentiable_functions({func_name}).')
        super().__init__(f'No derivative is registered for {func_name}{reason}. {advice}')


class ObjectGradientError(NotImplementedError):
    """A function differentiated with respect to an object (an ``nn.Module``, a class
    holding arrays) reads or writes the object in a way tangent cannot follow to its
    differentiable attributes, or in a mode it does not support for objects."""


class ComplexNumberError(TypeError):
    """A complex value reached differentiated code: tangent differentiates real
    numbers only, and a complex intermediate would give a wrong real gradient."""

    def __init__(self, what: str, function_name: str):
        super().__init__(
            f'{what} is complex (in {function_name}): tangent does not support complex '
            f'numbers, so it refuses rather than return a wrong real gradient. Hold the '
            f'real and imaginary parts in real variables instead.')


# Why a call's callee is unknown, and the way out: the advice of both errors above.
UNRESOLVED_CALLEE = (
    'tangent picks a rule for each call when it writes the derivative, and this callee '
    'is only known when the code runs (a local variable, an item of a list or dict, the '
    'result of a call). Call the function or object through a name tangent can see: a '
    'global, an argument, or an attribute or constant item of one (self.layer1(x), '
    "params['act'](x), acts[0](x)); for objects or functions in a list argument, loop "
    'over the list itself (for layer in layers: x = layer(x)), without break or continue')


# Why a lambda or nested function used as a value has no derivative, and the way out.
FUNCTION_VALUE = (
    'This function reads a variable being differentiated but is passed on as a value, not '
    'called, so the derivative through that variable would be lost. Make such variables '
    'parameters of the function and hand them to the call that receives it (an ODE '
    "solver's extra arguments, for instance).")


# Why an attribute of a differentiated value has no derivative, and the way out.
OBJECT_ATTRIBUTE = (
    'The attribute is read from a value being differentiated: tangent differentiates '
    'numbers, arrays, and lists, tuples and dicts of them, not the attributes of other '
    'objects. Differentiate with respect to the arrays themselves (pass them in as '
    'arguments, or as a dict of them), or leave the object out of wrt.')


class MixedLibrariesError(TypeError):
    """A differentiated function passes derivatives through the functions of two
    array libraries, one of which keeps its values to itself (its backend is
    ``exclusive``): the other library would turn its values into its own, silently
    off its autodiff, its compiler and its device."""

    def __init__(self, function_name: str, uses: list[tuple[str, str, str]],
                 detail: str = ''):
        """``uses``: (library, the call, where) for each library, first use first;
        ``detail`` says what happened instead, when no call is known."""
        listed = ' and '.join(f"{library}'s {call} ({where})" for library, call, where in uses)
        libraries = ' and '.join(library for library, _, _ in uses)
        super().__init__(
            f'{function_name} mixes {libraries} on the values being differentiated: '
            f'{detail or "it calls " + listed}. tangent differentiates a function written '
            f'with one array library: call its functions throughout (torch.sin rather than '
            f'np.sin on a tensor, jnp.sum rather than np.sum on a JAX array), or convert '
            f'explicitly outside the differentiated function.')


class SourceNotAvailableError(ValueError):
    """The function's source text cannot be retrieved, so it cannot be read."""


def callee_without_source(error: SourceNotAvailableError,
                          name: str) -> SourceNotAvailableError:
    """``error`` about a function called from a differentiated one, with the other way
    out: a registered derivative, which tangent uses instead of the source."""
    extended = SourceNotAvailableError(
        f'{error} Or, since {name} is called from the function being differentiated, '
        f'register its derivative and tangent uses it instead of reading the source: '
        f'@tangent.grads.adjoint({name}) on a reverse-mode template and '
        f'@tangent.tangents.tangent_({name}) on a forward-mode one (or '
        f'tangent.non_differentiable.register_non_differentiable_functions({name}) when '
        f'no derivative flows through it).')
    extended.callee = name
    return extended


class StaleSourceError(SourceNotAvailableError):
    """The function's source file no longer holds the code that runs (it was edited
    after the module was imported), so reading it would differentiate another
    function."""


class TemplateError(ValueError):
    """A derivative template is malformed (raised when it is registered)."""


class ReturnedNoneError(TypeError):
    """A differentiated function returned None: there is no value to differentiate."""


def returned_none(function_name: str, filename: str, lineno: int) -> None:
    """Called by generated code on a path of ``function_name`` that returns None."""
    raise ReturnedNoneError(
        f'{filename}:{lineno}: {function_name} returned None (a return without a value, '
        f'or the end of the function reached without a return); a derivative needs a '
        f'returned value: return the value to differentiate on every path.')


def check_not_aliased(value: object, name: str, construct: str, way_out: str,
                      filename: str, lineno: int, line: str) -> None:
    """Called by generated code before a write that would change ``value`` in place
    when ``value`` is an array or list another variable refers to: NumPy would change
    both, the derivative follows one value per name. Numbers pass (immutable)."""
    if type(value) is float or type(value) is int:
        return
    if isinstance(value, (list, dict, bytearray)) or (
            type(value).__name__ == 'ndarray' and hasattr(value, '__array_interface__')):
        raise TangentParseError(
            f'{construct} is not supported in differentiated code ({name} is an array '
            f'or list here, which += changes in place); {way_out}.', filename, lineno, line)


def check_not_view(value: object, name: str, construct: str, way_out: str,
                   filename: str, lineno: int, line: str) -> None:
    """Called by generated code where ``name`` is read from an array that is written
    into later (at ``lineno``): a number read from a vector is no alias, but a row of
    a matrix is a view the write would change."""
    if type(value) is float or type(value) is int:
        return
    if type(value).__name__ == 'ndarray' and hasattr(value, '__array_interface__'):
        raise TangentParseError(
            f'{construct} is not supported in differentiated code ({name} is a view of '
            f'an array written into at line {lineno}, not a number); {way_out}.',
            filename, lineno, line)

"""Dispatch: hand a runtime helper's call to the backend that owns its values.

The runtime's helpers are written for Python numbers, NumPy arrays and
containers of them. A backend whose values are of other types (TensorFlow's
tensors) registers its own versions of some helpers, by name; a helper
declared ``@backend_overridable('x', 'y')`` hands a call to that version when
``x`` or ``y`` is such a value. Until a backend registers, the table is empty
and a call costs one extra frame and one dict test.
"""

from __future__ import annotations

import builtins
import linecache
import types
from typing import Any, Callable

# Each backend's versions of the helpers, by the top-level module of its value
# types ('tensorflow'); filled by tangent.backends when a backend loads.
_TENSOR_BACKENDS: dict[str, dict[str, Callable]] = {}


# The helper table of each value type met so far (None: the runtime's own), so that
# a call in a loop's backward pass costs a dict lookup per deciding value, not a
# string comparison with every backend's prefix.
_BACKEND_OF_TYPE: dict[type, dict[str, Callable] | None] = {}
_MAX_TYPES = 256
_UNSEEN = object()


# Types every helper call may meet, known from the start: a compiler tracing a call
# (torch.compile) then meets no first sight of them, whose string test it cannot trace.
_PLAIN_TYPES = (float, int, bool, complex, str, type(None), tuple, list, dict)


def _forget_types() -> None:
    _BACKEND_OF_TYPE.clear()
    _BACKEND_OF_TYPE.update((kind, None) for kind in _PLAIN_TYPES)


def register_tensor_backend(module_prefix: str, helpers: dict[str, Callable]) -> None:
    """Route runtime helper calls on values of ``module_prefix``'s types to ``helpers``."""
    _TENSOR_BACKENDS[module_prefix] = helpers
    _forget_types()


def know_types(values: Any) -> None:
    """Look up once which helpers the types of ``values`` take, ahead of the calls of a
    derivative written for them (which a compiler may be tracing)."""
    for value in values:
        kind = type(value)
        if kind not in _BACKEND_OF_TYPE:
            if len(_BACKEND_OF_TYPE) >= _MAX_TYPES:
                _forget_types()
            _BACKEND_OF_TYPE[kind] = _backend_of(kind)


def _backend_of(kind: type) -> dict[str, Callable] | None:
    module = kind.__module__
    for prefix, helpers in _TENSOR_BACKENDS.items():
        if module.startswith(prefix):
            return helpers
    return None


def backend_helper(module_prefix: str, name: str) -> Callable | None:
    """The version of the helper ``name`` that a call with a value of the library
    ``module_prefix`` among its deciding arguments runs, None when it runs the
    runtime's own."""
    return _TENSOR_BACKENDS.get(module_prefix, {}).get(name)


def _tensor_helper(name: str, *values: Any) -> Callable | None:
    """The backend's helper ``name`` if one of ``values`` is such a tensor, else None."""
    for value in values:
        kind = type(value)
        helpers = _BACKEND_OF_TYPE.get(kind, _UNSEEN)
        if helpers is _UNSEEN:
            if len(_BACKEND_OF_TYPE) >= _MAX_TYPES:  # classes made at run time, one by one
                _forget_types()
            helpers = _BACKEND_OF_TYPE[kind] = _backend_of(kind)
        if helpers is not None:
            return helpers.get(name)
    return None


# The wrapper of each helper, written with the helper's own parameters: a call
# then costs one frame, not the packing of *args and **kwargs.
_WRAPPER = '''\
def {name}({parameters}):
    if _TENSOR_BACKENDS:
        backend_version = _tensor_helper(helper_name, {deciding})
        if backend_version is not None:
            return backend_version({arguments})
    return runtime_version({arguments})
'''
# Compiled wrappers by the shape of their parameters, with placeholder names:
# helpers of one shape share the code, renamed (compiling is what costs).
_compiled: dict[tuple, types.CodeType] = {}


def _wrapper_source(name: str, positional: tuple, keyword_only: tuple,
                    deciding: tuple) -> str:
    parameters = ', '.join(positional + (('*',) + keyword_only if keyword_only else ()))
    arguments = ', '.join(positional + tuple(f'{name}={name}' for name in keyword_only))
    return _WRAPPER.format(name=name, parameters=parameters, deciding=', '.join(deciding),
                           arguments=arguments)


def backend_overridable(*deciding: str) -> Callable[[Callable], Callable]:
    """Decorator: a call whose ``deciding`` arguments include a backend's value runs
    that backend's version of the helper, with the same arguments."""
    def decorate(runtime_version: Callable) -> Callable:
        name = runtime_version.__name__
        code = runtime_version.__code__
        positional = code.co_varnames[:code.co_argcount]
        keyword_only = code.co_varnames[code.co_argcount:
                                        code.co_argcount + code.co_kwonlyargcount]
        unknown = set(deciding) - set(positional) - set(keyword_only)
        if unknown:
            raise TypeError(f'{name} has no parameter {sorted(unknown)}')
        names = positional + keyword_only
        shape = (len(positional), len(keyword_only),
                 tuple(names.index(parameter) for parameter in deciding))
        if shape not in _compiled:
            placeholders = tuple(f'p{index}' for index in range(len(names)))
            source = _wrapper_source(
                'wrapper', placeholders[:len(positional)], placeholders[len(positional):],
                tuple(placeholders[index] for index in shape[2]))
            scope: dict[str, Any] = {}
            exec(compile(source, '<tangent dispatch>', 'exec'), scope)
            _compiled[shape] = scope['wrapper'].__code__
        filename = f'<tangent dispatch {name}>'
        # The text, with the helper's names, registered so that inspect (and
        # TensorFlow's AutoGraph, which reads the source of what a tf.function
        # calls) finds it.
        source = _wrapper_source(name, positional, keyword_only, deciding)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        renamed = dict(co_name=name, co_filename=filename,
                       co_varnames=names + _compiled[shape].co_varnames[len(names):])
        if hasattr(_compiled[shape], 'co_qualname'):  # Python 3.11 and later
            renamed['co_qualname'] = name
        wrapper_code = _compiled[shape].replace(**renamed)
        # With __builtins__ as any module's globals have: compilers that trace the
        # wrapper (torch.compile) read it.
        namespace = {'__builtins__': builtins, '_TENSOR_BACKENDS': _TENSOR_BACKENDS,
                     '_tensor_helper': _tensor_helper, 'helper_name': name,
                     'runtime_version': runtime_version}
        wrapper = types.FunctionType(wrapper_code, namespace, name,
                                     runtime_version.__defaults__)
        wrapper.__kwdefaults__ = runtime_version.__kwdefaults__
        wrapper.__doc__ = runtime_version.__doc__
        wrapper.__module__ = runtime_version.__module__
        wrapper.__qualname__ = runtime_version.__qualname__
        wrapper.__annotations__ = runtime_version.__annotations__
        wrapper.runtime_version = runtime_version
        wrapper.deciding = deciding  # the parameters whose values choose the version
        return wrapper
    return decorate


_forget_types()

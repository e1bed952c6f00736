"""Backends: the array libraries tangent differentiates, each behind one descriptor.

A backend is a package (``tangent/backends/numpy/``,
``tangent/backends/tensorflow/``) that holds its library's adjoint and
tangent rules, the runtime helpers those rules call, the helpers that stand
in for the generic runtime on its own value types, its array-method table
and its non-differentiable declarations. Its ``__init__`` registers one
``Backend`` describing it, and imports nothing heavy: the rules load the
first time a function being differentiated uses the library.

The rest of tangent asks this module, never a library by name: which backend
owns a function or a value (``owner_of``), which rules to load for a
function's free values (``load_for``), how to differentiate a traced black
box (``traced_vjp``), and what an array method means (``array_methods``).
``docs/adding_a_backend.md`` walks through writing one.
"""

# No ``from __future__ import annotations``: NamedTuple would compile each
# field's annotation string at import.
import importlib
import sys
import threading
import types
from typing import Any, Callable, Mapping, NamedTuple

from tangent import runtime
from tangent.errors import MixedLibrariesError, callable_name
from tangent.runtime import dispatch

__all__ = ['Backend', 'ArrayMethods', 'LibraryCall', 'register', 'registered', 'owner_of',
           'owns_module', 'load', 'load_for', 'stands_for', 'traced_vjp', 'array_methods',
           'array_methods_for', 'call_contexts', 'check_unmixed', 'instance_call',
           'container_items', 'provide_derivatives', 'derivative_of', 'parameters_of',
           'is_float_value']


class Backend(NamedTuple):
    """What tangent needs to know about an array library.

    Attributes:
      name: a short name, used in messages (``'tensorflow'``).
      modules: the top-level modules whose functions and value types the backend
        owns (``('tensorflow', 'keras')``); submodules are included.
      rules: modules imported, in order, the first time a function uses the
        backend; importing them registers its adjoints, tangents and
        non-differentiable functions.
      rule_helpers: a module (or a tuple of modules) whose ``__all__`` names the
        helpers its rule templates call as ``tangent.<name>``; loaded with the rules.
      tensor_helpers: ``'module:attribute'`` naming a dict from a generic runtime
        helper's name (``'unbroadcast'``) to the version for this backend's values;
        the runtime hands it a call when an argument is one of them.
      traced_vjp: ``'module:function'``: ``vjp(fn, args, kwargs, positions, seed)``
        computes the gradient of a ``@tangent.trace`` black box called with this
        backend's values, with the library's own autodiff.
      array_methods: ``'module:attribute'`` naming the ``ArrayMethods`` of its
        arrays: what ``x.sum()`` and ``x.T`` mean.
      eager: load the rules when the backend is registered (the base library).
      call_context: ``'module:attribute'`` naming a context-manager factory that every
        call of a derivative whose code names the library runs inside, once the backend
        is loaded; it is given the call's arguments (PyTorch's enters ``torch.no_grad``:
        generated code must not record the library's own graph).
      instance_call: ``'module:function'`` naming ``run(cls)``: the method calling an
        instance of ``cls`` runs, when the class whose ``__call__`` it inherits belongs
        to this library and wraps another method (a PyTorch module runs ``forward``).
      container_items: ``'module:function'`` naming ``items(value)``: the objects a
        container of this library holds, so that loops over it are written out like
        loops over a list: a list when iterating over it and indexing it by position
        give them (a PyTorch ``ModuleList`` or ``Sequential``), a dict from key to
        object when it is a mapping indexed by those keys (a ``ModuleDict``); None
        for any other value.
      exclusive: its values go through its own functions only: a function whose
        derivatives flow through this library's functions and another's raises
        ``MixedLibrariesError`` (another library would convert its values, off its
        compiler and autodiff), rather than differentiate the mixture.
      primitives: its functions are never differentiated from their source (which
        is the library's internals): one without a rule raises the error naming it.
      parameters: ``'module:function'`` naming ``parameters(value)``: for an object of
        one of this library's classes that holds trainable values (a PyTorch module),
        all of them by dotted path (``named_parameters()``), which a gradient with
        respect to the object holds; None for any other value.
      float_values: ``'module:function'`` naming ``is_float(value)``: whether a value
        of this library's types holds real floating-point numbers (a float tensor): an
        attribute a gradient with respect to a plain object includes.
    """

    name: str
    modules: tuple[str, ...]
    rules: tuple[str, ...] = ()
    rule_helpers: str | tuple[str, ...] | None = None
    tensor_helpers: str | None = None
    traced_vjp: str | None = None
    array_methods: str | None = None
    eager: bool = False
    call_context: str | None = None
    instance_call: str | None = None
    container_items: str | None = None
    exclusive: bool = False
    primitives: bool = False
    parameters: str | None = None
    float_values: str | None = None


class LibraryCall(NamedTuple):
    """A call the desugaring pass writes as another: ``function(first, **keywords)``.

    Attributes:
      function: the library function the call means.
      positional: the names, as ``function``'s keywords, of the call's positional
        arguments after the first.
      defaults: keyword arguments (constants) added where the call leaves them out,
        because the two functions' defaults differ.
      dropped: arguments left out where the call writes this literal, their default
        (``out=None``).
      accepts: whether a call with these arguments (after the first, by name, those
        dropped left out: the value written where it is a literal, else an opaque
        object) means ``function``; a call it refuses is left as written.
    """

    function: Callable
    positional: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = types.MappingProxyType({})
    dropped: Mapping[str, Any] = types.MappingProxyType({})
    accepts: Callable[[Mapping[str, Any]], bool] = lambda arguments: True


class ArrayMethods(NamedTuple):
    """What the methods and attributes of a backend's arrays mean, as functions of
    the array, so that desugaring can turn ``x.sum(axis=0)`` into ``np.sum(x, axis=0)``.

    Attributes:
      module: the library module generated code reaches the functions through.
      module_alias: the name generated code binds ``module`` to, when the user's
        code has none (``'np'``).
      methods: ``x.name(*args)`` is ``methods[name](x, *args)``.
      shape_methods: as ``methods``, with the trailing positional arguments one
        tuple: ``x.reshape(2, 3)`` is ``np.reshape(x, (2, 3))``.
      attributes: ``x.name`` is ``attributes[name](x)``.
      astype: ``x.astype(dtype)`` is ``astype(x, dtype=dtype)``.
      other_names: the arrays' other attributes (``shape``): never a user object's.
      wrapped: the library function a wrapper (``autograd.numpy.sum``) stands for,
        or None.
      call_helper: for a function differentiated by another library's own rules, the
        helper its calls go through, or None: ``f(a, k=c)`` becomes
        ``helper(f, ('k',), a, c)`` (the keyword arguments' names, then every value).
      library_call: for a callable that means a library function with another
        signature (NumPy's ``np.add.reduce``, meaning ``np.sum`` with ``axis=0``),
        ``library_call(callee)`` gives the ``LibraryCall`` it becomes, or None.
    """

    module: types.ModuleType | None = None
    module_alias: str = ''
    methods: Mapping[str, Callable] = types.MappingProxyType({})
    shape_methods: Mapping[str, Callable] = types.MappingProxyType({})
    attributes: Mapping[str, Callable] = types.MappingProxyType({})
    astype: Callable | None = None
    other_names: frozenset = frozenset()
    wrapped: Callable[[Any], Any] | None = None
    call_helper: Callable[[Any], Any] | None = None
    library_call: Callable[[Any], LibraryCall | None] | None = None

    def names(self) -> frozenset:
        """Every method and attribute name of the arrays."""
        return frozenset(self.methods) | frozenset(self.shape_methods) | \
            frozenset(self.attributes) | self.other_names | \
            (frozenset({'astype'}) if self.astype is not None else frozenset())


_backends: dict[str, Backend] = {}
_loaded: set[str] = set()
_lock = threading.RLock()


def register(backend: Backend) -> Backend:
    """Make ``backend`` known; its rules load when first needed (now if ``eager``)."""
    with _lock:
        _backends[backend.name] = backend
        _loaded.discard(backend.name)
    if backend.eager or any(module in sys.modules for module in backend.modules):
        # Its library is already imported, so values of its types may reach
        # derivatives through operators, which name no function of it.
        load(backend)
    return backend


def registered() -> tuple[Backend, ...]:
    return tuple(_backends.values())


def owns_module(module_name: str) -> Backend | None:
    """The backend owning the module called ``module_name``, if any."""
    top = module_name.partition('.')[0]
    for backend in _backends.values():
        if top in backend.modules:
            return backend
    return None


def owner_of(value: Any) -> Backend | None:
    """The backend owning ``value``: a module, a function or a value of its types."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(value, '__module__', None)
        if not isinstance(name, str) or isinstance(value, (int, float, complex)):
            name = type(value).__module__
    return owns_module(name) if isinstance(name, str) else None


def _attribute(reference: str) -> Any:
    module, _, attribute = reference.partition(':')
    return getattr(importlib.import_module(module), attribute)


def load(backend: Backend) -> None:
    """Import ``backend``'s rules and hand its helpers to the runtime, once."""
    with _lock:
        if backend.name in _loaded:
            return
        helper_modules = backend.rule_helpers
        if isinstance(helper_modules, str):
            helper_modules = (helper_modules,)
        for module in helper_modules or ():
            runtime.provide(importlib.import_module(module))
        if backend.tensor_helpers is not None:
            helpers = _attribute(backend.tensor_helpers)
            for module in backend.modules:
                dispatch.register_tensor_backend(module, helpers)
        for module in backend.rules:
            importlib.import_module(module)
        _loaded.add(backend.name)


def load_for(free: Mapping[str, Any]) -> None:
    """Load the rules of every backend that ``free`` (a function's free values)
    uses, or whose library the user has imported: ``x @ y`` names no function of
    the library, yet its operands may be the library's values."""
    for backend in list(_backends.values()):
        if backend.name in _loaded:
            continue
        if any(module in sys.modules for module in backend.modules) or \
                any(owner_of(value) is backend or owner_of(stands_for(value)) is backend
                    for value in free.values()):
            load(backend)


def stands_for(value: Any) -> Any:
    """The library function a wrapper (``autograd.scipy.special.logsumexp``) stands
    for, whose backend's rules then apply, or the Python builtin one stands for
    (``autograd.builtins.tuple``); None for anything else."""
    for table in array_methods():
        if table.wrapped is not None:
            target = table.wrapped(value)
            if target is not None:
                return target
    return None


def traced_vjp(values: tuple) -> Callable | None:
    """The black-box gradient of the backend owning one of ``values``, if it has one."""
    for value in values:
        backend = owner_of(value)
        if backend is not None and backend.traced_vjp is not None:
            load(backend)
            return _attribute(backend.traced_vjp)
    return None


def array_methods() -> list[ArrayMethods]:
    """The array methods of every loaded backend that declares them."""
    return [_attribute(backend.array_methods) for backend in list(_backends.values())
            if backend.array_methods is not None and backend.name in _loaded]


def call_contexts(namespace: Mapping[str, Any]) -> list[Callable]:
    """The context-manager factories of the loaded backends that declare one and own
    a value of ``namespace`` (a derivative's globals: code naming no library pays
    for no context)."""
    wanted = [backend for backend in list(_backends.values())
              if backend.call_context is not None and backend.name in _loaded]
    if not wanted:
        return []
    owners = {owner_of(value) for value in namespace.values()
              if isinstance(value, (types.ModuleType, Callable))}
    return [_attribute(backend.call_context) for backend in wanted if backend in owners]


def instance_call(cls: type) -> Callable | None:
    """What calling an instance of ``cls`` runs, when a loaded backend's class gives it
    ``__call__`` (``instance_call``); None otherwise."""
    owner = next((base for base in cls.__mro__ if '__call__' in vars(base)), None)
    backend = owner_of(owner) if owner is not None else None
    if backend is None or backend.instance_call is None or backend.name not in _loaded:
        return None
    return _attribute(backend.instance_call)(cls)


def container_items(value: Any) -> list | dict | None:
    """The objects ``value`` holds, when a loaded backend's ``container_items`` knows
    its class: a list (a sequence) or a dict from key to object (a mapping); None
    otherwise."""
    # The first library class among its bases decides (a user's subclass of one).
    backend = next((owner for owner in map(owner_of, type(value).__mro__)
                    if owner is not None), None)
    if backend is None or backend.container_items is None or backend.name not in _loaded:
        return None
    return _attribute(backend.container_items)(value)


def parameters_of(value: Any) -> dict | None:
    """The trainable values of ``value``, an object of a backend's class (a PyTorch
    module's named parameters), by dotted path; None when no backend says it holds
    such values."""
    for base in type(value).__mro__:  # a user's subclass of the library's class
        backend = owner_of(base)
        if backend is not None and backend.parameters is not None:
            load(backend)
            return _attribute(backend.parameters)(value)
    return None


def is_float_value(value: Any) -> bool | None:
    """Whether ``value``, of a backend's types, holds real floating-point numbers;
    None when no backend owns it or its backend cannot tell."""
    backend = owner_of(value)
    if backend is None or backend.float_values is None:
        return None
    load(backend)
    return bool(_attribute(backend.float_values)(value))


def check_unmixed(seen: dict, func: Any, where: str, function_name: str) -> None:
    """Note that a rule of ``func`` differentiates a value, at ``where``; raise
    ``MixedLibrariesError`` once ``seen`` (the libraries noted so far in the function
    ``function_name``, by name) holds two, one of them ``exclusive``."""
    backend = owner_of(func)
    if backend is None or backend.name in seen:
        return
    seen[backend.name] = (backend, callable_name(func), where)
    if len(seen) > 1 and any(noted.exclusive for noted, _, _ in seen.values()):
        raise MixedLibrariesError(function_name, [
            (library, call, place) for library, (_, call, place) in seen.items()])


def array_methods_for(free: Mapping[str, Any]) -> list[ArrayMethods]:
    """``array_methods()`` in the order a function's methods are resolved: first the
    libraries its free values (``jnp``, ``jnp.sin``) belong to, the base library
    (``eager``) last among them, so that ``x.max()`` in a function written with one
    library means that library's ``max``; then the others, the base library first."""
    used = {backend.name for backend in
            (owner_of(value) for value in free.values()) if backend is not None}
    tables = [(backend, _attribute(backend.array_methods))
              for backend in list(_backends.values())
              if backend.array_methods is not None and backend.name in _loaded]
    # The base library goes last among those the function uses, and first among the
    # rest: a function naming no library means NumPy's methods. sorted() is stable:
    # libraries tied on both counts keep their registration order.
    return [table for backend, table in sorted(
        tables, key=lambda pair: (pair[0].name not in used,
                                  pair[0].eager == (pair[0].name in used)))]


# The API hands over how to differentiate a user function, for the helpers of
# rules that are given one (an ODE's right-hand side): backends sit below the
# API and may not import it.
_derivatives: list[Callable] = []


def provide_derivatives(derive: Callable[[Callable, tuple, str], Callable]) -> None:
    """Called once by the API with ``derive(func, wrt, mode)`` (see ``derivative_of``)."""
    _derivatives[:] = [derive]


def derivative_of(func: Callable, wrt: tuple, mode: str) -> Callable:
    """tangent's derivative of the user function ``func`` with respect to the
    positions ``wrt``: for mode 'reverse' a vector-Jacobian product (the seed
    after ``func``'s arguments), for 'forward' a Jacobian-vector product (one
    tangent per ``wrt`` position after them); each returns ``func``'s value last.
    Cached by the API like any derivative."""
    return _derivatives[0](func, wrt, mode)


# The backends tangent ships. Each package registers its own descriptor.
from tangent.backends import numpy as _numpy  # noqa: E402,F401
from tangent.backends import tensorflow as _tensorflow  # noqa: E402,F401
from tangent.backends import scipy as _scipy  # noqa: E402,F401
from tangent.backends import torch as _torch  # noqa: E402,F401
from tangent.backends import jax as _jax  # noqa: E402,F401

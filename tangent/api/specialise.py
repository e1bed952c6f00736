"""Derivatives that choose their version at call time: per receiver class
(``model.forward(x)`` with ``model`` an argument) and, for a differentiated
object, per layout of its differentiable attributes, per length of ``*args``,
and a faster version for Python numbers; kept current when what they were
written from is rebound.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings
import weakref
from typing import Any, Callable

import gast
import numpy as np

from tangent import backends
from tangent.api.cache import Generated, MISSING, watched
from tangent.frontend import annotate
from tangent.frontend.object_parameters import parameter_layout, PARAMETERS
from tangent.rules import policy, shapes as shape_rules
from tangent.runtime import dispatch
from tangent.syntax import annotations as anno

SPREAD = '*'  # a specialisation key: how many values the function's *args holds
ITEMS = annotate.ITEMS  # 'layers[*]': the kinds of the items of the sequence at a path
KEYS = annotate.KEYS  # 'heads[:]': the keys and kinds of the entries of a mapping at a path
follow = annotate.follow
kind_of = annotate.kind_of


def specialising(fn: Callable, receivers: list[str], param_types: dict[str, type],
                  specialise: Callable[[dict[str, type]], Generated],
                  renamed: Callable[[Generated], dict[str, str]],
                  trailing: Callable[[dict], int] = lambda kwargs: 0) -> Callable:
    """A derivative that is generated at its first call for each receiver class.

    ``model.forward(x)`` with ``model`` an argument means a different function
    for each class of ``model``; the classes are known only at call time. The
    receiver ``SPREAD`` stands for the number of values in ``*args``;
    ``trailing(kwargs)`` counts the positional arguments after them (tangents).
    """
    code = fn.__code__
    params = list(code.co_varnames[:code.co_argcount])
    defaults = dict(zip(params[len(params) - len(fn.__defaults__ or ()):],
                        fn.__defaults__ or ()))
    spread = SPREAD in receivers
    receivers = [p for p in receivers if p != SPREAD]
    # A receiver is a parameter or a path from one (self.encoder, params['act']),
    # the items of a sequence such a path reaches (layers[*]), or the layout of the
    # differentiable attributes of a differentiated object (self{parameters}).
    positions = [(params.index(_root(p)), p) for p in receivers]

    def kinds_at(root, path):
        if path.endswith(PARAMETERS):
            return parameter_layout(root)
        if path.endswith(ITEMS):
            return annotate.item_kinds(follow(root, path[:-len(ITEMS)]))
        if path.endswith(KEYS):
            return annotate.keyed_item_kinds(follow(root, path[:-len(KEYS)]))
        return kind_of(follow(root, path))

    def given(args, kwargs) -> int:
        """How many of the positional arguments are ``fn``'s own, not seeds or tangents
        after them. A seed or tangent passed by position lands where a parameter left to
        its default would be: one that is not callable, where the default is a function
        (``act=np.tanh``), is not that parameter's value."""
        count = len(args) - trailing(kwargs)  # a tangent after the arguments is not one
        if spread:
            return count
        for index in range(min(count, len(params))):
            if callable(defaults.get(params[index])) and not callable(args[index]) and \
                    args[index] is not None:  # act=None may mean no function at all
                return index
        return count

    def argument(args, kwargs, count, index, path):
        root = _root(path)
        if index < count:
            return args[index]
        return kwargs.get(root, defaults.get(root))

    specialisations: dict[tuple, tuple[Callable, dict[str, str]]] = {}

    def version_for(args, kwargs) -> Version:
        """The generated function for the kinds of these arguments, and how the call's
        arguments reach it (the seed's name may differ between versions)."""
        count = given(args, kwargs)
        classes = tuple(kinds_at(argument(args, kwargs, count, i, p), p)
                        for i, p in positions)
        if spread:
            classes += (max(len(args) - len(params) - trailing(kwargs), 0),)
        entry = specialisations.get(classes)
        if entry is not None and any(mapping.get(name, MISSING) is not value
                                     for mapping, name, value in entry[2]):
            entry = None  # a method or attribute was rebound (Model.forward = ...)
        if entry is None:
            types_ = dict(param_types)
            for (_, path), kind in zip(positions, classes):
                if kind is None and path.endswith((ITEMS, KEYS)):
                    # Not a list or a library's container (a dict's values(), a class of
                    # the user's that iterates): the loop stays, and raises what a loop
                    # over unknown callees raises.
                    types_[path] = None
                elif path.endswith(KEYS):  # heads[:]: the keys, and each entry's kind
                    types_[path] = tuple(key for key, _ in kind)
                    base = path[:-len(KEYS)]
                    types_.update((f'{base}[{key!r}]', item) for key, item in kind)
                elif not path.endswith(ITEMS):
                    types_[path] = kind
                else:  # layers[*]: how many, and each item's kind
                    types_[path] = len(kind)
                    base = path[:-len(ITEMS)]
                    types_.update((f'{base}[{index}]', item) for index, item in enumerate(kind))
            if spread:
                types_[SPREAD] = classes[-1]
            generated = specialise(types_)
            # What this version's code names decides its call contexts (PyTorch's
            # no_grad): the dispatcher here names no library.
            code = getattr(generated.function, GENERAL_VERSION, generated.function)
            contexts = tuple(backends.call_contexts(getattr(code, '__globals__', {})))
            entry = specialisations[classes] = (generated.function, renamed(generated),
                                                watched(generated.checks), contexts)
        function, renames, _, contexts = entry
        return Version(function, renames, min(count, len(params)), len(params),
                       contexts=contexts)

    def derivative(*args, **kwargs):
        return version_for(args, kwargs).call(args, kwargs)

    derivative.__name__ = derivative.__qualname__ = f'd{fn.__name__}specialising'
    derivative.__doc__ = (f'The derivative of {fn.__qualname__}, generated at the first call '
                          f'for each class of {", ".join(receivers)}.')
    derivative.specialisations = specialisations
    setattr(derivative, VERSION_FOR, version_for)  # what differentiating it again reads
    return derivative


def _root(receiver: str) -> str:
    """The parameter a receiver path starts from."""
    return annotate.path_root(receiver.removesuffix(PARAMETERS))


VERSION_FOR = '_tangent_version_for'  # on a derivative written per call: the version a call uses


class Version:
    """The generated function a call of a derivative written per call runs, and how
    that call's arguments reach it.

    The first ``given`` positional arguments are the differentiated function's own
    (it has ``n_params``); the ones after are seeds and tangents, which the generated
    function takes after all ``n_params``; it runs inside ``contexts`` (the
    backends' call contexts its code needs). When parameters left to their defaults
    come between (``act=np.tanh``), they are passed on by name: the names of the
    parameters after ``n_params`` of the function called, or, when that function
    is itself written per call (``*args``), of the version it differentiates
    (``source``), the rest by position for that function to place.
    """

    def __init__(self, function: Callable, renames: dict[str, str], given: int,
                 n_params: int, source: Callable | None = None, contexts: tuple = ()):
        self.function = function
        self.renames = renames
        self.given = given
        self.n_params = n_params
        self.source = source if source is not None else function
        self.contexts = contexts  # the call contexts of the backends its code names

    def of(self, function: Callable) -> Version:
        """The same call reaching ``function``, a derivative of this version."""
        return Version(function, self.renames, self.given, self.n_params, self.function,
                       self.contexts)

    def call(self, args: tuple, kwargs: dict) -> Any:
        kwargs = renamed_keywords(kwargs, self.renames)
        extras = args[self.given:]
        if extras and self.given < self.n_params:
            names = _parameters_after(self.function, self.n_params)
            if names is None:
                names = _parameters_after(self.source, self.n_params) or ()
            named = min(len(names), len(extras))
            kwargs.update(zip(names[:named], extras[:named]))
            args = args[:self.given] + extras[named:]
        if not self.contexts:
            return self.function(*args, **kwargs)
        if len(self.contexts) == 1:  # a with statement, which torch.compile traces
            with self.contexts[0](*args, **kwargs):
                return self.function(*args, **kwargs)
        with contextlib.ExitStack() as stack:
            for context in self.contexts:
                stack.enter_context(context(*args, **kwargs))
            return self.function(*args, **kwargs)


def _parameters_after(function: Callable, count: int) -> tuple | None:
    """The names of a generated function's positional parameters after its first
    ``count``, or None for a function taking ``*args`` (one written per call)."""
    code = inspect.unwrap(function).__code__
    if code.co_flags & inspect.CO_VARARGS:
        return None
    return code.co_varnames[count:code.co_argcount]


def renamed_keywords(kwargs: dict, renames: dict[str, str]) -> dict:
    kwargs = dict(kwargs)
    for old, new in renames.items():
        if old in kwargs:
            kwargs[new] = kwargs.pop(old)
    return kwargs


def differentiated_per_version(version_for: Callable, differentiate: Callable[[Callable],
                                                                               Callable],
                               name: str) -> Callable:
    """The derivative of a derivative written per call (``version_for``): at each call,
    the derivative of the version those arguments use, which is generated code with
    source (``act(x)`` in it is specialised again on the function ``act`` holds)."""
    def outer_version_for(args, kwargs) -> Version:
        version = version_for(args, kwargs)
        return version.of(differentiate(version.function))

    def derivative(*args, **kwargs):
        return outer_version_for(args, kwargs).call(args, kwargs)

    derivative.__name__ = derivative.__qualname__ = f'd{name}'
    setattr(derivative, VERSION_FOR, outer_version_for)
    return derivative

GENERAL_VERSION = policy.GENERAL_VERSION  # on a derivative tangent wraps
CURRENT_VERSION = '_tangent_current_version'  # on a derivative kept current: see kept_current

_SHAPE_HELPERS = {'unbroadcast', 'unreduce_like', 'add_grad', 'shape_only'}
# Reading a checkpointed loop's schedule: its steps' gradient matches shapes.
_CHECKPOINTED_LOOP = 'revolve_after_first_sweep'


def reads_shapes_in_loops(module: gast.Module) -> bool:
    """Whether generated code matches shapes at run time inside a loop, which it need
    not do when every argument is a Python number (outside loops, the few calls cost
    about what choosing the version would)."""
    return any(isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
               and (node.func.attr in _SHAPE_HELPERS or node.func.attr == _CHECKPOINTED_LOOP)
               for loop in anno.statements(module) if isinstance(loop, (gast.For, gast.While))
               for node in anno.walk(loop))


MAX_VERSIONS = 8  # shape versions per derivative; calls of other signatures run the generic code
_MAX_KINDS = 64  # the kinds of arguments whose version a derivative remembers for its calls


def with_versions(generic: Callable, parameters: list[str], defaults: dict[str, Any],
                  n_params: int, for_numbers: Callable[[], Generated] | None,
                  for_signature: Callable[[dict[str, Any]], Callable],
                  seed_name: str) -> Callable:
    """``generic``, or a version of it written at the first call of each signature of
    its arguments (for each: a Python number, a NumPy scalar or an array of a dtype
    and shape, or anything else), up to ``MAX_VERSIONS`` of them.

    Called with Python numbers only, the version is the derivative written knowing
    that (``for_numbers``, when given: no unbroadcast, no shape on the tape);
    otherwise ``for_signature`` rewrites the generic code for what the arguments are
    (``tangent.transforms.shapes``). Higher-order differentiation reads ``generic``
    (``GENERAL_VERSION``); ``inspect`` shows the version the first call wrote
    (``__wrapped__``), the generic code until then.
    """
    versions: dict[Any, Callable] = {}
    numbers_version = None
    shapes = _shapes_module()

    def version_for(args: tuple, kwargs: dict) -> Callable:
        nonlocal numbers_version
        if for_numbers is not None and len(args) >= n_params and all(
                type(arg) is float or type(arg) is int for arg in args[:n_params]):
            if numbers_version is None:
                generated = for_numbers()
                numbers_version = generated.function \
                    if generated.seed_name == seed_name else generic
                _first(numbers_version)
                derivative.specialisations['numbers'] = numbers_version
            return numbers_version
        key = (tuple(map(shapes.signature_key, args)),
               tuple(sorted((name, shapes.signature_key(value))
                            for name, value in kwargs.items())) if kwargs else ())
        version = versions.get(key)
        if version is None:
            # Writing a version is plain Python, not code for a compiler tracing the call
            # (torch.compile) to trace: it runs outside the trace, in no try block, so
            # the trace resumes after it.
            version = shape_rules.untraced(write_version)(args, kwargs, key)
        return version

    def write_version(args: tuple, kwargs: dict, key: tuple) -> Callable:
        if len(versions) >= MAX_VERSIONS or len(args) > len(parameters) or \
                any(name not in parameters for name in kwargs):
            return generic
        given = dict(zip(parameters, args), **kwargs)
        known = {name: shapes.describe_argument(given[name]) if name in given
                 else shapes.describe(defaults.get(name)) for name in parameters}
        known = {name: value for name, value in known.items() if value is not None}
        try:
            version = for_signature(known) if known else generic
        except Exception as error:  # noqa: BLE001 - the generic code is always right
            warnings.warn(f'tangent could not specialise the derivative of '
                          f'{generic.__name__} for {known}: {error!r}; the generic '
                          f'code runs', RuntimeWarning, stacklevel=5)
            version = generic
        versions[key] = version
        derivative.specialisations[key] = version
        _first(version)
        dispatch.know_types(list(args) + list(kwargs.values()))
        return version

    def _first(version: Callable) -> None:
        # What inspect shows: the first version a call wrote.
        if derivative.__wrapped__ is generic:
            derivative.__wrapped__ = version

    # Positional calls look their version up by the arguments' types when no array,
    # dict or structured scalar is among them (nothing else of theirs counts), else by
    # each array's dtype and shape too; a dict by its keys and values (version_for).
    # Bounded, for calls of ever new shapes.
    by_types: dict[tuple, Callable] = {}
    by_kinds: dict[tuple, Callable] = {}
    ndarray = np.ndarray
    array_keys = shape_rules.ARRAY_KEYS  # other libraries' arrays (torch.Tensor): live

    def kind_of_argument(arg: Any) -> Any:
        kind = type(arg)
        if kind is ndarray:
            return arg.dtype, arg.shape
        key = array_keys.get(kind)
        return kind if key is None else (kind, key(arg))

    def by_kinds_version(args: tuple) -> Callable:
        kinds = tuple([kind_of_argument(arg) for arg in args])
        version = by_kinds.get(kinds)
        if version is None:
            version = version_for(args, {})
            if len(by_kinds) < _MAX_KINDS and dict not in kinds and np.void not in kinds:
                by_kinds[kinds] = version
        return version

    def chosen(*args, **kwargs) -> Callable:
        if kwargs:
            return version_for(args, kwargs)
        if args and (type(args[0]) is ndarray or type(args[0]) in array_keys):
            return by_kinds_version(args)  # no lookup by types would find it
        types_ = tuple(map(type, args))
        version = by_types.get(types_)
        if version is not None:
            return version
        if ndarray in types_ or dict in types_ or np.void in types_ or \
                any(kind in array_keys for kind in types_):
            return by_kinds_version(args)
        version = version_for(args, kwargs)
        if len(by_types) < _MAX_KINDS:
            by_types[types_] = version
        return version

    def lookup(*args, **kwargs) -> Callable | None:
        """The version calls with these arguments run, if a lookup alone finds it."""
        if kwargs:
            return None
        version = by_types.get(tuple(map(type, args)))
        if version is not None:
            return version
        return by_kinds.get(tuple([kind_of_argument(arg) for arg in args]))

    def derivative(*args, **kwargs):
        return chosen(*args, **kwargs)(*args, **kwargs)

    functools.update_wrapper(derivative, generic)
    # For a caller that enters a call context (no_grad) around the version: it looks
    # the version up first, and writes it (prepare) only when the lookup finds none.
    # A compiler tracing the call (torch.compile) then breaks its graph outside the
    # context, where it can resume, and records the lookup's answer as a condition of
    # its compiled code: the next call, which finds the version, is traced anew as one
    # graph with no break.
    derivative.lookup = lookup
    derivative.prepare = chosen
    # 'numbers': the version for Python numbers; a signature key: its version
    derivative.specialisations = {}
    setattr(derivative, GENERAL_VERSION, generic)  # what differentiating it again reads
    return derivative


def made_once(make: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    """``make``, giving the same derivative again for the same function while both
    live: ``tangent.grad(f) is tangent.grad(f)``, and the versions it wrote are kept.
    Held weakly: the cache keeps ``make``, which must keep neither alive."""
    made: list = [None, None]  # weak references to the function and its derivative

    def make_once(fn: Callable) -> Callable:
        function_ref, derivative_ref = made
        derivative = derivative_ref() if derivative_ref is not None else None
        if derivative is not None and function_ref() is fn:
            return derivative
        derivative = make(fn)
        try:
            made[:] = [weakref.ref(fn), weakref.ref(derivative)]
        except TypeError:  # a callable without weak references: made at each request
            pass
        return derivative
    return make_once


def _shapes_module():
    # The pass that rewrites for a signature; loaded with the first such derivative.
    from tangent.transforms import shapes
    return shapes


def kept_current(generated: Generated, generate: Callable[[], Generated]) -> Callable:
    """The derivative, checked at each call against what it was written from.

    A global, a closure value, an attribute (``cfg.act``) or a helper's code or
    defaults that changed since the derivative was written means the function
    now computes something else: the derivative is written anew (through the
    cache) before it runs, so it never differentiates a function that no longer
    exists. Without such dependencies it is the generated function itself.
    """
    checks = watched(generated.checks)
    if not checks:
        return generated.function
    current = [generated.function, checks]

    def current_version() -> tuple[Callable, tuple]:
        """The generated function, written anew first if what it was written from
        changed, and the checks it must still pass."""
        for mapping, name, value in current[1]:
            if mapping.get(name, MISSING) is not value:
                fresh = generate()
                current[:] = [fresh.function, watched(fresh.checks)]
                break
        return current[0], current[1]

    def derivative(*args, **kwargs):
        return current_version()[0](*args, **kwargs)

    def lookup(*args, **kwargs) -> Callable | None:
        version = current_version()[0]
        return version.lookup(*args, **kwargs) if hasattr(version, 'lookup') else version

    def prepare(*args, **kwargs) -> Callable:
        version = current_version()[0]
        return version.prepare(*args, **kwargs) if hasattr(version, 'prepare') else version

    functools.update_wrapper(derivative, generated.function)
    derivative.lookup = lookup
    derivative.prepare = prepare
    # What differentiating it again reads, at each call of that derivative: its code
    # unrolls LAYERS and inlines helpers as they were, so it goes stale with them.
    setattr(derivative, CURRENT_VERSION, current_version)
    # What differentiating it again reads: the generated function.
    setattr(derivative, GENERAL_VERSION,
            getattr(generated.function, GENERAL_VERSION, generated.function))
    return derivative


def tangents_last(generic: Callable, tangent_names: list[str]) -> Callable:
    """A forward derivative whose last positional arguments are the tangents.

    ``df(*args, *tangents)``: for ``f(x, s=3.0)``, ``df(2.0, 1.0)`` means
    ``x=2.0`` with tangent 1.0 and ``s`` at its default, not ``s=1.0``. Tangents
    passed by name leave the positional arguments as they are.
    """
    count = len(tangent_names)

    def derivative(*args, **kwargs):
        if len(args) > count and not any(name in kwargs for name in tangent_names):
            kwargs.update(zip(tangent_names, args[-count:]))
            args = args[:-count]
        return generic(*args, **kwargs)

    functools.update_wrapper(derivative, generic)
    setattr(derivative, GENERAL_VERSION, generic)  # what differentiating it again reads
    return derivative

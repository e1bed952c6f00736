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

import builtins
import collections
import collections.abc
import contextlib
import functools
import gc
import inspect
import operator
import threading
import types
import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable

import gast

from tangent import backends, errors
from tangent.api import tracing
from tangent.errors import SourceNotAvailableError, StaleSourceError, TangentParseError
from tangent.frontend import anf, annotate, decorators, desugar, fence, inlining
from tangent.rules import policy, registry
from tangent.syntax import annotations as anno, compile as compile_, naming, quoting
from tangent.syntax.annotations import Key
from tangent.transforms import checkpoint, forward_ad, motion, optimization
from tangent.transforms.motion import INPUT_DERIVATIVE
from tangent.transforms.reverse_ad import ReverseAD, Subroutine

__all__ = ['INPUT_DERIVATIVE', 'autodiff', 'clear_cache', 'grad', 'vjp', 'jvp']

_CACHE_SIZE = 512
_SWEPT_PER_WRITE = 32  # stale entries looked for at each write: all of them in 16 writes
_MISSING = object()


@dataclass
class _Generated:
    function: Callable | None
    seed_name: str
    checks: tuple  # ((mapping, name, value), ...) that must still hold
    tangent_names: list = None  # forward mode: the tangent parameters, in wrt order
    # A derivative that writes more code when it is called (for each receiver class,
    # for Python numbers) needs the user's function then. The cache keeps this maker,
    # which takes the function as an argument, and never a derivative holding the
    # function: that would keep the function, and so its own cache entry, alive forever.
    for_function: Callable[[Callable], Callable] | None = None

    def bound_to(self, fn: Callable) -> _Generated:
        """This derivative as a caller gets it: one that writes more code holds ``fn``."""
        if self.for_function is None:
            return self
        return replace(self, function=self.for_function(fn), for_function=None)


@dataclass
class _Entry:
    generated: _Generated
    owner: weakref.ref  # the function the derivative was written from
    function_key: tuple  # _function_key(owner) when it was written
    # The objects whose ids the key holds (closure values, defaults): no new object
    # can take one of those ids while the entry exists.
    anchors: tuple


class _Cache:
    """A bounded, thread-safe cache of generated functions that keeps no function alive.

    Each entry belongs to the function it was written from, which it holds by a
    weak reference, and goes when that function is collected, taking with it the
    generated code and everything that code holds (the function's globals,
    closure values and defaults). Keys hold ids, and an id is reused once its
    object dies: an entry is served only while its function lives and still has
    the code, globals, closure values and defaults it was written from.
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: collections.OrderedDict = collections.OrderedDict()
        # Not reentrant: a function may be collected (and its entry dropped) in the
        # middle of an operation on the dictionary; that drop waits in ``orphans``.
        self.lock = threading.Lock()
        self.orphans: list[tuple[Any, weakref.ref]] = []
        self.swept = 0  # where the next look for stale entries starts

    def get(self, key) -> _Generated | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
        self._drop_orphans()
        if entry is None:
            return None
        if not _is_current(entry):  # checked outside the lock: it reads user attributes
            self._remove([(key, entry)])
            return None
        return entry.generated

    def put(self, key, generated: _Generated, owner: Callable) -> None:
        try:
            watched = weakref.ref(owner, functools.partial(self._forget, key))
        except TypeError:  # a callable that cannot be watched is not cached
            return
        entry = _Entry(generated, watched, _function_key(owner), _key_objects(owner))
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            others = list(self.entries.items())
            start = self.swept % len(others)
            self.swept = start + _SWEPT_PER_WRITE
        # Each write looks at a few more entries, in turn, and drops those whose
        # global or closure value was rebound since: they would only be written anew,
        # and they hold the old values. (All of them at each write would cost about
        # a fifth of writing a small derivative once the cache is full.)
        turn = (others + others)[start:start + min(_SWEPT_PER_WRITE, len(others))]
        self._remove([(old_key, old) for old_key, old in turn
                      if old is not entry and not _is_current(old)])

    def clear(self) -> None:
        with self.lock:
            entries, self.entries = self.entries, collections.OrderedDict()
        entries.clear()  # outside the lock: collecting the entries may drop orphans
        self._drop_orphans()

    def _remove(self, stale: list) -> None:
        """Remove the entries ``stale`` lists, unless their keys were written anew since."""
        with self.lock:
            for key, entry in stale:
                if self.entries.get(key) is entry:
                    del self.entries[key]
        self._drop_orphans()

    def _forget(self, key, owner: weakref.ref) -> None:
        """The weak reference's callback: the function of ``key``'s entry was collected."""
        self.orphans.append((key, owner))
        self._drop_orphans()

    def _drop_orphans(self) -> None:
        # A collection can run while this thread holds the lock (in the middle of a
        # dictionary update): then the orphans wait for the next operation.
        while self.orphans and self.lock.acquire(blocking=False):
            try:
                while self.orphans:
                    key, owner = self.orphans.pop()
                    entry = self.entries.get(key)
                    if entry is not None and entry.owner is owner:
                        del self.entries[key]
            finally:
                self.lock.release()


def _is_current(entry: _Entry) -> bool:
    """Whether ``entry`` still describes its function: a dead function's ids may be reused."""
    owner = entry.owner()
    if owner is None or _function_key(owner) != entry.function_key:
        return False
    return all(mapping.get(name, _MISSING) is value
               for mapping, name, value in entry.generated.checks)


_cache = _Cache(_CACHE_SIZE)
_in_progress = threading.local()


def clear_cache() -> None:
    """Forget every derivative tangent has written, and every other memo of user code.

    The next ``grad`` of a function writes its derivative anew. Derivatives
    already returned keep working. The cache never keeps a function, its
    closure values or its globals alive (an entry goes with its function), so
    this is for measuring and for tests rather than for freeing memory.
    """
    _cache.clear()
    decorators.forget_undecorated()


def _checks_for(fn: Callable, free: dict[str, Any]) -> tuple:
    closure = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    globals_ = _GlobalsView(fn)
    checks = []
    for name, value in free.items():
        if name in closure:
            checks.append((_CellView(closure[name]), name, value))
        elif name in fn.__globals__:
            checks.append((globals_, name, value))
    return tuple(checks)


def _attribute_checks(fdef: gast.FunctionDef, param_types: dict[str, type]) -> list:
    """Checks that each attribute a derivative resolved still means the same object.

    ``cfg.act(x)`` was differentiated with the rule of the function ``cfg.act``
    held then; after ``cfg.act = np.sin`` the derivative must be written anew.
    Attributes of modules (``np.tanh``) are not watched, nor attributes holding
    data (``model.w``), which generated code reads when it runs.
    """
    checks = []
    for node in anno.walk(fdef):
        if not isinstance(node, gast.Attribute) or not anno.has(node, Key.FUNC):
            continue
        base = anno.get(node.value, Key.FUNC, None)
        path = annotate.dotted_path(node.value)
        if base is None and path in param_types:
            base = param_types[path]  # self.act with self's class known: Class.act
        if base is None or isinstance(base, types.ModuleType):
            continue
        view = _AttributeView(base)
        value = view.get(node.attr, _MISSING)
        if callable(value):  # data attributes are read live by generated code
            checks.append((view, node.attr, value))
    return checks


def _function_checks(fn: Callable) -> tuple:
    """Checks that ``fn``'s code and defaults are still the ones a derivative copied."""
    view = _AttributeView(fn)
    return tuple((view, attribute, getattr(fn, attribute))
                 for attribute in ('__code__', '__defaults__', '__kwdefaults__'))


class _AttributeView:
    """Makes an object's attributes look like a mapping for cache checks."""

    def __init__(self, obj):
        self.obj = obj

    def get(self, name, default=None):
        value = getattr(self.obj, name, default)
        # obj.method is a new bound method at each access; what it runs is stable.
        return value.__func__ if isinstance(value, types.MethodType) else value


class _GlobalsView:
    """A function's globals, reached through a weak reference to the function, for cache
    checks: a module's dictionary holds the module's functions, so a cache entry holding
    it would keep its own function alive. Once the function is gone, no check holds."""

    def __init__(self, fn: Callable):
        self.function = weakref.ref(fn)

    def get(self, name, default=None):
        fn = self.function()
        return default if fn is None else fn.__globals__.get(name, default)


class _CellView:
    """Makes a closure cell look like a one-entry mapping for cache checks."""

    def __init__(self, cell):
        self.cell = cell

    def get(self, name, default=None):
        try:
            return self.cell.cell_contents
        except ValueError:
            return default


def _unwrap(fn: Any) -> Callable:
    fn = getattr(fn, 'tangent', fn) if callable(getattr(fn, 'tangent', None)) else fn
    # A functools.wraps wrapper: what it computes, not only the function it wraps.
    return decorators.undecorated(fn)


WRT_ACCEPTED = ('wrt must be the index of a positional argument (an int, such as 0) or a '
                'tuple or list of such indices (such as (0, 2))')


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


SPLIT_MOTION = '_tangent_split_motion'  # set on the functions of a split-motion derivative


def _parse(fn: Callable, param_types: dict[str, type]) -> tuple[gast.FunctionDef, dict, str]:
    if getattr(fn, SPLIT_MOTION, False):
        raise NotImplementedError(
            f'{fn.__qualname__} is part of a split-motion derivative, whose forward and '
            f'backward functions hand a tape to each other; it cannot be differentiated '
            f"again. For higher order, differentiate the joint-motion derivative "
            f"(motion='joint', the default).")
    module = quoting.parse_function(fn)
    fdef = module.body[0]
    free = annotate.resolve(fdef, fn, param_types)
    backends.load_for(free)
    filename = fn.__code__.co_filename
    fence.check(fdef, filename, fn.__qualname__, generated=compile_.is_generated(fn))
    free.update(fence.runtime_names(fdef))  # the checks the fence added
    _positional_only_as_positional(fdef)
    _bind_live_defaults(fdef, fn, free)
    return fdef, free, filename


def _read_callee(callee: Callable, read: Callable[[], Any]) -> Any:
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
            error, getattr(callee, '__qualname__', repr(callee))) from None


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


def _print_stage(verbose: int, level: int, title: str, node: Any) -> None:
    if verbose >= level:
        print(f'# ---- {title} ----')
        print(quoting.to_source(node))


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a derivative is written.

    Writing one allocates many syntax-tree nodes that all stay alive until it
    is done, so each collection finds nothing to free, and a full one walks
    every node made so far: for long functions, a good part of the time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cached_or_generate(key, fn: Callable, generate: Callable[[], _Generated],
                        verbose: int) -> _Generated:
    # verbose=2 asks to see every stage, which only writing the derivative again shows.
    cached = _cache.get(key) if verbose < 2 else None
    if cached is not None:
        cached = cached.bound_to(fn)
        if verbose:
            print(compile_.source_of(cached.function))
        return cached
    stack = getattr(_in_progress, 'codes', None)
    if stack is None:
        stack = _in_progress.codes = []
    if fn.__code__ in stack:
        construct, way_out = fence.RECURSION
        raise TangentParseError(
            f'{fn.__qualname__} reaches itself again: {construct} is not supported; '
            f'{way_out}', fn.__code__.co_filename, fn.__code__.co_firstlineno, None)
    stack.append(fn.__code__)
    try:
        with _collector_paused():
            generated = generate()
    finally:
        stack.pop()
    _cache.put(key, generated, fn)
    return generated.bound_to(fn)


@dataclass
class _FrontEnd:
    fdef: gast.FunctionDef  # in normal form
    filename: str
    namer: naming.Namer
    namespace: naming.Namespace
    checks: list
    param_types: dict[str, type]
    untyped_receivers: list[str]  # parameters whose class decides what the code means
    user_lines: compile_.UserLines  # where the user statements behind fdef are


def _front_end(fn: Callable, wrt: tuple[int, ...], verbose: int,
               param_types: dict[str, type], checkpoints: Any = None) -> _FrontEnd:
    """Parse, resolve, fence and normalise ``fn``; set up names for generated code.

    ``checkpoints``: None in forward mode (checkpoint markers are dropped);
    in reverse mode False (only marked loops), True or a snapshot count (every
    top-level ``range`` loop).
    """
    fdef, free, filename = _parse(fn, param_types)
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
    checks = list(_checks_for(fn, free)) + _attribute_checks(fdef, param_types)

    def parse_copy(callee: Callable, callee_types: dict[str, type]) -> tuple:
        copied, callee_free, callee_file = _read_callee(
            callee, lambda: _parse(callee, callee_types))
        user_lines.add_function(callee_file, copied)
        checks.extend(_checks_for(callee, callee_free))
        checks.extend(_function_checks(callee))
        checks.extend(_attribute_checks(copied, callee_types))
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
            _print_stage(verbose, 2, f'checkpointed loop body {loop.step_name}',
                         loop.step_def)
    fdef = anf.Normalizer(namer, free, filename).function(fdef)
    user_lines.add_statements(fdef)
    _print_stage(verbose, 2, 'normal form (ANF)', fdef)
    namespace = naming.Namespace(namer)
    for name, value in free.items():
        namespace.bind_user(name, value)
    return _FrontEnd(fdef, filename, namer, namespace, checks,
                     dict(param_types), untyped, user_lines)


SPREAD = '*'  # a specialisation key: how many values the function's *args holds


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


def _closure_key(fn: Callable) -> tuple:
    """The identities of ``fn``'s closure values, part of its cache key.

    Two closures made by one factory share their code but not their data, and
    generated code holds the data it was made with. The cache entry keeps the
    values alive (``_key_objects``), so their ids cannot be reused while it exists.
    """
    cells = getattr(fn, '__closure__', None) or ()
    key = []
    for cell in cells:
        try:
            key.append(id(cell.cell_contents))
        except ValueError:  # an empty cell
            key.append(None)
    return tuple(key)


def _function_key(fn: Callable) -> tuple:
    """What a derivative of ``fn`` was written from: its code, the globals it reads
    (two modules may hold functions of equal code), its closure values and its
    default values. The cache entry keeps the closure values and defaults alive and
    lives only as long as ``fn`` (which holds its globals), so no id is reused
    while it exists."""
    defaults = tuple(id(value) for value in fn.__defaults__ or ())
    keyword_defaults = tuple((name, id(value)) for name, value in
                             sorted((fn.__kwdefaults__ or {}).items()))
    return (fn.__code__, id(fn.__globals__), _closure_key(fn), defaults, keyword_defaults)


def _key_objects(fn: Callable) -> tuple:
    """The objects whose ids ``_function_key(fn)`` holds, besides ``fn``'s globals."""
    cells = []
    for cell in getattr(fn, '__closure__', None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return (*cells, *(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values())


def _rules_key() -> tuple:
    """Changes when a derivative rule or a non-differentiable function is registered."""
    return (registry.generation(),)


def _types_key(param_types: dict[str, type]) -> tuple:
    return tuple(sorted(param_types.items(), key=lambda item: item[0]))


def _specialising(fn: Callable, receivers: list[str], param_types: dict[str, type],
                  specialise: Callable[[dict[str, type]], _Generated],
                  renamed: Callable[[_Generated], dict[str, str]],
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
    # A receiver is a parameter or a path of attributes from one (self.encoder).
    positions = [(params.index(p.split('.')[0]), p) for p in receivers]

    def class_of(value, path):
        for attribute in path.split('.')[1:]:
            value = getattr(value, attribute, None)
        return type(value)

    specialisations: dict[tuple, tuple[Callable, dict[str, str]]] = {}

    def derivative(*args, **kwargs):
        classes = tuple(class_of(args[i] if i < len(args) else
                                 kwargs.get(p.split('.')[0], defaults.get(p.split('.')[0])), p)
                        for i, p in positions)
        if spread:
            classes += (max(len(args) - len(params) - trailing(kwargs), 0),)
        entry = specialisations.get(classes)
        if entry is not None and any(mapping.get(name, _MISSING) is not value
                                     for mapping, name, value in entry[2]):
            entry = None  # a method or attribute was rebound (Model.forward = ...)
        if entry is None:
            types_ = dict(param_types)
            types_.update((p, cls) for (_, p), cls in zip(positions, classes))
            if spread:
                types_[SPREAD] = classes[-1]
            generated = specialise(types_)
            entry = specialisations[classes] = (generated.function, renamed(generated),
                                                _watched(generated.checks))
        function, renames, _ = entry
        for old, new in renames.items():
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
        return function(*args, **kwargs)

    derivative.__name__ = derivative.__qualname__ = f'd{fn.__name__}_specialising'
    derivative.__doc__ = (f'The derivative of {fn.__qualname__}, generated at the first call '
                          f'for each class of {", ".join(receivers)}.')
    derivative.specialisations = specialisations
    return derivative


def _forward(fn: Callable, wrt: tuple[int, ...], optimized: bool, preserve_result: bool,
             verbose: int, param_types: dict[str, type] | None = None) -> _Generated:
    param_types = param_types or {}
    fn = getattr(fn, GENERAL_VERSION, fn)
    key = ('forward', _function_key(fn), _rules_key(), wrt, optimized, preserve_result,
           _types_key(param_types))
    return _cached_or_generate(
        key, fn, lambda: _generate_forward(fn, wrt, optimized, preserve_result, verbose,
                                           param_types), verbose)


def _generate_forward(fn, wrt, optimized, preserve_result, verbose, param_types) -> _Generated:
    front = _front_end(fn, wrt, verbose, param_types)
    fdef, namer, namespace, checks = front.fdef, front.namer, front.namespace, front.checks
    params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    if front.untyped_receivers:
        tangent_names = [namer.fresh(naming.tangent_name(params[i])) for i in wrt]
        receivers = front.untyped_receivers

        def specialising(source: Callable) -> Callable:  # the cache keeps this: not fn
            return _specialising(
                source, receivers, param_types,
                lambda types_: _forward(source, wrt, optimized, preserve_result, verbose,
                                        types_),
                lambda generated: dict(zip(tangent_names, generated.tangent_names)),
                lambda kwargs: 0 if any(name in kwargs for name in tangent_names)
                else len(wrt))
        return _Generated(function=None, seed_name='', checks=tuple(checks),
                          tangent_names=tangent_names, for_function=specialising)

    def differentiate_subroutine(callee: Callable, positions: tuple[int, ...],
                                 callee_types: dict[str, type]):
        inner = _read_callee(callee, lambda: _forward(callee, positions, optimized, True, 0,
                                                      callee_types))
        checks.extend(inner.checks)
        return forward_ad.Subroutine(function=inner.function,
                                     tangent_names=inner.tangent_names)

    body, tangent_params, result_tangent = forward_ad.ForwardAD(
        fdef, list(wrt), namer, namespace, differentiate_subroutine, front.filename,
        front.param_types).run()
    function_name = namer.fresh(naming.function_name('d', fn.__name__,
                                                     [params[i] for i in wrt]))
    function = motion.forward(fdef, body, tangent_params, result_tangent, function_name,
                              preserve_result)
    _print_stage(verbose, 2, 'raw tangent: primal and tangent statements', function)
    if optimized:
        function = optimization.optimize(function, _purity_check(namespace))
        _print_stage(verbose, 2, 'after optimization', function)
    motion.unalias_returns(function, namespace)  # a tangent argument is not returned as is
    compiled = compile_.compile_function(function, namespace.values, front.user_lines)
    if verbose == 1:  # at 2 the last stage printed is the final source
        print(compile_.source_of(compiled))
    signature = motion.Signature.of(fdef)
    if signature.defaults or signature.vararg or signature.keyword_only or signature.kwarg:
        compiled = _tangents_last(compiled, tangent_params)
    return _Generated(function=compiled, seed_name='', checks=tuple(checks),
                      tangent_names=tangent_params)


def _reverse(fn: Callable, wrt: tuple[int, ...], optimized: bool, motion_kind: str,
             preserve_result: bool, check_dims: bool, input_derivative: INPUT_DERIVATIVE,
             verbose: int, param_types: dict[str, type] | None = None,
             checkpoints: bool | int = False) -> _Generated:
    param_types = param_types or {}
    fn = getattr(fn, GENERAL_VERSION, fn)
    key = ('reverse', _function_key(fn), _rules_key(), wrt, optimized, motion_kind,
           preserve_result, check_dims, input_derivative, _types_key(param_types), checkpoints)
    return _cached_or_generate(
        key, fn, lambda: _generate_reverse(fn, wrt, optimized, motion_kind, preserve_result,
                                           check_dims, input_derivative, verbose, param_types,
                                           checkpoints),
        verbose)


def _generate_reverse(fn, wrt, optimized, motion_kind, preserve_result, check_dims,
                      input_derivative, verbose, param_types, checkpoints) -> _Generated:
    front = _front_end(fn, wrt, verbose, param_types, checkpoints)
    fdef, namer, namespace, checks = front.fdef, front.namer, front.namespace, front.checks
    if front.untyped_receivers:
        seed_name = namer.fresh(naming.adjoint_name(fdef.body[-1].value.id))
        receivers = front.untyped_receivers

        def specialising(source: Callable) -> Callable:  # the cache keeps this: not fn
            return _specialising(
                source, receivers, param_types,
                lambda types_: _reverse(source, wrt, optimized, motion_kind, preserve_result,
                                        check_dims, input_derivative, verbose, types_,
                                        checkpoints),
                lambda generated: {seed_name: generated.seed_name})
        return _Generated(function=None, seed_name=seed_name, checks=tuple(checks),
                          for_function=specialising)

    def differentiate_subroutine(callee: Callable, positions: tuple[int, ...],
                                 callee_types: dict[str, type]) -> Subroutine:
        def from_source() -> _Generated:
            return _reverse(callee, positions, optimized, 'joint', False, False,
                            INPUT_DERIVATIVE.Required, 0, callee_types)
        if tracing.is_traced(callee):
            return Subroutine(function=tracing.traced_gradient(callee, positions, from_source),
                              seed_name=tracing.SEED_NAME)
        inner = _read_callee(callee, from_source)
        checks.extend(inner.checks)
        return Subroutine(function=inner.function, seed_name=inner.seed_name)

    result = ReverseAD(fdef, list(wrt), namer, namespace, differentiate_subroutine,
                       front.filename, front.param_types).run()
    _print_stage(verbose, 2, 'raw adjoint: primal statements, then adjoint statements',
                 gast.Module(body=result.primal + result.adjoint, type_ignores=[]))
    params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
    function_name = namer.fresh(naming.function_name('d', fn.__name__,
                                                     [params[i] for i in wrt]))
    # Split motion's forward function returns the result, so the joint function
    # it is cut from must keep computing it.
    joint = motion.joint(fdef, result, function_name, namespace, namer, input_derivative,
                         check_dims, preserve_result or motion_kind == 'split',
                         fn.__qualname__)
    _print_stage(verbose, 2, 'after motion: joint', joint)
    if optimized:
        joint = optimization.optimize(joint, _purity_check(namespace))
        _print_stage(verbose, 2, 'after optimization', joint)
    if motion_kind == 'split':
        module = motion.split(joint, result, namespace, namer, motion.Signature.of(fdef),
                              preserve_result)
        _print_stage(verbose, 2, 'after motion: split into forward, backward and wrapper',
                     module)
        motion.unalias_returns(module.body[1], namespace)  # the backward function
    else:
        # The seed (or an argument) is not returned as is: a copy where one is shared.
        module = gast.Module(body=[motion.unalias_returns(joint, namespace)], type_ignores=[])
    function = compile_.compile_function(module, namespace.values, front.user_lines)
    if motion_kind == 'split':
        for definition in module.body:
            setattr(function.__globals__[definition.name], SPLIT_MOTION, True)
    if verbose == 1:  # at 2 the last stage printed is the final source
        print(compile_.source_of(function))
    if not param_types and _reads_shapes_in_loops(module) and \
            not (fdef.args.vararg or fdef.args.kwonlyargs or fdef.args.defaults
                 or fdef.args.kwarg):
        generic, seed_name = function, result.seed_name

        def with_scalar_version(source: Callable) -> Callable:  # the cache keeps this
            return _with_scalar_version(generic, len(params), lambda: _reverse(
                source, wrt, optimized, motion_kind, preserve_result, check_dims,
                input_derivative, 0, {p: float for p in params}, checkpoints), seed_name)
        return _Generated(function=generic, seed_name=seed_name, checks=tuple(checks),
                          for_function=with_scalar_version)
    return _Generated(function=function, seed_name=result.seed_name, checks=tuple(checks))


GENERAL_VERSION = policy.GENERAL_VERSION  # on a derivative tangent wraps
_SHAPE_HELPERS = {'unbroadcast', 'unreduce_like', 'add_grad', 'shape_only'}


def _reads_shapes_in_loops(module: gast.Module) -> bool:
    """Whether generated code matches shapes at run time inside a loop, which it need
    not do when every argument is a Python number (outside loops, the few calls cost
    about what choosing the version would)."""
    return any(isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
               and node.func.attr in _SHAPE_HELPERS
               for loop in anno.walk(module) if isinstance(loop, (gast.For, gast.While))
               for node in anno.walk(loop))


def _with_scalar_version(generic: Callable, n_params: int,
                         specialise: Callable[[], _Generated], seed_name: str) -> Callable:
    """``generic``, or when called with Python numbers only, the derivative written
    knowing that (every value has one shape: no unbroadcast, no shape on the tape).

    The scalar version is written at the first such call. ``inspect`` and
    higher-order differentiation see ``generic`` (``__wrapped__``).
    """
    scalar = None

    def derivative(*args, **kwargs):
        nonlocal scalar
        if len(args) >= n_params:
            for arg in args[:n_params]:
                if type(arg) is not float and type(arg) is not int:
                    break
            else:
                if scalar is None:
                    generated = specialise()
                    scalar = generated.function if generated.seed_name == seed_name \
                        else generic
                    derivative.specialisations['numbers'] = scalar
                return scalar(*args, **kwargs)
        return generic(*args, **kwargs)

    functools.update_wrapper(derivative, generic)
    derivative.specialisations = {}  # 'numbers': the version for Python numbers, once used
    setattr(derivative, GENERAL_VERSION, generic)  # what differentiating it again reads
    return derivative


def _watched(checks: tuple) -> tuple:
    """The checks worth making at every call: rebinding a module is not one."""
    return tuple(check for check in checks if not isinstance(check[2], types.ModuleType))


def _kept_current(generated: _Generated, generate: Callable[[], _Generated]) -> Callable:
    """The derivative, checked at each call against what it was written from.

    A global, a closure value, an attribute (``cfg.act``) or a helper's code or
    defaults that changed since the derivative was written means the function
    now computes something else: the derivative is written anew (through the
    cache) before it runs, so it never differentiates a function that no longer
    exists. Without such dependencies it is the generated function itself.
    """
    checks = _watched(generated.checks)
    if not checks:
        return generated.function
    current = [generated.function, checks]

    def derivative(*args, **kwargs):
        for mapping, name, value in current[1]:
            if mapping.get(name, _MISSING) is not value:
                fresh = generate()
                current[:] = [fresh.function, _watched(fresh.checks)]
                break
        return current[0](*args, **kwargs)

    functools.update_wrapper(derivative, generated.function)
    # What differentiating it again reads: the generated function.
    setattr(derivative, GENERAL_VERSION,
            getattr(generated.function, GENERAL_VERSION, generated.function))
    return derivative


def _tangents_last(generic: Callable, tangent_names: list[str]) -> Callable:
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


def autodiff(func: Callable, wrt: tuple[int, ...] = (0,), optimized: bool = True,
             motion: str = 'joint', mode: str = 'reverse', preserve_result: bool = False,
             check_dims: bool = True,
             input_derivative: INPUT_DERIVATIVE = INPUT_DERIVATIVE.Required,
             verbose: int = 0, checkpoint: bool | int = False) -> Callable:
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

    Returns:
      The derivative function.
    """
    if mode not in ('reverse', 'forward'):
        raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r}")
    if motion not in ('joint', 'split'):
        raise ValueError(f"motion must be 'joint' or 'split', got {motion!r}")
    if not isinstance(input_derivative, INPUT_DERIVATIVE):
        raise TypeError(f'input_derivative must be a tangent.INPUT_DERIVATIVE member, '
                        f'got {input_derivative!r}')
    wrt = _wrt_indices(wrt)
    if isinstance(func, functools.partial):
        return _partial_derivative(func, wrt, lambda inner, inner_wrt: autodiff(
            inner, inner_wrt, optimized, motion, mode, preserve_result, check_dims,
            input_derivative, verbose, checkpoint))
    instance = None
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        # A bound method: differentiate its function, with self's class known.
        instance, func = func.__self__, func.__func__
    elif _is_callable_instance(func):
        # model(x) runs type(model).__call__(model, x): a bound method in all but name.
        instance, func = func, annotate.python_call_method(type(func))
    fn, wrt = _validate(func, wrt, 'autodiff', receivers=int(instance is not None))
    param_types = {}
    if instance is not None:
        param_types[fn.__code__.co_varnames[0]] = type(instance)
    def generate() -> _Generated:
        if mode == 'forward':
            return _forward(fn, wrt, optimized, preserve_result, verbose, param_types)
        return _reverse(fn, wrt, optimized, motion, preserve_result, check_dims,
                        input_derivative, verbose, param_types, checkpoint)

    derivative = _kept_current(generate(), generate)
    if instance is not None:
        return types.MethodType(derivative, instance)
    return derivative


def grad(func: Callable, wrt: tuple[int, ...] = (0,), optimized: bool = True,
         preserve_result: bool = False, check_dims: bool = True,
         verbose: int = 0, checkpoint: bool | int = False) -> Callable:
    """The gradient of a scalar-valued ``func``: ``dfdx(*args, bresult=1.0)``."""
    return autodiff(func, wrt=wrt, optimized=optimized, motion='joint', mode='reverse',
                    preserve_result=preserve_result, check_dims=check_dims,
                    input_derivative=INPUT_DERIVATIVE.DefaultOne, verbose=verbose,
                    checkpoint=checkpoint)


def vjp(func: Callable, wrt: tuple[int, ...] = (0,), optimized: bool = True,
        check_dims: bool = True, preserve_result: bool = False, verbose: int = 0) -> Callable:
    """A vector-Jacobian product function: reverse, joint, the seed required."""
    return autodiff(func, wrt=wrt, optimized=optimized, motion='joint', mode='reverse',
                    preserve_result=preserve_result, check_dims=check_dims,
                    input_derivative=INPUT_DERIVATIVE.Required, verbose=verbose)


def jvp(func: Callable, wrt: tuple[int, ...] = (0,), optimized: bool = True,
        check_dims: bool = True, preserve_result: bool = False, verbose: int = 0) -> Callable:
    """A Jacobian-vector product function (forward mode)."""
    return autodiff(func, wrt=wrt, optimized=optimized, mode='forward',
                    preserve_result=preserve_result, check_dims=check_dims, verbose=verbose)

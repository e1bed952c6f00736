"""The cache of generated derivatives, and what keeps an entry current.

A derivative is cached on the function's code, the identity of every global
and closure value it reads, its defaults, the registered rules and the
options, so a second ``grad`` call costs a dictionary lookup. An entry lives
only as long as its function: the cache keeps no user function, closure value
or global alive (``clear_cache`` empties it). When a value the derivative was
written from is rebound, the entry is stale and the next call writes anew.
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import functools
import gc
import threading
import types
import weakref
from typing import Any, Callable

import gast

from tangent.errors import TangentParseError
from tangent.frontend import annotate, decorators, fence
from tangent.rules import registry
from tangent.syntax import annotations as anno, compile as compile_
from tangent.syntax.annotations import Key

CACHE_SIZE = 512

SWEPT_PER_WRITE = 32  # stale entries looked for at each write: all of them in 16 writes

MISSING = object()


class Generated:
    """A derivative as the cache keeps it, with what must still hold for it to be reused."""

    def __init__(self, function: Callable | None, seed_name: str, checks: tuple,
                 tangent_names: list | None = None,
                 for_function: Callable[[Callable], Callable] | None = None,
                 returns_number: bool = False):
        self.function = function
        self.seed_name = seed_name
        self.checks = checks  # ((mapping, name, value), ...) that must still hold
        self.tangent_names = tangent_names  # forward mode: the tangent parameters, in wrt order
        # A derivative that writes more code when it is called (for each receiver class,
        # for Python numbers) needs the user's function then. The cache keeps this maker,
        # which takes the function as an argument, and never a derivative holding the
        # function: that would keep the function, and so its own cache entry, alive forever.
        self.for_function = for_function
        # Reverse mode, parameters typed as numbers: the function returns a number too.
        self.returns_number = returns_number

    def bound_to(self, fn: Callable) -> Generated:
        """This derivative as a caller gets it: one that writes more code holds ``fn``."""
        if self.for_function is None:
            return self
        return Generated(self.for_function(fn), self.seed_name, self.checks, self.tangent_names,
                         returns_number=self.returns_number)


class _Entry:
    def __init__(self, generated: Generated, owner: weakref.ref, function_key: tuple,
                 anchors: tuple):
        self.generated = generated
        self.owner = owner  # the function the derivative was written from
        self.function_key = function_key  # function_key(owner) when it was written
        # The objects whose ids the key holds (closure values, defaults): no new object
        # can take one of those ids while the entry exists.
        self.anchors = anchors


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

    def get(self, key) -> Generated | None:
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

    def put(self, key, generated: Generated, owner: Callable) -> None:
        try:
            watched = weakref.ref(owner, functools.partial(self._forget, key))
        except TypeError:  # a callable that cannot be watched is not cached
            return
        entry = _Entry(generated, watched, function_key(owner), _key_objects(owner))
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            others = list(self.entries.items())
            start = self.swept % len(others)
            self.swept = start + SWEPT_PER_WRITE
        # Each write looks at a few more entries, in turn, and drops those whose
        # global or closure value was rebound since: they would only be written anew,
        # and they hold the old values. (All of them at each write would cost about
        # a fifth of writing a small derivative once the cache is full.)
        turn = (others + others)[start:start + min(SWEPT_PER_WRITE, len(others))]
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
    if owner is None or function_key(owner) != entry.function_key:
        return False
    return all(mapping.get(name, MISSING) is value
               for mapping, name, value in entry.generated.checks)

derivatives = _Cache(CACHE_SIZE)

_in_progress = threading.local()


def clear_cache() -> None:
    """Forget every derivative tangent has written, and every other memo of user code.

    The next ``grad`` of a function writes its derivative anew. Derivatives
    already returned keep working. The cache never keeps a function, its
    closure values or its globals alive (an entry goes with its function), so
    this is for measuring and for tests rather than for freeing memory.
    """
    derivatives.clear()
    decorators.forget_undecorated()


def checks_for(fn: Callable, free: dict[str, Any]) -> tuple:
    closure = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    globals_ = _GlobalsView(fn)
    checks = []
    for name, value in free.items():
        if name in closure:
            checks.append((_CellView(closure[name]), name, value))
        elif name in fn.__globals__:
            checks.append((globals_, name, value))
    return tuple(checks)


def attribute_checks(fdef: gast.FunctionDef, param_types: dict[str, type]) -> list:
    """Checks that each attribute a derivative resolved still means the same object.

    ``cfg.act(x)`` was differentiated with the rule of the function ``cfg.act``
    held then; after ``cfg.act = np.sin`` the derivative must be written anew.
    Attributes of modules (``np.tanh``) are not watched, nor attributes holding
    data (``model.w``), which generated code reads when it runs. A called instance
    (``model(x)``) has its class's ``__call__`` watched.
    """
    checks = []
    for node in anno.walk(fdef):
        if isinstance(node, gast.Call):  # model(x): its class's __call__ was copied in
            cls = _class_called(node.func, param_types)
            if cls is not None:
                view = _AttributeView(cls)
                checks.append((view, '__call__', view.get('__call__', MISSING)))
            continue
        if not isinstance(node, gast.Attribute) or not anno.has(node, Key.FUNC):
            continue
        base = anno.get(node.value, Key.FUNC, None)
        path = annotate.dotted_path(node.value)
        if base is None and path in param_types:
            base = param_types[path]  # self.act with self's class known: Class.act
        if base is None or isinstance(base, types.ModuleType):
            continue
        view = _AttributeView(base)
        value = view.get(node.attr, MISSING)
        if callable(value):  # data attributes are read live by generated code
            checks.append((view, node.attr, value))
    return checks


def _class_called(func: gast.expr, param_types: dict[str, type]) -> type | None:
    """The user class of the instance ``func`` names, when it is called as a function."""
    cls = param_types.get(annotate.dotted_path(func) or '')  # an argument's class
    value = anno.get(func, Key.FUNC, None)
    if cls is None and annotate.is_instance_of_user_class(value):
        cls = type(value)  # a global or closure instance
    if isinstance(cls, type) and isinstance(getattr(cls, '__call__', None), types.FunctionType):
        return cls
    return None


def function_checks(fn: Callable) -> tuple:
    """Checks that ``fn``'s code and defaults are still the ones a derivative copied."""
    view = _AttributeView(fn)
    return tuple((view, attribute, getattr(fn, attribute))
                 for attribute in ('__code__', '__defaults__', '__kwdefaults__'))


def global_item_checks(fn: Callable, param_types: dict[str, Any]) -> list:
    """Checks that the items of global lists, tuples and dicts a derivative was
    specialised on (``desugar.kinds_of_global_items``: paths in ``param_types`` rooted
    at a global or closure value of ``fn``) still have the kinds it was written for:
    ``LAYERS.append(layer)``, ``LAYERS[1] = Other()`` or ``ACTS[0] = np.sin`` means the
    derivative must be written anew. So do the objects held in a global object's
    attributes (``MODEL.encoder = Other()``), and the keys and entries of a mapping
    looped over (``MODEL.heads['new'] = head`` for ``for head in MODEL.heads.values()``)."""
    own = set(fn.__code__.co_varnames)
    sequences = {path[:-len(annotate.ITEMS)] for path in param_types
                 if path.endswith(annotate.ITEMS)}
    checks = []
    for path, kind in param_types.items():
        if annotate.path_root(path) == path or annotate.path_root(path) in own:
            continue  # a path from a parameter, or the number of values in *args
        if kind is None and path.endswith((annotate.ITEMS, annotate.KEYS)):
            continue  # items not known: their loop was left as written
        if path.endswith(annotate.ITEMS):
            base = path[:-len(annotate.ITEMS)]
            kinds = tuple(param_types[f'{base}[{index}]'] for index in range(kind))
            checks.append((_ItemKindsView(fn, kinds, annotate.item_kinds), base, kinds))
        elif path.endswith(annotate.KEYS):  # a mapping looped over: its keys and kinds
            base = path[:-len(annotate.KEYS)]
            entries = tuple((key, param_types[f'{base}[{key!r}]']) for key in kind)
            checks.append((_ItemKindsView(fn, entries, annotate.keyed_item_kinds), base,
                           entries))
        elif not path.endswith(']') or path[:path.rindex('[')] not in sequences:
            # an attribute (MODEL.encoder), or an item not among a sequence's: watched
            checks.append((_ItemKindsView(fn, kind, annotate.static_kind), path, kind))
    return checks


class _ItemKindsView:
    """The kind of what a path reaches from a global or closure value of a function
    (``kind_of(value)``: the kinds of a sequence's items, an object's class), for cache
    checks: ``get`` returns the kind recorded when the derivative was written (so the
    check's ``is`` holds) while it still holds, and the kind there is now once they
    differ. The function is held weakly."""

    def __init__(self, fn: Callable, recorded: Any, kind_of: Callable[[Any], Any]):
        self.function = weakref.ref(fn)
        self.recorded = recorded
        self.kind_of = kind_of

    def get(self, path, default=None):
        fn = self.function()
        if fn is None:
            return default
        root = annotate.lookup(fn, annotate.path_root(path))
        kind = self.kind_of(annotate.follow(root, path))
        return self.recorded if kind == self.recorded else kind


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


@contextlib.contextmanager
def collector_paused():
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


def cached_or_generate(key, fn: Callable, generate: Callable[[], Generated],
                        verbose: int) -> Generated:
    # verbose=2 asks to see every stage, which only writing the derivative again shows.
    cached = derivatives.get(key) if verbose < 2 else None
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
        with collector_paused():
            generated = generate()
    finally:
        stack.pop()
    derivatives.put(key, generated, fn)
    return generated.bound_to(fn)


def function_key(fn: Callable) -> tuple:
    """What a derivative of ``fn`` was written from: its code, the globals it reads
    (two modules may hold functions of equal code), its closure values and its
    default values. The cache entry keeps the closure values and defaults alive and
    lives only as long as ``fn`` (which holds its globals), so no id is reused
    while it exists."""
    return annotate.function_identity(fn)


def _key_objects(fn: Callable) -> tuple:
    """The objects whose ids ``function_key(fn)`` holds, besides ``fn``'s globals."""
    cells = []
    for cell in getattr(fn, '__closure__', None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return (*cells, *(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values())


def rules_key() -> tuple:
    """Changes when a derivative rule or a non-differentiable function is registered."""
    return (registry.generation(),)


def types_key(param_types: dict[str, type]) -> tuple:
    return tuple(sorted(param_types.items(), key=lambda item: item[0]))


def watched(checks: tuple) -> tuple:
    """The checks worth making at every call: rebinding a module is not one."""
    return tuple(check for check in checks if not isinstance(check[2], types.ModuleType))

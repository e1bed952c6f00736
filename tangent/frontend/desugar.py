"""Desugaring: array methods, array attributes and wrapper modules (autograd.numpy).

Requires: a resolved, fenced function (``annotate.resolve`` has marked every
global and module attribute with ``Key.FUNC``).
Guarantees: calls the user wrote as array methods (``x.sum(axis=0)``,
``x.reshape(2, 3)``, ``x.dot(y)``) and the ``x.T`` attribute are calls of the
library functions they mean (``np.sum(x, axis=0)``), so the derivative rules of
those functions apply; calls through a wrapper module (``autograd.numpy``)
name the function it wraps, and calls of a function that only its own library
can differentiate (an autograd primitive without a tangent rule) go through
the helper that library's backend names (``ArrayMethods.call_helper``). What
each method means comes from the loaded backends' ``ArrayMethods`` (the NumPy
backend's ``methods``). ``parameter_receivers`` reports the parameters whose
class must be known before the function can be differentiated
(``model.forward(x)`` with ``model`` an argument).
"""

from __future__ import annotations

import copy
import functools
import types
from typing import Any, Callable, NamedTuple

import gast

from tangent import backends, runtime
from tangent.frontend import annotate
from tangent.frontend.annotate import dotted_path, ITEMS, KEYS, path_expression, path_root
from tangent.syntax import annotations as anno, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer, names_in



def _array_names() -> frozenset:
    """Receivers tangent never specialises on: names of arrays' own attributes."""
    names = frozenset({'copy'})
    for table in backends.array_methods():
        names |= table.names()
    return names


def parameter_receivers(fdef: gast.FunctionDef) -> list[str]:
    """Parameters used as objects (``p.forward(x)``, ``p.w``) whose class is unknown.

    Their attributes can only be resolved once the class is known: at the
    first call of the derivative (call-time specialisation).
    """
    params = [arg.id for arg in fdef.args.args]
    array_names = _array_names()
    assigned, candidates = set(), []  # what may use a parameter as an object
    for node in anno.walk(fdef):
        if isinstance(node, (gast.Call, gast.For, gast.Attribute)):
            candidates.append(node)
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            assigned.add(node.id)
    found = []
    for node in candidates:
        path = None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Subscript):
            path = dotted_path(node.func)  # params['act'](x), acts[0](x)
        elif isinstance(node, gast.For):  # for layer in layers: layer.forward(x)
            loop = item_loop(node, _resolved_as)
            for sequence, item in loop.sequences if loop is not None else ():
                marked = sequence + (KEYS if loop.keyed else ITEMS)
                if _uses_items_as_receivers(node.body, item) and path_root(sequence) in params \
                        and path_root(sequence) not in assigned and marked not in found:
                    found.append(marked)
        if path and path_root(path) in params and path_root(path) not in assigned and \
                path not in found:
            found.append(path)
        if (isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name)
                and node.value.id in params and node.value.id not in assigned
                and not anno.has(node, Key.FUNC) and node.attr not in array_names
                and node.value.id not in found):
            found.append(node.value.id)
        elif (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
              and node.func.id in params and node.func.id not in assigned
              and node.func.id not in found):  # model(x): a callable instance
            found.append(node.func.id)
        elif (isinstance(node, gast.Call) and anno.get(node.func, Key.FUNC) is getattr
              and node.args and isinstance(node.args[0], gast.Name)
              and node.args[0].id in params and node.args[0].id not in assigned
              and node.args[0].id not in found):  # getattr(model, name)
            found.append(node.args[0].id)
        if isinstance(node, gast.Call):  # self.encoder.forward(x), self.encoder(x)
            for receiver in (node.func.value if isinstance(node.func, gast.Attribute)
                             else None, node.func):
                path = dotted_path(receiver) if receiver is not None else None
                # x.at[0].set(v) reaches an array's own attribute (at): the array is no
                # object to specialise on, and its method is resolved as any call's.
                if path and '.' in path and path_root(path) in params and \
                        path_root(path) not in assigned and path not in found and \
                        not anno.has(receiver, Key.FUNC) and \
                        path.split('.')[-1] not in array_names and \
                        path.split('.')[1].partition('[')[0] not in array_names:
                    found.append(path)
    return found


class ItemLoop(NamedTuple):
    """What a loop over the items of containers reached by paths binds.

    Attributes:
      index: the variable given each item's position (``enumerate``) or key
        (``.items()``), or None.
      sequences: ``(path, variable)`` for each container, the variable given its items.
      keyed: the items are a mapping's values (``.values()``, ``.items()``), reached
        by key (``heads['mean']``), not by position.
    """

    index: str | None
    sequences: list[tuple[str, str]]
    keyed: bool = False


def item_loop(loop: gast.For, means: Callable[[gast.expr, Any], bool]) -> ItemLoop | None:
    """``ItemLoop(None, [('layers', 'layer')])`` for ``for layer in layers``,
    ``ItemLoop('i', [('layers', 'layer')])`` for ``for i, layer in enumerate(layers)``,
    ``ItemLoop(None, [('layers', 'layer'), ('norms', 'norm')])`` for ``for layer, norm in
    zip(layers, norms)``, ``ItemLoop('name', [('heads', 'head')], keyed=True)`` for ``for
    name, head in heads.items()`` (``.values()`` without the key); None for another
    loop. ``means(node, builtin)``: whether ``node`` names the builtin ``builtin`` (not
    a function of the user's by that name)."""
    target, iterated = loop.target, loop.iter
    method = iterated.func.attr if isinstance(iterated, gast.Call) and \
        isinstance(iterated.func, gast.Attribute) and not iterated.args and \
        not iterated.keywords else None
    mapping = dotted_path(iterated.func.value) if method in ('values', 'items') else None
    if isinstance(target, gast.Name):
        if method == 'values' and mapping is not None:
            return ItemLoop(None, [(mapping, target.id)], keyed=True)
        path = dotted_path(iterated)
        return ItemLoop(None, [(path, target.id)]) if path is not None else None
    if not (isinstance(target, gast.Tuple) and isinstance(iterated, gast.Call)
            and all(isinstance(name, gast.Name) for name in target.elts)):
        return None
    names = [name.id for name in target.elts]
    if len(set(names)) < len(names) or any(isinstance(arg, gast.Starred)
                                            for arg in iterated.args):
        return None
    if method == 'items' and mapping is not None and len(names) == 2:
        return ItemLoop(names[0], [(mapping, names[1])], keyed=True)
    if means(iterated.func, enumerate) and len(names) == 2 and len(iterated.args) == 1 and \
            not iterated.keywords:
        path = dotted_path(iterated.args[0])
        return ItemLoop(names[0], [(path, names[1])]) if path is not None else None
    if means(iterated.func, zip) and len(names) == len(iterated.args) and \
            not iterated.keywords:  # zip(..., strict=True) raises on lengths: left as is
        paths = [dotted_path(arg) for arg in iterated.args]
        return ItemLoop(None, list(zip(paths, names))) if None not in paths else None
    return None


def _resolved_as(node: gast.expr, builtin: Any) -> bool:
    """``means`` for ``item_loop`` in a resolved function."""
    return anno.get(node, Key.FUNC, None) is builtin


def _looked_up_as(fdef: gast.FunctionDef, fn: Any) -> Callable[[gast.expr, Any], bool]:
    """``means`` for ``item_loop`` before resolution: the name is not one of ``fdef``'s
    own and means the builtin where ``fn`` is defined."""
    own = annotate.local_names(fdef)
    return lambda node, builtin: isinstance(node, gast.Name) and node.id not in own and \
        annotate.lookup(fn, node.id) is builtin


def _uses_items_as_receivers(body: list[gast.stmt], item: str) -> bool:
    """A loop body that calls ``item`` or its methods, or reads its attributes: what
    that means depends on each item's class."""
    array_names = _array_names()
    for statement in body:
        for node in anno.walk(statement):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                    node.func.id == item:
                return True
            if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and \
                    node.value.id == item and node.attr not in array_names:
                return True
    return False


def kinds_of_global_items(fdef: gast.FunctionDef, fn: Any) -> dict[str, Any]:
    """The kinds of the objects and functions the code reaches through items of global
    lists, tuples and dicts, as later passes read those of arguments:

    - for each loop ``for layer in LAYERS:`` that calls the items or their methods (or
      one over ``MODEL.layers``, an attribute or constant item of a global), the number
      of items and the kind of each, which ``unroll_loops_over_items`` reads
      (``{'LAYERS[*]': 2, 'LAYERS[0]': Conv, 'LAYERS[1]': Dense}``);
    - for each call through a constant item (``ACTS[0](x)``, ``CFG['model'].forward(x)``,
      which that unrolling writes), the kind of the item.

    They are read now, when the derivative is written, like any global; the cache
    watches them (``cache.global_item_checks``): another length or another kind of
    item writes the derivative anew. A sequence the function itself changes
    (``LAYERS[0] = ...``, ``LAYERS.append(...)``) is left alone.
    """
    loops_and_calls = [node for node in anno.walk(fdef)
                       if isinstance(node, (gast.For, gast.Call))]
    if not loops_and_calls:
        return {}
    locals_ = annotate.local_names(fdef)
    written = {_root_name(node) for node in anno.walk(fdef)
               if isinstance(node, (gast.Subscript, gast.Attribute))
               and not isinstance(node.ctx, gast.Load)}
    called = {dotted_path(node.func.value) for node in loops_and_calls
              if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)}

    def value_at(path):
        if path is None or path_root(path) in locals_ or path_root(path) in written:
            return None
        return annotate.follow(annotate.lookup(fn, path_root(path)), path)

    means = _looked_up_as(fdef, fn)
    kinds: dict[str, Any] = {}
    for node in loops_and_calls:
        loop = item_loop(node, means) if isinstance(node, gast.For) else None
        if loop is not None:
            for path, item in loop.sequences:
                if path in called and not loop.keyed or not _calls_items(node.body, item):
                    continue
                if loop.keyed:
                    entries = annotate.keyed_item_kinds(value_at(path))
                    if entries is not None:
                        kinds[path + KEYS] = tuple(key for key, _ in entries)
                        kinds.update((f'{path}[{key!r}]', kind) for key, kind in entries)
                    continue
                items = annotate.item_kinds(value_at(path))
                if items is not None:
                    kinds[path + ITEMS] = len(items)
                    kinds.update((f'{path}[{index}]', kind)
                                 for index, kind in enumerate(items))
        elif isinstance(node, gast.Call):
            receiver = node.func.value if isinstance(node.func, gast.Attribute) else node.func
            path = dotted_path(receiver)
            if path and '[' in path and path not in kinds:
                kind = annotate.static_kind(value_at(path))
                if kind is not None:
                    kinds[path] = kind
            elif path:
                _attribute_kinds(path, value_at(path), kinds, MAX_ATTRIBUTE_DEPTH)
    return kinds


# How deep ``kinds_of_global_items`` follows the objects held in a called global
# object's attributes (``MODEL.encoder.layers[0]``).
MAX_ATTRIBUTE_DEPTH = 4


def _attribute_kinds(path: str, value: Any, kinds: dict[str, Any], depth: int) -> None:
    """The kinds of the objects and functions held in the attributes of ``value``, a
    global object the code calls or calls a method of (``MODEL(x)``, ``MODEL.run(x)``),
    and in lists of them, under their paths (``MODEL.encoder``, ``MODEL.layers[0]``):
    what its methods read through ``self``, which they then call as for an argument."""
    if depth == 0 or _container_kinds(path, value, kinds, depth):
        return
    if not isinstance(_object_kind(value), type):
        return  # not an object (a function, data)
    # The instance's own attributes, and those a backend's class keeps elsewhere and
    # lists in dir() (a PyTorch module's submodules).
    names = set(getattr(value, '__dict__', ()))
    if any(backends.owner_of(base) is not None for base in type(value).__mro__[1:]):
        names |= set(dir(value)) - set(dir(type(value)))
    for attribute in sorted(names):
        try:
            held = getattr(value, attribute, None)
        except Exception:  # noqa: BLE001 - a __getattr__ that fails: not followed
            continue
        at = f'{path}.{attribute}'
        items = annotate.item_kinds(held) if isinstance(held, (list, tuple)) else None
        if items is not None and items and all(_object_kind(item) for item in held):
            kinds.setdefault(at + ITEMS, len(items))
            for index, item in enumerate(held):
                kinds.setdefault(f'{at}[{index}]', _object_kind(item))
                _attribute_kinds(f'{at}[{index}]', item, kinds, depth - 1)
            continue
        kind = _object_kind(held)
        if kind is not None:
            kinds.setdefault(at, kind)
            _attribute_kinds(at, held, kinds, depth - 1)


def _container_kinds(path: str, value: Any, kinds: dict[str, Any], depth: int) -> bool:
    """The kinds of the objects a library's container (``backends.container_items``: a
    PyTorch ``ModuleList``, ``Sequential`` or ``ModuleDict``) at ``path`` holds, under
    their paths (``MODEL.layers[0]``, ``MODEL.heads['a']``) and, for a sequence, its
    length (``MODEL.layers[*]``): its own methods (``Sequential.forward``) and the code
    holding it loop over it or index it. False for anything else."""
    items = backends.container_items(value)
    if items is None:
        return False
    entries = enumerate(items) if isinstance(items, list) else items.items()
    if isinstance(items, list):
        kinds.setdefault(path + ITEMS, len(items))
    elif all(_object_kind(item) is not None for item in items.values()):
        kinds.setdefault(path + KEYS, tuple(items))  # for loops over its values()
    for key, item in entries:
        kind = _object_kind(item)
        if kind is not None:
            at = f'{path}[{key!r}]'
            kinds.setdefault(at, kind)
            # A container's items are as deep as the container (self.blocks[0].heads is
            # two attributes down); a container in a container is one step further.
            nested = backends.container_items(item) is not None
            _attribute_kinds(at, item, kinds, depth - 1 if nested else depth)
    return True


def _object_kind(value: Any) -> Any:
    """``annotate.static_kind``, or the class of an object that is called as a function
    (a library's callable object, a PyTorch module); None for data."""
    kind = annotate.static_kind(value)
    if kind is None and not isinstance(value, type) and callable(value) and \
            annotate.python_call_method(type(value)) is not None:
        kind = type(value)
    return kind


def _calls_items(body: list[gast.stmt], item: str) -> bool:
    """The body of ``for layer in LAYERS:`` that calls ``layer`` or its methods (reading
    attributes of the items works in a loop: a long list of records is not unrolled)."""
    array_names = _array_names()
    for statement in body:
        for node in anno.walk(statement):
            if isinstance(node, gast.Call) and (
                    isinstance(node.func, gast.Name) and node.func.id == item or
                    isinstance(node.func, gast.Attribute) and
                    isinstance(node.func.value, gast.Name) and node.func.value.id == item
                    and node.func.attr not in array_names):
                return True
    return False


def _root_name(node: gast.expr) -> str | None:
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def unroll_loops_over_items(fdef: gast.FunctionDef, param_types: dict[str, Any],
                            fn: Any = None) -> None:
    """``for layer in layers: x = layer.forward(x)`` as one copy of the body per item
    (``x = layers[0].forward(x)``, ``x = layers[1].forward(x)``), when the number and
    classes of the items are known (``param_types['layers[*]']`` and
    ``param_types['layers[0]']``...): the items may be of different classes. So are
    ``for i, layer in enumerate(layers)`` (each copy starting with ``i = 0``, ``i = 1``...)
    and ``for layer, norm in zip(layers, norms)``, when ``fn`` (the function ``fdef``
    is) gives ``enumerate`` and ``zip`` their builtin meaning; and ``for head in
    heads.values()`` or ``for name, head in heads.items()`` over a mapping whose keys
    are known (``param_types['heads[:]']``), through ``heads['mean']``...

    Runs before resolution, which then resolves each copy's calls by its item's class.
    Loops with ``break``, ``continue``, an ``else`` or a body that rebinds an item
    are left as they are.
    """
    # None: a sequence whose items are not known (not a list): its loop stays.
    counts = {path[:-len(ITEMS)]: count for path, count in param_types.items()
              if path.endswith(ITEMS) and count is not None}
    keys = {path[:-len(KEYS)]: names for path, names in param_types.items()
            if path.endswith(KEYS) and names is not None}
    if not counts and not keys:
        return
    means = _looked_up_as(fdef, fn) if fn is not None else lambda node, builtin: False

    class Unroller(transformers.NodeTransformer):
        def visit_For(self, node):
            self.generic_visit(node)
            loop = item_loop(node, means)
            known = keys if loop is not None and loop.keyed else counts
            if loop is None or node.orelse or any(path not in known
                                                  for path, _ in loop.sequences):
                return node
            index_name, sequences = loop.index, loop.sequences
            items = {item for _, item in sequences}
            inner = [n for statement in node.body for n in anno.walk(statement)]
            if any(isinstance(n, (gast.Break, gast.Continue)) for n in inner) or any(
                    isinstance(n, gast.Name) and n.id in items and
                    not isinstance(n, gast.Load) and not isinstance(n.ctx, gast.Load)
                    for n in inner):
                return node
            if loop.keyed:
                places = list(keys[sequences[0][0]])
            else:  # zip stops at the shortest
                places = list(range(min(counts[path] for path, _ in sequences)))
            unrolled = []
            for place in places:
                body = copy.deepcopy(node.body)
                for statement in body:
                    for path, item in sequences:
                        _ItemSubstitution(item, f'{path}[{place!r}]').visit(statement)
                if index_name is not None:
                    body.insert(0, gast.copy_location(
                        _assignment(index_name, gast.Constant(value=place, kind=None)), node))
                unrolled += body
            if places:  # the loop variables keep the last items, as in Python
                unrolled += [gast.copy_location(_assignment(
                    item, path_expression(f'{path}[{places[-1]!r}]')), node)
                    for path, item in sequences]
            return unrolled or [gast.copy_location(gast.Pass(), node)]

    Unroller().visit(fdef)


def _assignment(name: str, value: gast.expr) -> gast.Assign:
    return gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                          type_comment=None)],
                       value=value, type_comment=None)


class _ItemSubstitution(transformers.NodeTransformer):
    """Reads of the loop variable as reads of the item (``layers[0]``)."""

    def __init__(self, item: str, path: str):
        self.item = item
        self.path = path

    def visit_Name(self, node):
        if node.id == self.item and isinstance(node.ctx, gast.Load):
            return gast.copy_location(path_expression(self.path), node)
        return node


class Desugarer(transformers.NodeTransformer):
    """Rewrites array methods and wrapper-module references into the library's calls."""

    def __init__(self, free: dict[str, Any], namer: Namer):
        self.free = free
        self.namer = namer
        self.tables = backends.array_methods_for(free)
        self._module_names: dict[int, str] = {}

    def module_name(self, table: backends.ArrayMethods) -> str:
        """The name generated code reaches ``table.module`` by."""
        if id(table.module) not in self._module_names:
            existing = [n for n, value in self.free.items() if value is table.module]
            if existing:
                name = existing[0]
            else:
                name = self.namer.fresh(table.module_alias)
                self.free[name] = table.module
            self._module_names[id(table.module)] = name
        return self._module_names[id(table.module)]

    def reference(self, func: Any, table: backends.ArrayMethods) -> gast.expr:
        """An expression naming ``func``, a function of ``table``'s library."""
        root = table.module.__name__
        module = getattr(func, '__module__', '') or ''
        path = module.split('.')[1:] if module.split('.')[0] == root else []
        node: gast.expr = gast.Name(id=self.module_name(table), ctx=gast.Load(),
                                    annotation=None, type_comment=None)
        anno.set(node, Key.FUNC, table.module)
        owner: Any = table.module
        for attr in path + [func.__name__]:
            owner = getattr(owner, attr, None)
            node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
            anno.set(node, Key.FUNC, owner)
        if owner is not func:  # not reachable from the library's namespace: bind it directly
            bound = self.namer.fresh(func.__name__)
            self.free[bound] = func
            node = gast.Name(id=bound, ctx=gast.Load(), annotation=None, type_comment=None)
            anno.set(node, Key.FUNC, func)
        return node

    def visit_Name(self, node):
        return self._unwrapped(node)

    def visit_Attribute(self, node):
        replaced = self._unwrapped(node)
        if replaced is not node:
            return replaced
        self.generic_visit(node)
        if isinstance(node.ctx, gast.Load) and not anno.has(node, Key.FUNC):
            for table in self.tables:
                if node.attr in table.attributes:
                    return self._call(table.attributes[node.attr], table, [node.value], [],
                                      node)
        return node

    def visit_Call(self, node):
        through = self._through_helper(node)
        if through is not None:
            return through
        rewritten = self._as_library_call(node)
        if rewritten is not None:
            return rewritten
        func = node.func
        if not (isinstance(func, gast.Attribute) and
                (not anno.has(func, Key.FUNC) or self._bound_to_an_array(func))):
            self.generic_visit(node)
            return node
        method = func.attr
        receiver = self.visit(func.value)
        args = [self.visit(arg) for arg in node.args]
        keywords = [self.visit(keyword) for keyword in node.keywords]
        for table in self.tables:
            if method in table.methods:
                return self._call(table.methods[method], table, [receiver] + args, keywords,
                                  node)
            if method in table.shape_methods:
                if len(args) > 1:
                    args = [gast.Tuple(elts=args, ctx=gast.Load())]
                return self._call(table.shape_methods[method], table, [receiver] + args,
                                  keywords, node)
            if method == 'astype' and table.astype is not None and len(args) == 1:
                dtype = gast.keyword(arg='dtype', value=args[0])
                return self._call(table.astype, table, [receiver], [dtype] + keywords, node)
        func.value = receiver
        node.args, node.keywords = args, keywords
        return node

    def _bound_to_an_array(self, func: gast.Attribute) -> bool:
        """Whether ``func`` is a method of an array the code reads as a constant (a
        global ``X`` in ``X.dot(w)``): its call means the library function, whose
        rule differentiates the other arguments."""
        receiver = getattr(anno.get(func, Key.FUNC), '__self__', None)
        library = type(receiver).__module__.partition('.')[0]
        return any(table.module is not None and library == table.module.__name__ and
                   func.attr in table.names() for table in self.tables)

    def _call(self, func, table, args, keywords, original) -> gast.Call:
        call = gast.Call(func=self.reference(func, table), args=args, keywords=keywords)
        return gast.copy_location(call, original)

    def _through_helper(self, node):
        """``p(a, k=c)`` -> ``helper(p, ('k',), a, c)`` for a function differentiated by
        its library's own rules (an autograd primitive without a tangent rule)."""
        value = anno.get(node.func, Key.FUNC)
        if value is None or any(isinstance(arg, gast.Starred) for arg in node.args) or \
                any(keyword.arg is None for keyword in node.keywords):
            return None
        for table in self.tables:
            helper = table.call_helper(value) if table.call_helper is not None else None
            if helper is not None:
                names = gast.Tuple(elts=[gast.Constant(value=keyword.arg, kind=None)
                                         for keyword in node.keywords], ctx=gast.Load())
                values = [self.visit(arg) for arg in node.args] + \
                    [self.visit(keyword.value) for keyword in node.keywords]
                call = gast.Call(func=self.reference(helper, table),
                                 args=[node.func, names] + values, keywords=[])
                return gast.copy_location(call, node)
        return None

    def _as_library_call(self, node):
        """``np.add.reduce(a, 1)`` -> ``np.sum(a, axis=1)``: a call of a callable that
        means a library function with another signature (``ArrayMethods.library_call``)."""
        value = anno.get(node.func, Key.FUNC)
        if value is None or not node.args or any(
                isinstance(arg, gast.Starred) for arg in node.args) or any(
                keyword.arg is None for keyword in node.keywords):
            return None
        for table in self.tables:
            meaning = table.library_call(value) if table.library_call is not None else None
            if meaning is None or len(node.args) - 1 > len(meaning.positional):
                continue
            arguments = dict(zip(meaning.positional, node.args[1:]))
            arguments.update((keyword.arg, keyword.value) for keyword in node.keywords)
            literals = {name: _literal(written) for name, written in arguments.items()}
            for name, default in meaning.dropped.items():
                if name in literals and type(literals[name]) is type(default) and \
                        literals[name] == default:
                    del arguments[name], literals[name]
            if not meaning.accepts(literals):
                return None
            keywords = [gast.keyword(arg=name, value=self.visit(written))
                        for name, written in arguments.items()]
            keywords += [gast.keyword(arg=name, value=gast.Constant(value=value, kind=None))
                         for name, value in meaning.defaults.items() if name not in arguments]
            return self._call(meaning.function, table, [self.visit(node.args[0])], keywords,
                              node)
        return None

    def _unwrapped(self, node):
        """``anp.sum`` (autograd's wrapper) -> ``np.sum``, the function it wraps."""
        if not isinstance(node.ctx, gast.Load):
            return node
        value = anno.get(node, Key.FUNC)
        for table in self.tables:
            if table.call_helper is not None and table.call_helper(value) is not None:
                return node  # differentiated by its library's rules, not the wrapped one's
            wrapped = table.wrapped(value) if table.wrapped is not None else None
            if wrapped is not None:
                return gast.copy_location(self.reference(wrapped, table), node)
        return node


class _NotALiteral:
    """An argument written as an expression, not a literal."""


def _literal(node: gast.expr) -> Any:
    """The value of a literal argument (``1``, ``-1``, ``None``, ``(0, 1)``), else an
    opaque object."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and \
            isinstance(node.operand, gast.Constant) and \
            isinstance(node.operand.value, (int, float)):
        return -node.operand.value
    if isinstance(node, gast.Tuple):
        items = [_literal(item) for item in node.elts]
        if not any(isinstance(item, _NotALiteral) for item in items):
            return tuple(items)
    return _NotALiteral()


def desugar(fdef: gast.FunctionDef, free: dict[str, Any], namer: Namer) -> gast.FunctionDef:
    """Rewrite array methods and wrapper-module calls in ``fdef`` (updates ``free``)."""
    Desugarer(free, namer).visit(fdef)
    return fdef




def calls_through_super(fdef: gast.FunctionDef, fn: Any, param_types: dict[str, Any],
                        free: dict[str, Any]) -> None:
    """``super().m(a)`` in a method whose receiver's class is known (``self`` typed in
    ``param_types``) as a call of the method it reaches, ``Base.m(self, a)``, through a
    free name: the method is then copied in like any other.

    Requires: resolution (``Key.FUNC`` on ``super``). Runs on every function read.
    """
    if not fdef.args.args:
        return
    receiver = fdef.args.args[0].id
    cls = param_types.get(receiver)
    if not isinstance(cls, type):
        return
    defining = next((klass for klass in cls.__mro__
                     if _unwrapped(vars(klass).get(fn.__name__)) is fn), None)
    if defining is None:
        return
    after = cls.__mro__[cls.__mro__.index(defining) + 1:]
    taken = set(free) | names_in(fdef)
    for node in anno.walk(fdef):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and
                _is_super_call(node.func.value)):
            continue
        method = next((vars(klass)[node.func.attr] for klass in after
                       if node.func.attr in vars(klass)), None)
        if isinstance(method, types.FunctionType):
            node.args = [_name(receiver)] + node.args  # Base.m(self, a)
        elif isinstance(method, staticmethod):
            method = method.__func__
        else:
            continue  # a property, a class method, nothing: left to fail clearly
        bound = _fresh(f'{_unwrapped(method).__name__}_of_{defining.__name__}', taken)
        free[bound] = method
        node.func = gast.copy_location(_name(bound, method), node.func)


def _unwrapped(value: Any) -> Any:
    return value.__func__ if isinstance(value, (staticmethod, classmethod)) else value


def _is_super_call(node: gast.expr) -> bool:
    """``super()`` (or ``super(Class, self)``, which means the same in a method)."""
    return isinstance(node, gast.Call) and anno.get(node.func, Key.FUNC, None) is super


def calls_of_callables(fdef: gast.FunctionDef, free: dict[str, Any],
                       param_types: dict[str, Any] | None = None) -> None:
    """Rewrite calls that hand a function to another or that build sequences into
    the code they stand for, so that each remaining call has a rule or a source:

    - ``map(f, xs)`` is ``[f(x) for x in xs]`` (``[f(x, y) for x, y in zip(xs, ys)]``;
      a lambda's body is written in place);
    - ``functools.partial(f, a, k=v)(x)`` is ``f(a, x, k=v)``; a local
      ``g = functools.partial(f, a)`` called as ``g(x)`` keeps the values it binds in
      a tuple and calls ``f``; a partial passed in (known when the derivative is
      written for it, ``annotate.CalledValue``) is called as ``f(g.args[0], x,
      k=g.keywords['k'])``, its values read when the derivative runs;
    - ``list(xs)`` and ``tuple(xs)`` are the displays ``[*xs]`` and ``(*xs,)``;
      ``dict(a=x, b=y)`` is ``{'a': x, 'b': y}`` and ``dict(zip(ks, vs))`` (pairs from
      ``zip``, a display or a comprehension) is ``{k: v for k, v in zip(ks, vs)}``
      (also through the wrappers that stand for them, ``autograd.builtins``);
    - ``zip(*pairs)`` is ``tangent.unzipped(pairs)``;
    - ``functools.reduce(f, xs[, initial])`` is ``tangent.reduced(f, xs)`` (or
      ``reduced_from``), ``d.get(k, default)`` is ``tangent.dict_get(d, k, default)``
      and ``sorted(xs, key=k)`` is ``tangent.sorted_items(xs, key=k)``: plain Python,
      copied in and differentiated from its source;
    - ``max(*xs)`` and ``min(*xs)`` of a name are ``max(xs[0] if len(xs) == 1 else xs)``;
    - ``g(*pair)``, with ``pair`` a list or tuple display assigned once and never
      changed, is ``g(pair[0], pair[1])``, so that the rule of ``g`` sees each value.

    Requires: resolution (``Key.FUNC`` on globals and called values). Runs on every
    function read, before inlining.
    """
    taken = set(free) | names_in(fdef)
    _spread_known_displays(fdef)
    params = {arg.id for arg in fdef.args.args + fdef.args.kwonlyargs}
    _CallRewriter(free, taken, params, param_types or {}).visit(fdef)
    _inline_local_partials(fdef, taken)


def _spread_known_displays(fdef: gast.FunctionDef) -> None:
    stores: dict[str, int] = {}
    changed = set()
    displays = []  # name = [a, b] or (a, b)
    spread = False  # some call spreads a name: g(*pair)
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and \
                isinstance(node.value, gast.Name) and (
                    not isinstance(node.ctx, gast.Load) or isinstance(node, gast.Attribute)):
            changed.add(node.value.id)  # x[i] = v, x.append(v): the length may change
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            changed.add(node.target.id)
        elif isinstance(node, gast.Assign) and isinstance(node.value, (gast.List, gast.Tuple)):
            displays.append(node)
        elif isinstance(node, gast.Starred) and isinstance(node.value, gast.Name):
            spread = True
    if not (displays and spread):
        return
    lengths = {node.targets[0].id: len(node.value.elts) for node in displays
               if len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)
               and stores.get(node.targets[0].id) == 1 and node.targets[0].id not in changed
               and not any(isinstance(e, gast.Starred) for e in node.value.elts)}
    if not lengths:
        return
    for call in anno.walk(fdef):
        if isinstance(call, gast.Call) and any(
                isinstance(a, gast.Starred) and isinstance(a.value, gast.Name)
                and a.value.id in lengths for a in call.args):
            call.args = [item for arg in call.args for item in (
                [gast.Subscript(value=_name(arg.value.id), slice=gast.Constant(i, None),
                                ctx=gast.Load()) for i in range(lengths[arg.value.id])]
                if isinstance(arg, gast.Starred) and isinstance(arg.value, gast.Name)
                and arg.value.id in lengths else [arg])]


def _fresh(base: str, taken: set[str]) -> str:
    candidate, count = base, 0
    while candidate in taken:
        count += 1
        candidate = f'{base}_{count}'
    taken.add(candidate)
    return candidate


def _name(identifier: str, value: Any = None, store: bool = False) -> gast.Name:
    node = gast.Name(id=identifier, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)
    if value is not None:
        anno.set(node, Key.FUNC, value)
    return node


def _is_dict_get(call: gast.Call, params: set[str], param_types: dict[str, Any]) -> bool:
    """``d.get(key)`` or ``d.get(key, default)``, ``d`` a dict: a global or closure dict,
    an argument (or a path from one) known to be a dict, or a local variable."""
    func = call.func
    if not (isinstance(func, gast.Attribute) and func.attr == 'get' and
            len(call.args) in (1, 2) and _plain(call, 1)):
        return False
    method = anno.get(func, Key.FUNC, None)
    if method is not None:
        return isinstance(getattr(method, '__self__', None), dict)
    path = dotted_path(func.value)
    if path is not None and path_root(path) in params:  # its class is known per call
        return isinstance(param_types.get(path), type) and issubclass(param_types[path], dict)
    return anno.get(func.value, Key.FUNC, None) is None


def _is_pairs(node: gast.expr) -> bool:
    """An expression that is a sequence of key-value pairs, never a mapping:
    ``zip(keys, values)``, a list or tuple display, a comprehension."""
    if isinstance(node, (gast.List, gast.Tuple, gast.ListComp, gast.GeneratorExp)):
        return True
    return isinstance(node, gast.Call) and annotate_callee(node) is zip


def _keywords_only(call: gast.Call) -> bool:
    """A call with named keyword arguments only: ``dict(a=x, b=y)``, ``dict()``."""
    return not call.args and all(keyword.arg is not None for keyword in call.keywords)


def _plain(call: gast.Call, least: int) -> bool:
    """A call with at least ``least`` positional arguments, none starred, no keywords."""
    return len(call.args) >= least and not call.keywords and not any(
        isinstance(arg, gast.Starred) for arg in call.args)


def _is_partial_call(node: gast.AST) -> bool:
    return isinstance(node, gast.Call) and annotate_callee(node) is functools.partial and \
        node.args and not any(isinstance(a, gast.Starred) for a in node.args) and \
        all(k.arg is not None for k in node.keywords)


def annotate_callee(call: gast.Call) -> Any:
    """The function ``call`` runs; a wrapper as what it stands for, so that
    ``autograd.builtins.tuple(xs)`` is rewritten as ``tuple(xs)`` is."""
    value = anno.get(call.func, Key.FUNC, None)
    target = None if value is None else backends.stands_for(value)
    return value if target is None else target


class _CallRewriter(transformers.NodeTransformer):

    def __init__(self, free: dict[str, Any], taken: set[str], params: set[str],
                 param_types: dict[str, Any]):
        self.free = free
        self.taken = taken
        self.params = params  # their classes are known only in param_types
        self.param_types = param_types

    def bind(self, base: str, value: Any) -> gast.Name:
        """A free name for ``value`` in the generated code."""
        existing = next((n for n, v in self.free.items() if v is value), None)
        identifier = existing or _fresh(base, self.taken)
        self.free[identifier] = value
        return _name(identifier, value)

    def visit_Call(self, node):
        self.generic_visit(node)
        callee = annotate_callee(node)
        if callee is map and _plain(node, 2):
            return gast.copy_location(self.mapped(node.args[0], node.args[1:]), node)
        if callee in (list, tuple) and _plain(node, 1) and len(node.args) == 1:
            items = node.args[0]
            if isinstance(items, (gast.ListComp, gast.GeneratorExp)):
                items = gast.ListComp(elt=items.elt, generators=items.generators)
                if callee is list:
                    return gast.copy_location(items, node)
            starred = gast.Starred(value=items, ctx=gast.Load())
            display = gast.List if callee is list else gast.Tuple
            return gast.copy_location(display(elts=[starred], ctx=gast.Load()), node)
        if callee is dict and _plain(node, 1) and len(node.args) == 1 and \
                _is_pairs(node.args[0]):
            return gast.copy_location(self.dict_of_pairs(node.args[0]), node)
        if callee is dict and _keywords_only(node):
            display = gast.Dict(keys=[gast.Constant(value=k.arg, kind=None)
                                      for k in node.keywords],
                                values=[k.value for k in node.keywords])
            return gast.copy_location(display, node)
        if _is_dict_get(node, self.params, self.param_types):
            helper = self.runtime_reference('dict_get')
            return gast.copy_location(gast.Call(func=helper, args=[node.func.value] + node.args,
                                                keywords=[]), node)
        if callee is sorted and len(node.args) == 1 and \
                not isinstance(node.args[0], gast.Starred) and \
                all(k.arg in ('key', 'reverse') for k in node.keywords):
            helper = self.runtime_reference('sorted_items')
            return gast.copy_location(
                gast.Call(func=helper, args=node.args, keywords=node.keywords), node)
        if callee is functools.reduce and _plain(node, 2) and len(node.args) in (2, 3):
            helper = self.runtime_reference('reduced' if len(node.args) == 2 else 'reduced_from')
            return gast.copy_location(gast.Call(func=helper, args=node.args, keywords=[]), node)
        if callee is zip and len(node.args) == 1 and not node.keywords and \
                isinstance(node.args[0], gast.Starred):
            helper = self.runtime_reference('unzipped')
            return gast.copy_location(
                gast.Call(func=helper, args=[node.args[0].value], keywords=[]), node)
        if callee in (max, min) and len(node.args) == 1 and \
                isinstance(node.args[0], gast.Starred) and \
                isinstance(node.args[0].value, gast.Name):
            # max(*xs) compares xs's items, but max(*[v]) is max(v): v's own items.
            items = node.args[0].value.id
            only = gast.Compare(left=gast.Call(func=self.bind('len', len),
                                               args=[_name(items)], keywords=[]),
                                ops=[gast.Eq()], comparators=[gast.Constant(1, None)])
            first = gast.Subscript(value=_name(items), slice=gast.Constant(0, None),
                                   ctx=gast.Load())
            node.args = [gast.IfExp(test=only, body=first, orelse=_name(items))]
            return node
        if _is_partial_call(node.func):  # functools.partial(f, a)(x)
            partial = node.func
            node.func = partial.args[0]
            node.args = partial.args[1:] + node.args
            given = {k.arg for k in node.keywords}
            node.keywords = [k for k in partial.keywords if k.arg not in given] + node.keywords
            return self.visit_Call(node)
        if isinstance(callee, functools.partial) and annotate.is_called_value(callee) and \
                dotted_path(node.func) is not None:  # a partial passed in
            return self.partial_value(node, callee)
        return node

    def partial_value(self, node: gast.Call, partial: functools.partial) -> gast.Call:
        path = dotted_path(node.func)

        def bound(attribute, key):
            return gast.Subscript(
                value=gast.Attribute(value=path_expression(path), attr=attribute,
                                     ctx=gast.Load()),
                slice=gast.Constant(key, None), ctx=gast.Load())
        given = {k.arg for k in node.keywords}
        node.func = self.bind(getattr(partial.func, '__name__', 'partial_function'),
                              partial.func)
        node.args = [bound('args', index) for index in range(len(partial.args))] + node.args
        node.keywords = [gast.keyword(arg=k, value=bound('keywords', k))
                         for k in partial.keywords if k not in given] + node.keywords
        return self.visit_Call(node)

    def dict_of_pairs(self, pairs: gast.expr) -> gast.DictComp:
        """``dict(pairs)`` as ``{k: v for k, v in pairs}``."""
        key, value = _fresh('key', self.taken), _fresh('value', self.taken)
        target = gast.Tuple(elts=[_name(key, store=True), _name(value, store=True)],
                            ctx=gast.Store())
        return gast.DictComp(key=_name(key), value=_name(value), generators=[
            gast.comprehension(target=target, iter=pairs, ifs=[], is_async=0)])

    def mapped(self, function: gast.expr, sequences: list) -> gast.ListComp:
        if isinstance(function, gast.Lambda) and not function.args.vararg and \
                not function.args.kwonlyargs and not function.args.kwarg and \
                not function.args.defaults and len(function.args.args) == len(sequences):
            names = [_fresh(a.id, self.taken) for a in function.args.args]
            renames = dict(zip([a.id for a in function.args.args], names))
            element = _Renamer(renames).visit(function.body)
        else:
            names = [_fresh('item', self.taken) for _ in sequences]
            element = gast.Call(func=function, args=[_name(n) for n in names], keywords=[])
        if len(sequences) == 1:
            target, iterable = _name(names[0], store=True), sequences[0]
        else:
            target = gast.Tuple(elts=[_name(n, store=True) for n in names], ctx=gast.Store())
            iterable = gast.Call(func=self.bind('zip', zip), args=list(sequences),
                                 keywords=[])
        return gast.ListComp(elt=element, generators=[gast.comprehension(
            target=target, iter=iterable, ifs=[], is_async=0)])

    def runtime_reference(self, helper_name: str) -> gast.Attribute:
        root = self.bind('tangent', runtime)
        node = gast.Attribute(value=root, attr=helper_name, ctx=gast.Load())
        anno.set(node, Key.FUNC, getattr(runtime, helper_name))
        return node


class _Renamer(transformers.NodeTransformer):
    def __init__(self, renames: dict[str, str]):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node


def _inline_local_partials(fdef: gast.FunctionDef, taken: set[str]) -> None:
    """``g = functools.partial(f, a, k=v)`` then ``g(x)``: ``g_bound = (a, v)`` and
    ``f(g_bound[0], x, k=g_bound[1])``, when ``g`` is assigned once and only called."""
    stores: dict[str, int] = {}
    candidates = []  # g = functools.partial(...)
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and _is_partial_call(node.value):
            candidates.append(node)
    partials = {node.targets[0].id: node for node in candidates
                if stores.get(node.targets[0].id) == 1}
    if not partials:
        return
    calls = {}
    for node in anno.walk(fdef):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id in partials:
            calls.setdefault(node.func.id, []).append(node)
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id in partials and not any(node is c.func for c in calls.get(node.id, ())):
            partials.pop(node.id)  # used as a value, not only called: left as it is
    for name, assignment in partials.items():
        partial = assignment.value
        bound = _fresh(f'{name}_bound', taken)
        values = partial.args[1:] + [k.value for k in partial.keywords]
        assignment.targets = [_name(bound, store=True)]
        assignment.value = gast.Tuple(elts=values, ctx=gast.Load())

        def item(index):
            return gast.Subscript(value=_name(bound), slice=gast.Constant(index, None),
                                  ctx=gast.Load())
        count = len(partial.args) - 1
        for call in calls.get(name, ()):
            given = {k.arg for k in call.keywords}
            call.func = copy.deepcopy(partial.args[0])
            _copy_annotations(partial.args[0], call.func)
            call.args = [item(i) for i in range(count)] + call.args
            call.keywords = [gast.keyword(arg=k.arg, value=item(count + i))
                             for i, k in enumerate(partial.keywords)
                             if k.arg not in given] + call.keywords


def _copy_annotations(source: gast.AST, target: gast.AST) -> None:
    for original, copied in zip(anno.walk(source), anno.walk(target)):
        if anno.has(original, Key.FUNC):
            anno.set(copied, Key.FUNC, anno.get(original, Key.FUNC))


def tape_lists_as_tape_calls(fdef: gast.FunctionDef, runtime_name: str) -> None:
    """In a derivative being differentiated again: its loops' tape lists as the tape.

    A derivative records a loop's values into lists, ``h_saved.append(h)`` and
    ``h = h_saved.pop()``. User code cannot pop (the fence rejects it) and the
    adjoint of an append pops without assigning, so a list popped into a
    variable is such a tape; its appends and pops become ``tangent.push`` and
    ``tangent.pop`` with the list as the stack, which later passes know.
    """
    def popped_list(value):
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                value.func.attr == 'pop' and isinstance(value.func.value, gast.Name) and \
                not value.args and not value.keywords:
            return value.func.value.id
        return None

    tapes = {popped_list(node.value) for node in anno.walk(fdef)
             if isinstance(node, gast.Assign)} - {None}
    if not tapes:
        return

    def tape_call(helper, args):
        func = gast.Attribute(value=gast.Name(id=runtime_name, ctx=gast.Load(), annotation=None,
                                              type_comment=None), attr=helper, ctx=gast.Load())
        return gast.Call(func=func, args=args, keywords=[])

    def op_id(tape):
        return gast.Constant(value=tape, kind=None)

    for node in anno.walk(fdef):
        if isinstance(node, gast.Assign) and popped_list(node.value) in tapes:
            tape = popped_list(node.value)
            node.value = tape_call('pop', [node.value.func.value, op_id(tape)])
        elif isinstance(node, gast.Expr) and isinstance(node.value, gast.Call) and \
                isinstance(node.value.func, gast.Attribute) and \
                node.value.func.attr == 'append' and \
                isinstance(node.value.func.value, gast.Name) and \
                node.value.func.value.id in tapes and len(node.value.args) == 1:
            call = node.value
            node.value = tape_call('push', [call.func.value, call.args[0],
                                            op_id(call.func.value.id)])

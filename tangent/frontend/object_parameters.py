"""Gradients with respect to objects: an object's differentiable attributes read as
items of a dict of them.

Requires: a function in normal form (``anf``) whose calls of the object's methods
and submodules are copied in (``inlining``), and, for each differentiated parameter
holding an object, the layout of that object (``parameter_layout``, read from the
object at the first call of each layout: ``param_types[name + PARAMETERS]``).

Guarantees: the derivative with respect to such a parameter is a dict from the
dotted path of each differentiable attribute (``'linear.weight'``, ``'w'``,
``'layers.0.bias'``) to its gradient. The function starts by reading those
attributes into a dict (``tangent.object_parameters``, at each call of the
derivative, so the values are the object's current ones), every read of one of
them (through methods, submodules, items and aliases: ``w = self.linear.weight``)
becomes an item of that dict, and the parameter is otherwise read through
``tangent.constant_object``: derivatives flow through the dict only, whose
gradient is the object's. A read the pass cannot follow to a path (an item by a
variable index, ``getattr`` with a computed name, the object handed to a function
it cannot see into, a loop over a list of layers) and any write into the object
raise ``ObjectGradientError``, naming the attribute and the way out: none is
left to pass as a constant, which would be a wrong gradient.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable, NamedTuple

import gast
import numpy as np

from tangent import backends, runtime
from tangent.errors import ObjectGradientError
from tangent.frontend import annotate
from tangent.syntax import annotations as anno, quoting
from tangent.syntax.annotations import Key
from tangent.syntax.naming import Namer

# 'self{parameters}': the layout of the object at the parameter 'self', a
# specialisation key (see parameter_layout).
PARAMETERS = '{parameters}'

# How deep the layout of a plain object follows the objects in its attributes.
MAX_DEPTH = 8
# How many objects reached again (shared, or a reference back) one path may go through.
SHARED_DEPTH = 2

# The values a walk tells apart by their types alone (the rest: objects, a library's).
_PLAIN_VALUES = (float, np.floating, np.ndarray, list, tuple, dict, bool, int, complex, str,
                 bytes, type(None))

_NOT_OBJECTS = (list, tuple, dict, set, frozenset, int, float, complex, str, bytes,
                np.ndarray, np.generic)


class Layout(NamedTuple):
    """What a derivative with respect to an object is written for (a specialisation key).

    Attributes:
      parameters: ``((path, key), ...)``: the dotted path of each differentiable
        attribute and the key of its gradient (the path, or for a value a PyTorch module
        holds under two paths, the first: the keys are its ``named_parameters``).
      computed: the paths of the attributes computed when they are read (properties)
        on the objects that hold parameters: what they read cannot be followed.
      walked: the paths of the plain objects, lists, tuples and dicts whose attributes
        or items were all listed (``known``): a read of another one of theirs (added
        while the function runs, or through more shared references than are followed)
        cannot be known not to be a parameter.
      known: the paths of those attributes and items (and of their classes' attributes).
    """

    parameters: tuple
    computed: tuple
    walked: tuple = ()
    known: tuple = ()


def parameter_layout(value: Any) -> Layout | None:
    """The differentiable attributes of ``value``; None for a value that is not an
    object (numbers, arrays, containers, functions).

    For an object of a backend's class (a PyTorch module) the backend lists them;
    otherwise they are the Python floats, float arrays and float tensors in its
    attributes, in lists, tuples and dicts there, and in the objects held there.
    """
    named = backends.parameters_of(value)
    if named is not None:
        pairs = _keyed_by_first_path(named)
        return Layout(pairs, _computed_attributes(value, pairs))
    if isinstance(value, _NOT_OBJECTS) or not annotate.is_instance_of_user_class(value) \
            or not hasattr(value, '__dict__'):
        return None
    walk = _Walk()
    walk.seen_at(value, '')
    walk.attributes(value, '', MAX_DEPTH)
    pairs, walked, known = walk.layout()
    return Layout(pairs, _computed_attributes(value, pairs), walked, known)


def _computed_attributes(root: Any, pairs: tuple) -> tuple:
    """The properties (and other descriptors computing a value) of the classes of
    ``root`` and of the objects on the way to its parameters, by path."""
    holders = {''} | {path.rsplit('.', count)[0] for path, _ in pairs
                      for count in range(1, path.count('.') + 1)}
    found = []
    for prefix in sorted(holders):
        try:
            holder = runtime.attribute_at(root, prefix) if prefix else root
        except (AttributeError, LookupError, TypeError, ValueError):
            continue
        found.extend(f'{prefix}.{name}' if prefix else name
                     for name in _computed_names(type(holder)))
    return tuple(found)


_NOT_COMPUTED = (types.FunctionType, staticmethod, classmethod, type,
                 types.MemberDescriptorType, types.GetSetDescriptorType,
                 types.MethodDescriptorType, types.WrapperDescriptorType,
                 types.ClassMethodDescriptorType, types.BuiltinFunctionType)


# The computed attributes of each class, with the sizes of the dicts of its classes
# (in method resolution order) they were read from: read again when one changes.
_computed_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _computed_names(cls: type) -> list[str]:
    return _class_attributes(cls)[0]


def _class_names(cls: type) -> list[str]:
    return _class_attributes(cls)[1]


def _class_attributes(cls: type) -> tuple[list[str], list[str]]:
    """The names of the computed attributes (properties) of ``cls`` and of all its
    attributes but ``object``'s and dunder names, read once per state of its classes."""
    sizes = tuple(len(vars(klass)) for klass in cls.__mro__)
    known = _computed_of.get(cls)
    if known is not None and known[0] == sizes:
        return known[1]
    computed: list[str] = []
    names: list[str] = []
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, member in vars(klass).items():
            if name.startswith('__') or name in names:
                continue
            names.append(name)
            if not isinstance(member, _NOT_COMPUTED) and hasattr(type(member), '__get__'):
                computed.append(name)
    try:
        _computed_of[cls] = (sizes, (computed, names))
    except TypeError:  # a class without weak references: read each time
        pass
    return computed, names


def _keyed_by_first_path(named: dict) -> tuple:
    first: dict[int, str] = {}
    return tuple((path, first.setdefault(id(held), path)) for path, held in named.items())


class _Walk:
    """The differentiable attributes of a plain object, found by walking its attributes.

    An array or an object reached by two paths is one value: the paths through the
    second lead to the keys of the first (a shared layer's weights are one key).
    """

    def __init__(self):
        self.pairs: list[tuple[str, str]] = []
        self.walked: dict[str, None] = {}  # ordered sets: see Layout
        self.known: dict[str, None] = {}
        self.first_path: dict[int, str] = {}  # id of an array or object: where it was seen
        self.revisits: list[tuple[str, str]] = []  # (path, first path) of shared objects
        self.kept: list = []  # the values whose ids first_path holds

    def seen_at(self, value: Any, path: str) -> str | None:
        first = self.first_path.get(id(value))
        if first is None:
            self.first_path[id(value)] = path
            self.kept.append(value)
        return first

    def layout(self) -> tuple[tuple, tuple, tuple]:
        """(parameters, walked, known) of ``Layout``, with the paths through shared
        objects: ``self.b.v`` where ``self.b`` is ``self.a``, and through references
        back (``self.parent``), up to SHARED_DEPTH of them on one path."""
        pairs, walked, known = dict(self.pairs), dict(self.walked), dict(self.known)
        for _ in range(SHARED_DEPTH):
            grown = False
            for path, first in self.revisits:
                start = f'{first}.' if first else ''
                for table in (pairs, walked, known):
                    for own, value in list(table.items()):
                        moved = f'{path}.{own[len(start):]}' if own != first else path
                        if (own == first or own.startswith(start)) and moved not in table:
                            table[moved] = value
                            grown = True
            if not grown:
                break
        return tuple(pairs.items()), tuple(walked), tuple(known)

    def attributes(self, obj: Any, prefix: str, depth: int) -> None:
        self.walked[prefix[:-1]] = None
        for name in _class_names(type(obj)):
            # The class's attributes are constants of the class (methods, settings);
            # one holding differentiable values is not known: reading into it raises.
            if not _holds_floats(getattr(type(obj), name, None)):
                self.known[f'{prefix}{name}'] = None
        for attribute, held in vars(obj).items():
            if isinstance(attribute, str) and not attribute.startswith('__'):
                self.value(held, f'{prefix}{attribute}', depth)

    def value(self, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, _PLAIN_VALUES):
            self.other(value, path, depth)
            return
        self.known[path] = None
        if type(value) is float or isinstance(value, np.floating):
            self.pairs.append((path, path))
        elif isinstance(value, np.ndarray):
            if value.dtype.kind == 'f':
                self.pairs.append((path, self.seen_at(value, path) or path))
        elif isinstance(value, (list, tuple)):
            self.walked[path] = None
            for index, item in enumerate(value):
                self.value(item, f'{path}.{index}', depth)
        elif isinstance(value, dict):
            self.walked[path] = None
            for key, item in value.items():
                if isinstance(key, str) and key and '.' not in key:
                    self.value(item, f'{path}.{key}', depth)
                elif _holds_floats(item):
                    raise ObjectGradientError(
                        f'the dict attribute {path} holds a differentiable value under the '
                        f'key {key!r}, which cannot be part of a dotted path: use string '
                        f'keys without dots, or pass the dict as an argument instead of '
                        f'the object')

    def other(self, value: Any, path: str, depth: int) -> None:
        named = backends.parameters_of(value)
        if named is None and annotate.is_instance_of_user_class(value) and \
                hasattr(value, '__dict__'):
            self.user_object(value, path, depth)
            return
        self.known[path] = None
        if named is not None:  # a PyTorch module held by a plain object
            self.pairs.extend((f'{path}.{name}', f'{path}.{key}')
                              for name, key in _keyed_by_first_path(named))
            return
        is_float = backends.is_float_value(value)
        if is_float is not None:
            if is_float:
                self.pairs.append((path, self.seen_at(value, path) or path))
            return
        if backends.owner_of(value) is not None and hasattr(value, 'dtype'):
            raise ObjectGradientError(
                f'the attribute {path} holds a {type(value).__name__}, a value of a library '
                f'whose backend cannot say whether it is differentiable: pass it as an '
                f'argument instead of the object')

    def user_object(self, value: Any, path: str, depth: int) -> None:
        """An object of a user's class: its attributes are walked, once (a path
        reaching it again leads to the same keys)."""
        first = self.seen_at(value, path)
        if first is not None:
            self.revisits.append((path, first))
        elif depth:
            self.known[path] = None
            self.attributes(value, f'{path}.', depth - 1)
        elif _holds_floats(vars(value)):
            raise ObjectGradientError(
                f'the attribute {path} is an object nested more than {MAX_DEPTH} objects '
                f'deep that holds differentiable values: pass them as an argument')
        else:
            self.known[path] = None


def _holds_floats(value: Any) -> bool:
    if value is None or isinstance(value, (types.FunctionType, type, staticmethod,
                                           classmethod, property, str, int)):
        return False
    walk = _Walk()
    walk.value(value, 'item', 1)
    return bool(walk.pairs)


def objects_in(param_types: dict[str, Any], names: list[str]) -> dict[str, Layout]:
    """The layout of each parameter in ``names`` that holds an object."""
    return {name: param_types[name + PARAMETERS] for name in names
            if param_types.get(name + PARAMETERS) is not None}


_BLOCKS = ('body', 'orelse', 'finalbody', 'handlers', 'cases')


class _Holder:
    """Where a variable of the rewritten function reaches into a differentiated object."""

    def __init__(self, parameter: str, path: str):
        self.parameter = parameter
        self.path = path  # dotted, from the parameter ('' for the parameter itself)

    def at(self, step: Any) -> _Holder:
        return _Holder(self.parameter, f'{self.path}.{step}' if self.path else str(step))

    def shown(self) -> str:
        return f'{self.parameter}.{self.path}' if self.path else self.parameter


def read_through_parameters(fdef: gast.FunctionDef, objects: dict[str, Layout],
                            free: dict[str, Any], namer: Namer, function_name: str,
                            place_of: Callable[[gast.stmt], Any]) -> None:
    """Rewrite ``fdef`` (normal form) so that the differentiated parameters in
    ``objects`` (name: layout) pass derivatives through a dict of their differentiable
    attributes only; raise ``ObjectGradientError`` for a read or write of them it
    cannot follow."""
    runtime_name = next((name for name, value in free.items() if value is runtime), None)
    if runtime_name is None:
        runtime_name = namer.fresh('tangent')
        free[runtime_name] = runtime
    stores = _store_counts(fdef)
    for stmt in anno.statements(fdef):
        for node in anno.walk(stmt) if isinstance(stmt, gast.stmt) else ():
            if isinstance(node, gast.Call) and \
                    annotate.callee(node) in (runtime.object_parameters,
                                              runtime.constant_object):
                raise ObjectGradientError(
                    f'{function_name} reads an object through tangent.object_parameters '
                    f'(it is a derivative with respect to that object) and uses it as an '
                    f'object besides: differentiate the derivative itself again '
                    f'(tangent.vjp(derivative)), or pass the parameters as a dict '
                    f'(dict(model.named_parameters())) and differentiate with respect to it')
    prologue = []
    holders: dict[str, _Holder] = {}
    dicts: dict[str, tuple[str, dict]] = {}
    for parameter, layout in objects.items():
        if stores.get(parameter):
            raise ObjectGradientError(
                f'{function_name} assigns to {parameter}, the object it is differentiated '
                f'with respect to: use another variable name')
        constant = namer.fresh(f'{parameter}_object')
        parameters = namer.fresh(f'{parameter}_parameters')
        _rename_reads(fdef, parameter, constant)
        keys = tuple(dict.fromkeys(key for _, key in layout.parameters))
        prologue.append(_assign(constant, _runtime_call(runtime_name, runtime.constant_object,
                                                       [_name(parameter)])))
        prologue.append(_assign(parameters, _read_parameters(runtime_name, parameter, keys)))
        # When no attribute reaches the result, the gradient is still a dict (of zeros).
        argument = next(a for a in fdef.args.args if a.id == parameter)
        anno.set(argument, Key.ZERO_GRADIENT_OF, _read_parameters(runtime_name, parameter,
                                                                  keys))
        holders[constant] = _Holder(parameter, '')
        dicts[parameter] = (parameters, dict(layout.parameters))
    rewriter = _Rewriter(holders, dicts, stores, function_name, place_of, objects)
    rewriter.follow_aliases(fdef)
    rewriter.rewrite(fdef)
    fdef.body = prologue + fdef.body


def _read_parameters(runtime_name: str, parameter: str, keys: tuple) -> gast.Call:
    """``tangent.object_parameters(parameter, keys)``."""
    return _runtime_call(runtime_name, runtime.object_parameters, [
        _name(parameter), gast.Tuple(elts=[gast.Constant(value=key, kind=None) for key in keys],
                                     ctx=gast.Load())])


def _store_counts(fdef: gast.FunctionDef) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    for argument in fdef.args.args + fdef.args.kwonlyargs:  # parameters are not stores
        counts[argument.id] = counts.get(argument.id, 1) - 1
    return counts


def _rename_reads(fdef: gast.FunctionDef, old: str, new: str) -> None:
    for statement in fdef.body:
        for node in anno.walk(statement):
            if isinstance(node, gast.Name) and node.id == old and \
                    isinstance(node.ctx, gast.Load):
                node.id = new


def _name(identifier: str, store: bool = False) -> gast.Name:
    return gast.Name(id=identifier, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def _assign(target: str, value: gast.expr) -> gast.Assign:
    return gast.Assign(targets=[_name(target, store=True)], value=value, type_comment=None)


def _runtime_call(runtime_name: str, helper: Callable, args: list) -> gast.Call:
    root = _name(runtime_name)
    anno.set(root, Key.FUNC, runtime)
    function = gast.Attribute(value=root, attr=helper.__name__, ctx=gast.Load())
    anno.set(function, Key.FUNC, helper)
    return gast.Call(func=function, args=args, keywords=[])


def _step(node: gast.expr) -> Any:
    """The path step of ``x.name`` or ``x[constant]``; None for ``x[i]``."""
    if isinstance(node, gast.Attribute):
        return node.attr
    if isinstance(node.slice, gast.Constant) and type(node.slice.value) in (int, str):
        return node.slice.value
    return None


class _Rewriter:
    """Follows the variables that reach into the objects and rewrites their reads."""

    def __init__(self, holders: dict[str, _Holder], dicts: dict[str, tuple[str, dict]],
                 stores: dict[str, int], function_name: str, place_of: Callable,
                 objects: dict[str, Layout]):
        self.computed = {parameter: set(layout.computed) for parameter, layout in
                         objects.items()}  # parameter: the paths of its properties
        self.walked = {parameter: set(layout.walked) for parameter, layout in objects.items()}
        self.known = {parameter: set(layout.known) for parameter, layout in objects.items()}
        self.holders = holders
        self.dicts = dicts  # parameter: (its dict's variable, {path: key})
        self.stores = stores
        self.function_name = function_name
        self.place_of = place_of
        self.prefixes = {parameter: {path.rsplit('.', i)[0] for path in paths
                                     for i in range(1, path.count('.') + 1)} | {''}
                         for parameter, (_, paths) in dicts.items()}

    def kind(self, holder: _Holder) -> str:
        """'parameter', 'holder' (something under it is one) or 'constant'."""
        if holder.path in self.dicts[holder.parameter][1]:
            return 'parameter'
        return 'holder' if holder.path in self.prefixes[holder.parameter] else 'constant'

    def reach(self, node: gast.expr) -> _Holder | None:
        """Where ``node`` (a variable, or an attribute or constant item of one) reaches."""
        if isinstance(node, gast.Name):
            return self.holders.get(node.id)
        if isinstance(node, (gast.Attribute, gast.Subscript)) and \
                isinstance(node.value, gast.Name) and node.value.id in self.holders:
            step = _step(node)
            return None if step is None else self.holders[node.value.id].at(step)
        return None

    def follow_aliases(self, fdef: gast.FunctionDef) -> None:
        """Variables assigned once from the object, an attribute or a constant item of
        it: ``forward_self = self.linear`` (a method copied in), ``layer = self.layers[0]``."""
        assignments = [node for node in anno.statements(fdef) if isinstance(node, gast.Assign)
                       and isinstance(node.targets[0], gast.Name)
                       and self.stores.get(node.targets[0].id) == 1]
        changed = True
        while changed:
            changed = False
            for node in assignments:
                target = node.targets[0].id
                if target in self.holders:
                    continue
                reached = self.reach(node.value)
                if reached is not None and self.kind(reached) != 'parameter':
                    self.holders[target] = reached
                    changed = True

    def rewrite(self, fdef: gast.FunctionDef) -> None:
        for stmt in anno.statements(fdef):
            if not isinstance(stmt, gast.stmt) or stmt is fdef:
                continue
            self.statement = stmt
            self.visit(stmt, None, None)

    def visit(self, node: gast.AST, parent: gast.AST | None,
              grandparent: gast.AST | None) -> None:
        """Checks each use of a variable reaching into an object, and rewrites the reads
        of its differentiable attributes, depth first (a statement's own expressions,
        not those of the statements in its blocks)."""
        for field, value in gast.iter_fields(node):
            if field in _BLOCKS:
                continue
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if not isinstance(child, gast.AST):
                    continue
                replacement = self.parameter_read(child)
                if replacement is not None:
                    if isinstance(value, list):
                        value[index] = replacement
                    else:
                        setattr(node, field, replacement)
                    continue
                self.visit(child, node, parent)
        if isinstance(node, gast.Name) and node.id in self.holders and \
                isinstance(node.ctx, gast.Load):
            self.check_use(node, parent, grandparent)

    def parameter_read(self, node: gast.AST) -> gast.expr | None:
        """``self.linear.weight`` (through its variables) as ``self_parameters[key]``."""
        if not isinstance(node, (gast.Attribute, gast.Subscript)):
            return None
        reached = self.reach(node)
        if reached is None or self.kind(reached) != 'parameter':
            return None
        if not isinstance(node.ctx, gast.Load):
            self.refuse(f'writes {reached.shown()}', 'leave the object unchanged in the '
                        'differentiated function')
        variable, keys = self.dicts[reached.parameter]
        item = gast.Subscript(value=_name(variable),
                              slice=gast.Constant(value=keys[reached.path], kind=None),
                              ctx=gast.Load())
        return gast.copy_location(item, node)

    def check_use(self, node: gast.Name, parent: gast.AST,
                  grandparent: gast.AST | None) -> None:
        holder = self.holders[node.id]
        if isinstance(parent, (gast.Attribute, gast.Subscript)) and parent.value is node:
            reached = self.reach(parent)
            step = _step(parent)
            if self.kind(holder) == 'holder' and (
                    isinstance(step, int) and step < 0 or
                    isinstance(step, str) and step.startswith('__')):
                reached = None  # self.layers[-1], self.__dict__: another path to a parameter
            if not isinstance(parent.ctx, gast.Load):
                self.refuse(f'writes {holder.shown()}' + (
                    f'.{step}' if isinstance(parent, gast.Attribute) else '[...]'),
                    'leave the object unchanged in the differentiated function (keep '
                    'counters and caches outside it)')
            if reached is None:
                if self.kind(holder) == 'holder':
                    shown = f'{holder.shown()}[{quoting.to_source(parent.slice).strip()}]' \
                    if isinstance(parent, gast.Subscript) else f'{holder.shown()}.{step}'
                self.refuse(f'reads {shown} (in {holder.shown()}, which holds parameters) '
                            f'by an index or name it cannot follow',
                                'index it with a constant, counted from the start '
                                '(self.layers[0]), or pass that list as an argument')
                return
            if self.unknown(holder, reached):
                self.refuse(f'reads {reached.shown()}, which tangent did not find among the '
                            f'attributes of {holder.shown()} when it read them (one the '
                            f'function adds, or reached through more than {SHARED_DEPTH} '
                            f'shared objects or references back)',
                            'set it before the function runs, and read it by a shorter path')
            if reached.path in self.computed[reached.parameter] and \
                    self.kind(reached) != 'parameter':
                self.refuse(f'reads {reached.shown()}, which is computed when it is read (a '
                            f'property)', 'compute it in a method and call that '
                            f'({reached.shown()}() rather than a property)')
            if isinstance(grandparent, gast.Call) and grandparent.func is parent and \
                    self.kind(holder) == 'holder' and \
                    not annotate.is_non_differentiable_call(grandparent):
                self.refuse(f'calls {reached.shown()}, a method of {holder.shown()} (which '
                            f'holds parameters) that is not copied into the derivative',
                            'call a method written in Python, or read the parameters '
                            'directly')
            if self.kind(reached) != 'holder' or self.assigns_alias(parent):
                return
            self.refuse(f'reads {reached.shown()}, which holds parameters, in a way tangent '
                        f'cannot follow', 'assign it to a variable once, then read its '
                        'attributes')
        if self.kind(holder) != 'holder':
            return  # holds no parameter: the object's constants, read as they are
        if isinstance(parent, gast.Assign) and parent.value is node and \
                self.assigns_alias(node):
            return
        if isinstance(parent, gast.Compare):
            return
        if isinstance(parent, gast.Call) and node is not parent.func:
            callee = annotate.callee(parent)
            if callee is getattr:
                self.refuse(f'reads an attribute of {holder.shown()} through getattr',
                            'name the attribute in the code (self.weight, or a constant '
                            'getattr(self, "weight") written as self.weight)')
            if annotate.is_non_differentiable_call(parent):
                return
            self.refuse(f'passes {holder.shown()}, which holds parameters, to '
                        f'{quoting.to_source(parent.func).strip()}',
                        'call a function tangent can read (it is then copied in), or pass '
                        'the arrays themselves')
        if isinstance(parent, gast.Call):
            self.refuse(f'calls {holder.shown()}, whose code tangent cannot read',
                        'call a module or method written in Python')
        if isinstance(parent, (gast.For, gast.comprehension)):
            self.refuse(f'loops over {holder.shown()}, which holds parameters',
                        'index its items with constants (self.layers[0])')
        self.refuse(f'uses {holder.shown()}, which holds parameters, as a value',
                    'read its attributes where they are used')

    def unknown(self, base: _Holder, reached: _Holder) -> bool:
        """Whether ``reached``, a step from ``base`` that is no parameter, may hold one
        all the same: a plain object's attributes were all listed, and only those listed
        (or those of a value listed as holding none) are known not to."""
        walked, known = self.walked[base.parameter], self.known[base.parameter]
        if '' not in walked or self.kind(reached) != 'constant':
            return False  # a backend's object (its parameters are all listed), or no step
        if base.path in walked:
            return reached.path not in known
        return base.path not in known

    def assigns_alias(self, value: gast.expr) -> bool:
        stmt = self.statement
        return isinstance(stmt, gast.Assign) and stmt.value is value and \
            isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in self.holders

    def refuse(self, what: str, way_out: str) -> None:
        place = self.place_of(self.statement)
        where = f' at {place[0]}:{place[1]}' if place else ''
        raise ObjectGradientError(
            f'{self.function_name}, differentiated with respect to an object, {what}{where}: '
            f'tangent cannot follow that to a differentiable attribute, and reading it as '
            f'a constant would give a wrong gradient. Instead, {way_out}; or pass the '
            f'parameters as a dict argument (dict(model.named_parameters())).')

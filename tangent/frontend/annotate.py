"""Resolution and activity analysis.

``resolve`` marks every Name and attribute chain that refers to a global, a
closure variable or a builtin with the live object it means (``Key.FUNC``),
so later passes know that ``np.sum`` is ``numpy.sum`` whatever the module
calls NumPy. It returns the free names the function reads, which become the
generated code's globals.

``activity`` finds the active variables of a normalised function: those that
depend on a differentiated argument (varied) and that the result depends on
(useful). Only active variables get adjoints or tangents.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import operator
import types
import weakref
from typing import Any, Callable

import gast

from tangent import backends, runtime
from tangent.errors import TangentParseError, UNRESOLVED_CALLEE, callable_name
from tangent.frontend import decorators
from tangent.rules import non_differentiable
from tangent.syntax import annotations as anno, quoting, threadsafe_ast
from tangent.syntax.annotations import Key

_MISSING = object()

BINARY_OPERATORS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
    gast.LShift: operator.lshift, gast.RShift: operator.rshift,
}
UNARY_OPERATORS = {
    gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
    gast.Invert: operator.invert,
}

# Attributes of arrays that are numbers about the array, not values in it.
NON_DIFFERENTIABLE_ATTRIBUTES = {'shape', 'ndim', 'size', 'dtype', 'itemsize', 'nbytes'}


def operator_of(node: gast.AST) -> Callable | None:
    """The ``operator`` function a BinOp or UnaryOp node performs."""
    if isinstance(node, gast.BinOp):
        return BINARY_OPERATORS.get(type(node.op))
    if isinstance(node, gast.UnaryOp):
        return UNARY_OPERATORS.get(type(node.op))
    return None


def operation_of(node: gast.AST) -> tuple[Callable | None, list[gast.expr]]:
    """The function a BinOp or UnaryOp performs and its operands."""
    if isinstance(node, gast.BinOp):
        return operator_of(node), [node.left, node.right]
    return operator_of(node), [node.operand]


def is_square(node: gast.AST) -> bool:
    """``x * x``: a product of a variable with itself."""
    return (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)
            and isinstance(node.left, gast.Name) and isinstance(node.right, gast.Name)
            and node.left.id == node.right.id)


def local_names(fdef: gast.FunctionDef) -> set[str]:
    """Parameters and every name the function assigns."""
    return _assigned_and_local_names(fdef)[1]


def _assigned_and_local_names(fdef: gast.FunctionDef) -> tuple[set[str], set[str]]:
    """The names the function assigns, and those with its parameters (``local_names``),
    in one walk."""
    assigned, parameters = set(), set()
    for node in anno.walk(fdef):
        if isinstance(node, gast.Name):
            if isinstance(node.ctx, gast.Store):
                assigned.add(node.id)
            elif isinstance(node.ctx, gast.Param):
                parameters.add(node.id)
    names = {arg.id for arg in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    for extra in (fdef.args.vararg, fdef.args.kwarg):
        if extra is not None:
            names.add(extra.id)
    return assigned, names | assigned | parameters


def free_values(fn: Callable) -> dict[str, Any]:
    """The values of ``fn``'s closure variables, by name."""
    code = getattr(fn, '__code__', None)
    closure = getattr(fn, '__closure__', None) or ()
    values = {}
    if code is not None:
        for var, cell in zip(code.co_freevars, closure):
            try:
                values[var] = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not bound yet
                pass
    return values


def lookup(fn: Callable, name: str) -> Any:
    """What ``name`` means inside ``fn`` when it is not local: closure, global, builtin."""
    closure = free_values(fn)
    if name in closure:
        return closure[name]
    globals_ = getattr(fn, '__globals__', {})
    if name in globals_:
        return globals_[name]
    return getattr(builtins, name, _MISSING)


def resolve(fdef: gast.FunctionDef, fn: Callable,
            param_types: dict[str, type] | None = None) -> dict[str, Any]:
    """Annotate non-local names and attribute chains with their live values.

    Args:
      fdef: the parsed function.
      fn: the live function (its globals, closure and builtins give the values).
      param_types: known classes of parameters (``self`` of a bound method) and of
        attributes of them (``'self.encoder'``): a call ``p.method(...)`` on such a
        receiver resolves to the class's function, with the receiver's path
        recorded (``Key.RECEIVER``).

    Returns:
      The free names the function reads and their values.
    """
    assigned, locals_ = _assigned_and_local_names(fdef)
    free: dict[str, Any] = {}
    typed = {p: t for p, t in (param_types or {}).items() if path_root(p) not in assigned}
    values = {p: t.value for p, t in typed.items() if isinstance(t, CalledValue)}
    typed = {p: t for p, t in typed.items() if isinstance(t, type)}
    for node in anno.walk(fdef):
        if isinstance(node, (gast.Name, gast.Subscript, gast.Attribute)) and \
                isinstance(node.ctx, gast.Load) and dotted_path(node) in values:
            anno.set(node, Key.FUNC, values[dotted_path(node)])  # act(x), act=np.tanh
        elif isinstance(node, gast.Attribute) and dotted_path(node.value) in typed:
            cls = typed[dotted_path(node.value)]
            declared = inspect.getattr_static(cls, node.attr, None)
            method = getattr(cls, node.attr, None)
            if isinstance(declared, staticmethod):  # no receiver: a plain function
                anno.set(node, Key.FUNC, method)
            elif isinstance(declared, classmethod):  # bound to the class already
                anno.set(node, Key.FUNC, method)
            elif isinstance(method, types.FunctionType):
                anno.set(node, Key.FUNC, method)
                anno.set(node, Key.RECEIVER, dotted_path(node.value))
            elif callable(declared) and not hasattr(declared, '__get__'):
                anno.set(node, Key.FUNC, declared)  # act = np.tanh: not bound to self
            elif declared is None and not anno.has(node, Key.FUNC):
                anno.set(node, Key.UNRESOLVED, instance_attribute_advice(
                    dotted_path(node), cls, node.attr))
        elif isinstance(node, gast.Call) and dotted_path(node.func) in typed:
            # model(x) is type(model).__call__(model, x)
            call_method = python_call_method(typed[dotted_path(node.func)])
            if call_method is not None:
                anno.set(node.func, Key.FUNC, call_method)
                anno.set(node.func, Key.RECEIVER, dotted_path(node.func))

    # A loop, not a recursive inner function: that would be a reference cycle
    # holding ``fn`` until the garbage collector runs, and with it fn's cache entry.
    def resolve_expr(node: gast.AST) -> Any:
        attributes = []
        while isinstance(node, gast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, gast.Name) or node.id in locals_:
            return _MISSING
        value = lookup(fn, node.id)
        if value is _MISSING:
            return _MISSING
        free[node.id] = value
        for attribute in reversed(attributes):
            value = getattr(value, attribute, _MISSING)
            if value is _MISSING:
                return _MISSING
        return value

    for node in anno.walk(fdef):
        if isinstance(node, (gast.Name, gast.Attribute)) and isinstance(node.ctx, gast.Load) \
                and not anno.has(node, Key.FUNC):
            value = resolve_expr(node)
            if value is not _MISSING:
                anno.set(node, Key.FUNC, value)
    return free


def call_target(call: gast.Call) -> tuple[Any, list]:
    """The function a call runs and its positional arguments, the receiver first.

    ``model.forward(x)`` (a global ``model``) is ``Model.forward(model, x)``;
    ``self.step(x)`` with ``self`` typed is ``Class.step(self, x)``; a callable
    instance ``model(x)`` is ``Model.__call__(model, x)``. A ``functools.wraps``
    wrapper is the function it runs (``decorators.undecorated``).
    """
    function, args = _call_target(call)
    return decorators.undecorated(function), args


def _call_target(call: gast.Call) -> tuple[Any, list]:
    func = decorators.undecorated(callee(call))
    args = list(call.args)
    receiver = anno.get(call.func, Key.RECEIVER)
    if receiver is not None:
        return func, [path_expression(receiver)] + args
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType) \
            and isinstance(call.func, gast.Attribute):
        receiver = call.func.value
        if isinstance(func.__self__, type) and anno.get(receiver, Key.FUNC) is not func.__self__:
            # A classmethod called through an instance receives the instance's class.
            type_name = gast.Name(id='type', ctx=gast.Load(), annotation=None, type_comment=None)
            anno.set(type_name, Key.FUNC, type)
            receiver = gast.Call(func=type_name, args=[receiver], keywords=[])
        return func.__func__, [receiver] + args
    call_method = python_call_method(type(func))
    if (func is not None and not isinstance(func, (type, types.FunctionType,
                                                   types.BuiltinFunctionType))
            and call_method is not None):
        return call_method, [call.func] + args
    return func, args


def python_call_method(cls: type) -> types.FunctionType | None:
    """The ``__call__`` a class defines in Python (found through its bases), or what a
    backend says calling it runs (a PyTorch module's ``forward``); None otherwise."""
    method = backends.instance_call(cls) if isinstance(cls, type) else None
    if method is None:
        method = next((base.__dict__['__call__'] for base in cls.__mro__
                       if '__call__' in base.__dict__), None)
    return method if isinstance(method, types.FunctionType) else None


def call_arguments(call: gast.Call) -> list[gast.expr]:
    """A call's positional arguments, with the receiver of a method resolved on a
    typed parameter first (``p.read_value()`` passes ``p``)."""
    receiver = anno.get(call.func, Key.RECEIVER)
    if receiver is None:
        return list(call.args)
    return [path_expression(receiver)] + list(call.args)


def dotted_path(node: gast.expr) -> str | None:
    """``'self.encoder'`` for the expression ``self.encoder``, ``"params['act']"`` for
    ``params['act']`` (names, attributes and subscripts by a constant number or
    string), else None."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = dotted_path(node.value)
        return None if base is None else f'{base}.{node.attr}'
    if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant) and \
            type(node.slice.value) in (int, str):
        base = dotted_path(node.value)
        return None if base is None else f'{base}[{node.slice.value!r}]'
    return None


ITEMS = '[*]'  # 'layers[*]': the items of the sequence at the path 'layers'
KEYS = '[:]'  # 'heads[:]': the keys of the mapping of objects at the path 'heads'


def path_root(path: str) -> str:
    """The parameter a path starts from: ``'layers'`` for ``'layers[0].w'``."""
    return path.split('.')[0].split('[')[0]


@functools.lru_cache(maxsize=1024)  # read at every call of a derivative specialised on paths
def path_steps(path: str) -> tuple[tuple[str, Any], ...]:
    """The steps after the root: ``(('attr', 'layers'), ('item', 0))`` for
    ``'self.layers[0]'``."""
    steps = []
    node = path_expression(path)
    while not isinstance(node, gast.Name):
        if isinstance(node, gast.Attribute):
            steps.append(('attr', node.attr))
        else:
            steps.append(('item', node.slice.value))
        node = node.value
    return tuple(steps[::-1])


def path_expression(path: str) -> gast.expr:
    """The expression ``self.encoder`` for the path ``'self.encoder'`` (which
    ``dotted_path`` wrote)."""
    with threadsafe_ast.LOCK:  # as every parse: two at once corrupt the interpreter's state
        return gast.parse(path, mode='eval').body


def follow(value: Any, path: str) -> Any:
    """The value at ``path`` from ``value``, the path's root (None if it is not there)."""
    for kind, step in path_steps(path):
        try:
            value = getattr(value, step) if kind == 'attr' else value[step]
        except (AttributeError, LookupError, TypeError):
            return None
    return value


def kind_of(value: Any) -> Any:
    """What decides the meaning of code calling ``value`` or its methods: its class,
    or for a function (``act=np.tanh``, a lambda, a partial) the function itself."""
    if is_called_value(value):
        return CalledValue(value)
    return type(value)


def item_kinds(items: Any) -> tuple | None:
    """``kind_of`` each item of a list or tuple, or of a library's sequence of objects
    (a PyTorch ``ModuleList``: ``backends.container_items``); None for anything else."""
    if not isinstance(items, (list, tuple)):
        items = backends.container_items(items)
        if not isinstance(items, list):
            return None
    return tuple(kind_of(item) for item in items)


def keyed_item_kinds(items: Any) -> tuple | None:
    """``(key, kind_of(item))`` for each entry of a library's mapping of objects (a
    PyTorch ``ModuleDict``: ``backends.container_items``), in order; None for anything
    else."""
    entries = backends.container_items(items)
    if not isinstance(entries, dict):
        return None
    return tuple((key, kind_of(item)) for key, item in entries.items())


class CalledValue:
    """What a parameter holds when the code calls it (``act(x)``, ``params['act'](x)``)
    and its value, not its class, decides what the call means: a function, a
    ``functools.partial`` or a library callable. Equal for values that mean the
    same code (two lambdas of one source, closure values and defaults alike). A
    Python function is held weakly, so a derivative's cache key does not keep it alive.
    """

    def __init__(self, value: Any):
        self.key = called_value_key(value)
        try:
            self._reference = weakref.ref(value)
        except TypeError:  # builtins and ufuncs live as long as their module
            self._reference = lambda: value

    @property
    def value(self) -> Any:
        return self._reference()

    def __eq__(self, other):
        return isinstance(other, CalledValue) and other.key == self.key

    def __hash__(self):
        return hash(self.key)

    def __lt__(self, other):  # cache keys sort their items
        return repr(self) < repr(other)

    def __repr__(self):
        return f'CalledValue({getattr(self.value, "__qualname__", self.value)!r})'


def function_identity(fn: Callable) -> tuple:
    """What code a Python function runs: its code, the globals it reads (two modules
    may hold functions of equal code), its closure values and its default values (by
    identity)."""
    cells = []
    for cell in getattr(fn, '__closure__', None) or ():
        try:
            cells.append(id(cell.cell_contents))
        except ValueError:  # an empty cell
            cells.append(None)
    defaults = tuple(id(value) for value in fn.__defaults__ or ())
    keyword_defaults = tuple((name, id(value)) for name, value in
                             sorted((fn.__kwdefaults__ or {}).items()))
    return (fn.__code__, id(fn.__globals__), tuple(cells), defaults, keyword_defaults)


def called_value_key(value: Any) -> tuple:
    if isinstance(value, types.FunctionType):
        return ('function', function_identity(value))
    if isinstance(value, functools.partial):
        # The bound values are read from the partial when the derivative runs.
        return ('partial', called_value_key(value.func), len(value.args),
                tuple(sorted(value.keywords)))
    return ('object', id(value))


def is_called_value(value: Any) -> bool:
    """A callable whose identity, not its class, says what calling it computes."""
    if isinstance(value, (types.FunctionType, functools.partial)):
        return not isinstance(value, functools.partial) or is_called_value(value.func)
    if isinstance(value, (type, types.MethodType)) or is_instance_of_user_class(value):
        return False
    owner = getattr(value, '__self__', None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        return False  # a method of a value (params.items): the value's class decides
    # Library functions (np.tanh, math.sin, abs): what a rule or a backend knows.
    module = getattr(value, '__module__', None) or getattr(type(value), '__module__', '')
    return callable(value) and isinstance(module, str) and (
        module == 'builtins' or backends.owns_module(module) is not None
        or module.split('.')[0] in ('math', 'numpy', 'operator', '_operator'))


def active_parameters(function: types.FunctionType, args: list, keywords: list,
                      is_active: Callable[[gast.expr], bool], where: str) -> dict[int, gast.expr]:
    """The parameter positions of ``function`` that receive active values.

    ``args`` are the call's positional arguments (the receiver first for a
    method), ``keywords`` its keyword arguments. Returns ``{position: node}``.
    A starred argument (``g(x, *rest)``) hides the positions after it, so an
    active value there cannot be traced to a parameter.
    """
    code = function.__code__
    params = code.co_varnames[:code.co_argcount]
    # Keyword-only parameters are numbered after the positional ones.
    named = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    found: dict[int, gast.expr] = {}
    starred = False
    for position, arg in enumerate(args):
        if isinstance(arg, gast.Starred):
            starred = True
            if is_active(arg.value):
                raise TangentParseError(
                    f'{callable_name(function)} receives a differentiated value through '
                    f'*{quoting.to_source(arg.value)}, whose items tangent cannot match to '
                    f'parameters; pass the values one by one', *where)
        elif is_active(arg):
            if starred or position >= len(params):
                raise TangentParseError(
                    f'{callable_name(function)} receives a differentiated value after a '
                    f'*argument or into its *args; pass it to a named parameter', *where)
            found[position] = arg
    for keyword in keywords:
        if is_active(keyword.value):
            if keyword.arg not in named:
                raise TangentParseError(
                    f'{callable_name(function)} receives a differentiated value through '
                    f'**kwargs ({keyword.arg}=...); pass it to a named parameter', *where)
            found[named.index(keyword.arg)] = keyword.value
    return dict(sorted(found.items()))


def argument_types(function: types.FunctionType, args: list,
                   param_types: dict[str, type], keywords: list = ()) -> dict[str, type]:
    """Classes of ``function``'s parameters known at a call: user-class instances,
    and the functions it is given (``CalledValue``).

    An argument's class is known when it is a typed parameter of the caller
    or a global instance; the callee can then resolve ``p.method(...)``. A
    function is known when the argument names one (``np.tanh``, a global
    function) or the parameter is left to a default holding one.
    """
    code = function.__code__
    params = code.co_varnames[:code.co_argcount]
    named = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    bound = {}
    for param, arg in zip(params, args):
        if isinstance(arg, gast.Starred):
            break
        bound[param] = arg
    bound.update((k.arg, k.value) for k in keywords if k.arg in named)
    known = {}
    for param, arg in bound.items():
        if dotted_path(arg) in param_types:  # a typed parameter, or an attribute of one
            known[param] = param_types[dotted_path(arg)]
        else:
            kind = static_kind(anno.get(arg, Key.FUNC, None))
            if kind is not None:
                known[param] = kind
    if not any(isinstance(arg, gast.Starred) for arg in args) and \
            all(k.arg is not None for k in keywords):
        known.update(default_kinds(function, set(bound)))
    return known


def static_kind(value: Any) -> Any:
    """What decides the meaning of calls through ``value`` when it is known as the
    derivative is written: its class for an instance of a user class, the function
    itself (``CalledValue``) for a function; None for anything else."""
    if is_instance_of_user_class(value):
        return type(value)
    if value is not None and is_called_value(value):
        return CalledValue(value)
    return None


def default_kinds(function: types.FunctionType, bound: set[str]) -> dict[str, Any]:
    """``static_kind`` of the defaults of ``function``'s parameters not in ``bound``,
    the ones a call leaves to their defaults (``nonlinearity=np.tanh``)."""
    code = function.__code__
    params = code.co_varnames[:code.co_argcount]
    defaults = dict(zip(params[len(params) - len(function.__defaults__ or ()):],
                        function.__defaults__ or ()))
    defaults.update(function.__kwdefaults__ or {})
    kinds = {}
    for param, value in defaults.items():
        kind = static_kind(value) if param not in bound else None
        if kind is not None:
            kinds[param] = kind
    return kinds


def is_instance_of_user_class(value: Any) -> bool:
    """An object of a class defined in Python (not a module, function or builtin type)."""
    cls = type(value)
    return (not isinstance(value, (type, types.ModuleType, types.FunctionType,
                                   types.BuiltinFunctionType, types.MethodType))
            and getattr(cls, '__module__', 'builtins') != 'builtins'
            and isinstance(getattr(cls, '__dict__', None), types.MappingProxyType)
            and backends.owns_module(cls.__module__) is None)  # not an array library's


def unresolved_receiver(call: gast.Call) -> list[gast.expr]:
    """``[x]`` for a method call ``x.m(...)`` whose method is only known at run time."""
    func = call.func
    if isinstance(func, gast.Attribute) and not anno.has(func, Key.FUNC):
        return [func.value]
    return []


def instance_attribute_advice(path: str, cls: type, attribute: str) -> str:
    """Why ``self.act(x)`` has no known callee when ``act`` is set on the instance."""
    return (f'{path} is not defined on the class {cls.__qualname__}: it is set on the '
            f'instance (in __init__, for example), and tangent writes one derivative for '
            f'every instance of {cls.__qualname__}, so it cannot know which function an '
            f'instance holds in {attribute}. Define {attribute} on the class instead, as a '
            f'method (def {attribute}(self, x): ...) or a class attribute ({attribute} = '
            f'staticmethod(np.tanh)), or call the function through a global name. (An '
            f'object whose class defines __call__ may be set per instance: {path}(x) is '
            f'then differentiated through that class.)')


def unresolved_callee_advice(call: gast.Call) -> str:
    """What to tell the user about a call whose callee is only known at run time."""
    return anno.get(call.func, Key.UNRESOLVED, None) or UNRESOLVED_CALLEE


def callee(call: gast.Call) -> Any:
    """The live object a Call calls, or None when it is only known at run time."""
    return anno.get(call.func, Key.FUNC)


def activity(fdef: gast.FunctionDef, wrt: set[str],
             differentiable: Callable[[gast.expr], bool]) -> set[str]:
    """The variables of normalised ``fdef`` that carry derivatives of ``wrt``.

    Flow-insensitive: a variable is varied if any assignment to it reads a
    varied variable through a differentiable operation, useful if the result
    depends on it; active means both.

    Args:
      fdef: a function in normal form.
      wrt: names of the arguments derivatives are taken with respect to.
      differentiable: whether a right-hand side passes derivatives on.
    """
    edges: list[tuple[str, set[str]]] = []  # (target, names its value depends on)
    result = None
    for node in anno.statements(fdef):  # all it looks for are statements
        appended = list_append(node)
        if appended is not None:
            edges.append((appended[0], {appended[0]} | _read_names(appended[1])))
            continue
        tape = tape_operation(node)
        if tape is not None:
            kind, op_id, value = tape
            if kind == 'push':
                edges.append((tape_slot(op_id), _read_names(value)))
            elif kind == 'pop':
                edges.append((value, {tape_slot(op_id)}))
            else:  # add_at(target, index, value) adds value into target in place
                edges.append((value[0], {value[0]} | _read_names(value[1])))
            continue
        if isinstance(node, gast.Assign):
            target = node.targets[0]
            if isinstance(target, gast.Subscript):
                target_name = target.value.id
                sources = _read_names(node.value) | {target_name}
            else:
                target_name = target.id
                sources = _value_sources(node.value) if differentiable(node.value) else set()
            edges.append((target_name, sources))
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            edges.append((node.target.id, set()))
        elif isinstance(node, gast.Return):
            result = node.value.id
    # Reachability by worklists: one visit per edge, however long the chains.
    targets_of: dict[str, list[str]] = {}
    sources_of: dict[str, set[str]] = {}
    for target, sources in edges:
        for source in sources:
            targets_of.setdefault(source, []).append(target)
        sources_of.setdefault(target, set()).update(sources)
    varied = _reachable(set(wrt), targets_of)
    useful = _reachable({result} if result else set(), sources_of)
    return varied & useful


def _reachable(start: set[str], successors: dict[str, Any]) -> set[str]:
    reached = set(start)
    pending = list(start)
    while pending:
        for successor in successors.get(pending.pop(), ()):
            if successor not in reached:
                reached.add(successor)
                pending.append(successor)
    return reached


def list_append(node: gast.AST) -> tuple[str, gast.expr] | None:
    """``(list_name, value)`` for a statement ``list_name.append(value)``."""
    if not (isinstance(node, gast.Expr) and isinstance(node.value, gast.Call)):
        return None
    call = node.value
    func = call.func
    if (isinstance(func, gast.Attribute) and func.attr == 'append'
            and isinstance(func.value, gast.Name) and not anno.has(func, Key.FUNC)
            and len(call.args) == 1 and not call.keywords):
        return func.value.id, call.args[0]
    return None


def list_pop(node: gast.AST) -> str | None:
    """``list_name`` for a statement ``list_name.pop()``.

    Only derivatives tangent wrote hold one (the fence rejects ``pop`` in user
    code): the adjoint of ``l.append(v)`` pops ``l`` to restore it.
    """
    if not (isinstance(node, gast.Expr) and isinstance(node.value, gast.Call)):
        return None
    call = node.value
    func = call.func
    if (isinstance(func, gast.Attribute) and func.attr == 'pop'
            and isinstance(func.value, gast.Name) and not anno.has(func, Key.FUNC)
            and not call.args and not call.keywords):
        return func.value.id
    return None


def tape_slot(op_id: str) -> str:
    return f'<tape {op_id}>'  # not an identifier, so it cannot clash with a variable


def tape_operation(node: gast.AST) -> tuple | None:
    """Recognise the runtime's tape operations in (generated) code.

    Returns ('push', op_id, value_node), ('pop', op_id, target_name),
    ('add_at', None, (target_name, value_node)) for ``t = add_at(t, i, v)``, or None.
    """
    call, target = None, None
    if isinstance(node, gast.Expr) and isinstance(node.value, gast.Call):
        call = node.value
    elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Call) and \
            isinstance(node.targets[0], gast.Name):
        call, target = node.value, node.targets[0].id
    if call is None:
        return None
    func = callee(call)
    if func is None or not call.args:
        return None
    if func is runtime.push and target is None and len(call.args) == 3 and \
            isinstance(call.args[2], gast.Constant):
        return 'push', call.args[2].value, call.args[1]
    if func is runtime.pop and target is not None and len(call.args) == 2 and \
            isinstance(call.args[1], gast.Constant):
        return 'pop', call.args[1].value, target
    if func is runtime.add_at and len(call.args) == 3 and isinstance(call.args[0], gast.Name) \
            and target in (None, call.args[0].id):
        return 'add_at', None, (call.args[0].id, call.args[2])
    return None


# Runtime helpers that read some arguments only for their shape and dtype: the
# result does not depend on those arguments' values.
SHAPE_ONLY_ARGUMENTS = {
    runtime.unbroadcast: (1,), runtime.unreduce_like: (1,), runtime.astype: (1,),
    runtime.broadcast_like: (1,), runtime.init_grad: (0,), runtime.ones_like: (0,),
    runtime.shape_only: (0,),
}


def _value_sources(node: gast.AST) -> set[str]:
    """The variables whose values a right-hand side depends on."""
    if isinstance(node, gast.Call):
        shape_only = SHAPE_ONLY_ARGUMENTS.get(callee(node), ())
        if shape_only:
            read = set()
            for index, arg in enumerate(node.args):
                if index not in shape_only:
                    read |= _read_names(arg)
            for keyword in node.keywords:
                read |= _read_names(keyword.value)
            return read
    return _read_names(node)


def _read_names(node: gast.AST) -> set[str]:
    return {n.id for n in anno.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            and not anno.has(n, Key.FUNC)}


def is_non_differentiable_operation(node: gast.AST) -> bool:
    """An operator whose result never carries a derivative (``//``, ``|``, ``~``)."""
    func = operator_of(node)
    return func is not None and non_differentiable.is_non_differentiable(func)


def is_library_primitive(func: Any) -> bool:
    """Whether ``func`` belongs to a backend whose functions are ``primitives``: never
    read from source, so that one without a rule has no derivative."""
    backend = backends.owner_of(func)
    return backend is not None and backend.primitives


def is_non_differentiable_call(call: gast.Call) -> bool:
    """A call whose result never carries a derivative."""
    func = callee(call)
    return func is not None and non_differentiable.is_non_differentiable(func)

"""Derivatives declared once: element-wise and linear functions.

A declaration is a short function whose first parameter, ``g``, stands for an
incoming derivative, whose second stands for the call's result, and whose
others are the call's arguments (as in a template). Its body returns ``g``
carried through the derivative:

- ``elementwise``: ``g`` times the partial derivative of the result with
  respect to each differentiated argument (one expression per argument). The
  Jacobian of an element-wise function is diagonal, hence its own transpose,
  so the same expression is the adjoint (``g`` the result's gradient) and the
  tangent (``g`` the argument's tangent; the terms of several arguments add).
- ``linear``: the transpose of a function linear in one argument, applied to
  ``g``: the adjoint. The tangent is the function itself applied to the
  argument's tangent, the other arguments unchanged.

From one declaration this module writes both templates as source text and
compiles them (the text registered with ``linecache``, so ``inspect`` and
``parse_template`` read them as any template), for every function the
declaration names: ``np.sin`` and its twin ``math.sin`` share a
declaration, the twin's formula reading ``math.cos`` where the first reads
``np.cos``. The two modes cannot disagree, since they are one expression.

A declaration is checked when it is made; its templates are registered as
recipes (``Registry.register_recipe``) and written the first time a
derivative needs them, so that importing a backend compiles none.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import linecache
import textwrap
import threading
import types
from typing import Any, Callable, Sequence

from tangent import runtime
from tangent.errors import TemplateError
from tangent.rules import registry
from tangent.syntax import quoting

_MARKER = 'd'
# Every function given a derivative by a declaration, with its kind: for tests
# that check each declared derivative, and for readers of the registries.
_declared: dict[Any, str] = {}
_counter = itertools.count()
_counter_lock = threading.Lock()


def elementwise(*funcs: Any, wrt: str | Sequence[str] | None = None,
                broadcasts: bool | None = None, override: bool = False
                ) -> Callable[[Callable], Callable]:
    """Declare the partial derivatives of element-wise ``funcs`` once.

    The decorated function ``partial(g, result, *arguments)`` returns ``g``
    times the partial derivative with respect to each argument in ``wrt`` (a
    tuple when there are several). ``wrt`` defaults to the parameters without
    a default value. The first function's module name in the formula (``np``)
    reads as each twin's own (``math``).

    A function broadcasts its operands (``broadcasts``, by default when it
    has an ``nin`` of 2 or more, as NumPy's ufuncs) when an operand may be
    smaller than the result: its adjoint then sums the gradient back to the
    operand's shape, and a tangent term that cannot reach the result's shape
    by itself is broadcast to it.
    """
    def declare(partial: Callable) -> Callable:
        declaration = _Declaration(partial, funcs, wrt)
        for func in funcs:
            spreads = getattr(func, 'nin', 1) > 1 if broadcasts is None else broadcasts
            declaration.register(
                func, functools.partial(_elementwise_adjoint, declaration, func, spreads),
                functools.partial(_elementwise_tangent, declaration, func, spreads), override)
        return partial
    return declare


def linear(*funcs: Any, wrt: str | None = None, override: bool = False
           ) -> Callable[[Callable], Callable]:
    """Declare that ``funcs`` are linear in argument ``wrt`` (by default the first).

    The decorated function ``transpose(g, result, *arguments)`` returns the
    transpose of the map applied to ``g``: the gradient of the argument given
    the gradient ``g`` of the result. The tangent needs no declaration: it is
    the function applied to the argument's tangent, the other arguments as
    they were.
    """
    def declare(transpose: Callable) -> Callable:
        declaration = _Declaration(transpose, funcs, wrt, first_only=True)
        if len(declaration.wrt) != 1:
            raise TemplateError(
                f'The linear declaration {transpose.__name__} names one argument, '
                f'not {declaration.wrt}.')
        for func in funcs:
            declaration.register(func, functools.partial(_linear_adjoint, declaration, func),
                                 functools.partial(_linear_tangent, declaration, func),
                                 override)
        return transpose
    return declare


def declared_functions() -> dict[Any, str]:
    """The functions whose rules come from a declaration: ``'elementwise'`` or ``'linear'``
    (those whose rules were removed since are left out)."""
    return {func: kind for func, kind in list(_declared.items()) if func in registry.adjoints}


def declared_kind(func: Any) -> str | None:
    """``'elementwise'`` or ``'linear'`` when the rules of ``func`` come from a
    declaration still in force, else None."""
    try:
        kind = _declared.get(func)
    except TypeError:  # unhashable: never declared
        return None
    return kind if kind is not None and func in registry.adjoints else None


class _Declaration:
    """A declaration: its parameters (read when it is made), its formulas (read when
    a template is first needed: parsing every declaration would slow ``import``)."""

    def __init__(self, fn: Callable, funcs: Sequence[Any], wrt: str | Sequence[str] | None,
                 first_only: bool = False):
        if not funcs:
            raise TemplateError(f'The declaration {fn.__name__} names no function.')
        if not isinstance(fn, types.FunctionType):
            raise TemplateError(f'A declaration must be a plain function, got {fn!r}.')
        self.fn = fn
        self.first_only = first_only
        self.namespace = fn.__globals__
        code = fn.__code__
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        if code.co_argcount < 3 or code.co_flags & (inspect.CO_VARARGS |
                                                    inspect.CO_VARKEYWORDS):
            raise TemplateError(
                f'The declaration {fn.__name__} takes g, the result, then the '
                f'arguments of the call, one by one (no *args or **kwargs).')
        self.g, self.result, self.params = names[0], names[1], list(names[2:])
        if wrt is None:
            required = code.co_argcount - len(fn.__defaults__ or ())
            wrt = names[2:3 if first_only else required]
        self.wrt = [wrt] if isinstance(wrt, str) else list(wrt)
        unknown = [w for w in self.wrt if w not in self.params]
        if unknown or not self.wrt:
            raise TemplateError(
                f'The declaration {fn.__name__} differentiates {self.wrt}: name parameters '
                f'of it ({self.params}).')
        self.home = _module_alias(funcs[0], self.namespace)
        self._read_lock = threading.Lock()
        self._terms: list[ast.expr] | None = None

    def read(self) -> None:
        """Parse the declaration: the template signature and the returned expressions."""
        with self._read_lock:
            if self._terms is not None:
                return
            definition = _definition_of(self.fn)
            arguments = definition.args
            positional = arguments.posonlyargs + arguments.args
            # The template's signature: the declaration's, without g.
            self._signature = ast.arguments(
                posonlyargs=[], args=positional[1:], vararg=None,
                kwonlyargs=arguments.kwonlyargs, kw_defaults=arguments.kw_defaults,
                kwarg=None, defaults=arguments.defaults)
            terms = _returned(definition, self.fn.__name__)
            if len(terms) != len(self.wrt):
                raise TemplateError(
                    f'The declaration {self.fn.__name__} returns {len(terms)} expression(s) '
                    f'for {len(self.wrt)} argument(s) {self.wrt}: return one per '
                    f'differentiated argument.')
            self._terms = terms

    @property
    def terms(self) -> list[ast.expr]:
        self.read()
        return self._terms

    @property
    def signature(self) -> ast.arguments:
        self.read()
        return self._signature

    def formula(self, index: int, func: Any, g: ast.expr) -> ast.expr:
        """The ``index``-th returned expression, with ``g`` in place and ``func``'s names."""
        twin = _module_alias(func, self.namespace)
        return _Substitute(self.g, g, self.home, twin, self.namespace).visit(
            _copy(self.terms[index]))

    def ref(self, obj: Any) -> ast.expr:
        """An expression reaching ``obj`` from the declaration's module."""
        dotted = _dotted_name(obj, self.namespace)
        if dotted is None:
            raise TemplateError(
                f'The declaration {self.fn.__name__} needs {getattr(obj, "__name__", obj)} '
                f'by name: its module does not reach it (import the module that holds it).')
        first, *attributes = dotted.split('.')
        node: ast.expr = ast.Name(id=first, ctx=ast.Load())
        for attribute in attributes:
            node = ast.Attribute(value=node, attr=attribute, ctx=ast.Load())
        return node

    def register(self, func: Any, adjoint: Callable[[], list], tangent: Callable[[], list],
                 override: bool) -> None:
        """Register recipes for the templates of ``func``, whose bodies the callables write."""
        label = getattr(func, '__name__', self.fn.__name__)
        _declared[func] = 'linear' if self.first_only else 'elementwise'
        registry.adjoints.register_recipe(
            func, lambda: self._compile(adjoint(), 'adjoint', label), override=override)
        registry.tangents.register_recipe(
            func, lambda: self._compile(tangent(), 'tangent', label), override=override)

    def _compile(self, body: list[ast.stmt], kind: str, label: str) -> types.FunctionType:
        definition = ast.FunctionDef(name=self.fn.__name__, args=self.signature, body=body,
                                     decorator_list=[], returns=None, type_comment=None)
        if 'type_params' in ast.FunctionDef._fields:
            definition.type_params = []
        source = ast.unparse(ast.fix_missing_locations(ast.Module(body=[definition],
                                                                  type_ignores=[])))
        with _counter_lock:
            number = next(_counter)
        filename = f'{quoting.GENERATED_FILE_PREFIX}{kind} of {label} declared by ' \
                   f'{self.fn.__qualname__} #{number}>'
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        defined: dict[str, Any] = {}
        # The declaration's own globals: the template reads np, math, tangent as it does.
        exec(compile(source, filename, 'exec'), self.namespace, defined)  # noqa: S102
        template = defined[self.fn.__name__]
        # What the declaration does not differentiate: a linear function's other
        # arguments (axes, shapes, indices), and the arguments every call of an element-wise
        # one passes besides its wrt (a sign's): its derivative is zero in them. An
        # optional argument of an element-wise function (nan_to_num's nan=) is not.
        code = self.fn.__code__
        fixed = self.params if self.first_only else \
            self.params[:code.co_argcount - len(self.fn.__defaults__ or ()) - 2]
        setattr(template, registry.CONSTANT_PARAMETERS,
                frozenset(p for p in fixed if p not in self.wrt))
        return template


def _definition_of(fn: Callable) -> ast.FunctionDef:
    """The tree of ``fn``'s definition (``quoting`` reads only its own lines)."""
    return ast.parse(textwrap.dedent(quoting.get_source(fn))).body[0]


def _returned(definition: ast.FunctionDef, name: str) -> list[ast.expr]:
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        raise TemplateError(
            f'The declaration {name} must be one return statement: g carried through '
            f'the derivative.')
    value = body[0].value
    return list(value.elts) if isinstance(value, ast.Tuple) else [value]


def _marker(param: str) -> ast.expr:
    return ast.Subscript(value=ast.Name(id=_MARKER, ctx=ast.Load()),
                         slice=ast.Name(id=param, ctx=ast.Load()), ctx=ast.Load())


def _assign(param: str, value: ast.expr) -> ast.stmt:
    target = _marker(param)
    target.ctx = ast.Store()
    return ast.Assign(targets=[target], value=value, lineno=1)


def _call(func: ast.expr, args: list[ast.expr], keywords: Sequence[ast.keyword] = ()) -> ast.expr:
    return ast.Call(func=func, args=args, keywords=list(keywords))


def _elementwise_adjoint(declaration: _Declaration, func: Any, spreads: bool) -> list:
    statements = []
    for index, param in enumerate(declaration.wrt):
        value = declaration.formula(index, func, _marker(declaration.result))
        if spreads:
            value, factors = _own_factors(value, param)
            value = _call(declaration.ref(runtime.unbroadcast),
                          [value, ast.Name(id=param, ctx=ast.Load())])
            for op, factor in reversed(factors):
                value = ast.BinOp(left=value, op=op, right=factor)
        statements.append(_assign(param, value))
    return statements


def _own_factors(value: ast.expr, param: str) -> tuple[ast.expr, list]:
    """``value`` without its trailing factors and divisors that read ``param`` alone
    (``-g * z / y`` for ``y``: ``-g * z`` and ``[(Div, y)]``). Such a factor has the
    operand's shape, so it is constant along the axes the gradient is summed over:
    summing first and then applying it gives the same, on the operand's (smaller)
    shape rather than the result's."""
    factors = []
    while isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Div)) and \
            {n.id for n in ast.walk(value.right) if isinstance(n, ast.Name)} <= {param} and \
            not any(isinstance(n, ast.Call) for n in ast.walk(value.right)):
        factors.append((value.op, value.right))
        value = value.left
    return value, factors


def _elementwise_tangent(declaration: _Declaration, func: Any, spreads: bool) -> list:
    total, reads = None, set()
    for index, param in enumerate(declaration.wrt):
        term = declaration.formula(index, func, _marker(param))
        reads |= {n.id for n in ast.walk(declaration.terms[index]) if isinstance(n, ast.Name)}
        if total is None:
            total = term
            continue
        negated = _negation_of(term)
        # x + -y is x - y exactly (negation is exact), and reads as a person writes it.
        total = ast.BinOp(left=total, op=ast.Add(), right=term) if negated is None else \
            ast.BinOp(left=total, op=ast.Sub(), right=negated)
    if spreads and declaration.result not in reads and \
            not set(_operands(declaration)) <= reads | set(declaration.wrt):
        # Nothing in the sum has the result's shape: a lone tangent may be smaller.
        total = _call(declaration.ref(runtime.broadcast_like),
                      [total, ast.Name(id=declaration.result, ctx=ast.Load())])
    return [_assign(declaration.result, total)]


def _negation_of(term: ast.expr) -> ast.expr | None:
    """``e`` for a term ``-e``, or ``-a * b`` (the minus on its leftmost factor); else None."""
    if isinstance(term, ast.UnaryOp) and isinstance(term.op, ast.USub):
        return term.operand
    if isinstance(term, ast.BinOp) and isinstance(term.op, (ast.Mult, ast.Div)):
        left = _negation_of(term.left)
        if left is not None:
            return ast.BinOp(left=left, op=term.op, right=term.right)
    return None


def _operands(declaration: _Declaration) -> list[str]:
    """The parameters a broadcasting function broadcasts: those without a default."""
    required = len(declaration.signature.args) - len(declaration.signature.defaults)
    return [a.arg for a in declaration.signature.args[1:required]]


def _linear_adjoint(declaration: _Declaration, func: Any) -> list:
    (param,) = declaration.wrt
    return [_assign(param, declaration.formula(0, func, _marker(declaration.result)))]


def _linear_tangent(declaration: _Declaration, func: Any) -> list:
    (param,) = declaration.wrt
    positional = [a.arg for a in declaration.signature.args[1:]]
    args = [_marker(p) if p == param else ast.Name(id=p, ctx=ast.Load()) for p in positional]
    keywords = [ast.keyword(arg=a.arg, value=_marker(a.arg) if a.arg == param else
                            ast.Name(id=a.arg, ctx=ast.Load()))
                for a in declaration.signature.kwonlyargs]
    return [_assign(declaration.result, _call(declaration.ref(func), args, keywords))]


class _Substitute(ast.NodeTransformer):
    """Put ``g`` in place of its parameter and the twin's module in place of the first's."""

    def __init__(self, g_name, g, home, twin, namespace):
        self.g_name, self.g = g_name, g
        self.home, self.twin = home, twin
        self.module = namespace.get(twin) if twin else None

    def visit_Name(self, node):
        return _copy(self.g) if node.id == self.g_name else node

    def visit_Attribute(self, node):
        if (isinstance(node.value, ast.Name) and node.value.id == self.home
                and self.twin not in (None, self.home)):
            if not hasattr(self.module, node.attr):
                raise TemplateError(
                    f'The formula reads {self.home}.{node.attr}, which {self.twin} does not '
                    f'have: declare the {self.twin} twin separately.')
            return ast.Attribute(value=ast.Name(id=self.twin, ctx=ast.Load()),
                                 attr=node.attr, ctx=node.ctx)
        return self.generic_visit(node)


def _copy(node: Any) -> Any:
    """A deep copy of a declaration's (short) expression, to build templates from."""
    if isinstance(node, ast.AST):
        return type(node)(**{field: _copy(getattr(node, field))
                             for field in node._fields if hasattr(node, field)})
    if isinstance(node, list):
        return [_copy(item) for item in node]
    return node


def _modules(namespace: dict) -> list[tuple[str, types.ModuleType]]:
    return sorted((name, value) for name, value in namespace.items()
                  if isinstance(value, types.ModuleType) and not name.startswith('_'))


# The modules a declaring module binds, by its namespace's id: scanning its
# globals for each of dozens of declarations costs more than the rest of them.
_modules_seen: dict[int, list[tuple[str, types.ModuleType]]] = {}


def _module_alias(func: Any, namespace: dict) -> str | None:
    """The name of the module, bound in ``namespace``, that ``func`` is an attribute of."""
    name = getattr(func, '__name__', None)
    if not name:
        return None
    for fresh in (False, True):  # the modules seen before, then those bound since
        if fresh or id(namespace) not in _modules_seen:
            _modules_seen[id(namespace)] = _modules(namespace)
        for alias, module in _modules_seen[id(namespace)]:
            if getattr(module, name, None) is func and namespace.get(alias) is module:
                return alias
    return None


def _dotted_name(obj: Any, namespace: dict) -> str | None:
    """``np.flip`` for ``obj`` np.flip: a name bound in ``namespace``, one or two attributes down."""
    name = getattr(obj, '__name__', None)
    for alias, value in sorted(namespace.items()):
        if value is obj and not alias.startswith('_'):
            return alias
    for alias, module in _modules(namespace):
        if name and getattr(module, name, None) is obj:
            return f'{alias}.{name}'
    for alias, module in _modules(namespace):
        for attr, submodule in sorted(vars(module).items()):
            if isinstance(submodule, types.ModuleType) and not attr.startswith('_') and \
                    name and getattr(submodule, name, None) is obj:
                return f'{alias}.{attr}.{name}'
    return None


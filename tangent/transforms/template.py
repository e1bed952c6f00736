"""Expanding derivative templates into generated code.

A template is an ordinary Python function (see ``registry``) whose body uses
``d[x]`` for the derivative of ``x``. ``Template`` parses it once; ``expand``
inlines its body at a call site: parameters become the call's arguments,
template locals get fresh names, module-level names of the template (``np``,
``tangent``) are bound in the generated module's namespace, and every
``d[...]`` is handed to the caller, which knows what a derivative variable
is in its mode (an adjoint in reverse mode, a tangent in forward mode).

A template may take ``*args``: bound to the call's remaining positional
arguments, however many. In the body ``args`` is their tuple and ``d[args]``
the tuple of their derivatives; a statement ``d[args[i]] = ...`` is written
once per argument, with ``i`` its position (``max(a, b, c)`` gets three).
"""

from __future__ import annotations

import builtins
import functools
import inspect
from typing import Any, Callable

import gast

from tangent.errors import ForwardNotImplementedError, ReverseNotImplementedError, TemplateError
from tangent.rules import registry
from tangent.syntax import annotations as anno, create, quoting, transformers
from tangent.syntax.naming import Namer, Namespace

DERIVATIVE_MARKER = 'd'


class Template:
    """A derivative template parsed once, ready to be expanded many times."""

    def __init__(self, fn: Callable):
        module = quoting.parse_function(fn)
        definition = module.body[0]
        body = definition.body
        if (body and isinstance(body[0], gast.Expr)
                and isinstance(body[0].value, gast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:]  # the docstring
        self.fn = fn
        self.name = fn.__name__
        self.body = body
        self.globals = fn.__globals__
        signature = inspect.signature(fn)
        parameters = list(signature.parameters.values())
        self.result_param = parameters[0].name
        self.call_signature = signature.replace(parameters=parameters[1:])
        self.params = [p.name for p in parameters]
        self.varargs = next((p.name for p in parameters if p.kind is p.VAR_POSITIONAL), None)
        self.constant_params = getattr(fn, registry.CONSTANT_PARAMETERS, frozenset())
        # Parameters any positional call may fill in order (``mul(z, x, y)``): the
        # calls of most rules bind without inspect's general matching.
        self.positional = [p.name for p in parameters[1:]
                           if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
        if len(self.positional) != len(parameters) - 1:
            self.positional = None
        self.locals = {node.id for node in anno.walk(definition)
                       if isinstance(node, gast.Name)
                       and isinstance(node.ctx, gast.Store)} - set(self.params)
        # A body of ``d[param] = value`` statements only, with no keyword arguments
        # (whose defaults are dropped by value) and no ``*args``: what it expands to is
        # the same but for the values bound, so ``expansion_values`` can be reused.
        self.derivatives_only = self.varargs is None and not self.locals and body and all(
            isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and _is_marker(stmt.targets[0]) and isinstance(stmt.targets[0].slice, gast.Name)
            for stmt in body) and not any(
            isinstance(node, gast.Call) and node.keywords for node in anno.walk(definition))
        # What each global name of the body means, looked up once, not per expansion.
        self.global_values = {
            node.id: self.globals[node.id] if node.id in self.globals
            else getattr(builtins, node.id)
            for node in anno.walk(definition) if isinstance(node, gast.Name)
            and node.id not in self.locals and node.id not in self.params
            and node.id != DERIVATIVE_MARKER
            and (node.id in self.globals or hasattr(builtins, node.id))}

    def bind(self, args: list[gast.expr], keywords: dict[str, gast.expr],
             namespace: Namespace, func_name: str) -> dict[str, gast.expr]:
        """Map each call parameter of the template to an expression node."""
        if self.positional is not None and not keywords and len(args) == len(self.positional) \
                and all(isinstance(arg, gast.AST) and not isinstance(arg, gast.Starred)
                        for arg in args):
            return dict(zip(self.positional, args))
        starred = [arg for arg in args if isinstance(arg, gast.Starred)]
        if starred:
            raise TypeError(
                f'The derivative rule of {func_name} needs its arguments one by one, '
                f'not unpacked from *{quoting.to_source(starred[0].value)}; '
                f'pass them individually.')
        try:
            bound = self.call_signature.bind(*args, **keywords)
        except TypeError as error:
            raise TypeError(
                f'The derivative template for {func_name} does not accept the '
                f'arguments of this call ({error}).') from None
        bound.apply_defaults()
        bindings = {}
        for name, value in bound.arguments.items():
            param = self.call_signature.parameters[name]
            if param.kind is param.VAR_POSITIONAL:
                for index, item in enumerate(value):
                    bindings[element_key(name, index)] = item
                value = gast.Tuple(elts=list(value), ctx=gast.Load())
            elif not isinstance(value, gast.AST):
                value = constant_node(value, namespace, name)
            bindings[name] = value
        return bindings


def element_key(varargs: str, index: int) -> str:
    """The binding of one argument gathered by ``*varargs``: ``args[0]`` (never a name
    in the body, so the hooks can be handed it as a parameter)."""
    return f'{varargs}[{index}]'


@functools.lru_cache(maxsize=None)
def parse_template(fn: Callable) -> Template:
    """The parsed form of template ``fn`` (parsed once per process)."""
    return Template(fn)


def constant_node(value: Any, namespace: Namespace, hint: str) -> gast.expr:
    """An expression node for a default value: a literal, or a bound global."""
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return gast.Constant(value=value, kind=None)
    if isinstance(value, tuple) and all(
            v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return gast.Tuple(elts=[gast.Constant(value=v, kind=None) for v in value],
                          ctx=gast.Load())
    return gast.Name(id=namespace.ref(value, hint), ctx=gast.Load(),
                     annotation=None, type_comment=None)


ReadHook = Callable[[str], gast.expr]
WriteHook = Callable[[str, gast.expr | None], list]
WantedHook = Callable[[str], bool]
CallHook = Callable[[gast.Call], gast.expr]


def expand(template: Template, bindings: dict[str, gast.expr], namespace: Namespace,
           namer: Namer, read: ReadHook, write: WriteHook, wanted: WantedHook | None = None,
           simplify_call: CallHook | None = None) -> list[gast.stmt]:
    """Inline ``template`` with its parameters replaced by ``bindings``.

    Args:
      template: the parsed template.
      bindings: parameter name -> expression (the result parameter included).
      namespace: where global names the template uses are bound.
      namer: source of fresh names for the template's local variables.
      read: called with a parameter name for each ``d[param]`` that is read;
        returns the expression standing for that derivative.
      write: called with a parameter name and the value expression for each
        ``d[param] = value`` statement; returns the statements to emit (none
        when the derivative is not needed).
      wanted: whether the derivative of a parameter is needed at all; when it is
        not, its value is not written out and ``write`` gets None (most calls
        differentiate with respect to some of their arguments only).
      simplify_call: applied to each call once its arguments are expanded; returns
        the expression to emit instead (the caller knows, say, that an operand
        already has the result's shape, so ``unbroadcast`` has nothing to do).
    """
    renames = {name: namer.fresh(name) for name in sorted(template.locals)}
    expander = _Expander(template, bindings, namespace, renames, read, write, wanted,
                         simplify_call)
    statements = []
    for statement in template.body:
        result = expander.visit(statement)
        if result is None:
            continue
        statements.extend(result if isinstance(result, list) else [result])
    return statements


# Stand-ins for the values bound in a reusable expansion: not identifiers, so no
# name of the code can be one.
_PLACEHOLDER = '\x00bound '
SEED = _PLACEHOLDER + '\x00seed'


def expansion_values(template: Template, namespace: Namespace, namer: Namer,
                     read: ReadHook, wanted: frozenset, same_shape: frozenset,
                     simplify: Callable[[frozenset], CallHook]) -> list[tuple]:
    """``(param, value)`` for each ``d[param] = value`` of a ``derivatives_only``
    template, in order, its values written with stand-ins for the bound expressions and
    for the derivative read (``SEED``); ``value`` is None for a parameter not in
    ``wanted``. ``same_shape``: the parameters whose bound variables have the result's
    shape, for ``simplify`` (which is given their stand-ins). ``substitute`` fills in
    a copy for each use; the expansion depends on nothing else, so one serves every
    call with the same three sets. ``read`` is asked about each ``d[...]`` read (it
    raises on one a mode does not allow); what it returns is left for ``SEED``."""

    def read_seed(param):
        read(param)
        return gast.Name(id=SEED, ctx=gast.Load(), annotation=None, type_comment=None)

    stand_ins = {param: gast.Name(id=_PLACEHOLDER + param, ctx=gast.Load(), annotation=None,
                                  type_comment=None) for param in template.params}
    found = []

    def write(param, value):
        found.append((param, value))
        return []

    expand(template, stand_ins, namespace, namer, read_seed, write,
           lambda param: param in wanted,
           simplify(frozenset(_PLACEHOLDER + param for param in same_shape))
           if same_shape else None)
    return found


def substitute(value: gast.expr, bindings: dict[str, gast.expr], seed: gast.expr) -> gast.expr:
    """A copy of a value from ``expansion_values`` with the bound expressions (and the
    derivative read, ``seed``) in place of their stand-ins."""
    if type(value) is gast.Name and value.id.startswith(_PLACEHOLDER):
        if value.id == SEED:
            return anno.copy_tree(seed)
        return anno.copy_tree(bindings[value.id[len(_PLACEHOLDER):]])
    copied = anno.shallow_copy(value)
    fields = copied.__dict__
    for field in transformers.child_fields(type(value)):
        child = fields.get(field)
        if type(child) is list:
            fields[field] = [substitute(item, bindings, seed) if isinstance(item, gast.AST)
                             else item for item in child]
        elif isinstance(child, gast.AST):
            fields[field] = substitute(child, bindings, seed)
    return copied


def _is_default(callee: Any, keyword: gast.keyword) -> bool:
    """Whether ``keyword`` passes the value the callee uses anyway (``axis=None``):
    such arguments are left out, as a person writing the call would."""
    if callee is None or keyword.arg is None or not isinstance(keyword.value, gast.Constant):
        return False
    try:
        parameter = inspect.signature(callee).parameters.get(keyword.arg)
    except (TypeError, ValueError):
        return False
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return False
    default, value = parameter.default, keyword.value.value
    if keyword.arg == 'keepdims' and type(default).__name__ == '_NoValueType':
        return value is False  # NumPy's "not given" means keepdims=False for arrays
    return type(default) is type(value) and default == value


def _is_marker(node: gast.AST) -> bool:
    return (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name)
            and node.value.id == DERIVATIVE_MARKER)


class _Expander(transformers.NodeTransformer):
    """Writes the expanded copy of a template's statements, leaving the template as
    it is: each node visited is copied, with its children expanded."""

    def __init__(self, template, bindings, namespace, renames, read, write, wanted=None,
                 simplify_call=None):
        self.template = template
        self.bindings = bindings
        self.namespace = namespace
        self.renames = renames
        self.read = read
        self.write = write
        self.wanted = wanted
        self.simplify_call = simplify_call

    def generic_visit(self, node):
        copied = anno.shallow_copy(node)
        fields = copied.__dict__
        syntax_node = gast.AST
        for field in transformers.child_fields(type(node)):
            value = fields.get(field)
            if type(value) is list:
                items = []
                for item in value:
                    if isinstance(item, syntax_node):
                        item = self.visit(item)
                        if item is None:
                            continue
                        if type(item) is list:
                            items.extend(item)
                            continue
                    items.append(item)
                fields[field] = items
            elif isinstance(value, syntax_node):
                fields[field] = self.visit(value)
        return copied

    def _marker_param(self, node: gast.Subscript) -> str:
        if not isinstance(node.slice, gast.Name) or node.slice.id not in self.bindings:
            raise TemplateError(
                f'In template {self.template.name}: d[...] must name a parameter, '
                f'got d[{quoting.to_source(node.slice)}].')
        return node.slice.id

    def _count(self) -> int:
        """How many arguments the template's ``*args`` gathered in this call."""
        return len(self.bindings[self.template.varargs].elts)

    def _each_argument_index(self, target: gast.Subscript) -> str | None:
        """``i`` for a target ``d[args[i]]``, ``args`` the template's ``*args``."""
        item = target.slice
        if (self.template.varargs is not None and isinstance(item, gast.Subscript)
                and isinstance(item.value, gast.Name) and item.value.id == self.template.varargs
                and isinstance(item.slice, gast.Name)):
            return item.slice.id
        return None

    def visit_Assign(self, node):
        if len(node.targets) == 1 and _is_marker(node.targets[0]):
            index_name = self._each_argument_index(node.targets[0])
            if index_name is not None:
                return self._each_argument(node, index_name)
            param = self._marker_param(node.targets[0])
            if param == self.template.varargs:
                raise TemplateError(
                    f'In template {self.template.name}: assign d[{param}[i]], one argument '
                    f'at a time, not d[{param}].')
            if self.wanted is not None and not self.wanted(param):
                return self.write(param, None)
            value = self.visit(node.value)
            return self.write(param, value)
        return self.generic_visit(node)

    def _each_argument(self, node: gast.Assign, index_name: str) -> list:
        """``d[args[i]] = value`` written for each gathered argument, ``i`` its position."""
        statements = []
        for index in range(self._count()):
            key = element_key(self.template.varargs, index)
            if self.wanted is not None and not self.wanted(key):
                statements.extend(self.write(key, None))
                continue
            self.bindings[index_name] = gast.Constant(value=index, kind=None)
            try:
                value = self.visit(node.value)
            finally:
                del self.bindings[index_name]
            statements.extend(self.write(key, value))
        return statements

    def visit_Subscript(self, node):
        if _is_marker(node):
            param = self._marker_param(node)
            if param == self.template.varargs:
                return gast.Tuple(elts=[self.read(element_key(param, index))
                                        for index in range(self._count())], ctx=gast.Load())
            return self.read(param)
        return self.generic_visit(node)

    def visit_Call(self, node):
        callee = self._template_value(node.func)
        node = self.generic_visit(node)
        if node.keywords:
            node.keywords = [k for k in node.keywords if not _is_default(callee, k)]
        return node if self.simplify_call is None else self.simplify_call(node)

    def _template_value(self, node: gast.expr) -> Any:
        """What a global name or attribute chain of the template refers to."""
        if isinstance(node, gast.Name) and self._is_global(node.id):
            return self._global_value(node.id)
        if isinstance(node, gast.Attribute):
            owner = self._template_value(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    def visit_Attribute(self, node):
        chain = []
        root = node
        while isinstance(root, gast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, gast.Name) and self._is_global(root.id):
            chain.reverse()
            obj = self._global_value(root.id)
            name = self.namespace.ref_chain(obj, root.id, chain)
            result = create.name(name)
            for attr in chain:
                result = create.attribute(result, attr)
            result.ctx = node.ctx
            return result
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.bindings:
            return anno.copy_tree(self.bindings[node.id])
        node = anno.shallow_copy(node)
        if node.id in self.renames:
            node.id = self.renames[node.id]
        elif self._is_global(node.id):
            node.id = self.namespace.ref(self._global_value(node.id), node.id)
        return node

    def _is_global(self, name: str) -> bool:
        return name in self.template.global_values and name not in self.bindings

    def _global_value(self, name: str) -> Any:
        return self.template.global_values[name]


# Parameters that say how to compute, not what (a shape, an axis, a flag, an order):
# integers and options whose derivative is zero by nature, whatever a rule writes.
STRUCTURAL_PARAMETERS = frozenset({
    'shape', 'newshape', 'axis', 'axes', 'axis1', 'axis2', 'source', 'destination',
    'keepdims', 'dtype', 'order', 'copy', 'out', 'where', 'casting', 'subok', 'device',
    'ddof', 'ord', 'mode', 'method', 'kind', 'side', 'sorter', 'indices', 'repeats', 'reps',
    'num', 'endpoint', 'retstep', 'decimals', 'bins', 'rowvar', 'bias', 'full_matrices',
    'compute_uv', 'hermitian', 'lower', 'UPLO', 'check_finite', 'overwrite_a', 'overwrite_b',
    'trans', 'unit_diagonal', 'assume_a', 'rcond', 'dim', 'dims', 'perm', 'name', 'condition',
    'condlist', 'mask',
})


def require_partials(rule: Template, func: Any, bindings: dict, differentiated: set,
                     is_active: Callable, mode: str, where: str) -> None:
    """Raise when a differentiated value reaches a parameter of ``rule`` that the rule
    gives no derivative (its ``d[param]`` is never written, or read): that derivative
    would silently be zero. The rules of tangent's own helpers, which generated code
    calls with reference values (a shape's, a structure's), are left to their tests."""
    if (getattr(func, '__module__', None) or '').partition('.')[0] == 'tangent':
        return
    func_name = getattr(func, '__name__', str(func))
    for param, actual in bindings.items():
        if param == rule.result_param or param in differentiated or \
                param.partition('[')[0] in rule.constant_params or param == rule.varargs or \
                param in STRUCTURAL_PARAMETERS or \
                not isinstance(actual, gast.Name):
            continue
        if is_active(actual):
            raise (ReverseNotImplementedError if mode == 'reverse' else
                   ForwardNotImplementedError)(
                f'{func_name} with respect to its argument {param!r}', f'called at {where}',
                f'The {mode}-mode rule of {func_name} has no derivative with respect to '
                f'{param!r}, and a value being differentiated reaches it. Pass a constant '
                f'there, or register a rule that differentiates it.')

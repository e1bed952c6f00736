"""Between source text and gast trees.

``parse_function`` reads a live function's source (dedented, decorators
stripped) into a gast tree whose line numbers are those of the user's file;
``to_source`` is the single place where trees become text again, through the
standard library's unparser.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import textwrap
import types
from typing import Any, Callable

import gast

from tangent.errors import SourceNotAvailableError, StaleSourceError, TangentParseError
from tangent.syntax import comments, shallow, threadsafe_ast


def source_location(fn: Callable) -> tuple[str, int]:
    """The file and first line of ``fn``'s definition (best effort)."""
    code = getattr(fn, '__code__', None)
    if code is None:
        return '<unknown>', 0
    return code.co_filename, code.co_firstlineno


def get_source(fn: Callable) -> str:
    """The dedented source of ``fn``, or a SourceNotAvailableError saying why."""
    name = getattr(fn, '__qualname__', repr(fn))
    if not hasattr(fn, '__code__'):
        raise SourceNotAvailableError(
            f'Cannot read the source of {name}: it is not a Python function '
            f'(a builtin or C extension has no source to differentiate). '
            f'Register a derivative for it with @tangent.grads.adjoint.')
    try:
        source = _definition_lines(fn) or inspect.getsource(fn)
    except (OSError, TypeError) as error:
        filename = fn.__code__.co_filename
        raise SourceNotAvailableError(
            f'Cannot read the source of {name} (defined in {filename}): '
            f'tangent reads a function\'s source text, and a function typed '
            f'at the plain Python prompt or created with exec() has none. '
            f'Define it in a .py file (or a Jupyter/IPython cell) and import '
            f'it. ({error})') from None
    return textwrap.dedent(source)


def _definition_lines(fn: Callable) -> str | None:
    """The lines of ``fn``'s ``def`` (with its decorators), found by indentation and
    checked by parsing them; None where that does not give exactly the definition.

    What ``inspect.getsource`` returns, without its tokenizer, whose first use
    compiles regular expressions that cost more than reading the function.
    Lines after the first that are blank, comments, or indented deeper belong to
    the definition (and, after a decorator, the next decorator or the ``def``);
    it ends at the first other line. A cut inside brackets, a
    string or a continued line leaves text that does not parse, so a definition
    that parses and names ``fn`` is the whole of it.
    """
    fn = inspect.unwrap(fn)  # as inspect.getsource does
    code = getattr(fn, '__code__', None)
    if code is None or fn.__name__ == '<lambda>' or code.co_flags & inspect.CO_COROUTINE:
        return None
    linecache.checkcache(code.co_filename)  # the file as it is now, as inspect reads it
    lines = linecache.getlines(code.co_filename, fn.__globals__)
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    in_decorators = lines[start].lstrip().startswith('@')
    end = last = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and not stripped.startswith('#'):
            if len(lines[end]) - len(lines[end].lstrip()) <= indent:
                if not (in_decorators and stripped.startswith(('def ', '@'))):
                    break
                in_decorators = stripped.startswith('@')
            last = end + 1
        end += 1
    source = ''.join(lines[start:last])
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or \
            tree.body[0].name != fn.__name__:
        return None
    return source


def parse_function(fn: Callable) -> gast.Module:
    """Parse ``fn`` into a gast Module holding one FunctionDef.

    Line numbers are shifted to match the user's file and decorators are
    removed, so that the tree describes the undecorated function.
    """
    source = get_source(fn)
    _, first_line = source_location(fn)
    if fn.__name__ == '<lambda>':
        return _parse_lambda(fn, source, first_line)
    _require_current_source(fn, source)
    # Blank lines in front give the nodes the line numbers of the user's file.
    placed_source = '\n' * max(first_line - 1, 0) + source
    python_tree = threadsafe_ast.parse(placed_source)
    with threadsafe_ast.LOCK:
        too_deep = shallow.split_deep_expressions(python_tree)
        if too_deep is not None:
            filename, _ = source_location(fn)
            raise TangentParseError(
                f'an expression nested more than {shallow.MAX_FOLLOWED_DEPTH} levels deep '
                f'where tangent cannot split it (in a lambda, a comprehension, a while test, '
                f'a conditional expression or a short-circuit operand). Assign parts of it '
                f'to variables first', filename, too_deep.lineno,
                (ast.get_source_segment(placed_source, too_deep) or '')[:200])
        tree = to_gast(python_tree)
    for node in tree.body:
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)):
            node.decorator_list = []
    return tree


def _code_summary(code: types.CodeType) -> tuple:
    """What a function's code says, independent of where it was compiled: its name,
    parameters and locals, the names it reads, and its constants. Strings are compared
    by their words: a method's docstring keeps its lines' indentation, which the
    dedented source read back does not have."""
    names = (set(code.co_names) | set(code.co_freevars)) - {'__class__', 'super'}
    constants = tuple(' '.join(c.split()) if isinstance(c, str) else repr(c)
                      for c in code.co_consts if not isinstance(c, types.CodeType))
    return (code.co_name, code.co_varnames, set(code.co_cellvars) - {'__class__'},
            names, constants)


GENERATED_FILE_PREFIX = '<tangent '  # the pseudo files of code tangent compiled


def _require_current_source(fn: Callable, source: str) -> None:
    """Raise StaleSourceError when ``source`` does not compile to ``fn``'s code.

    ``inspect`` reads the file as it is now, at the line the function started on
    when it was imported; after an edit that can be another function. Generated
    code is exempt: its text never changes, and its code holds a handler the text
    does not show (``compile`` adds notes to exceptions).
    """
    code = fn.__code__
    if code.co_filename.startswith(GENERATED_FILE_PREFIX):
        return
    try:
        with threadsafe_ast.LOCK:
            module_code = compile(source, code.co_filename, 'exec', dont_inherit=True)
    except SyntaxError:
        compiled = None
    else:
        compiled = next((c for c in module_code.co_consts if isinstance(c, types.CodeType)
                         and c.co_name == code.co_name), None)
    if compiled is None or _code_summary(compiled) != _code_summary(code):
        raise StaleSourceError(
            f'The source of {fn.__qualname__} in {code.co_filename} no longer matches the '
            f'function that runs: the file was edited after it was imported, so tangent '
            f'would read another function. Reload the module (importlib.reload) or '
            f'restart Python, then differentiate the reloaded function.')


LAMBDA_NAME = 'lambda_'


def _parse_lambda(fn: Callable, source: str, first_line: int) -> gast.Module:
    """A lambda as a Module holding ``def lambda_(params): return body``.

    ``inspect.getsource`` gives the lines the lambda stands on, which need not
    parse on their own (``apply(lambda v: v * 2,`` ending a line), so each
    ``lambda`` in the text is cut out as the longest piece that parses as a
    lambda expression; the one with ``fn``'s parameters is the one meant.
    """
    code = fn.__code__
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = []
    start = source.find('lambda')
    while start != -1:
        for end in range(len(source), start, -1):
            try:
                with threadsafe_ast.LOCK:
                    piece = gast.parse(source[start:end], mode='eval').body
            except SyntaxError:
                continue
            # The longest piece may be more than the lambda (``f, g = lambda x: x, ...``).
            expression = next((node for node in gast.walk(piece) if isinstance(node, gast.Lambda)
                               and node.lineno == 1 and node.col_offset == 0), None)
            if expression is not None:
                names = [a.id for a in expression.args.args + expression.args.kwonlyargs]
                if names == params:
                    gast.increment_lineno(expression, source.count('\n', 0, start))
                    found.append(expression)
            break
        start = source.find('lambda', start + 1)
    if len(found) > 1:  # several take the same parameters: the one compiling to fn's code
        found = [node for node in found if _same_code(node, code)] or found
        if len({ast.dump(gast.gast_to_ast(node)) for node in found}) == 1:
            found = found[:1]  # the same lambda written twice
    if len(found) != 1:
        raise SourceNotAvailableError(
            f'Cannot tell which lambda on line {first_line} of {code.co_filename} is the '
            f'one to differentiate ({len(found)} lambdas there take ({", ".join(params)})); '
            f'give it a name with def.')
    node = found[0]
    definition = gast.FunctionDef(name=LAMBDA_NAME, args=node.args,
                                  body=[gast.Return(value=node.body)], decorator_list=[],
                                  returns=None, type_comment=None, type_params=[])
    gast.copy_location(definition, node)
    definition.body[0].lineno = node.lineno
    module = gast.Module(body=[definition], type_ignores=[])
    if first_line:
        gast.increment_lineno(module, first_line - 1)
    return module


def _same_code(node: gast.Lambda, code: types.CodeType) -> bool:
    """Whether lambda ``node`` compiles to the bytecode of ``code``."""
    expression = ast.fix_missing_locations(ast.Expression(body=gast.gast_to_ast(node)))
    with threadsafe_ast.LOCK:
        compiled = compile(expression, code.co_filename, 'eval')
    inner = next((c for c in compiled.co_consts if isinstance(c, types.CodeType)), None)
    return inner is not None and (inner.co_code, inner.co_names) == (code.co_code,
                                                                      code.co_names) and [
        c for c in inner.co_consts if not isinstance(c, types.CodeType)] == [
        c for c in code.co_consts if not isinstance(c, types.CodeType)]


def parse_string(source: str) -> gast.Module:
    """Parse a string of Python source into a gast Module."""
    with threadsafe_ast.LOCK:
        return gast.parse(textwrap.dedent(source))


def quote(source: str) -> gast.AST:
    """Parse a single expression or statement written as a string."""
    body = parse_string(source).body
    if len(body) != 1:
        raise ValueError(f'quote expects one statement, got {len(body)}')
    node = body[0]
    return node.value if isinstance(node, gast.Expr) else node


_Unparser = getattr(ast, '_Unparser', None)  # what ast.unparse runs (Python 3.9 to 3.13)


class _EmitterBase(_Unparser or object):
    """The standard library's unparser, reading no line numbers, run on gast nodes.

    The unparser finds its method by class name and reads fields by name, which
    gast's nodes share with the standard library's, so a generated tree is written
    out without first being copied into ``ast`` nodes (the copy took longer than
    the writing). Where the unparser tests a node's class, or gast's fields differ
    (an argument is a ``Name``, an exception handler names a ``Name``), that node
    is converted first, and ``if``/``elif`` chains are recognised on gast's class.
    """

    def get_type_comment(self, node):
        return None  # generated code has none; the base reads node.lineno to look

    def _converted(self, node):
        if type(node) is getattr(gast, type(node).__name__, None):  # gast's, not ast's
            node = _to_ast(node)
        getattr(_Unparser, 'visit_' + type(node).__name__)(self, node)

    visit_arguments = visit_ExceptHandler = visit_AnnAssign = _converted
    visit_JoinedStr = visit_FormattedValue = _converted

    def visit_Subscript(self, node):
        if type(node) is gast.Subscript and type(node.slice) is gast.Tuple:
            node = _to_ast(node)  # x[i, j]: the unparser drops the tuple's parentheses
        super().visit_Subscript(node)

    def visit_Attribute(self, node):
        if type(node) is gast.Attribute and type(node.value) is gast.Constant:
            node = _to_ast(node)  # 3 .real: the unparser spaces an integer's attribute
        super().visit_Attribute(node)

    def visit_Assign(self, node):
        text = _simple_assignment(node) if type(node) is gast.Assign else None
        if text is None:
            return super().visit_Assign(node)
        self.fill(text)  # most statements of generated code: no precedence bookkeeping

    def visit_If(self, node):
        if type(node) is not gast.If:
            return super().visit_If(node)
        self.fill('if ')
        self.traverse(node.test)
        with self.block():
            self.traverse(node.body)
        while len(node.orelse) == 1 and type(node.orelse[0]) is gast.If:
            node = node.orelse[0]
            self.fill('elif ')
            self.traverse(node.test)
            with self.block():
                self.traverse(node.body)
        if node.orelse:
            self.fill('else')
            with self.block():
                self.traverse(node.orelse)

    def _write_docstring_and_traverse_body(self, node):
        body = getattr(node, 'body', None)
        if body and type(body[0]) is gast.Expr and \
                type(body[0].value) is gast.Constant and type(body[0].value.value) is str:
            super()._write_docstring_and_traverse_body(
                ast.Module(body=[_to_ast(body[0])], type_ignores=[]))
            self.traverse(body[1:])
        else:
            super()._write_docstring_and_traverse_body(node)


_Emitter = _EmitterBase if _Unparser is not None else None


def _converter(gast_class: type) -> Callable[[Any], Any]:
    """How one gast node class becomes its standard-library twin, built on first use."""
    ast_class = getattr(ast, gast_class.__name__, None)
    special = _SPECIAL_CONVERSIONS.get(gast_class.__name__)
    if ast_class is None or special is not None or sys.version_info[:2] not in _SAME_NODES:
        return special or gast.gast_to_ast  # what gast does (None for a class ast lacks)
    fields = gast_class._fields
    if not fields:  # contexts and operators: one shared instance, as ast.parse does
        shared = ast_class()
        return lambda node: shared

    def convert(node):
        new = ast_class()
        for field in fields:
            value = getattr(node, field, _MISSING)
            if value is _MISSING:
                continue
            if type(value) is list:
                value = [_to_ast(item) if isinstance(item, gast.AST) else item for item in value]
            elif isinstance(value, gast.AST):
                value = _to_ast(value)
            setattr(new, field, value)
        return new
    return convert


def to_gast(node: ast.AST) -> gast.AST:
    """``gast.ast_to_gast(node)`` at a fraction of its cost (it is run on every
    function read): the same nodes, with their source positions, for the Python
    versions whose syntax classes gast mirrors field for field."""
    if sys.version_info[:2] not in _SAME_NODES:
        return gast.ast_to_gast(node)
    return _to_gast(node)


def _to_gast(node: Any) -> Any:
    convert = _GAST_CONVERTERS.get(type(node))
    if convert is None:
        convert = _GAST_CONVERTERS[type(node)] = _gast_converter(type(node))
    return convert(node)


def _gast_children(value: Any) -> Any:
    if type(value) is list:
        return [_to_gast(item) if isinstance(item, ast.AST) else item for item in value]
    return _to_gast(value) if isinstance(value, ast.AST) else value


def _gast_converter(ast_class: type) -> Callable[[Any], Any]:
    """How one ``ast`` class becomes its gast twin, built on first use."""
    gast_class = getattr(gast, ast_class.__name__, None)
    special = _SPECIAL_GAST_CONVERSIONS.get(ast_class.__name__)
    if special is not None:
        return special
    if gast_class is None or set(gast_class._fields) != set(ast_class._fields):
        return gast.ast_to_gast  # a class gast handles its own way
    fields = ast_class._fields
    if not fields and not ast_class._attributes:  # contexts and operators: one shared
        shared = gast_class()  # instance, as Python's parser and ``anno.copy_tree`` do
        return lambda node: shared
    make, syntax_node, converters = gast_class.__new__, ast.AST, _GAST_CONVERTERS

    def convert(node):
        new = make(gast_class)
        attributes = new.__dict__
        attributes.update(node.__dict__)  # the fields and the source position
        for field in fields:
            value = attributes.get(field)
            if value.__class__ is list:
                attributes[field] = [
                    (converters.get(item.__class__) or _to_gast)(item)
                    if isinstance(item, syntax_node) else item for item in value]
            elif isinstance(value, syntax_node):
                attributes[field] = (converters.get(value.__class__) or _to_gast)(value)
        return new
    return convert


def _with_position(new: gast.AST, node: ast.AST) -> gast.AST:
    for position in node._attributes:
        if hasattr(node, position):
            setattr(new, position, getattr(node, position))
    return new


def _definition_to_gast(node):
    new = _gast_converter_for_fields(node)
    new.type_params = []  # gast's field, which the standard library gains in 3.12
    return new


def _gast_converter_for_fields(node):
    gast_class = getattr(gast, type(node).__name__)
    new = gast_class.__new__(gast_class)
    for field in type(node)._fields:
        if hasattr(node, field):
            setattr(new, field, _gast_children(getattr(node, field)))
    return _with_position(new, node)


def _except_handler_to_gast(node):
    if not node.name:
        return _gast_converter_for_fields(node)
    name = gast.Name(node.name, gast.Store(), None, None)
    return _with_position(gast.ExceptHandler(_gast_children(node.type), name,
                                             _gast_children(node.body)), node)


_SPECIAL_GAST_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    'Name': lambda node: _with_position(
        gast.Name(node.id, _to_gast(node.ctx), None, None), node),
    'arg': lambda node: _with_position(
        gast.Name(node.arg, gast.Param(), _gast_children(node.annotation),
                  node.type_comment), node),
    'ExceptHandler': _except_handler_to_gast,
    'FunctionDef': _definition_to_gast,
    'AsyncFunctionDef': _definition_to_gast,
    'ClassDef': _definition_to_gast,
}
_GAST_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def _name_to_ast(node):
    return ast.Name(node.id, _to_ast(node.ctx))


def _assign_to_ast(node):
    return ast.Assign([_to_ast(target) for target in node.targets], _to_ast(node.value))


def _function_to_ast(node):
    return ast.FunctionDef(node.name, gast.gast_to_ast(node.args),
                           [_to_ast(statement) for statement in node.body],
                           [_to_ast(decorator) for decorator in node.decorator_list],
                           _to_ast(node.returns) if node.returns is not None else None,
                           node.type_comment)


_MISSING = object()
# Python versions where gast (0.5 to 0.7) turns every class not named below into
# the ast class of the same name with the same fields; the rest go through gast.
_SAME_NODES = {(3, 9), (3, 10), (3, 11)}
_SPECIAL_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    'Name': _name_to_ast, 'Assign': _assign_to_ast, 'FunctionDef': _function_to_ast,
    'AsyncFunctionDef': gast.gast_to_ast, 'ClassDef': gast.gast_to_ast,
    'arguments': gast.gast_to_ast, 'ExceptHandler': gast.gast_to_ast,
    'arg': gast.gast_to_ast,
}
_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def _to_ast(node: Any) -> Any:
    """``gast.gast_to_ast(node)`` without line numbers, which the unparser does not
    read, at a fraction of its cost: it is run over every generated function."""
    convert = _CONVERTERS.get(type(node))
    if convert is None:
        convert = _CONVERTERS[type(node)] = _converter(type(node))
    return convert(node)


# Operators by how tightly they bind, as the unparser ranks them: it parenthesises an
# operand that binds less tightly than its place requires.
_SUM, _PRODUCT, _SIGN, _POWER = 1, 2, 3, 4
_OPERATOR_TEXT = {gast.Add: ('+', _SUM), gast.Sub: ('-', _SUM), gast.Mult: ('*', _PRODUCT),
                  gast.Div: ('/', _PRODUCT), gast.FloorDiv: ('//', _PRODUCT),
                  gast.Mod: ('%', _PRODUCT), gast.MatMult: ('@', _PRODUCT),
                  gast.Pow: ('**', _POWER)}
_SIGN_TEXT = {gast.USub: '-', gast.UAdd: '+'}


def _atom_text(node: Any) -> str | None:
    if type(node) is gast.Name:
        return node.id
    if type(node) is gast.Constant and type(node.value) in (int, float):
        text = repr(node.value)
        # A sign or inf/nan is where the unparser adds parentheses or rewrites.
        return text if text[0].isdigit() and text[-1].isdigit() else None
    return None


def _arithmetic_text(node: Any, required: int = 0) -> str | None:
    """Arithmetic on names and plain numbers as the unparser writes it, or None for any
    other expression: the statements of normal form are mostly these, and each is
    written out for a comment or a note as well as in the function."""
    kind = type(node)
    if kind is gast.BinOp:
        operator = _OPERATOR_TEXT.get(type(node.op))
        if operator is None:
            return None
        symbol, binding = operator
        # ``**`` groups to the right, the others to the left.
        left_binding, right_binding = (binding + 1, binding) if symbol == '**' else \
            (binding, binding + 1)
        left = _arithmetic_text(node.left, left_binding)
        right = _arithmetic_text(node.right, right_binding) if left is not None else None
        if right is None:
            return None
        text = f'{left} {symbol} {right}'
        return f'({text})' if required > binding else text
    if kind is gast.UnaryOp:
        sign = _SIGN_TEXT.get(type(node.op))
        operand = _arithmetic_text(node.operand, _SIGN) if sign is not None else None
        if operand is None:
            return None
        return f'({sign}{operand})' if required > _SIGN else sign + operand
    return _atom_text(node)


def _simple_assignment(node: gast.Assign) -> str | None:
    """``a = b * 2.0 + c`` (arithmetic on names and plain numbers) as the unparser
    writes it, or None: the statements of normal form, each of which gets a comment."""
    if len(node.targets) != 1 or type(node.targets[0]) is not gast.Name:
        return None
    value = _arithmetic_text(node.value)
    return None if value is None else f'{node.targets[0].id} = {value}'


def to_source(node: Any) -> str:
    """Emit gast (or ast) ``node`` as Python source, comments included."""
    if isinstance(node, list):
        return '\n'.join(to_source(n) for n in node)
    if type(node) is gast.Assign:
        text = _simple_assignment(node)
        if text is not None:
            return text
    if _Emitter is not None:  # needs no line numbers: no fix_missing_locations walk
        return comments.render(_Emitter().visit(node))
    if isinstance(node, gast.AST):
        node = _to_ast(node)
    return comments.render(ast.unparse(ast.fix_missing_locations(node)))


def unquote(node: Any) -> str:
    """Source text of ``node`` (an alias of ``to_source`` kept for old code)."""
    return to_source(node)

"""Compile generated source into live functions.

The source is registered with ``linecache`` under a unique pseudo file name,
so ``inspect.getsource``, tracebacks and ``pdb`` show the generated code; no
file is written. The cache entry is released when the function is collected.

A derivative also keeps a table from its generated lines to the user's
statements they come from (``Key.LINENO`` on primal statements, the
``# Grad of:`` and ``# Tangent of:`` comments above the rest). An exception
raised in generated code leaves it unchanged, with a note (``add_note``) naming
the user's ``file:line`` of each generated frame it passed through.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import threading
import types
import weakref
from typing import Any

import gast

from tangent.syntax import annotations as anno, comments, quoting, threadsafe_ast
from tangent.syntax.annotations import Key

_counter = itertools.count()
_counter_lock = threading.Lock()


_FILENAME_PREFIX = quoting.GENERATED_FILE_PREFIX


def is_generated(function: Any) -> bool:
    """Whether ``function`` was compiled by tangent (a derivative, a step function)."""
    code = getattr(inspect.unwrap(function), '__code__', None)
    return code is not None and code.co_filename.startswith(_FILENAME_PREFIX)


def _register(source: str, label: str) -> str:
    with _counter_lock:
        number = next(_counter)
    filename = f'{_FILENAME_PREFIX}{label} #{number}>'
    lines = [line + '\n' for line in source.split('\n')]
    # An mtime of None tells linecache.checkcache to leave the entry alone.
    linecache.cache[filename] = (len(source), None, lines, filename)
    return filename


def compile_file(source: str, globals_: dict | None = None,
                 label: str = 'generated') -> types.SimpleNamespace:
    """Execute ``source`` as a module body; return its names as a namespace.

    Args:
      source: Python source text (or a gast/ast Module).
      globals_: names the code may use. It is copied, never modified.
      label: a word that appears in the pseudo file name, for tracebacks.
    """
    if not isinstance(source, str):
        source = quoting.to_source(source)
    tree = threadsafe_ast.parse(source)
    return _execute(source, tree, globals_, label, {})


def _execute(source: str, tree: ast.Module, globals_: dict | None, label: str,
             user_lines: dict[int, Place]) -> types.SimpleNamespace:
    """Run ``tree``, parsed from ``source``, as a module registered under a pseudo file."""
    namespace = dict(globals_ or {})
    namespace.setdefault('__builtins__', __builtins__)
    filename = _register(source, label)
    if user_lines:
        _user_lines[filename] = user_lines
        namespace[NOTE_HOOK] = note_user_lines
        _note_when_raising(tree)
        code = threadsafe_ast.compile_tree(tree, filename, 'exec')
    else:
        code = compile(source, filename, 'exec')  # no AST objects built: no lock
    before = set(namespace)
    exec(code, namespace)  # noqa: S102 - executing code we generated
    rebound = _defined_names(tree) & before  # a definition may reuse a global's name
    defined = {name: value for name, value in namespace.items()
               if name not in before or name in rebound}
    for value in defined.values():
        if isinstance(value, types.FunctionType):
            weakref.finalize(value, linecache.cache.pop, filename, None)
            weakref.finalize(value, _user_lines.pop, filename, None)
            break
    return types.SimpleNamespace(**defined, __source__=source, __file__=filename)


def _defined_names(tree: ast.Module) -> set[str]:
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def compile_function(node: Any, globals_: dict | None = None,
                     user_lines: UserLines | None = None) -> types.FunctionType:
    """Compile a gast FunctionDef (or a Module holding one or more) into a function.

    With several functions in the module, the last one is returned and the
    others are reachable as its globals. With ``user_lines`` (where the user
    statements behind ``node`` are), an exception raised in the function carries
    a note with the user's ``file:line``.
    """
    if isinstance(node, gast.FunctionDef):
        node = gast.Module(body=[node], type_ignores=[])
    source = quoting.to_source(node)
    if user_lines is None:
        module = compile_file(source, globals_, label=_last_function_name(node))
        return getattr(module, _last_function_name(node))
    tree = threadsafe_ast.parse(source)
    table = _user_lines_of(node, tree, source, user_lines)
    module = _execute(source, tree, globals_, _last_function_name(node), table)
    return getattr(module, _last_function_name(node))


def _last_function_name(module: gast.Module) -> str:
    return [n.name for n in module.body if isinstance(n, gast.FunctionDef)][-1]


# Exceptions in generated code --------------------------------------------------------

Place = tuple  # (user file, line, the statement's text as tangent read it)


class UserLines:
    """Where the user statements behind a derivative are.

    The files their line numbers refer to (the function's own, and those of the
    functions copied into it, a helper from another module), and, for a statement
    of the normal form, the user statement it came from: by the variable it
    assigns, or by its text, which is what ``# Grad of:`` comments quote.
    """

    def __init__(self):
        self.spans: list[tuple[str, int, int]] = []  # (file, first line, last line)
        self.by_key: dict[str, Place | None] = {}  # None: claimed by two statements

    def add_function(self, filename: str, definition: gast.FunctionDef) -> None:
        """Line numbers in ``definition`` (as parsed) refer to ``filename``."""
        first = definition.lineno
        self.spans.append((filename, first, getattr(definition, 'end_lineno', None) or first))

    def file_of(self, lineno: int) -> str | None:
        """The file a line number refers to; None when no file or several hold it."""
        found = None
        for name, first, last in self.spans:
            if first <= lineno <= last:
                if found is not None and name != found:
                    return None
                found = name
        return found

    def mark_parsed_lines(self, definition: gast.FunctionDef) -> None:
        """Give the statements of a function that is compiled before the normal form is
        made (a checkpointed loop's step, a copy) the ``Key.LINENO`` of the user line
        they were parsed from. No template is expanded yet, so every line is the user's."""
        for stmt in anno.statements(definition):
            if isinstance(stmt, gast.stmt) and not anno.has(stmt, Key.LINENO) and \
                    isinstance(getattr(stmt, 'lineno', None), int):
                anno.set(stmt, Key.LINENO, stmt.lineno)

    def place_of(self, stmt: gast.AST) -> Place | None:
        """The user statement behind ``stmt`` of the normal form, from its annotations."""
        lineno = anno.get(stmt, Key.LINENO, None)
        filename = self.file_of(lineno) if isinstance(lineno, int) else None
        if filename is None:
            return None
        return filename, lineno, (anno.get(stmt, Key.ORIGIN, None) or '').split('\n')[0]

    def remember(self, key: str, place: Place) -> None:
        key = ' '.join(key.split())
        self.by_key[key] = place if self.by_key.get(key, place) == place else None

    def add_statements(self, fdef: gast.FunctionDef) -> None:
        """Remember the statements of ``fdef`` (in normal form) by what they assign and
        by their header text: the comments of the backward and tangent code name them."""
        for stmt in anno.statements(fdef):
            if not isinstance(stmt, gast.stmt):
                continue
            place = self.place_of(stmt)
            if place is None:
                continue
            self.remember(place[2], place)
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], gast.Name):
                self.remember(_assigned_key(stmt.targets[0].id), place)

    def place_quoted(self, text: str) -> Place | None:
        """The user statement behind the normal-form statement a comment quotes."""
        text = ' '.join(text.split())
        if text in self.by_key:
            return self.by_key[text]
        target = text.split(' = ')[0] if ' = ' in text else ''
        return self.by_key.get(_assigned_key(target)) if target.isidentifier() else None


def _assigned_key(name: str) -> str:
    return f'{name} ='  # not the text of any statement: no clash with those keys


NOTE_HOOK = '__tangent_note_user_lines__'  # the name generated code calls it by
_user_lines: dict[str, dict[int, Place]] = {}  # pseudo file -> line -> user place
_GRAD_OF = ('Grad of: ', 'Tangent of: ')
_BLOCKS = ('body', 'orelse', 'finalbody')


class _Mismatch(Exception):
    """The parsed source does not mirror the tree it was written from."""


def _user_lines_of(node: gast.Module, tree: ast.Module, source: str,
                   user_lines: UserLines) -> dict[int, Place]:
    """For each line of ``source`` (unparsed from ``node``, parsed into ``tree``), the
    user statement it comes from, where that is known.

    A statement carrying ``Key.LINENO`` is the user's statement at that line; the
    statements under a ``# Grad of: s`` or ``# Tangent of: s`` comment come from
    wherever ``s`` came from. Comments are not statements once parsed, so the two
    trees are walked side by side skipping them; should they differ in any other
    way, no line is mapped rather than a wrong one.
    """
    lines = source.split('\n')

    def header(stmt: ast.stmt) -> range:
        body = getattr(stmt, 'body', None)
        if isinstance(body, list) and body:
            return range(stmt.lineno, body[0].lineno)
        return range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)

    def pairs(gast_block: list, ast_block: list):
        statements = iter(ast_block)
        for stmt in gast_block:
            if comments.is_comment(stmt):
                yield stmt, None
                continue
            parsed = next(statements, None)
            if parsed is None or type(parsed).__name__ != type(stmt).__name__:
                raise _Mismatch
            yield stmt, parsed
        if next(statements, None) is not None:
            raise _Mismatch

    def collect(gast_block: list, ast_block: list) -> None:
        """Remember the primal statements as written out, which comments may quote."""
        for stmt, parsed in pairs(gast_block, ast_block):
            if parsed is None:
                continue
            place = user_lines.place_of(stmt)
            if place is not None:
                user_lines.remember(' '.join(lines[i - 1] for i in header(parsed)), place)
            for field in _BLOCKS:
                collect(getattr(stmt, field, None) or [], getattr(parsed, field, None) or [])

    table: dict[int, Place] = {}

    def assign(gast_block: list, ast_block: list, inherited: Place | None) -> None:
        current = inherited
        for stmt, parsed in pairs(gast_block, ast_block):
            if parsed is None:
                text = comments.comment_text(stmt)
                prefix = next((p for p in _GRAD_OF if text.startswith(p)), None)
                current = user_lines.place_quoted(text[len(prefix):]) if prefix else None
                continue
            place = user_lines.place_of(stmt) or current
            if place is not None:
                table.update((line, place) for line in header(parsed))
            for field in _BLOCKS:
                assign(getattr(stmt, field, None) or [], getattr(parsed, field, None) or [],
                       place)

    try:
        collect(node.body, tree.body)
        assign(node.body, tree.body, None)
    except _Mismatch:
        return {}
    return table


def _note_when_raising(tree: ast.Module) -> None:
    """Wrap the body of each function in ``tree`` in ``try: ... except Exception as e:
    NOTE_HOOK(e); raise``.

    The source text (what ``inspect``, ``pdb`` and tracebacks show) is unchanged:
    the body keeps its line numbers, and a bare ``raise`` keeps the exception's
    type, message and traceback, which still points at the generated line.
    """
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or not function.body:
            continue
        error = '__tangent_error__'
        handler = ast.ExceptHandler(
            type=ast.Name(id='Exception', ctx=ast.Load()), name=error,
            body=[ast.Expr(value=ast.Call(func=ast.Name(id=NOTE_HOOK, ctx=ast.Load()),
                                          args=[ast.Name(id=error, ctx=ast.Load())],
                                          keywords=[])),
                  ast.Raise(exc=None, cause=None)])
        wrapped = ast.Try(body=function.body, handlers=[handler], orelse=[], finalbody=[])
        ast.copy_location(wrapped, function.body[0])
        wrapped.end_lineno = function.body[-1].end_lineno
        for part in ast.walk(handler):  # on the def line: pdb stops there only on a raise
            if 'lineno' in part._attributes:
                part.lineno = part.end_lineno = function.lineno
                part.col_offset = part.end_col_offset = 0
        function.body = [wrapped]


def note_user_lines(error: BaseException) -> None:
    """Add to ``error`` a note naming the user's ``file:line`` behind each generated line
    its traceback passes through (once each). Called by generated code as it raises."""
    traceback = error.__traceback__
    while traceback is not None:
        generated = traceback.tb_frame.f_code.co_filename
        place = _user_lines.get(generated, {}).get(traceback.tb_lineno)
        if place is not None:
            filename, lineno, origin = place
            statement = linecache.getline(filename, lineno).strip() or origin
            note = (f'from {filename}:{lineno}: {statement} (written as line '
                    f'{traceback.tb_lineno} of {generated})')
            notes = getattr(error, '__notes__', None)
            if notes is None or note not in notes:
                if hasattr(error, 'add_note'):
                    error.add_note(note)
                else:  # Python 3.10: the attribute add_note keeps, which pytest shows
                    error.__notes__ = [*(notes or []), note]
        traceback = traceback.tb_next


def source_of(function: Any) -> str:
    """The generated source text a compiled function came from."""
    function = inspect.unwrap(function)  # a derivative choosing among specialisations
    filename = function.__code__.co_filename
    lines = linecache.getlines(filename)
    return ''.join(lines).rstrip('\n')

"""Compile generated source into live functions (layer L1).

The source is registered with ``linecache`` under a unique pseudo file name,
so ``inspect.getsource``, tracebacks and ``pdb`` show the generated code; no
file is written. The cache entry is released when the function is collected.
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

from tangent import quoting, threadsafe_ast

_counter = itertools.count()
_counter_lock = threading.Lock()


_FILENAME_PREFIX = '<tangent '


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
    namespace = dict(globals_ or {})
    namespace.setdefault('__builtins__', __builtins__)
    filename = _register(source, label)
    code = compile(source, filename, 'exec')
    before = set(namespace)
    exec(code, namespace)  # noqa: S102 - executing code we generated
    rebound = _defined_names(source) & before  # a definition may reuse a global's name
    defined = {name: value for name, value in namespace.items()
               if name not in before or name in rebound}
    for value in defined.values():
        if isinstance(value, types.FunctionType):
            weakref.finalize(value, linecache.cache.pop, filename, None)
            break
    return types.SimpleNamespace(**defined, __source__=source, __file__=filename)


def _defined_names(source: str) -> set[str]:
    with threadsafe_ast.LOCK:
        tree = ast.parse(source)
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def compile_function(node: Any, globals_: dict | None = None) -> types.FunctionType:
    """Compile a gast FunctionDef (or a Module holding one or more) into a function.

    With several functions in the module, the last one is returned and the
    others are reachable as its globals.
    """
    if isinstance(node, gast.FunctionDef):
        node = gast.Module(body=[node], type_ignores=[])
    source = quoting.to_source(node)
    names = [n.name for n in node.body if isinstance(n, gast.FunctionDef)]
    module = compile_file(source, globals_, label=names[-1] if names else 'code')
    return getattr(module, names[-1])


def source_of(function: Any) -> str:
    """The generated source text a compiled function came from."""
    function = inspect.unwrap(function)  # a derivative choosing among specialisations
    filename = function.__code__.co_filename
    lines = linecache.getlines(filename)
    return ''.join(lines).rstrip('\n')

"""Comments in generated code.

The standard-library unparser drops comments, so a comment travels through
the passes as a marker statement (a string expression that every pass treats
as a no-op) and is turned into a real ``#`` comment when source is emitted.
"""

from __future__ import annotations

import ast
import re

import gast

from tangent.syntax import threadsafe_ast

_MARKER = '__tangent_comment__: '
_MARKER_LINE = re.compile(r'^(\s*)((?:\'|").*)$')


def comment(text: str) -> gast.stmt:
    """A statement that becomes ``# text`` in the emitted source."""
    text = ' '.join(text.split())  # one line, whatever the statement's layout
    return gast.Expr(value=gast.Constant(value=_MARKER + text, kind=None))


def is_comment(node: gast.AST) -> bool:
    """Whether ``node`` is a comment marker statement."""
    return (isinstance(node, gast.Expr) and isinstance(node.value, gast.Constant)
            and isinstance(node.value.value, str)
            and node.value.value.startswith(_MARKER))


def comment_text(node: gast.AST) -> str:
    """The text of a comment marker statement."""
    return node.value.value[len(_MARKER):]


def render(source: str) -> str:
    """Turn the marker lines of unparsed source into ``#`` comments."""
    lines = []
    for line in source.split('\n'):
        match = _MARKER_LINE.match(line)
        if match and _MARKER in line:
            text = _string_literal(match.group(2))
            if isinstance(text, str) and text.startswith(_MARKER):
                lines.append(f'{match.group(1)}# {text[len(_MARKER):]}')
                continue
        lines.append(line)
    return '\n'.join(lines)


def _string_literal(literal: str) -> str | None:
    """The string written as ``literal`` by the unparser, or None if it is none.

    A literal in single quotes without backslashes or inner quotes (what comments
    on generated statements nearly always are) is read directly: a generated
    function holds thousands of comments, each otherwise parsed by the compiler.
    """
    if (len(literal) >= 2 and literal[0] == literal[-1] == "'"
            and "'" not in literal[1:-1] and '\\' not in literal):
        return literal[1:-1]
    try:
        with threadsafe_ast.LOCK:
            text = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    return text if isinstance(text, str) else None

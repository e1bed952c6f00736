"""One lock around CPython's conversions between AST objects and compiled trees.

On CPython before 3.12 the ``ast`` module keeps one recursion counter per
interpreter while it turns source into Python AST objects (``ast.parse``,
``ast.literal_eval``) or AST objects into code (``compile(tree, ...)``). Two
threads doing it at once corrupt the counter and one of them raises
``SystemError: AST constructor recursion depth mismatch`` (CPython issue
106905). Every such call in tangent holds ``LOCK`` (``parse`` and ``compile_tree``
also run again when they find the counter corrupt by a conversion outside
tangent); compiling source text straight to code does not build AST objects and
needs no lock.
"""

from __future__ import annotations

import ast
import threading

LOCK = threading.RLock()


def _retried(convert):
    """``convert`` under ``LOCK``, run again should the counter be found corrupt.

    Code tangent does not control (a library's thread, Python's own traceback
    formatting, which parses source lines) may still convert at the same time, and
    a test of eight threads differentiating at once met it. The conversion is a
    pure function of its input, so running it again gives what it would have given.
    """
    def run(*args, **kwargs):
        for attempt in range(_ATTEMPTS):
            try:
                with LOCK:
                    return convert(*args, **kwargs)
            except SystemError as error:
                if 'recursion depth mismatch' not in str(error) or attempt == _ATTEMPTS - 1:
                    raise
    return run


_ATTEMPTS = 8
parse = _retried(ast.parse)
compile_tree = _retried(compile)

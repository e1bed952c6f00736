"""One lock around CPython's conversions between AST objects and compiled trees.

On CPython before 3.12 the ``ast`` module keeps one recursion counter per
interpreter while it turns source into Python AST objects (``ast.parse``,
``ast.literal_eval``) or AST objects into code (``compile(tree, ...)``). Two
threads doing it at once corrupt the counter and one of them raises
``SystemError: AST constructor recursion depth mismatch`` (CPython issue
106905). Every such call in tangent holds ``LOCK``; compiling source text
straight to code does not build AST objects and needs no lock.
"""

from __future__ import annotations

import threading

LOCK = threading.RLock()

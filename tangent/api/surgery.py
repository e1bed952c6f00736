"""Gradient surgery: code that runs inside the backward pass.

``with insert_grad_of(x) as dx:`` in a differentiated function holds code
that ``reverse_ad`` moves into the backward pass, at the mirror image of the
``with`` statement: there ``dx`` is the gradient of ``x`` accumulated from
every later use of ``x``, and whatever the block leaves in ``dx`` becomes
that gradient. ``@tangent.tangent`` makes such a function callable normally
(the blocks removed) while ``tangent.grad`` still sees them.
"""

from __future__ import annotations

import ast
import functools
import types
from typing import Any, Callable

import gast

from tangent.frontend import annotate
from tangent.syntax import annotations as anno, quoting, threadsafe_ast, transformers
from tangent.syntax.annotations import Key


class insert_grad_of:  # noqa: N801 - a context manager used like a function
    """Marks code to run in the backward pass with the gradient of ``var``.

    Only meaningful inside a function given to ``tangent.grad``; run as plain
    Python (outside ``@tangent.tangent``) the block is skipped by raising.
    """

    def __init__(self, var: Any):
        self.var = var

    def __enter__(self):
        raise RuntimeError(
            'insert_grad_of blocks run only in the backward pass of a tangent '
            'gradient. Decorate the function with @tangent.tangent to call it '
            'directly.')

    def __exit__(self, *exc_info):
        return False


def is_insert_grad_of(node: gast.AST) -> bool:
    """Whether ``node`` is a ``with insert_grad_of(x) as dx:`` statement."""
    if not isinstance(node, gast.With) or len(node.items) != 1:
        return False
    expr = node.items[0].context_expr
    return isinstance(expr, gast.Call) and anno.get(expr.func, Key.FUNC) is insert_grad_of


class _RemoveBlocks(transformers.NodeTransformer):

    def visit_With(self, node):
        if is_insert_grad_of(node):
            return gast.Pass()
        return self.generic_visit(node)


def tangent(fn: Callable) -> Callable:
    """Decorator: ``fn`` runs without its ``insert_grad_of`` blocks.

    The original stays on ``.tangent`` so that ``tangent.grad`` of the
    decorated function honours the blocks. The plain function keeps ``fn``'s
    globals, closure and line numbers, so tracebacks point into the user's file.
    """
    module = quoting.parse_function(fn)
    fdef = module.body[0]
    annotate.resolve(fdef, fn)
    fdef = _RemoveBlocks().visit(fdef)
    free = fn.__code__.co_freevars
    # Compiled inside a function whose locals are fn's free variables, so that the
    # body reads them as closure cells, as fn does.
    with threadsafe_ast.LOCK:
        outer = ast.parse(f'def _tangent_closure({", ".join(free)}):\n    pass').body[0]
    inner = gast.gast_to_ast(fdef)
    ast.increment_lineno(outer, inner.lineno - 1)
    outer.body = [inner]
    outer.end_lineno = max(getattr(inner, 'end_lineno', None) or inner.lineno, outer.lineno)
    tree = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    with threadsafe_ast.LOCK:
        code = compile(tree, fn.__code__.co_filename, 'exec')
    outer_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in outer_code.co_consts if isinstance(c, types.CodeType))
    cells = dict(zip(free, fn.__closure__ or ()))
    plain = types.FunctionType(inner_code, fn.__globals__, fn.__name__, fn.__defaults__,
                               tuple(cells[n] for n in inner_code.co_freevars) or None)
    plain.__kwdefaults__ = fn.__kwdefaults__
    functools.update_wrapper(plain, fn)
    plain.tangent = fn
    return plain

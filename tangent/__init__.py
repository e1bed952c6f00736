"""Tangent: source-to-source automatic differentiation for Python and NumPy.

``tangent.grad(f)`` reads the source of ``f`` and writes a new Python
function that computes its derivative: code you can print, read, step
through with pdb and edit.
"""

from tangent.errors import ForwardNotImplementedError, ReverseNotImplementedError, TangentParseError
from tangent.grad_util import INPUT_DERIVATIVE, autodiff, clear_cache, grad, jvp, vjp
from tangent.surgery import insert_grad_of, tangent
from tangent.tracing import trace
from tangent.utils import *  # noqa: F401,F403 - the runtime helpers are public API

__version__ = '0.2.0'


def __getattr__(name: str):
    # tangent.testing is for test suites: loaded on first use so that import tangent
    # does not pay for it.
    if name == 'testing':
        import importlib
        return importlib.import_module('tangent.testing')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

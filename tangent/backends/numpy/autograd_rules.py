"""Derivative rules of calls that go through autograd's own rules.

``autograd_apply(p, keyword_names, *values)`` calls an autograd primitive that
has no tangent rule (see ``autograd_wrappers``); its derivatives are autograd's,
computed at run time by functions that are again called through
``autograd_apply``, so that derivatives of derivatives go through autograd too.
"""

from __future__ import annotations

from tangent import runtime as tangent
from tangent.backends.numpy.autograd_helpers import (autograd_apply, autograd_jvp_function,
                                                     autograd_vjp_function)
from tangent.rules.non_differentiable import register_non_differentiable_functions
from tangent.rules.registry import adjoint, d, tangent_

register_non_differentiable_functions(autograd_vjp_function, autograd_jvp_function)


@adjoint(autograd_apply)
def adjoint_autograd_apply(result, fn, keyword_names, *values):
    d[values[i]] = tangent.autograd_apply(
        tangent.autograd_vjp_function(fn, keyword_names, i), (), d[result], values)


@tangent_(autograd_apply)
def tangent_autograd_apply(result, fn, keyword_names, *values):
    d[result] = tangent.autograd_apply(
        tangent.autograd_jvp_function(fn, keyword_names), (), values, d[values])

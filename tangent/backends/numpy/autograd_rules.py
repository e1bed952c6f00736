"""Derivative rules of calls that go through autograd's own rules.

``autograd_apply(p, keyword_names, *values)`` calls an autograd primitive that
has no tangent rule (see ``autograd_wrappers``); its derivatives are autograd's,
computed at run time by functions that are again called through
``autograd_apply``, so that derivatives of derivatives go through autograd too.
"""

from __future__ import annotations

from tangent import runtime as tangent
from tangent.backends.numpy.autograd_helpers import (
    autograd_apply, autograd_jvp_function, autograd_vjp_function, flatten_parameters,
    flattened_like, unflatten_like)
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


# autograd.misc.flatten: flattening and unflattening are linear, each the
# other's transpose; the unflatten function it returns goes through autograd.
@adjoint(flatten_parameters)
def adjoint_flatten_parameters(result, value):
    d[value] = tangent.unflatten_like(d[result][0], value)


@tangent_(flatten_parameters)
def tangent_flatten_parameters(result, value):
    d[result] = (tangent.flattened_like(d[value], value), None)


@adjoint(unflatten_like)
def adjoint_unflatten_like(result, flat, value):
    d[flat] = tangent.flattened_like(d[result], value)


@tangent_(unflatten_like)
def tangent_unflatten_like(result, flat, value):
    d[result] = tangent.unflatten_like(d[flat], value)


@adjoint(flattened_like)
def adjoint_flattened_like(result, parts, value):
    d[parts] = tangent.unflatten_like(d[result], value)


@tangent_(flattened_like)
def tangent_flattened_like(result, parts, value):
    d[result] = tangent.flattened_like(d[parts], value)

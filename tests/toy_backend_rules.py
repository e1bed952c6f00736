"""The toy backend's rules and helpers: loaded by tangent the first time a
function being differentiated uses ``toy_vectors``."""

import toy_vectors as tv
from tangent.grads import adjoint, d
from tangent.rules.registry import constant_in
from tangent.non_differentiable import register_non_differentiable_functions
from tangent.tangents import tangent_

loads = []  # one entry each time tangent imports this module
loads.append('loaded')


@adjoint(tv.vsum)
def vsum(y, v):
    d[v] = tv.full_like(v, d[y])


@tangent_(tv.vsum)
def vsum_tangent(y, v):
    d[y] = tv.vsum(d[v])


@adjoint(tv.vdot)
def vdot(y, u, v):
    d[u] = v * d[y]
    d[v] = u * d[y]


@tangent_(tv.vdot)
def vdot_tangent(y, u, v):
    d[y] = tv.vdot(d[u], v) + tv.vdot(u, d[v])


@adjoint(tv.vsin)
def vsin(y, v):
    d[v] = d[y] * tv.vcos(v)


@tangent_(tv.vsin)
def vsin_tangent(y, v):
    d[y] = d[v] * tv.vcos(v)


@adjoint(tv.vcos)
def vcos(y, v):
    d[v] = -d[y] * tv.vsin(v)


@tangent_(tv.vcos)
def vcos_tangent(y, v):
    d[y] = -d[v] * tv.vsin(v)


@adjoint(tv.vexp)
def vexp(y, v):
    d[v] = d[y] * y


@tangent_(tv.vexp)
def vexp_tangent(y, v):
    d[y] = d[v] * y


@adjoint(tv.full_like)
@constant_in('v')  # its length only
def full_like(y, v, value):
    d[value] = tv.vsum(d[y])


@tangent_(tv.full_like)
@constant_in('v')  # its length only
def full_like_tangent(y, v, value):
    d[y] = tv.full_like(v, d[value])


register_non_differentiable_functions(tv.size)


# The runtime helpers generated code calls on the library's values, by name.
def init_grad(x, allow_lazy_initializer=False):
    return tv.full_like(x, 0.0)


def ones_like(x):
    return tv.full_like(x, 1.0)


def unbroadcast(array, like):
    """The gradient ``array`` summed down to ``like``'s shape: a number for a number."""
    if isinstance(like, tv.Vec):
        return array if isinstance(array, tv.Vec) else tv.full_like(like, array)
    return tv.vsum(array) if isinstance(array, tv.Vec) else array


def copy(x):
    return x  # vectors are immutable


def shapes_match(a, b):
    return isinstance(a, tv.Vec) == isinstance(b, tv.Vec) and \
        (not isinstance(a, tv.Vec) or len(a) == len(b))


HELPERS = {'init_grad': init_grad, 'ones_like': ones_like, 'unbroadcast': unbroadcast,
           'copy': copy, 'shapes_match': shapes_match}

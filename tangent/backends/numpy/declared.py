"""Derivatives declared once: the element-wise and linear functions of the backend.

Each declaration gives both rules, the adjoint (reverse mode) and the tangent
(forward mode), for every function it names (``tangent.rules.declare``):

- ``@elementwise(np.sin, math.sin)``: the body returns ``g`` times the partial
  derivative; ``math.sin``'s rules read ``math.cos`` where ``np.sin``'s read
  ``np.cos``.
- ``@linear(np.flip)``: the body returns the transpose applied to ``g``, the
  gradient of the argument; the tangent is ``np.flip`` of the argument's tangent.

The rules whose two modes are written differently (a product's tangent
``d[x] * y + x * d[y]``, a cast, a tuple result) stay templates in
``adjoints`` and ``tangents``. Sections, in their order: operators, builtins and
math, NumPy element-wise, shape, runtime helpers.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from tangent import runtime as tangent
from tangent.backends.numpy import helpers
from tangent.rules.declare import elementwise, linear


def _math(*names: str) -> list:
    """The functions of ``math`` among ``names`` (``cbrt`` and ``exp2`` are 3.11+)."""
    return [getattr(math, name) for name in names if hasattr(math, name)]


# Operators -----------------------------------------------------------------

@elementwise(operator.add, np.add, broadcasts=True)
def add(g, z, x, y):
    return g, g


@elementwise(operator.sub, np.subtract, broadcasts=True)
def sub(g, z, x, y):
    return g, -g


@elementwise(operator.mod, np.mod, np.fmod, math.fmod, math.remainder, broadcasts=True)
def mod(g, z, x, y):
    return g, -g * tangent.remainder_quotient(x, y, z)


@elementwise(operator.neg, np.negative)
def neg(g, y, x):
    return -g


@elementwise(operator.pos, np.positive)
def pos(g, y, x):
    return g


# Builtins and math ---------------------------------------------------------

@elementwise(math.fabs)
def math_fabs(g, y, x):
    return g * math.copysign(1.0, x)


@elementwise(math.erf)
def erf(g, y, x):
    return g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.erfc)
def erfc(g, y, x):
    return -g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.gamma)
def gamma(g, y, x):
    return g * y * tangent.digamma(x)


@elementwise(math.lgamma)
def lgamma(g, y, x):
    return g * tangent.digamma(x)


# The next float after x towards y: x itself to within one ulp, whatever y is.
@elementwise(math.nextafter, wrt='x')
def math_nextafter(g, z, x, y, steps=None):
    return g


# NumPy element-wise, with their math twins -----------------------------------

@elementwise(np.exp, math.exp)
def exp(g, y, x):
    return g * y


@elementwise(np.log, tangent.safe_log)
def log(g, y, x):
    return g / x


@elementwise(np.sqrt, math.sqrt)
def sqrt(g, y, x):
    return g / (2.0 * y)


@elementwise(np.tanh, math.tanh)
def tanh(g, y, x):
    return g * (1.0 - y * y)


@elementwise(np.sin, math.sin)
def sin(g, y, x):
    return g * np.cos(x)


@elementwise(np.cos, math.cos)
def cos(g, y, x):
    return -g * np.sin(x)


@elementwise(np.tan, math.tan)
def tan(g, y, x):
    return g * (1.0 + y * y)


@elementwise(np.sinh, math.sinh)
def sinh(g, y, x):
    return g * np.cosh(x)


@elementwise(np.cosh, math.cosh)
def cosh(g, y, x):
    return g * np.sinh(x)


@elementwise(np.arcsin, math.asin)
def arcsin(g, y, x):
    return g / np.sqrt(1.0 - x * x)


@elementwise(np.arccos, math.acos)
def arccos(g, y, x):
    return -g / np.sqrt(1.0 - x * x)


@elementwise(np.arctan, math.atan)
def arctan(g, y, x):
    return g / (1.0 + x * x)


# Real arguments only: for complex ones the slope is not sign(x) (real_only raises).
@elementwise(np.abs, np.fabs)
def absolute(g, y, x):
    return tangent.real_only(g * np.sign(x), x, 'np.abs')


# Ties share the derivative (balanced_eq): the two sides of a tie each get half.
@elementwise(np.maximum, np.minimum, np.fmax, np.fmin)
def maximum(g, z, x, y):
    return g * tangent.balanced_eq(x, z, y), g * tangent.balanced_eq(y, z, x)


@elementwise(np.exp2, *_math('exp2'))
def exp2(g, y, x):
    return g * y * math.log(2.0)


@elementwise(np.expm1, math.expm1)
def expm1(g, y, x):
    return g * (y + 1.0)


@elementwise(np.log2, math.log2)
def log2(g, y, x):
    return g / (x * math.log(2.0))


@elementwise(np.log10, math.log10)
def log10(g, y, x):
    return g / (x * math.log(10.0))


@elementwise(np.log1p, math.log1p)
def log1p(g, y, x):
    return g / (1.0 + x)


@elementwise(np.cbrt, *_math('cbrt'))
def cbrt(g, y, x):
    return g / (3.0 * y * y)


@elementwise(np.reciprocal)
def reciprocal(g, y, x):
    return -g * y * y


@elementwise(np.arcsinh, math.asinh)
def arcsinh(g, y, x):
    return g / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh, math.acosh)
def arccosh(g, y, x):
    return g / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh, math.atanh)
def arctanh(g, y, x):
    return g / (1.0 - x * x)


@elementwise(np.deg2rad, np.radians, math.radians)
def deg2rad(g, y, x):
    return g * (np.pi / 180.0)


@elementwise(np.rad2deg, np.degrees, math.degrees)
def rad2deg(g, y, x):
    return g * (180.0 / np.pi)


@elementwise(np.sinc)
def sinc(g, y, x):
    return g * tangent.sinc_derivative(x, y)


# Real arguments only: for complex ones these would be wrong (real_only raises).
@elementwise(np.conj)
def conj(g, y, x):
    return tangent.real_only(g, x, 'np.conj')


@elementwise(np.real)
def real(g, y, val):
    return tangent.real_only(g, val, 'np.real')


@elementwise(np.logaddexp)
def logaddexp(g, z, x1, x2):
    return g * np.exp(x1 - z), g * np.exp(x2 - z)


@elementwise(np.logaddexp2)
def logaddexp2(g, z, x1, x2):
    return g * 2.0 ** (x1 - z), g * 2.0 ** (x2 - z)


@elementwise(np.nan_to_num)
def nan_to_num(g, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return g * np.isfinite(x)


# The magnitude of x1 with the sign of x2: x2 moves nothing but at a sign change.
@elementwise(np.copysign, wrt='x1')
def copysign(g, z, x1, x2):
    return g * np.sign(x1) * np.sign(z)


# The step function: x2 is its value where x1 is exactly 0.
@elementwise(np.heaviside, wrt='x2')
def heaviside(g, y, x1, x2):
    return g * (x1 == 0)


@elementwise(np.nextafter, wrt='x1')
def nextafter(g, y, x1, x2):
    return g


@elementwise(np.i0)
def i0(g, y, x):
    return g * tangent.bessel_i1(x)


# Shape ---------------------------------------------------------------------

@linear(np.transpose)
def transpose(g, y, a, axes=None):
    return np.transpose(g, tangent.inverse_permutation(axes))


@linear(np.ravel)
def ravel(g, y, a, order='C'):
    return np.reshape(g, np.shape(a))


@linear(np.swapaxes)
def swapaxes(g, y, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@linear(np.moveaxis)
def moveaxis(g, y, a, source, destination):
    return np.moveaxis(g, destination, source)


@linear(np.split, np.array_split)
def split(g, y, ary, indices_or_sections, axis=0):
    return tangent.split_gradient(g, ary, indices_or_sections, axis)


@linear(np.tile)
def tile(g, y, A, reps):  # noqa: N803 - NumPy's name
    return tangent.tile_gradient(g, A, reps)


@linear(np.repeat)
def repeat(g, y, a, repeats, axis=None):
    return tangent.repeat_gradient(g, a, repeats, axis)


@linear(np.flip)
def flip(g, y, m, axis=None):
    return np.flip(g, axis)


@linear(np.fliplr)
def fliplr(g, y, m):
    return np.fliplr(g)


@linear(np.flipud)
def flipud(g, y, m):
    return np.flipud(g)


@linear(np.roll)
def roll(g, y, a, shift, axis=None):
    return np.roll(g, tangent.negated_shift(shift), axis)


@linear(np.rot90)
def rot90(g, y, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@linear(np.triu)
def triu(g, y, m, k=0):
    return np.triu(g, k)


@linear(np.tril)
def tril(g, y, m, k=0):
    return np.tril(g, k)


@linear(np.diag)
def diag(g, y, v, k=0):
    return tangent.diag_gradient(g, v, k)


@linear(np.diagonal)
def diagonal(g, y, a, offset=0, axis1=0, axis2=1):
    return tangent.diagonal_gradient(g, a, offset, axis1, axis2)


@linear(np.take_along_axis)
def take_along_axis(g, y, arr, indices, axis=-1):
    return tangent.take_along_axis_gradient(g, arr, indices, axis)


@elementwise(np.copy)
def copy_(g, y, a, order='K', subok=False):
    return g


@linear(np.diff)
def diff(g, y, a, n=1, axis=-1):
    return tangent.diff_gradient(g, a, n, axis)


@linear(np.rollaxis)
def rollaxis(g, y, a, axis, start=0):
    return tangent.rollaxis_gradient(g, a, axis, start)


# Runtime helpers (so that generated code can be differentiated again) --------

@linear(tangent.unconcat)
def unconcat(g, y, grad, left, right, side):
    return tangent.reconcat(g, grad, left, right, side)


@linear(tangent.reconcat)
def reconcat(g, y, part, grad, left, right, side):
    return tangent.unconcat(g, left, right, side)


@linear(tangent.unrepeat)
def unrepeat(g, y, grad, x, z, side):
    return tangent.rerepeat(g, grad, x, z, side)


@linear(tangent.rerepeat)
def rerepeat(g, y, part, grad, x, z, side):
    return tangent.unrepeat(g, x, z, side)


@linear(tangent.unstarred)
def unstarred(g, y, grad, like):
    return tangent.restarred(g, like, list)


@linear(tangent.restarred)
def restarred(g, y, grad, like, kind):
    return tangent.unstarred(g, like)


@linear(tangent.unzipped_derivative)
def unzipped_derivative(g, y, derivative, like):
    return tangent.unzipped_tangent(g, like)


@linear(tangent.unzipped_tangent)
def unzipped_tangent(g, y, derivative, like):
    return tangent.unzipped_derivative(g, like)


@linear(tangent.unbroadcast)
def unbroadcast(g, y, array, like):
    return tangent.broadcast_like(g, array)


@linear(tangent.broadcast_like)
def broadcast_like(g, y, value, like):
    return tangent.unbroadcast(g, value)


@linear(tangent.unreduce)
def unreduce(g, y, array, shape, axis, keepdims):
    return tangent.unbroadcast(np.sum(g, axis=axis, keepdims=keepdims), array)


@linear(tangent.unreduce_like)
def unreduce_like(g, y, array, original, axis, keepdims):
    return tangent.unbroadcast(np.sum(g, axis=axis, keepdims=keepdims), array)


@elementwise(tangent.unaliased, wrt='value')
def unaliased(g, y, value, inputs):
    return g


@linear(tangent.extremum_gradient, wrt='g')
def extremum_gradient(seed, y, g, z, arguments, index=None):
    return tangent.extremum_tangent(z, arguments, seed, index)


@linear(tangent.extremum_tangent, wrt='tangents')
def extremum_tangent(g, y, z, arguments, tangents, index=None):
    return tangent.extremum_gradient(g, z, arguments, index)


@linear(tangent.written_grad)
def written_grad(g, y, grad, index, value):
    return tangent.scatter_written(g, grad, index)


@linear(tangent.scatter_written)
def scatter_written(g, y, part, grad, index):
    return tangent.written_grad(g, index, part)


@linear(tangent.copy_item)
def copy_item(g, y, container, index):
    return tangent.scatter_written(g, container, index)


# The slope of np.interp's segments is linear in fp (and piecewise constant in x).
@linear(tangent.interp_slope, wrt='fp')
def interp_slope(g, y, x, xp, fp, left, right, period):
    return tangent.interp_slope_fp_gradient(g, x, xp, fp, left, right, period)


# The parts of np.linalg.slogdet's seed and tangent: picking the log-determinant out of a
# pair and putting it back in are each other's transposes.
@linear(tangent.slogdet_log_seed)
def slogdet_log_seed(g, y, seed):
    return tangent.slogdet_pair(seed, g)


@linear(tangent.slogdet_pair, wrt='dlog')
def slogdet_pair(g, y, result, dlog):
    return tangent.unbroadcast(tangent.slogdet_log_seed(g), dlog)


# Gradients that scatter a seed back to where values were read (with np.add.at, which is
# not differentiated from source) are linear in the seed: their transposes gather again.
# How they depend on the order or the indices is piecewise constant.
@linear(tangent.take_gradient, wrt='g')
def take_gradient(seed, y, g, a, indices, axis):
    return np.take(seed, indices, axis=axis)


# Placing a seed on a diagonal (which the helper does by writing through a view, not
# differentiated from source) and reading the diagonal back are each other's transposes.
@linear(tangent.diagonal_gradient, wrt='g')
def diagonal_gradient(seed, y, g, a, offset, axis1, axis2):
    return np.diagonal(seed, offset=offset, axis1=axis1, axis2=axis2)


@linear(tangent.diag_gradient, wrt='g')
def diag_gradient(seed, y, g, v, k):
    return np.diag(seed, k)


@linear(tangent.take_along_axis_gradient, wrt='g')
def take_along_axis_gradient(seed, y, g, arr, indices, axis):
    return np.take_along_axis(seed, indices, axis)


@linear(tangent.sort_gradient, wrt='g')
def sort_gradient(seed, y, g, a, axis):
    return tangent.sort_tangent(seed, a, axis)


@linear(tangent.sort_tangent, wrt='da')
def sort_tangent(g, y, da, a, axis):
    return tangent.unbroadcast(tangent.sort_gradient(g, a, axis), da)


@linear(tangent.unique_tangent, wrt='dar')
def unique_tangent(g, y, dar, values, ar, axis, equal_nan=True, sorted=True):  # noqa: A002
    return tangent.unbroadcast(tangent.unique_gradient(g, values, ar, axis, equal_nan, sorted),
                               dar)


@linear(tangent.repeat_gradient, wrt='g')
def repeat_gradient(seed, y, g, a, repeats, axis):
    return np.repeat(seed, repeats, axis)


# The helpers' own unbroadcast (it returns a scalar of the dtype for a 0-d like).
@linear(helpers._unbroadcast_to)
def unbroadcast_to(seed, y, g, like):
    return tangent.broadcast_like(seed, g)

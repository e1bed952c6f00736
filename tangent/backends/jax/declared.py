"""Derivatives declared once: the element-wise and linear functions of JAX.

Each declaration gives both rules, the adjoint and the tangent, for every
function it names (``tangent.rules.declare``): ``@elementwise(jnp.sin,
lax.sin)`` returns ``g`` times the partial derivative, and ``lax.sin``'s rules
read ``lax.cos`` where ``jnp.sin``'s read ``jnp.cos``; ``@linear(jnp.flip)``
returns the transpose applied to ``g``. The formulas are JAX code, so the
derivatives they generate are differentiated again by the same rules.

Sections, in their order: operators, element-wise, activations (``jax.nn``),
reductions and shape, helpers.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax, nn

from tangent import runtime as tangent
from tangent.backends.jax import helpers as tangent_jax
from tangent.rules.declare import elementwise, linear

# Constants of jax.nn.selu (Klambauer et al., 2017).
SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


# Operators -----------------------------------------------------------------

@elementwise(jnp.add, lax.add, broadcasts=True)
def add(g, z, x, y):
    return g, g


@elementwise(jnp.subtract, lax.sub, broadcasts=True)
def subtract(g, z, x, y):
    return g, -g


@elementwise(jnp.multiply, lax.mul, broadcasts=True)
def multiply(g, z, x, y):
    return g * y, g * x


@elementwise(jnp.divide, jnp.true_divide, lax.div, broadcasts=True)
def divide(g, z, x, y):
    return g / y, -g * z / y


@elementwise(jnp.power, jnp.pow, lax.pow, broadcasts=True)
def power(g, z, x, y):
    return g * tangent.power_slope(x, y), g * z * tangent.safe_log(x)


@elementwise(jnp.negative, lax.neg)
def negative(g, y, x):
    return -g


@elementwise(jnp.positive)
def positive(g, y, x):
    return g


# Element-wise, with their jax.lax twins ------------------------------------------

@elementwise(jnp.exp, lax.exp)
def exp(g, y, x):
    return g * y


@elementwise(jnp.exp2, lax.exp2)
def exp2(g, y, x):
    return g * y * math.log(2.0)


@elementwise(jnp.expm1, lax.expm1)
def expm1(g, y, x):
    return g * (y + 1.0)


@elementwise(jnp.log, lax.log)
def log(g, y, x):
    return g / x


@elementwise(jnp.log2)
def log2(g, y, x):
    return g / (x * math.log(2.0))


@elementwise(jnp.log10)
def log10(g, y, x):
    return g / (x * math.log(10.0))


@elementwise(jnp.log1p, lax.log1p)
def log1p(g, y, x):
    return g / (1.0 + x)


@elementwise(jnp.sqrt, lax.sqrt)
def sqrt(g, y, x):
    return g / (2.0 * y)


@elementwise(lax.rsqrt)
def rsqrt(g, y, x):
    return -0.5 * g * y / x


@elementwise(jnp.cbrt, lax.cbrt)
def cbrt(g, y, x):
    return g / (3.0 * y * y)


@elementwise(jnp.square, lax.square)
def square(g, y, x):
    return 2.0 * g * x


@elementwise(jnp.reciprocal)
def reciprocal(g, y, x):
    return -g * y * y


@elementwise(lax.integer_pow, wrt='x')
def integer_pow(g, z, x, y):
    return g * y * lax.integer_pow(x, y - 1) if y != 0 else g * 0.0


@elementwise(jnp.sin, lax.sin)
def sin(g, y, x):
    return g * jnp.cos(x)


@elementwise(jnp.cos, lax.cos)
def cos(g, y, x):
    return -g * jnp.sin(x)


@elementwise(jnp.tan, lax.tan)
def tan(g, y, x):
    return g * (1.0 + y * y)


@elementwise(jnp.arcsin, jnp.asin, lax.asin)
def arcsin(g, y, x):
    return g / jnp.sqrt(1.0 - x * x)


@elementwise(jnp.arccos, jnp.acos, lax.acos)
def arccos(g, y, x):
    return -g / jnp.sqrt(1.0 - x * x)


@elementwise(jnp.arctan, jnp.atan, lax.atan)
def arctan(g, y, x):
    return g / (1.0 + x * x)


@elementwise(jnp.sinh, lax.sinh)
def sinh(g, y, x):
    return g * jnp.cosh(x)


@elementwise(jnp.cosh, lax.cosh)
def cosh(g, y, x):
    return g * jnp.sinh(x)


@elementwise(jnp.tanh, lax.tanh)
def tanh(g, y, x):
    return g * (1.0 - y * y)


@elementwise(jnp.arcsinh, jnp.asinh, lax.asinh)
def arcsinh(g, y, x):
    return g / jnp.sqrt(x * x + 1.0)


@elementwise(jnp.arccosh, jnp.acosh, lax.acosh)
def arccosh(g, y, x):
    return g / jnp.sqrt(x * x - 1.0)


@elementwise(jnp.arctanh, jnp.atanh, lax.atanh)
def arctanh(g, y, x):
    return g / (1.0 - x * x)


# Real arguments only (jnp.abs of a complex number has another slope).
@elementwise(jnp.abs, jnp.absolute, jnp.fabs, lax.abs)
def absolute(g, y, x):
    return g * jnp.sign(x)


@elementwise(jnp.deg2rad, jnp.radians)
def deg2rad(g, y, x):
    return g * (math.pi / 180.0)


@elementwise(jnp.rad2deg, jnp.degrees)
def rad2deg(g, y, x):
    return g * (180.0 / math.pi)


# Ties share the derivative: the two sides of a tie each get half.
@elementwise(jnp.maximum, jnp.minimum, jnp.fmax, jnp.fmin, lax.max, lax.min, broadcasts=True)
def maximum(g, z, x, y):
    return g * tangent.balanced_eq(x, z, y), g * tangent.balanced_eq(y, z, x)


@elementwise(jnp.logaddexp)
def logaddexp(g, z, x1, x2):
    return g * jnp.exp(x1 - z), g * jnp.exp(x2 - z)


@elementwise(jnp.logaddexp2)
def logaddexp2(g, z, x1, x2):
    return g * jnp.exp2(x1 - z), g * jnp.exp2(x2 - z)


@elementwise(jnp.arctan2, jnp.atan2, lax.atan2, broadcasts=True)
def arctan2(g, z, x1, x2):
    return g * x2 / (x1 * x1 + x2 * x2), -g * x1 / (x1 * x1 + x2 * x2)


@elementwise(jnp.hypot)
def hypot(g, z, x1, x2):
    return g * x1 / z, g * x2 / z


# Piecewise x1 - k * x2, k a whole number constant between jumps.
@elementwise(jnp.mod, jnp.remainder, broadcasts=True)
def mod(g, z, x1, x2):
    return g, -g * jnp.floor(x1 / x2)


@elementwise(jnp.fmod, broadcasts=True)
def fmod(g, z, x1, x2):
    return g, -g * jnp.trunc(x1 / x2)


# Real arguments only: the identity.
@elementwise(jnp.real, jnp.conj, jnp.conjugate)
def real(g, y, x):
    return g


# Finite values pass through; the others are replaced by the given values.
@elementwise(jnp.nan_to_num, wrt=('x', 'nan', 'posinf', 'neginf'), broadcasts=True)
def nan_to_num(g, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return (g * jnp.isfinite(x), g * jnp.isnan(x), g * jnp.isposinf(x),
            g * jnp.isneginf(x))


@elementwise(lax.erf)
def erf(g, y, x):
    return g * (2.0 / math.sqrt(math.pi)) * lax.exp(-x * x)


@elementwise(lax.erfc)
def erfc(g, y, x):
    return -g * (2.0 / math.sqrt(math.pi)) * lax.exp(-x * x)


@elementwise(lax.lgamma)
def lgamma(g, y, x):
    return g * lax.digamma(x)


@elementwise(lax.digamma)
def digamma(g, y, x):
    return g * lax.polygamma(1.0, x)


# The order m is a whole number: no derivative flows through it.
@elementwise(lax.polygamma, wrt='x')
def polygamma(g, y, m, x):
    return g * lax.polygamma(m + 1.0, x)


# The condition picks a branch; it has no derivative.
@elementwise(jnp.where, wrt=('x', 'y'), broadcasts=True)
def where(g, z, condition, x, y):
    return jnp.where(condition, g, 0.0), jnp.where(condition, 0.0, g)


# The bounds move the result where they clamp it.
@elementwise(jnp.clip, wrt=('arr', 'min', 'max'), broadcasts=True)
def clip(g, y, arr, min=None, max=None):  # noqa: A002 - jax.numpy's names
    return (g * tangent_jax.clip_share(arr, min, max),
            g * tangent_jax.bound_share(arr, min, True),
            g * tangent_jax.bound_share(arr, max, False))


@elementwise(jax.lax.stop_gradient)
def stop_gradient(g, y, x):
    return g * 0.0


# Activations (jax.nn) ------------------------------------------------------------

@elementwise(nn.relu)
def relu(g, y, x):
    return g * (x > 0)


@elementwise(nn.relu6)
def relu6(g, y, x):
    return g * ((x > 0) & (x < 6))


@elementwise(nn.sigmoid, lax.logistic)
def sigmoid(g, y, x):
    return g * y * (1.0 - y)


@elementwise(nn.log_sigmoid)
def log_sigmoid(g, y, x):
    return g * nn.sigmoid(-x)


@elementwise(nn.softplus)
def softplus(g, y, x):
    return g * nn.sigmoid(x)


@elementwise(nn.silu)  # nn.swish is the same function
def silu(g, y, x):
    return g * nn.sigmoid(x) * (1.0 + x * (1.0 - nn.sigmoid(x)))


@elementwise(nn.soft_sign)
def soft_sign(g, y, x):
    return g / ((1.0 + jnp.abs(x)) * (1.0 + jnp.abs(x)))


@elementwise(nn.hard_tanh)
def hard_tanh(g, y, x):
    return g * ((x > -1.0) & (x < 1.0))


@elementwise(nn.elu, wrt=('x', 'alpha'), broadcasts=True)
def elu(g, y, x, alpha=1.0):
    return g * jnp.where(x > 0, 1.0, y + alpha), g * jnp.where(x > 0, 0.0, jnp.expm1(x))


@elementwise(nn.celu, wrt=('x', 'alpha'), broadcasts=True)
def celu(g, y, x, alpha=1.0):
    return (g * jnp.where(x > 0, 1.0, jnp.exp(x / alpha)),
            g * jnp.where(x > 0, 0.0, jnp.expm1(x / alpha) - x / alpha * jnp.exp(x / alpha)))


@elementwise(nn.selu)
def selu(g, y, x):
    return g * SELU_SCALE * jnp.where(x > 0, 1.0, SELU_ALPHA * jnp.exp(x))


@elementwise(nn.leaky_relu, wrt=('x', 'negative_slope'), broadcasts=True)
def leaky_relu(g, y, x, negative_slope=0.01):
    return g * jnp.where(x >= 0, 1.0, negative_slope), g * jnp.where(x >= 0, 0.0, x)


@elementwise(nn.gelu, wrt='x')
def gelu(g, y, x, approximate=True):
    return g * tangent_jax.gelu_slope(x, approximate)


@elementwise(tangent_jax.gelu_slope, wrt='x')
def gelu_slope(g, y, x, approximate=True):
    return g * tangent_jax.gelu_curvature(x, approximate)


# Reductions and shape --------------------------------------------------------------

@linear(jnp.sum)
def sum_(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return tangent_jax.unreduce_like(g, a, axis, keepdims)


@linear(jnp.mean)
def mean(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return tangent_jax.unreduce_like(g, a, axis, keepdims) / tangent.array_size(a, axis)


@linear(jnp.cumsum)
def cumsum(g, y, a, axis=None, dtype=None):
    return tangent_jax.cumsum_gradient(g, a, axis)


@linear(jnp.trace)
def trace(g, y, a, offset=0, axis1=0, axis2=1):
    return tangent_jax.diagonal_gradient(
        jnp.expand_dims(g, -1) * jnp.ones(jnp.shape(jnp.diagonal(a, offset, axis1, axis2))),
        a, offset, axis1, axis2)


@linear(jnp.transpose, jnp.permute_dims)
def transpose(g, y, a, axes=None):
    return jnp.transpose(g, tangent_jax.inverse_permutation(axes))


@linear(jnp.matrix_transpose, jnp.linalg.matrix_transpose)
def matrix_transpose(g, y, x):
    return jnp.swapaxes(g, -1, -2)


@linear(jnp.diff)
def diff(g, y, a, n=1, axis=-1, prepend=None, append=None):
    return tangent_jax.diff_gradient(g, a, n, axis, prepend, append)


@linear(jnp.diag)
def diag(g, y, v, k=0):
    return tangent_jax.diag_gradient(g, v, k)


@linear(jnp.reshape)
def reshape(g, y, a, shape=None):
    return jnp.reshape(g, jnp.shape(a))


@linear(jnp.ravel)
def ravel(g, y, a, order='C'):
    return jnp.reshape(g, jnp.shape(a))


@linear(jnp.squeeze)
def squeeze(g, y, a, axis=None):
    return jnp.reshape(g, jnp.shape(a))


@linear(jnp.expand_dims)
def expand_dims(g, y, a, axis):
    return jnp.reshape(g, jnp.shape(a))


@linear(jnp.atleast_1d, jnp.atleast_2d, jnp.atleast_3d)
def atleast(g, y, x):
    return jnp.reshape(g, jnp.shape(x))


@linear(jnp.broadcast_to)
def broadcast_to(g, y, array, shape):
    return tangent.unbroadcast(g, array)


@linear(jnp.swapaxes)
def swapaxes(g, y, a, axis1, axis2):
    return jnp.swapaxes(g, axis1, axis2)


@linear(jnp.moveaxis)
def moveaxis(g, y, a, source, destination):
    return jnp.moveaxis(g, destination, source)


@linear(jnp.flip)
def flip(g, y, m, axis=None):
    return jnp.flip(g, axis)


@linear(jnp.fliplr)
def fliplr(g, y, m):
    return jnp.fliplr(g)


@linear(jnp.flipud)
def flipud(g, y, m):
    return jnp.flipud(g)


@linear(jnp.roll)
def roll(g, y, a, shift, axis=None):
    return jnp.roll(g, -jnp.asarray(shift), axis)


@linear(jnp.rot90)
def rot90(g, y, m, k=1, axes=(0, 1)):
    return jnp.rot90(g, -k, axes)


@linear(jnp.triu)
def triu(g, y, m, k=0):
    return jnp.triu(g, k)


@linear(jnp.tril)
def tril(g, y, m, k=0):
    return jnp.tril(g, k)


@linear(jnp.diagonal)
def diagonal(g, y, a, offset=0, axis1=0, axis2=1):
    return tangent_jax.diagonal_gradient(g, a, offset, axis1, axis2)


@linear(jnp.take)
def take(g, y, a, indices, axis=None):
    return tangent_jax.take_gradient(g, a, indices, axis)


@linear(jnp.take_along_axis)
def take_along_axis(g, y, arr, indices, axis):
    return tangent_jax.take_along_axis_gradient(g, arr, indices, axis)


@linear(jnp.tile)
def tile(g, y, A, reps):  # noqa: N803 - jax.numpy's name
    return tangent_jax.tile_gradient(g, A, reps)


@linear(jnp.repeat)
def repeat(g, y, a, repeats, axis=None):
    return tangent_jax.repeat_gradient(g, a, repeats, axis)


# Helpers (so that generated code can be differentiated again) ---------------------

@linear(tangent_jax.unreduce_like)
def unreduce_like(g, y, array, original, axis, keepdims):
    return tangent.unbroadcast(jnp.sum(g, axis=axis, keepdims=keepdims), array)


@linear(tangent_jax.cumsum_gradient)
def cumsum_gradient(g, y, grad, a, axis):
    return jnp.reshape(jnp.cumsum(g, axis), jnp.shape(grad))


@linear(tangent_jax.diagonal_gradient)
def diagonal_gradient(seed, y, g, a, offset, axis1, axis2):
    return jnp.diagonal(seed, offset, axis1, axis2)


@linear(tangent_jax.take_gradient)
def take_gradient(seed, y, g, a, indices, axis):
    return jnp.take(seed, indices, axis=axis)


@linear(tangent_jax.take_along_axis_gradient)
def take_along_axis_gradient(seed, y, g, arr, indices, axis):
    return jnp.take_along_axis(seed, indices, axis)


@linear(tangent_jax.tile_gradient)
def tile_gradient(seed, y, g, A, reps):  # noqa: N803 - jax.numpy's name
    return jnp.tile(seed, reps)


@linear(tangent_jax.repeat_gradient)
def repeat_gradient(seed, y, g, a, repeats, axis):
    return jnp.repeat(seed, repeats, axis)


@linear(tangent_jax.diff_gradient)
def diff_gradient(seed, y, g, a, n, axis, prepend, append):
    return jnp.diff(seed, n, axis)


@linear(tangent_jax.diag_gradient)
def diag_gradient(seed, y, g, v, k):
    return jnp.diag(seed, k)


# Diagonal (element-wise) linear maps: each is its own transpose.
@linear(tangent_jax.lower_half_diagonal)
def lower_half_diagonal(g, y, x):
    return tangent_jax.lower_half_diagonal(g)


@linear(tangent_jax.symmetric_part)
def symmetric_part(g, y, x):
    return tangent_jax.symmetric_part(g)


@linear(tangent_jax.as_columns)
def as_columns(g, y, v, b):
    return tangent_jax.as_solution(g, b)


@linear(tangent_jax.as_solution)
def as_solution(g, y, columns, b):
    return tangent_jax.as_columns(g, b)


@linear(tangent_jax.triangle)
def triangle(g, y, x, lower, unit_diagonal):
    return tangent_jax.triangle(g, lower, unit_diagonal)


@linear(tangent_jax.transposed_if)
def transposed_if(g, y, x, trans):
    return tangent_jax.transposed_if(g, trans)


@linear(tangent_jax.cast_gradient)
def cast_gradient(seed, y, g, like, dtype):
    return tangent_jax.cast_gradient(seed, g, dtype)

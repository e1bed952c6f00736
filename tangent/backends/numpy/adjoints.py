"""Reverse-mode derivative rules: adjoint templates.

Each rule is a template registered with ``@adjoint(fn)``: its first
parameter is the call's result, the others are the call's arguments in order
(keyword arguments by name, with their defaults). The body assigns
``d[arg] = ...`` in terms of ``d[result]``, "the gradient of". The reverse
transformer inlines the body with the caller's variable names, accumulates
each ``d[arg]`` into the argument's adjoint, and drops what no active
argument needs. Longer computations live in named runtime helpers
(``tangent.unbroadcast``, ``tangent.unreduce``), so a rule stays a few lines.

The element-wise and linear functions (``np.sin``, ``math.sin``, ``np.flip``)
are not here: ``declared`` states each of their derivatives once and derives
both rules. This module holds the rules whose two modes are written apart.

Sections, in the same order as ``tangents``: operators, builtins and math,
NumPy element-wise, reductions, linear algebra, shape.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any

import numpy as np

from tangent import runtime as tangent
from tangent.backends.numpy import declared  # noqa: F401 - registers first: aliases below use its rules
from tangent.backends.numpy import helpers
from tangent.rules.registry import adjoint, adjoints, constant_in, d


def alias(func: Any, same_as: Any) -> None:
    """``func`` differentiates exactly like ``same_as`` (same parameters)."""
    adjoints.register(func, adjoints[same_as])


# Operators -----------------------------------------------------------------


@adjoint(operator.mul)
def mul(z, x, y):
    d[x] = tangent.unbroadcast(d[z] * y, x)
    d[y] = tangent.unbroadcast(d[z] * x, y)


# y is constant along the axes its gradient is summed over: dividing by it after the
# sum divides the operand's shape, not the result's (a scalar divisor: once).
@adjoint(operator.truediv)
def truediv(z, x, y):
    d[x] = tangent.unbroadcast(d[z] / y, x)
    d[y] = -tangent.unbroadcast(d[z] * z, y) / y


@adjoint(operator.pow)
def pow(z, x, y):  # noqa: A001 - named after the operator it differentiates
    d[x] = tangent.unbroadcast(d[z] * tangent.power_slope(x, y), x)
    d[y] = tangent.unbroadcast(d[z] * z * tangent.safe_log(x), y)


@adjoint(operator.matmul)
def matmul(z, x, y):
    d[x] = tangent.grad_matmul_left(d[z], x, y)
    d[y] = tangent.grad_matmul_right(d[z], x, y)


# Builtins and math ---------------------------------------------------------

@adjoint(builtins.float)
def float_(y, x=0.0):
    d[x] = tangent.unbroadcast(d[y], x)


# NumPy's scalar types called on a value cast it, as np.asarray(x, dtype) does.
@adjoint(np.float64)
def float64(y, x=0.0):
    d[x] = tangent.unarray(d[y], x, dtype=np.result_type(y))


for _scalar_type in (np.float32, np.float16, np.longdouble):
    alias(_scalar_type, np.float64)


@adjoint(builtins.abs)
def abs_(y, x):
    d[x] = d[y] * tangent.sign(x)


@adjoint(math.log)
def math_log(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@adjoint(math.atan2)
def math_atan2(z, y, x):
    d[y] = d[z] * x / (x * x + y * y)
    d[x] = -d[z] * y / (x * x + y * y)


@adjoint(math.hypot)
def math_hypot(z, x, y):
    d[x] = d[z] * x / z
    d[y] = d[z] * y / z


@adjoint(math.copysign)
@constant_in('y')  # y moves nothing but at a sign change
def math_copysign(z, x, y):
    d[x] = d[z] * np.sign(x) * math.copysign(1.0, y)


# Any number of arguments, or one iterable; ties share the gradient.
@adjoint(builtins.max)
def builtin_max(z, *args):
    d[args[i]] = tangent.extremum_gradient(d[z], z, args, i)


alias(builtins.min, builtins.max)
alias(builtins.pow, operator.pow)
alias(math.pow, operator.pow)


@adjoint(builtins.sum)
def builtin_sum(y, iterable, start=0):
    d[iterable] = tangent.grad_sum_sequence(d[y], iterable)
    d[start] = tangent.unbroadcast(d[y], start)


@adjoint(math.fsum)
def math_fsum(y, seq):
    d[seq] = tangent.grad_sum_sequence(d[y], seq)


@adjoint(math.prod)
def math_prod(y, iterable, start=1):
    d[iterable] = tangent.prod_sequence_gradient(d[y], iterable, start)
    d[start] = tangent.unbroadcast(d[y] * math.prod(iterable), start)


@adjoint(math.dist)
def math_dist(y, p, q):
    d[p] = tangent.dist_gradient(d[y], y, p, q)
    d[q] = tangent.dist_gradient(d[y], y, q, p)


# (fractional part, integral part): only the fractional part moves, with slope 1.
@adjoint(math.modf)
def math_modf(y, x):
    d[x] = d[y][0]


# x = m * 2 ** e: the mantissa moves with slope 2 ** -e, the exponent is an integer.
@adjoint(math.frexp)
def math_frexp(y, x):
    d[x] = d[y][0] * 2.0 ** -y[1]


# NumPy element-wise --------------------------------------------------------

alias(np.multiply, operator.mul)
alias(np.divide, operator.truediv)
alias(np.power, operator.pow)
alias(np.matmul, operator.matmul)


@adjoint(np.square)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@adjoint(np.arctan2)
def arctan2(z, x1, x2):
    d[x1] = tangent.unbroadcast(d[z] * x2 / (x1 * x1 + x2 * x2), x1)
    d[x2] = tangent.unbroadcast(-d[z] * x1 / (x1 * x1 + x2 * x2), x2)


@adjoint(np.hypot)
def hypot(z, x1, x2):
    d[x1] = tangent.unbroadcast(d[z] * x1 / z, x1)
    d[x2] = tangent.unbroadcast(d[z] * x2 / z, x2)


@adjoint(np.clip)
def clip(y, a, a_min=None, a_max=None, out=None):
    d[a] = tangent.unbroadcast(d[y] * tangent.clip_passes(a, a_min, a_max), a)
    d[a_min] = tangent.unbroadcast(tangent.clip_bound_gradient(d[y], a, a_min, True, a_max),
                                   a_min)
    d[a_max] = tangent.unbroadcast(tangent.clip_bound_gradient(d[y], a, a_max, False, a_min),
                                   a_max)


@adjoint(np.where)
def where(z, condition, x=None, y=None):
    d[x] = tangent.unbroadcast(tangent.where_gradient(d[z], condition, x, True), x)
    d[y] = tangent.unbroadcast(tangent.where_gradient(d[z], condition, y, False), y)


@adjoint(np.modf)
def modf(y, x):
    d[x] = d[y][0]


@adjoint(np.frexp)
def frexp(y, x):
    d[x] = np.ldexp(d[y][0], -y[1])


# xp, the sample points, are constants; left and right are the values outside them.
@adjoint(np.interp)
def interp(y, x, xp, fp, left=None, right=None, period=None):
    d[x] = tangent.unbroadcast(d[y] * tangent.interp_slope(x, xp, fp, left, right, period), x)
    d[fp] = tangent.interp_fp_gradient(d[y], x, xp, fp, left, right, period)
    d[left] = tangent.unbroadcast(d[y] * tangent.interp_outside(x, xp, period, True), left)
    d[right] = tangent.unbroadcast(d[y] * tangent.interp_outside(x, xp, period, False), right)


@adjoint(np.polyval)
def polyval(y, p, x):
    d[p] = tangent.polyval_coefficient_gradient(d[y], p, x)
    d[x] = tangent.unbroadcast(d[y] * tangent.polynomial_slope(p, x), x)


alias(np.float_power, operator.pow)


# Reductions ----------------------------------------------------------------

@adjoint(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims)


@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) / tangent.array_size(a, axis)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) * tangent.prod_others(a, axis)


@adjoint(np.max)
def max_(y, a, axis=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) * \
        tangent.extremum_share(y, a, axis, keepdims)


# np.logaddexp.reduce(a, axis) is written as this helper (methods.ufunc_method_call).
@adjoint(tangent.logaddexp_reduce)
def logaddexp_reduce(y, a, axis=0, dtype=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) * \
        tangent.logaddexp_share(y, a, axis, keepdims)


@adjoint(np.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent.variance_gradient(d[y], a, axis, ddof, keepdims)


@adjoint(np.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent.variance_gradient(d[y] / (2.0 * y), a, axis, ddof, keepdims)


@adjoint(np.nanvar)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent.nan_variance_gradient(d[y], a, axis, ddof, keepdims)


@adjoint(np.nanstd)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent.nan_variance_gradient(d[y] / (2.0 * y), a, axis, ddof, keepdims)


@adjoint(np.cov)
def cov(c, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    d[m] = tangent.covariance_gradient(d[c], m, y, rowvar, bias, ddof, False, fweights,
                                       aweights)
    d[y] = tangent.covariance_gradient(d[c], m, y, rowvar, bias, ddof, True, fweights,
                                       aweights)


@adjoint(np.corrcoef)
def corrcoef(r, x, y=None, rowvar=True):
    d[x] = tangent.correlation_gradient(d[r], x, y, rowvar, False)
    d[y] = tangent.correlation_gradient(d[r], x, y, rowvar, True)


@adjoint(np.cumsum)
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = tangent.reverse_cumsum(d[y], a, axis)


@adjoint(np.cumprod)
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[a] = tangent.cumprod_gradient(d[y], y, a, axis)


@adjoint(np.average)
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    d[a] = tangent.average_gradient(d[y], a, axis, weights, keepdims)
    d[weights] = tangent.average_weights_gradient(d[y], y, a, axis, weights, keepdims)


@adjoint(np.trace)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = tangent.trace_gradient(d[y], a, offset, axis1, axis2)


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    d[x] = tangent.real_only(tangent.unreduce_like(d[y], x, axis, keepdims), x,
                             'np.linalg.norm') * tangent.norm_direction(y, x, ord, axis,
                                                                        keepdims)


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.nan_mask_gradient(d[y], a, axis, keepdims, False)


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.nan_mask_gradient(d[y], a, axis, keepdims, True)


@adjoint(np.ptp)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) * (
        tangent.extremum_share(np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
        - tangent.extremum_share(np.min(a, axis, keepdims=keepdims), a, axis, keepdims))


@adjoint(np.cumulative_sum)
def cumulative_sum(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = tangent.cumulative_gradient(d[y], y, x, axis, include_initial, False)


@adjoint(np.cumulative_prod)
def cumulative_prod(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = tangent.cumulative_gradient(d[y], y, x, axis, include_initial, True)


@adjoint(np.trapezoid)
def trapezoid(z, y, x=None, dx=1.0, axis=-1):
    d[y] = tangent.unreduce_like(d[z], y, axis, False) * tangent.trapezoid_weights(y, x, dx,
                                                                                  axis)
    d[x] = tangent.trapezoid_sample_gradient(d[z], y, x, axis)
    d[dx] = tangent.unbroadcast(d[z] * tangent.trapezoid_unit_area(y, x, axis), dx)


@adjoint(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):  # noqa: A002 - NumPy's name
    d[x] = tangent.unreduce_like(d[y], x, axis, keepdims) * \
        tangent.vector_norm_direction(y, x, ord, axis, keepdims)


@adjoint(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord='fro'):  # noqa: A002 - NumPy's name
    d[x] = tangent.unreduce_like(d[y], x, (-2, -1), keepdims) * \
        tangent.matrix_norm_direction(x, ord)


@adjoint(np.median)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) * \
        tangent.median_share(a, axis, keepdims)


# Linear interpolation between the two neighbouring order statistics; the q / 100
# of a percentile is the q of a quantile. Differentiable in q too.
@adjoint(np.quantile)
def quantile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
             keepdims=False, weights=None):
    d[a] = tangent.quantile_gradient(d[y], y, a, q, axis, method, 1.0, False)
    d[q] = tangent.quantile_q_gradient(d[y], y, a, q, axis, method, 1.0, False)


@adjoint(np.percentile)
def percentile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
               keepdims=False, weights=None):
    d[a] = tangent.quantile_gradient(d[y], y, a, q, axis, method, 100.0, False)
    d[q] = tangent.quantile_q_gradient(d[y], y, a, q, axis, method, 100.0, False)


@adjoint(np.nanquantile)
def nanquantile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                keepdims=False, weights=None):
    d[a] = tangent.quantile_gradient(d[y], y, a, q, axis, method, 1.0, True)
    d[q] = tangent.quantile_q_gradient(d[y], y, a, q, axis, method, 1.0, True)


@adjoint(np.nanpercentile)
def nanpercentile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                  keepdims=False, weights=None):
    d[a] = tangent.quantile_gradient(d[y], y, a, q, axis, method, 100.0, True)
    d[q] = tangent.quantile_q_gradient(d[y], y, a, q, axis, method, 100.0, True)


@adjoint(np.nanmedian)
def nanmedian(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = tangent.quantile_gradient(d[y], y, a, 0.5, axis, 'linear', 1.0, True)


alias(np.amax, np.max)
alias(np.min, np.max)
alias(np.amin, np.max)
alias(np.nanmax, np.max)
alias(np.nanmin, np.max)


# Linear algebra ------------------------------------------------------------

@adjoint(np.dot)
def dot(z, a, b):
    d[a] = tangent.grad_dot(d[z], a, b)
    d[b] = tangent.grad_dot_right(d[z], a, b)


@adjoint(np.linalg.det)
def det(y, a):
    d[a] = tangent.grad_det(d[y], y, a)


@adjoint(np.vdot)
def vdot(y, a, b):
    d[a] = tangent.vdot_gradient(tangent.real_only(d[y], a, 'np.vdot'), b, a)
    d[b] = tangent.vdot_gradient(d[y], a, b)


@adjoint(np.inner)
def inner(y, a, b):
    d[a] = tangent.unbroadcast(tangent.inner_gradient_left(d[y], a, b), a)
    d[b] = tangent.unbroadcast(tangent.inner_gradient_right(d[y], a, b), b)


@adjoint(np.outer)
def outer(y, a, b, out=None):
    d[a] = tangent.outer_gradient(d[y], a, b, True)
    d[b] = tangent.outer_gradient(d[y], a, b, False)


@adjoint(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tangent.tensordot_gradient(d[y], a, b, axes, True)
    d[b] = tangent.tensordot_gradient(d[y], a, b, axes, False)


# Any number of operands. Subscripts are a string, never active: an active one is an
# operand of the interleaved form (einsum(a, [0, 1], b, [1, 2])), which
# einsum_gradient refuses.
@adjoint(np.einsum)
def einsum(y, subscripts, *operands, out=None, optimize=False):
    d[subscripts] = tangent.einsum_gradient(d[y], subscripts, operands, 0)
    d[operands[i]] = tangent.einsum_gradient(d[y], subscripts, operands, i)


@adjoint(np.kron)
def kron(y, a, b):
    d[a] = tangent.kron_gradient(d[y], a, b, True)
    d[b] = tangent.kron_gradient(d[y], a, b, False)


@adjoint(np.linalg.inv)
def inv(y, a):
    d[a] = -tangent.matrix_transpose(y) @ d[y] @ tangent.matrix_transpose(y)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    d[a] = tangent.slogdet_gradient(d[y], a)


@adjoint(np.linalg.solve)
def solve(x, a, b):
    parts = tangent.solve_gradients(d[x], x, a, b)
    d[a] = parts[0]
    d[b] = parts[1]


@adjoint(np.linalg.cholesky)
def cholesky(low, a, upper=False):
    d[a] = tangent.cholesky_gradient(d[low], low, upper)


@adjoint(np.linalg.eigh)
def eigh(result, a, UPLO='L'):  # noqa: N803 - NumPy's name
    d[a] = tangent.eigh_gradient(d[result], result, a)


@adjoint(np.linalg.pinv)
def pinv(y, a, rcond=None, hermitian=False, rtol=None):
    d[a] = tangent.pinv_gradient(d[y], y, a)  # a of full rank


@adjoint(np.linalg.svd)
def svd(result, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[a] = tangent.svd_gradient(d[result], result, a, full_matrices, compute_uv)


@adjoint(np.linalg.lstsq)
def lstsq(result, a, b, rcond=None):
    d[a] = tangent.lstsq_gradient(d[result], result, a, b, False)
    d[b] = tangent.lstsq_gradient(d[result], result, a, b, True)


@adjoint(np.polyfit)
def polyfit(p, x, y, deg, rcond=None, full=False, w=None, cov=False):
    d[x] = tangent.polyfit_gradient(d[p], p, x, y, deg, False, w, full, cov)
    d[y] = tangent.polyfit_gradient(d[p], p, x, y, deg, True, w, full, cov)


@adjoint(np.linalg.qr)
def qr(result, a, mode='reduced'):
    d[a] = tangent.qr_gradient(d[result], result, a, mode)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(w, a, UPLO='L'):  # noqa: N803 - NumPy's name
    d[a] = tangent.eigvalsh_gradient(d[w], a, UPLO)


@adjoint(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[a] = tangent.matrix_power_gradient(d[y], a, n)


@adjoint(np.vander)
def vander(v, x, N=None, increasing=False):  # noqa: N803 - NumPy's name
    d[x] = tangent.vander_gradient(d[v], x, N, increasing)


@adjoint(np.select)
def select(y, condlist, choicelist, default=0):
    d[choicelist] = tangent.select_gradient(d[y], condlist, choicelist, default, False)
    d[default] = tangent.select_gradient(d[y], condlist, choicelist, default, True)


@adjoint(np.cross)
def cross(c, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    left = tangent.cross_gradient_axes(a, b, axisa, axisb, axisc, axis, True)
    d[a] = tangent.unbroadcast(np.cross(b, d[c], left[0], left[1], left[2]), a)
    right = tangent.cross_gradient_axes(a, b, axisa, axisb, axisc, axis, False)
    d[b] = tangent.unbroadcast(np.cross(d[c], a, right[0], right[1], right[2]), b)


# np.linalg.cross is np.cross along one axis of 3-vectors.
@adjoint(np.linalg.cross)
def linalg_cross(c, x1, x2, axis=-1):
    left = tangent.cross_gradient_axes(x1, x2, axis, axis, axis, None, True)
    d[x1] = tangent.unbroadcast(np.cross(x2, d[c], left[0], left[1], left[2]), x1)
    right = tangent.cross_gradient_axes(x1, x2, axis, axis, axis, None, False)
    d[x2] = tangent.unbroadcast(np.cross(d[c], x1, right[0], right[1], right[2]), x2)


@adjoint(np.linalg.vecdot)
def vecdot(y, x1, x2, axis=-1):
    d[x1] = tangent.unbroadcast(np.expand_dims(d[y], axis) * x2, x1)
    d[x2] = tangent.unbroadcast(np.expand_dims(d[y], axis) * x1, x2)


@adjoint(np.linalg.trace)
def linalg_trace(y, x, offset=0, dtype=None):
    d[x] = tangent.trace_gradient(d[y], x, offset, -2, -1)


@adjoint(np.linalg.diagonal)
def linalg_diagonal(y, x, offset=0):
    d[x] = tangent.diagonal_gradient(d[y], x, offset, -2, -1)


@adjoint(np.linalg.multi_dot)
def multi_dot(y, arrays, out=None):
    d[arrays] = tangent.multi_dot_gradient(d[y], arrays)


@adjoint(np.convolve)
def convolve(y, a, v, mode='full'):
    d[a] = tangent.convolution_gradient(d[y], a, v, mode, True, False)
    d[v] = tangent.convolution_gradient(d[y], a, v, mode, False, False)


@adjoint(np.correlate)
def correlate(y, a, v, mode='valid'):
    d[a] = tangent.convolution_gradient(d[y], a, v, mode, True, True)
    d[v] = tangent.convolution_gradient(d[y], a, v, mode, False, True)


alias(np.vecdot, np.linalg.vecdot)
alias(np.linalg.outer, np.outer)
alias(np.linalg.tensordot, np.tensordot)
alias(np.linalg.matmul, operator.matmul)


# Shape ---------------------------------------------------------------------

@adjoint(np.reshape)
def reshape(y, a, shape=None, order='C', newshape=None, copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@adjoint(np.array)
def array(y, object, dtype=None, copy=True, order='K', subok=False, ndmin=0):  # noqa: A002
    d[object] = tangent.unarray(d[y], object, dtype=dtype)


@adjoint(np.asarray)
def asarray(y, a, dtype=None, order=None, copy=None):
    d[a] = tangent.unarray(d[y], a, dtype=dtype)  # zero through a cast to int or bool


@adjoint(np.atleast_1d)
def atleast_1d(y, x):
    d[x] = tangent.unarray(d[y], x)


alias(np.atleast_2d, np.atleast_1d)
alias(np.atleast_3d, np.atleast_1d)


@adjoint(np.squeeze)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], np.shape(a))


@adjoint(np.expand_dims)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], np.shape(a))


@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting='same_kind'):
    d[arrays] = tangent.concatenate_gradient(d[y], arrays, axis)


@adjoint(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting='same_kind'):
    d[arrays] = tangent.stack_gradient(d[y], arrays, axis)


@adjoint(np.hstack)
def hstack(y, tup, dtype=None, casting='same_kind'):
    d[tup] = tangent.joined_gradient(d[y], tup, 'hstack')


@adjoint(np.vstack)
def vstack(y, tup, dtype=None, casting='same_kind'):
    d[tup] = tangent.joined_gradient(d[y], tup, 'vstack')


@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] = tangent.joined_gradient(d[y], tup, 'dstack')


@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] = tangent.joined_gradient(d[y], tup, 'column_stack')


@adjoint(np.pad)
def pad(y, array, pad_width, mode='constant', constant_values=0):
    d[array] = tangent.pad_gradient(d[y], array, pad_width, mode)


@adjoint(np.broadcast_to)
def broadcast_to(y, array, shape, subok=False):
    d[array] = tangent.unbroadcast(d[y], array)


@adjoint(np.take)
@constant_in('indices')
def take(y, a, indices, axis=None, out=None, mode='raise'):
    d[a] = tangent.take_gradient(d[y], a, indices, axis)


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None, order=None):
    d[a] = tangent.sort_gradient(d[y], a, axis)


@adjoint(np.append)
def append(y, arr, values, axis=None):
    d[arr] = tangent.append_gradient(d[y], arr, values, axis, True)
    d[values] = tangent.append_gradient(d[y], arr, values, axis, False)


@adjoint(np.ediff1d)
def ediff1d(y, ary, to_end=None, to_begin=None):
    d[ary] = tangent.ediff1d_gradient(d[y], ary, to_end, to_begin, 'ary')
    d[to_end] = tangent.ediff1d_gradient(d[y], ary, to_end, to_begin, 'to_end')
    d[to_begin] = tangent.ediff1d_gradient(d[y], ary, to_end, to_begin, 'to_begin')


# Linear in f; the spacings are one for all axes, or one per axis.
@adjoint(np.gradient)
def gradient(y, f, *spacings, axis=None, edge_order=1):
    d[f] = tangent.finite_difference_gradient(d[y], f, spacings, axis, edge_order)
    d[spacings[i]] = tangent.finite_difference_spacing_gradient(d[y], y, f, spacings, i, axis)


@adjoint(np.matrix_transpose)
def matrix_transpose(y, x):
    d[x] = tangent.matrix_transpose(d[y])


@adjoint(np.unstack)
def unstack(y, x, axis=0):
    d[x] = np.stack(tangent.broadcast_items(d[y], y), axis)


@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] = tangent.split_gradient(d[y], ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0)


@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] = tangent.split_gradient(d[y], ary, indices_or_sections, 0)


@adjoint(np.dsplit)
def dsplit(y, ary, indices_or_sections):
    d[ary] = tangent.split_gradient(d[y], ary, indices_or_sections, 2)


@adjoint(np.compress)
def compress(y, condition, a, axis=None, out=None):
    d[a] = tangent.compress_gradient(d[y], condition, a, axis)


@adjoint(np.extract)
def extract(y, condition, arr):
    d[arr] = tangent.compress_gradient(d[y], np.ravel(condition), arr, None)


@adjoint(np.delete)
def delete(y, arr, obj, axis=None):
    d[arr] = tangent.delete_gradient(d[y], arr, obj, axis)


# The distinct values: elements equal to one share its gradient (as ties of a max do).
@adjoint(np.unique)
def unique(y, ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           equal_nan=True, sorted=True):  # noqa: A002 - NumPy's name
    d[ar] = tangent.unique_gradient(d[y], y, ar, axis, equal_nan, sorted)


@adjoint(np.unique_values)
def unique_values(y, x):
    d[x] = tangent.unique_gradient(d[y], y, x, None)


# Constructors whose values are linear in some arguments (the shape and the number of
# samples are integers; a cast to an integer dtype makes the derivative zero).

@adjoint(np.full)
def full(y, shape, fill_value, dtype=None, order='C', device=None, like=None):
    d[fill_value] = tangent.fill_gradient(d[y], y, fill_value)


@adjoint(np.full_like)
@constant_in('a')  # its shape only
def full_like(y, a, fill_value, dtype=None, order='K', subok=True, shape=None, device=None):
    d[fill_value] = tangent.fill_gradient(d[y], y, fill_value)


@adjoint(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             device=None):
    d[start] = tangent.linspace_gradient(d[y], y, start, stop, num, endpoint, retstep, axis,
                                         False)
    d[stop] = tangent.linspace_gradient(d[y], y, start, stop, num, endpoint, retstep, axis,
                                        True)


@adjoint(np.logspace)
def logspace(y, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    d[start] = tangent.logspace_gradient(d[y], y, start, stop, num, endpoint, base, axis,
                                         'start')
    d[stop] = tangent.logspace_gradient(d[y], y, start, stop, num, endpoint, base, axis, 'stop')
    d[base] = tangent.logspace_gradient(d[y], y, start, stop, num, endpoint, base, axis, 'base')


@adjoint(np.geomspace)
def geomspace(y, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    d[start] = tangent.geomspace_gradient(d[y], y, start, stop, num, endpoint, axis, False)
    d[stop] = tangent.geomspace_gradient(d[y], y, start, stop, num, endpoint, axis, True)


# Each grid is one input spread along the other axes.
@adjoint(np.meshgrid)
def meshgrid(grids, *xi, copy=True, sparse=False, indexing='xy'):
    d[xi[i]] = tangent.meshgrid_gradient(d[grids], xi, i, indexing)


# y[k] = start + k * step; the stop sets the length only.
@adjoint(np.arange)
@constant_in('stop')  # it decides how many values there are
def arange(y, start_or_stop, stop=None, step=1, dtype=None, device=None, like=None):
    d[start_or_stop] = tangent.unbroadcast(
        tangent.arange_gradient(d[y], y, start_or_stop, stop, False), start_or_stop)
    d[step] = tangent.unbroadcast(tangent.arange_gradient(d[y], y, start_or_stop, stop, True),
                                  step)


# Linear in the weights: each weight goes to the bin of its x.
@adjoint(np.bincount)
def bincount(y, x, weights=None, minlength=0):
    d[weights] = tangent.astype(np.take(d[y], x), weights)


alias(np.linalg.matrix_transpose, np.matrix_transpose)
alias(np.asanyarray, np.asarray)
alias(np.ascontiguousarray, np.asarray)
alias(np.asfortranarray, np.asarray)
alias(np.asarray_chkfinite, np.asarray)


# Runtime helpers (so that generated code can be differentiated again) --------

# `+` and `*` whose operands may be lists or tuples: the rule decides at run time.
@adjoint(tangent.add_or_concat)
def add_or_concat(z, x, y):
    d[x] = tangent.unconcat(d[z], x, y, 0)
    d[y] = tangent.unconcat(d[z], x, y, 1)


@adjoint(tangent.mul_or_repeat)
def mul_or_repeat(z, x, y):
    d[x] = tangent.unrepeat(d[z], x, y, 0)
    d[y] = tangent.unrepeat(d[z], x, y, 1)


@adjoint(tangent.concat_tangent)
@constant_in('left', 'right', 'like')  # their lengths only
def concat_tangent(y, dleft, dright, left, right, like):
    d[dleft] = tangent.unconcat(d[y], left, right, 0)
    d[dright] = tangent.unconcat(d[y], left, right, 1)


@adjoint(tangent.prod_others)
def prod_others(y, a, axis):
    d[a] = tangent.prod_others_tangent(a, d[y], axis)  # the Jacobian is symmetric


@adjoint(tangent.repeat_tangent)
def repeat_tangent(y, dx, dz, x, z, like):
    d[dx] = tangent.unrepeat(d[y], x, z, 0)
    d[dz] = tangent.unrepeat(d[y], x, z, 1)


@adjoint(tangent.starred_list)
def starred_list(y, x):
    d[x] = tangent.unstarred(d[y], x)


alias(tangent.starred_tuple, tangent.starred_list)


@adjoint(tangent.unzipped)
def unzipped(y, pairs):
    d[pairs] = tangent.unzipped_derivative(d[y], pairs)


@adjoint(tangent.add_grad)
def add_grad(y, left, right):
    d[left] = tangent.unbroadcast(d[y], left)
    d[right] = tangent.unbroadcast(d[y], right)


@adjoint(tangent.copy)
def copy(y, x):
    d[x] = d[y]


# An object's gradient is the gradient of the dict of its differentiable attributes.
@adjoint(tangent.object_parameters)
@constant_in('paths')
def object_parameters(y, obj, paths):
    d[obj] = d[y]


@adjoint(tangent.power_slope)
def power_slope(s, x, y, order=1):
    d[x] = tangent.unbroadcast(d[s] * tangent.power_slope(x, y, order + 1), x)
    d[y] = tangent.unbroadcast(d[s] * tangent.power_slope_exponent(x, y, order), y)


@adjoint(tangent.grad_dot)
def grad_dot(z, dy, x1, x2):
    d[dy] = tangent.astype(np.dot(d[z], x2), dy)
    d[x2] = tangent.grad_dot_right(dy, d[z], x2)


@adjoint(tangent.grad_dot_right)
def grad_dot_right(z, dy, x1, x2):
    d[dy] = tangent.astype(np.dot(x1, d[z]), dy)
    d[x1] = tangent.grad_dot(dy, x1, d[z])


# The operator, not np.matmul: these helpers serve x @ y for every library's arrays.
@adjoint(tangent.grad_matmul_left)
def grad_matmul_left(z, dz, x, y):
    d[dz] = tangent.unbroadcast(d[z] @ y, dz)
    d[y] = tangent.grad_matmul_right(dz, d[z], y)


@adjoint(tangent.grad_matmul_right)
def grad_matmul_right(z, dz, x, y):
    d[dz] = tangent.unbroadcast(x @ d[z], dz)
    d[x] = tangent.grad_matmul_left(dz, x, d[z])


@adjoint(tangent.unarray)
@constant_in('like')  # its structure only
def unarray(y, grad, like, dtype=None):
    d[grad] = tangent.array_tangent(d[y], grad, dtype=dtype)


@adjoint(tangent.array_tangent)
@constant_in('like')  # its shape only
def array_tangent(y, tangent_value, like, dtype=None):
    d[tangent_value] = tangent.unarray(d[y], tangent_value, dtype=dtype)


# A cast to the dtype of the values g is a gradient for: g's gradient casts back.
@adjoint(helpers._as_gradient)
@constant_in('like')  # its shape only
def as_gradient(y, g, *like):
    d[g] = tangent.astype(d[y], g)


# The derivative of singular vectors is not written: norms through the SVD stop here.
@adjoint(tangent.singular_norm_direction)
@constant_in('x', 'ord')  # the rule raises: no second derivative
def singular_norm_direction(y, x, ord):  # noqa: A002 - NumPy's name
    d[x] = tangent.no_second_derivative(
        "np.linalg.norm with ord='nuc', 2 or -2 of a matrix",
        '(through the singular vectors)', True)


# einsum's rules are multilinear in the operands: their derivatives are einsums too.
@adjoint(tangent.einsum_gradient)
def einsum_gradient(r, g, subscripts, operands, index):
    d[g] = tangent.unbroadcast(tangent.einsum_with(subscripts, operands, index, d[r]), g)
    d[operands] = tangent.einsum_gradient_operands_gradient(g, subscripts, operands, index,
                                                            d[r])


@adjoint(tangent.einsum_tangent)
def einsum_tangent(y, subscripts, operands, tangents):
    d[tangents] = tangent.einsum_tangent_gradients(d[y], subscripts, operands, tangents, False)
    d[operands] = tangent.einsum_tangent_gradients(d[y], subscripts, operands, tangents, True)


# np.interp's helpers: the weights on fp move with x at the slope of the segment, and the
# slope itself is piecewise constant in x.
@adjoint(tangent.interp_fp_gradient)
@constant_in('fp', 'left', 'right')  # the weights on fp are x's and xp's
def interp_fp_gradient(z, g, x, xp, fp, left, right, period):
    d[g] = tangent.unbroadcast(
        tangent.interp_fp_tangent(d[z], x, xp, fp, left, right, period), g)
    d[x] = tangent.unbroadcast(g * tangent.interp_slope(x, xp, d[z], left, right, period), x)


@adjoint(tangent.interp_fp_tangent)
@constant_in('fp', 'left', 'right')  # the weights on fp are x's and xp's
def interp_fp_tangent(z, dfp, x, xp, fp, left, right, period):
    d[dfp] = tangent.unbroadcast(
        tangent.interp_fp_gradient(d[z], x, xp, fp, left, right, period), dfp)
    d[x] = tangent.unbroadcast(d[z] * tangent.interp_slope(x, xp, dfp, left, right, period), x)


@adjoint(tangent.interp_slope_fp_gradient)
def interp_slope_fp_gradient(z, g, x, xp, fp, left, right, period):
    d[g] = tangent.unbroadcast(tangent.interp_slope(x, xp, d[z], left, right, period), g)


# Linear in the seed; the order statistics' weights move with q, which is not written.
@adjoint(tangent.quantile_gradient)
@constant_in('y', 'a')  # the weights follow a's order: piecewise constant
def quantile_gradient(z, g, y, a, q, axis, method, scale, skip_nan):
    d[g] = tangent.unbroadcast(
        tangent.quantile_tangent(d[z], 0.0, y, a, q, axis, method, scale, skip_nan), g)
    d[q] = tangent.no_second_derivative('np.quantile (np.percentile, ...) with a moving q',
                                        '(through the weights of its order statistics)', True)


# Not differentiated again (RoR gave wrong numbers): the QR gradient stops here.
@adjoint(tangent.qr_gradient)
@constant_in('seed', 'result', 'a', 'mode')  # the rule raises: no second derivative
def qr_gradient(y, seed, result, a, mode):
    d[a] = tangent.no_second_derivative('np.linalg.qr', 'in reverse over reverse', True)


@adjoint(tangent.qr_tangent)
@constant_in('result')  # the rule raises: no second derivative
def qr_tangent(y, da, result, a, mode):
    d[a] = tangent.no_second_derivative('np.linalg.qr', 'in reverse over forward', True)
    d[da] = tangent.no_second_derivative('np.linalg.qr', 'in reverse over forward', True)

"""Forward-mode derivative rules: tangent templates.

Each rule is a template registered with ``@tangent_(fn)``: its first
parameter is the call's result, the others are the call's arguments in order
(keyword arguments by name, with their defaults). The body assigns
``d[result] = ...`` in terms of ``d[arg]``, the tangents of the arguments,
and is linear in them: the forward transformer replaces the tangent of an
argument that carries none by zero and simplifies.

The element-wise and linear functions (``np.sin``, ``math.sin``, ``np.flip``)
are not here: ``declared`` states each of their derivatives once and derives
both rules. This module holds the rules whose two modes are written apart.

Sections, in the same order as ``grads``: operators, builtins and math,
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
from tangent.rules.registry import constant_in, d, tangent_, tangents


def alias(func: Any, same_as: Any) -> None:
    """``func`` differentiates exactly like ``same_as`` (same parameters)."""
    tangents.register(func, tangents[same_as])


# Operators -----------------------------------------------------------------


@tangent_(operator.mul)
def mul(z, x, y):
    d[z] = d[x] * y + x * d[y]


@tangent_(operator.truediv)
def truediv(z, x, y):
    d[z] = d[x] / y - z * d[y] / y


@tangent_(operator.pow)
def pow(z, x, y):  # noqa: A001 - named after the operator it differentiates
    d[z] = tangent.power_slope(x, y) * d[x] + z * tangent.safe_log(x) * d[y]


@tangent_(operator.matmul)
def matmul(z, x, y):
    d[z] = d[x] @ y + x @ d[y]


# Builtins and math ---------------------------------------------------------

@tangent_(builtins.float)
def float_(y, x=0.0):
    d[y] = d[x]


@tangent_(np.float64)
def float64(y, x=0.0):
    d[y] = tangent.array_tangent(d[x], y, dtype=np.result_type(y))


for _scalar_type in (np.float32, np.float16, np.longdouble):
    alias(_scalar_type, np.float64)


@tangent_(builtins.abs)
def abs_(y, x):
    d[y] = d[x] * tangent.sign(x)


@tangent_(math.log)
def math_log(y, x, base=math.e):
    d[y] = (d[x] / x - d[base] * y / base) / math.log(base)


@tangent_(math.atan2)
def math_atan2(z, y, x):
    d[z] = (d[y] * x - d[x] * y) / (x * x + y * y)


@tangent_(math.hypot)
def math_hypot(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / z


@tangent_(math.copysign)
@constant_in('y')  # y moves nothing but at a sign change
def math_copysign(z, x, y):
    d[z] = d[x] * np.sign(x) * math.copysign(1.0, y)


# Any number of arguments, or one iterable; ties share the tangent.
@tangent_(builtins.max)
def builtin_max(z, *args):
    d[z] = tangent.extremum_tangent(z, args, d[args])


alias(builtins.min, builtins.max)
alias(builtins.pow, operator.pow)
alias(math.pow, operator.pow)


@tangent_(builtins.sum)
def builtin_sum(y, iterable, start=0):
    d[y] = tangent.sum_tangents(d[iterable], y) + d[start]


@tangent_(math.fsum)
def math_fsum(y, seq):
    d[y] = tangent.sum_tangents(d[seq], y)


@tangent_(math.prod)
def math_prod(y, iterable, start=1):
    d[y] = tangent.prod_sequence_tangent(d[iterable], iterable, start) + \
        d[start] * math.prod(iterable)


@tangent_(math.dist)
def math_dist(y, p, q):
    d[y] = tangent.dist_tangent(d[p], d[q], y, p, q)


@tangent_(math.modf)
def math_modf(y, x):
    d[y] = (d[x], 0.0)


@tangent_(math.frexp)
def math_frexp(y, x):
    d[y] = (d[x] * 2.0 ** -y[1], 0.0)


# NumPy element-wise --------------------------------------------------------

alias(np.multiply, operator.mul)
alias(np.divide, operator.truediv)
alias(np.power, operator.pow)
alias(np.matmul, operator.matmul)


@tangent_(np.square)
def square(y, x):
    d[y] = 2.0 * x * d[x]


@tangent_(np.arctan2)
def arctan2(z, x1, x2):
    d[z] = (x2 * d[x1] - x1 * d[x2]) / (x1 * x1 + x2 * x2)


@tangent_(np.hypot)
def hypot(z, x1, x2):
    d[z] = (x1 * d[x1] + x2 * d[x2]) / z


@tangent_(np.clip)
def clip(y, a, a_min=None, a_max=None, out=None):
    d[y] = d[a] * tangent.clip_passes(a, a_min, a_max) + \
        tangent.clip_bound_gradient(d[a_min], a, a_min, True, a_max) + \
        tangent.clip_bound_gradient(d[a_max], a, a_max, False, a_min)


@tangent_(np.where)
def where(z, condition, x=None, y=None):
    d[z] = tangent.where_gradient(d[x], condition, x, True) + \
        tangent.where_gradient(d[y], condition, y, False)


@tangent_(np.modf)
def modf(y, x):
    d[y] = (d[x], 0.0)


@tangent_(np.frexp)
def frexp(y, x):
    d[y] = (np.ldexp(d[x], -y[1]), 0.0)


@tangent_(np.interp)
def interp(y, x, xp, fp, left=None, right=None, period=None):
    d[y] = d[x] * tangent.interp_slope(x, xp, fp, left, right, period) + \
        tangent.interp_fp_tangent(d[fp], x, xp, fp, left, right, period) + \
        d[left] * tangent.interp_outside(x, xp, period, True) + \
        d[right] * tangent.interp_outside(x, xp, period, False)


@tangent_(np.polyval)
def polyval(y, p, x):
    d[y] = np.polyval(d[p], x) + d[x] * tangent.polynomial_slope(p, x)


alias(np.float_power, operator.pow)


# Reductions ----------------------------------------------------------------

@tangent_(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(d[a], axis=axis, keepdims=keepdims)


@tangent_(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.mean(d[a], axis=axis, keepdims=keepdims)


@tangent_(np.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * tangent.prod_others(a, axis), axis=axis, keepdims=keepdims)


@tangent_(np.max)
def max_(y, a, axis=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * tangent.extremum_share(y, a, axis, keepdims), axis=axis,
                  keepdims=keepdims)


# np.logaddexp.reduce(a, axis) is written as this helper (methods.ufunc_method_call).
@tangent_(tangent.logaddexp_reduce)
def logaddexp_reduce(y, a, axis=0, dtype=None, keepdims=False):
    d[y] = np.sum(d[a] * tangent.logaddexp_share(y, a, axis, keepdims), axis=axis,
                  keepdims=keepdims)


@tangent_(np.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = tangent.variance_tangent(d[a], a, axis, ddof, keepdims)


@tangent_(np.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = tangent.variance_tangent(d[a], a, axis, ddof, keepdims) / (2.0 * y)


@tangent_(np.nanvar)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = tangent.nan_variance_tangent(d[a], a, axis, ddof, keepdims)


@tangent_(np.nanstd)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = tangent.nan_variance_tangent(d[a], a, axis, ddof, keepdims) / (2.0 * y)


@tangent_(np.cov)
def cov(c, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    d[c] = tangent.covariance_tangent(d[m], d[y], m, y, rowvar, bias, ddof, fweights,
                                      aweights)


@tangent_(np.corrcoef)
def corrcoef(r, x, y=None, rowvar=True):
    d[r] = tangent.correlation_tangent(d[x], d[y], x, y, rowvar)


@tangent_(np.cumsum)
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(d[a], axis)


@tangent_(np.cumprod)
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[y] = tangent.cumprod_tangent(d[a], y, a, axis)


@tangent_(np.average)
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    d[y] = tangent.average_tangent(d[a], a, axis, weights, keepdims) + \
        tangent.average_weights_tangent(d[weights], y, a, axis, weights, keepdims)


@tangent_(np.trace)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[y] = np.trace(d[a], offset, axis1, axis2)


@tangent_(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    d[y] = np.sum(tangent.real_only(d[x], x, 'np.linalg.norm')
                  * tangent.norm_direction(y, x, ord, axis, keepdims),
                  axis=tangent.reduced_axes(np.ndim(x), axis), keepdims=keepdims)


@tangent_(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, keepdims=keepdims)


@tangent_(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, keepdims=keepdims) / \
        tangent.nan_count(a, axis, keepdims)


@tangent_(np.ptp)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * (
        tangent.extremum_share(np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
        - tangent.extremum_share(np.min(a, axis, keepdims=keepdims), a, axis, keepdims)),
        axis=axis, keepdims=keepdims)


@tangent_(np.cumulative_sum)
def cumulative_sum(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[y] = tangent.cumulative_tangent(d[x], y, x, axis, include_initial, False)


@tangent_(np.cumulative_prod)
def cumulative_prod(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[y] = tangent.cumulative_tangent(d[x], y, x, axis, include_initial, True)


@tangent_(np.trapezoid)
def trapezoid(z, y, x=None, dx=1.0, axis=-1):
    d[z] = np.sum(d[y] * tangent.trapezoid_weights(y, x, dx, axis), axis=axis) + \
        np.trapezoid(y, d[x], axis=axis) + d[dx] * tangent.trapezoid_unit_area(y, x, axis)


@tangent_(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):  # noqa: A002 - NumPy's name
    d[y] = np.sum(d[x] * tangent.vector_norm_direction(y, x, ord, axis, keepdims), axis=axis,
                  keepdims=keepdims)


@tangent_(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord='fro'):  # noqa: A002 - NumPy's name
    d[y] = np.sum(d[x] * tangent.matrix_norm_direction(x, ord), axis=(-2, -1),
                  keepdims=keepdims)


@tangent_(np.median)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[y] = np.sum(d[a] * tangent.median_share(a, axis, keepdims), axis=axis, keepdims=keepdims)


@tangent_(np.quantile)
def quantile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
             keepdims=False, weights=None):
    d[y] = tangent.quantile_tangent(d[a], d[q], y, a, q, axis, method, 1.0, False)


@tangent_(np.percentile)
def percentile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
               keepdims=False, weights=None):
    d[y] = tangent.quantile_tangent(d[a], d[q], y, a, q, axis, method, 100.0, False)


@tangent_(np.nanquantile)
def nanquantile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                keepdims=False, weights=None):
    d[y] = tangent.quantile_tangent(d[a], d[q], y, a, q, axis, method, 1.0, True)


@tangent_(np.nanpercentile)
def nanpercentile(y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                  keepdims=False, weights=None):
    d[y] = tangent.quantile_tangent(d[a], d[q], y, a, q, axis, method, 100.0, True)


@tangent_(np.nanmedian)
def nanmedian(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[y] = tangent.quantile_tangent(d[a], 0.0, y, a, 0.5, axis, 'linear', 1.0, True)


alias(np.amax, np.max)
alias(np.min, np.max)
alias(np.amin, np.max)
alias(np.nanmax, np.max)
alias(np.nanmin, np.max)


# Linear algebra ------------------------------------------------------------

@tangent_(np.dot)
def dot(z, a, b):
    d[z] = np.dot(d[a], b) + np.dot(a, d[b])


@tangent_(np.linalg.det)
def det(y, a):
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


@tangent_(np.vdot)
def vdot(y, a, b):
    d[y] = np.vdot(tangent.real_only(d[a], a, 'np.vdot'), b) + np.vdot(a, d[b])


@tangent_(np.inner)
def inner(y, a, b):
    d[y] = np.inner(d[a], b) + np.inner(a, d[b])


@tangent_(np.outer)
def outer(y, a, b, out=None):
    d[y] = np.outer(d[a], b) + np.outer(a, d[b])


@tangent_(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[y] = np.tensordot(d[a], b, axes) + np.tensordot(a, d[b], axes)


@tangent_(np.einsum)
def einsum(y, subscripts, *operands, out=None, optimize=False):
    d[y] = tangent.einsum_tangent(subscripts, operands, d[operands])


@tangent_(np.kron)
def kron(y, a, b):
    d[y] = np.kron(d[a], b) + np.kron(a, d[b])


@tangent_(np.linalg.inv)
def inv(y, a):
    d[y] = -y @ d[a] @ y


@tangent_(np.linalg.slogdet)
def slogdet(y, a):
    d[y] = tangent.slogdet_tangent(d[a], a, y)


@tangent_(np.linalg.solve)
def solve(x, a, b):
    d[x] = tangent.solve_tangent(a, b, x, d[a], d[b])


@tangent_(np.linalg.cholesky)
def cholesky(low, a, upper=False):
    d[low] = tangent.cholesky_tangent(d[a], low, upper)


@tangent_(np.linalg.eigh)
def eigh(result, a, UPLO='L'):  # noqa: N803 - NumPy's name
    d[result] = tangent.eigh_tangent(d[a], result)


@tangent_(np.linalg.pinv)
def pinv(y, a, rcond=None, hermitian=False, rtol=None):
    d[y] = tangent.pinv_tangent(d[a], y, a)  # a of full rank


@tangent_(np.linalg.svd)
def svd(result, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[result] = tangent.svd_tangent(d[a], result, a, full_matrices, compute_uv)


@tangent_(np.linalg.lstsq)
def lstsq(result, a, b, rcond=None):
    d[result] = tangent.lstsq_tangent(d[a], d[b], result, a, b)


@tangent_(np.polyfit)
def polyfit(p, x, y, deg, rcond=None, full=False, w=None, cov=False):
    d[p] = tangent.polyfit_tangent(d[x], d[y], p, x, y, deg, w, full, cov)


@tangent_(np.linalg.qr)
def qr(result, a, mode='reduced'):
    d[result] = tangent.qr_tangent(d[a], result, a, mode)


@tangent_(np.linalg.eigvalsh)
def eigvalsh(w, a, UPLO='L'):  # noqa: N803 - NumPy's name
    d[w] = tangent.eigvalsh_tangent(d[a], a, UPLO)


@tangent_(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[y] = tangent.matrix_power_tangent(d[a], a, n)


@tangent_(np.vander)
def vander(v, x, N=None, increasing=False):  # noqa: N803 - NumPy's name
    d[v] = np.expand_dims(d[x], -1) * tangent.vander_slopes(x, N, increasing)


@tangent_(np.select)
def select(y, condlist, choicelist, default=0):
    d[y] = tangent.select_tangent(condlist, d[choicelist], d[default])


@tangent_(np.cross)
def cross(c, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[c] = np.cross(d[a], b, axisa, axisb, axisc, axis) + np.cross(a, d[b], axisa, axisb,
                                                                    axisc, axis)


@tangent_(np.linalg.cross)
def linalg_cross(c, x1, x2, axis=-1):
    d[c] = np.linalg.cross(d[x1], x2, axis=axis) + np.linalg.cross(x1, d[x2], axis=axis)


@tangent_(np.linalg.vecdot)
def vecdot(y, x1, x2, axis=-1):
    d[y] = np.sum(d[x1] * x2, axis=axis) + np.sum(x1 * d[x2], axis=axis)


@tangent_(np.linalg.trace)
def linalg_trace(y, x, offset=0, dtype=None):
    d[y] = np.trace(d[x], offset, -2, -1)


@tangent_(np.linalg.diagonal)
def linalg_diagonal(y, x, offset=0):
    d[y] = np.diagonal(d[x], offset, -2, -1)


@tangent_(np.linalg.multi_dot)
def multi_dot(y, arrays, out=None):
    d[y] = tangent.multi_dot_tangent(d[arrays], arrays)


@tangent_(np.convolve)
def convolve(y, a, v, mode='full'):
    d[y] = np.convolve(d[a], v, mode) + np.convolve(a, d[v], mode)


@tangent_(np.correlate)
def correlate(y, a, v, mode='valid'):
    d[y] = np.correlate(d[a], v, mode) + np.correlate(a, d[v], mode)


alias(np.vecdot, np.linalg.vecdot)
alias(np.linalg.outer, np.outer)
alias(np.linalg.tensordot, np.tensordot)
alias(np.linalg.matmul, operator.matmul)


# Shape ---------------------------------------------------------------------

@tangent_(np.reshape)
def reshape(y, a, shape=None, order='C', newshape=None, copy=None):
    d[y] = np.reshape(d[a], np.shape(y), order=order)


@tangent_(np.array)
def array(y, object, dtype=None, copy=True, order='K', subok=False, ndmin=0):  # noqa: A002
    d[y] = tangent.array_tangent(d[object], y, dtype=dtype)


@tangent_(np.asarray)
def asarray(y, a, dtype=None, order=None, copy=None):
    d[y] = tangent.array_tangent(d[a], y, dtype=dtype)  # zero through a cast to int or bool


@tangent_(np.atleast_1d)
def atleast_1d(y, x):
    d[y] = np.reshape(d[x], np.shape(y))


alias(np.atleast_2d, np.atleast_1d)
alias(np.atleast_3d, np.atleast_1d)


@tangent_(np.squeeze)
def squeeze(y, a, axis=None):
    d[y] = np.reshape(d[a], np.shape(y))


@tangent_(np.expand_dims)
def expand_dims(y, a, axis):
    d[y] = np.reshape(d[a], np.shape(y))


@tangent_(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting='same_kind'):
    d[y] = np.concatenate(tangent.broadcast_items(d[arrays], arrays), axis)


@tangent_(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting='same_kind'):
    d[y] = np.stack(tangent.broadcast_items(d[arrays], arrays), axis)


@tangent_(np.hstack)
def hstack(y, tup, dtype=None, casting='same_kind'):
    d[y] = np.hstack(tangent.broadcast_items(d[tup], tup))


@tangent_(np.vstack)
def vstack(y, tup, dtype=None, casting='same_kind'):
    d[y] = np.vstack(tangent.broadcast_items(d[tup], tup))


@tangent_(np.dstack)
def dstack(y, tup):
    d[y] = np.dstack(tangent.broadcast_items(d[tup], tup))


@tangent_(np.column_stack)
def column_stack(y, tup):
    d[y] = np.column_stack(tangent.broadcast_items(d[tup], tup))


@tangent_(np.ediff1d)
def ediff1d(y, ary, to_end=None, to_begin=None):
    d[y] = tangent.ediff1d_tangent(d[ary], d[to_end], d[to_begin], ary, to_end, to_begin)


@tangent_(np.gradient)
def gradient(y, f, *spacings, axis=None, edge_order=1):
    d[y] = tangent.finite_difference_tangent(d[f], d[spacings], y, f, spacings, axis,
                                             edge_order)


@tangent_(np.matrix_transpose)
def matrix_transpose(y, x):
    d[y] = tangent.matrix_transpose(d[x])


@tangent_(np.unstack)
def unstack(y, x, axis=0):
    d[y] = np.unstack(tangent.broadcast_like(d[x], x), axis=axis)


@tangent_(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[y] = np.hsplit(tangent.broadcast_like(d[ary], ary), indices_or_sections)


@tangent_(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[y] = np.vsplit(tangent.broadcast_like(d[ary], ary), indices_or_sections)


@tangent_(np.dsplit)
def dsplit(y, ary, indices_or_sections):
    d[y] = np.dsplit(tangent.broadcast_like(d[ary], ary), indices_or_sections)


@tangent_(np.compress)
def compress(y, condition, a, axis=None, out=None):
    d[y] = np.compress(condition, tangent.broadcast_like(d[a], a), axis)


@tangent_(np.extract)
def extract(y, condition, arr):
    d[y] = np.extract(condition, tangent.broadcast_like(d[arr], arr))


@tangent_(np.delete)
def delete(y, arr, obj, axis=None):
    d[y] = np.delete(tangent.broadcast_like(d[arr], arr), obj, axis)


@tangent_(np.unique)
def unique(y, ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           equal_nan=True, sorted=True):  # noqa: A002 - NumPy's name
    d[y] = tangent.unique_tangent(d[ar], y, ar, axis, equal_nan, sorted)


@tangent_(np.unique_values)
def unique_values(y, x):
    d[y] = tangent.unique_tangent(d[x], y, x, None)


# Constructors whose values are linear in some arguments.

@tangent_(np.full)
def full(y, shape, fill_value, dtype=None, order='C', device=None, like=None):
    d[y] = tangent.fill_tangent(d[fill_value], y)


@tangent_(np.full_like)
@constant_in('a')  # its shape only
def full_like(y, a, fill_value, dtype=None, order='K', subok=True, shape=None, device=None):
    d[y] = tangent.fill_tangent(d[fill_value], y)


@tangent_(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             device=None):
    d[y] = tangent.linspace_tangent(d[start], d[stop], y, start, stop, num, endpoint, retstep,
                                    axis)


@tangent_(np.logspace)
def logspace(y, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    d[y] = tangent.logspace_tangent(d[start], d[stop], d[base], y, start, stop, num, endpoint,
                                    base, axis)


@tangent_(np.geomspace)
def geomspace(y, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    d[y] = tangent.geomspace_tangent(d[start], d[stop], y, start, stop, num, endpoint, axis)


@tangent_(np.meshgrid)
def meshgrid(grids, *xi, copy=True, sparse=False, indexing='xy'):
    d[grids] = tangent.meshgrid_tangent(d[xi], xi, sparse, indexing)


@tangent_(np.arange)
@constant_in('stop')  # it decides how many values there are
def arange(y, start_or_stop, stop=None, step=1, dtype=None, device=None, like=None):
    d[y] = tangent.arange_tangent(d[start_or_stop], d[step], y, stop)


@tangent_(np.bincount)
def bincount(y, x, weights=None, minlength=0):
    d[y] = np.bincount(x, d[weights], np.size(y))


alias(np.linalg.matrix_transpose, np.matrix_transpose)
alias(np.asanyarray, np.asarray)
alias(np.ascontiguousarray, np.asarray)
alias(np.asfortranarray, np.asarray)
alias(np.asarray_chkfinite, np.asarray)


@tangent_(np.pad)
def pad(y, array, pad_width, mode='constant', constant_values=0):
    d[y] = np.pad(d[array], pad_width, tangent.linear_pad_mode(mode))


@tangent_(np.broadcast_to)
def broadcast_to(y, array, shape, subok=False):
    d[y] = np.broadcast_to(d[array], shape)


@tangent_(np.take)
@constant_in('indices')
def take(y, a, indices, axis=None, out=None, mode='raise'):
    d[y] = np.take(d[a], indices, axis)


@tangent_(np.sort)
def sort(y, a, axis=-1, kind=None, order=None):
    d[y] = tangent.sort_tangent(d[a], a, axis)


@tangent_(np.append)
def append(y, arr, values, axis=None):
    d[y] = np.append(tangent.broadcast_like(d[arr], arr), tangent.broadcast_like(d[values],
                                                                             values), axis)


# Runtime helpers (so that generated code can be differentiated again) --------

# `+` and `*` whose operands may be lists or tuples: the rule decides at run time.
@tangent_(tangent.add_or_concat)
def add_or_concat(z, x, y):
    d[z] = tangent.concat_tangent(d[x], d[y], x, y, z)


@tangent_(tangent.mul_or_repeat)
def mul_or_repeat(z, x, y):
    d[z] = tangent.repeat_tangent(d[x], d[y], x, y, z)


@tangent_(tangent.concat_tangent)
@constant_in('left', 'right', 'like')  # their lengths only
def concat_tangent(y, dleft, dright, left, right, like):
    d[y] = tangent.concat_tangent(d[dleft], d[dright], left, right, like)


@tangent_(tangent.prod_others)
def prod_others(y, a, axis):
    d[y] = tangent.prod_others_tangent(a, d[a], axis)


@tangent_(tangent.repeat_tangent)
def repeat_tangent(y, dx, dz, x, z, like):
    d[y] = tangent.repeat_tangent(d[dx], d[dz], x, z, like)


@tangent_(tangent.starred_list)
def starred_list(y, x):
    d[y] = tangent.restarred(d[x], x, list)


@tangent_(tangent.starred_tuple)
def starred_tuple(y, x):
    d[y] = tangent.restarred(d[x], x, tuple)


@tangent_(tangent.unzipped)
def unzipped(y, pairs):
    d[y] = tangent.unzipped_tangent(d[pairs], pairs)


@tangent_(tangent.add_grad)
def add_grad(y, left, right):
    d[y] = tangent.add_grad(d[left], d[right])


@tangent_(tangent.copy)
def copy(y, x):
    d[y] = tangent.copy(d[x])


# An object's tangent is the dict of its differentiable attributes' tangents.
@tangent_(tangent.object_parameters)
@constant_in('paths')
def object_parameters(y, obj, paths):
    d[y] = d[obj]


@tangent_(tangent.power_slope)
def power_slope(s, x, y, order=1):
    d[s] = (tangent.power_slope(x, y, order + 1) * d[x]
            + tangent.power_slope_exponent(x, y, order) * d[y])


@tangent_(tangent.grad_dot)
def grad_dot(z, dy, x1, x2):
    d[z] = tangent.grad_dot(d[dy], x1, x2) + tangent.grad_dot(dy, x1, d[x2])


@tangent_(tangent.grad_dot_right)
def grad_dot_right(z, dy, x1, x2):
    d[z] = tangent.grad_dot_right(d[dy], x1, x2) + tangent.grad_dot_right(dy, d[x1], x2)


@tangent_(tangent.grad_matmul_left)
def grad_matmul_left(z, dz, x, y):
    d[z] = tangent.grad_matmul_left(d[dz], x, y) + tangent.grad_matmul_left(dz, x, d[y])


@tangent_(tangent.grad_matmul_right)
def grad_matmul_right(z, dz, x, y):
    d[z] = tangent.grad_matmul_right(d[dz], x, y) + tangent.grad_matmul_right(dz, d[x], y)


@tangent_(tangent.unarray)
@constant_in('like')  # its structure only
def unarray(y, grad, like, dtype=None):
    d[y] = tangent.unarray(d[grad], like, dtype=dtype)


@tangent_(tangent.array_tangent)
@constant_in('like')  # its shape only
def array_tangent(y, tangent_value, like, dtype=None):
    d[y] = tangent.array_tangent(d[tangent_value], like, dtype=dtype)


@tangent_(helpers._as_gradient)
@constant_in('like')  # its shape only
def as_gradient(y, g, *like):
    d[y] = np.asarray(d[g], dtype=y.dtype)


@tangent_(tangent.singular_norm_direction)
@constant_in('x', 'ord')  # the rule raises: no second derivative
def singular_norm_direction(y, x, ord):  # noqa: A002 - NumPy's name
    d[y] = tangent.no_second_derivative(
        "np.linalg.norm with ord='nuc', 2 or -2 of a matrix",
        '(through the singular vectors)', False)



@tangent_(tangent.einsum_gradient)
def einsum_gradient(r, g, subscripts, operands, index):
    d[r] = tangent.einsum_gradient_tangent(d[g], g, subscripts, operands, d[operands], index)


@tangent_(tangent.einsum_tangent)
def einsum_tangent(y, subscripts, operands, tangents):
    d[y] = tangent.einsum_tangent_tangent(subscripts, operands, tangents, d[operands],
                                          d[tangents])


@tangent_(tangent.interp_fp_gradient)
@constant_in('fp', 'left', 'right')  # the weights on fp are x's and xp's
def interp_fp_gradient(z, g, x, xp, fp, left, right, period):
    d[z] = tangent.interp_fp_gradient(d[g], x, xp, fp, left, right, period) + \
        tangent.interp_slope_fp_gradient(g * d[x], x, xp, fp, left, right, period)


@tangent_(tangent.interp_fp_tangent)
@constant_in('fp', 'left', 'right')  # the weights on fp are x's and xp's
def interp_fp_tangent(z, dfp, x, xp, fp, left, right, period):
    d[z] = tangent.interp_fp_tangent(d[dfp], x, xp, dfp, left, right, period) + \
        d[x] * tangent.interp_slope(x, xp, dfp, left, right, period)


@tangent_(tangent.interp_slope_fp_gradient)
def interp_slope_fp_gradient(z, g, x, xp, fp, left, right, period):
    d[z] = tangent.interp_slope_fp_gradient(d[g], x, xp, fp, left, right, period)


@tangent_(tangent.quantile_gradient)
@constant_in('y', 'a')  # the weights follow a's order: piecewise constant
def quantile_gradient(z, g, y, a, q, axis, method, scale, skip_nan):
    d[z] = tangent.quantile_gradient(d[g], y, a, q, axis, method, scale, skip_nan) + \
        tangent.unless_still(d[q], 'np.quantile (np.percentile, ...) with a moving q',
                             '(through the weights of its order statistics)')


@tangent_(tangent.qr_gradient)
@constant_in('seed', 'result', 'a', 'mode')  # the rule raises: no second derivative
def qr_gradient(y, seed, result, a, mode):
    d[y] = tangent.no_second_derivative('np.linalg.qr', 'of its reverse-mode rule', False)


@tangent_(tangent.qr_tangent)
@constant_in('da', 'result', 'a', 'mode')  # the rule raises: no second derivative
def qr_tangent(y, da, result, a, mode):
    d[y] = tangent.no_second_derivative('np.linalg.qr', 'of its forward-mode rule', False)

"""Forward-mode derivative rules: tangent templates (layer L3).

Each rule is a template registered with ``@tangent_(fn)``: its first
parameter is the call's result, the others are the call's arguments in order
(keyword arguments by name, with their defaults). The body assigns
``d[result] = ...`` in terms of ``d[arg]``, the tangents of the arguments,
and is linear in them: the forward transformer replaces the tangent of an
argument that carries none by zero and simplifies.

Sections, in the same order as ``grads``: operators, builtins and math,
NumPy element-wise, reductions, linear algebra, shape.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any, Callable

import numpy as np

from tangent import utils as tangent
from tangent.registry import Registry

tangents = Registry('tangent')

# The template marker: in a rule, ``d[x]`` reads "the tangent of x".
d: Any = None


def tangent_(func: Any, override: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated template as the forward-mode rule of ``func``."""
    return tangents(func, override=override)


def alias(func: Any, same_as: Any) -> None:
    """``func`` differentiates exactly like ``same_as`` (same parameters)."""
    tangents.register(func, tangents[same_as])


# Operators -----------------------------------------------------------------

@tangent_(operator.add)
def add(z, x, y):
    d[z] = d[x] + d[y]


@tangent_(operator.sub)
def sub(z, x, y):
    d[z] = d[x] - d[y]


@tangent_(operator.mul)
def mul(z, x, y):
    d[z] = d[x] * y + x * d[y]


@tangent_(operator.truediv)
def truediv(z, x, y):
    d[z] = d[x] / y - z * d[y] / y


@tangent_(operator.pow)
def pow(z, x, y):  # noqa: A001 - named after the operator it differentiates
    d[z] = y * x ** (y - 1) * d[x] + z * tangent.safe_log(x) * d[y]


@tangent_(operator.neg)
def neg(y, x):
    d[y] = -d[x]


@tangent_(operator.pos)
def pos(y, x):
    d[y] = d[x]


@tangent_(operator.matmul)
def matmul(z, x, y):
    d[z] = d[x] @ y + x @ d[y]


# Builtins and math ---------------------------------------------------------

@tangent_(builtins.float)
def float_(y, x=0.0):
    d[y] = d[x]


@tangent_(builtins.abs)
def abs_(y, x):
    d[y] = d[x] * np.sign(x)


@tangent_(math.sin)
def math_sin(y, x):
    d[y] = d[x] * math.cos(x)


@tangent_(math.cos)
def math_cos(y, x):
    d[y] = -d[x] * math.sin(x)


@tangent_(math.exp)
def math_exp(y, x):
    d[y] = d[x] * y


@tangent_(math.log)
def math_log(y, x, base=math.e):
    d[y] = d[x] / (x * math.log(base))


@tangent_(math.sqrt)
def math_sqrt(y, x):
    d[y] = d[x] / (2.0 * y)


@tangent_(math.tanh)
def math_tanh(y, x):
    d[y] = d[x] * (1.0 - y * y)


@tangent_(math.tan)
def math_tan(y, x):
    d[y] = d[x] * (1.0 + y * y)


@tangent_(math.sinh)
def math_sinh(y, x):
    d[y] = d[x] * math.cosh(x)


@tangent_(math.cosh)
def math_cosh(y, x):
    d[y] = d[x] * math.sinh(x)


@tangent_(math.asin)
def math_asin(y, x):
    d[y] = d[x] / math.sqrt(1.0 - x * x)


@tangent_(math.acos)
def math_acos(y, x):
    d[y] = -d[x] / math.sqrt(1.0 - x * x)


@tangent_(math.atan)
def math_atan(y, x):
    d[y] = d[x] / (1.0 + x * x)


@tangent_(math.atan2)
def math_atan2(z, y, x):
    d[z] = (d[y] * x - d[x] * y) / (x * x + y * y)


@tangent_(math.hypot)
def math_hypot(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / z


@tangent_(math.log10)
def math_log10(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@tangent_(math.log2)
def math_log2(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@tangent_(math.log1p)
def math_log1p(y, x):
    d[y] = d[x] / (1.0 + x)


@tangent_(math.expm1)
def math_expm1(y, x):
    d[y] = d[x] * (y + 1.0)


@tangent_(math.fabs)
def math_fabs(y, x):
    d[y] = d[x] * math.copysign(1.0, x)


@tangent_(builtins.max)
def builtin_max(z, x, y):
    d[z] = d[x] * tangent.balanced_eq(x, z, y) + d[y] * tangent.balanced_eq(y, z, x)


alias(builtins.min, builtins.max)
alias(builtins.pow, operator.pow)
alias(math.pow, operator.pow)


@tangent_(builtins.sum)
def builtin_sum(y, iterable, start=0):
    d[y] = tangent.sum_tangents(d[iterable], y)


# NumPy element-wise --------------------------------------------------------

alias(np.add, operator.add)
alias(np.subtract, operator.sub)
alias(np.multiply, operator.mul)
alias(np.divide, operator.truediv)
alias(np.power, operator.pow)
alias(np.negative, operator.neg)
alias(np.matmul, operator.matmul)


@tangent_(np.exp)
def exp(y, x):
    d[y] = d[x] * y


@tangent_(np.log)
def log(y, x):
    d[y] = d[x] / x


@tangent_(np.sqrt)
def sqrt(y, x):
    d[y] = d[x] / (2.0 * y)


@tangent_(np.tanh)
def tanh(y, x):
    d[y] = d[x] * (1.0 - y * y)


@tangent_(np.sin)
def sin(y, x):
    d[y] = d[x] * np.cos(x)


@tangent_(np.cos)
def cos(y, x):
    d[y] = -d[x] * np.sin(x)


@tangent_(np.tan)
def tan(y, x):
    d[y] = d[x] * (1.0 + y * y)


@tangent_(np.sinh)
def sinh(y, x):
    d[y] = d[x] * np.cosh(x)


@tangent_(np.cosh)
def cosh(y, x):
    d[y] = d[x] * np.sinh(x)


@tangent_(np.arcsin)
def arcsin(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@tangent_(np.arccos)
def arccos(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@tangent_(np.arctan)
def arctan(y, x):
    d[y] = d[x] / (1.0 + x * x)


@tangent_(np.abs)
def absolute(y, x):
    d[y] = d[x] * np.sign(x)


@tangent_(np.maximum)
def maximum(z, x, y):
    d[z] = d[x] * tangent.balanced_eq(x, z, y) + d[y] * tangent.balanced_eq(y, z, x)


alias(np.minimum, np.maximum)


# Reductions ----------------------------------------------------------------

@tangent_(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(d[a], axis=axis, keepdims=keepdims)


@tangent_(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.mean(d[a], axis=axis, keepdims=keepdims)


# Linear algebra ------------------------------------------------------------

@tangent_(np.dot)
def dot(z, a, b):
    d[z] = np.dot(d[a], b) + np.dot(a, d[b])


@tangent_(np.linalg.det)
def det(y, a):
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


# Shape ---------------------------------------------------------------------

@tangent_(np.reshape)
def reshape(y, a, shape=None, order='C', newshape=None, copy=None):
    d[y] = np.reshape(d[a], np.shape(y), order=order)


@tangent_(np.transpose)
def transpose(y, a, axes=None):
    d[y] = np.transpose(d[a], axes)


@tangent_(np.array)
def array(y, object, dtype=None, copy=True, order='K', subok=False, ndmin=0):  # noqa: A002
    d[y] = tangent.array_tangent(d[object], y)


@tangent_(np.asarray)
def asarray(y, a, dtype=None, order=None):
    d[y] = tangent.array_tangent(d[a], y)


@tangent_(np.atleast_1d)
def atleast_1d(y, x):
    d[y] = np.reshape(d[x], np.shape(y))


alias(np.atleast_2d, np.atleast_1d)
alias(np.atleast_3d, np.atleast_1d)


# Runtime helpers (so that generated code can be differentiated again) --------

@tangent_(tangent.unbroadcast)
def unbroadcast(y, array, like):
    d[y] = tangent.unbroadcast(d[array], like)


@tangent_(tangent.broadcast_like)
def broadcast_like(y, value, like):
    d[y] = tangent.broadcast_like(d[value], like)


@tangent_(tangent.unreduce)
def unreduce(y, array, shape, axis, keepdims):
    d[y] = tangent.unreduce(d[array], shape, axis, keepdims)


@tangent_(tangent.unreduce_like)
def unreduce_like(y, array, original, axis, keepdims):
    d[y] = tangent.unreduce_like(d[array], original, axis, keepdims)


@tangent_(tangent.add_grad)
def add_grad(y, left, right):
    d[y] = tangent.add_grad(d[left], d[right])


@tangent_(tangent.copy)
def copy(y, x):
    d[y] = tangent.copy(d[x])


@tangent_(tangent.safe_log)
def safe_log(y, x):
    d[y] = d[x] / x


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
def unarray(y, grad, like):
    d[y] = tangent.unarray(d[grad], like)


@tangent_(tangent.array_tangent)
def array_tangent(y, tangent_value, like):
    d[y] = tangent.array_tangent(d[tangent_value], like)


@tangent_(tangent.written_grad)
def written_grad(y, grad, index, value):
    d[y] = tangent.written_grad(d[grad], index, value)


@tangent_(tangent.scatter_written)
def scatter_written(y, part, grad, index):
    d[y] = tangent.scatter_written(d[part], grad, index)


@tangent_(tangent.copy_item)
def copy_item(y, container, index):
    d[y] = tangent.copy_item(d[container], index)

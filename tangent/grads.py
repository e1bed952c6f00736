"""Reverse-mode derivative rules: adjoint templates (layer L3).

Each rule is a template registered with ``@adjoint(fn)``: its first
parameter is the call's result, the others are the call's arguments in order
(keyword arguments by name, with their defaults). The body assigns
``d[arg] = ...`` in terms of ``d[result]``, "the gradient of". The reverse
transformer inlines the body with the caller's variable names, accumulates
each ``d[arg]`` into the argument's adjoint, and drops what no active
argument needs. Longer computations live in named runtime helpers
(``tangent.unbroadcast``, ``tangent.unreduce``), so a rule stays a few lines.

Sections, in the same order as ``tangents``: operators, builtins and math,
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

adjoints = Registry('adjoint')

# The template marker: in a rule, ``d[x]`` reads "the gradient of x".
d: Any = None


def adjoint(func: Any, override: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated template as the adjoint of ``func``."""
    return adjoints(func, override=override)


def alias(func: Any, same_as: Any) -> None:
    """``func`` differentiates exactly like ``same_as`` (same parameters)."""
    adjoints.register(func, adjoints[same_as])


# Operators -----------------------------------------------------------------

@adjoint(operator.add)
def add(z, x, y):
    d[x] = tangent.unbroadcast(d[z], x)
    d[y] = tangent.unbroadcast(d[z], y)


@adjoint(operator.sub)
def sub(z, x, y):
    d[x] = tangent.unbroadcast(d[z], x)
    d[y] = tangent.unbroadcast(-d[z], y)


@adjoint(operator.mul)
def mul(z, x, y):
    d[x] = tangent.unbroadcast(d[z] * y, x)
    d[y] = tangent.unbroadcast(d[z] * x, y)


@adjoint(operator.truediv)
def truediv(z, x, y):
    d[x] = tangent.unbroadcast(d[z] / y, x)
    d[y] = tangent.unbroadcast(-d[z] * z / y, y)


@adjoint(operator.pow)
def pow(z, x, y):  # noqa: A001 - named after the operator it differentiates
    d[x] = tangent.unbroadcast(d[z] * y * x ** (y - 1), x)
    d[y] = tangent.unbroadcast(d[z] * z * tangent.safe_log(x), y)


@adjoint(operator.neg)
def neg(y, x):
    d[x] = -d[y]


@adjoint(operator.pos)
def pos(y, x):
    d[x] = d[y]


@adjoint(operator.matmul)
def matmul(z, x, y):
    d[x] = tangent.grad_matmul_left(d[z], x, y)
    d[y] = tangent.grad_matmul_right(d[z], x, y)


# Builtins and math ---------------------------------------------------------

@adjoint(builtins.float)
def float_(y, x=0.0):
    d[x] = tangent.unbroadcast(d[y], x)


@adjoint(builtins.abs)
def abs_(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(math.sin)
def math_sin(y, x):
    d[x] = d[y] * math.cos(x)


@adjoint(math.cos)
def math_cos(y, x):
    d[x] = -d[y] * math.sin(x)


@adjoint(math.exp)
def math_exp(y, x):
    d[x] = d[y] * y


@adjoint(math.log)
def math_log(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))


@adjoint(math.sqrt)
def math_sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@adjoint(math.tanh)
def math_tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(math.tan)
def math_tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(math.sinh)
def math_sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@adjoint(math.cosh)
def math_cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@adjoint(math.asin)
def math_asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.acos)
def math_acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.atan)
def math_atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(math.atan2)
def math_atan2(z, y, x):
    d[y] = d[z] * x / (x * x + y * y)
    d[x] = -d[z] * y / (x * x + y * y)


@adjoint(math.hypot)
def math_hypot(z, x, y):
    d[x] = d[z] * x / z
    d[y] = d[z] * y / z


@adjoint(math.log10)
def math_log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@adjoint(math.log2)
def math_log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@adjoint(math.log1p)
def math_log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(math.expm1)
def math_expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(math.fabs)
def math_fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x)


@adjoint(builtins.max)
def builtin_max(z, x, y):
    d[x] = d[z] * tangent.balanced_eq(x, z, y)
    d[y] = d[z] * tangent.balanced_eq(y, z, x)


alias(builtins.min, builtins.max)
alias(builtins.pow, operator.pow)
alias(math.pow, operator.pow)


@adjoint(builtins.sum)
def builtin_sum(y, iterable, start=0):
    d[iterable] = tangent.grad_sum_sequence(d[y], iterable)


# NumPy element-wise --------------------------------------------------------

alias(np.add, operator.add)
alias(np.subtract, operator.sub)
alias(np.multiply, operator.mul)
alias(np.divide, operator.truediv)
alias(np.power, operator.pow)
alias(np.negative, operator.neg)
alias(np.matmul, operator.matmul)


@adjoint(np.exp)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(np.log)
def log(y, x):
    d[x] = d[y] / x


@adjoint(np.sqrt)
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@adjoint(np.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(np.sin)
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(np.sinh)
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@adjoint(np.cosh)
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@adjoint(np.arcsin)
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(np.abs)
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(np.maximum)
def maximum(z, x, y):
    d[x] = tangent.unbroadcast(d[z] * tangent.balanced_eq(x, z, y), x)
    d[y] = tangent.unbroadcast(d[z] * tangent.balanced_eq(y, z, x), y)


alias(np.minimum, np.maximum)


# Reductions ----------------------------------------------------------------

@adjoint(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims)


@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent.unreduce_like(d[y], a, axis, keepdims) / tangent.array_size(a, axis)


# Linear algebra ------------------------------------------------------------

@adjoint(np.dot)
def dot(z, a, b):
    d[a] = tangent.grad_dot(d[z], a, b)
    d[b] = tangent.grad_dot_right(d[z], a, b)


@adjoint(np.linalg.det)
def det(y, a):
    d[a] = tangent.grad_det(d[y], y, a)


# Shape ---------------------------------------------------------------------

@adjoint(np.reshape)
def reshape(y, a, shape=None, order='C', newshape=None, copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@adjoint(np.transpose)
def transpose(y, a, axes=None):
    d[a] = np.transpose(d[y], tangent.inverse_permutation(axes))


@adjoint(np.array)
def array(y, object, dtype=None, copy=True, order='K', subok=False, ndmin=0):  # noqa: A002
    d[object] = tangent.unarray(d[y], object)


@adjoint(np.asarray)
def asarray(y, a, dtype=None, order=None):
    d[a] = tangent.unarray(d[y], a)


@adjoint(np.atleast_1d)
def atleast_1d(y, x):
    d[x] = tangent.unarray(d[y], x)


alias(np.atleast_2d, np.atleast_1d)
alias(np.atleast_3d, np.atleast_1d)


# Runtime helpers (so that generated code can be differentiated again) --------

@adjoint(tangent.unbroadcast)
def unbroadcast(y, array, like):
    d[array] = tangent.broadcast_like(d[y], array)


@adjoint(tangent.broadcast_like)
def broadcast_like(y, value, like):
    d[value] = tangent.unbroadcast(d[y], value)


@adjoint(tangent.unreduce)
def unreduce(y, array, shape, axis, keepdims):
    d[array] = tangent.unbroadcast(np.sum(d[y], axis=axis, keepdims=keepdims), array)


@adjoint(tangent.unreduce_like)
def unreduce_like(y, array, original, axis, keepdims):
    d[array] = tangent.unbroadcast(np.sum(d[y], axis=axis, keepdims=keepdims), array)


@adjoint(tangent.add_grad)
def add_grad(y, left, right):
    d[left] = tangent.unbroadcast(d[y], left)
    d[right] = tangent.unbroadcast(d[y], right)


@adjoint(tangent.copy)
def copy(y, x):
    d[x] = d[y]


@adjoint(tangent.safe_log)
def safe_log(y, x):
    d[x] = d[y] / x


@adjoint(tangent.grad_dot)
def grad_dot(z, dy, x1, x2):
    d[dy] = tangent.astype(np.dot(d[z], x2), dy)
    d[x2] = tangent.grad_dot_right(dy, d[z], x2)


@adjoint(tangent.grad_dot_right)
def grad_dot_right(z, dy, x1, x2):
    d[dy] = tangent.astype(np.dot(x1, d[z]), dy)
    d[x1] = tangent.grad_dot(dy, x1, d[z])


@adjoint(tangent.grad_matmul_left)
def grad_matmul_left(z, dz, x, y):
    d[dz] = tangent.unbroadcast(np.matmul(d[z], y), dz)
    d[y] = tangent.grad_matmul_right(dz, d[z], y)


@adjoint(tangent.grad_matmul_right)
def grad_matmul_right(z, dz, x, y):
    d[dz] = tangent.unbroadcast(np.matmul(x, d[z]), dz)
    d[x] = tangent.grad_matmul_left(dz, x, d[z])


@adjoint(tangent.unarray)
def unarray(y, grad, like):
    d[grad] = tangent.array_tangent(d[y], grad)


@adjoint(tangent.array_tangent)
def array_tangent(y, tangent_value, like):
    d[tangent_value] = tangent.unarray(d[y], tangent_value)


@adjoint(tangent.written_grad)
def written_grad(y, grad, index, value):
    d[grad] = tangent.scatter_written(d[y], grad, index)


@adjoint(tangent.scatter_written)
def scatter_written(y, part, grad, index):
    d[part] = tangent.written_grad(d[y], index, part)


@adjoint(tangent.copy_item)
def copy_item(y, container, index):
    d[container] = tangent.scatter_written(d[y], container, index)

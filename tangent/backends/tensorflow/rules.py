"""TensorFlow derivative rules: adjoints and tangents of TF ops.

Loaded by the backend (``tangent.backends.tensorflow``) the first time a function being
differentiated refers to TensorFlow, never by ``import tangent``. Rules are
templates, as for NumPy (``tangent.backends.numpy``): ``d[x]``
is the derivative of ``x``. Generic helpers (``tangent.unbroadcast``) hand
TensorFlow values to ``helpers``; helpers only TF rules need are
called there directly (``tangent_tf.matmul_gradient_a``). Every helper that
generated code calls has rules of its own here (or is declared to have no
derivative), so that generated code can be differentiated again.

Sections: element-wise, activations, reductions, linear algebra, shape and
indexing, losses, convolution and pooling, tensor and variable methods,
runtime helpers, ops without a derivative.
"""

from __future__ import annotations

import types

import tensorflow as tf

from tangent import runtime as tangent
from tangent.backends.tensorflow import helpers as tangent_tf
from tangent.rules import non_differentiable
from tangent.rules.registry import adjoint, d, tangent_

# Constants of tf.nn.selu (Klambauer et al., 2017).
SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


# Element-wise: binary ----------------------------------------------------------

def add_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z], x)
    d[y] = tangent.unbroadcast(d[z], y)


def add_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(d[x], z) + tangent.broadcast_like(d[y], z)


def subtract_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z], x)
    d[y] = tangent.unbroadcast(-d[z], y)


def subtract_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(d[x], z) - tangent.broadcast_like(d[y], z)


def multiply_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z] * y, x)
    d[y] = tangent.unbroadcast(d[z] * x, y)


def multiply_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(d[x] * y + x * d[y], z)


def divide_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z] / y, x)
    d[y] = tangent.unbroadcast(-d[z] * z / y, y)


def divide_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(d[x] / y - z * d[y] / y, z)


def pow_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z] * tangent.power_slope(x, y), x)
    d[y] = tangent.unbroadcast(d[z] * z * tangent.safe_log(x), y)


def pow_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(
        tangent.power_slope(x, y) * d[x] + z * tangent.safe_log(x) * d[y], z)


def maximum_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(d[z] * tangent.balanced_eq(x, z, y), x)
    d[y] = tangent.unbroadcast(d[z] * tangent.balanced_eq(y, z, x), y)


def maximum_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(d[x] * tangent.balanced_eq(x, z, y)
                                  + d[y] * tangent.balanced_eq(y, z, x), z)


def squared_difference_adjoint(z, x, y, name=None):
    d[x] = tangent.unbroadcast(2.0 * d[z] * (x - y), x)
    d[y] = tangent.unbroadcast(-2.0 * d[z] * (x - y), y)


def squared_difference_tangent(z, x, y, name=None):
    d[z] = tangent.broadcast_like(2.0 * (x - y) * (d[x] - d[y]), z)


for _op, _pair in [
        (tf.add, (add_adjoint, add_tangent)), (tf.subtract, (subtract_adjoint, subtract_tangent)),
        (tf.multiply, (multiply_adjoint, multiply_tangent)),
        (tf.divide, (divide_adjoint, divide_tangent)),
        (tf.math.truediv, (divide_adjoint, divide_tangent)),
        (tf.pow, (pow_adjoint, pow_tangent)),
        (tf.maximum, (maximum_adjoint, maximum_tangent)),
        (tf.minimum, (maximum_adjoint, maximum_tangent)),
        (tf.math.squared_difference, (squared_difference_adjoint, squared_difference_tangent))]:
    adjoint(_op)(_pair[0])
    tangent_(_op)(_pair[1])


# Element-wise: unary -------------------------------------------------------------

@adjoint(tf.negative)
def negative(y, x, name=None):
    d[x] = -d[y]


@tangent_(tf.negative)
def negative_tangent(y, x, name=None):
    d[y] = -d[x]


@adjoint(tf.identity)
def identity(y, x, name=None):
    d[x] = d[y]


@tangent_(tf.identity)
def identity_tangent(y, x, name=None):
    d[y] = d[x]


@adjoint(tf.convert_to_tensor)
def convert_to_tensor(y, value, dtype=None, dtype_hint=None, name=None):
    d[value] = tangent.unbroadcast(d[y], value)


@tangent_(tf.convert_to_tensor)
def convert_to_tensor_tangent(y, value, dtype=None, dtype_hint=None, name=None):
    d[y] = tangent.broadcast_like(d[value], y)


@adjoint(tf.square)
def square(y, x, name=None):
    d[x] = d[y] * 2.0 * x


@tangent_(tf.square)
def square_tangent(y, x, name=None):
    d[y] = d[x] * 2.0 * x


@adjoint(tf.sqrt)
def sqrt(y, x, name=None):
    d[x] = d[y] / (2.0 * y)


@tangent_(tf.sqrt)
def sqrt_tangent(y, x, name=None):
    d[y] = d[x] / (2.0 * y)


@adjoint(tf.math.rsqrt)
def rsqrt(y, x, name=None):
    d[x] = -0.5 * d[y] * y / x


@tangent_(tf.math.rsqrt)
def rsqrt_tangent(y, x, name=None):
    d[y] = -0.5 * d[x] * y / x


@adjoint(tf.math.reciprocal)
def reciprocal(y, x, name=None):
    d[x] = -d[y] * y * y


@tangent_(tf.math.reciprocal)
def reciprocal_tangent(y, x, name=None):
    d[y] = -d[x] * y * y


@adjoint(tf.exp)
def exp(y, x, name=None):
    d[x] = d[y] * y


@tangent_(tf.exp)
def exp_tangent(y, x, name=None):
    d[y] = d[x] * y


@adjoint(tf.math.expm1)
def expm1(y, x, name=None):
    d[x] = d[y] * (y + 1.0)


@tangent_(tf.math.expm1)
def expm1_tangent(y, x, name=None):
    d[y] = d[x] * (y + 1.0)


@adjoint(tf.math.log)
def log(y, x, name=None):
    d[x] = d[y] / x


@tangent_(tf.math.log)
def log_tangent(y, x, name=None):
    d[y] = d[x] / x


@adjoint(tf.math.log1p)
def log1p(y, x, name=None):
    d[x] = d[y] / (1.0 + x)


@tangent_(tf.math.log1p)
def log1p_tangent(y, x, name=None):
    d[y] = d[x] / (1.0 + x)


@adjoint(tf.tanh)
def tanh(y, x, name=None):
    d[x] = d[y] * (1.0 - y * y)


@tangent_(tf.tanh)
def tanh_tangent(y, x, name=None):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(tf.sigmoid)
def sigmoid(y, x, name=None):
    d[x] = d[y] * y * (1.0 - y)


@tangent_(tf.sigmoid)
def sigmoid_tangent(y, x, name=None):
    d[y] = d[x] * y * (1.0 - y)


@adjoint(tf.sin)
def sin(y, x, name=None):
    d[x] = d[y] * tf.cos(x)


@tangent_(tf.sin)
def sin_tangent(y, x, name=None):
    d[y] = d[x] * tf.cos(x)


@adjoint(tf.cos)
def cos(y, x, name=None):
    d[x] = -d[y] * tf.sin(x)


@tangent_(tf.cos)
def cos_tangent(y, x, name=None):
    d[y] = -d[x] * tf.sin(x)


@adjoint(tf.tan)
def tan(y, x, name=None):
    d[x] = d[y] * (1.0 + y * y)


@tangent_(tf.tan)
def tan_tangent(y, x, name=None):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(tf.math.sinh)
def sinh(y, x, name=None):
    d[x] = d[y] * tf.math.cosh(x)


@tangent_(tf.math.sinh)
def sinh_tangent(y, x, name=None):
    d[y] = d[x] * tf.math.cosh(x)


@adjoint(tf.math.cosh)
def cosh(y, x, name=None):
    d[x] = d[y] * tf.math.sinh(x)


@tangent_(tf.math.cosh)
def cosh_tangent(y, x, name=None):
    d[y] = d[x] * tf.math.sinh(x)


@adjoint(tf.math.atan)
def atan(y, x, name=None):
    d[x] = d[y] / (1.0 + x * x)


@tangent_(tf.math.atan)
def atan_tangent(y, x, name=None):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(tf.math.asin)
def asin(y, x, name=None):
    d[x] = d[y] * tf.math.rsqrt(1.0 - x * x)


@tangent_(tf.math.asin)
def asin_tangent(y, x, name=None):
    d[y] = d[x] * tf.math.rsqrt(1.0 - x * x)


@adjoint(tf.math.acos)
def acos(y, x, name=None):
    d[x] = -d[y] * tf.math.rsqrt(1.0 - x * x)


@tangent_(tf.math.acos)
def acos_tangent(y, x, name=None):
    d[y] = -d[x] * tf.math.rsqrt(1.0 - x * x)


@adjoint(tf.math.erf)
def erf(y, x, name=None):
    d[x] = d[y] * 1.1283791670955126 * tf.exp(-x * x)


@tangent_(tf.math.erf)
def erf_tangent(y, x, name=None):
    d[y] = d[x] * 1.1283791670955126 * tf.exp(-x * x)


@adjoint(tf.abs)
def abs_(y, x, name=None):
    d[x] = d[y] * tf.sign(x)


@tangent_(tf.abs)
def abs_tangent(y, x, name=None):
    d[y] = d[x] * tf.sign(x)


@adjoint(tf.where)
def where(z, condition, x=None, y=None, name=None):
    d[x] = tangent.unbroadcast(tf.where(condition, d[z], tf.zeros_like(d[z])), x)
    d[y] = tangent.unbroadcast(tf.where(condition, tf.zeros_like(d[z]), d[z]), y)


@tangent_(tf.where)
def where_tangent(z, condition, x=None, y=None, name=None):
    d[z] = tf.where(condition, tangent.broadcast_like(d[x], z), tf.zeros_like(z)) + \
        tf.where(condition, tf.zeros_like(z), tangent.broadcast_like(d[y], z))


@adjoint(tf.clip_by_value)
def clip_by_value(y, t, clip_value_min, clip_value_max, name=None):
    d[t] = d[y] * tf.cast((t >= clip_value_min) & (t <= clip_value_max), d[y].dtype)
    d[clip_value_min] = tangent.unbroadcast(
        d[y] * tf.cast(t < clip_value_min, d[y].dtype), clip_value_min)
    d[clip_value_max] = tangent.unbroadcast(
        d[y] * tf.cast(t > clip_value_max, d[y].dtype), clip_value_max)


@tangent_(tf.clip_by_value)
def clip_by_value_tangent(y, t, clip_value_min, clip_value_max, name=None):
    d[y] = tf.where((t >= clip_value_min) & (t <= clip_value_max),
                    tangent.broadcast_like(d[t], y), tf.zeros_like(y)) + \
        tf.where(t < clip_value_min, tangent.broadcast_like(d[clip_value_min], y),
                 tf.zeros_like(y)) + \
        tf.where(t > clip_value_max, tangent.broadcast_like(d[clip_value_max], y),
                 tf.zeros_like(y))


@adjoint(tf.cast)
def cast(y, x, dtype, name=None):
    d[x] = tangent_tf.cast_gradient(d[y], x)


@tangent_(tf.cast)
def cast_tangent(y, x, dtype, name=None):
    d[y] = tangent_tf.cast_gradient(d[x], y)


# Activations -------------------------------------------------------------------

@adjoint(tf.nn.relu)
def relu(y, features, name=None):
    d[features] = d[y] * tf.cast(features > 0.0, features.dtype)


@tangent_(tf.nn.relu)
def relu_tangent(y, features, name=None):
    d[y] = d[features] * tf.cast(features > 0.0, features.dtype)


@adjoint(tf.nn.relu6)
def relu6(y, features, name=None):
    d[features] = d[y] * tf.cast((features > 0.0) & (features < 6.0), features.dtype)


@tangent_(tf.nn.relu6)
def relu6_tangent(y, features, name=None):
    d[y] = d[features] * tf.cast((features > 0.0) & (features < 6.0), features.dtype)


@adjoint(tf.nn.elu)
def elu(y, features, name=None):
    d[features] = d[y] * tf.where(features > 0.0, tf.ones_like(y), y + 1.0)


@tangent_(tf.nn.elu)
def elu_tangent(y, features, name=None):
    d[y] = d[features] * tf.where(features > 0.0, tf.ones_like(y), y + 1.0)


@adjoint(tf.nn.selu)
def selu(y, features, name=None):
    d[features] = d[y] * tf.where(features > 0.0, SELU_SCALE * tf.ones_like(y),
                                  y + SELU_SCALE * SELU_ALPHA)


@tangent_(tf.nn.selu)
def selu_tangent(y, features, name=None):
    d[y] = d[features] * tf.where(features > 0.0, SELU_SCALE * tf.ones_like(y),
                                  y + SELU_SCALE * SELU_ALPHA)


@adjoint(tf.nn.leaky_relu)
def leaky_relu(y, features, alpha=0.2, name=None):
    d[features] = d[y] * tf.where(features > 0.0, tf.ones_like(y), alpha * tf.ones_like(y))


@tangent_(tf.nn.leaky_relu)
def leaky_relu_tangent(y, features, alpha=0.2, name=None):
    d[y] = d[features] * tf.where(features > 0.0, tf.ones_like(y), alpha * tf.ones_like(y))


@adjoint(tf.nn.softplus)
def softplus(y, features, name=None):
    d[features] = d[y] * tf.sigmoid(features)


@tangent_(tf.nn.softplus)
def softplus_tangent(y, features, name=None):
    d[y] = d[features] * tf.sigmoid(features)


@adjoint(tf.nn.silu)
def silu(y, features, beta=1.0):
    d[features] = d[y] * (tf.sigmoid(beta * features) * (1.0 + beta * (features - y)))


@tangent_(tf.nn.silu)
def silu_tangent(y, features, beta=1.0):
    d[y] = d[features] * (tf.sigmoid(beta * features) * (1.0 + beta * (features - y)))


@adjoint(tf.nn.softsign)
def softsign(y, features, name=None):
    d[features] = d[y] / tf.square(1.0 + tf.abs(features))


@tangent_(tf.nn.softsign)
def softsign_tangent(y, features, name=None):
    d[y] = d[features] / tf.square(1.0 + tf.abs(features))


@adjoint(tf.nn.softmax)
def softmax(y, logits, axis=None, name=None):
    d[logits] = y * (d[y] - tf.reduce_sum(d[y] * y, axis=tangent_tf.last_axis(axis),
                                          keepdims=True))


@tangent_(tf.nn.softmax)
def softmax_tangent(y, logits, axis=None, name=None):
    d[y] = y * (d[logits] - tf.reduce_sum(d[logits] * y, axis=tangent_tf.last_axis(axis),
                                          keepdims=True))


@adjoint(tf.nn.log_softmax)
def log_softmax(y, logits, axis=None, name=None):
    d[logits] = d[y] - tf.exp(y) * tf.reduce_sum(d[y], axis=tangent_tf.last_axis(axis),
                                                 keepdims=True)


@tangent_(tf.nn.log_softmax)
def log_softmax_tangent(y, logits, axis=None, name=None):
    d[y] = d[logits] - tf.reduce_sum(tf.exp(y) * d[logits], axis=tangent_tf.last_axis(axis),
                                     keepdims=True)


# Reductions ----------------------------------------------------------------------

@adjoint(tf.reduce_sum)
def reduce_sum(y, input_tensor, axis=None, keepdims=False, name=None):
    d[input_tensor] = tangent_tf.unreduce_like(d[y], input_tensor, axis, keepdims)


@tangent_(tf.reduce_sum)
def reduce_sum_tangent(y, input_tensor, axis=None, keepdims=False, name=None):
    d[y] = tf.reduce_sum(d[input_tensor], axis=axis, keepdims=keepdims)


@adjoint(tf.reduce_mean)
def reduce_mean(y, input_tensor, axis=None, keepdims=False, name=None):
    d[input_tensor] = tangent_tf.unreduce_like(d[y], input_tensor, axis, keepdims) / \
        tangent_tf.reduction_count(input_tensor, axis)


@tangent_(tf.reduce_mean)
def reduce_mean_tangent(y, input_tensor, axis=None, keepdims=False, name=None):
    d[y] = tf.reduce_mean(d[input_tensor], axis=axis, keepdims=keepdims)


@adjoint(tf.reduce_max)
def reduce_max(y, input_tensor, axis=None, keepdims=False, name=None):
    d[input_tensor] = tangent_tf.unreduce_like(d[y], input_tensor, axis, keepdims) * \
        tangent_tf.extremum_share(y, input_tensor, axis, keepdims)


@tangent_(tf.reduce_max)
def reduce_max_tangent(y, input_tensor, axis=None, keepdims=False, name=None):
    d[y] = tf.reduce_sum(d[input_tensor] * tangent_tf.extremum_share(
        y, input_tensor, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(tf.reduce_prod)
def reduce_prod(y, input_tensor, axis=None, keepdims=False, name=None):
    d[input_tensor] = tangent_tf.unreduce_like(d[y], input_tensor, axis, keepdims) * \
        tangent_tf.prod_others(input_tensor, axis)


@tangent_(tf.reduce_prod)
def reduce_prod_tangent(y, input_tensor, axis=None, keepdims=False, name=None):
    d[y] = tf.reduce_sum(d[input_tensor] * tangent_tf.prod_others(input_tensor, axis),
                         axis=axis, keepdims=keepdims)


@adjoint(tf.reduce_logsumexp)
def reduce_logsumexp(y, input_tensor, axis=None, keepdims=False, name=None):
    d[input_tensor] = tangent_tf.unreduce_like(d[y], input_tensor, axis, keepdims) * \
        tf.exp(input_tensor - tangent_tf.expand_reduced(y, input_tensor, axis, keepdims))


@tangent_(tf.reduce_logsumexp)
def reduce_logsumexp_tangent(y, input_tensor, axis=None, keepdims=False, name=None):
    d[y] = tf.reduce_sum(d[input_tensor] * tf.exp(
        input_tensor - tangent_tf.expand_reduced(y, input_tensor, axis, keepdims)),
        axis=axis, keepdims=keepdims)


adjoint(tf.reduce_min)(reduce_max)
tangent_(tf.reduce_min)(reduce_max_tangent)


@adjoint(tf.math.cumsum)
def cumsum(y, x, axis=0, exclusive=False, reverse=False, name=None):
    d[x] = tf.math.cumsum(d[y], axis=axis, exclusive=exclusive, reverse=not reverse)


@tangent_(tf.math.cumsum)
def cumsum_tangent(y, x, axis=0, exclusive=False, reverse=False, name=None):
    d[y] = tf.math.cumsum(d[x], axis=axis, exclusive=exclusive, reverse=reverse)


# Linear algebra ------------------------------------------------------------------

@adjoint(tf.matmul)
def matmul(c, a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    d[a] = tangent_tf.matmul_gradient_a(d[c], a, b, transpose_a, transpose_b, adjoint_a,
                                        adjoint_b)
    d[b] = tangent_tf.matmul_gradient_b(d[c], a, b, transpose_a, transpose_b, adjoint_a,
                                        adjoint_b)


@tangent_(tf.matmul)
def matmul_tangent(c, a, b, transpose_a=False, transpose_b=False, adjoint_a=False,
                   adjoint_b=False, a_is_sparse=False, b_is_sparse=False, output_type=None,
                   grad_a=False, grad_b=False, name=None):
    d[c] = tf.matmul(d[a], b, transpose_a=transpose_a or adjoint_a,
                     transpose_b=transpose_b or adjoint_b) + \
        tf.matmul(a, d[b], transpose_a=transpose_a or adjoint_a,
                  transpose_b=transpose_b or adjoint_b)


@adjoint(tf.linalg.matvec)
def matvec(y, a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    d[a] = tangent_tf.matvec_gradient_matrix(d[y], a, b, transpose_a or adjoint_a)
    d[b] = tangent.unbroadcast(
        tf.linalg.matvec(a, d[y], transpose_a=not (transpose_a or adjoint_a)), b)


@tangent_(tf.linalg.matvec)
def matvec_tangent(y, a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False,
                   b_is_sparse=False, name=None):
    d[y] = tf.linalg.matvec(d[a], b, transpose_a=transpose_a or adjoint_a) + \
        tf.linalg.matvec(a, d[b], transpose_a=transpose_a or adjoint_a)


@adjoint(tf.einsum)
def einsum(y, equation, a, b=None, c=None):
    d[a] = tangent_tf.einsum_gradient_a(d[y], equation, a, b, c)
    d[b] = tangent_tf.einsum_gradient_b(d[y], equation, a, b, c)
    d[c] = tangent_tf.einsum_gradient_c(d[y], equation, a, b, c)


@tangent_(tf.einsum)
def einsum_tangent(y, equation, a, b=None, c=None):
    d[y] = tangent_tf.einsum_of(equation, d[a], b, c) + \
        tangent_tf.einsum_of(equation, a, d[b], c) + tangent_tf.einsum_of(equation, a, b, d[c])


@adjoint(tf.tensordot)
def tensordot(y, a, b, axes, name=None):
    d[a] = tangent_tf.einsum_gradient_a(d[y], tangent_tf.tensordot_equation(a, b, axes), a, b)
    d[b] = tangent_tf.einsum_gradient_b(d[y], tangent_tf.tensordot_equation(a, b, axes), a, b)


@tangent_(tf.tensordot)
def tensordot_tangent(y, a, b, axes, name=None):
    d[y] = tf.tensordot(d[a], b, axes) + tf.tensordot(a, d[b], axes)


# With adjoint=True, y inverts x's transpose: dy = -y dx^T y, and the gradient is
# transposed likewise.
@adjoint(tf.linalg.inv)
def inv(y, x, adjoint=False, name=None):
    d[x] = -tf.matmul(tf.matmul(y, d[y], transpose_a=not adjoint, transpose_b=adjoint), y,
                      transpose_b=not adjoint)


@tangent_(tf.linalg.inv)
def inv_tangent(y, x, adjoint=False, name=None):
    d[y] = -tf.matmul(tf.matmul(y, d[x], transpose_b=adjoint), y)


@adjoint(tf.linalg.det)
def det(y, x, name=None):
    d[x] = tf.expand_dims(tf.expand_dims(d[y] * y, -1), -1) * \
        tf.linalg.matrix_transpose(tf.linalg.inv(x))


@tangent_(tf.linalg.det)
def det_tangent(y, x, name=None):
    d[y] = y * tf.reduce_sum(tf.linalg.matrix_transpose(tf.linalg.inv(x)) * d[x], axis=[-2, -1])


@adjoint(tf.linalg.trace)
def trace(y, x, name=None):
    d[x] = tangent_tf.trace_gradient(d[y], x)


@tangent_(tf.linalg.trace)
def trace_tangent(y, x, name=None):
    d[y] = tf.linalg.trace(d[x])


@adjoint(tf.linalg.matrix_transpose)
def matrix_transpose(y, a, name='matrix_transpose', conjugate=False):
    d[a] = tf.linalg.matrix_transpose(d[y])


@tangent_(tf.linalg.matrix_transpose)
def matrix_transpose_tangent(y, a, name='matrix_transpose', conjugate=False):
    d[y] = tf.linalg.matrix_transpose(d[a])


# Shape and indexing ----------------------------------------------------------------

@adjoint(tf.reshape)
def reshape(y, tensor, shape, name=None):
    d[tensor] = tf.reshape(d[y], tf.shape(tensor))


@tangent_(tf.reshape)
def reshape_tangent(y, tensor, shape, name=None):
    d[y] = tf.reshape(d[tensor], shape)


@adjoint(tf.transpose)
def transpose(y, a, perm=None, conjugate=False, name='transpose'):
    d[a] = tf.transpose(d[y], tangent_tf.inverse_permutation(perm, a.shape.rank))


@tangent_(tf.transpose)
def transpose_tangent(y, a, perm=None, conjugate=False, name='transpose'):
    d[y] = tf.transpose(d[a], perm)


@adjoint(tf.expand_dims)
def expand_dims(y, input, axis, name=None):  # noqa: A002 - TensorFlow's name
    d[input] = tf.reshape(d[y], tf.shape(input))


@tangent_(tf.expand_dims)
def expand_dims_tangent(y, input, axis, name=None):  # noqa: A002
    d[y] = tf.expand_dims(d[input], axis)


@adjoint(tf.squeeze)
def squeeze(y, input, axis=None, name=None):  # noqa: A002
    d[input] = tf.reshape(d[y], tf.shape(input))


@tangent_(tf.squeeze)
def squeeze_tangent(y, input, axis=None, name=None):  # noqa: A002
    d[y] = tf.squeeze(d[input], axis)


@adjoint(tf.broadcast_to)
def broadcast_to(y, input, shape, name=None):  # noqa: A002
    d[input] = tangent.unbroadcast(d[y], input)


@tangent_(tf.broadcast_to)
def broadcast_to_tangent(y, input, shape, name=None):  # noqa: A002
    d[y] = tf.broadcast_to(d[input], shape)


@adjoint(tf.concat)
def concat(y, values, axis, name='concat'):
    d[values] = tf.split(d[y], tangent_tf.concat_sizes(values, axis), axis)


@tangent_(tf.concat)
def concat_tangent(y, values, axis, name='concat'):
    d[y] = tf.concat(tangent_tf.tangent_items(d[values], values), axis)


@adjoint(tf.stack)
def stack(y, values, axis=0, name='stack'):
    d[values] = tf.unstack(d[y], num=len(values), axis=axis)


@tangent_(tf.stack)
def stack_tangent(y, values, axis=0, name='stack'):
    d[y] = tf.stack(tangent_tf.tangent_items(d[values], values), axis)


@adjoint(tf.split)
def split(y, value, num_or_size_splits, axis=0, num=None, name='split'):
    d[value] = tf.concat(tangent_tf.tangent_items(d[y], y), axis)


@tangent_(tf.split)
def split_tangent(y, value, num_or_size_splits, axis=0, num=None, name='split'):
    d[y] = tf.split(d[value], num_or_size_splits, axis, num)


@adjoint(tf.unstack)
def unstack(y, value, num=None, axis=0, name='unstack'):
    d[value] = tf.stack(tangent_tf.tangent_items(d[y], y), axis)


@tangent_(tf.unstack)
def unstack_tangent(y, value, num=None, axis=0, name='unstack'):
    d[y] = tf.unstack(d[value], num, axis)


@adjoint(tf.tile)
def tile(y, input, multiples, name=None):  # noqa: A002
    d[input] = tangent_tf.tile_gradient(d[y], input, multiples)


@tangent_(tf.tile)
def tile_tangent(y, input, multiples, name=None):  # noqa: A002
    d[y] = tf.tile(d[input], multiples)


@adjoint(tf.gather)
def gather(y, params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    d[params] = tangent_tf.gather_gradient(d[y], params, indices, axis, batch_dims)


@tangent_(tf.gather)
def gather_tangent(y, params, indices, validate_indices=None, axis=None, batch_dims=0,
                   name=None):
    d[y] = tf.gather(d[params], indices, axis=axis, batch_dims=batch_dims)


@adjoint(tf.slice)
def slice_(y, input_, begin, size, name=None):
    d[input_] = tangent_tf.slice_gradient(d[y], input_, begin, size)


@tangent_(tf.slice)
def slice_tangent(y, input_, begin, size, name=None):
    d[y] = tf.slice(d[input_], begin, size)


@adjoint(tf.pad)
def pad(y, tensor, paddings, mode='CONSTANT', constant_values=0, name=None):
    d[tensor] = tangent_tf.pad_gradient(d[y], tensor, paddings)


@tangent_(tf.pad)
def pad_tangent(y, tensor, paddings, mode='CONSTANT', constant_values=0, name=None):
    d[y] = tf.pad(d[tensor], paddings)


@adjoint(tf.reverse)
def reverse(y, tensor, axis, name=None):
    d[tensor] = tf.reverse(d[y], axis)


@tangent_(tf.reverse)
def reverse_tangent(y, tensor, axis, name=None):
    d[y] = tf.reverse(d[tensor], axis)


# Losses ----------------------------------------------------------------------------

@adjoint(tf.nn.sigmoid_cross_entropy_with_logits)
def sigmoid_cross_entropy_with_logits(y, labels=None, logits=None, name=None):
    d[logits] = d[y] * (tf.sigmoid(logits) - labels)
    d[labels] = -d[y] * logits


@tangent_(tf.nn.sigmoid_cross_entropy_with_logits)
def sigmoid_cross_entropy_with_logits_tangent(y, labels=None, logits=None, name=None):
    d[y] = d[logits] * (tf.sigmoid(logits) - labels) - d[labels] * logits


@adjoint(tf.nn.softmax_cross_entropy_with_logits)
def softmax_cross_entropy_with_logits(y, labels, logits, axis=-1, name=None):
    d[logits] = tf.expand_dims(d[y], axis) * (tf.nn.softmax(logits, axis=axis) * tf.reduce_sum(
        labels, axis=axis, keepdims=True) - labels)
    d[labels] = -tf.expand_dims(d[y], axis) * tf.nn.log_softmax(logits, axis=axis)


@tangent_(tf.nn.softmax_cross_entropy_with_logits)
def softmax_cross_entropy_with_logits_tangent(y, labels, logits, axis=-1, name=None):
    d[y] = tf.reduce_sum((tf.nn.softmax(logits, axis=axis) * tf.reduce_sum(
        labels, axis=axis, keepdims=True) - labels) * d[logits]
        - tf.nn.log_softmax(logits, axis=axis) * d[labels], axis=axis)


@adjoint(tf.nn.sparse_softmax_cross_entropy_with_logits)
def sparse_softmax_cross_entropy_with_logits(y, labels, logits, name=None):
    d[logits] = tf.expand_dims(d[y], -1) * (tf.nn.softmax(logits)
                                            - tangent_tf.one_hot_like(labels, logits))


@tangent_(tf.nn.sparse_softmax_cross_entropy_with_logits)
def sparse_softmax_cross_entropy_with_logits_tangent(y, labels, logits, name=None):
    d[y] = tf.reduce_sum((tf.nn.softmax(logits) - tangent_tf.one_hot_like(labels, logits))
                         * d[logits], axis=-1)


# Convolution and pooling -------------------------------------------------------------

@adjoint(tf.nn.bias_add)
def bias_add(y, value, bias, data_format=None, name=None):
    d[value] = d[y]
    d[bias] = tangent_tf.bias_add_gradient(d[y], bias, data_format)


@tangent_(tf.nn.bias_add)
def bias_add_tangent(y, value, bias, data_format=None, name=None):
    d[y] = tangent.broadcast_like(d[value], y) + \
        tf.nn.bias_add(tf.zeros_like(y), d[bias], data_format)


@adjoint(tf.nn.conv2d)
def conv2d(y, input, filters, strides, padding, data_format='NHWC',  # noqa: A002
           dilations=None, name=None):
    d[input] = tangent_tf.conv2d_input_gradient(d[y], input, filters, strides, padding,
                                                data_format, dilations)
    d[filters] = tangent_tf.conv2d_filter_gradient(d[y], input, filters, strides, padding,
                                                   data_format, dilations)


@tangent_(tf.nn.conv2d)
def conv2d_tangent(y, input, filters, strides, padding, data_format='NHWC',  # noqa: A002
                   dilations=None, name=None):
    d[y] = tf.nn.conv2d(tangent.broadcast_like(d[input], input), filters, strides, padding,
                        data_format, dilations) + \
        tf.nn.conv2d(input, tangent.broadcast_like(d[filters], filters), strides, padding,
                     data_format, dilations)


@adjoint(tf.nn.max_pool2d)
def max_pool2d(y, input, ksize, strides, padding, data_format='NHWC', name=None):  # noqa: A002
    d[input] = tangent_tf.max_pool_gradient(d[y], y, input, ksize, strides, padding,
                                            data_format)


@tangent_(tf.nn.max_pool2d)
def max_pool2d_tangent(y, input, ksize, strides, padding, data_format='NHWC',  # noqa: A002
                       name=None):
    d[y] = tangent_tf.max_pool_tangent(d[input], y, input, ksize, strides, padding,
                                       data_format)


@adjoint(tf.nn.avg_pool2d)
def avg_pool2d(y, input, ksize, strides, padding, data_format='NHWC', name=None):  # noqa: A002
    d[input] = tangent_tf.avg_pool_gradient(d[y], input, ksize, strides, padding, data_format)


@tangent_(tf.nn.avg_pool2d)
def avg_pool2d_tangent(y, input, ksize, strides, padding, data_format='NHWC',  # noqa: A002
                       name=None):
    d[y] = tf.nn.avg_pool2d(d[input], ksize, strides, padding, data_format)


# Tensor and variable methods -----------------------------------------------------------
# ``w.read_value()``, ``x.__abs__()``: keyed by the function each class defines.

def _methods(name):
    """Every definition of method ``name`` by tf.Tensor, tf.Variable and their subclasses."""
    classes, found = [tf.Tensor, tf.Variable], []
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        method = cls.__dict__.get(name)
        if isinstance(method, types.FunctionType) and method not in found:
            found.append(method)
    return found


@adjoint(tf.Variable.read_value)
def read_value(y, self):
    d[self] = d[y]


@tangent_(tf.Variable.read_value)
def read_value_tangent(y, self):
    d[y] = d[self]


def rsub_adjoint(z, x, y):  # z = y - x
    d[x] = tangent.unbroadcast(-d[z], x)
    d[y] = tangent.unbroadcast(d[z], y)


def rsub_tangent(z, x, y):
    d[z] = tangent.broadcast_like(d[y], z) - tangent.broadcast_like(d[x], z)


def rtruediv_adjoint(z, x, y):  # z = y / x
    d[x] = tangent.unbroadcast(-d[z] * z / x, x)
    d[y] = tangent.unbroadcast(d[z] / x, y)


def rtruediv_tangent(z, x, y):
    d[z] = tangent.broadcast_like(d[y] / x - z * d[x] / x, z)


def rpow_adjoint(z, x, y):  # z = y ** x
    d[x] = tangent.unbroadcast(d[z] * z * tangent.safe_log(y), x)
    d[y] = tangent.unbroadcast(d[z] * tangent.power_slope(y, x), y)


def rpow_tangent(z, x, y):
    d[z] = tangent.broadcast_like(
        tangent.power_slope(y, x) * d[y] + z * tangent.safe_log(y) * d[x], z)


def rmatmul_adjoint(z, x, y):  # z = y @ x
    d[x] = tangent.grad_matmul_right(d[z], y, x)
    d[y] = tangent.grad_matmul_left(d[z], y, x)


def rmatmul_tangent(z, x, y):
    d[z] = tf.matmul(d[y], x) + tf.matmul(y, d[x])


for _name, _pair in [
        ('value', (read_value, read_value_tangent)),
        ('__abs__', (abs_, abs_tangent)), ('__neg__', (negative, negative_tangent)),
        ('__add__', (add_adjoint, add_tangent)), ('__radd__', (add_adjoint, add_tangent)),
        ('__sub__', (subtract_adjoint, subtract_tangent)),
        ('__rsub__', (rsub_adjoint, rsub_tangent)),
        ('__mul__', (multiply_adjoint, multiply_tangent)),
        ('__rmul__', (multiply_adjoint, multiply_tangent)),
        ('__truediv__', (divide_adjoint, divide_tangent)),
        ('__rtruediv__', (rtruediv_adjoint, rtruediv_tangent)),
        ('__pow__', (pow_adjoint, pow_tangent)), ('__rpow__', (rpow_adjoint, rpow_tangent)),
        ('__matmul__', (matmul, matmul_tangent)),
        ('__rmatmul__', (rmatmul_adjoint, rmatmul_tangent))]:
    for _method in _methods(_name):
        adjoint(_method)(_pair[0])
        tangent_(_method)(_pair[1])
for _method in _methods('read_value'):
    if _method is not tf.Variable.read_value:
        adjoint(_method)(read_value)
        tangent_(_method)(read_value_tangent)


# Runtime helpers (so that generated code can be differentiated again) ------------------
# Each is linear in its gradient or tangent argument; a helper that reads an argument
# only for its shape has no derivative in that argument.

@adjoint(tangent_tf.unreduce_like)
def unreduce_like(y, array, original, axis, keepdims):
    d[array] = tangent.unbroadcast(tf.reduce_sum(d[y], axis=axis, keepdims=keepdims), array)


@tangent_(tangent_tf.unreduce_like)
def unreduce_like_tangent(y, array, original, axis, keepdims):
    d[y] = tangent_tf.unreduce_like(d[array], original, axis, keepdims)


@adjoint(tangent_tf.expand_reduced)
def expand_reduced(y, value, like, axis, keepdims):
    d[value] = tf.reshape(d[y], tf.shape(value))


@tangent_(tangent_tf.expand_reduced)
def expand_reduced_tangent(y, value, like, axis, keepdims):
    d[y] = tangent_tf.expand_reduced(d[value], like, axis, keepdims)


@adjoint(tangent_tf.prod_others)
def prod_others(y, x, axis):
    d[x] = tangent_tf.prod_others_tangent(x, d[y], axis)  # the Jacobian is symmetric


@tangent_(tangent_tf.prod_others)
def prod_others_tangent(y, x, axis):
    d[y] = tangent_tf.prod_others_tangent(x, d[x], axis)


@adjoint(tangent_tf.cast_gradient)
def cast_gradient(z, g, x):
    d[g] = tangent_tf.cast_gradient(tangent_tf.cast_gradient(d[z], x), g)


@tangent_(tangent_tf.cast_gradient)
def cast_gradient_tangent(z, g, x):
    d[z] = tangent_tf.cast_gradient(d[g], x)


@adjoint(tangent_tf.matmul_gradient_a)
def matmul_gradient_a(z, g, a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    d[g] = tangent.unbroadcast(tf.matmul(d[z], b, transpose_a=transpose_a or adjoint_a,
                                         transpose_b=transpose_b or adjoint_b), g)
    d[b] = tangent_tf.matmul_gradient_b(g, d[z], b, transpose_a, transpose_b, adjoint_a,
                                        adjoint_b)


@tangent_(tangent_tf.matmul_gradient_a)
def matmul_gradient_a_tangent(z, g, a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    d[z] = tangent_tf.matmul_gradient_a(d[g], a, b, transpose_a, transpose_b, adjoint_a,
                                        adjoint_b) + \
        tangent_tf.matmul_gradient_a(g, a, d[b], transpose_a, transpose_b, adjoint_a, adjoint_b)


@adjoint(tangent_tf.matmul_gradient_b)
def matmul_gradient_b(z, g, a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    d[g] = tangent.unbroadcast(tf.matmul(a, d[z], transpose_a=transpose_a or adjoint_a,
                                         transpose_b=transpose_b or adjoint_b), g)
    d[a] = tangent_tf.matmul_gradient_a(g, a, d[z], transpose_a, transpose_b, adjoint_a,
                                        adjoint_b)


@tangent_(tangent_tf.matmul_gradient_b)
def matmul_gradient_b_tangent(z, g, a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    d[z] = tangent_tf.matmul_gradient_b(d[g], a, b, transpose_a, transpose_b, adjoint_a,
                                        adjoint_b) + \
        tangent_tf.matmul_gradient_b(g, d[a], b, transpose_a, transpose_b, adjoint_a, adjoint_b)


@adjoint(tangent_tf.matvec_gradient_matrix)
def matvec_gradient_matrix(z, g, a, b, transposed):
    d[g] = tangent.unbroadcast(tf.linalg.matvec(d[z], b, transpose_a=transposed), g)
    d[b] = tangent.unbroadcast(tf.linalg.matvec(d[z], g, transpose_a=not transposed), b)


@tangent_(tangent_tf.matvec_gradient_matrix)
def matvec_gradient_matrix_tangent(z, g, a, b, transposed):
    d[z] = tangent_tf.matvec_gradient_matrix(d[g], a, b, transposed) + \
        tangent_tf.matvec_gradient_matrix(g, a, d[b], transposed)


# einsum_of(equation, a, b, c) is tf.einsum(equation, a, b, c); the gradient for one
# operand is linear in the seed and in each other operand.
adjoint(tangent_tf.einsum_of)(einsum)
tangent_(tangent_tf.einsum_of)(einsum_tangent)


@adjoint(tangent_tf.einsum_gradient_a)
def einsum_gradient_a(z, g, equation, a, b=None, c=None):
    d[g] = tangent_tf.einsum_of(equation, d[z], b, c)
    d[b] = tangent_tf.einsum_gradient_b(g, equation, d[z], b, c)
    d[c] = tangent_tf.einsum_gradient_c(g, equation, d[z], b, c)


@tangent_(tangent_tf.einsum_gradient_a)
def einsum_gradient_a_tangent(z, g, equation, a, b=None, c=None):
    d[z] = tangent_tf.einsum_gradient_a(d[g], equation, a, b, c) + \
        tangent_tf.einsum_gradient_a(g, equation, a, d[b], c) + \
        tangent_tf.einsum_gradient_a(g, equation, a, b, d[c])


@adjoint(tangent_tf.einsum_gradient_b)
def einsum_gradient_b(z, g, equation, a, b=None, c=None):
    d[g] = tangent_tf.einsum_of(equation, a, d[z], c)
    d[a] = tangent_tf.einsum_gradient_a(g, equation, a, d[z], c)
    d[c] = tangent_tf.einsum_gradient_c(g, equation, a, d[z], c)


@tangent_(tangent_tf.einsum_gradient_b)
def einsum_gradient_b_tangent(z, g, equation, a, b=None, c=None):
    d[z] = tangent_tf.einsum_gradient_b(d[g], equation, a, b, c) + \
        tangent_tf.einsum_gradient_b(g, equation, d[a], b, c) + \
        tangent_tf.einsum_gradient_b(g, equation, a, b, d[c])


@adjoint(tangent_tf.einsum_gradient_c)
def einsum_gradient_c(z, g, equation, a, b=None, c=None):
    d[g] = tangent_tf.einsum_of(equation, a, b, d[z])
    d[a] = tangent_tf.einsum_gradient_a(g, equation, a, b, d[z])
    d[b] = tangent_tf.einsum_gradient_b(g, equation, a, b, d[z])


@tangent_(tangent_tf.einsum_gradient_c)
def einsum_gradient_c_tangent(z, g, equation, a, b=None, c=None):
    d[z] = tangent_tf.einsum_gradient_c(d[g], equation, a, b, c) + \
        tangent_tf.einsum_gradient_c(g, equation, d[a], b, c) + \
        tangent_tf.einsum_gradient_c(g, equation, a, d[b], c)


@adjoint(tangent_tf.trace_gradient)
def trace_gradient(z, g, x):
    d[g] = tangent.unbroadcast(tf.linalg.trace(d[z]), g)


@tangent_(tangent_tf.trace_gradient)
def trace_gradient_tangent(z, g, x):
    d[z] = tangent_tf.trace_gradient(d[g], x)


@adjoint(tangent_tf.tangent_items)
def tangent_items(z, tangents, values):
    d[tangents] = tangent_tf.item_gradients(d[z], tangents)


@tangent_(tangent_tf.tangent_items)
def tangent_items_tangent(z, tangents, values):
    d[z] = tangent_tf.tangent_items(d[tangents], values)


@adjoint(tangent_tf.tile_gradient)
def tile_gradient(z, g, x, multiples):
    d[g] = tf.tile(d[z], multiples)


@tangent_(tangent_tf.tile_gradient)
def tile_gradient_tangent(z, g, x, multiples):
    d[z] = tangent_tf.tile_gradient(d[g], x, multiples)


@adjoint(tangent_tf.gather_gradient)
def gather_gradient(z, g, params, indices, axis, batch_dims):
    d[g] = tf.gather(d[z], indices, axis=axis, batch_dims=batch_dims)


@tangent_(tangent_tf.gather_gradient)
def gather_gradient_tangent(z, g, params, indices, axis, batch_dims):
    d[z] = tangent_tf.gather_gradient(d[g], params, indices, axis, batch_dims)


@adjoint(tangent_tf.slice_gradient)
def slice_gradient(z, g, x, begin, size):
    d[g] = tf.slice(d[z], begin, size)


@tangent_(tangent_tf.slice_gradient)
def slice_gradient_tangent(z, g, x, begin, size):
    d[z] = tangent_tf.slice_gradient(d[g], x, begin, size)


@adjoint(tangent_tf.pad_gradient)
def pad_gradient(z, g, x, paddings):
    d[g] = tf.pad(d[z], paddings)


@tangent_(tangent_tf.pad_gradient)
def pad_gradient_tangent(z, g, x, paddings):
    d[z] = tangent_tf.pad_gradient(d[g], x, paddings)


@adjoint(tangent_tf.bias_add_gradient)
def bias_add_gradient(z, g, bias, data_format):
    d[g] = tf.nn.bias_add(tf.zeros_like(g), d[z], data_format)


@tangent_(tangent_tf.bias_add_gradient)
def bias_add_gradient_tangent(z, g, bias, data_format):
    d[z] = tangent_tf.bias_add_gradient(d[g], bias, data_format)


@adjoint(tangent_tf.conv2d_input_gradient)
def conv2d_input_gradient(z, g, x, filters, strides, padding, data_format, dilations):
    d[g] = tf.nn.conv2d(d[z], filters, strides, padding, data_format, dilations)
    d[filters] = tangent_tf.conv2d_filter_gradient(g, d[z], filters, strides, padding,
                                                   data_format, dilations)


@tangent_(tangent_tf.conv2d_input_gradient)
def conv2d_input_gradient_tangent(z, g, x, filters, strides, padding, data_format, dilations):
    d[z] = tangent_tf.conv2d_input_gradient(d[g], x, filters, strides, padding, data_format,
                                            dilations) + \
        tangent_tf.conv2d_input_gradient(g, x, d[filters], strides, padding, data_format,
                                         dilations)


@adjoint(tangent_tf.conv2d_filter_gradient)
def conv2d_filter_gradient(z, g, x, filters, strides, padding, data_format, dilations):
    d[g] = tf.nn.conv2d(x, d[z], strides, padding, data_format, dilations)
    d[x] = tangent_tf.conv2d_input_gradient(g, x, d[z], strides, padding, data_format,
                                            dilations)


@tangent_(tangent_tf.conv2d_filter_gradient)
def conv2d_filter_gradient_tangent(z, g, x, filters, strides, padding, data_format, dilations):
    d[z] = tangent_tf.conv2d_filter_gradient(d[g], x, filters, strides, padding, data_format,
                                             dilations) + \
        tangent_tf.conv2d_filter_gradient(g, d[x], filters, strides, padding, data_format,
                                          dilations)


# Max pooling routes each window through its max: locally constant in x, so only the
# routed values carry a derivative, and MaxPoolGrad and MaxPoolGradGrad transpose each other.
@adjoint(tangent_tf.max_pool_gradient)
def max_pool_gradient(z, g, y, x, ksize, strides, padding, data_format):
    d[g] = tangent_tf.max_pool_tangent(d[z], y, x, ksize, strides, padding, data_format)


@tangent_(tangent_tf.max_pool_gradient)
def max_pool_gradient_tangent(z, g, y, x, ksize, strides, padding, data_format):
    d[z] = tangent_tf.max_pool_gradient(d[g], y, x, ksize, strides, padding, data_format)


@adjoint(tangent_tf.max_pool_tangent)
def max_pool_tangent(z, dx, y, x, ksize, strides, padding, data_format):
    d[dx] = tangent_tf.max_pool_gradient(d[z], y, x, ksize, strides, padding, data_format)


@tangent_(tangent_tf.max_pool_tangent)
def max_pool_tangent_tangent(z, dx, y, x, ksize, strides, padding, data_format):
    d[z] = tangent_tf.max_pool_tangent(d[dx], y, x, ksize, strides, padding, data_format)


@adjoint(tangent_tf.avg_pool_gradient)
def avg_pool_gradient(z, g, x, ksize, strides, padding, data_format):
    d[g] = tf.nn.avg_pool2d(d[z], ksize, strides, padding, data_format)


@tangent_(tangent_tf.avg_pool_gradient)
def avg_pool_gradient_tangent(z, g, x, ksize, strides, padding, data_format):
    d[z] = tangent_tf.avg_pool_gradient(d[g], x, ksize, strides, padding, data_format)


# Ops without a derivative ------------------------------------------------------------

non_differentiable.register_non_differentiable_functions(
    tf.shape, tf.size, tf.rank, tf.zeros, tf.ones, tf.zeros_like, tf.ones_like, tf.fill,
    tf.eye, tf.range, tf.constant, tf.one_hot, tf.argmax, tf.argmin, tf.sign, tf.floor,
    tf.math.ceil, tf.round, tf.equal, tf.not_equal, tf.greater, tf.greater_equal, tf.less,
    tf.less_equal, tf.logical_and, tf.logical_or, tf.logical_not, tf.stop_gradient,
    tf.random.normal, tf.random.uniform, tf.math.is_nan, tf.math.is_finite, tf.print,
    tf.debugging.assert_all_finite, tf.TensorShape,
    # Runtime helpers computing integers, indices, axes or piecewise-constant shares
    tangent_tf.reduction_count, tangent_tf.extremum_share, tangent_tf.inverse_permutation,
    tangent_tf.tensordot_equation, tangent_tf.last_axis, tangent_tf.one_hot_like,
    tangent_tf.concat_sizes)

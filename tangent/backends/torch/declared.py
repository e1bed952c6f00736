"""Derivatives declared once: the element-wise and linear functions of PyTorch.

Each declaration gives both rules, the adjoint (reverse mode) and the tangent
(forward mode), for every function it names (``tangent.rules.declare``): an
``@elementwise`` body returns ``g`` times the partial derivative, a ``@linear``
body the transpose applied to ``g``. A declaration names the ``torch`` function
with its aliases in ``torch.special`` and ``torch.nn.functional``. Parameters
carry PyTorch's names (``input``, ``other``), so calls by keyword bind.

Sections: arithmetic, exponentials and logarithms, trigonometry, special
functions, activations, reductions, shape.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

from tangent import runtime as tangent
from tangent.backends.torch import helpers as tangent_torch
from tangent.rules.declare import elementwise, linear

# Constants of selu (Klambauer et al., 2017).
SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


# Arithmetic ------------------------------------------------------------------

@elementwise(torch.add, broadcasts=True, wrt=('input', 'other'))
def add(g, z, input, other, alpha=1):  # noqa: A002 - PyTorch's name
    return g, alpha * g


@elementwise(torch.sub, torch.subtract, broadcasts=True, wrt=('input', 'other'))
def sub(g, z, input, other, alpha=1):  # noqa: A002
    return g, -alpha * g


@elementwise(torch.mul, torch.multiply, broadcasts=True)
def mul(g, z, input, other):  # noqa: A002
    return g * other, g * input


@elementwise(torch.div, torch.divide, torch.true_divide, broadcasts=True,
             wrt=('input', 'other'))
def div(g, z, input, other, rounding_mode=None):  # noqa: A002
    return g * tangent_torch.true_quotient(rounding_mode) / other, -g * z / other


@elementwise(torch.pow, broadcasts=True, wrt=('input', 'exponent'))
def pow_(g, z, input, exponent):  # noqa: A002
    return g * tangent.power_slope(input, exponent), g * z * tangent.safe_log(input)


@elementwise(torch.maximum, torch.fmax, broadcasts=True)
def maximum(g, z, input, other):  # noqa: A002
    return g * tangent.balanced_eq(input, z, other), g * tangent.balanced_eq(other, z, input)


@elementwise(torch.minimum, torch.fmin, broadcasts=True)
def minimum(g, z, input, other):  # noqa: A002
    return g * tangent.balanced_eq(input, z, other), g * tangent.balanced_eq(other, z, input)


@elementwise(torch.atan2, torch.arctan2, broadcasts=True)
def atan2(g, z, input, other):  # noqa: A002
    return g * other / (input * input + other * other), \
        -g * input / (input * input + other * other)


@elementwise(torch.hypot, broadcasts=True)
def hypot(g, z, input, other):  # noqa: A002
    return g * input / z, g * other / z


@elementwise(torch.lerp, broadcasts=True, wrt=('input', 'end', 'weight'))
def lerp(g, z, input, end, weight):  # noqa: A002
    return g * (1.0 - weight), g * weight, g * (end - input)


@elementwise(torch.logaddexp, broadcasts=True)
def logaddexp(g, z, input, other):  # noqa: A002
    return g * torch.exp(input - z), g * torch.exp(other - z)


@elementwise(torch.xlogy, torch.special.xlogy, broadcasts=True)
def xlogy(g, z, input, other):  # noqa: A002
    return g * tangent_torch.log_where_nonzero(input, other), g * input / other


@elementwise(torch.neg, torch.negative)
def neg(g, y, input):  # noqa: A002
    return -g


@elementwise(torch.positive, torch.clone)
def positive(g, y, input):  # noqa: A002
    return g


@elementwise(torch.square)
def square(g, y, input):  # noqa: A002
    return g * 2.0 * input


@elementwise(torch.reciprocal)
def reciprocal(g, y, input):  # noqa: A002
    return -g * y * y


@elementwise(torch.abs, torch.absolute)
def abs_(g, y, input):  # noqa: A002
    return g * torch.sign(input)


@elementwise(torch.clamp, torch.clip, wrt='input')
def clamp(g, y, input, min=None, max=None):  # noqa: A002
    return g * tangent_torch.inside(input, min, max)


# Exponentials and logarithms ----------------------------------------------------

@elementwise(torch.exp)
def exp(g, y, input):  # noqa: A002
    return g * y


@elementwise(torch.exp2, torch.special.exp2)
def exp2(g, y, input):  # noqa: A002
    return g * y * math.log(2.0)


@elementwise(torch.expm1, torch.special.expm1)
def expm1(g, y, input):  # noqa: A002
    return g * (y + 1.0)


@elementwise(torch.log)
def log(g, y, input):  # noqa: A002
    return g / input


@elementwise(torch.log2)
def log2(g, y, input):  # noqa: A002
    return g / (input * math.log(2.0))


@elementwise(torch.log10)
def log10(g, y, input):  # noqa: A002
    return g / (input * math.log(10.0))


@elementwise(torch.log1p, torch.special.log1p)
def log1p(g, y, input):  # noqa: A002
    return g / (1.0 + input)


@elementwise(torch.sqrt)
def sqrt(g, y, input):  # noqa: A002
    return g / (2.0 * y)


@elementwise(torch.rsqrt)
def rsqrt(g, y, input):  # noqa: A002
    return -0.5 * g * y / input


# Trigonometry ----------------------------------------------------------------

@elementwise(torch.sin)
def sin(g, y, input):  # noqa: A002
    return g * torch.cos(input)


@elementwise(torch.cos)
def cos(g, y, input):  # noqa: A002
    return -g * torch.sin(input)


@elementwise(torch.tan)
def tan(g, y, input):  # noqa: A002
    return g * (1.0 + y * y)


@elementwise(torch.sinh)
def sinh(g, y, input):  # noqa: A002
    return g * torch.cosh(input)


@elementwise(torch.cosh)
def cosh(g, y, input):  # noqa: A002
    return g * torch.sinh(input)


@elementwise(torch.tanh, F.tanh)
def tanh(g, y, input):  # noqa: A002
    return g * (1.0 - y * y)


@elementwise(torch.asin, torch.arcsin)
def asin(g, y, input):  # noqa: A002
    return g * torch.rsqrt(1.0 - input * input)


@elementwise(torch.acos, torch.arccos)
def acos(g, y, input):  # noqa: A002
    return -g * torch.rsqrt(1.0 - input * input)


@elementwise(torch.atan, torch.arctan)
def atan(g, y, input):  # noqa: A002
    return g / (1.0 + input * input)


@elementwise(torch.asinh, torch.arcsinh)
def asinh(g, y, input):  # noqa: A002
    return g * torch.rsqrt(input * input + 1.0)


@elementwise(torch.acosh, torch.arccosh)
def acosh(g, y, input):  # noqa: A002
    return g * torch.rsqrt(input * input - 1.0)


@elementwise(torch.atanh, torch.arctanh)
def atanh(g, y, input):  # noqa: A002
    return g / (1.0 - input * input)


@elementwise(torch.deg2rad)
def deg2rad(g, y, input):  # noqa: A002
    return g * (math.pi / 180.0)


@elementwise(torch.rad2deg)
def rad2deg(g, y, input):  # noqa: A002
    return g * (180.0 / math.pi)


# Special functions -------------------------------------------------------------

@elementwise(torch.erf, torch.special.erf)
def erf(g, y, input):  # noqa: A002
    return g * (2.0 / math.sqrt(math.pi)) * torch.exp(-input * input)


@elementwise(torch.erfc, torch.special.erfc)
def erfc(g, y, input):  # noqa: A002
    return -g * (2.0 / math.sqrt(math.pi)) * torch.exp(-input * input)


@elementwise(torch.lgamma, torch.special.gammaln)
def lgamma(g, y, input):  # noqa: A002
    return g * torch.digamma(input)


@elementwise(torch.digamma, torch.special.digamma, torch.special.psi)
def digamma(g, y, input):  # noqa: A002
    return g * torch.polygamma(1, input)


@elementwise(torch.polygamma, torch.special.polygamma, wrt='input')
def polygamma(g, y, n, input):  # noqa: A002
    return g * torch.polygamma(n + 1, input)


@elementwise(torch.sigmoid, torch.special.expit, F.sigmoid)
def sigmoid(g, y, input):  # noqa: A002
    return g * y * (1.0 - y)


@elementwise(torch.logit, torch.special.logit, wrt='input')
def logit(g, y, input, eps=None):  # noqa: A002
    return g * tangent_torch.no_eps(eps) / (input * (1.0 - input))


@elementwise(torch.special.ndtr)
def ndtr(g, y, input):  # noqa: A002
    return g * torch.exp(-0.5 * input * input) / math.sqrt(2.0 * math.pi)


@elementwise(torch.special.log_ndtr)
def log_ndtr(g, y, input):  # noqa: A002
    return g * torch.exp(-0.5 * input * input - y) / math.sqrt(2.0 * math.pi)


# Activations (torch.nn.functional) --------------------------------------------------

@elementwise(F.relu, torch.relu)
def relu(g, y, input, inplace=False):  # noqa: A002
    return g * (input > 0).to(input.dtype)


@elementwise(F.relu6)
def relu6(g, y, input, inplace=False):  # noqa: A002
    return g * ((input > 0) & (input < 6.0)).to(input.dtype)


@elementwise(F.hardtanh, wrt='input')
def hardtanh(g, y, input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    return g * ((input > min_val) & (input < max_val)).to(input.dtype)


@elementwise(F.leaky_relu, wrt='input')
def leaky_relu(g, y, input, negative_slope=0.01, inplace=False):  # noqa: A002
    return g * torch.where(input > 0, 1.0, negative_slope).to(input.dtype)


@elementwise(F.elu, wrt='input')
def elu(g, y, input, alpha=1.0, inplace=False):  # noqa: A002
    return g * torch.where(input > 0, torch.ones_like(y), y + alpha)


@elementwise(F.celu, wrt='input')
def celu(g, y, input, alpha=1.0, inplace=False):  # noqa: A002
    return g * torch.where(input > 0, torch.ones_like(y), y / alpha + 1.0)


@elementwise(F.selu, torch.selu)
def selu(g, y, input, inplace=False):  # noqa: A002
    return g * torch.where(input > 0, SELU_SCALE * torch.ones_like(y),
                           y + SELU_SCALE * SELU_ALPHA)


@elementwise(F.softplus, wrt='input')
def softplus(g, y, input, beta=1.0, threshold=20.0):  # noqa: A002
    return g * tangent_torch.softplus_slope(input, beta, threshold)


@elementwise(F.silu)
def silu(g, y, input, inplace=False):  # noqa: A002
    return g * torch.sigmoid(input) * (1.0 + input * (1.0 - torch.sigmoid(input))) * \
        tangent_torch.out_of_place('F.silu', inplace)


@elementwise(F.softsign)
def softsign(g, y, input):  # noqa: A002
    return g / ((1.0 + torch.abs(input)) * (1.0 + torch.abs(input)))


@elementwise(F.logsigmoid)
def logsigmoid(g, y, input):  # noqa: A002
    return g * torch.sigmoid(-input)


@elementwise(F.tanhshrink)
def tanhshrink(g, y, input):  # noqa: A002
    return g * torch.tanh(input) * torch.tanh(input)


@elementwise(F.mish)
def mish(g, y, input, inplace=False):  # noqa: A002
    return g * tangent_torch.mish_slope(input) * tangent_torch.out_of_place('F.mish', inplace)


@elementwise(F.gelu, wrt='input')
def gelu(g, y, input, approximate='none'):  # noqa: A002
    return g * tangent_torch.gelu_slope(input, approximate)


@elementwise(torch.where, wrt=('input', 'other'), broadcasts=True)
def where(g, z, condition, input, other):  # noqa: A002
    return torch.where(condition, g, 0.0), torch.where(condition, 0.0, g)


# Reductions ------------------------------------------------------------------

@linear(torch.cumsum)
def cumsum(g, y, input, dim):  # noqa: A002
    return torch.flip(torch.cumsum(torch.flip(g, (dim,)), dim), (dim,))


@linear(torch.trace)
def trace(g, y, input):  # noqa: A002
    return g * torch.eye(input.shape[0], input.shape[1], dtype=input.dtype)


# Shape ------------------------------------------------------------------------

@linear(torch.reshape)
def reshape(g, y, input, shape):  # noqa: A002
    return torch.reshape(g, input.shape)


@linear(torch.flatten)
def flatten(g, y, input, start_dim=0, end_dim=-1):  # noqa: A002
    return torch.reshape(g, input.shape)


@linear(torch.unsqueeze)
def unsqueeze(g, y, input, dim):  # noqa: A002
    return torch.reshape(g, input.shape)


@linear(torch.ravel)
def ravel(g, y, input):  # noqa: A002
    return torch.reshape(g, input.shape)


@linear(torch.transpose, torch.swapaxes, torch.swapdims)
def transpose(g, y, input, dim0, dim1):  # noqa: A002
    return torch.transpose(g, dim0, dim1)


@linear(torch.t)
def t(g, y, input):  # noqa: A002
    return torch.t(g)


@linear(tangent_torch.matrix_transpose)
def matrix_transpose(g, y, input):  # noqa: A002
    return tangent_torch.matrix_transpose(g)


@linear(torch.permute)
def permute(g, y, input, dims):  # noqa: A002
    return torch.permute(g, tangent_torch.inverse_permutation(dims))


@linear(torch.movedim, torch.moveaxis)
def movedim(g, y, input, source, destination):  # noqa: A002
    return torch.movedim(g, destination, source)


@linear(torch.flip)
def flip(g, y, input, dims):  # noqa: A002
    return torch.flip(g, dims)


@linear(torch.fliplr)
def fliplr(g, y, input):  # noqa: A002
    return torch.fliplr(g)


@linear(torch.flipud)
def flipud(g, y, input):  # noqa: A002
    return torch.flipud(g)


@linear(torch.roll)
def roll(g, y, input, shifts, dims=None):  # noqa: A002
    return torch.roll(g, tangent_torch.negated(shifts), dims)


@linear(torch.tril)
def tril(g, y, input, diagonal=0):  # noqa: A002
    return torch.tril(g, diagonal)


@linear(torch.triu)
def triu(g, y, input, diagonal=0):  # noqa: A002
    return torch.triu(g, diagonal)


@linear(torch.broadcast_to)
def broadcast_to(g, y, input, size):  # noqa: A002
    return tangent.unbroadcast(g, input)


@linear(torch.diagonal)
def diagonal(g, y, input, offset=0, dim1=0, dim2=1):  # noqa: A002
    return tangent_torch.diagonal_gradient(g, input, offset, dim1, dim2)


@linear(torch.narrow)
def narrow(g, y, input, dim, start, length):  # noqa: A002
    return tangent_torch.narrow_gradient(g, input, dim, start)


@linear(torch.index_select)
def index_select(g, y, input, dim, index):  # noqa: A002
    return tangent_torch.index_select_gradient(g, input, dim, index)


@linear(torch.gather)
def gather(g, y, input, dim, index):  # noqa: A002
    return tangent_torch.gather_gradient(g, input, dim, index)


@linear(torch.take_along_dim)
def take_along_dim(g, y, input, indices, dim=None):  # noqa: A002
    return tangent_torch.take_along_dim_gradient(g, input, indices, dim)


# Helpers the rules call, each linear in its gradient argument ---------------------

@linear(tangent_torch.diagonal_gradient)
def diagonal_gradient(g, y, gradient, input, offset, dim1, dim2):  # noqa: A002
    return torch.diagonal(g, offset, dim1, dim2)


@linear(tangent_torch.narrow_gradient)
def narrow_gradient(g, y, gradient, input, dim, start):  # noqa: A002
    return torch.narrow(g, dim, start, gradient.shape[dim])


@linear(tangent_torch.index_select_gradient)
def index_select_gradient(g, y, gradient, input, dim, index):  # noqa: A002
    return torch.index_select(g, dim, index)


@linear(tangent_torch.gather_gradient)
def gather_gradient(g, y, gradient, input, dim, index):  # noqa: A002
    return torch.gather(g, dim, index)


@linear(tangent_torch.take_along_dim_gradient)
def take_along_dim_gradient(g, y, gradient, input, indices, dim):  # noqa: A002
    return torch.take_along_dim(g, indices, dim)


@linear(tangent_torch.reshaped)
def reshaped(g, y, input, shape):  # noqa: A002
    return torch.reshape(g, input.shape)


@linear(tangent_torch.permuted)
def permuted(g, y, input, dims):  # noqa: A002
    return tangent_torch.permuted(g, tangent_torch.inverse_permutation(
        tangent_torch.as_dims(dims)))


@linear(tangent_torch.flipped)
def flipped(g, y, input, dims):  # noqa: A002
    return tangent_torch.flipped(g, dims)


@linear(torch.diag)
def diag(g, y, input, diagonal=0):  # noqa: A002
    return tangent_torch.diag_gradient(g, input, diagonal)


@linear(tangent_torch.diag_gradient)
def diag_gradient(g, y, gradient, input, diagonal):  # noqa: A002
    return torch.diag(g, diagonal)


@linear(tangent_torch.lower_half)
def lower_half(g, y, x):
    return tangent_torch.lower_half(g)


@linear(tangent_torch.as_columns)
def as_columns(g, y, v, b, a):
    return tangent_torch.as_solution(g, b, a)


@linear(tangent_torch.as_solution)
def as_solution(g, y, columns, b, a):
    return tangent_torch.as_columns(g, b, a)


@linear(tangent_torch.embedding_gradient)
def embedding_gradient(g, y, gradient, input, weight, padding_idx, plain):  # noqa: A002
    return F.embedding(input, tangent_torch.without_row(g, padding_idx))


@linear(tangent_torch.without_row)
def without_row(g, y, weight, row):
    return tangent_torch.without_row(g, row)


# Element-wise, not linear: the linear declaration's tangent would call F.dropout again,
# drawing another mask, where the derivative must raise.
@elementwise(F.dropout, wrt='input')
def dropout(g, y, input, p=0.5, training=True, inplace=False):  # noqa: A002
    return g * tangent_torch.not_training(training, inplace)


@linear(tangent_torch.extremum_gradient)
def extremum_gradient(g, y, gradient, result, x, rival, dim):
    return tangent_torch.extremum_tangent(g, result, x, rival, dim)


@linear(tangent_torch.extremum_tangent)
def extremum_tangent(g, y, dx, result, x, rival, dim):
    return tangent_torch.extremum_gradient(g, result, x, rival, dim)


@linear(tangent_torch.weight_or_one)
def weight_or_one(g, y, weight):
    return g


@linear(tangent_torch.pad_gradient)
def pad_gradient(g, y, gradient, input, pad, mode):  # noqa: A002
    return F.pad(g, pad)

"""The PyTorch functions tests/test_torch_backend.py differentiates, one small
function per rule, each with the kinds of arguments it takes.

Argument specs: ``real(shape)`` draws from a normal distribution kept away from
0 (no kinks hit), ``positive`` from [0.5, 2], ``unit`` from [0.1, 0.9],
``above_one`` from [1.2, 3]; ``const(value)`` is passed as it is and never
differentiated. Every spec but ``const`` is a float64 tensor the test
differentiates with respect to.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling


class Spec(NamedTuple):
    kind: str
    shape: tuple = ()
    value: Any = None


def real(*shape):
    return Spec('real', shape)


def positive(*shape):
    return Spec('positive', shape)


def unit(*shape):
    return Spec('unit', shape)


def above_one(*shape):
    return Spec('above_one', shape)


def const(value):
    return Spec('const', value=value)


class Case(NamedTuple):
    function: Callable
    specs: tuple
    # The torch functions the case exercises, for the coverage check.
    covers: tuple


CASES: list[Case] = []


def case(*specs, covers=()):
    def register(function):
        CASES.append(Case(function, specs, tuple(covers)))
        return function
    return register


M = (3, 4)

# Arithmetic -----------------------------------------------------------------------------


@case(real(*M), real(4), covers=(torch.add,))
def add(x, y):
    return torch.add(x, y, alpha=2.0)


@case(real(*M), real(1, 4), covers=(torch.sub, torch.subtract))
def sub(x, y):
    return torch.sub(x, y) + torch.subtract(y, x, alpha=0.5)


@case(real(*M), real(3, 1), covers=(torch.mul, torch.multiply))
def mul(x, y):
    return torch.mul(x, y) + torch.multiply(x, x)


@case(real(*M), positive(4), covers=(torch.div, torch.divide, torch.true_divide))
def div(x, y):
    return torch.div(x, y) + torch.divide(y, x) + torch.true_divide(x, 3.0)


@case(positive(*M), real(*M), covers=(torch.pow,))
def pow_tensor(x, y):
    return torch.pow(x, y)


@case(real(*M), covers=(torch.pow,))
def pow_scalar(x):
    return torch.pow(x, 3)


@case(real(*M), real(*M), covers=(torch.maximum, torch.minimum))
def maximum_minimum(x, y):
    return torch.maximum(x, y) * torch.minimum(x, y)


@case(real(*M), real(*M), covers=(torch.fmax, torch.fmin))
def fmax_fmin(x, y):
    return torch.fmax(x, y) + 2.0 * torch.fmin(x, y)


@case(real(*M), real(*M), covers=(torch.atan2, torch.arctan2))
def atan2(x, y):
    return torch.atan2(x, y) + torch.arctan2(y, x)


@case(real(*M), real(*M), covers=(torch.hypot,))
def hypot(x, y):
    return torch.hypot(x, y)


@case(real(*M), real(*M), unit(*M), covers=(torch.lerp,))
def lerp(x, y, w):
    return torch.lerp(x, y, w)


@case(real(*M), real(4), covers=(torch.logaddexp,))
def logaddexp(x, y):
    return torch.logaddexp(x, y)


@case(real(*M), positive(*M), covers=(torch.xlogy, torch.special.xlogy))
def xlogy(x, y):
    return torch.xlogy(x, y) + torch.special.xlogy(y, y)


@case(real(*M), covers=(torch.neg, torch.negative, torch.positive, torch.clone))
def neg(x):
    return torch.neg(x) * torch.negative(x) + torch.positive(x) * torch.clone(x)


@case(real(*M), covers=(torch.square, torch.reciprocal))
def square_reciprocal(x):
    return torch.square(x) + torch.reciprocal(x)


@case(real(*M), covers=(torch.abs, torch.absolute))
def abs_(x):
    return torch.abs(x) * x + torch.absolute(x)


@case(real(*M), covers=(torch.clamp, torch.clip))
def clamp(x):
    return torch.clamp(x, -0.7, 0.8) * x + torch.clip(x, min=-0.3)


# Exponentials and logarithms ---------------------------------------------------------


@case(real(*M), covers=(torch.exp, torch.exp2, torch.special.exp2))
def exp(x):
    return torch.exp(x) + torch.exp2(x) + torch.special.exp2(x)


@case(real(*M), covers=(torch.expm1, torch.special.expm1))
def expm1(x):
    return torch.expm1(x) * torch.special.expm1(x)


@case(positive(*M), covers=(torch.log, torch.log2, torch.log10))
def log(x):
    return torch.log(x) * x + torch.log2(x) + torch.log10(x)


@case(positive(*M), covers=(torch.log1p, torch.special.log1p))
def log1p(x):
    return torch.log1p(x) * torch.special.log1p(x)


@case(positive(*M), covers=(torch.sqrt, torch.rsqrt))
def sqrt(x):
    return torch.sqrt(x) + torch.rsqrt(x) * x


# Trigonometry ---------------------------------------------------------------------------


@case(real(*M), covers=(torch.sin, torch.cos, torch.tan))
def trig(x):
    return torch.sin(x) * torch.cos(x) + torch.tan(0.3 * x)


@case(real(*M), covers=(torch.sinh, torch.cosh, torch.tanh, F.tanh))
def hyperbolic(x):
    return torch.sinh(x) + torch.cosh(x) * torch.tanh(x) + F.tanh(x)


@case(unit(*M), covers=(torch.asin, torch.arcsin, torch.acos, torch.arccos))
def arcsin(x):
    return torch.asin(x) * torch.acos(x) + torch.arcsin(x) + torch.arccos(x)


@case(real(*M), covers=(torch.atan, torch.arctan, torch.asinh, torch.arcsinh))
def arctan(x):
    return torch.atan(x) * torch.asinh(x) + torch.arctan(x) + torch.arcsinh(x)


@case(above_one(*M), covers=(torch.acosh, torch.arccosh))
def acosh(x):
    return torch.acosh(x) * torch.arccosh(x)


@case(unit(*M), covers=(torch.atanh, torch.arctanh))
def atanh(x):
    return torch.atanh(x) * torch.arctanh(x)


@case(real(*M), covers=(torch.deg2rad, torch.rad2deg))
def degrees(x):
    return torch.deg2rad(x) * torch.rad2deg(x)


# Special functions ------------------------------------------------------------------------


@case(real(*M), covers=(torch.erf, torch.special.erf, torch.erfc, torch.special.erfc))
def erf(x):
    return torch.erf(x) * torch.erfc(x) + torch.special.erf(x) + torch.special.erfc(x)


@case(positive(*M), covers=(torch.lgamma, torch.special.gammaln, torch.digamma,
                            torch.special.digamma, torch.special.psi))
def gamma(x):
    return torch.lgamma(x) + torch.special.gammaln(x) * torch.digamma(x) + \
        torch.special.digamma(x) + torch.special.psi(x)


@case(positive(*M), covers=(torch.polygamma, torch.special.polygamma))
def polygamma(x):
    return torch.polygamma(1, x) + torch.special.polygamma(2, x)


@case(real(*M), covers=(torch.sigmoid, torch.special.expit, F.sigmoid))
def sigmoid(x):
    return torch.sigmoid(x) * torch.special.expit(x) + F.sigmoid(x)


@case(unit(*M), covers=(torch.logit, torch.special.logit))
def logit(x):
    return torch.logit(x) * torch.special.logit(x)


@case(real(*M), covers=(torch.special.ndtr, torch.special.log_ndtr))
def ndtr(x):
    return torch.special.ndtr(x) * torch.special.log_ndtr(x)


# Activations --------------------------------------------------------------------------------


@case(real(*M), covers=(F.relu, torch.relu, F.relu6))
def relu(x):
    return F.relu(x) * x + torch.relu(x) + F.relu6(3.0 * x) * x


@case(real(*M), covers=(F.hardtanh, F.leaky_relu))
def hardtanh(x):
    return F.hardtanh(x, -0.5, 0.7) * x + F.leaky_relu(x, 0.2) * x


@case(real(*M), covers=(F.elu, F.celu, F.selu, torch.selu))
def elu(x):
    return F.elu(x) * x + F.celu(x, alpha=0.5) * x + F.selu(x) * x + torch.selu(x)


@case(real(*M), covers=(F.softplus,))
def softplus(x):
    return F.softplus(x) * x + F.softplus(x, beta=2.0, threshold=1.0) * x


@case(real(*M), covers=(F.silu, F.softsign, F.logsigmoid, F.tanhshrink))
def silu(x):
    return F.silu(x) + F.softsign(x) * x + F.logsigmoid(x) + F.tanhshrink(x)


@case(real(*M), covers=(F.mish, F.gelu))
def gelu(x):
    return F.mish(x) + F.gelu(x) * x


@case(real(*M), real(*M), covers=(torch.where,))
def where(x, y):
    return torch.where(x > 0, x * y, y)


# Reductions -------------------------------------------------------------------------------


@case(real(*M), covers=(torch.sum,))
def sum_(x):
    return torch.sum(x * x, dim=1) + torch.sum(x, dim=(0, 1), keepdim=True) + torch.sum(x)


@case(real(*M), covers=(torch.mean,))
def mean(x):
    return torch.mean(x * x, dim=0, keepdim=True) + torch.mean(x) + torch.mean(x, 1, True)


@case(real(*M), covers=(torch.sum, torch.mean))
def numpy_names(x):
    return torch.sum(x * x, axis=1, keepdims=True) + torch.mean(x, axis=(0, 1)) + \
        torch.sum(x, axis=0)


@case(real(*M), covers=(torch.cumsum,))
def cumsum(x):
    return torch.cumsum(x * x, 1) + torch.cumsum(x, dim=0)


@case(real(4, 4), covers=(torch.trace,))
def trace(x):
    return torch.trace(x * x)


@case(real(*M), covers=(torch.amax, torch.amin))
def amax(x):
    return torch.amax(x * x, dim=1) + torch.amin(x, 0)[:3] + torch.amax(x)


@case(real(*M), real(4), covers=(torch.max, torch.min))
def max_min(x, y):
    return torch.max(x * x) * torch.min(x) + torch.max(x, y) * torch.min(y, x)


@case(real(*M), covers=(torch.logsumexp, torch.special.logsumexp))
def logsumexp(x):
    return torch.logsumexp(x * x, 1) + torch.special.logsumexp(x, dim=1, keepdim=False)


@case(real(*M), covers=(torch.prod,))
def prod(x):
    return torch.prod(x, 1) + torch.prod(x)


@case(real(*M), covers=(torch.softmax, torch.special.softmax, F.softmax))
def softmax(x):
    return torch.softmax(x * x, 1) + torch.special.softmax(x, 0) + F.softmax(x, dim=-1)


@case(real(*M), covers=(torch.log_softmax, torch.special.log_softmax, F.log_softmax))
def log_softmax(x):
    return torch.log_softmax(x * x, 1) + torch.special.log_softmax(x, 0) + \
        F.log_softmax(x, dim=-1)


# Linear algebra ------------------------------------------------------------------------------


@case(real(2, 3, 4), real(4, 2), covers=(torch.matmul,))
def matmul(x, y):
    return torch.matmul(x, y)


@case(real(4), real(4, 2), covers=(torch.matmul,))
def matmul_vector(x, y):
    return torch.matmul(x, y) + torch.matmul(y.t(), x).sum()


@case(real(*M), real(4, 2), covers=(torch.mm, torch.spmm, torch.dsmm))
def mm(x, y):
    # spmm and dsmm are PyTorch's aliases of mm (equal to it), for dense tensors too.
    return torch.mm(x * x, y) + torch.spmm(x, y * y) + torch.dsmm(x, y)


@case(real(2, 3, 4), real(2, 4, 2), covers=(torch.bmm,))
def bmm(x, y):
    return torch.bmm(x, y * y)


@case(real(*M), real(4), covers=(torch.mv,))
def mv(x, v):
    return torch.mv(x, v * v)


@case(real(4), real(4), covers=(torch.dot, torch.inner))
def dot(x, y):
    return torch.dot(x * x, y) + torch.inner(x, y * y)


@case(real(3), real(4), covers=(torch.outer, torch.ger))
def outer(x, y):
    return torch.outer(x * x, y) + torch.ger(x, y)


@case(real(*M), real(2, 4), covers=(torch.cat, torch.concat, torch.concatenate))
def cat(x, y):
    return torch.cat([x * x, y], 0) + torch.concat([y, x], dim=0) + \
        torch.concatenate((x, y * x[:2]), 0)


@case(real(*M), real(*M), covers=(torch.stack,))
def stack(x, y):
    return torch.stack([x * y, y], 1) + torch.stack([x, y * y], dim=1)


# Shape --------------------------------------------------------------------------------------


@case(real(*M), covers=(torch.reshape, torch.flatten, torch.ravel))
def reshape(x):
    return torch.reshape(x * x, (2, 6)) + torch.flatten(x).reshape(2, 6) + \
        torch.ravel(x).reshape(2, 6)


@case(real(3, 1, 4), covers=(torch.squeeze, torch.unsqueeze))
def squeeze(x):
    return torch.unsqueeze(torch.squeeze(x * x, 1), 0) + torch.squeeze(x)


@case(real(*M), covers=(torch.transpose, torch.swapaxes, torch.swapdims, torch.t))
def transpose(x):
    return torch.transpose(x * x, 0, 1) + torch.swapaxes(x, 0, 1) + torch.swapdims(x, 1, 0) \
        + torch.t(x)


@case(real(2, 3, 4), covers=(torch.permute, torch.movedim, torch.moveaxis))
def permute(x):
    return torch.permute(x * x, (2, 0, 1)) + torch.movedim(x, 2, 0) + torch.moveaxis(x, -1, 0)


@case(real(*M), covers=(torch.flip, torch.fliplr, torch.flipud))
def flip(x):
    return torch.flip(x * x, (0,)) + torch.fliplr(x) * torch.flipud(x)


@case(real(*M), covers=(torch.roll,))
def roll(x):
    return torch.roll(x * x, 1, 0) + torch.roll(x, (1, -2), (0, 1))


@case(real(4, 4), covers=(torch.tril, torch.triu))
def tril(x):
    return torch.tril(x * x) + torch.triu(x, 1) * x


@case(real(4), covers=(torch.broadcast_to,))
def broadcast_to(x):
    return torch.broadcast_to(x * x, (3, 4))


@case(real(4, 4), covers=(torch.diagonal,))
def diagonal(x):
    return torch.diagonal(x * x) + torch.diagonal(x, 1, 0, 1).sum()


@case(real(*M), covers=(torch.narrow,))
def narrow(x):
    return torch.narrow(x * x, 1, 1, 2)


@case(real(*M), const(torch.tensor([2, 0, 2])), covers=(torch.index_select,))
def index_select(x, index):
    return torch.index_select(x * x, 1, index)


@case(real(*M), const(torch.tensor([[0, 1], [3, 3], [2, 0]])),
      covers=(torch.gather, torch.take_along_dim))
def gather(x, index):
    return torch.gather(x * x, 1, index) + torch.take_along_dim(x, index, 1) + \
        torch.take_along_dim(x, index).reshape(3, 2)


@case(real(*M), covers=(F.pad,))
def pad(x):
    return F.pad(x * x, (1, 2)) + F.pad(x, (1, 2), value=3.0)


# Layers and losses -----------------------------------------------------------------------


@case(real(5, 4), real(3, 4), real(3), covers=(F.linear,))
def linear(x, w, b):
    return F.linear(x * x, w, b)


@case(real(5, 3), const(torch.tensor([[0, 2], [4, 2], [1, 1]])), covers=(F.embedding,))
def embedding(weight, indices):
    return F.embedding(indices, weight * weight) + F.embedding(indices, weight, padding_idx=2)


@case(real(*M), covers=(F.dropout,))
def dropout(x):
    return F.dropout(x * x, 0.3, training=False)


@case(real(2, 3, 4), real(3, 4), real(3, 4), covers=(F.layer_norm,))
def layer_norm(x, weight, bias):
    return F.layer_norm(x * x, (3, 4), weight, bias) + F.layer_norm(x, (4,)) * x + \
        F.layer_norm(x, [4], weight[0], eps=1e-3)


@case(real(*M), real(*M), covers=(F.mse_loss, F.l1_loss))
def losses(x, y):
    return F.mse_loss(x, y) + F.l1_loss(x * x, y, reduction='sum') + F.mse_loss(
        x, y, reduction='none')


@case(real(*M), const(torch.tensor([1, 0, 3])), covers=(F.cross_entropy,))
def cross_entropy(x, target):
    return F.cross_entropy(x * x, target) + F.cross_entropy(x, target, reduction='sum')


@case(real(*M), unit(*M), covers=(F.binary_cross_entropy_with_logits,))
def bce_with_logits(x, y):
    return F.binary_cross_entropy_with_logits(x, y) * F.binary_cross_entropy_with_logits(
        x * x, y, reduction='sum')


# Operators, indexing and tensor methods -----------------------------------------------------


@case(real(*M), real(4, 2), covers=())
def operators(x, y):
    return (x * x - 2.0 / (x ** 2 + 1.0)) @ y + (-x) @ y


@case(real(*M), covers=())
def indexing(x):
    return x[1:, ::2] * x[0, 1] + torch.sum(x[:2, 1:3])


@case(positive(*M), covers=())
def methods(x):
    # The function names torch, so the methods NumPy's arrays also have (reshape, T,
    # sum) mean PyTorch's.
    return torch.tanh(x) + x.exp() + x.log() * x.sqrt() + x.sin().tanh() + \
        x.sigmoid() * x.pow(2) + \
        x.clamp(0.7, 1.5) + x.flip(0) + x.t().t() + x.view(12).reshape(3, 4) + \
        x.reshape(4, 3).permute(1, 0) + x.T.T + x.logsumexp(1).unsqueeze(1) + x.amax(0) + \
        x.sum(1, keepdim=True) * x.mean() + x.sum(dim=0).squeeze() * x.prod(1, True) + \
        x.max() * x.min()


@case(real(*M), covers=())
def item_writes(x):
    y = x * 1.0
    y[0] = x[1] * x[0]
    y[1, 2] = torch.sin(x[2, 3])
    return torch.tanh(y) * x


# Linear systems -----------------------------------------------------------------------


@case(real(4, 4), real(4), real(4, 2), covers=(torch.linalg.solve,))
def linalg_solve(a, b, c):
    system = a + 4.0 * torch.eye(4, dtype=a.dtype)  # well conditioned
    return torch.linalg.solve(system, b).sum() * torch.linalg.solve(system, c)


@case(real(4, 4), covers=(torch.linalg.cholesky, torch.diag))
def linalg_cholesky(a):
    # Symmetric positive definite, and so is every perturbation's image.
    low = torch.linalg.cholesky(torch.matmul(a, a.t()) + 4.0 * torch.eye(4, dtype=a.dtype))
    return torch.log(torch.diag(low)) + torch.diag(torch.diag(low * low), 1)[:4, 1:].sum(0)

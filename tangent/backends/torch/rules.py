"""PyTorch derivative rules whose two modes are written differently: adjoints and
tangents of reductions with a share (max, logsumexp), normalisations (softmax),
products (matmul), joins (cat, stack), layers and losses; the rules of the
helpers those rules call; PyTorch's functions without a derivative; and what the
methods of a tensor mean.

Loaded by the backend (``tangent.backends.torch``) the first time a function being
differentiated refers to PyTorch, never by ``import tangent``. The element-wise and
linear functions are declared once in ``declared``. Generic helpers
(``tangent.unbroadcast``) hand tensors to ``helpers``; helpers only PyTorch rules
need are called there directly (``tangent_torch.extremum_share``).

Sections: reductions, normalisations, linear algebra, joins, layers and losses,
runtime helpers, functions without a derivative, tensor methods.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

from tangent import runtime as tangent
from tangent.backends import ArrayMethods
from tangent.backends.torch import helpers as tangent_torch
from tangent.rules import non_differentiable
from tangent.rules.registry import adjoint, d, tangent_


# Reductions ------------------------------------------------------------------------

# torch.sum and torch.mean also take NumPy's names for their arguments, axis and
# keepdims, so code written for NumPy runs on tensors.

@adjoint(torch.sum)
def sum_(y, input, dim=None, keepdim=False, dtype=None, axis=None,  # noqa: A002
         keepdims=None):
    d[input] = tangent.unreduce_like(d[y], input, tangent_torch.dim_or_axis(dim, axis),
                                     tangent_torch.keepdim_or_keepdims(keepdim, keepdims))


@tangent_(torch.sum)
def sum_tangent(y, input, dim=None, keepdim=False, dtype=None, axis=None,  # noqa: A002
                keepdims=None):
    d[y] = torch.sum(d[input], tangent_torch.dim_or_axis(dim, axis),
                     tangent_torch.keepdim_or_keepdims(keepdim, keepdims))


@adjoint(torch.mean)
def mean(y, input, dim=None, keepdim=False, dtype=None, axis=None,  # noqa: A002
         keepdims=None):
    d[input] = tangent.unreduce_like(d[y], input, tangent_torch.dim_or_axis(dim, axis),
                                     tangent_torch.keepdim_or_keepdims(keepdim, keepdims)) / \
        tangent.array_size(input, tangent_torch.dim_or_axis(dim, axis))


@tangent_(torch.mean)
def mean_tangent(y, input, dim=None, keepdim=False, dtype=None, axis=None,  # noqa: A002
                 keepdims=None):
    d[y] = torch.mean(d[input], tangent_torch.dim_or_axis(dim, axis),
                      tangent_torch.keepdim_or_keepdims(keepdim, keepdims))


@adjoint(torch.amax)
def amax(y, input, dim=(), keepdim=False):  # noqa: A002 - PyTorch's name
    d[input] = tangent.unreduce_like(d[y], input, tangent_torch.all_dims(dim), keepdim) * \
        tangent_torch.extremum_share(y, input, tangent_torch.all_dims(dim), keepdim)


@tangent_(torch.amax)
def amax_tangent(y, input, dim=(), keepdim=False):  # noqa: A002
    d[y] = torch.sum(d[input] * tangent_torch.extremum_share(
        y, input, tangent_torch.all_dims(dim), keepdim), tangent_torch.all_dims(dim), keepdim)


adjoint(torch.amin)(amax)
tangent_(torch.amin)(amax_tangent)


# torch.max(x) and torch.max(x, other) (and min); with dim they return values and
# indices, which raises (torch.amax is the values alone).

@adjoint(torch.max)
def max_(y, input, other=None, dim=None, keepdim=False):  # noqa: A002
    d[input] = tangent_torch.extremum_gradient(d[y], y, input, other, dim)
    d[other] = tangent_torch.extremum_gradient(d[y], y, other, input, dim)


@tangent_(torch.max)
def max_tangent(y, input, other=None, dim=None, keepdim=False):  # noqa: A002
    d[y] = tangent_torch.extremum_tangent(d[input], y, input, other, dim) + \
        tangent_torch.extremum_tangent(d[other], y, other, input, dim)


adjoint(torch.min)(max_)
tangent_(torch.min)(max_tangent)


@adjoint(torch.logsumexp)
def logsumexp(y, input, dim, keepdim=False):  # noqa: A002
    d[input] = tangent.unreduce_like(d[y], input, dim, keepdim) * \
        torch.exp(input - tangent.unreduce_like(y, input, dim, keepdim))


@tangent_(torch.logsumexp)
def logsumexp_tangent(y, input, dim, keepdim=False):  # noqa: A002
    d[y] = torch.sum(d[input] * torch.exp(input - tangent.unreduce_like(y, input, dim, keepdim)),
                     dim, keepdim)


adjoint(torch.special.logsumexp)(logsumexp)
tangent_(torch.special.logsumexp)(logsumexp_tangent)


@adjoint(torch.prod)
def prod(y, input, dim=None, keepdim=False, dtype=None):  # noqa: A002
    d[input] = tangent.unreduce_like(d[y], input, dim, keepdim) * \
        tangent_torch.prod_others(input, dim)


@tangent_(torch.prod)
def prod_tangent(y, input, dim=None, keepdim=False, dtype=None):  # noqa: A002
    d[y] = torch.sum(d[input] * tangent_torch.prod_others(input, dim),
                     tangent_torch.all_dims(dim), keepdim)


# Normalisations ----------------------------------------------------------------------

@adjoint(torch.softmax)
def softmax(y, input, dim=None, dtype=None):  # noqa: A002
    d[input] = y * (d[y] - torch.sum(d[y] * y, tangent_torch.last_dim(dim), True))


@tangent_(torch.softmax)
def softmax_tangent(y, input, dim=None, dtype=None):  # noqa: A002
    d[y] = y * (d[input] - torch.sum(d[input] * y, tangent_torch.last_dim(dim), True))


@adjoint(torch.log_softmax)
def log_softmax(y, input, dim=None, dtype=None):  # noqa: A002
    d[input] = d[y] - torch.exp(y) * torch.sum(d[y], tangent_torch.last_dim(dim), True)


@tangent_(torch.log_softmax)
def log_softmax_tangent(y, input, dim=None, dtype=None):  # noqa: A002
    d[y] = d[input] - torch.sum(torch.exp(y) * d[input], tangent_torch.last_dim(dim), True)


@adjoint(F.softmax)
def f_softmax(y, input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    d[input] = y * (d[y] - torch.sum(d[y] * y, tangent_torch.last_dim(dim), True))


@tangent_(F.softmax)
def f_softmax_tangent(y, input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    d[y] = y * (d[input] - torch.sum(d[input] * y, tangent_torch.last_dim(dim), True))


@adjoint(F.log_softmax)
def f_log_softmax(y, input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    d[input] = d[y] - torch.exp(y) * torch.sum(d[y], tangent_torch.last_dim(dim), True)


@tangent_(F.log_softmax)
def f_log_softmax_tangent(y, input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    d[y] = d[input] - torch.sum(torch.exp(y) * d[input], tangent_torch.last_dim(dim), True)


adjoint(torch.special.softmax)(softmax)
tangent_(torch.special.softmax)(softmax_tangent)
adjoint(torch.special.log_softmax)(log_softmax)
tangent_(torch.special.log_softmax)(log_softmax_tangent)


# Linear algebra ------------------------------------------------------------------------

def matmul_adjoint(z, input, other):  # noqa: A002
    d[input] = tangent.grad_matmul_left(d[z], input, other)
    d[other] = tangent.grad_matmul_right(d[z], input, other)


def matmul_tangent(z, input, other):  # noqa: A002
    d[z] = torch.matmul(d[input], other) + torch.matmul(input, d[other])


adjoint(torch.matmul)(matmul_adjoint)
tangent_(torch.matmul)(matmul_tangent)


@adjoint(torch.mm)
def mm(z, input, mat2):  # noqa: A002
    d[input] = tangent.grad_matmul_left(d[z], input, mat2)
    d[mat2] = tangent.grad_matmul_right(d[z], input, mat2)


@tangent_(torch.mm)
def mm_tangent(z, input, mat2):  # noqa: A002
    d[z] = torch.mm(d[input], mat2) + torch.mm(input, d[mat2])


adjoint(torch.bmm)(mm)


@tangent_(torch.bmm)
def bmm_tangent(z, input, mat2):  # noqa: A002
    d[z] = torch.bmm(d[input], mat2) + torch.bmm(input, d[mat2])


@adjoint(torch.mv)
def mv(z, input, vec):  # noqa: A002
    d[input] = tangent.grad_matmul_left(d[z], input, vec)
    d[vec] = tangent.grad_matmul_right(d[z], input, vec)


@tangent_(torch.mv)
def mv_tangent(z, input, vec):  # noqa: A002
    d[z] = torch.mv(d[input], vec) + torch.mv(input, d[vec])


@adjoint(torch.dot)
def dot(z, input, tensor):  # noqa: A002
    d[input] = d[z] * tensor
    d[tensor] = d[z] * input


@tangent_(torch.dot)
def dot_tangent(z, input, tensor):  # noqa: A002
    d[z] = torch.dot(d[input], tensor) + torch.dot(input, d[tensor])


# inner contracts the last dims of tensors of any rank (dot's rules are for vectors).
@adjoint(torch.inner)
def inner(z, input, other):  # noqa: A002
    d[input] = tangent_torch.inner_gradient_left(d[z], input, other)
    d[other] = tangent_torch.inner_gradient_right(d[z], input, other)


@tangent_(torch.inner)
def inner_tangent(z, input, other):  # noqa: A002
    d[z] = torch.inner(d[input], other) + torch.inner(input, d[other])


@adjoint(torch.outer)
def outer(z, input, vec2):  # noqa: A002
    d[input] = torch.mv(d[z], vec2)
    d[vec2] = torch.mv(torch.t(d[z]), input)


@tangent_(torch.outer)
def outer_tangent(z, input, vec2):  # noqa: A002
    d[z] = torch.outer(d[input], vec2) + torch.outer(input, d[vec2])


adjoint(torch.ger)(outer)
tangent_(torch.ger)(outer_tangent)


# Both gradients are summed over the batch dimensions the solve broadcast A and B along.
@adjoint(torch.linalg.solve)
def linalg_solve(x, A, B, left=True):  # noqa: N803 - PyTorch's names
    columns = torch.linalg.solve(torch.transpose(A, -1, -2), tangent_torch.as_columns(
        d[x], B, A)) * tangent_torch.on_the_left(left)
    d[B] = tangent.unbroadcast(tangent_torch.as_solution(columns, B, A), B)
    d[A] = tangent.unbroadcast(-torch.matmul(columns, torch.transpose(
        tangent_torch.as_columns(x, B, A), -1, -2)), A)


# The right-hand side is broadcast to the solution's shape first: a smaller one could
# read as a batch of vectors where B was a matrix.
@tangent_(torch.linalg.solve)
def linalg_solve_tangent(x, A, B, left=True):  # noqa: N803
    d[x] = tangent_torch.as_solution(torch.linalg.solve(A, tangent.broadcast_like(
        tangent_torch.as_columns(d[B], B, A), tangent_torch.as_columns(x, B, A)) - torch.matmul(
        d[A], tangent_torch.as_columns(x, B, A))), B, A) * tangent_torch.on_the_left(left)


@adjoint(torch.linalg.cholesky)
def linalg_cholesky(low, A, upper=False):  # noqa: N803
    # L^-T lower_half(L^T dL) L^-1, symmetrised: A is symmetric.
    inner = tangent_torch.lower_half(torch.matmul(torch.transpose(low, -1, -2), d[low]))
    left = torch.linalg.solve(torch.transpose(low, -1, -2), torch.transpose(
        inner, -1, -2))
    whole = torch.linalg.solve(torch.transpose(low, -1, -2), torch.transpose(left, -1, -2))
    d[A] = 0.5 * (whole + torch.transpose(whole, -1, -2)) * tangent_torch.lower_only(upper)


@tangent_(torch.linalg.cholesky)
def linalg_cholesky_tangent(low, A, upper=False):  # noqa: N803
    # L lower_half(L^-1 dA L^-T)
    right = torch.transpose(torch.linalg.solve(low, torch.transpose(d[A], -1, -2)), -1, -2)
    d[low] = torch.matmul(low, tangent_torch.lower_half(torch.linalg.solve(low, right))) * \
        tangent_torch.lower_only(upper)


# Joins -------------------------------------------------------------------------------

@adjoint(torch.cat)
def cat(y, tensors, dim=0):
    d[tensors] = tangent_torch.split_along(d[y], tangent_torch.sizes_along(tensors, dim), dim)


@tangent_(torch.cat)
def cat_tangent(y, tensors, dim=0):
    d[y] = torch.cat(tangent_torch.tangent_items(d[tensors], tensors), dim)


for _join in (torch.concat, torch.concatenate):
    adjoint(_join)(cat)
    tangent_(_join)(cat_tangent)


@adjoint(torch.stack)
def stack(y, tensors, dim=0):
    d[tensors] = tangent_torch.unbound(d[y], dim)


@tangent_(torch.stack)
def stack_tangent(y, tensors, dim=0):
    d[y] = torch.stack(tangent_torch.tangent_items(d[tensors], tensors), dim)


@adjoint(torch.squeeze)
def squeeze(y, input, dim=None):  # noqa: A002
    d[input] = torch.reshape(d[y], input.shape)


@tangent_(torch.squeeze)
def squeeze_tangent(y, input, dim=None):  # noqa: A002
    d[y] = torch.reshape(d[input], y.shape)


# Layers and losses -----------------------------------------------------------------------

@adjoint(F.linear)
def linear(y, input, weight, bias=None):  # noqa: A002
    d[input] = torch.matmul(d[y], weight)
    d[weight] = tangent_torch.linear_weight_gradient(d[y], input)
    d[bias] = tangent.unbroadcast(d[y], bias)


@tangent_(F.linear)
def linear_tangent(y, input, weight, bias=None):  # noqa: A002
    d[y] = tangent.broadcast_like(F.linear(d[input], weight) + F.linear(input, d[weight])
                                  + d[bias], y)


# F.embedding and F.pad are linear in one argument, but their options act on values
# (max_norm renormalises the weight, value fills the padding): the tangent is written
# apart, with the options that must not touch it left out.

@adjoint(F.embedding)
def embedding(y, input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    d[weight] = tangent_torch.embedding_gradient(d[y], input, weight, padding_idx,
                                                 tangent_torch.plain_embedding(
                                                     max_norm, scale_grad_by_freq, sparse))


@tangent_(F.embedding)
def embedding_tangent(y, input, weight, padding_idx=None, max_norm=None,  # noqa: A002
                      norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    d[y] = F.embedding(input, d[weight]) * tangent_torch.plain_embedding(
        max_norm, scale_grad_by_freq, sparse)


@adjoint(F.pad)
def pad(y, input, pad, mode='constant', value=None):  # noqa: A002
    d[input] = tangent_torch.pad_gradient(d[y], input, pad, mode)


@tangent_(F.pad)
def pad_tangent(y, input, pad, mode='constant', value=None):  # noqa: A002
    d[y] = F.pad(d[input], pad, mode)


# Layer normalisation: with n = (x - mean) / scale over the last dims, the Jacobian of n
# in x, (I - 1/k - n n^T / k) / scale, is symmetric: one formula serves both modes.

@adjoint(F.layer_norm)
def layer_norm(y, input, normalized_shape, weight=None, bias=None, eps=1e-05):  # noqa: A002
    dims = tangent_torch.last_dims(normalized_shape)
    centred = input - torch.mean(input, dims, True)
    scale = torch.sqrt(torch.mean(centred * centred, dims, True) + eps)
    normalized = centred / scale
    g_normalized = d[y] * tangent_torch.weight_or_one(weight)
    d[input] = (g_normalized - torch.mean(g_normalized, dims, True) - normalized * torch.mean(
        g_normalized * normalized, dims, True)) / scale
    d[weight] = tangent.unbroadcast(d[y] * normalized, weight)
    d[bias] = tangent.unbroadcast(d[y], bias)


@tangent_(F.layer_norm)
def layer_norm_tangent(y, input, normalized_shape, weight=None, bias=None,  # noqa: A002
                       eps=1e-05):
    dims = tangent_torch.last_dims(normalized_shape)
    centred = input - torch.mean(input, dims, True)
    scale = torch.sqrt(torch.mean(centred * centred, dims, True) + eps)
    normalized = centred / scale
    moved = (d[input] - torch.mean(d[input], dims, True) - normalized * torch.mean(
        d[input] * normalized, dims, True)) / scale
    d[y] = moved * tangent_torch.weight_or_one(weight) + normalized * d[weight] + d[bias]


@adjoint(F.mse_loss)
def mse_loss(y, input, target, size_average=None, reduce=None, reduction='mean'):  # noqa: A002
    d[input] = tangent.unbroadcast(tangent_torch.reduced_seed(d[y], reduction, input) * 2.0 * (
        input - target) * tangent_torch.reduction_scale(reduction, input), input)
    d[target] = tangent.unbroadcast(tangent_torch.reduced_seed(d[y], reduction, input) * -2.0 * (
        input - target) * tangent_torch.reduction_scale(reduction, input), target)


@tangent_(F.mse_loss)
def mse_loss_tangent(y, input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction='mean'):
    d[y] = tangent_torch.reduced(2.0 * (input - target) * (d[input] - d[target]), reduction)


@adjoint(F.l1_loss)
def l1_loss(y, input, target, size_average=None, reduce=None, reduction='mean'):  # noqa: A002
    d[input] = tangent.unbroadcast(tangent_torch.reduced_seed(d[y], reduction, input) * torch.sign(
        input - target) * tangent_torch.reduction_scale(reduction, input), input)
    d[target] = tangent.unbroadcast(tangent_torch.reduced_seed(d[y], reduction, input) * torch.sign(
        target - input) * tangent_torch.reduction_scale(reduction, input), target)


@tangent_(F.l1_loss)
def l1_loss_tangent(y, input, target, size_average=None, reduce=None,  # noqa: A002
                    reduction='mean'):
    d[y] = tangent_torch.reduced(torch.sign(input - target) * (d[input] - d[target]), reduction)


@adjoint(F.cross_entropy)
def cross_entropy(y, input, target, weight=None, size_average=None,  # noqa: A002
                  ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0):
    d[input] = tangent_torch.reduced_seed(d[y], reduction, target).unsqueeze(1) * (
        torch.softmax(input, 1) - tangent_torch.class_targets(target, input, weight,
                                                               ignore_index, label_smoothing)
    ) * tangent_torch.reduction_scale(reduction, target)


@tangent_(F.cross_entropy)
def cross_entropy_tangent(y, input, target, weight=None, size_average=None,  # noqa: A002
                          ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0):
    d[y] = tangent_torch.reduced(torch.sum(d[input] * (torch.softmax(input, 1) - tangent_torch.
        class_targets(target, input, weight, ignore_index, label_smoothing)), 1), reduction)


@adjoint(F.binary_cross_entropy_with_logits)
def bce_with_logits(y, input, target, weight=None, size_average=None,  # noqa: A002
                    reduce=None, reduction='mean', pos_weight=None):
    d[input] = tangent.unbroadcast(tangent_torch.reduced_seed(d[y], reduction, input) * (
        torch.sigmoid(input) - target) * tangent_torch.unweighted(weight, pos_weight)
        * tangent_torch.reduction_scale(reduction, input), input)
    d[target] = tangent.unbroadcast(-tangent_torch.reduced_seed(d[y], reduction, input) * input
                                    * tangent_torch.reduction_scale(reduction, input), target)


@tangent_(F.binary_cross_entropy_with_logits)
def bce_with_logits_tangent(y, input, target, weight=None, size_average=None,  # noqa: A002
                            reduce=None, reduction='mean', pos_weight=None):
    d[y] = tangent_torch.reduced((torch.sigmoid(input) - target) * tangent_torch.unweighted(
        weight, pos_weight) * d[input] - input * d[target], reduction)


# Runtime helpers (so that generated code can be differentiated again) -----------------

@adjoint(tangent_torch.softplus_slope)
def softplus_slope(z, x, beta, threshold):
    d[x] = d[z] * tangent_torch.softplus_curvature(x, beta, threshold)


@tangent_(tangent_torch.softplus_slope)
def softplus_slope_tangent(z, x, beta, threshold):
    d[z] = d[x] * tangent_torch.softplus_curvature(x, beta, threshold)


@adjoint(tangent_torch.gelu_slope)
def gelu_slope(z, x, approximate):
    d[x] = d[z] * tangent_torch.gelu_curvature(x, approximate)


@tangent_(tangent_torch.gelu_slope)
def gelu_slope_tangent(z, x, approximate):
    d[z] = d[x] * tangent_torch.gelu_curvature(x, approximate)


@adjoint(tangent_torch.mish_slope)
def mish_slope(z, x):
    d[x] = d[z] * tangent_torch.mish_curvature(x)


@tangent_(tangent_torch.mish_slope)
def mish_slope_tangent(z, x):
    d[z] = d[x] * tangent_torch.mish_curvature(x)


@adjoint(tangent_torch.log_where_nonzero)
def log_where_nonzero(z, x, y):
    d[y] = tangent.unbroadcast(d[z] * (x != 0).to(z.dtype) / y, y)


@tangent_(tangent_torch.log_where_nonzero)
def log_where_nonzero_tangent(z, x, y):
    d[z] = tangent.broadcast_like(d[y] * (x != 0).to(z.dtype) / y, z)


@adjoint(tangent_torch.prod_others)
def prod_others(y, x, dim):
    d[x] = tangent_torch.prod_others_tangent(x, d[y], dim)  # the Jacobian is symmetric


@tangent_(tangent_torch.prod_others)
def prod_others_tangent(y, x, dim):
    d[y] = tangent_torch.prod_others_tangent(x, d[x], dim)


# inner's gradients are bilinear in the seed and the operand they contract with.
@adjoint(tangent_torch.inner_gradient_left)
def inner_gradient_left(h, g, input, other):  # noqa: A002
    d[g] = torch.inner(d[h], other)
    d[other] = tangent_torch.inner_gradient_right(g, d[h], other)


@tangent_(tangent_torch.inner_gradient_left)
def inner_gradient_left_tangent(h, g, input, other):  # noqa: A002
    d[h] = tangent_torch.inner_gradient_left(d[g], input, other) + \
        tangent_torch.inner_gradient_left(g, input, d[other])


@adjoint(tangent_torch.inner_gradient_right)
def inner_gradient_right(h, g, input, other):  # noqa: A002
    d[g] = torch.inner(input, d[h])
    d[input] = tangent_torch.inner_gradient_left(g, input, d[h])


@tangent_(tangent_torch.inner_gradient_right)
def inner_gradient_right_tangent(h, g, input, other):  # noqa: A002
    d[h] = tangent_torch.inner_gradient_right(d[g], input, other) + \
        tangent_torch.inner_gradient_right(g, d[input], other)


@adjoint(tangent_torch.linear_weight_gradient)
def linear_weight_gradient(z, g, input):  # noqa: A002
    d[g] = F.linear(input, d[z])
    d[input] = torch.matmul(g, d[z])


@tangent_(tangent_torch.linear_weight_gradient)
def linear_weight_gradient_tangent(z, g, input):  # noqa: A002
    d[z] = tangent_torch.linear_weight_gradient(d[g], input) + \
        tangent_torch.linear_weight_gradient(g, d[input])


@adjoint(tangent_torch.reduced)
def reduced(y, x, reduction):
    d[x] = tangent_torch.reduced_seed(d[y], reduction, x) * \
        tangent_torch.reduction_scale(reduction, x)


@tangent_(tangent_torch.reduced)
def reduced_tangent(y, x, reduction):
    d[y] = tangent_torch.reduced(d[x], reduction)


@adjoint(tangent_torch.reduced_seed)
def reduced_seed(y, g, reduction, like):
    d[g] = tangent_torch.reduced(d[y], tangent_torch.summed(reduction))


@tangent_(tangent_torch.reduced_seed)
def reduced_seed_tangent(y, g, reduction, like):
    d[y] = tangent_torch.reduced_seed(d[g], reduction, like)


@adjoint(tangent_torch.tangent_items)
def tangent_items(z, tangents, values):
    d[tangents] = tangent_torch.item_gradients(d[z], tangents)


@tangent_(tangent_torch.tangent_items)
def tangent_items_tangent(z, tangents, values):
    d[z] = tangent_torch.tangent_items(d[tangents], values)


@adjoint(tangent_torch.split_along)
def split_along(pieces, g, sizes, dim):
    d[g] = torch.cat(tangent_torch.tangent_items(d[pieces], pieces), dim)


@tangent_(tangent_torch.split_along)
def split_along_tangent(pieces, g, sizes, dim):
    d[pieces] = tangent_torch.split_along(d[g], sizes, dim)


@adjoint(tangent_torch.unbound)
def unbound(pieces, g, dim):
    d[g] = torch.stack(tangent_torch.tangent_items(d[pieces], pieces), dim)


@tangent_(tangent_torch.unbound)
def unbound_tangent(pieces, g, dim):
    d[pieces] = tangent_torch.unbound(d[g], dim)


# Functions without a derivative ---------------------------------------------------------

non_differentiable.register_non_differentiable_functions(
    torch.zeros, torch.ones, torch.zeros_like, torch.ones_like, torch.full, torch.full_like,
    torch.empty, torch.eye, torch.arange, torch.linspace, torch.tensor, torch.as_tensor,
    torch.randn, torch.rand, torch.randint, torch.randn_like, torch.rand_like,
    torch.manual_seed, torch.argmax, torch.argmin, torch.argsort, torch.sign, torch.floor,
    torch.ceil, torch.round, torch.trunc, torch.eq, torch.ne, torch.gt, torch.ge, torch.lt,
    torch.le, torch.logical_and, torch.logical_or, torch.logical_not, torch.isnan,
    torch.isfinite, torch.isinf, torch.numel, torch.is_tensor, torch.heaviside, F.one_hot,
    torch.detach, torch.Tensor.detach, torch.Tensor.size, torch.Tensor.dim, torch.Tensor.numel,
    torch.Tensor.item, torch.Tensor.tolist,
    # Runtime helpers computing integers, dims, masks or piecewise-constant shares
    tangent_torch.true_quotient, tangent_torch.no_eps, tangent_torch.inside,
    tangent_torch.softplus_curvature, tangent_torch.gelu_curvature,
    tangent_torch.mish_curvature, tangent_torch.inverse_permutation, tangent_torch.negated,
    tangent_torch.extremum_share, tangent_torch.last_dim, tangent_torch.all_dims,
    tangent_torch.reduction_scale, tangent_torch.sizes_along, tangent_torch.summed,
    tangent_torch.class_targets, tangent_torch.unweighted, tangent_torch.as_dims,
    tangent_torch.dim_or_axis, tangent_torch.keepdim_or_keepdims, tangent_torch.on_the_left,
    tangent_torch.lower_only, tangent_torch.last_dims,
    tangent_torch.plain_embedding, tangent_torch.not_training, tangent_torch.out_of_place)


# Tensor methods -----------------------------------------------------------------------
# ``x.exp()`` is ``torch.exp(x)``. Desugaring reads no types: in a function that names
# torch (and not NumPy) these meanings come first, so ``x.sum()`` is ``torch.sum(x)``.

_METHOD_NAMES = (
    'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'square',
    'reciprocal', 'abs', 'neg', 'sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'asin', 'acos',
    'atan', 'asinh', 'acosh', 'atanh', 'sigmoid', 'relu', 'erf', 'erfc', 'lgamma', 'digamma',
    'logit', 'clamp', 'clip', 'pow', 'add', 'sub', 'mul', 'div', 'matmul', 'mm', 'mv', 'amax',
    'amin', 'logsumexp', 'softmax', 'log_softmax', 'flatten', 'unsqueeze', 'squeeze',
    'roll', 'tril', 'triu', 'narrow', 'index_select', 'gather', 'maximum', 'minimum', 'atan2',
    'hypot', 'lerp', 'xlogy', 't', 'movedim', 'outer', 'inner', 'bmm', 'logaddexp', 'sum',
    'mean', 'prod', 'cumsum', 'trace', 'diagonal', 'ravel', 'transpose', 'swapaxes', 'dot',
    'clone', 'detach', 'broadcast_to', 'max', 'min')

ARRAY_METHODS = ArrayMethods(
    module=torch,
    module_alias='torch',
    # A method writing into its tensor (x.add_(y)) means a function without a rule, so
    # that differentiating through one raises instead of missing the write.
    methods={**{name: getattr(torch, name) for name in _METHOD_NAMES},
             **tangent_torch.IN_PLACE_METHODS},
    # Methods whose trailing positional arguments are one tuple: x.reshape(2, 3).
    # x.reshape(6) as x.reshape((6,)): the trailing positional arguments are one shape,
    # packed into a tuple when there are several.
    shape_methods={'reshape': tangent_torch.reshaped, 'view': tangent_torch.reshaped,
                   'permute': tangent_torch.permuted, 'flip': tangent_torch.flipped},
    attributes={'T': torch.t, 'mT': tangent_torch.matrix_transpose},
    other_names=frozenset({'shape', 'dim', 'size', 'numel', 'dtype', 'device', 'item',
                           'tolist', 'ndim', 'requires_grad'}),
)


def module_forward(cls: type):
    """What calling a ``torch.nn.Module`` of class ``cls`` runs: its ``forward``, which
    ``Module.__call__`` calls around hooks that a derivative has no use for. Other
    classes keep their own ``__call__``."""
    if not issubclass(cls, torch.nn.Module):
        return None
    forward = next((vars(base)['forward'] for base in cls.__mro__ if 'forward' in vars(base)),
                   None)
    return forward if isinstance(forward, types.FunctionType) else None


def module_container_items(value):
    """The submodules a container module holds: a list for an ``nn.ModuleList`` or an
    ``nn.Sequential`` (iterating over it and indexing it by position give them), a dict
    for an ``nn.ModuleDict`` (indexed by its keys, iterating over it gives the keys, its
    ``values()`` and ``items()`` the entries);
    None for anything else, a subclass that iterates or indexes otherwise included."""
    for container, kind in ((torch.nn.ModuleList, list), (torch.nn.Sequential, list),
                            (torch.nn.ModuleDict, dict)):
        if isinstance(value, container) and all(
                getattr(type(value), name, None) is getattr(container, name, None)
                for name in ('__iter__', '__getitem__', '__len__', 'values', 'items')):
            return list(value) if kind is list else dict(value.items())
    return None


def module_parameters(value) -> dict | None:
    """A ``torch.nn.Module``'s parameters by dotted path, which a gradient with respect
    to the module holds (as ``torch.func.functional_call`` takes them): every path, a
    parameter two submodules share (tied weights) under each (the core keys both by
    the first, as ``named_parameters()`` lists it); None for other values."""
    if not isinstance(value, torch.nn.Module):
        return None
    return dict(value.named_parameters(remove_duplicate=False))


def is_float_tensor(value) -> bool:
    """A real floating-point tensor: an attribute a gradient with respect to a plain
    object includes."""
    return isinstance(value, torch.Tensor) and value.is_floating_point()

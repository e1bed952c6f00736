"""JAX derivative rules that are not element-wise or linear: adjoints and tangents.

Loaded by the backend (``tangent.backends.jax``) the first time a function being
differentiated refers to JAX, after ``declared``. Rules are templates, as for
NumPy: ``d[x]`` is the derivative of ``x``. Generic helpers
(``tangent.unbroadcast``) hand JAX values to ``helpers``; helpers only these
rules need are called there directly (``tangent_jax.extremum_share``). Every
helper generated code calls has rules of its own (here or in ``declared``) or
is declared to have no derivative, so that generated code can be
differentiated again.

Sections: reductions, softmax, linear algebra, joining and splitting, helpers,
functions without a derivative.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg
from jax import nn

from tangent import runtime as tangent
from tangent.backends.jax import helpers as tangent_jax
from tangent.rules import non_differentiable
from tangent.rules.registry import adjoint, d, tangent_


# Reductions --------------------------------------------------------------------

# Ties share the derivative equally, the average of the one-sided derivatives.
@adjoint(jnp.max)
def max_(y, a, axis=None, out=None, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y], a, axis, keepdims) * \
        tangent_jax.extremum_share(y, a, axis, keepdims)


@tangent_(jnp.max)
def max_tangent(y, a, axis=None, out=None, keepdims=False):
    d[y] = jnp.sum(d[a] * tangent_jax.extremum_share(y, a, axis, keepdims), axis=axis,
                   keepdims=keepdims)


for _extremum in (jnp.min, jnp.amax, jnp.amin):
    adjoint(_extremum)(max_)
    tangent_(_extremum)(max_tangent)


@adjoint(jnp.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y], a, axis, keepdims) * 2.0 * \
        tangent_jax.deviation(a, axis) / (tangent.array_size(a, axis) - ddof)


@tangent_(jnp.var)
def var_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = jnp.sum(2.0 * tangent_jax.deviation(a, axis) * d[a], axis=axis,
                   keepdims=keepdims) / (tangent.array_size(a, axis) - ddof)


@adjoint(jnp.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y] / y, a, axis, keepdims) * \
        tangent_jax.deviation(a, axis) / (tangent.array_size(a, axis) - ddof)


@tangent_(jnp.std)
def std_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = jnp.sum(tangent_jax.deviation(a, axis) * d[a], axis=axis, keepdims=keepdims) / \
        ((tangent.array_size(a, axis) - ddof) * y)


# NaNs count as zeros: no derivative reaches them, whatever the tangent holds there.
# initial= and where= are left out of these templates: a call with them raises.
@adjoint(jnp.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y], a, axis, keepdims) * jnp.logical_not(jnp.isnan(a))


@tangent_(jnp.nansum)
def nansum_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = jnp.sum(d[a] * jnp.logical_not(jnp.isnan(a)), axis=axis, keepdims=keepdims)


# Written without dividing by the elements, so that it holds at zeros. As for nansum,
# initial= and where= are left out.
@adjoint(jnp.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y], a, axis, keepdims) * tangent_jax.others_product(
        a, axis)


@tangent_(jnp.prod)
def prod_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = jnp.sum(d[a] * tangent_jax.others_product(a, axis), axis=axis, keepdims=keepdims)


@adjoint(jnp.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):  # noqa: A002 - jnp's name
    d[x] = tangent_jax.unreduce_like(d[y] / y, x, axis, keepdims) * x * \
        tangent_jax.frobenius_only(ord, 'jnp.linalg.norm')


@tangent_(jnp.linalg.norm)
def norm_tangent(y, x, ord=None, axis=None, keepdims=False):  # noqa: A002 - jnp's name
    d[y] = jnp.sum(x * d[x], axis=axis, keepdims=keepdims) / y * \
        tangent_jax.frobenius_only(ord, 'jnp.linalg.norm')


# Sorting moves elements: the gradient goes back to where each came from.
@adjoint(jnp.sort)
def sort(y, a, axis=-1, kind=None, order=None, stable=True, descending=False):
    d[a] = tangent_jax.take_along_axis_gradient(
        d[y], a, tangent_jax.sort_order(a, axis, descending), axis)


@tangent_(jnp.sort)
def sort_tangent(y, a, axis=-1, kind=None, order=None, stable=True, descending=False):
    d[y] = jnp.take_along_axis(d[a], tangent_jax.sort_order(a, axis, descending), axis)


# return_sign= (a tuple result) and where= are left out: a call with them raises.
@adjoint(nn.logsumexp)
def logsumexp(y, a, axis=None, b=None, keepdims=False):
    d[a] = tangent_jax.unreduce_like(d[y], a, axis, keepdims) * tangent_jax.without_weights(
        b, 'jax.nn.logsumexp') * jnp.exp(a - tangent_jax.expand_reduced(y, a, axis, keepdims))


@tangent_(nn.logsumexp)
def logsumexp_tangent(y, a, axis=None, b=None, keepdims=False):
    d[y] = jnp.sum(d[a] * tangent_jax.without_weights(b, 'jax.nn.logsumexp') * jnp.exp(
        a - tangent_jax.expand_reduced(y, a, axis, keepdims)), axis=axis, keepdims=keepdims)


# A cast (x.astype(dtype) means jnp.asarray(x, dtype=dtype)).
@adjoint(jnp.asarray)
def asarray(y, a, dtype=None, order=None):
    d[a] = tangent_jax.cast_gradient(d[y], a, dtype)


@tangent_(jnp.asarray)
def asarray_tangent(y, a, dtype=None, order=None):
    d[y] = tangent_jax.cast_gradient(d[a], y, dtype)


# Softmax -------------------------------------------------------------------------

@adjoint(nn.softmax)
def softmax(y, x, axis=-1):
    d[x] = y * (d[y] - jnp.sum(d[y] * y, axis=axis, keepdims=True))


@tangent_(nn.softmax)
def softmax_tangent(y, x, axis=-1):
    d[y] = y * (d[x] - jnp.sum(d[x] * y, axis=axis, keepdims=True))


@adjoint(nn.log_softmax)
def log_softmax(y, x, axis=-1):
    d[x] = d[y] - jnp.exp(y) * jnp.sum(d[y], axis=axis, keepdims=True)


@tangent_(nn.log_softmax)
def log_softmax_tangent(y, x, axis=-1):
    d[y] = d[x] - jnp.sum(jnp.exp(y) * d[x], axis=axis, keepdims=True)


# Linear algebra ------------------------------------------------------------------

@adjoint(jnp.matmul)
def matmul(z, a, b):
    d[a] = tangent_jax.grad_matmul_left(d[z], a, b)
    d[b] = tangent_jax.grad_matmul_right(d[z], a, b)


@tangent_(jnp.matmul)
def matmul_tangent(z, a, b):
    d[z] = jnp.matmul(d[a], b) + jnp.matmul(a, d[b])


@adjoint(jnp.dot)
def dot(z, a, b):
    d[a] = tangent_jax.grad_dot(d[z], a, b)
    d[b] = tangent_jax.grad_dot_right(d[z], a, b)


@tangent_(jnp.dot)
def dot_tangent(z, a, b):
    d[z] = jnp.dot(d[a], b) + jnp.dot(a, d[b])


@adjoint(jnp.vdot)
def vdot(z, a, b):
    d[a] = jnp.reshape(d[z] * jnp.ravel(b), jnp.shape(a))
    d[b] = jnp.reshape(d[z] * jnp.ravel(a), jnp.shape(b))


@tangent_(jnp.vdot)
def vdot_tangent(z, a, b):
    d[z] = jnp.vdot(d[a], b) + jnp.vdot(a, d[b])


@adjoint(jnp.outer)
def outer(z, a, b):
    d[a] = jnp.reshape(jnp.dot(d[z], jnp.ravel(b)), jnp.shape(a))
    d[b] = jnp.reshape(jnp.dot(jnp.ravel(a), d[z]), jnp.shape(b))


@tangent_(jnp.outer)
def outer_tangent(z, a, b):
    d[z] = jnp.outer(d[a], b) + jnp.outer(a, d[b])


@adjoint(jnp.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tangent_jax.tensordot_gradient_left(d[y], a, b, axes)
    d[b] = tangent_jax.tensordot_gradient_right(d[y], a, b, axes)


@tangent_(jnp.tensordot)
def tensordot_tangent(y, a, b, axes=2):
    d[y] = jnp.tensordot(d[a], b, axes) + jnp.tensordot(a, d[b], axes)


@adjoint(jnp.inner)
def inner(y, a, b):
    d[a] = tangent_jax.tensordot_gradient_left(d[y], a, b, tangent_jax.inner_axes(a, b))
    d[b] = tangent_jax.tensordot_gradient_right(d[y], a, b, tangent_jax.inner_axes(a, b))


@tangent_(jnp.inner)
def inner_tangent(y, a, b):
    d[y] = jnp.inner(d[a], b) + jnp.inner(a, d[b])


@adjoint(jnp.linalg.inv)
def inv(y, a):
    d[a] = -jnp.matmul(jnp.matmul(jnp.swapaxes(y, -1, -2), d[y]), jnp.swapaxes(y, -1, -2))


@tangent_(jnp.linalg.inv)
def inv_tangent(y, a):
    d[y] = -jnp.matmul(jnp.matmul(y, d[a]), y)


@adjoint(jnp.linalg.det)
def det(y, a):
    d[a] = jnp.expand_dims(d[y] * y, (-2, -1)) * jnp.swapaxes(jnp.linalg.inv(a), -1, -2)


@tangent_(jnp.linalg.det)
def det_tangent(y, a):
    d[y] = y * jnp.sum(jnp.swapaxes(jnp.linalg.inv(a), -1, -2) * d[a], axis=(-2, -1))


# x = solve(a, b): b's gradient solves the transposed system; a's is minus its outer
# product with x, as the gradient of a @ x in a. Both are summed over the batch
# dimensions the solve broadcast a and b along; a 1-D b is one vector for every batch.
@adjoint(jnp.linalg.solve)
def solve(y, a, b):
    columns = tangent_jax.solve_transposed(a, tangent_jax.as_columns(d[y], b))
    d[b] = tangent.unbroadcast(tangent_jax.as_solution(columns, b), b)
    d[a] = tangent.unbroadcast(-jnp.matmul(
        columns, jnp.swapaxes(tangent_jax.as_columns(y, b), -1, -2)), a)


@tangent_(jnp.linalg.solve)
def solve_tangent(y, a, b):
    d[y] = tangent_jax.as_solution(jnp.linalg.solve(a, tangent_jax.as_columns(d[b], b) - jnp.matmul(
        d[a], tangent_jax.as_columns(y, b))), b)


# x = solve_triangular(a, b): as solve, in the triangle of a that the solve reads.
@adjoint(jax.scipy.linalg.solve_triangular)
def solve_triangular(x, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    columns = jax.scipy.linalg.solve_triangular(
        a, tangent_jax.as_columns(d[x], b), tangent_jax.flipped_trans(trans), lower,
        unit_diagonal)
    d[b] = tangent.unbroadcast(tangent_jax.as_solution(columns, b), b)
    d[a] = tangent.unbroadcast(-tangent_jax.triangle(tangent_jax.transposed_if(jnp.matmul(
        columns, jnp.swapaxes(tangent_jax.as_columns(x, b), -1, -2)), trans), lower,
        unit_diagonal), a)


@tangent_(jax.scipy.linalg.solve_triangular)
def solve_triangular_tangent(x, a, b, trans=0, lower=False, unit_diagonal=False,
                             overwrite_b=False, debug=None, check_finite=True):
    d[x] = tangent_jax.as_solution(jax.scipy.linalg.solve_triangular(
        a, tangent_jax.as_columns(d[b], b) - jnp.matmul(tangent_jax.transposed_if(
            tangent_jax.triangle(d[a], lower, unit_diagonal), trans),
            tangent_jax.as_columns(x, b)), trans, lower, unit_diagonal), b)


# x = triangular_solve(a, b): op(a) x = b on the left side, x op(a) = b on the right, op
# the transpose or not. b's gradient solves with op(a)^T on the same side; op(a)'s is
# minus the outer product side_outer gives, in the triangle the solve reads.
@adjoint(jax.lax.linalg.triangular_solve)
def triangular_solve(x, a, b, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    gradient_b = jax.lax.linalg.triangular_solve(
        a, d[x], left_side=left_side, lower=lower, transpose_a=not transpose_a,
        conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)
    d[b] = tangent.unbroadcast(gradient_b, b)
    d[a] = tangent.unbroadcast(-tangent_jax.triangle(tangent_jax.transposed_if(
        tangent_jax.side_outer(gradient_b, x, left_side), transpose_a), lower,
        unit_diagonal), a)


@tangent_(jax.lax.linalg.triangular_solve)
def triangular_solve_tangent(x, a, b, left_side=False, lower=False, transpose_a=False,
                             conjugate_a=False, unit_diagonal=False):
    d[x] = jax.lax.linalg.triangular_solve(
        a, d[b] - tangent_jax.side_product(tangent_jax.transposed_if(
            tangent_jax.triangle(d[a], lower, unit_diagonal), transpose_a), x, left_side),
        left_side=left_side, lower=lower, transpose_a=transpose_a, conjugate_a=conjugate_a,
        unit_diagonal=unit_diagonal)


# L = cholesky(a) for symmetric a (JAX symmetrizes its input): dL = L phi(L^-1 da L^-T),
# phi the lower triangle with half the diagonal; the adjoint is that map's transpose.
# Triangular solves stand for L^-1 (on the left of a product, then on its right): an
# inverse would factor L again.
# upper= and symmetrize_input= are left out: a call with them raises.
@adjoint(jnp.linalg.cholesky)
def cholesky(y, a):
    d[a] = tangent_jax.symmetric_part(jax.lax.linalg.triangular_solve(
        y, jax.lax.linalg.triangular_solve(
            y, tangent_jax.lower_half_diagonal(jnp.matmul(jnp.swapaxes(y, -1, -2), d[y])),
            left_side=True, lower=True, transpose_a=True), left_side=False, lower=True))


@tangent_(jnp.linalg.cholesky)
def cholesky_tangent(y, a):
    d[y] = jnp.matmul(y, tangent_jax.lower_half_diagonal(jax.lax.linalg.triangular_solve(
        y, jax.lax.linalg.triangular_solve(y, tangent_jax.symmetric_part(d[a]),
                                          left_side=True, lower=True),
        left_side=False, lower=True, transpose_a=True)))


# Joining and splitting -------------------------------------------------------------

@adjoint(jnp.concatenate)
def concatenate(y, arrays, axis=0):
    d[arrays] = tangent_jax.concatenate_gradient(d[y], arrays, axis)


@tangent_(jnp.concatenate)
def concatenate_tangent(y, arrays, axis=0):
    d[y] = jnp.concatenate(tangent_jax.item_tangents(d[arrays], arrays), axis)


@adjoint(jnp.stack)
def stack(y, arrays, axis=0):
    d[arrays] = tangent_jax.stack_gradient(d[y], arrays, axis)


@tangent_(jnp.stack)
def stack_tangent(y, arrays, axis=0):
    d[y] = jnp.stack(tangent_jax.item_tangents(d[arrays], arrays), axis)


adjoint(jnp.concat)(concatenate)
tangent_(jnp.concat)(concatenate_tangent)


@adjoint(jnp.hstack)
def hstack(y, tup, dtype=None):
    d[tup] = tangent_jax.joined_gradient(d[y], tup, 'hstack')


@tangent_(jnp.hstack)
def hstack_tangent(y, tup, dtype=None):
    d[y] = jnp.hstack(tangent_jax.item_tangents(d[tup], tup))


@adjoint(jnp.vstack)
def vstack(y, tup, dtype=None):
    d[tup] = tangent_jax.joined_gradient(d[y], tup, 'vstack')


@tangent_(jnp.vstack)
def vstack_tangent(y, tup, dtype=None):
    d[y] = jnp.vstack(tangent_jax.item_tangents(d[tup], tup))


@adjoint(jnp.dstack)
def dstack(y, tup, dtype=None):
    d[tup] = tangent_jax.joined_gradient(d[y], tup, 'dstack')


@tangent_(jnp.dstack)
def dstack_tangent(y, tup, dtype=None):
    d[y] = jnp.dstack(tangent_jax.item_tangents(d[tup], tup))


@adjoint(jnp.column_stack)
def column_stack(y, tup):
    d[tup] = tangent_jax.joined_gradient(d[y], tup, 'column_stack')


@tangent_(jnp.column_stack)
def column_stack_tangent(y, tup):
    d[y] = jnp.column_stack(tangent_jax.item_tangents(d[tup], tup))


@adjoint(jnp.split)
def split(y, ary, indices_or_sections, axis=0):
    d[ary] = jnp.concatenate(tangent_jax.item_tangents(d[y], y), axis)


@tangent_(jnp.split)
def split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = jnp.split(d[ary], indices_or_sections, axis)


@adjoint(jnp.array_split)
def array_split(y, ary, indices_or_sections, axis=0):
    d[ary] = jnp.concatenate(tangent_jax.item_tangents(d[y], y), axis)


@tangent_(jnp.array_split)
def array_split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = jnp.array_split(d[ary], indices_or_sections, axis)


# Helpers (so that generated code can be differentiated again) ------------------------

@adjoint(tangent_jax.others_product)
def others_product(y, a, axis=None):
    d[a] = tangent_jax.others_product_jvp(d[y], a, axis)  # a symmetric Jacobian


@tangent_(tangent_jax.others_product)
def others_product_tangent(y, a, axis=None):
    d[y] = tangent_jax.others_product_jvp(d[a], a, axis)


# z = a^-T c for a stack of columns c (the gradient of solve): dz = -a^-T da^T z.
@adjoint(tangent_jax.solve_transposed)
def solve_transposed(z, a, columns):
    d[columns] = tangent.unbroadcast(jnp.linalg.solve(a, d[z]), columns)
    d[a] = tangent.unbroadcast(-jnp.matmul(z, jnp.swapaxes(jnp.linalg.solve(a, d[z]), -1, -2)), a)


@tangent_(tangent_jax.solve_transposed)
def solve_transposed_tangent(z, a, columns):
    d[z] = tangent_jax.solve_transposed(a, d[columns] - jnp.matmul(jnp.swapaxes(d[a], -1, -2), z))


# side_product(m, x, left_side) is m @ x or x @ m; side_outer(g, x, left_side) is its
# gradient in m. Both are bilinear.
@adjoint(tangent_jax.side_product)
def side_product(y, m, x, left_side):
    d[m] = tangent.unbroadcast(tangent_jax.side_outer(d[y], x, left_side), m)
    d[x] = tangent.unbroadcast(tangent_jax.side_product(
        jnp.swapaxes(m, -1, -2), d[y], left_side), x)


@tangent_(tangent_jax.side_product)
def side_product_tangent(y, m, x, left_side):
    d[y] = tangent_jax.side_product(d[m], x, left_side) + \
        tangent_jax.side_product(m, d[x], left_side)


@adjoint(tangent_jax.side_outer)
def side_outer(y, g, x, left_side):
    d[g] = tangent.unbroadcast(tangent_jax.side_product(d[y], x, left_side), g)
    d[x] = tangent.unbroadcast(tangent_jax.side_outer(g, d[y], not left_side), x)


@tangent_(tangent_jax.side_outer)
def side_outer_tangent(y, g, x, left_side):
    d[y] = tangent_jax.side_outer(d[g], x, left_side) + \
        tangent_jax.side_outer(g, d[x], left_side)


# The JAX versions of the matmul and dot gradients, called by the rules above (the
# generic tangent.grad_matmul_left's own rules are NumPy's): bilinear, like tensordot's.
@adjoint(tangent_jax.grad_matmul_left)
def grad_matmul_left(z, dz, x, y):
    d[dz] = tangent.unbroadcast(jnp.matmul(d[z], y), dz)
    d[y] = tangent_jax.grad_matmul_right(dz, d[z], y)


@tangent_(tangent_jax.grad_matmul_left)
def grad_matmul_left_tangent(z, dz, x, y):
    d[z] = tangent_jax.grad_matmul_left(d[dz], x, y) + tangent_jax.grad_matmul_left(dz, x, d[y])


@adjoint(tangent_jax.grad_matmul_right)
def grad_matmul_right(z, dz, x, y):
    d[dz] = tangent.unbroadcast(jnp.matmul(x, d[z]), dz)
    d[x] = tangent_jax.grad_matmul_left(dz, x, d[z])


@tangent_(tangent_jax.grad_matmul_right)
def grad_matmul_right_tangent(z, dz, x, y):
    d[z] = tangent_jax.grad_matmul_right(d[dz], x, y) + \
        tangent_jax.grad_matmul_right(dz, d[x], y)


@adjoint(tangent_jax.grad_dot)
def grad_dot(z, dy, x1, x2):
    d[dy] = jnp.dot(d[z], x2)
    d[x2] = tangent_jax.grad_dot_right(dy, d[z], x2)


@tangent_(tangent_jax.grad_dot)
def grad_dot_tangent(z, dy, x1, x2):
    d[z] = tangent_jax.grad_dot(d[dy], x1, x2) + tangent_jax.grad_dot(dy, x1, d[x2])


@adjoint(tangent_jax.grad_dot_right)
def grad_dot_right(z, dy, x1, x2):
    d[dy] = jnp.dot(x1, d[z])
    d[x1] = tangent_jax.grad_dot(dy, x1, d[z])


@tangent_(tangent_jax.grad_dot_right)
def grad_dot_right_tangent(z, dy, x1, x2):
    d[z] = tangent_jax.grad_dot_right(d[dy], x1, x2) + tangent_jax.grad_dot_right(dy, d[x1], x2)


# The tensordot gradients are bilinear: in the seed they are the transpose of
# tensordot itself, in the other operand the other gradient.
@adjoint(tangent_jax.tensordot_gradient_left)
def tensordot_gradient_left(y, g, a, b, axes):
    d[g] = jnp.tensordot(d[y], b, axes)
    d[b] = tangent_jax.tensordot_gradient_right(g, d[y], b, axes)


@tangent_(tangent_jax.tensordot_gradient_left)
def tensordot_gradient_left_tangent(y, g, a, b, axes):
    d[y] = tangent_jax.tensordot_gradient_left(d[g], a, b, axes) + \
        tangent_jax.tensordot_gradient_left(g, a, d[b], axes)


@adjoint(tangent_jax.tensordot_gradient_right)
def tensordot_gradient_right(y, g, a, b, axes):
    d[g] = jnp.tensordot(a, d[y], axes)
    d[a] = tangent_jax.tensordot_gradient_left(g, a, d[y], axes)


@tangent_(tangent_jax.tensordot_gradient_right)
def tensordot_gradient_right_tangent(y, g, a, b, axes):
    d[y] = tangent_jax.tensordot_gradient_right(d[g], a, b, axes) + \
        tangent_jax.tensordot_gradient_right(g, d[a], b, axes)


@adjoint(tangent_jax.join)
def join(y, arrays, how):
    d[arrays] = tangent_jax.joined_gradient(d[y], arrays, how)


@tangent_(tangent_jax.join)
def join_tangent(y, arrays, how):
    d[y] = tangent_jax.join(tangent_jax.item_tangents(d[arrays], arrays), how)


@adjoint(tangent_jax.joined_gradient)
def joined_gradient(y, g, arrays, how):
    d[g] = tangent_jax.join(tangent_jax.item_tangents(d[y], arrays), how)


@tangent_(tangent_jax.joined_gradient)
def joined_gradient_tangent(y, g, arrays, how):
    d[y] = tangent_jax.joined_gradient(d[g], arrays, how)


@adjoint(tangent_jax.concatenate_gradient)
def concatenate_gradient(y, g, arrays, axis):
    d[g] = jnp.concatenate(tangent_jax.item_tangents(d[y], arrays), axis)


@tangent_(tangent_jax.concatenate_gradient)
def concatenate_gradient_tangent(y, g, arrays, axis):
    d[y] = tangent_jax.concatenate_gradient(d[g], arrays, axis)


@adjoint(tangent_jax.stack_gradient)
def stack_gradient(y, g, arrays, axis):
    d[g] = jnp.stack(tangent_jax.item_tangents(d[y], arrays), axis)


@tangent_(tangent_jax.stack_gradient)
def stack_gradient_tangent(y, g, arrays, axis):
    d[y] = tangent_jax.stack_gradient(d[g], arrays, axis)


@adjoint(tangent_jax.item_tangents)
def item_tangents(y, tangents, arrays):
    d[tangents] = tangent_jax.item_gradients(d[y], tangents)


@tangent_(tangent_jax.item_tangents)
def item_tangents_tangent(y, tangents, arrays):
    d[y] = tangent_jax.item_tangents(d[tangents], arrays)


@adjoint(tangent_jax.deviation)
def deviation(y, a, axis):
    d[a] = tangent_jax.deviation(d[y], axis)  # a symmetric projection


@tangent_(tangent_jax.deviation)
def deviation_tangent(y, a, axis):
    d[y] = tangent_jax.deviation(d[a], axis)


@adjoint(tangent_jax.expand_reduced)
def expand_reduced(y, value, like, axis, keepdims):
    d[value] = jnp.reshape(d[y], jnp.shape(value))


@tangent_(tangent_jax.expand_reduced)
def expand_reduced_tangent(y, value, like, axis, keepdims):
    d[y] = tangent_jax.expand_reduced(d[value], like, axis, keepdims)


# Functions without a derivative ------------------------------------------------------
# Shapes, constructors, comparisons, integer and rounding maths, and the helpers that
# compute indices, axes or piecewise-constant shares.

non_differentiable.register_non_differentiable_functions(
    jnp.shape, jnp.ndim, jnp.size, jnp.zeros, jnp.ones, jnp.zeros_like, jnp.ones_like,
    jnp.full, jnp.full_like, jnp.eye, jnp.identity, jnp.arange, jnp.linspace,
    jnp.argmax, jnp.argmin, jnp.argsort, jnp.sign, jnp.floor, jnp.ceil, jnp.round,
    jnp.rint, jnp.trunc, jnp.greater, jnp.greater_equal, jnp.less, jnp.less_equal,
    jnp.equal, jnp.not_equal, jnp.isfinite, jnp.isnan, jnp.isinf, jnp.logical_and,
    jnp.logical_or, jnp.logical_not, jnp.any, jnp.all, jnp.count_nonzero,
    jnp.floor_divide, nn.one_hot, jax.lax.sign, jax.lax.floor, jax.lax.ceil, jax.lax.round,
    jax.lax.eq, jax.lax.ne, jax.lax.gt, jax.lax.ge, jax.lax.lt, jax.lax.le,
    jax.random.normal, jax.random.uniform,
    jax.random.PRNGKey, jax.random.key, jax.random.split,
    tangent_jax.extremum_share, tangent_jax.clip_share, tangent_jax.bound_share,
    tangent_jax.inverse_permutation, tangent_jax.without_weights, tangent_jax.sort_order,
    tangent_jax.frobenius_only, tangent_jax.inner_axes, jnp.isposinf, jnp.isneginf,
    tangent_jax.is_transposed, tangent_jax.flipped_trans)

"""The JAX functions with rules, each with a call that exercises them, for the tests
(``test_jax_backend``) and the coverage page (``tools/gen_jax_coverage.py``).

``UNARY`` entries are ``(name, function, domain)``: the function takes one array;
``domain`` is ``'unit'`` (values in (0.2, 0.8)), ``'above_one'`` or ``'any'``
(values on both sides of zero). ``BINARY`` functions take two arrays of one shape.
``CALLS`` are functions of one matrix written with the function's other
arguments (axes, shapes, indices), named for the function they call.
"""

import jax
import jax.numpy as jnp
import jax.scipy.linalg
from jax import lax, nn

UNARY = [
    ('jnp.negative', jnp.negative, 'any'), ('jnp.positive', jnp.positive, 'any'),
    ('jnp.exp', jnp.exp, 'any'), ('jnp.exp2', jnp.exp2, 'any'),
    ('jnp.expm1', jnp.expm1, 'any'), ('jnp.log', jnp.log, 'unit'),
    ('jnp.log2', jnp.log2, 'unit'), ('jnp.log10', jnp.log10, 'unit'),
    ('jnp.log1p', jnp.log1p, 'unit'), ('jnp.sqrt', jnp.sqrt, 'unit'),
    ('jnp.cbrt', jnp.cbrt, 'unit'), ('jnp.square', jnp.square, 'any'),
    ('jnp.reciprocal', jnp.reciprocal, 'unit'), ('jnp.sin', jnp.sin, 'any'),
    ('jnp.cos', jnp.cos, 'any'), ('jnp.tan', jnp.tan, 'any'),
    ('jnp.arcsin', jnp.arcsin, 'unit'), ('jnp.asin', jnp.asin, 'unit'),
    ('jnp.arccos', jnp.arccos, 'unit'), ('jnp.acos', jnp.acos, 'unit'),
    ('jnp.arctan', jnp.arctan, 'any'), ('jnp.atan', jnp.atan, 'any'),
    ('jnp.sinh', jnp.sinh, 'any'), ('jnp.cosh', jnp.cosh, 'any'),
    ('jnp.tanh', jnp.tanh, 'any'), ('jnp.arcsinh', jnp.arcsinh, 'any'),
    ('jnp.asinh', jnp.asinh, 'any'), ('jnp.arccosh', jnp.arccosh, 'above_one'),
    ('jnp.acosh', jnp.acosh, 'above_one'), ('jnp.arctanh', jnp.arctanh, 'unit'),
    ('jnp.atanh', jnp.atanh, 'unit'), ('jnp.abs', jnp.abs, 'any'),
    ('jnp.absolute', jnp.absolute, 'any'), ('jnp.fabs', jnp.fabs, 'any'),
    ('jnp.deg2rad', jnp.deg2rad, 'any'), ('jnp.radians', jnp.radians, 'any'),
    ('jnp.rad2deg', jnp.rad2deg, 'any'), ('jnp.degrees', jnp.degrees, 'any'),
    ('jnp.ravel', jnp.ravel, 'any'), ('jnp.transpose', jnp.transpose, 'any'),
    ('jnp.squeeze', jnp.squeeze, 'any'),
    ('jnp.flip', jnp.flip, 'any'), ('jnp.fliplr', jnp.fliplr, 'any'),
    ('jnp.flipud', jnp.flipud, 'any'), ('jnp.rot90', jnp.rot90, 'any'),
    ('jnp.triu', jnp.triu, 'any'), ('jnp.tril', jnp.tril, 'any'),
    ('jnp.diagonal', jnp.diagonal, 'any'), ('jnp.trace', jnp.trace, 'any'),
    ('jnp.atleast_1d', jnp.atleast_1d, 'any'), ('jnp.atleast_2d', jnp.atleast_2d, 'any'),
    ('jnp.sum', jnp.sum, 'any'), ('jnp.mean', jnp.mean, 'any'),
    ('jnp.cumsum', jnp.cumsum, 'any'), ('jnp.max', jnp.max, 'any'),
    ('jnp.min', jnp.min, 'any'), ('jnp.amax', jnp.amax, 'any'),
    ('jnp.amin', jnp.amin, 'any'), ('jnp.var', jnp.var, 'any'),
    ('jnp.std', jnp.std, 'any'), ('jnp.prod', jnp.prod, 'any'),
    ('jnp.nansum', jnp.nansum, 'any'), ('jnp.sort', jnp.sort, 'any'),
    ('jnp.real', jnp.real, 'any'), ('jnp.conj', jnp.conj, 'any'),
    ('jnp.conjugate', jnp.conjugate, 'any'), ('jnp.nan_to_num', jnp.nan_to_num, 'any'),
    ('jnp.atleast_3d', jnp.atleast_3d, 'any'), ('jnp.diff', jnp.diff, 'any'),
    ('jnp.diag', jnp.diag, 'any'), ('jnp.matrix_transpose', jnp.matrix_transpose, 'any'),
    ('jnp.linalg.matrix_transpose', jnp.linalg.matrix_transpose, 'any'),
    ('jnp.linalg.norm', jnp.linalg.norm, 'any'),
    ('lax.erf', lax.erf, 'any'), ('lax.erfc', lax.erfc, 'any'),
    ('lax.lgamma', lax.lgamma, 'unit'), ('lax.digamma', lax.digamma, 'unit'),
    ('lax.neg', lax.neg, 'any'), ('lax.exp', lax.exp, 'any'), ('lax.exp2', lax.exp2, 'any'),
    ('lax.expm1', lax.expm1, 'any'), ('lax.log', lax.log, 'unit'),
    ('lax.log1p', lax.log1p, 'unit'), ('lax.sqrt', lax.sqrt, 'unit'),
    ('lax.rsqrt', lax.rsqrt, 'unit'), ('lax.cbrt', lax.cbrt, 'unit'),
    ('lax.square', lax.square, 'any'), ('lax.sin', lax.sin, 'any'),
    ('lax.cos', lax.cos, 'any'), ('lax.tan', lax.tan, 'any'), ('lax.asin', lax.asin, 'unit'),
    ('lax.acos', lax.acos, 'unit'), ('lax.atan', lax.atan, 'any'),
    ('lax.sinh', lax.sinh, 'any'), ('lax.cosh', lax.cosh, 'any'),
    ('lax.tanh', lax.tanh, 'any'), ('lax.asinh', lax.asinh, 'any'),
    ('lax.acosh', lax.acosh, 'above_one'), ('lax.atanh', lax.atanh, 'unit'),
    ('lax.abs', lax.abs, 'any'), ('lax.logistic', lax.logistic, 'any'),
    ('lax.stop_gradient', lax.stop_gradient, 'any'),
    ('nn.relu', nn.relu, 'any'), ('nn.relu6', nn.relu6, 'any'),
    ('nn.sigmoid', nn.sigmoid, 'any'), ('nn.log_sigmoid', nn.log_sigmoid, 'any'),
    ('nn.softplus', nn.softplus, 'any'), ('nn.silu', nn.silu, 'any'),
    ('nn.soft_sign', nn.soft_sign, 'any'), ('nn.hard_tanh', nn.hard_tanh, 'any'),
    ('nn.elu', nn.elu, 'any'), ('nn.celu', nn.celu, 'any'), ('nn.selu', nn.selu, 'any'),
    ('nn.leaky_relu', nn.leaky_relu, 'any'), ('nn.gelu', nn.gelu, 'any'),
    ('nn.softmax', nn.softmax, 'any'), ('nn.log_softmax', nn.log_softmax, 'any'),
    ('nn.logsumexp', nn.logsumexp, 'any'),
]

BINARY = [
    ('jnp.add', jnp.add), ('jnp.subtract', jnp.subtract), ('jnp.multiply', jnp.multiply),
    ('jnp.divide', jnp.divide), ('jnp.true_divide', jnp.true_divide),
    ('jnp.power', jnp.power), ('jnp.maximum', jnp.maximum), ('jnp.minimum', jnp.minimum),
    ('jnp.fmax', jnp.fmax), ('jnp.fmin', jnp.fmin), ('jnp.logaddexp', jnp.logaddexp),
    ('jnp.logaddexp2', jnp.logaddexp2), ('jnp.arctan2', jnp.arctan2),
    ('jnp.atan2', jnp.atan2), ('jnp.hypot', jnp.hypot), ('jnp.matmul', jnp.matmul),
    ('jnp.dot', jnp.dot), ('jnp.vdot', jnp.vdot), ('jnp.outer', jnp.outer),
    ('lax.add', lax.add), ('lax.sub', lax.sub), ('lax.mul', lax.mul), ('lax.div', lax.div),
    ('lax.pow', lax.pow), ('lax.max', lax.max), ('lax.min', lax.min),
    ('lax.atan2', lax.atan2), ('jnp.pow', jnp.pow), ('jnp.mod', jnp.mod),
    ('jnp.remainder', jnp.remainder), ('jnp.fmod', jnp.fmod),
]


def sum_axis(x):
    return jnp.sum(x, axis=0, keepdims=True)


def mean_axis(x):
    return jnp.mean(x, axis=1)


def max_axis(x):
    return jnp.max(x, axis=1)


def var_axis(x):
    return jnp.var(x, axis=0, ddof=1)


def std_axis(x):
    return jnp.std(x, axis=1)


def cumsum_axis(x):
    return jnp.cumsum(x, axis=1)


def logsumexp_axis(x):
    return nn.logsumexp(x, axis=0)


def softmax_axis(x):
    return nn.softmax(x, axis=0)


def reshape(x):
    return jnp.reshape(x, (2, 6))


def expand_dims(x):
    return jnp.expand_dims(x, 1)


def broadcast_to(x):
    return jnp.broadcast_to(x, (2, 3, 4))


def swapaxes(x):
    return jnp.swapaxes(x, 0, 1)


def moveaxis(x):
    return jnp.moveaxis(x, 0, -1)


def roll(x):
    return jnp.roll(x, 2, 1)


def take(x):
    return jnp.take(x, jnp.array([0, 2, 2]), axis=1)


def take_along_axis(x):
    return jnp.take_along_axis(x, jnp.array([[0, 2], [1, 1], [3, 0]]), 1)


def tile(x):
    return jnp.tile(x, (2, 1))


def repeat(x):
    return jnp.repeat(x, 2, axis=0)


def concatenate(x):
    return jnp.concatenate([x, jnp.sin(x)], axis=1)


def stack(x):
    return jnp.stack([x, x * x], 1)


def where(x):
    return jnp.where(x > 0.0, x * x, jnp.cos(x))


def clip(x):
    return jnp.clip(x, -0.3, 0.4)


def integer_pow(x):
    return lax.integer_pow(x, 3)


def elu_alpha(x):
    return nn.elu(x, 0.5)


def gelu_exact(x):
    return nn.gelu(x, approximate=False)


def diagonal_offset(x):
    return jnp.diagonal(x, 1)


def transpose_axes(x):
    return jnp.transpose(x, (1, 0))


def permute_dims(x):
    return jnp.permute_dims(x, (1, 0))


# A zero in each column: the product's derivatives must not divide by it.
WITH_ZEROS = jnp.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]])


def prod_with_zeros(x):
    return jnp.prod(x * WITH_ZEROS, axis=0)


def prod_one_zero(x):
    return jnp.prod(x * WITH_ZEROS[0])


def prod_axis(x):
    return jnp.prod(x, axis=1, keepdims=True)


def norm_axis(x):
    return jnp.linalg.norm(x, axis=1)


def sort_descending(x):
    return jnp.sort(x, axis=0, descending=True)


def diff_twice(x):
    return jnp.diff(x, n=2, axis=0)


def diag_of_vector(x):
    return jnp.diag(x[0], 1)


def hstack(x):
    return jnp.hstack([x, x * x])


def vstack(x):
    return jnp.vstack([x, x[0]])


def column_stack(x):
    return jnp.column_stack([x, x[:, 0]])


def dstack(x):
    return jnp.dstack([x, jnp.sin(x)])


def split(x):
    left, right = jnp.split(x, 2, axis=1)
    return left * jnp.sin(right)


def array_split(x):
    pieces = jnp.array_split(x, 3, axis=0)
    return pieces[0] * pieces[2]  # the middle piece gets no gradient


def concat(x):
    return jnp.concat([x, jnp.cos(x)], axis=0)


def square(x):
    return x[:, :3] + 2.0 * jnp.eye(3)


def inv(x):
    return jnp.linalg.inv(square(x))


def det(x):
    return jnp.linalg.det(square(x))


def solve_vector(x):
    return jnp.linalg.solve(square(x), x[:, 3])


def solve_matrix(x):
    return jnp.linalg.solve(square(x), x)


def solve_batched_vector(x):
    # A 1-D b against a batch of as many matrices as b has entries: b is one vector.
    return jnp.linalg.solve(jnp.stack([square(x), square(x).T, square(x) * x[0, 3]]), x[:, 3])


def solve_broadcast_matrix(x):
    return jnp.linalg.solve(jnp.stack([square(x), square(x).T])[:, None], x[None, :, :2])


def solve_triangular_lower(x):
    return jax.scipy.linalg.solve_triangular(square(x), x, lower=True)


def solve_triangular_transposed_unit(x):
    return jax.scipy.linalg.solve_triangular(square(x), x[:, 3], trans='T', unit_diagonal=True)


def solve_triangular_batched(x):
    return jax.scipy.linalg.solve_triangular(
        jnp.stack([square(x), square(x).T]), x[None, :, :2], trans=1, lower=True)


def triangular_solve_left(x):
    return lax.linalg.triangular_solve(square(x), x, left_side=True, lower=True)


def triangular_solve_right_transposed(x):
    return lax.linalg.triangular_solve(square(x), x.T, transpose_a=True, unit_diagonal=True)


def triangular_solve_batched_left_transposed(x):
    return lax.linalg.triangular_solve(jnp.stack([square(x), square(x).T]),
                                       jnp.stack([x, 2.0 * x]), left_side=True,
                                       transpose_a=True)


def cholesky(x):
    return jnp.linalg.cholesky(x[:, :3] @ x[:, :3].T + jnp.eye(3))


def cholesky_of_unsymmetric(x):
    # JAX symmetrizes the input: the derivative holds off the symmetric matrices too.
    return jnp.linalg.cholesky(square(x) + 2.0 * jnp.eye(3))


def tensordot(x):
    return jnp.tensordot(x, jnp.cos(x), axes=([0], [0]))


def tensordot_two(x):
    return jnp.tensordot(x[:, :, None] * x[:, None, :2], jnp.transpose(x)[:, :2], 2)


def inner(x):
    return jnp.inner(x, jnp.sin(x[:2]))


def astype(x):
    return x.astype(jnp.float32).astype(jnp.float64)


def astype_int(x):
    return (3.0 * x).astype(jnp.int32) * x  # the cast is piecewise constant: no derivative


def asarray_of_items(x):
    return jnp.asarray([x[0, 0], x[1, 2] * x[0, 1]])


def polygamma(x):
    return lax.polygamma(2.0, x * x + 0.5)


CALLS = [
    ('jnp.prod', prod_with_zeros), ('jnp.prod', prod_one_zero), ('jnp.prod', prod_axis),
    ('jnp.linalg.norm', norm_axis), ('jnp.sort', sort_descending), ('jnp.diff', diff_twice),
    ('jnp.diag', diag_of_vector), ('jnp.hstack', hstack), ('jnp.vstack', vstack),
    ('jnp.column_stack', column_stack), ('jnp.dstack', dstack), ('jnp.split', split),
    ('jnp.array_split', array_split), ('jnp.concat', concat), ('jnp.linalg.inv', inv),
    ('jnp.linalg.det', det), ('jnp.linalg.solve', solve_vector),
    ('jnp.linalg.solve', solve_matrix), ('jnp.linalg.solve', solve_batched_vector),
    ('jnp.linalg.solve', solve_broadcast_matrix),
    ('jax.scipy.linalg.solve_triangular', solve_triangular_lower),
    ('jax.scipy.linalg.solve_triangular', solve_triangular_transposed_unit),
    ('jax.scipy.linalg.solve_triangular', solve_triangular_batched),
    ('lax.linalg.triangular_solve', triangular_solve_left),
    ('lax.linalg.triangular_solve', triangular_solve_right_transposed),
    ('lax.linalg.triangular_solve', triangular_solve_batched_left_transposed),
    ('lax.polygamma', polygamma),
    ('jnp.linalg.cholesky', cholesky), ('jnp.linalg.cholesky', cholesky_of_unsymmetric),
    ('jnp.tensordot', tensordot), ('jnp.tensordot', tensordot_two), ('jnp.inner', inner),
    ('jnp.asarray', astype), ('jnp.asarray', asarray_of_items), ('jnp.asarray', astype_int),
    ('jnp.permute_dims', permute_dims),
    ('jnp.sum', sum_axis), ('jnp.mean', mean_axis), ('jnp.max', max_axis),
    ('jnp.var', var_axis), ('jnp.std', std_axis), ('jnp.cumsum', cumsum_axis),
    ('nn.logsumexp', logsumexp_axis), ('nn.softmax', softmax_axis),
    ('jnp.reshape', reshape), ('jnp.expand_dims', expand_dims),
    ('jnp.broadcast_to', broadcast_to), ('jnp.swapaxes', swapaxes),
    ('jnp.moveaxis', moveaxis), ('jnp.roll', roll), ('jnp.take', take),
    ('jnp.take_along_axis', take_along_axis), ('jnp.tile', tile), ('jnp.repeat', repeat),
    ('jnp.concatenate', concatenate), ('jnp.stack', stack), ('jnp.where', where),
    ('jnp.clip', clip), ('lax.integer_pow', integer_pow), ('nn.elu', elu_alpha),
    ('nn.gelu', gelu_exact), ('jnp.diagonal', diagonal_offset),
    ('jnp.transpose', transpose_axes),
]


def covered_names():
    """Every function name the table exercises."""
    return sorted({name for name, *_ in UNARY + BINARY + CALLS})


JAX_FUNCTIONS = {name: eval(name, {'jnp': jnp, 'lax': lax, 'nn': nn, 'jax': jax})  # noqa: S307
                 for name in covered_names()}

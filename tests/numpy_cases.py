"""The NumPy rule suite's cases: one line per function variant.

Each case is ``(function, variant, body, arguments)``. ``body`` is the
function's return expression (or its statements, when it holds ``return``)
in terms of the arguments; ``arguments`` says how to draw each one:

- ``R(shape)``: real values away from zero, ``P(shape)`` positive,
  ``U(shape)`` inside (-0.9, 0.9), ``G(shape)`` above 1.2;
- ``SPD(n)`` a symmetric positive-definite matrix, ``SQ(n)`` a
  well-conditioned square matrix, ``S()`` a Python float.

Every argument is differentiated. Non-differentiable arguments (axes,
indices, masks) are literals in the body. Values are drawn so that no case
sits on a kink or a tie, where a derivative is not defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Arg:
    kind: str
    shape: tuple

    def draw(self, rng: np.random.Generator):
        if self.kind == 'S':
            return float(rng.uniform(0.5, 1.5))
        if self.kind == 'SPD':
            n = self.shape[0]
            a = rng.uniform(-1.0, 1.0, (n, n))
            return a @ a.T + n * np.eye(n)
        if self.kind == 'SQ':
            n = self.shape[0]
            return rng.uniform(-1.0, 1.0, (n, n)) + 3.0 * np.eye(n)
        size = int(np.prod(self.shape))
        if self.kind == 'R':
            # Distinct magnitudes, random signs: no ties, nothing near zero.
            magnitudes = rng.permutation(np.linspace(0.3, 1.5, max(size, 1)))[:size]
            values = magnitudes * rng.choice([-1.0, 1.0], size)
        elif self.kind == 'P':
            values = rng.permutation(np.linspace(0.4, 1.6, max(size, 1)))[:size]
        elif self.kind == 'U':
            values = rng.permutation(np.linspace(-0.8, 0.8, max(size, 2)))[:size]
        elif self.kind == 'G':
            values = rng.permutation(np.linspace(1.3, 2.5, max(size, 1)))[:size]
        else:
            raise ValueError(self.kind)
        return values.reshape(self.shape)


def R(*shape):
    return Arg('R', shape)


def P(*shape):
    return Arg('P', shape)


def U(*shape):
    return Arg('U', shape)


def G(*shape):
    return Arg('G', shape)


def SPD(n):
    return Arg('SPD', (n, n))


def SQ(n):
    return Arg('SQ', (n, n))


def S():
    return Arg('S', ())


x3, x34, x234 = R(3), R(3, 4), R(2, 3, 4)

UNARY = [
    # function, domain
    ('exp', R), ('exp2', R), ('expm1', R), ('log', P), ('log2', P), ('log10', P),
    ('log1p', P), ('sqrt', P), ('cbrt', P), ('square', R), ('reciprocal', P), ('sin', R),
    ('cos', R), ('tan', U), ('arcsin', U), ('arccos', U), ('arctan', R), ('sinh', R),
    ('cosh', R), ('tanh', R), ('arcsinh', R), ('arccosh', G), ('arctanh', U),
    ('abs', R), ('absolute', R), ('fabs', R), ('negative', R), ('positive', R),
    ('deg2rad', R), ('rad2deg', R), ('degrees', R), ('radians', R), ('sinc', R),
    ('conjugate', R), ('real', R),
]

BINARY = [
    ('add', R, R), ('subtract', R, R), ('multiply', R, R), ('divide', R, P),
    ('true_divide', R, P), ('power', P, R), ('float_power', P, R), ('arctan2', R, P),
    ('hypot', R, R), ('maximum', R, R), ('minimum', R, R), ('fmax', R, R), ('fmin', R, R),
    ('logaddexp', R, R), ('logaddexp2', R, R), ('copysign', R, R),
    ('mod', R, P), ('remainder', R, P), ('fmod', R, P),
]

CASES = []


def case(function, variant, body, *arguments):
    CASES.append((function, variant, body, arguments))


for _name, _domain in UNARY:
    case(_name, 'vector', f'np.{_name}(x)', _domain(4))
    case(_name, 'matrix', f'np.{_name}(x)', _domain(2, 3))
    case(_name, 'scalar', f'np.{_name}(x)', _domain())

for _name, _left, _right in BINARY:
    case(_name, 'same_shape', f'np.{_name}(x, y)', _left(3, 2), _right(3, 2))
    case(_name, 'broadcast_row', f'np.{_name}(x, y)', _left(3, 2), _right(2))
    case(_name, 'broadcast_both', f'np.{_name}(x, y)', _left(3, 1), _right(1, 4))
    case(_name, 'scalar_array', f'np.{_name}(x, y)', _left(), _right(3))

# Piecewise-constant functions: zero derivative, checked through a product.
for _name in ('sign', 'floor', 'ceil', 'round', 'rint', 'trunc'):
    case(_name, 'times_x', f'np.{_name}(x * 3.1) * x', R(5))
case('greater', 'mask_times_x', '(x > 0.0) * x', R(5))
case('clip', 'both_bounds', 'np.clip(x, -0.7, 0.9)', R(6))
case('clip', 'array_bounds', 'np.clip(x, -0.5 * np.ones(3), 0.6)', R(2, 3))
case('where', 'three_args', 'np.where(x > 0, x * y, y ** 2)', R(3, 2), R(3, 2))
case('where', 'broadcast', 'np.where(x > 0, x, y)', R(3, 2), R(2))

# Operators -------------------------------------------------------------------------
case('operator', 'add_sub_mul', 'x * y - x + 2.0 * y', R(3), R(3))
case('operator', 'div_pow', 'x / y + y ** 3 + 2.0 ** x', R(3), P(3))
case('operator', 'pow_array_exponent', 'y ** x', R(3), P(3))
case('operator', 'matmul', 'x @ y', R(2, 3), R(3, 4))
case('operator', 'matmul_batched', 'x @ y', R(2, 2, 3), R(2, 3, 4))
case('operator', 'matmul_vector', 'x @ y', R(3, 4), R(4))
case('operator', 'negate', '-x + (+y)', R(3), R(3))

# Reductions --------------------------------------------------------------------------
for _name in ('sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'var', 'std', 'nansum',
              'nanmean', 'nanmax', 'nanmin', 'ptp', 'median'):
    _arg = P if _name == 'prod' else R
    case(_name, 'all', f'np.{_name}(x)', _arg(3, 4))
    case(_name, 'axis0', f'np.{_name}(x, axis=0)', _arg(3, 4))
    case(_name, 'axis_neg', f'np.{_name}(x, axis=-1)', _arg(2, 3, 4))
    case(_name, 'keepdims', f'np.{_name}(x, axis=1, keepdims=True)', _arg(2, 3, 4))
    if _name not in ('ptp', 'median'):
        case(_name, 'axis_tuple', f'np.{_name}(x, axis=(0, 2))', _arg(2, 3, 4))
for _name in ('var', 'std'):
    case(_name, 'ddof1', f'np.{_name}(x, ddof=1)', R(5))
    case(_name, 'ddof1_axis', f'np.{_name}(x, axis=0, ddof=1)', R(4, 3))
for _name in ('cumsum', 'cumprod'):
    _arg = P if _name == 'cumprod' else R
    case(_name, 'flat', f'np.{_name}(x)', _arg(2, 3))
    case(_name, 'axis0', f'np.{_name}(x, axis=0)', _arg(3, 4))
    case(_name, 'axis1', f'np.{_name}(x, axis=1)', _arg(3, 4))
# A ufunc's reduce and accumulate, written as the reductions above (default axis 0).
case('add.reduce', 'default_axis', 'np.add.reduce(x)', R(3, 4))
case('add.reduce', 'axis_keepdims', 'np.add.reduce(x, 1, keepdims=True)', R(2, 3, 4))
case('add.reduce', 'axis_none', 'np.add.reduce(x, axis=None)', R(3, 4))
case('multiply.reduce', 'axis1', 'np.multiply.reduce(x, axis=1)', P(3, 4))
case('maximum.reduce', 'default_axis', 'np.maximum.reduce(x)', R(3, 4))
case('minimum.reduce', 'axis_tuple', 'np.minimum.reduce(x, axis=(0, 2))', R(2, 3, 4))
case('logaddexp.reduce', 'default_axis', 'np.logaddexp.reduce(x)', R(3, 4))
case('logaddexp.reduce', 'axis_keepdims', 'np.logaddexp.reduce(x, -1, keepdims=True)', R(2, 3))
case('logaddexp.reduce', 'axis_none', 'np.logaddexp.reduce(x, axis=None)', R(2, 3))
case('add.accumulate', 'default_axis', 'np.add.accumulate(x)', R(3, 4))
case('multiply.accumulate', 'axis1', 'np.multiply.accumulate(x, 1)', P(3, 4))
case('cumulative_sum', 'axis0', 'np.cumulative_sum(x, axis=0)', R(3, 4))
case('cumulative_prod', 'vector', 'np.cumulative_prod(x)', P(4))
case('average', 'plain', 'np.average(x)', R(3, 4))
case('average', 'weights', 'np.average(x, weights=y)', R(4), P(4))
case('average', 'weights_axis', 'np.average(x, axis=1, weights=y)', R(3, 4), P(4))
case('trace', 'square', 'np.trace(x)', R(3, 3))
case('trace', 'offset', 'np.trace(x, offset=1)', R(3, 4))
case('trapezoid', 'dx', 'np.trapezoid(x, dx=0.5)', R(6))
case('diff', 'first', 'np.diff(x)', R(6))
case('diff', 'second_axis0', 'np.diff(x, n=2, axis=0)', R(5, 3))
case('prod', 'with_scalar_axis_none', 'np.prod(x) * 2.0', R(5))
for _ord in ('None', '1', '2', 'np.inf', '-np.inf', '3'):
    case('linalg.norm', f'vector_ord_{_ord}', f'np.linalg.norm(x, ord={_ord})', R(5))
for _ord in ("'fro'", '1', '-1', 'np.inf', '2', "'nuc'"):
    case('linalg.norm', f'matrix_ord_{_ord}', f'np.linalg.norm(x, ord={_ord})', R(3, 4))
case('linalg.norm', 'axis', 'np.linalg.norm(x, axis=1)', R(3, 4))
case('linalg.norm', 'axis_keepdims', 'np.linalg.norm(x, axis=0, keepdims=True)', R(3, 4))
case('linalg.vector_norm', 'plain', 'np.linalg.vector_norm(x)', R(3, 4))
case('linalg.matrix_norm', 'fro', 'np.linalg.matrix_norm(x)', R(3, 4))

# Linear algebra ----------------------------------------------------------------------
case('dot', 'matrix_matrix', 'np.dot(x, y)', R(2, 3), R(3, 4))
case('dot', 'matrix_vector', 'np.dot(x, y)', R(2, 3), R(3))
case('dot', 'vector_vector', 'np.dot(x, y)', R(3), R(3))
case('dot', 'scalar', 'np.dot(x, y)', S(), R(3))
case('dot', 'nd_matrix', 'np.dot(x, y)', R(2, 2, 3), R(3, 4))
case('vdot', 'vectors', 'np.vdot(x, y)', R(4), R(4))
case('vdot', 'matrices', 'np.vdot(x, y)', R(2, 3), R(2, 3))
case('inner', 'vectors', 'np.inner(x, y)', R(3), R(3))
case('inner', 'matrices', 'np.inner(x, y)', R(2, 3), R(4, 3))
case('outer', 'vectors', 'np.outer(x, y)', R(3), R(4))
case('outer', 'matrix_flattened', 'np.outer(x, y)', R(2, 2), R(3))
case('matmul', 'function', 'np.matmul(x, y)', R(2, 3), R(3, 2))
case('matmul', 'broadcast_batch', 'np.matmul(x, y)', R(2, 2, 3), R(3, 4))
case('tensordot', 'axes1', 'np.tensordot(x, y, axes=1)', R(2, 3), R(3, 4))
case('tensordot', 'axes2', 'np.tensordot(x, y, axes=2)', R(2, 3, 4), R(3, 4))
case('tensordot', 'axes_lists', 'np.tensordot(x, y, axes=([0, 2], [1, 0]))', R(2, 3, 4),
     R(4, 2, 5))
case('einsum', 'matmul', "np.einsum('ij,jk->ik', x, y)", R(2, 3), R(3, 4))
case('einsum', 'trace', "np.einsum('ii->', x)", R(3, 3))
case('einsum', 'diagonal', "np.einsum('ii->i', x)", R(3, 3))
case('einsum', 'batch', "np.einsum('bij,bjk->bik', x, y)", R(2, 2, 3), R(2, 3, 2))
case('einsum', 'implicit', "np.einsum('ij,ij', x, y)", R(2, 3), R(2, 3))
case('einsum', 'outer', "np.einsum('i,j->ij', x, y)", R(3), R(2))
case('einsum', 'three_operands', "np.einsum('i,ij,j->', x, y, z)", R(2), R(2, 3), R(3))
case('einsum', 'ellipsis', "np.einsum('...ij->...ji', x)", R(2, 3, 4))
case('einsum', 'transpose_sum', "np.einsum('ijk->kj', x)", R(2, 3, 4))
case('einsum', 'repeated_with_other', "np.einsum('iij,j->i', x, y)", R(3, 3, 2), R(2))
case('einsum', 'repeated_broadcast', "np.einsum('ii,k->ik', x, y)", R(3, 3), R(2))
case('kron', 'matrices', 'np.kron(x, y)', R(2, 2), R(2, 3))
case('kron', 'vectors', 'np.kron(x, y)', R(3), R(2))
case('linalg.inv', 'square', 'np.linalg.inv(x)', SQ(3))
case('linalg.inv', 'batched', 'np.linalg.inv(np.stack([x, x.T]))', SQ(3))
case('linalg.det', 'square', 'np.linalg.det(x)', SQ(3))
case('linalg.det', 'spd', 'np.linalg.det(x)', SPD(2))
case('linalg.slogdet', 'logdet', 'np.linalg.slogdet(x)[1]', SQ(3))
case('linalg.slogdet', 'sign_times_logdet', 'np.linalg.slogdet(x)[0] * np.linalg.slogdet(x)[1]',
     SPD(3))
case('linalg.solve', 'vector', 'np.linalg.solve(x, y)', SQ(3), R(3))
case('linalg.solve', 'matrix', 'np.linalg.solve(x, y)', SQ(3), R(3, 2))
case('linalg.cholesky', 'spd', 'np.linalg.cholesky(x @ x.T + 3.0 * np.eye(3))', R(3, 3))
case('linalg.cholesky', 'upper', 'np.linalg.cholesky(x @ x.T + 3.0 * np.eye(3), upper=True)',
     R(3, 3))
case('linalg.cholesky', 'upper_batched',
     'np.linalg.cholesky(x @ np.swapaxes(x, -1, -2) + 3.0 * np.eye(3), upper=True)', R(2, 3, 3))
case('linalg.eigh', 'eigenvalues', 'np.linalg.eigh(x + x.T)[0]', SQ(3))
case('linalg.eigh', 'eigenvectors_squared', 'np.linalg.eigh(x + x.T)[1] ** 2', SQ(3))
case('linalg.eigvalsh', 'symmetric', 'np.linalg.eigvalsh(x + x.T)', SQ(3))
case('linalg.eigvalsh', 'upper', "np.linalg.eigvalsh(x + x.T, UPLO='U')", SQ(3))
# pinv and qr: full-rank inputs (qr: square or tall, mode 'reduced' or 'r').
case('linalg.pinv', 'tall', 'np.linalg.pinv(x)', R(4, 3))
case('linalg.pinv', 'wide', 'np.linalg.pinv(x)', R(2, 4))
case('linalg.pinv', 'square', 'np.linalg.pinv(x)', SQ(3))
case('linalg.qr', 'q_tall', 'np.linalg.qr(x)[0]', R(4, 3))
case('linalg.qr', 'r_square', 'np.linalg.qr(x)[1]', SQ(3))
case('linalg.qr', 'both_tall', 'q, r = np.linalg.qr(x)\n    return q[1:] * np.diag(r)', R(4, 3))
case('linalg.qr', 'mode_r', "np.linalg.qr(x, mode='r')", R(4, 3))
case('linalg.matrix_power', 'cube', 'np.linalg.matrix_power(x, 3)', SQ(3))
case('linalg.matrix_power', 'zero', 'np.linalg.matrix_power(x, 0) * x', SQ(2))
case('linalg.matrix_power', 'negative', 'np.linalg.matrix_power(x, -2)', SQ(3))
case('cross', 'vectors', 'np.cross(x, y)', R(3), R(3))
case('cross', 'rows', 'np.cross(x, y)', R(2, 3), R(2, 3))
case('cross', 'broadcast', 'np.cross(x, y)', R(2, 1, 3), R(4, 3))
case('cross', 'axes', 'np.cross(x, y, axisa=0, axisb=1, axisc=0)', R(3, 4), R(4, 3))
case('cross', 'axis', 'np.cross(x, y, axis=0)', R(3, 2), R(3, 1))
case('linalg.cross', 'rows', 'np.linalg.cross(x, y)', R(2, 3), R(3))
case('linalg.vecdot', 'rows', 'np.linalg.vecdot(x, y)', R(2, 3), R(2, 3))
case('vecdot', 'rows', 'np.vecdot(x, y)', R(2, 3), R(3))
case('linalg.multi_dot', 'three', 'np.linalg.multi_dot([x, y, z])', R(2, 3), R(3, 4), R(4, 2))
case('linalg.trace', 'square', 'np.linalg.trace(x)', R(3, 3))
case('linalg.diagonal', 'square', 'np.linalg.diagonal(x)', R(3, 3))
case('linalg.outer', 'vectors', 'np.linalg.outer(x, y)', R(3), R(2))
case('linalg.matmul', 'matrices', 'np.linalg.matmul(x, y)', R(2, 3), R(3, 2))
case('linalg.tensordot', 'axes1', 'np.linalg.tensordot(x, y, axes=1)', R(2, 3), R(3, 2))
case('linalg.matrix_transpose', 'batched', 'np.linalg.matrix_transpose(x)', R(2, 3, 4))

# Shape and assembly --------------------------------------------------------------------
case('reshape', 'tuple', 'np.reshape(x, (4, 3))', R(3, 4))
case('reshape', 'minus_one', 'np.reshape(x, (2, -1))', R(3, 4))
case('reshape', 'method_varargs', 'x.reshape(2, 6)', R(3, 4))
case('ravel', 'matrix', 'np.ravel(x)', R(3, 4))
case('ravel', 'method_flatten', 'x.flatten()', R(3, 4))
case('squeeze', 'all', 'np.squeeze(x)', R(3, 1, 4))
case('squeeze', 'axis', 'np.squeeze(x, axis=1)', R(3, 1, 1))
case('expand_dims', 'axis0', 'np.expand_dims(x, 0)', R(3, 4))
case('expand_dims', 'axis_tuple', 'np.expand_dims(x, axis=(0, 3))', R(3, 4))
case('transpose', 'default', 'np.transpose(x)', R(2, 3, 4))
case('transpose', 'axes', 'np.transpose(x, (1, 2, 0))', R(2, 3, 4))
case('transpose', 'method_axes', 'x.transpose(2, 0, 1)', R(2, 3, 4))
case('transpose', 'attribute_T', 'x.T', R(2, 3))
case('swapaxes', 'first_last', 'np.swapaxes(x, 0, 2)', R(2, 3, 4))
case('moveaxis', 'single', 'np.moveaxis(x, 0, -1)', R(2, 3, 4))
case('moveaxis', 'several', 'np.moveaxis(x, [0, 1], [2, 0])', R(2, 3, 4))
case('rollaxis', 'to_front', 'np.rollaxis(x, 2)', R(2, 3, 4))
case('concatenate', 'axis0', 'np.concatenate([x, y])', R(2, 3), R(4, 3))
case('concatenate', 'axis1_tuple', 'np.concatenate((x, y, x), axis=1)', R(2, 3), R(2, 1))
case('concatenate', 'axis_none', 'np.concatenate([x, y], axis=None)', R(2, 3), R(4))
case('stack', 'axis0', 'np.stack([x, y])', R(2, 3), R(2, 3))
case('stack', 'axis_last', 'np.stack([x, y, x], axis=-1)', R(2, 3), R(2, 3))
case('hstack', 'vectors', 'np.hstack([x, y])', R(3), R(2))
case('hstack', 'matrices', 'np.hstack([x, y])', R(2, 3), R(2, 2))
case('vstack', 'vectors', 'np.vstack([x, y])', R(3), R(3))
case('vstack', 'matrices', 'np.vstack((x, y))', R(2, 3), R(1, 3))
case('dstack', 'matrices', 'np.dstack([x, y])', R(2, 3), R(2, 3))
case('column_stack', 'vectors', 'np.column_stack([x, y])', R(3), R(3))
case('split', 'sections', 'np.split(x, 3)[1] * np.split(x, 3)[2]', R(6))
case('split', 'indices_axis1', 'np.split(x, [1, 3], axis=1)[2]', R(2, 5))
case('array_split', 'uneven', 'np.array_split(x, 3)[1] + 2.0 * np.array_split(x, 3)[2]', R(7))
case('hsplit', 'halves', 'np.hsplit(x, 2)[1]', R(3, 4))
case('vsplit', 'halves', 'np.vsplit(x, 2)[0]', R(4, 3))
case('dsplit', 'halves', 'np.dsplit(x, 2)[1]', R(2, 3, 4))
case('unstack', 'rows', 'np.unstack(x)[1] * 3.0', R(3, 4))
case('tile', 'int', 'np.tile(x, 3)', R(2))
case('tile', 'tuple', 'np.tile(x, (2, 1, 3))', R(2, 3))
case('repeat', 'flat', 'np.repeat(x, 2)', R(2, 3))
case('repeat', 'axis', 'np.repeat(x, 3, axis=0)', R(2, 3))
case('repeat', 'counts', 'np.repeat(x, [1, 0, 2], axis=1)', R(2, 3))
case('repeat', 'trailing_zero_count', 'np.repeat(x, [1, 2, 0], axis=1)', R(2, 3))
case('repeat', 'zero_counts_flat', 'np.repeat(x, [0, 2, 0, 1])', R(2, 2))
case('flip', 'all', 'np.flip(x)', R(2, 3))
case('flip', 'axis', 'np.flip(x, axis=1)', R(2, 3))
case('fliplr', 'matrix', 'np.fliplr(x)', R(2, 3))
case('flipud', 'matrix', 'np.flipud(x)', R(2, 3))
case('roll', 'flat', 'np.roll(x, 2)', R(2, 3))
case('roll', 'axis', 'np.roll(x, -1, axis=1)', R(2, 3))
case('rot90', 'once', 'np.rot90(x)', R(2, 3))
case('rot90', 'k3_axes', 'np.rot90(x, k=3, axes=(1, 2))', R(2, 3, 4))
case('pad', 'constant', 'np.pad(x, 1)', R(2, 3))
case('pad', 'pairs', 'np.pad(x, ((1, 0), (0, 2)), mode="constant")', R(2, 3))
case('broadcast_to', 'rows', 'np.broadcast_to(x, (4, 3))', R(3))
case('broadcast_to', 'new_axes', 'np.broadcast_to(x, (2, 3, 4))', R(3, 1))
case('triu', 'default', 'np.triu(x)', R(3, 3))
case('triu', 'k1', 'np.triu(x, k=1)', R(3, 4))
case('tril', 'default', 'np.tril(x)', R(3, 3))
case('tril', 'k_neg', 'np.tril(x, -1)', R(4, 3))
case('diag', 'extract', 'np.diag(x)', R(3, 3))
case('diag', 'build', 'np.diag(x)', R(3))
case('diag', 'offset', 'np.diag(x, k=1)', R(3, 4))
case('diagonal', 'plain', 'np.diagonal(x)', R(3, 4))
case('diagonal', 'axes', 'np.diagonal(x, offset=1, axis1=1, axis2=2)', R(2, 3, 4))
case('take', 'flat', 'np.take(x, [0, 4, 4, 2])', R(2, 3))
case('take', 'axis', 'np.take(x, [2, 0], axis=1)', R(2, 3))
case('take_along_axis', 'sorted', 'np.take_along_axis(x, np.array([[2, 0, 1], [1, 1, 0]]), axis=1)',
     R(2, 3))
case('sort', 'last_axis', 'np.sort(x)', R(2, 4))
case('sort', 'axis0', 'np.sort(x, axis=0)', R(3, 2))
case('sort', 'flat', 'np.sort(x, axis=None)', R(2, 3))
case('copy', 'function', 'np.copy(x) * 2.0', R(3))
case('append', 'flat', 'np.append(x, y)', R(2, 2), R(3))
case('append', 'axis', 'np.append(x, y, axis=0)', R(2, 3), R(1, 3))
case('delete', 'index', 'np.delete(x, 1)', R(4))
case('delete', 'axis', 'np.delete(x, [0, 2], axis=1)', R(2, 4))
case('compress', 'axis', 'np.compress([True, False, True], x, axis=1)', R(2, 3))
case('extract', 'mask', 'np.extract(np.array([True, False, True, True]), x)', R(4))
case('atleast_2d', 'vector', 'np.atleast_2d(x)', R(3))
case('atleast_1d', 'scalar', 'np.atleast_1d(x)', S())
case('atleast_3d', 'matrix', 'np.atleast_3d(x)', R(2, 3))
case('asarray', 'array', 'np.asarray(x) * 2.0', R(3))
case('asarray', 'dtype', 'np.asarray(x, dtype=np.float64) * y', R(3), R(3))
# A cast to an integer or boolean dtype is piecewise constant: no derivative through it.
case('asarray', 'int_dtype', 'np.asarray(x, dtype=int) * x', R(3))
case('array', 'int64_dtype', 'np.array(x, dtype=np.int64) * x', R(2, 3))
case('asanyarray', 'array', 'np.asanyarray(x) * 2.0', R(2, 3))
case('asarray_chkfinite', 'array', 'np.asarray_chkfinite(x) ** 2', R(3))
# Scalar types as casts (exact slopes: tests/test_numpy_scalar_types.py); a coarse type's
# term is scaled below the finite differences' error, which its rounding dominates.
case('float64', 'cast', 'np.float64(x) * np.sin(x)', R(3))
case('longdouble', 'cast', 'np.float64(np.longdouble(x) * 3.0)', R(3))
case('float32', 'cast', 'x ** 2 + 1e-5 * np.float32(x)', R(3))
case('float16', 'cast', 'x ** 2 + 1e-7 * np.float16(x)', R(3))
case('ascontiguousarray', 'transposed', 'np.ascontiguousarray(x.T) * 2.0', R(2, 3))
case('asfortranarray', 'matrix', 'np.asfortranarray(x) * 2.0', R(2, 3))
case('array', 'from_list', 'np.array([x, y, x * y])', S(), S())
case('array', 'rows', 'np.array([x, y])', R(3), R(3))
case('nan_to_num', 'finite', 'np.nan_to_num(x)', R(3))
case('matrix_transpose', 'batched', 'np.matrix_transpose(x)', R(2, 3, 4))
case('broadcast_to', 'scalar', 'np.broadcast_to(x, (2, 2))', S())

# Indexing ---------------------------------------------------------------------------
case('index', 'integer', 'x[1]', R(3, 4))
case('index', 'negative', 'x[-1, 2]', R(3, 4))
case('index', 'slice', 'x[1:3]', R(5, 2))
case('index', 'negative_step', 'x[::-2]', R(5))
case('index', 'ellipsis', 'x[..., 1]', R(2, 3, 4))
case('index', 'newaxis', 'x[None, :, np.newaxis] * y', R(3), R(2, 3, 1))
case('index', 'fancy', 'x[[0, 2, 2]]', R(4, 2))
case('index', 'fancy_2d', 'x[np.array([0, 1]), np.array([2, 0])]', R(3, 4))
case('index', 'mask', 'x[x > 0.0]', R(6))
case('index', 'mixed', 'x[1:, [0, 2]]', R(3, 4))
case('index_write', 'integer',
     'z = x * 1.0\n    z[1] = y\n    return z', R(3, 2), R(2))
case('index_write', 'slice',
     'z = x * 1.0\n    z[1:3] = y * 2.0\n    return z', R(4), R(2))
case('index_write', 'fancy',
     'z = x * 1.0\n    z[[0, 2]] = y\n    return z', R(4), R(2))
case('index_write', 'mask',
     'z = x * 1.0\n    z[x > 0.0] = 0.0\n    return z * y', R(5), R(5))
case('index_augmented', 'slice',
     'z = x * 1.0\n    z[1:] += y\n    return z', R(4), R(3))
case('index_augmented', 'fancy_multiply',
     'z = x * 1.0\n    z[[1, 3]] *= y\n    return z', R(4), R(2))
case('index_augmented', 'ellipsis',
     'z = x * 1.0\n    z[..., 0] -= y\n    return z', R(2, 3), R(2))

# Array methods ---------------------------------------------------------------------------
case('method', 'sum_axis', 'x.sum(axis=0)', R(3, 4))
case('method', 'mean', 'x.mean()', R(3, 4))
case('method', 'dot', 'x.dot(y)', R(2, 3), R(3))
case('method', 'max', 'x.max(axis=1)', R(3, 4))
case('method', 'clip', 'x.clip(-0.5, 0.5)', R(3, 4))
case('method', 'astype', 'x.astype(np.float64) * 2.0', R(3))
case('method', 'astype_int', 'x.astype(int) * x', R(4))
case('method', 'astype_int32_squared', 'x.astype(np.int32) ** 2 + x', R(4))
case('method', 'astype_bool', 'x.astype(bool) * x', R(3))
case('method', 'copy', 'x.copy() * y', R(3), R(3))
case('method', 'prod', 'x.prod(axis=0)', P(3, 2))
case('method', 'var_std', 'x.var() + x.std(axis=0)', R(3, 2))
case('method', 'cumsum', 'x.cumsum(axis=1)', R(2, 3))
case('method', 'trace', 'x.trace()', R(3, 3))
case('method', 'diagonal', 'x.diagonal()', R(3, 3))
case('method', 'squeeze_ravel', 'x.squeeze().ravel()', R(3, 1))
case('method', 'swapaxes', 'x.swapaxes(0, 1)', R(2, 3))
case('method', 'repeat_take', 'x.repeat(2).take([0, 3])', R(3))
case('method', 'min', 'x.min()', R(3, 4))

# Constructors linear in their values -------------------------------------------------------
case('full', 'scalar', 'np.full((2, 3), x)', S())
case('full', 'row_broadcast', 'np.full((2, 3), x)', R(3))
case('full', 'dtype_float64', 'np.full((2, 2), x, dtype=np.float64) * y', R(2), R(2, 2))
case('full_like', 'scalar', 'np.full_like(x, y) * x', R(2, 3), S())
case('full_like', 'array_fill', 'np.full_like(x, y)', R(2, 3), R(3))
case('linspace', 'scalars', 'np.linspace(x, y, 5)', S(), S())
case('linspace', 'no_endpoint', 'np.linspace(x, y, 4, endpoint=False)', S(), S())
case('linspace', 'arrays_axis_last', 'np.linspace(x, y, 3, axis=-1)', R(2), R(3, 2))
case('linspace', 'arrays_axis1', 'np.linspace(x, y, 4, axis=1)', R(3), R(2, 3))
case('linspace', 'retstep',
     's, step = np.linspace(x, y, 5, retstep=True)\n    return s * step', S(), R(2))
case('logspace', 'scalars', 'np.logspace(x, y, 4)', U(), U())
case('logspace', 'base', 'np.logspace(x, y, 3, base=z)', U(), U(), P())
case('logspace', 'array_base', 'np.logspace(x, y, 3, base=z)', U(2), U(2), P(2))
case('logspace', 'axis_last', 'np.logspace(x, y, 3, axis=-1, base=2.0)', U(2), U())
case('geomspace', 'scalars', 'np.geomspace(x, y, 4)', P(), P())
case('geomspace', 'negative', 'np.geomspace(-x, -y, 3, endpoint=False)', P(), P())
case('geomspace', 'arrays_axis1', 'np.geomspace(x, y, 3, axis=1)', P(2), P(2))
case('meshgrid', 'xy_product', 'a, b = np.meshgrid(x, y)\n    return a * b + a', R(3), R(2))
case('meshgrid', 'tuple_result', 'np.meshgrid(x, y)', R(3), R(2))
case('meshgrid', 'ij_three', 'a, b, c = np.meshgrid(x, y, z, indexing="ij")\n    return a * b + c',
     R(2), R(3), R(2))
case('meshgrid', 'sparse', 'a, b = np.meshgrid(x, y, sparse=True)\n    return a * b', R(3), R(2))
case('meshgrid', 'matrix_input', 'np.meshgrid(x, y)[0] ** 2', R(2, 2), R(3))
case('arange', 'start_step', 'np.arange(x, 3.0, y) ** 2', S(), S())
case('arange', 'start_only_moves', 'np.arange(x, 4.0) * x', S())
case('arange', 'length_only', 'np.arange(x * 3.0) * x', S())
case('bincount', 'weights', 'np.bincount(np.array([0, 2, 2, 1, 4]), x)', R(5))
case('bincount', 'minlength', 'np.bincount(np.array([1, 1, 0]), weights=x, minlength=4)', R(3))

# Convolution, interpolation, polynomials, differences -----------------------------------------
case('convolve', 'full', 'np.convolve(x, y)', R(5), R(3))
case('convolve', 'same_longer_kernel', 'np.convolve(x, y, mode="same")', R(3), R(5))
case('convolve', 'same', 'np.convolve(x, y, "same")', R(6), R(3))
case('convolve', 'valid', 'np.convolve(x, y, "valid")', R(5), R(2))
case('correlate', 'valid', 'np.correlate(x, y)', R(5), R(3))
case('correlate', 'same_longer_kernel', 'np.correlate(x, y, "same")', R(3), R(5))
case('correlate', 'same', 'np.correlate(x, y, mode="same")', R(6), R(3))
case('correlate', 'full', 'np.correlate(x, y, mode="full")', R(4), R(4))
case('interp', 'inside', 'np.interp(x, np.array([-2.0, -0.5, 0.4, 1.1, 2.0]), y)', R(6), R(5))
case('interp', 'outside_ends', 'np.interp(x, np.array([-1.0, 0.0, 1.0]), y)', R(6), R(3))
case('interp', 'left_right',
     'np.interp(x, np.array([-1.0, 0.1, 1.0]), y, left=z, right=2.0 * z)', R(6), R(3), S())
case('interp', 'periodic', 'np.interp(x, np.array([0.0, 0.7, 1.9, 2.8]), y, period=3.0)',
     R(2, 3), R(4))
case('interp', 'scalar_x', 'np.interp(x, np.array([0.0, 1.0, 2.0]), y)', S(), R(3))
case('polyval', 'vector_x', 'np.polyval(x, y)', R(4), R(3))
case('polyval', 'scalar_x', 'np.polyval(x, y)', R(3), S())
case('polyval', 'constant', 'np.polyval(x, 0.7) * y', R(1), R(2))
case('gradient', 'vector', 'np.gradient(x)', R(6))
case('gradient', 'spacing', 'np.gradient(x, y)', R(6), S())
case('gradient', 'matrix', 'a, b = np.gradient(x)\n    return a * b', R(3, 4))
case('gradient', 'per_axis_spacing', 'np.gradient(x, y, z)[1] + np.gradient(x, y, z)[0]',
     R(3, 4), S(), S())
case('gradient', 'axis_edge_order2', 'np.gradient(x, axis=1, edge_order=2)', R(3, 4))
case('gradient', 'coordinates', 'np.gradient(x, np.array([0.0, 0.4, 1.1, 1.5, 2.6]))', R(5))
case('ediff1d', 'matrix', 'np.ediff1d(x)', R(2, 3))
case('ediff1d', 'ends', 'np.ediff1d(x, to_end=y, to_begin=z)', R(4), R(2), S())
case('trapezoid', 'sample_points', 'np.trapezoid(x, y)', R(5), R(5))
case('trapezoid', 'dx_moves', 'np.trapezoid(x, dx=y)', R(5), S())
case('trapezoid', 'points_axis0', 'np.trapezoid(x, y, axis=0)', R(4, 3), R(4))
case('trapezoid', 'points_nd', 'np.trapezoid(x, y, axis=1)', R(2, 4), R(2, 4))

# Quantiles ----------------------------------------------------------------------------------
_NAN_ROW = 'np.array([True, False, True, True, True, False, True])'
_NAN_ROWS = 'np.array([[True, False, True, True, True], [True, True, True, False, True]])'
case('quantile', 'scalar_q', 'np.quantile(x, 0.3)', R(7))
case('quantile', 'moving_q', 'np.quantile(x, 0.5 + 0.4 * y)', R(3, 4), U(3))
case('quantile', 'axis_keepdims', 'np.quantile(x, 0.5 + 0.4 * y, axis=1, keepdims=True)',
     R(3, 5), U(2))
case('quantile', 'lower', 'np.quantile(x, 0.41, axis=-1, method="lower")', R(2, 6))
case('quantile', 'weibull', 'np.quantile(x, 0.5 + 0.4 * y, method="weibull")', R(8), U())
case('percentile', 'moving_q', 'np.percentile(x, 50.0 + 40.0 * y, axis=0)', R(6, 3), U())
case('percentile', 'hazen', 'np.percentile(x, 37.0, method="hazen")', R(9))
case('percentile', 'midpoint', 'np.percentile(x, [20.0, 70.0], axis=1, method="midpoint")',
     R(2, 6))
case('percentile', 'nearest', 'np.percentile(x, 63.0, axis=(0, 2), method="nearest")',
     R(2, 3, 4))
case('nanquantile', 'row', f'np.nanquantile(np.where({_NAN_ROW}, x, np.nan), 0.3 + 0.2 * y)',
     R(7), U())
case('nanpercentile', 'axis', f'np.nanpercentile(np.where({_NAN_ROWS}, x, np.nan), 40.0, axis=1)',
     R(2, 5))
case('nanmedian', 'axis', f'np.nanmedian(np.where({_NAN_ROWS}, x, np.nan), axis=1)', R(2, 5))
case('nanmedian', 'all', 'np.nanmedian(x)', R(3, 4))

# Special functions ----------------------------------------------------------------------------
case('heaviside', 'zeros_take_x2', 'np.heaviside(x * np.array([1.0, 0.0, -1.0, 0.0]), y)',
     R(4), R(4))
case('heaviside', 'scalar_x2', 'np.heaviside(x * np.array([1.0, 0.0, -1.0]), y) * x', R(3), S())
case('nextafter', 'towards', 'np.nextafter(x, y)', R(3), R(3))
case('i0', 'vector', 'np.i0(x)', R(5))
case('i0', 'scalar', 'np.i0(x * 4.0)', S())
case('modf', 'fraction', 'np.modf(x * 3.0)[0]', R(4))
case('modf', 'integral_part', '(np.modf(x * 3.0)[1] + 1.0) * x', R(4))
case('frexp', 'mantissa', 'np.frexp(x)[0] * np.frexp(x)[1]', R(5))
case('unique', 'distinct', 'np.unique(x)', R(2, 3))
case('unique', 'duplicates_share', 'np.unique(np.concatenate([x, x]))', R(4))
case('unique', 'with_counts', 'np.unique(x, False, False, True)[0] * 2.0', R(5))
case('unique', 'rows', 'np.unique(np.concatenate([x, x[:1]]), axis=0)', R(3, 2))
case('unique_values', 'vector', 'np.unique_values(x)', R(4))

# Statistics, Vandermonde matrices and selections ------------------------------------------
case('nanvar', 'axis', f'np.nanvar(np.where({_NAN_ROWS}, x, np.nan), axis=1)', R(2, 5))
case('nanvar', 'all_ddof1', 'np.nanvar(x, ddof=1)', R(3, 4))
case('nanvar', 'keepdims', 'np.nanvar(x, axis=0, keepdims=True)', R(3, 4))
case('nanstd', 'axis_ddof1', f'np.nanstd(np.where({_NAN_ROWS}, x, np.nan), axis=1, ddof=1)',
     R(2, 5))
case('nanstd', 'all', 'np.nanstd(x)', R(3, 4))
case('cov', 'rows', 'np.cov(x)', R(3, 5))
case('cov', 'columns_bias', 'np.cov(x, rowvar=False, bias=True)', R(5, 3))
case('cov', 'vector', 'np.cov(x)', R(6))
case('cov', 'with_y_ddof0', 'np.cov(x, y, ddof=0)', R(2, 5), R(5))
case('corrcoef', 'rows', 'np.corrcoef(x)', R(3, 5))
case('corrcoef', 'columns', 'np.corrcoef(x, rowvar=False)', R(6, 3))
case('corrcoef', 'with_y', 'np.corrcoef(x, y)', R(5), R(5))
case('vander', 'square', 'np.vander(x)', R(4))
case('vander', 'increasing_n', 'np.vander(x, 3, increasing=True)', R(5))
case('select', 'two_conditions', 'np.select([x > 0.5, x < -0.5], [x ** 2, y * x], y)', R(3, 4),
     R(4))
case('select', 'default_zero', 'np.select([x > 0.0], [np.sin(x)])', R(6))

# SVD and least squares: distinct singular values, full column rank ------------------------
case('linalg.svd', 'singular_values', 'np.linalg.svd(x, compute_uv=False)', R(4, 3))
case('linalg.svd', 'singular_values_wide', 'np.linalg.svd(x, compute_uv=False)', R(2, 4))
case('linalg.svd', 'reduced_tall',
     'u, s, vh = np.linalg.svd(x, full_matrices=False)\n    return u ** 3 * s + vh[0] ** 3',
     R(4, 3))
case('linalg.svd', 'square_default',
     'u, s, vh = np.linalg.svd(x)\n    return (u * s) @ np.abs(vh)', SQ(3))
case('linalg.lstsq', 'vector', 'np.linalg.lstsq(x, y)[0]', R(5, 3), R(5))
case('linalg.lstsq', 'matrix_rcond', 'np.linalg.lstsq(x, y, rcond=None)[0]', R(4, 2), R(4, 3))
case('linalg.lstsq', 'residuals', 'np.linalg.lstsq(x, y)[1]', R(5, 3), R(5, 2))
case('linalg.lstsq', 'square', 'np.linalg.lstsq(x, y)[0]', SQ(3), R(3))
case('polyfit', 'quadratic', 'np.polyfit(x, y, 2)', R(6), R(6))
case('polyfit', 'line_columns', 'np.polyfit(x, y, 1)', R(5), R(5, 2))

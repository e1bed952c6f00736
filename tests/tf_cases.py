"""The TensorFlow rule suite's cases: one line per op variant.

Same format as ``numpy_cases``: ``(op, variant, body, arguments)``; every
argument is a float64 tensor drawn by its ``Arg`` and differentiated;
integer arguments (indices, labels) are literals in the body.
"""

from __future__ import annotations

from numpy_cases import SPD, SQ, P, R, U

CASES = []


def case(op, variant, body, *arguments):
    CASES.append((op, variant, body, arguments))


for _name, _domain in [
        ('negative', R), ('identity', R), ('square', R), ('sqrt', P), ('math.rsqrt', P),
        ('math.reciprocal', P), ('exp', R), ('math.expm1', R), ('math.log', P),
        ('math.log1p', P), ('tanh', R), ('sigmoid', R), ('sin', R), ('cos', R), ('tan', U),
        ('math.sinh', R), ('math.cosh', R), ('math.atan', R), ('math.asin', U),
        ('math.acos', U), ('math.erf', R), ('abs', R), ('nn.relu', R), ('nn.relu6', R),
        ('nn.elu', R), ('nn.selu', R), ('nn.leaky_relu', R), ('nn.softplus', R),
        ('nn.silu', R), ('nn.softsign', R), ('convert_to_tensor', R)]:
    case(_name, 'matrix', f'tf.{_name}(x)', _domain(2, 3))
    case(_name, 'vector', f'tf.{_name}(x)', _domain(4))

for _name, _left, _right in [
        ('add', R, R), ('subtract', R, R), ('multiply', R, R), ('divide', R, P),
        ('math.truediv', R, P), ('pow', P, R), ('maximum', R, R), ('minimum', R, R),
        ('math.squared_difference', R, R)]:
    case(_name, 'same_shape', f'tf.{_name}(x, y)', _left(3, 2), _right(3, 2))
    case(_name, 'broadcast', f'tf.{_name}(x, y)', _left(3, 2), _right(2))

case('operators', 'arithmetic', 'x * y - x / (y * y + 1.0) + 2.0 * y ** 2 - (-x)', R(3), R(3))
case('operators', 'matmul', 'x @ y', R(2, 3), R(3, 4))
case('operators', 'subscript', 'x[1:, ::-1] * 2.0 + x[0, 1]', R(3, 4))
case('operators', 'subscript_newaxis', 'x[..., None, 1] * y', R(2, 3), R(2, 4))
case('leaky_relu', 'alpha', 'tf.nn.leaky_relu(x, alpha=0.1)', R(5))
case('where', 'select', 'tf.where(x > 0.0, x * y, y * y)', R(3, 2), R(3, 2))
case('clip_by_value', 'scalars', 'tf.clip_by_value(x, -0.7, 0.9)', R(6))
case('cast', 'float32_and_back', 'tf.cast(tf.cast(x, tf.float32), tf.float64) * 2.0', R(4))

for _name in ('reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod',
              'reduce_logsumexp'):
    _arg = P if _name == 'reduce_prod' else R
    case(_name, 'all', f'tf.{_name}(x)', _arg(3, 4))
    case(_name, 'axis0', f'tf.{_name}(x, axis=0)', _arg(3, 4))
    case(_name, 'axis_neg_keepdims', f'tf.{_name}(x, axis=-1, keepdims=True)', _arg(2, 3, 4))
    case(_name, 'axis_list', f'tf.{_name}(x, axis=[0, 2])', _arg(2, 3, 4))
case('math.cumsum', 'axis1', 'tf.math.cumsum(x, axis=1)', R(3, 4))
case('math.cumsum', 'reverse', 'tf.math.cumsum(x, reverse=True)', R(4))

case('matmul', 'plain', 'tf.matmul(x, y)', R(2, 3), R(3, 4))
case('matmul', 'transpose_a', 'tf.matmul(x, y, transpose_a=True)', R(3, 2), R(3, 4))
case('matmul', 'transpose_b', 'tf.matmul(x, y, transpose_b=True)', R(2, 3), R(4, 3))
case('matmul', 'both_transposed', 'tf.matmul(x, y, transpose_a=True, transpose_b=True)',
     R(3, 2), R(4, 3))
case('matmul', 'batched', 'tf.matmul(x, y)', R(2, 2, 3), R(2, 3, 4))
case('matmul', 'batch_broadcast', 'tf.matmul(x, y)', R(2, 2, 3), R(3, 4))
case('linalg.matvec', 'plain', 'tf.linalg.matvec(x, y)', R(2, 3), R(3))
case('linalg.matvec', 'transposed', 'tf.linalg.matvec(x, y, transpose_a=True)', R(3, 2), R(3))
case('tensordot', 'axes1', 'tf.tensordot(x, y, axes=1)', R(2, 3), R(3, 4))
case('tensordot', 'axes_lists', 'tf.tensordot(x, y, axes=[[0, 2], [1, 0]])', R(2, 3, 4),
     R(4, 2, 5))
case('einsum', 'matmul', "tf.einsum('ij,jk->ik', x, y)", R(2, 3), R(3, 4))
case('einsum', 'batch', "tf.einsum('bij,bjk->bik', x, y)", R(2, 2, 3), R(2, 3, 2))
case('einsum', 'three', "tf.einsum('i,ij,j->', x, y, z)", R(2), R(2, 3), R(3))
case('einsum', 'ellipsis', "tf.einsum('...ij->...ji', x)", R(2, 3, 4))
case('einsum', 'reduce', "tf.einsum('ijk->j', x)", R(2, 3, 4))
case('einsum', 'broadcast', "tf.einsum('...ij,...jk->...ik', x, y)", R(2, 1, 2, 3), R(4, 3, 2))
case('linalg.inv', 'square', 'tf.linalg.inv(x)', SQ(3))
case('linalg.inv', 'adjoint', 'tf.linalg.inv(x, adjoint=True)', SQ(3))
case('linalg.det', 'square', 'tf.linalg.det(x)', SQ(3))
case('linalg.det', 'spd', 'tf.linalg.det(x)', SPD(2))
case('linalg.trace', 'square', 'tf.linalg.trace(x)', R(3, 3))
case('linalg.matrix_transpose', 'batched', 'tf.linalg.matrix_transpose(x)', R(2, 3, 4))

case('reshape', 'list', 'tf.reshape(x, [4, 3])', R(3, 4))
case('reshape', 'minus_one', 'tf.reshape(x, [-1])', R(3, 4))
case('transpose', 'default', 'tf.transpose(x)', R(2, 3, 4))
case('transpose', 'perm', 'tf.transpose(x, perm=[1, 2, 0])', R(2, 3, 4))
case('expand_dims', 'axis1', 'tf.expand_dims(x, 1)', R(3, 4))
case('squeeze', 'all', 'tf.squeeze(x)', R(3, 1, 4))
case('squeeze', 'axis', 'tf.squeeze(x, axis=[1])', R(3, 1, 1))
case('broadcast_to', 'rows', 'tf.broadcast_to(x, [4, 3])', R(3))
case('concat', 'axis0', 'tf.concat([x, y], axis=0)', R(2, 3), R(4, 3))
case('concat', 'axis1', 'tf.concat([x, y, x], 1)', R(2, 3), R(2, 1))
case('stack', 'axis0', 'tf.stack([x, y])', R(2, 3), R(2, 3))
case('stack', 'axis_last', 'tf.stack([x, y], axis=-1)', R(2, 3), R(2, 3))
case('split', 'sizes', 'tf.split(x, [1, 2], axis=1)[1] * 2.0', R(3, 3))
case('split', 'halves', 'tf.split(x, 2)[0] * tf.split(x, 2)[1]', R(4, 3))
case('unstack', 'axis1', 'tf.unstack(x, axis=1)[2] * tf.unstack(x, axis=1)[0]', R(3, 4))
case('tile', 'multiples', 'tf.tile(x, [2, 3])', R(2, 3))
case('gather', 'axis0', 'tf.gather(x, [0, 2, 2])', R(4, 2))
case('gather', 'axis1', 'tf.gather(x, [[1, 0], [2, 2]], axis=1)', R(3, 4))
case('slice', 'middle', 'tf.slice(x, [1, 0], [2, 2])', R(4, 3))
case('slice', 'to_end', 'tf.slice(x, [0, 1], [-1, -1])', R(3, 4))
case('pad', 'constant', 'tf.pad(x, [[1, 0], [0, 2]])', R(2, 3))
case('reverse', 'axis1', 'tf.reverse(x, [1])', R(2, 3))

case('nn.softmax', 'last_axis', 'tf.nn.softmax(x)', R(3, 4))
case('nn.softmax', 'axis0', 'tf.nn.softmax(x, axis=0)', R(3, 4))
case('nn.log_softmax', 'last_axis', 'tf.nn.log_softmax(x)', R(3, 4))
case('nn.sigmoid_cross_entropy_with_logits', 'both',
     'tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)', R(3, 4), U(3, 4))
case('nn.softmax_cross_entropy_with_logits', 'both',
     'tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(y), logits=x)',
     R(3, 4), R(3, 4))
case('nn.sparse_softmax_cross_entropy_with_logits', 'logits',
     'tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0, 1], logits=x)', R(3, 4))
case('nn.bias_add', 'nhwc', 'tf.nn.bias_add(x, y)', R(2, 3, 4), R(4))
case('nn.conv2d', 'same', "tf.nn.conv2d(x, y, strides=1, padding='SAME')",
     R(1, 5, 5, 2), R(3, 3, 2, 3))
case('nn.conv2d', 'valid_stride2', "tf.nn.conv2d(x, y, strides=2, padding='VALID')",
     R(2, 6, 6, 1), R(2, 2, 1, 2))
case('nn.max_pool2d', 'valid', "tf.nn.max_pool2d(x, ksize=2, strides=2, padding='VALID')",
     R(1, 4, 4, 2))
case('nn.avg_pool2d', 'same', "tf.nn.avg_pool2d(x, ksize=2, strides=1, padding='SAME')",
     R(1, 3, 3, 2))

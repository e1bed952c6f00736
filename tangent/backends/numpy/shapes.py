"""How the results of NumPy's functions and of the runtime's gradient helpers are
shaped, for the specialiser (see ``tangent.rules.shapes``). The functions declared
``@elementwise`` in ``declared`` need no line here.
"""

import operator

import numpy as np

from tangent import runtime
from tangent.rules.shapes import CONTRACTING, declare_shapes, ELEMENTWISE, EVALUATED

declare_shapes(ELEMENTWISE, operator.add, operator.sub, operator.mul, operator.truediv,
               operator.floordiv, operator.pow, operator.mod, operator.neg, operator.pos,
               np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power,
               np.square, np.negative, np.exp, np.log, np.tanh, np.sqrt, np.abs,
               np.maximum, np.minimum, np.sin, np.cos, np.float_power)

declare_shapes(CONTRACTING, np.dot, np.matmul, operator.matmul)

# Shaped by the arguments' shapes (and ints every call of a signature shares: np.eye(n)),
# never their values; each costs about its result's size to run on ones (a factorisation
# or a solve: on identity matrices).
declare_shapes(EVALUATED, np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod,
               np.var, np.std, np.transpose, np.reshape, np.ravel, np.expand_dims,
               np.squeeze, np.swapaxes, np.moveaxis, np.outer, np.matrix_transpose,
               runtime.grad_dot, runtime.grad_dot_right, runtime.grad_matmul_left,
               runtime.grad_matmul_right, runtime.astype, runtime.unreduce,
               np.diag, np.diagonal, np.trace, np.eye, np.zeros, np.ones, np.zeros_like,
               np.ones_like, np.linalg.cholesky, np.linalg.solve, np.linalg.inv,
               np.linalg.det, runtime.diag_gradient, runtime.cholesky_gradient,
               runtime.solve_gradients)

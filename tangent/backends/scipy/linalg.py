"""Derivative rules of ``scipy.linalg``: adjoint and tangent templates.

For 2-D matrices (square ones for ``lu_factor``/``lu_solve``); right-hand sides
of the solvers are 1-D or 2-D. SciPy's batches of stacked matrices raise (through
``linalg_helpers.linalg_one_matrix``, which every rule calls first) rather than
get a wrong derivative. The formulas are in ``linalg_helpers``, written
with functions that have rules, so that every rule here can be differentiated
again (second order). The symmetric functions (``cholesky``, ``cho_factor``,
``eigh``, and ``solve``/``inv`` with a symmetric ``assume_a``) give the
symmetric gradient of their raw input, as ``linalg_helpers`` explains; ``eigh``
assumes distinct eigenvalues. SciPy has no ``slogdet`` (``np.linalg.slogdet``
has its own rules).

Raising instead of a derivative: ``eigh`` with ``b`` (generalized problem) or
``subset_by_index``/``subset_by_value``; ``solve``/``inv`` with ``assume_a``
'banded' or 'tridiagonal'; a complex ``sqrtm``; non-square ``lu_factor``;
``cho_factor`` whose unused triangle is not a copy of the input's.
"""

import numpy as np
import scipy.linalg

# The helpers the templates call as tangent.<name> join the runtime when the backend loads.
from tangent import runtime as tangent
from tangent.backends.scipy import linalg_helpers
from tangent.rules import policy
from tangent.rules.non_differentiable import register_non_differentiable_functions
from tangent.rules.registry import adjoint, d, tangent_

# The checks and the choices the formulas make (which triangle, which transpose) carry
# no derivative.
register_non_differentiable_functions(
    linalg_helpers.linalg_one_matrix, linalg_helpers.linalg_structure,
    linalg_helpers.linalg_transposes, linalg_helpers.linalg_triangle_mask,
    linalg_helpers.linalg_cho_factor_unused, linalg_helpers.linalg_eigh_supported,
    linalg_helpers.linalg_real_root, linalg_helpers.linalg_lu_permutation)
# The check raises: it runs even where nothing reads its result.
policy.declare_impure(linalg_helpers.linalg_one_matrix)


@adjoint(scipy.linalg.cholesky)
def cholesky(c, a, lower=False, overwrite_a=False, check_finite=True):
    d[a] = tangent.scipy_cholesky_gradient(d[c], c, lower)


@tangent_(scipy.linalg.cholesky)
def cholesky_tangent(c, a, lower=False, overwrite_a=False, check_finite=True):
    d[c] = tangent.scipy_cholesky_tangent(d[a], c, lower)


@adjoint(scipy.linalg.cho_factor)
def cho_factor(result, a, lower=False, overwrite_a=False, check_finite=True):
    d[a] = tangent.scipy_cho_factor_gradient(d[result], result, a, lower)


@tangent_(scipy.linalg.cho_factor)
def cho_factor_tangent(result, a, lower=False, overwrite_a=False, check_finite=True):
    d[result] = tangent.scipy_cho_factor_tangent(d[a], result, a, lower)


@adjoint(scipy.linalg.cho_solve)
def cho_solve(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    parts = tangent.scipy_cho_solve_gradients(d[x], x, c_and_lower)
    d[c_and_lower] = parts[0]
    d[b] = parts[1]


@tangent_(scipy.linalg.cho_solve)
def cho_solve_tangent(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    d[x] = tangent.scipy_cho_solve_tangent(d[c_and_lower][0], d[b], x, c_and_lower)


@adjoint(scipy.linalg.solve_triangular)
def solve_triangular(x, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    parts = tangent.scipy_solve_triangular_gradients(d[x], x, a, trans, lower, unit_diagonal)
    d[a] = parts[0]
    d[b] = parts[1]


@tangent_(scipy.linalg.solve_triangular)
def solve_triangular_tangent(x, a, b, trans=0, lower=False, unit_diagonal=False,
                             overwrite_b=False, check_finite=True):
    d[x] = tangent.scipy_solve_triangular_tangent(d[a], d[b], x, a, trans, lower, unit_diagonal)


@adjoint(scipy.linalg.solve)
def solve(x, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    parts = tangent.scipy_solve_gradients(d[x], x, a, lower, assume_a, transposed)
    d[a] = parts[0]
    d[b] = parts[1]


@tangent_(scipy.linalg.solve)
def solve_tangent(x, a, b, lower=False, overwrite_a=False, overwrite_b=False,
                  check_finite=True, assume_a=None, transposed=False):
    d[x] = tangent.scipy_solve_tangent(d[a], d[b], x, a, lower, assume_a, transposed)


@adjoint(scipy.linalg.inv)
def inv(y, a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    d[a] = tangent.scipy_inv_gradient(d[y], y, assume_a)


@tangent_(scipy.linalg.inv)
def inv_tangent(y, a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    tangent.linalg_one_matrix('inv', y)
    d[y] = -y @ tangent.scipy_structured(d[a], tangent.linalg_structure(assume_a, 'inv')) @ y


@adjoint(scipy.linalg.det)
def det(y, a, overwrite_a=False, check_finite=True):
    tangent.linalg_one_matrix('det', a)
    d[a] = d[y] * y * np.transpose(scipy.linalg.inv(a))


@tangent_(scipy.linalg.det)
def det_tangent(y, a, overwrite_a=False, check_finite=True):
    tangent.linalg_one_matrix('det', a)
    d[y] = y * np.trace(scipy.linalg.solve(a, d[a]))


@adjoint(scipy.linalg.eigh)
def eigh(result, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False,
         overwrite_b=False, type=1, check_finite=True, subset_by_index=None,  # noqa: A002
         subset_by_value=None, driver=None):
    tangent.linalg_eigh_supported(b, subset_by_index, subset_by_value)
    d[a] = tangent.scipy_eigh_gradient(d[result], result, a, lower, eigvals_only)


@tangent_(scipy.linalg.eigh)
def eigh_tangent(result, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False,
                 overwrite_b=False, type=1, check_finite=True, subset_by_index=None,  # noqa: A002
                 subset_by_value=None, driver=None):
    tangent.linalg_eigh_supported(b, subset_by_index, subset_by_value)
    d[result] = tangent.scipy_eigh_tangent(d[a], result, a, lower, eigvals_only)


@adjoint(scipy.linalg.expm)
def expm(y, A):  # noqa: N803 - SciPy's name
    tangent.linalg_one_matrix('expm', A)  # before the transpose, to report A's own shape
    d[A] = tangent.scipy_expm_frechet(np.transpose(A), d[y])


@tangent_(scipy.linalg.expm)
def expm_tangent(y, A):  # noqa: N803 - SciPy's name
    d[y] = tangent.scipy_expm_frechet(A, d[A])


# S = sqrtm(A) solves S S = A, so S dS + dS S = dA: a Sylvester equation.
@adjoint(scipy.linalg.sqrtm)
def sqrtm(s, A, disp=None, blocksize=None):  # noqa: N803 - SciPy's name
    tangent.linalg_one_matrix('sqrtm', s)
    tangent.linalg_real_root(s)
    d[A] = scipy.linalg.solve_sylvester(np.transpose(s), np.transpose(s), d[s])


@tangent_(scipy.linalg.sqrtm)
def sqrtm_tangent(s, A, disp=None, blocksize=None):  # noqa: N803 - SciPy's name
    tangent.linalg_one_matrix('sqrtm', s)
    tangent.linalg_real_root(s)
    d[s] = scipy.linalg.solve_sylvester(s, s, d[A])


@adjoint(scipy.linalg.solve_sylvester)
def solve_sylvester(x, a, b, q):
    parts = tangent.scipy_sylvester_gradients(d[x], x, a, b)
    d[a] = parts[0]
    d[b] = parts[1]
    d[q] = parts[2]


@tangent_(scipy.linalg.solve_sylvester)
def solve_sylvester_tangent(x, a, b, q):
    d[x] = tangent.scipy_sylvester_tangent(d[a], d[b], d[q], x, a, b)


@adjoint(scipy.linalg.lu_factor)
def lu_factor(result, a, overwrite_a=False, check_finite=True):
    d[a] = tangent.scipy_lu_factor_gradient(d[result], result, a)


@tangent_(scipy.linalg.lu_factor)
def lu_factor_tangent(result, a, overwrite_a=False, check_finite=True):
    d[result] = tangent.scipy_lu_factor_tangent(d[a], result, a)


@adjoint(scipy.linalg.lu_solve)
def lu_solve(x, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    parts = tangent.scipy_lu_solve_gradients(d[x], x, lu_and_piv, trans)
    d[lu_and_piv] = parts[0]
    d[b] = parts[1]


@tangent_(scipy.linalg.lu_solve)
def lu_solve_tangent(x, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    d[x] = tangent.scipy_lu_solve_tangent(d[lu_and_piv][0], d[b], x, lu_and_piv, trans)

"""The ``scipy.linalg`` rules against central finite differences.

Each function below composes one ``scipy.linalg`` call (with one keyword case)
with a scalar loss, so that its gradient is not trivial. ``check_grads(...,
order=2)`` differentiates it in reverse mode (joint and split motion) and
forward mode, and every composition of two of them (forward over reverse is
the Hessian-vector product), each against central differences.

The functions that read one triangle of a symmetric input (``cholesky``,
``cho_factor``, ``eigh``, the symmetric ``assume_a`` of ``solve`` and ``inv``)
are differentiated through a function that builds the symmetric input from an
unconstrained one: their rules give the symmetric gradient of the raw input.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import tangent
from tangent.backends.scipy import linalg_helpers
from tangent.testing import check_grads

N = 3
EYE = np.eye(N)
# Weights without structure, so that the eigenvectors' gradient V^T gv is not symmetric
# (a symmetric one would leave the eigenvector term of eigh's rule untested).
EIGENVECTOR_WEIGHTS = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5], [-0.8, 0.9, 0.2]])
LOW_FACTOR = np.array([[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [0.1, -0.3, 1.2]])


def _draws(name: str) -> dict:
    """Seeded random inputs: an unconstrained square ``x``, a well-conditioned
    general ``a``, right-hand sides ``b`` (2-D) and ``v`` (1-D)."""
    rs = np.random.RandomState(sum(map(ord, name)))
    x = rs.randn(N, N)
    return {'x': x, 'a': x + N * EYE, 'b': rs.randn(N, 2), 'v': rs.randn(N),
            'small': 0.3 * x}


def _spd(x):
    return x @ x.T + 3.0 * np.eye(3)


# cholesky -------------------------------------------------------------------

def cholesky_upper(x):
    return np.sum(np.sin(scipy.linalg.cholesky(x @ x.T + 3.0 * np.eye(3))))


def cholesky_lower(x):
    return np.sum(np.sin(scipy.linalg.cholesky(x @ x.T + 3.0 * np.eye(3), lower=True)))


# cho_factor / cho_solve ------------------------------------------------------

def cho_factor_solve_upper(x, b):
    c, low = scipy.linalg.cho_factor(x @ x.T + 3.0 * np.eye(3))
    return np.sum(np.sin(scipy.linalg.cho_solve((c, low), b)))


def cho_factor_solve_lower_vector(x, v):
    factor = scipy.linalg.cho_factor(x @ x.T + 3.0 * np.eye(3), lower=True)
    return np.sum(np.sin(scipy.linalg.cho_solve(factor, v)))


def cho_factor_whole_c(x):
    # Reads c's unused triangle too: a copy of the input's, differentiated as such.
    c, low = scipy.linalg.cho_factor(x @ x.T + 3.0 * np.eye(3), lower=True)
    return np.sum(np.sin(c))


def cho_solve_with_cholesky_factor(x, b):
    low = scipy.linalg.cholesky(x @ x.T + 3.0 * np.eye(3), lower=True)
    return np.sum(np.sin(scipy.linalg.cho_solve((low, True), b)))


def cho_solve_raw_upper_c(c, b):
    # The lower triangle of c is never read: its gradient is zero, and so is its
    # derivative by finite differences.
    return np.sum(np.sin(scipy.linalg.cho_solve((c, False), b)))


def cho_solve_rhs_only(v):
    return np.sum(np.sin(scipy.linalg.cho_solve((LOW_FACTOR, True), v)))


# solve_triangular -------------------------------------------------------------

def solve_triangular_default(a, b):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, b)))


def solve_triangular_lower_trans_t(a, v):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, v, trans='T', lower=True)))


def solve_triangular_trans_1_unit(a, b):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, b, trans=1, unit_diagonal=True)))


def solve_triangular_lower_n_unit(a, v):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, v, trans='N', lower=True,
                                                       unit_diagonal=True)))


def solve_triangular_trans_c(a, b):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, b, trans='C', lower=True)))


def solve_triangular_trans_0(a, b):
    return np.sum(np.sin(scipy.linalg.solve_triangular(a, b, trans=0, lower=True)))


# solve ----------------------------------------------------------------------

def solve_general(a, b):
    return np.sum(np.sin(scipy.linalg.solve(a, b)))


def solve_general_vector(a, v):
    return np.sum(np.sin(scipy.linalg.solve(a, v, assume_a='gen')))


def solve_transposed(a, b):
    return np.sum(np.sin(scipy.linalg.solve(a, b, transposed=True)))


def solve_pos(x, b):
    return np.sum(np.sin(scipy.linalg.solve(x @ x.T + 3.0 * np.eye(3), b, assume_a='pos')))


def solve_pos_lower_vector(x, v):
    return np.sum(np.sin(scipy.linalg.solve(x @ x.T + 3.0 * np.eye(3), v, assume_a='pos',
                                            lower=True)))


def solve_sym_lower(x, b):
    return np.sum(np.sin(scipy.linalg.solve(x + x.T + 6.0 * np.eye(3), b, assume_a='sym',
                                            lower=True)))


def solve_her(x, v):
    return np.sum(np.sin(scipy.linalg.solve(x + x.T + 6.0 * np.eye(3), v, assume_a='her')))


def solve_diagonal(a, b):
    # Reads the diagonal only: the off-diagonal entries have no effect, nor gradient.
    return np.sum(np.sin(scipy.linalg.solve(a, b, assume_a='diagonal')))


def solve_upper_triangular(a, b):
    return np.sum(np.sin(scipy.linalg.solve(a, b, assume_a='upper triangular')))


def solve_lower_triangular_transposed(a, v):
    return np.sum(np.sin(scipy.linalg.solve(a, v, assume_a='lower triangular',
                                            transposed=True)))


# inv, det -------------------------------------------------------------------

def inv_general(a):
    return np.sum(np.sin(scipy.linalg.inv(a)))


def inv_pos(x):
    return np.sum(np.sin(scipy.linalg.inv(x @ x.T + 3.0 * np.eye(3), assume_a='pos')))


def inv_sym_lower(x):
    return np.sum(np.sin(scipy.linalg.inv(x + x.T + 6.0 * np.eye(3), assume_a='sym',
                                          lower=True)))


def inv_lower_triangular(a):
    return np.sum(np.sin(scipy.linalg.inv(a, assume_a='lower triangular')))


def det_general(x):
    return np.sin(scipy.linalg.det(x))


# eigh -----------------------------------------------------------------------

def eigh_values_and_vectors(x):
    # v ** 2 does not depend on the eigenvectors' signs, which LAPACK chooses.
    w, v = scipy.linalg.eigh(x + x.T)
    return np.sum(np.sin(w)) + np.sum(EIGENVECTOR_WEIGHTS * v ** 2)


def eigh_vectors_upper(x):
    w, v = scipy.linalg.eigh(x + x.T, lower=False)
    return np.sum(EIGENVECTOR_WEIGHTS * v ** 2)


def eigh_values_of_pair(x):
    w, v = scipy.linalg.eigh(x @ x.T)
    return np.sum(np.sin(w))


def eigh_eigvals_only(x):
    return np.sum(np.sin(scipy.linalg.eigh(x + x.T, eigvals_only=True)))


# expm, sqrtm, solve_sylvester ------------------------------------------------

def expm_sin(small):
    return np.sum(np.sin(scipy.linalg.expm(small)))


def expm_composed(small):
    return np.sum(scipy.linalg.expm(small) @ scipy.linalg.expm(small.T) * small)


def sqrtm_spd(x):
    return np.sum(np.sin(scipy.linalg.sqrtm(x @ x.T + 3.0 * np.eye(3))))


def sqrtm_general(a):
    return np.sum(np.sin(scipy.linalg.sqrtm(a)))


def solve_sylvester_all(a, x):
    return np.sum(np.sin(scipy.linalg.solve_sylvester(a, x.T + 4.0 * np.eye(3), x)))


# lu_factor / lu_solve --------------------------------------------------------

def lu_factor_solve(a, b):
    return np.sum(np.sin(scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b)))


def lu_factor_solve_trans_1(a, v):
    lu, piv = scipy.linalg.lu_factor(a)
    return np.sum(np.sin(scipy.linalg.lu_solve((lu, piv), v, trans=1)))


def lu_factor_whole_lu(x):
    # x itself (not diagonally dominant), so that the pivots permute rows.
    lu, piv = scipy.linalg.lu_factor(x)
    return np.sum(np.sin(lu))


def lu_solve_raw_lu(a, b):
    piv = np.array([2, 1, 2], dtype=np.int32)
    return np.sum(np.sin(scipy.linalg.lu_solve((a, piv), b, trans=2)))


CASES = [
    (cholesky_upper, 'x'), (cholesky_lower, 'x'),
    (cho_factor_solve_upper, 'x', 'b'), (cho_factor_solve_lower_vector, 'x', 'v'),
    (cho_factor_whole_c, 'x'), (cho_solve_with_cholesky_factor, 'x', 'b'),
    (cho_solve_raw_upper_c, 'a', 'b'), (cho_solve_rhs_only, 'v'),
    (solve_triangular_default, 'a', 'b'), (solve_triangular_lower_trans_t, 'a', 'v'),
    (solve_triangular_trans_1_unit, 'a', 'b'), (solve_triangular_lower_n_unit, 'a', 'v'),
    (solve_triangular_trans_c, 'a', 'b'), (solve_triangular_trans_0, 'a', 'b'),
    (solve_general, 'a', 'b'), (solve_general_vector, 'a', 'v'),
    (solve_transposed, 'a', 'b'), (solve_pos, 'x', 'b'), (solve_pos_lower_vector, 'x', 'v'),
    (solve_sym_lower, 'x', 'b'), (solve_her, 'x', 'v'), (solve_diagonal, 'a', 'b'),
    (solve_upper_triangular, 'a', 'b'), (solve_lower_triangular_transposed, 'a', 'v'),
    (inv_general, 'a'), (inv_pos, 'x'), (inv_sym_lower, 'x'), (inv_lower_triangular, 'a'),
    (det_general, 'x'),
    (eigh_values_and_vectors, 'x'), (eigh_vectors_upper, 'x'), (eigh_values_of_pair, 'x'),
    (eigh_eigvals_only, 'x'),
    (expm_sin, 'small'), (expm_composed, 'small'), (sqrtm_spd, 'x'), (sqrtm_general, 'a'),
    (solve_sylvester_all, 'a', 'x'),
    (lu_factor_solve, 'a', 'b'), (lu_factor_solve_trans_1, 'x', 'v'),
    (lu_factor_whole_lu, 'x'), (lu_solve_raw_lu, 'a', 'b'),
]


@pytest.mark.parametrize('case', CASES, ids=[case[0].__name__ for case in CASES])
def test_rule_to_second_order(case):
    function, *names = case
    draws = _draws(function.__name__)
    check_grads(function, *[draws[name] for name in names], order=2)


# What raises instead of giving a derivative ----------------------------------

def eigh_generalized(x, y):
    return np.sum(scipy.linalg.eigh(x @ x.T + 3.0 * np.eye(3), y @ y.T + 3.0 * np.eye(3),
                                    eigvals_only=True))


def eigh_subset(x):
    return np.sum(scipy.linalg.eigh(x + x.T, eigvals_only=True, subset_by_index=[1, 2]))


def solve_banded_structure(a, b):
    return np.sum(scipy.linalg.solve(a, b, assume_a='tridiagonal'))


def sqrtm_of_negative(a):
    return np.sum(np.real(scipy.linalg.sqrtm(a - 10.0 * np.eye(3))))


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
@pytest.mark.parametrize('function, names, message', [
    # A differentiated b meets the check that every rule differentiates its arguments.
    (eigh_generalized, ('x', 'x'), "generalized|with respect to its argument 'b'"),
    (eigh_subset, ('x',), 'subset_by_index'),
    (solve_banded_structure, ('a', 'b'), 'tridiagonal'),
    (sqrtm_of_negative, ('a',), 'complex'),
], ids=['eigh_generalized', 'eigh_subset', 'solve_tridiagonal', 'sqrtm_complex'])
def test_uncovered_cases_raise(function, names, message, mode):
    draws = _draws(function.__name__)
    args = [draws[name] for name in names]
    extra = [np.ones_like(arg) for arg in args] if mode == 'forward' else [1.0]
    # A complex sqrtm may meet tangent's own refusal of complex values first; the error
    # may come when the derivative is written or when it runs.
    with pytest.raises((NotImplementedError, tangent.errors.ComplexNumberError), match=message):
        derivative = tangent.autodiff(function, wrt=tuple(range(len(args))), mode=mode)
        derivative(*args, *extra)


# Batches: SciPy takes stacks of matrices, the rules one matrix --------------------

# As many matrices as rows: the shapes where the one-matrix formulas silently ran on a
# batch and mixed its matrices (solve, solve_triangular, inv, det, eigh, sqrtm,
# solve_sylvester gave wrong derivatives) rather than fail on a shape.
BATCH = N


def _batch(x):
    """A stack of BATCH well-conditioned matrices built from x (any shape ending in 3 x 3)."""
    return x + np.stack([0.1 * k * np.ones((N, N)) for k in range(BATCH)]) + N * EYE


def cholesky_batch(x):
    return np.sum(scipy.linalg.cholesky(_batch(x) @ np.swapaxes(_batch(x), -1, -2)))


def cho_factor_batch(x):
    c, low = scipy.linalg.cho_factor(_batch(x) @ np.swapaxes(_batch(x), -1, -2))
    return np.sum(c)


def cho_solve_batch_of_right_hand_sides(x, v):
    # One matrix, a batch of right-hand sides: cho_factor is covered, cho_solve is not.
    return np.sum(scipy.linalg.cho_solve(scipy.linalg.cho_factor(x @ x.T + 3.0 * np.eye(3)),
                                         np.stack([v, 2.0 * v, 3.0 * v])[:, :, None]))


def solve_triangular_batch(x, v):
    return np.sum(scipy.linalg.solve_triangular(_batch(x), v, lower=True))


def solve_batch(x, v):
    return np.sum(scipy.linalg.solve(_batch(x), v) * np.arange(1.0, 1.0 + BATCH)[:, None])


def solve_batch_of_right_hand_sides(a, v):
    return np.sum(np.sin(scipy.linalg.solve(a, np.stack([v, 2.0 * v, 3.0 * v])[:, :, None])))


def inv_batch(x):
    return np.sum(np.sin(scipy.linalg.inv(_batch(x))))


def det_batch(x):
    return np.sum(np.sin(scipy.linalg.det(_batch(x))))


def eigh_batch(x):
    return np.sum(np.sin(scipy.linalg.eigh(_batch(x + x.T), eigvals_only=True)))


def expm_batch(small):
    return np.sum(np.sin(scipy.linalg.expm(_batch(small) - N * EYE)))


def sqrtm_batch(x):
    return np.sum(np.sin(scipy.linalg.sqrtm(_batch(x) @ np.swapaxes(_batch(x), -1, -2))))


def solve_sylvester_batch(a, x):
    return np.sum(np.sin(scipy.linalg.solve_sylvester(_batch(a), x.T + 4.0 * np.eye(3), x)))


def lu_factor_batch(a):
    return np.sum(np.sin(scipy.linalg.lu_factor(_batch(a))[0]))


def lu_solve_batch_of_right_hand_sides(a, v):
    return np.sum(np.sin(scipy.linalg.lu_solve(scipy.linalg.lu_factor(a),
                                               np.stack([v, 2.0 * v, 3.0 * v])[:, :, None])))


BATCHED = [
    (cholesky_batch, ('x',), 'cholesky', 'np.linalg.cholesky'),
    (cho_factor_batch, ('x',), 'cho_factor', 'Loop over the batch'),
    (cho_solve_batch_of_right_hand_sides, ('x', 'v'), 'cho_solve', 'Loop over the batch'),
    (solve_triangular_batch, ('x', 'v'), 'solve_triangular', 'Loop over the batch'),
    (solve_batch, ('x', 'v'), 'solve', 'np.linalg.solve'),
    (solve_batch_of_right_hand_sides, ('a', 'v'), 'solve', 'np.linalg.solve'),
    (inv_batch, ('x',), 'inv', 'np.linalg.inv'),
    (det_batch, ('x',), 'det', 'np.linalg.det'),
    (eigh_batch, ('x',), 'eigh', 'np.linalg.eigh'),
    (expm_batch, ('small',), 'expm', 'Loop over the batch'),
    (sqrtm_batch, ('x',), 'sqrtm', 'Loop over the batch'),
    (solve_sylvester_batch, ('a', 'x'), 'solve_sylvester', 'Loop over the batch'),
    (lu_factor_batch, ('a',), 'lu_factor', 'Loop over the batch'),
    (lu_solve_batch_of_right_hand_sides, ('a', 'v'), 'lu_solve', 'Loop over the batch'),
]


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
@pytest.mark.parametrize('function, names, name, way_out', BATCHED,
                         ids=[case[0].__name__ for case in BATCHED])
def test_batched_calls_raise(function, names, name, way_out, mode):
    # The formulas are written for one matrix: on a batch they would mix its matrices
    # into a wrong derivative (they did, for solve, solve_triangular and inv), or fail
    # inside NumPy. They raise, naming the function and the way out.
    draws = _draws(function.__name__)
    args = [draws[arg_name] for arg_name in names]
    function(*args)  # SciPy itself takes the batch
    extra = [np.ones_like(arg) for arg in args] if mode == 'forward' else [1.0]
    derivative = tangent.autodiff(function, wrt=tuple(range(len(args))), mode=mode)
    with pytest.raises(NotImplementedError) as raised:
        derivative(*args, *extra)
    message = str(raised.value)
    assert message.startswith(f'scipy.linalg.{name}: ')
    assert 'one matrix (2-D)' in message and 'not a batch' in message
    assert way_out in message


def test_cho_factor_unused_triangle_is_a_copy_of_the_input():
    # The rule differentiates c's unused triangle as a copy of a's: what LAPACK
    # does, which the rule checks at run time.
    a = _spd(_draws('copy')['x'])
    for lower in (False, True):
        c, _ = scipy.linalg.cho_factor(a, lower=lower)
        unused = np.triu(np.ones((N, N)), 1) if lower else np.tril(np.ones((N, N)), -1)
        assert np.array_equal(c * unused, a * unused)
        factor = np.tril(c) if lower else np.triu(c)
        assert np.allclose(factor @ factor.T if lower else factor.T @ factor, a)


def test_cho_factor_other_garbage_raises():
    a = _spd(_draws('garbage')['x'])
    c, lower = scipy.linalg.cho_factor(a)
    with pytest.raises(NotImplementedError, match='unused triangle'):
        linalg_helpers.linalg_cho_factor_unused(c + np.tril(np.ones((N, N)), -1), a, lower)


def test_scipy_has_no_slogdet():
    # Nothing to differentiate: NumPy's slogdet has its own rules.
    assert not hasattr(scipy.linalg, 'slogdet')


# The symmetric convention on a raw input ---------------------------------------

def cholesky_raw(a):
    return np.sum(np.sin(scipy.linalg.cholesky(a)))


def cho_factor_solve_raw(a):
    return np.sum(np.sin(scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), np.ones(3))))


def eigh_raw(a):
    w, v = scipy.linalg.eigh(a)
    return np.sum(np.sin(w)) + np.sum(EIGENVECTOR_WEIGHTS * v ** 2)


def solve_pos_raw(a):
    return np.sum(np.sin(scipy.linalg.solve(a, np.ones(3), assume_a='pos')))


def inv_sym_raw(a):
    return np.sum(np.sin(scipy.linalg.inv(a, assume_a='sym', lower=True)))


@pytest.mark.parametrize('function', [cholesky_raw, cho_factor_solve_raw, eigh_raw,
                                      solve_pos_raw, inv_sym_raw],
                         ids=lambda function: function.__name__)
def test_symmetric_input_gets_the_symmetric_gradient(function):
    # The raw input stands for a symmetric matrix: the gradient is symmetric, and
    # its inner product with a symmetric direction is the derivative along it.
    draws = _draws(function.__name__)
    a = _spd(draws['x'])
    direction = draws['b'] @ draws['b'].T + np.diag(draws['v'])
    gradient = tangent.grad(function)(a)
    assert np.allclose(gradient, gradient.T, rtol=0.0, atol=1e-12)
    eps = 1e-6
    along = (function(a + eps * direction) - function(a - eps * direction)) / (2.0 * eps)
    assert np.isclose(np.sum(gradient * direction), along, rtol=1e-6, atol=1e-8)
    tangent_along = tangent.autodiff(function, mode='forward')(a, direction)
    assert np.isclose(tangent_along, along, rtol=1e-6, atol=1e-8)
    skew = draws['x'] - draws['x'].T
    assert np.isclose(tangent.autodiff(function, mode='forward')(a, skew), 0.0, atol=1e-12)


def eigenvalues_at_a_repeated_eigenvalue(x):
    values, _ = scipy.linalg.eigh(np.outer(x, x) + 2.0 * np.eye(3))  # 2 twice
    return np.sum(values ** 2)


@pytest.mark.filterwarnings('ignore::RuntimeWarning')  # forward mode's eigenvector tangents
def test_eigh_eigenvalues_at_a_repeated_eigenvalue():
    check_grads(eigenvalues_at_a_repeated_eigenvalue, np.array([0.3, -0.5, 0.8]),
                modes=('reverse', 'forward'), order=1)

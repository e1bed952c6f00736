"""The helpers the ``scipy.linalg`` rules call as ``tangent.<name>``.

Matrices are 2-D and right-hand sides ``b`` of the solvers 1-D or 2-D: SciPy
also takes batches of stacked matrices (and of right-hand sides), which the
formulas here would silently get wrong, so every rule checks its arrays with
``linalg_one_matrix`` first and raises for a batch.

Two kinds of helper live here:

- formulas (``scipy_*``): written only with NumPy operations and
  ``scipy.linalg`` functions that have rules, so that tangent can differentiate
  them from their source again, which is how Hessian-vector products and the
  other second-order compositions go through these rules;
- choices (``linalg_*``): which triangle a function reads, which flag means a
  transpose. Their results are masks, strings and booleans that carry no
  derivative (they are declared non-differentiable in ``linalg``), and they raise
  the clear errors for the cases without a derivative.

Conventions for inputs read through one triangle (``cholesky``, ``cho_factor``,
``eigh``, ``solve``/``inv`` with ``assume_a`` 'sym', 'her' or 'pos'): the
function stands for a symmetric matrix, and its derivative is taken along
symmetric perturbations. The gradient returned for the raw input is the
symmetric one, ``(G + G^T) / 2``, and a tangent of the raw input is symmetrised
first; both agree with finite differences of any function that builds the
symmetric input itself (``cholesky(x @ x.T + eye)``). This is the convention of
tangent's ``np.linalg.cholesky`` and ``np.linalg.eigh`` rules, whose formulas the
Cholesky ones here follow (with triangular solves in place of inverses).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

__all__: list[str] = [
    'linalg_one_matrix', 'linalg_structure', 'linalg_transposes', 'linalg_triangle_mask',
    'linalg_cho_factor_unused', 'linalg_eigh_supported', 'linalg_real_root',
    'scipy_symmetric_part', 'scipy_structured', 'scipy_outer_product',
    'scipy_cholesky_gradient', 'scipy_cholesky_tangent',
    'scipy_cho_factor_gradient', 'scipy_cho_factor_tangent',
    'scipy_cho_solve_gradients', 'scipy_cho_solve_tangent',
    'scipy_solve_triangular_gradients', 'scipy_solve_triangular_tangent',
    'scipy_solve_gradients', 'scipy_solve_tangent', 'scipy_inv_gradient',
    'scipy_eigh_gradient', 'scipy_eigh_tangent', 'scipy_expm_frechet',
    'scipy_sylvester_gradients', 'scipy_sylvester_tangent',
    'linalg_lu_permutation', 'scipy_lu_factor_gradient', 'scipy_lu_factor_tangent',
    'scipy_lu_solve_gradients', 'scipy_lu_solve_tangent',
]

_STRUCTURES = {
    None: 'general', 'gen': 'general', 'general': 'general',
    'sym': 'symmetric', 'symmetric': 'symmetric', 'her': 'symmetric', 'hermitian': 'symmetric',
    'pos': 'symmetric', 'positive definite': 'symmetric',
    'upper triangular': 'upper', 'lower triangular': 'lower', 'diagonal': 'diagonal',
}


# Choices: no derivative ------------------------------------------------------

# Where a function's batches can go instead: NumPy's namesake, whose rules
# differentiate stacks of matrices.
_BATCHED_IN_NUMPY = {'solve': 'np.linalg.solve', 'inv': 'np.linalg.inv', 'det': 'np.linalg.det',
                     'eigh': 'np.linalg.eigh', 'cholesky': 'np.linalg.cholesky'}
# What differs in NumPy's namesake.
_NUMPY_DIFFERENCE = {'cholesky': " (with upper=True for SciPy's default upper factor)"}
_SOLVERS = ('solve', 'solve_triangular', 'cho_solve', 'lu_solve')


def linalg_one_matrix(function: str, *arrays: Any) -> bool:
    """Raise unless each of ``arrays`` (the matrices, right-hand sides and results
    of ``scipy.linalg.<function>``) has at most 2 dimensions: the rules are written
    for one matrix, and on a batch their transposes, outer products and traces
    would mix the matrices of the batch into a wrong derivative."""
    for array in arrays:
        if np.ndim(array) > 2:
            namesake = _BATCHED_IN_NUMPY.get(function)
            way_out = (f'Use {namesake}, which tangent differentiates over batches'
                       f'{_NUMPY_DIFFERENCE.get(function, "")}, or loop over the batch'
                       if namesake else 'Loop over the batch')
            right_hand_side = (' with a right-hand side of 1 or 2 dimensions'
                               if function in _SOLVERS else '')
            raise NotImplementedError(
                f'scipy.linalg.{function}: tangent differentiates it for one matrix (2-D)'
                f'{right_hand_side}, not a batch; here an argument has shape '
                f'{np.shape(array)}. {way_out}, calling scipy.linalg.{function} on one '
                f'matrix at a time.')
    return True


def linalg_structure(assume_a: Any, function: str) -> str:
    """What ``assume_a`` makes ``function`` read of its matrix: 'general' (all of
    it), 'symmetric' (one triangle, standing for a symmetric matrix), 'upper',
    'lower' or 'diagonal' (that part only)."""
    structure = _STRUCTURES.get(assume_a) if isinstance(assume_a, (str, type(None))) else None
    if structure is None:
        raise NotImplementedError(
            f'the derivative of scipy.linalg.{function} covers assume_a=None, '
            f"'gen', 'sym', 'her', 'pos', 'diagonal', 'upper triangular' and "
            f"'lower triangular', not {assume_a!r} (banded and tridiagonal solvers "
            f'read a band of the matrix whose derivative is not written)')
    return structure


def linalg_transposes(trans: Any) -> bool:
    """Whether ``solve_triangular``'s ``trans`` solves with the transpose (1, 2,
    'T', 'C': the conjugate transpose of a real matrix is its transpose)."""
    if isinstance(trans, str) and trans in ('N', 'T', 'C'):
        return trans != 'N'
    if not isinstance(trans, str) and trans in (0, 1, 2):
        return trans != 0
    raise ValueError(f"scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or "
                     f"'C', got {trans!r}")


def linalg_triangle_mask(a: Any, lower: bool, unit_diagonal: bool) -> np.ndarray:
    """Ones where ``solve_triangular`` reads ``a``: its triangle, without the
    diagonal when ``unit_diagonal`` (the diagonal is taken to be ones then)."""
    n = np.shape(a)[-1]
    ones = np.ones((n, n))
    offset = -1 if lower else 1
    if lower:
        return np.tril(ones, offset if unit_diagonal else 0)
    return np.triu(ones, offset if unit_diagonal else 0)


def linalg_cho_factor_unused(c: Any, a: Any, lower: bool) -> np.ndarray:
    """Ones on the triangle of ``cho_factor``'s ``c`` that is not the factor.

    SciPy calls those entries arbitrary; in fact LAPACK leaves them as it found
    them, a copy of ``a``'s, and so their derivative is the identity. This checks
    that they are, so that a future SciPy that fills them otherwise raises here
    instead of giving a wrong derivative.
    """
    n = np.shape(a)[-1]
    unused = np.triu(np.ones((n, n)), 1) if lower else np.tril(np.ones((n, n)), -1)
    if not np.array_equal(np.asarray(c) * unused, np.asarray(a) * unused):
        raise NotImplementedError(
            'the derivative of scipy.linalg.cho_factor assumes the unused triangle of c '
            "holds a's entries (as LAPACK leaves it); here it does not (overwrite_a=True "
            'with a reused array?), so that triangle has no derivative. Use '
            'scipy.linalg.cholesky for a clean factor.')
    return unused


def linalg_eigh_supported(b: Any, subset_by_index: Any, subset_by_value: Any) -> bool:
    """Raise for the ``eigh`` calls whose derivative is not written."""
    if b is not None:
        raise NotImplementedError('the derivative of scipy.linalg.eigh covers the standard '
                                  'problem (b=None), not the generalized one')
    if subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError('the derivative of scipy.linalg.eigh covers all '
                                  'eigenvalues, not subset_by_index or subset_by_value')
    return True


def linalg_real_root(s: Any) -> bool:
    """Raise for a complex ``sqrtm`` result, whose derivative is not written."""
    if np.iscomplexobj(s):
        raise NotImplementedError(
            'the derivative of scipy.linalg.sqrtm covers real square roots only (a matrix '
            'without negative real eigenvalues); this one is complex')
    return True


def linalg_lu_permutation(lu: Any, piv: Any) -> np.ndarray:
    """The permutation matrix ``P`` of ``lu_factor``'s pivots: ``P @ a = L @ U``.
    LAPACK's ``piv[i]`` is the row that row ``i`` was swapped with, in turn."""
    rows, columns = np.shape(lu)
    if rows != columns:
        raise NotImplementedError('the derivative of scipy.linalg.lu_factor and lu_solve '
                                  f'covers square matrices, not {rows}x{columns}')
    order = np.arange(rows)
    for i, j in enumerate(np.asarray(piv)):
        order[[i, j]] = order[[j, i]]
    return np.eye(rows)[order]


# Formulas: differentiable from source ----------------------------------------

def scipy_symmetric_part(m: Any) -> Any:
    """``(M + M^T) / 2``."""
    return 0.5 * (m + np.transpose(m))


def scipy_structured(m: Any, structure: str) -> Any:
    """``m`` (a gradient or a tangent of a raw matrix) restricted to what a
    function reads of its matrix under ``structure`` (see ``linalg_structure``)."""
    if structure == 'symmetric':
        return scipy_symmetric_part(m)
    if structure == 'upper':
        return np.triu(m)
    if structure == 'lower':
        return np.tril(m)
    if structure == 'diagonal':
        return np.diag(np.diag(m))
    return m


def scipy_outer_product(u: Any, v: Any) -> Any:
    """``u v^T`` for columns (1-D) or for matrices of columns (2-D)."""
    if np.ndim(u) == 1:
        return np.outer(u, v)
    return u @ np.transpose(v)


def _lower_with_half_diagonal(m: Any) -> Any:
    """``tril(m)`` with its diagonal halved: the map Phi of the Cholesky derivative."""
    return np.tril(m) - 0.5 * np.diag(np.diag(m))


def _lower_cholesky_gradient(g: Any, low: Any) -> Any:
    """The gradient of ``low = cholesky(a, lower=True)`` in (symmetric) ``a``:
    ``L^-T Phi(L^T tril(G)) L^-1``, symmetrised."""
    inner = _lower_with_half_diagonal(np.transpose(low) @ np.tril(g))
    left = scipy.linalg.solve_triangular(low, inner, trans='T', lower=True)
    both = np.transpose(scipy.linalg.solve_triangular(low, np.transpose(left), trans='T',
                                                      lower=True))
    return scipy_symmetric_part(both)


def _lower_cholesky_tangent(da: Any, low: Any) -> Any:
    """The tangent of ``low = cholesky(a, lower=True)`` along symmetric ``da``:
    ``L Phi(L^-1 dA L^-T)``."""
    left = scipy.linalg.solve_triangular(low, da, lower=True)
    both = scipy.linalg.solve_triangular(low, np.transpose(left), lower=True)
    return low @ _lower_with_half_diagonal(both)


def scipy_cholesky_gradient(g: Any, factor: Any, lower: bool) -> Any:
    """The gradient of ``factor = cholesky(a, lower)`` in (symmetric) ``a``; the
    upper factor is the lower one transposed."""
    linalg_one_matrix('cholesky', factor)
    if lower:
        return _lower_cholesky_gradient(g, factor)
    return _lower_cholesky_gradient(np.transpose(g), np.transpose(factor))


def scipy_cholesky_tangent(da: Any, factor: Any, lower: bool) -> Any:
    """The tangent of ``factor = cholesky(a, lower)`` along ``da`` (symmetrised)."""
    linalg_one_matrix('cholesky', factor)
    da = scipy_symmetric_part(da + np.zeros(np.shape(factor)))
    if lower:
        return _lower_cholesky_tangent(da, factor)
    return np.transpose(_lower_cholesky_tangent(da, np.transpose(factor)))


def _cho_factor_part(c: Any, lower: bool) -> Any:
    if lower:
        return np.tril(c)
    return np.triu(c)


def scipy_cho_factor_gradient(seed: Any, result: Any, a: Any, lower: bool) -> Any:
    """The gradient of ``(c, lower) = cho_factor(a, lower)`` in (symmetric) ``a``:
    the factor's triangle by the Cholesky rule, the other triangle (a copy of
    ``a``'s) by the identity."""
    linalg_one_matrix('cho_factor', a)
    c = result[0]
    gc = seed[0]
    unused = linalg_cho_factor_unused(c, a, lower)
    through_factor = scipy_cholesky_gradient(gc, _cho_factor_part(c, lower), lower)
    return through_factor + scipy_symmetric_part(unused * gc)


def scipy_cho_factor_tangent(da: Any, result: Any, a: Any, lower: bool) -> tuple:
    """The tangent of ``(c, lower) = cho_factor(a, lower)`` along ``da``
    (symmetrised); the flag ``lower`` has none."""
    linalg_one_matrix('cho_factor', a)
    c = result[0]
    unused = linalg_cho_factor_unused(c, a, lower)
    dc = scipy_cholesky_tangent(da, _cho_factor_part(c, lower), lower)
    return dc + unused * scipy_symmetric_part(da), 0.0


def scipy_cho_solve_gradients(g: Any, x: Any, c_and_lower: Any) -> tuple:
    """The gradients of ``x = cho_solve((c, lower), b)``: ``((gc, 0.0), gb)``.

    Only the factor's triangle of ``c`` is read, so only it has a gradient.
    """
    linalg_one_matrix('cho_solve', c_and_lower[0], x)
    c = c_and_lower[0]
    lower = c_and_lower[1]
    gb = scipy.linalg.cho_solve(c_and_lower, g)
    ga = -scipy_outer_product(gb, x)
    ga = ga + np.transpose(ga)
    if lower:
        gc = np.tril(ga @ np.tril(c))
    else:
        gc = np.triu(np.triu(c) @ ga)
    return (gc, 0.0), gb


def scipy_cho_solve_tangent(dc: Any, db: Any, x: Any, c_and_lower: Any) -> Any:
    """The tangent of ``x = cho_solve((c, lower), b)`` along ``dc`` (the tangent of
    ``c``, not of the tuple) and ``db``."""
    linalg_one_matrix('cho_solve', c_and_lower[0], x)
    c = c_and_lower[0]
    lower = c_and_lower[1]
    factor = _cho_factor_part(c, lower)
    dfactor = _cho_factor_part(dc + np.zeros_like(factor), lower)
    if lower:
        da = dfactor @ np.transpose(factor) + factor @ np.transpose(dfactor)
    else:
        da = np.transpose(dfactor) @ factor + np.transpose(factor) @ dfactor
    return scipy.linalg.cho_solve(c_and_lower, db - da @ x)


def scipy_solve_triangular_gradients(g: Any, x: Any, a: Any, trans: Any, lower: bool,
                                     unit_diagonal: bool) -> tuple:
    """The gradients of ``x = solve_triangular(a, b, trans, lower, unit_diagonal)``
    in ``a`` (on the entries it reads) and ``b``."""
    linalg_one_matrix('solve_triangular', a, x)
    transposed = linalg_transposes(trans)
    flipped = 'N' if transposed else 'T'
    gb = scipy.linalg.solve_triangular(a, g, trans=flipped, lower=lower,
                                       unit_diagonal=unit_diagonal)
    g_operator = -scipy_outer_product(gb, x)
    if transposed:
        g_operator = np.transpose(g_operator)
    return linalg_triangle_mask(a, lower, unit_diagonal) * g_operator, gb


def scipy_solve_triangular_tangent(da: Any, db: Any, x: Any, a: Any, trans: Any, lower: bool,
                                   unit_diagonal: bool) -> Any:
    """The tangent of ``x = solve_triangular(a, b, trans, lower, unit_diagonal)``."""
    linalg_one_matrix('solve_triangular', a, x)
    d_operator = linalg_triangle_mask(a, lower, unit_diagonal) * da
    if linalg_transposes(trans):
        d_operator = np.transpose(d_operator)
    return scipy.linalg.solve_triangular(a, db - d_operator @ x, trans=trans, lower=lower,
                                         unit_diagonal=unit_diagonal)


def scipy_solve_gradients(g: Any, x: Any, a: Any, lower: bool, assume_a: Any,
                          transposed: bool) -> tuple:
    """The gradients of ``x = solve(a, b, lower=..., assume_a=..., transposed=...)``
    in ``a`` (restricted to what ``assume_a`` reads of it) and ``b``."""
    linalg_one_matrix('solve', a, x)
    structure = linalg_structure(assume_a, 'solve')
    gb = scipy.linalg.solve(a, g, lower=lower, assume_a=assume_a, transposed=not transposed)
    ga = -scipy_outer_product(gb, x)
    if transposed:
        ga = np.transpose(ga)
    return scipy_structured(ga, structure), gb


def scipy_solve_tangent(da: Any, db: Any, x: Any, a: Any, lower: bool, assume_a: Any,
                        transposed: bool) -> Any:
    """The tangent of ``x = solve(a, b, lower=..., assume_a=..., transposed=...)``."""
    linalg_one_matrix('solve', a, x)
    d_operator = scipy_structured(da + np.zeros(np.shape(a)), linalg_structure(assume_a, 'solve'))
    if transposed:
        d_operator = np.transpose(d_operator)
    return scipy.linalg.solve(a, db - d_operator @ x, lower=lower, assume_a=assume_a,
                              transposed=transposed)


def scipy_inv_gradient(g: Any, y: Any, assume_a: Any) -> Any:
    """The gradient of ``y = inv(a, assume_a=...)`` in what it reads of ``a``."""
    linalg_one_matrix('inv', y)
    y_t = np.transpose(y)
    return scipy_structured(-(y_t @ g @ y_t), linalg_structure(assume_a, 'inv'))


def _eigenvalue_gap_inverses(w: Any) -> Any:
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (distinct w)."""
    ones = np.ones(np.shape(w))
    eye = np.eye(np.shape(w)[0])
    gaps = np.outer(ones, w) - np.outer(w, ones) + eye
    return (1.0 - eye) / gaps


def scipy_eigh_gradient(seed: Any, result: Any, a: Any, lower: bool,
                        eigvals_only: bool) -> Any:
    """The gradient of ``eigh(a)`` in (symmetric) ``a``, for the seed of ``(w, v)``, or
    of ``w`` when ``eigvals_only`` (eigenvalues distinct where eigenvectors are read)."""
    linalg_one_matrix('eigh', a)
    if eigvals_only:
        v = scipy.linalg.eigh(a, lower=lower)[1]
        return v @ np.diag(seed + np.zeros(np.shape(result))) @ np.transpose(v)
    w = result[0]
    v = result[1]
    gw = seed[0] + np.zeros(np.shape(w))
    gv = seed[1] + np.zeros(np.shape(v))
    v_t = np.transpose(v)
    inner = np.diag(gw)
    if np.any(gv):  # with no eigenvector read, repeated eigenvalues keep a gradient
        inner = inner + _eigenvalue_gap_inverses(w) * (v_t @ gv)
    return scipy_symmetric_part(v @ inner @ v_t)


def scipy_eigh_tangent(da: Any, result: Any, a: Any, lower: bool, eigvals_only: bool) -> Any:
    """The tangent of ``eigh(a)`` (distinct eigenvalues) along ``da``
    (symmetrised): ``(dw, dv)``, or ``dw`` when ``eigvals_only``."""
    linalg_one_matrix('eigh', a)
    if eigvals_only:
        v = scipy.linalg.eigh(a, lower=lower)[1]
        return np.diag(np.transpose(v) @ scipy_symmetric_part(da) @ v)
    w = result[0]
    v = result[1]
    projected = np.transpose(v) @ scipy_symmetric_part(da) @ v
    return np.diag(projected), v @ (_eigenvalue_gap_inverses(w) * projected)


def scipy_expm_frechet(a: Any, e: Any) -> Any:
    """The Fréchet derivative of the matrix exponential at ``a`` along ``e``: the
    upper right block of ``expm([[a, e], [0, a]])``. Its adjoint is the same at
    ``a^T``, and being made of ``expm`` it is differentiable again."""
    linalg_one_matrix('expm', a)
    n = np.shape(a)[-1]
    e = e + np.zeros(np.shape(a))
    top = np.concatenate([a, e], axis=1)
    bottom = np.concatenate([np.zeros(np.shape(a)), a], axis=1)
    return scipy.linalg.expm(np.concatenate([top, bottom], axis=0))[:n, n:]


def scipy_sylvester_gradients(g: Any, x: Any, a: Any, b: Any) -> tuple:
    """The gradients of ``x = solve_sylvester(a, b, q)`` (``a x + x b = q``) in
    ``a``, ``b`` and ``q``."""
    linalg_one_matrix('solve_sylvester', a, b, x)
    gq = scipy.linalg.solve_sylvester(np.transpose(a), np.transpose(b), g)
    return -(gq @ np.transpose(x)), -(np.transpose(x) @ gq), gq


def scipy_sylvester_tangent(da: Any, db: Any, dq: Any, x: Any, a: Any, b: Any) -> Any:
    """The tangent of ``x = solve_sylvester(a, b, q)``."""
    linalg_one_matrix('solve_sylvester', a, b, x)
    zeros = np.zeros(np.shape(x))
    rhs = dq - (da + zeros) @ x - x @ (db + zeros)
    return scipy.linalg.solve_sylvester(a, b, rhs)


def _lu_factors(lu: Any) -> tuple:
    """L (unit lower) and U (upper) of ``lu_factor``'s combined ``lu``."""
    return np.tril(lu, -1) + np.eye(np.shape(lu)[0]), np.triu(lu)


def _times_inverse_of_upper(m: Any, lu: Any) -> Any:
    """``m @ inv(U)`` for the U of ``lu``."""
    return np.transpose(scipy.linalg.solve_triangular(lu, np.transpose(m), trans='T'))


def scipy_lu_factor_gradient(seed: Any, result: Any, a: Any) -> Any:
    """The gradient of ``(lu, piv) = lu_factor(a)`` (square, nonsingular) in ``a``.

    With ``P a = L U`` and ``M = L^-1 P da U^-1``, ``dL = L tril(M, -1)`` and
    ``dU = triu(M) U``; the gradient is that map transposed.
    """
    linalg_one_matrix('lu_factor', a)
    lu = result[0]
    g = seed[0] + np.zeros(np.shape(lu))
    low, up = _lu_factors(lu)
    inner = np.tril(np.transpose(low) @ np.tril(g, -1), -1) + np.triu(g @ np.transpose(up))
    # L^-T inner U^-T, then undo the row permutation.
    left = scipy.linalg.solve_triangular(lu, inner, trans='T', lower=True, unit_diagonal=True)
    g_permuted = np.transpose(scipy.linalg.solve_triangular(lu, np.transpose(left)))
    return np.transpose(linalg_lu_permutation(lu, result[1])) @ g_permuted


def scipy_lu_factor_tangent(da: Any, result: Any, a: Any) -> tuple:
    """The tangent of ``(lu, piv) = lu_factor(a)``: ``(dlu, zeros)``, the
    pivots being piecewise constant."""
    linalg_one_matrix('lu_factor', a)
    lu = result[0]
    piv = result[1]
    low, up = _lu_factors(lu)
    da_permuted = linalg_lu_permutation(lu, piv) @ (da + np.zeros(np.shape(lu)))
    left = scipy.linalg.solve_triangular(lu, da_permuted, lower=True, unit_diagonal=True)
    m = _times_inverse_of_upper(left, lu)
    return low @ np.tril(m, -1) + np.triu(m) @ up, np.zeros(np.shape(piv))


def scipy_lu_solve_gradients(g: Any, x: Any, lu_and_piv: Any, trans: int) -> tuple:
    """The gradients of ``x = lu_solve((lu, piv), b, trans)``: ``((glu, zeros), gb)``."""
    linalg_one_matrix('lu_solve', lu_and_piv[0], x)
    lu = lu_and_piv[0]
    transposed = linalg_transposes(trans)
    gb = scipy.linalg.lu_solve(lu_and_piv, g, trans=0 if transposed else 1)
    ga = -scipy_outer_product(gb, x)
    if transposed:
        ga = np.transpose(ga)
    low, up = _lu_factors(lu)
    # a = P^T L U.
    g_lu_product = linalg_lu_permutation(lu, lu_and_piv[1]) @ ga
    glu = np.tril(g_lu_product @ np.transpose(up), -1) + np.triu(np.transpose(low) @ g_lu_product)
    return (glu, np.zeros(np.shape(lu_and_piv[1]))), gb


def scipy_lu_solve_tangent(dlu: Any, db: Any, x: Any, lu_and_piv: Any, trans: int) -> Any:
    """The tangent of ``x = lu_solve((lu, piv), b, trans)`` along ``dlu`` (the
    tangent of ``lu``, not of the tuple) and ``db``."""
    linalg_one_matrix('lu_solve', lu_and_piv[0], x)
    lu = lu_and_piv[0]
    low, up = _lu_factors(lu)
    dlu = dlu + np.zeros(np.shape(lu))
    da = np.transpose(linalg_lu_permutation(lu, lu_and_piv[1])) @ (
        np.tril(dlu, -1) @ up + low @ np.triu(dlu))
    if linalg_transposes(trans):
        da = np.transpose(da)
    return scipy.linalg.lu_solve(lu_and_piv, db - da @ x, trans=trans)

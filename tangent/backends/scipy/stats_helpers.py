"""The helpers the ``scipy.stats`` rules call as ``tangent.<name>``.

The slopes are the derivatives of a log-density with respect to its value
``x``; the location and scale partials follow from them (``stats`` explains
how). They are plain NumPy (and ``scipy.special``), so that tangent differentiates them from their
source when a derivative of a derivative needs them.

The multivariate helpers take scipy's argument shapes as scipy reads them:
``multivariate_normal`` reads a scalar covariance as a multiple of the
identity, a vector as the diagonal and, of a matrix, only the lower triangle;
``dirichlet`` reads the components along the first axis of ``x``, the last
one implied when ``x`` has one row fewer than ``alpha``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tangent.errors import ForwardNotImplementedError, ReverseNotImplementedError

__all__ = [
    'stats_no_adjoint', 'stats_no_tangent', 'stats_frozen_distribution',
    'stats_nan_where_infinite',
    'stats_norm_slope', 'stats_t_slope', 'stats_gamma_slope', 'stats_beta_slope',
    'stats_chi2_slope', 'stats_laplace_slope', 'stats_logistic_slope',
    'stats_t_df_score', 'stats_gamma_a_score', 'stats_beta_a_score', 'stats_beta_b_score',
    'stats_chi2_df_score', 'stats_poisson_mu_score',
    'stats_mvn_x_gradient', 'stats_mvn_mean_gradient', 'stats_mvn_cov_gradient',
    'stats_mvn_x_tangent', 'stats_mvn_mean_tangent', 'stats_mvn_cov_tangent',
    'stats_dirichlet_x_gradient', 'stats_dirichlet_alpha_gradient',
    'stats_dirichlet_x_tangent', 'stats_dirichlet_alpha_tangent',
]

_NO_CLOSED_FORM = ('its partial derivative with respect to {parameter} has no closed form '
                   'tangent implements')
_NO_CLOSED_FORM_ADVICE = ('Differentiate with respect to the other arguments only (pass '
                          '{parameter} as a constant, or leave it out of wrt).')


def stats_no_adjoint(function: str, parameter: str) -> Any:
    """Raise: the reverse rule of ``function`` reached a parameter it cannot
    differentiate (called only when that parameter's gradient is needed)."""
    raise ReverseNotImplementedError(
        function, _NO_CLOSED_FORM.format(parameter=parameter),
        _NO_CLOSED_FORM_ADVICE.format(parameter=parameter))


def stats_no_tangent(function: str, parameter: str, parameter_tangent: Any) -> Any:
    """Raise: the forward rule of ``function`` got a tangent for a parameter it
    cannot differentiate (forward mode drops this call when that tangent is zero)."""
    raise ForwardNotImplementedError(
        function, _NO_CLOSED_FORM.format(parameter=parameter),
        _NO_CLOSED_FORM_ADVICE.format(parameter=parameter))


def stats_frozen_distribution(*parameters: Any) -> Any:
    """Raise: a frozen distribution (``norm(loc, scale)``) was differentiated."""
    raise ReverseNotImplementedError(
        'a frozen scipy.stats distribution',
        'tangent differentiates the methods of the distribution objects, '
        'such as scipy.stats.norm.logpdf(x, loc, scale)',
        'Call the method with the parameters instead of freezing them: '
        'norm.logpdf(x, loc, scale), not norm(loc, scale).logpdf(x).')


def stats_nan_where_infinite(log_density: Any) -> Any:
    """1 where ``log_density`` is finite, NaN where it is ``-inf`` (outside the
    support): a factor that keeps a derivative from inventing a slope there."""
    return np.where(np.isfinite(log_density), 1.0, np.nan)


# Slopes: d logpdf / dx of the location-scale families ------------------------


def stats_norm_slope(x: Any, loc: Any, scale: Any) -> Any:
    """``d/dx norm.logpdf(x, loc, scale)``."""
    return -(x - loc) / (scale * scale)


def stats_t_slope(x: Any, df: Any, loc: Any, scale: Any) -> Any:
    """``d/dx t.logpdf(x, df, loc, scale)``."""
    deviation = x - loc
    return -(df + 1.0) * deviation / (df * scale * scale + deviation * deviation)


def stats_gamma_slope(x: Any, a: Any, loc: Any, scale: Any) -> Any:
    """``d/dx gamma.logpdf(x, a, loc, scale)``."""
    return (a - 1.0) / (x - loc) - 1.0 / scale


def stats_beta_slope(x: Any, a: Any, b: Any, loc: Any, scale: Any) -> Any:
    """``d/dx beta.logpdf(x, a, b, loc, scale)``."""
    return (a - 1.0) / (x - loc) - (b - 1.0) / (loc + scale - x)


def stats_chi2_slope(x: Any, df: Any, loc: Any, scale: Any) -> Any:
    """``d/dx chi2.logpdf(x, df, loc, scale)``: a gamma with ``a = df / 2``, scale 2."""
    return (0.5 * df - 1.0) / (x - loc) - 0.5 / scale


def stats_laplace_slope(x: Any, loc: Any, scale: Any) -> Any:
    """``d/dx laplace.logpdf(x, loc, scale)`` (0 at the kink, where it is undefined)."""
    return -np.sign(x - loc) / scale


def stats_logistic_slope(x: Any, loc: Any, scale: Any) -> Any:
    """``d/dx logistic.logpdf(x, loc, scale)``: the log-density is
    ``-z - 2 log(1 + exp(-z))``, whose slope in ``z`` is ``-tanh(z / 2)``."""
    return -np.tanh(0.5 * (x - loc) / scale) / scale


# Scores: d logpdf / d(shape parameter) ----------------------------------------


def stats_t_df_score(x: Any, df: Any, loc: Any, scale: Any) -> Any:
    """``d/d df t.logpdf(x, df, loc, scale)``."""
    z2 = ((x - loc) / scale) ** 2
    half_digamma_gap = 0.5 * (special.digamma(0.5 * (df + 1.0)) - special.digamma(0.5 * df))
    return (half_digamma_gap - 0.5 / df - 0.5 * np.log1p(z2 / df)
            + 0.5 * (df + 1.0) * z2 / (df * (df + z2)))


def stats_gamma_a_score(x: Any, a: Any, loc: Any, scale: Any) -> Any:
    """``d/da gamma.logpdf(x, a, loc, scale)``."""
    return np.log((x - loc) / scale) - special.digamma(a)


def stats_beta_a_score(x: Any, a: Any, b: Any, loc: Any, scale: Any) -> Any:
    """``d/da beta.logpdf(x, a, b, loc, scale)``."""
    return np.log((x - loc) / scale) - special.digamma(a) + special.digamma(a + b)


def stats_beta_b_score(x: Any, a: Any, b: Any, loc: Any, scale: Any) -> Any:
    """``d/db beta.logpdf(x, a, b, loc, scale)``."""
    return np.log((loc + scale - x) / scale) - special.digamma(b) + special.digamma(a + b)


def stats_chi2_df_score(x: Any, df: Any, loc: Any, scale: Any) -> Any:
    """``d/d df chi2.logpdf(x, df, loc, scale)``."""
    return 0.5 * (np.log(0.5 * (x - loc) / scale) - special.digamma(0.5 * df))


def stats_poisson_mu_score(k: Any, mu: Any, loc: Any) -> Any:
    """``d/d mu poisson.logpmf(k, mu, loc)``."""
    return (k - loc) / mu - 1.0


# multivariate_normal ----------------------------------------------------------


def _mvn_dimension(mean: Any, cov: Any) -> int:
    """The dimension scipy infers: the mean's size, else a covariance matrix's."""
    if mean is not None:
        return np.size(mean)
    return np.shape(cov)[0] if np.ndim(cov) == 2 else 1


def _mvn_check(mean: Any, cov: Any) -> None:
    if mean is not None and np.ndim(mean) > 1 or np.ndim(cov) > 2:
        raise NotImplementedError(
            'the derivative of scipy.stats.multivariate_normal.logpdf/pdf covers a mean '
            'vector (or scalar) and a covariance scalar, vector or matrix, as scipy does; '
            'got a mean of shape %s and a covariance of shape %s'
            % (np.shape(mean), np.shape(cov)))


def _mvn_rows(x: Any, dim: int) -> Any:
    """``x`` as rows of ``dim`` components (scipy reads a vector as points when dim is 1)."""
    return np.reshape(x, (-1, dim))


def _mvn_covariance(cov: Any, dim: int) -> Any:
    """The symmetric matrix scipy uses for ``cov``."""
    if np.ndim(cov) == 0:
        return cov * np.eye(dim)
    if np.ndim(cov) == 1:
        return np.diag(cov)
    lower = np.tril(cov, -1)
    return lower + np.transpose(lower) + np.diag(np.diag(cov))


def _mvn_scaled_residuals(x: Any, mean: Any, cov: Any) -> tuple:
    """``(rows, precision @ (rows - mean))`` per point, and the matrix: the pieces
    every derivative of the log-density uses."""
    _mvn_check(mean, cov)
    dim = _mvn_dimension(mean, cov)
    rows = _mvn_rows(x, dim)
    residuals = rows if mean is None else rows - mean
    matrix = _mvn_covariance(cov, dim)
    return np.transpose(np.linalg.solve(matrix, np.transpose(residuals))), matrix, dim


def _mvn_weights(g: Any, x: Any, dim: int) -> Any:
    """The result's gradient as a column, one entry per point (scipy squeezes it)."""
    return np.reshape(g, (-1, 1)) * np.ones((np.size(x) // dim, 1))


def stats_mvn_x_gradient(g: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The gradient of ``multivariate_normal.logpdf(x, mean, cov)`` with respect to
    ``x``, given the result's gradient ``g``."""
    scaled, _, dim = _mvn_scaled_residuals(x, mean, cov)
    return np.reshape(-_mvn_weights(g, x, dim) * scaled, np.shape(x))


def stats_mvn_mean_gradient(g: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The gradient of ``multivariate_normal.logpdf(x, mean, cov)`` with respect to
    ``mean`` (a vector, or a scalar shared by the components)."""
    scaled, _, dim = _mvn_scaled_residuals(x, mean, cov)
    gradient = np.sum(_mvn_weights(g, x, dim) * scaled, axis=0)
    return np.sum(gradient) if np.ndim(mean) == 0 else gradient


def stats_mvn_cov_gradient(g: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The gradient of ``multivariate_normal.logpdf(x, mean, cov)`` with respect to
    ``cov``, as scipy reads it: a matrix's lower triangle only (the upper one has
    no effect), a vector's diagonal, a scalar's multiple of the identity."""
    scaled, matrix, dim = _mvn_scaled_residuals(x, mean, cov)
    weights = _mvn_weights(g, x, dim)
    outer = np.dot(np.transpose(weights * scaled), scaled)
    symmetric = 0.5 * (outer - np.sum(weights) * np.linalg.inv(matrix))
    if np.ndim(cov) == 0:
        return np.trace(symmetric)
    if np.ndim(cov) == 1:
        return np.diag(symmetric)
    return 2.0 * np.tril(symmetric, -1) + np.diag(np.diag(symmetric))


def _mvn_result_shape(values: Any, like: Any) -> Any:
    """Per-point values shaped as scipy shapes the result ``like``."""
    return np.reshape(values, np.shape(like))


def stats_mvn_x_tangent(x_tangent: Any, y: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The tangent of ``y = multivariate_normal.logpdf(x, mean, cov)`` along ``x_tangent``."""
    scaled, _, dim = _mvn_scaled_residuals(x, mean, cov)
    along = np.reshape(x_tangent * np.ones(np.shape(x)), (-1, dim))
    return _mvn_result_shape(-np.sum(scaled * along, axis=1), y)


def stats_mvn_mean_tangent(mean_tangent: Any, y: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The tangent of ``y = multivariate_normal.logpdf(x, mean, cov)`` along ``mean_tangent``."""
    scaled, _, dim = _mvn_scaled_residuals(x, mean, cov)
    along = mean_tangent * np.ones(dim)
    return _mvn_result_shape(np.sum(scaled * along, axis=1), y)


def stats_mvn_cov_tangent(cov_tangent: Any, y: Any, x: Any, mean: Any, cov: Any) -> Any:
    """The tangent of ``y = multivariate_normal.logpdf(x, mean, cov)`` along ``cov_tangent``."""
    scaled, matrix, dim = _mvn_scaled_residuals(x, mean, cov)
    along = _mvn_covariance(cov_tangent, dim)
    quadratic = np.sum(np.dot(scaled, along) * scaled, axis=1)
    trace = np.trace(np.linalg.solve(matrix, along))
    return _mvn_result_shape(0.5 * (quadratic - trace), y)


# dirichlet --------------------------------------------------------------------


def _dirichlet_alpha_column(alpha: Any, x: Any) -> Any:
    """``alpha`` shaped to broadcast against ``x``'s components (its first axis)."""
    return np.reshape(alpha, (-1,) + (1,) * (np.ndim(x) - 1))


def _dirichlet_components(x: Any, alpha: Any) -> Any:
    """All components of ``x``: the last one is ``1 - sum`` when ``x`` leaves it out."""
    if np.shape(x)[0] == np.shape(alpha)[0]:
        return x
    return np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)


def _dirichlet_implied(gradient: Any, x: Any, alpha: Any) -> Any:
    """A gradient over all components carried back to ``x``'s components."""
    if np.shape(x)[0] == np.shape(alpha)[0]:
        return gradient
    return gradient[:-1] - gradient[-1:]


def stats_dirichlet_x_gradient(g: Any, x: Any, alpha: Any) -> Any:
    """The gradient of ``dirichlet.logpdf(x, alpha)`` with respect to ``x``."""
    components = _dirichlet_components(x, alpha)
    slope = (_dirichlet_alpha_column(alpha, x) - 1.0) / components
    return _dirichlet_implied(g * slope, x, alpha)


def stats_dirichlet_alpha_gradient(g: Any, x: Any, alpha: Any) -> Any:
    """The gradient of ``dirichlet.logpdf(x, alpha)`` with respect to ``alpha``."""
    components = _dirichlet_components(x, alpha)
    score = np.log(components) + _dirichlet_alpha_column(
        special.digamma(np.sum(alpha)) - special.digamma(alpha), x)
    return np.reshape(np.sum(np.reshape(g * score, (np.shape(alpha)[0], -1)), axis=1),
                      np.shape(alpha))


def stats_dirichlet_x_tangent(x_tangent: Any, x: Any, alpha: Any) -> Any:
    """The tangent of ``dirichlet.logpdf(x, alpha)`` along ``x_tangent``."""
    return np.sum(stats_dirichlet_x_gradient(1.0, x, alpha) * x_tangent, axis=0)


def stats_dirichlet_alpha_tangent(alpha_tangent: Any, x: Any, alpha: Any) -> Any:
    """The tangent of ``dirichlet.logpdf(x, alpha)`` along ``alpha_tangent``."""
    components = _dirichlet_components(x, alpha)
    score = np.log(components) + _dirichlet_alpha_column(
        special.digamma(np.sum(alpha)) - special.digamma(alpha), x)
    return np.sum(score * _dirichlet_alpha_column(alpha_tangent, x), axis=0)

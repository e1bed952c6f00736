"""Derivative rules of ``scipy.stats``: adjoint and tangent templates.

The rules are registered on the methods of scipy's distribution objects
(``scipy.stats.norm.logpdf`` is a bound method; calls in user code resolve to
it whichever way they name it), with the parameters scipy documents:
``(x, *shapes, loc=0, scale=1)`` for the continuous distributions,
``(k, mu, loc=0)`` for ``poisson``. A call passing anything else (a keyword
these templates do not name) is refused when the derivative is written.

Location-scale families share one shape of rule. With ``z = (x - loc) / scale``,
a log-density is ``log f(z) - log(scale)``; writing ``slope`` for its derivative in
``x`` (a ``tangent.stats_<name>_slope`` helper), its derivative in ``loc`` is
``-slope`` and in ``scale`` is ``-(1 + (x - loc) * slope) / scale``. The density
``pdf`` is the same times the result. The derivatives of ``cdf`` in ``x``,
``loc``, ``scale`` are the density times ``1``, ``-1``, ``-z``; ``sf`` negates
them, and ``logcdf``/``logsf`` divide them by the result, as
``exp(logpdf - result)``. Those rules call the distribution's own ``pdf`` and
``logpdf``, whose rules are here, so derivatives of any order follow.

The derivative of a distribution function in a shape parameter (``gamma.cdf``
in ``a``) has no closed form: the rule raises then, and only then, naming
the function and the parameter. Outside a bounded support, where ``logpdf``
is ``-inf``, its derivatives are NaN: there is no slope to give.

Frozen distributions (``norm(0, 1).logpdf(x)``) are not differentiated: calling
a distribution object has a rule that refuses differentiated parameters (and
keeps tangent from reading scipy's source), and the frozen object's methods
are refused by the core as calls it cannot resolve.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as stats
from scipy.stats import _distn_infrastructure, _multivariate

from tangent import runtime as tangent
from tangent.rules import policy
from tangent.rules.non_differentiable import register_non_differentiable_functions
from tangent.rules.registry import adjoint, d, tangent_

# The helpers that raise must run even when nothing reads their result.
policy.declare_impure(tangent.stats_no_adjoint, tangent.stats_no_tangent,
                      tangent.stats_frozen_distribution)
register_non_differentiable_functions(tangent.stats_no_adjoint, tangent.stats_no_tangent,
                                      tangent.stats_frozen_distribution,
                                      tangent.stats_nan_where_infinite)


# norm ------------------------------------------------------------------------


@adjoint(stats.norm.logpdf)
def norm_logpdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_norm_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.norm.logpdf)
def norm_logpdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_norm_slope(x, loc, scale)
    d[y] = slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]


@adjoint(stats.norm.pdf)
def norm_pdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_norm_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.norm.pdf)
def norm_pdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_norm_slope(x, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale])


@adjoint(stats.norm.cdf)
def norm_cdf(y, x, loc=0.0, scale=1.0):
    rate = stats.norm.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.norm.cdf)
def norm_cdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = stats.norm.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.norm.sf)
def norm_sf(y, x, loc=0.0, scale=1.0):
    rate = -stats.norm.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.norm.sf)
def norm_sf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -stats.norm.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.norm.logcdf)
def norm_logcdf(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.norm.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.norm.logcdf)
def norm_logcdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.norm.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.norm.logsf)
def norm_logsf(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.norm.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.norm.logsf)
def norm_logsf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.norm.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


# t ---------------------------------------------------------------------------


@adjoint(stats.t.logpdf)
def t_logpdf(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_t_slope(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)
    d[df] = tangent.unbroadcast(d[y] * tangent.stats_t_df_score(x, df, loc, scale), df)


@tangent_(stats.t.logpdf)
def t_logpdf_tangent(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_t_slope(x, df, loc, scale)
    d[y] = (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
            + tangent.stats_t_df_score(x, df, loc, scale) * d[df])


@adjoint(stats.t.pdf)
def t_pdf(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_t_slope(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)
    d[df] = tangent.unbroadcast(d[y] * y * tangent.stats_t_df_score(x, df, loc, scale), df)


@tangent_(stats.t.pdf)
def t_pdf_tangent(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_t_slope(x, df, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
                + tangent.stats_t_df_score(x, df, loc, scale) * d[df])


@adjoint(stats.t.cdf)
def t_cdf(y, x, df, loc=0.0, scale=1.0):
    rate = stats.t.pdf(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.t.cdf', 'df')


@tangent_(stats.t.cdf)
def t_cdf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = stats.t.pdf(x, df, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.t.cdf', 'df', d[df]))


@adjoint(stats.t.sf)
def t_sf(y, x, df, loc=0.0, scale=1.0):
    rate = -stats.t.pdf(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.t.sf', 'df')


@tangent_(stats.t.sf)
def t_sf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = -stats.t.pdf(x, df, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.t.sf', 'df', d[df]))


@adjoint(stats.t.logcdf)
def t_logcdf(y, x, df, loc=0.0, scale=1.0):
    rate = np.exp(stats.t.logpdf(x, df, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.t.logcdf', 'df')


@tangent_(stats.t.logcdf)
def t_logcdf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = np.exp(stats.t.logpdf(x, df, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.t.logcdf', 'df', d[df]))


@adjoint(stats.t.logsf)
def t_logsf(y, x, df, loc=0.0, scale=1.0):
    rate = -np.exp(stats.t.logpdf(x, df, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.t.logsf', 'df')


@tangent_(stats.t.logsf)
def t_logsf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = -np.exp(stats.t.logpdf(x, df, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.t.logsf', 'df', d[df]))


# gamma -----------------------------------------------------------------------


@adjoint(stats.gamma.logpdf)
def gamma_logpdf(y, x, a, loc=0.0, scale=1.0):
    slope = tangent.stats_gamma_slope(x, a, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)
    d[a] = tangent.unbroadcast(d[y] * tangent.stats_gamma_a_score(x, a, loc, scale), a)


@tangent_(stats.gamma.logpdf)
def gamma_logpdf_tangent(y, x, a, loc=0.0, scale=1.0):
    slope = tangent.stats_gamma_slope(x, a, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[y] = (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
            + tangent.stats_gamma_a_score(x, a, loc, scale) * d[a])


@adjoint(stats.gamma.pdf)
def gamma_pdf(y, x, a, loc=0.0, scale=1.0):
    slope = tangent.stats_gamma_slope(x, a, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)
    d[a] = tangent.unbroadcast(d[y] * y * tangent.stats_gamma_a_score(x, a, loc, scale), a)


@tangent_(stats.gamma.pdf)
def gamma_pdf_tangent(y, x, a, loc=0.0, scale=1.0):
    slope = tangent.stats_gamma_slope(x, a, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
                + tangent.stats_gamma_a_score(x, a, loc, scale) * d[a])


@adjoint(stats.gamma.cdf)
def gamma_cdf(y, x, a, loc=0.0, scale=1.0):
    rate = stats.gamma.pdf(x, a, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.gamma.cdf', 'a')


@tangent_(stats.gamma.cdf)
def gamma_cdf_tangent(y, x, a, loc=0.0, scale=1.0):
    rate = stats.gamma.pdf(x, a, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.gamma.cdf', 'a', d[a]))


@adjoint(stats.gamma.sf)
def gamma_sf(y, x, a, loc=0.0, scale=1.0):
    rate = -stats.gamma.pdf(x, a, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.gamma.sf', 'a')


@tangent_(stats.gamma.sf)
def gamma_sf_tangent(y, x, a, loc=0.0, scale=1.0):
    rate = -stats.gamma.pdf(x, a, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.gamma.sf', 'a', d[a]))


@adjoint(stats.gamma.logcdf)
def gamma_logcdf(y, x, a, loc=0.0, scale=1.0):
    rate = np.exp(stats.gamma.logpdf(x, a, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.gamma.logcdf', 'a')


@tangent_(stats.gamma.logcdf)
def gamma_logcdf_tangent(y, x, a, loc=0.0, scale=1.0):
    rate = np.exp(stats.gamma.logpdf(x, a, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.gamma.logcdf', 'a', d[a]))


@adjoint(stats.gamma.logsf)
def gamma_logsf(y, x, a, loc=0.0, scale=1.0):
    rate = -np.exp(stats.gamma.logpdf(x, a, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.gamma.logsf', 'a')


@tangent_(stats.gamma.logsf)
def gamma_logsf_tangent(y, x, a, loc=0.0, scale=1.0):
    rate = -np.exp(stats.gamma.logpdf(x, a, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.gamma.logsf', 'a', d[a]))


# beta ------------------------------------------------------------------------


@adjoint(stats.beta.logpdf)
def beta_logpdf(y, x, a, b, loc=0.0, scale=1.0):
    slope = tangent.stats_beta_slope(x, a, b, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)
    d[a] = tangent.unbroadcast(d[y] * tangent.stats_beta_a_score(x, a, b, loc, scale), a)
    d[b] = tangent.unbroadcast(d[y] * tangent.stats_beta_b_score(x, a, b, loc, scale), b)


@tangent_(stats.beta.logpdf)
def beta_logpdf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    slope = tangent.stats_beta_slope(x, a, b, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[y] = (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
            + tangent.stats_beta_a_score(x, a, b, loc, scale) * d[a]
            + tangent.stats_beta_b_score(x, a, b, loc, scale) * d[b])


@adjoint(stats.beta.pdf)
def beta_pdf(y, x, a, b, loc=0.0, scale=1.0):
    slope = tangent.stats_beta_slope(x, a, b, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)
    d[a] = tangent.unbroadcast(d[y] * y * tangent.stats_beta_a_score(x, a, b, loc, scale), a)
    d[b] = tangent.unbroadcast(d[y] * y * tangent.stats_beta_b_score(x, a, b, loc, scale), b)


@tangent_(stats.beta.pdf)
def beta_pdf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    slope = tangent.stats_beta_slope(x, a, b, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
                + tangent.stats_beta_a_score(x, a, b, loc, scale) * d[a]
                + tangent.stats_beta_b_score(x, a, b, loc, scale) * d[b])


@adjoint(stats.beta.cdf)
def beta_cdf(y, x, a, b, loc=0.0, scale=1.0):
    rate = stats.beta.pdf(x, a, b, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.beta.cdf', 'a')
    d[b] = tangent.stats_no_adjoint('scipy.stats.beta.cdf', 'b')


@tangent_(stats.beta.cdf)
def beta_cdf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    rate = stats.beta.pdf(x, a, b, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.beta.cdf', 'a', d[a])
            + tangent.stats_no_tangent('scipy.stats.beta.cdf', 'b', d[b]))


@adjoint(stats.beta.sf)
def beta_sf(y, x, a, b, loc=0.0, scale=1.0):
    rate = -stats.beta.pdf(x, a, b, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.beta.sf', 'a')
    d[b] = tangent.stats_no_adjoint('scipy.stats.beta.sf', 'b')


@tangent_(stats.beta.sf)
def beta_sf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    rate = -stats.beta.pdf(x, a, b, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.beta.sf', 'a', d[a])
            + tangent.stats_no_tangent('scipy.stats.beta.sf', 'b', d[b]))


@adjoint(stats.beta.logcdf)
def beta_logcdf(y, x, a, b, loc=0.0, scale=1.0):
    rate = np.exp(stats.beta.logpdf(x, a, b, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.beta.logcdf', 'a')
    d[b] = tangent.stats_no_adjoint('scipy.stats.beta.logcdf', 'b')


@tangent_(stats.beta.logcdf)
def beta_logcdf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    rate = np.exp(stats.beta.logpdf(x, a, b, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.beta.logcdf', 'a', d[a])
            + tangent.stats_no_tangent('scipy.stats.beta.logcdf', 'b', d[b]))


@adjoint(stats.beta.logsf)
def beta_logsf(y, x, a, b, loc=0.0, scale=1.0):
    rate = -np.exp(stats.beta.logpdf(x, a, b, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[a] = tangent.stats_no_adjoint('scipy.stats.beta.logsf', 'a')
    d[b] = tangent.stats_no_adjoint('scipy.stats.beta.logsf', 'b')


@tangent_(stats.beta.logsf)
def beta_logsf_tangent(y, x, a, b, loc=0.0, scale=1.0):
    rate = -np.exp(stats.beta.logpdf(x, a, b, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.beta.logsf', 'a', d[a])
            + tangent.stats_no_tangent('scipy.stats.beta.logsf', 'b', d[b]))


# chi2 ------------------------------------------------------------------------


@adjoint(stats.chi2.logpdf)
def chi2_logpdf(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_chi2_slope(x, df, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)
    d[df] = tangent.unbroadcast(d[y] * tangent.stats_chi2_df_score(x, df, loc, scale), df)


@tangent_(stats.chi2.logpdf)
def chi2_logpdf_tangent(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_chi2_slope(x, df, loc, scale) * tangent.stats_nan_where_infinite(y)
    d[y] = (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
            + tangent.stats_chi2_df_score(x, df, loc, scale) * d[df])


@adjoint(stats.chi2.pdf)
def chi2_pdf(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_chi2_slope(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)
    d[df] = tangent.unbroadcast(d[y] * y * tangent.stats_chi2_df_score(x, df, loc, scale), df)


@tangent_(stats.chi2.pdf)
def chi2_pdf_tangent(y, x, df, loc=0.0, scale=1.0):
    slope = tangent.stats_chi2_slope(x, df, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]
                + tangent.stats_chi2_df_score(x, df, loc, scale) * d[df])


@adjoint(stats.chi2.cdf)
def chi2_cdf(y, x, df, loc=0.0, scale=1.0):
    rate = stats.chi2.pdf(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.chi2.cdf', 'df')


@tangent_(stats.chi2.cdf)
def chi2_cdf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = stats.chi2.pdf(x, df, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.chi2.cdf', 'df', d[df]))


@adjoint(stats.chi2.sf)
def chi2_sf(y, x, df, loc=0.0, scale=1.0):
    rate = -stats.chi2.pdf(x, df, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.chi2.sf', 'df')


@tangent_(stats.chi2.sf)
def chi2_sf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = -stats.chi2.pdf(x, df, loc, scale)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.chi2.sf', 'df', d[df]))


@adjoint(stats.chi2.logcdf)
def chi2_logcdf(y, x, df, loc=0.0, scale=1.0):
    rate = np.exp(stats.chi2.logpdf(x, df, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.chi2.logcdf', 'df')


@tangent_(stats.chi2.logcdf)
def chi2_logcdf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = np.exp(stats.chi2.logpdf(x, df, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.chi2.logcdf', 'df', d[df]))


@adjoint(stats.chi2.logsf)
def chi2_logsf(y, x, df, loc=0.0, scale=1.0):
    rate = -np.exp(stats.chi2.logpdf(x, df, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)
    d[df] = tangent.stats_no_adjoint('scipy.stats.chi2.logsf', 'df')


@tangent_(stats.chi2.logsf)
def chi2_logsf_tangent(y, x, df, loc=0.0, scale=1.0):
    rate = -np.exp(stats.chi2.logpdf(x, df, loc, scale) - y)
    d[y] = (rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])
            + tangent.stats_no_tangent('scipy.stats.chi2.logsf', 'df', d[df]))


# laplace ---------------------------------------------------------------------


@adjoint(stats.laplace.logpdf)
def laplace_logpdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_laplace_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.laplace.logpdf)
def laplace_logpdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_laplace_slope(x, loc, scale)
    d[y] = slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]


@adjoint(stats.laplace.pdf)
def laplace_pdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_laplace_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.laplace.pdf)
def laplace_pdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_laplace_slope(x, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale])


@adjoint(stats.laplace.cdf)
def laplace_cdf(y, x, loc=0.0, scale=1.0):
    rate = stats.laplace.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.laplace.cdf)
def laplace_cdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = stats.laplace.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.laplace.sf)
def laplace_sf(y, x, loc=0.0, scale=1.0):
    rate = -stats.laplace.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.laplace.sf)
def laplace_sf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -stats.laplace.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.laplace.logcdf)
def laplace_logcdf(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.laplace.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.laplace.logcdf)
def laplace_logcdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.laplace.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.laplace.logsf)
def laplace_logsf(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.laplace.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.laplace.logsf)
def laplace_logsf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.laplace.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


# logistic --------------------------------------------------------------------


@adjoint(stats.logistic.logpdf)
def logistic_logpdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_logistic_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.logistic.logpdf)
def logistic_logpdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_logistic_slope(x, loc, scale)
    d[y] = slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale]


@adjoint(stats.logistic.pdf)
def logistic_pdf(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_logistic_slope(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * y * slope, x)
    d[loc] = tangent.unbroadcast(-d[y] * y * slope, loc)
    d[scale] = tangent.unbroadcast(-d[y] * y * (1.0 + (x - loc) * slope) / scale, scale)


@tangent_(stats.logistic.pdf)
def logistic_pdf_tangent(y, x, loc=0.0, scale=1.0):
    slope = tangent.stats_logistic_slope(x, loc, scale)
    d[y] = y * (slope * (d[x] - d[loc]) - (1.0 + (x - loc) * slope) / scale * d[scale])


@adjoint(stats.logistic.cdf)
def logistic_cdf(y, x, loc=0.0, scale=1.0):
    rate = stats.logistic.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.logistic.cdf)
def logistic_cdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = stats.logistic.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.logistic.sf)
def logistic_sf(y, x, loc=0.0, scale=1.0):
    rate = -stats.logistic.pdf(x, loc, scale)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.logistic.sf)
def logistic_sf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -stats.logistic.pdf(x, loc, scale)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.logistic.logcdf)
def logistic_logcdf(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.logistic.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.logistic.logcdf)
def logistic_logcdf_tangent(y, x, loc=0.0, scale=1.0):
    rate = np.exp(stats.logistic.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


@adjoint(stats.logistic.logsf)
def logistic_logsf(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.logistic.logpdf(x, loc, scale) - y)
    d[x] = tangent.unbroadcast(d[y] * rate, x)
    d[loc] = tangent.unbroadcast(-d[y] * rate, loc)
    d[scale] = tangent.unbroadcast(-d[y] * rate * (x - loc) / scale, scale)


@tangent_(stats.logistic.logsf)
def logistic_logsf_tangent(y, x, loc=0.0, scale=1.0):
    rate = -np.exp(stats.logistic.logpdf(x, loc, scale) - y)
    d[y] = rate * (d[x] - d[loc] - (x - loc) / scale * d[scale])


# poisson: the derivatives in mu (k and loc are integers) ------------------------


@adjoint(stats.poisson.logpmf)
def poisson_logpmf(y, k, mu, loc=0):
    score = tangent.stats_poisson_mu_score(k, mu, loc) * tangent.stats_nan_where_infinite(y)
    d[mu] = tangent.unbroadcast(d[y] * score, mu)


@tangent_(stats.poisson.logpmf)
def poisson_logpmf_tangent(y, k, mu, loc=0):
    score = tangent.stats_poisson_mu_score(k, mu, loc) * tangent.stats_nan_where_infinite(y)
    d[y] = score * d[mu]


@adjoint(stats.poisson.pmf)
def poisson_pmf(y, k, mu, loc=0):
    d[mu] = tangent.unbroadcast(d[y] * y * tangent.stats_poisson_mu_score(k, mu, loc), mu)


@tangent_(stats.poisson.pmf)
def poisson_pmf_tangent(y, k, mu, loc=0):
    d[y] = y * tangent.stats_poisson_mu_score(k, mu, loc) * d[mu]


# d/dmu P(N <= k) = -P(N = floor(k)): the distribution function falls as mu grows.
@adjoint(stats.poisson.cdf)
def poisson_cdf(y, k, mu, loc=0):
    d[mu] = tangent.unbroadcast(-d[y] * stats.poisson.pmf(np.floor(k), mu, loc), mu)


@tangent_(stats.poisson.cdf)
def poisson_cdf_tangent(y, k, mu, loc=0):
    d[y] = -stats.poisson.pmf(np.floor(k), mu, loc) * d[mu]


@adjoint(stats.poisson.sf)
def poisson_sf(y, k, mu, loc=0):
    d[mu] = tangent.unbroadcast(d[y] * stats.poisson.pmf(np.floor(k), mu, loc), mu)


@tangent_(stats.poisson.sf)
def poisson_sf_tangent(y, k, mu, loc=0):
    d[y] = stats.poisson.pmf(np.floor(k), mu, loc) * d[mu]


@adjoint(stats.poisson.logcdf)
def poisson_logcdf(y, k, mu, loc=0):
    rate = -np.exp(stats.poisson.logpmf(np.floor(k), mu, loc) - y)
    d[mu] = tangent.unbroadcast(d[y] * rate, mu)


@tangent_(stats.poisson.logcdf)
def poisson_logcdf_tangent(y, k, mu, loc=0):
    d[y] = -np.exp(stats.poisson.logpmf(np.floor(k), mu, loc) - y) * d[mu]


@adjoint(stats.poisson.logsf)
def poisson_logsf(y, k, mu, loc=0):
    rate = np.exp(stats.poisson.logpmf(np.floor(k), mu, loc) - y)
    d[mu] = tangent.unbroadcast(d[y] * rate, mu)


@tangent_(stats.poisson.logsf)
def poisson_logsf_tangent(y, k, mu, loc=0):
    d[y] = np.exp(stats.poisson.logpmf(np.floor(k), mu, loc) - y) * d[mu]


# multivariate_normal -----------------------------------------------------------


@adjoint(stats.multivariate_normal.logpdf)
def multivariate_normal_logpdf(y, x, mean=None, cov=1, allow_singular=False):
    d[x] = tangent.stats_mvn_x_gradient(d[y], x, mean, cov)
    d[mean] = tangent.stats_mvn_mean_gradient(d[y], x, mean, cov)
    d[cov] = tangent.stats_mvn_cov_gradient(d[y], x, mean, cov)


@tangent_(stats.multivariate_normal.logpdf)
def multivariate_normal_logpdf_tangent(y, x, mean=None, cov=1, allow_singular=False):
    d[y] = (tangent.stats_mvn_x_tangent(d[x], y, x, mean, cov)
            + tangent.stats_mvn_mean_tangent(d[mean], y, x, mean, cov)
            + tangent.stats_mvn_cov_tangent(d[cov], y, x, mean, cov))


@adjoint(stats.multivariate_normal.pdf)
def multivariate_normal_pdf(y, x, mean=None, cov=1, allow_singular=False):
    d[x] = tangent.stats_mvn_x_gradient(d[y] * y, x, mean, cov)
    d[mean] = tangent.stats_mvn_mean_gradient(d[y] * y, x, mean, cov)
    d[cov] = tangent.stats_mvn_cov_gradient(d[y] * y, x, mean, cov)


@tangent_(stats.multivariate_normal.pdf)
def multivariate_normal_pdf_tangent(y, x, mean=None, cov=1, allow_singular=False):
    d[y] = y * (tangent.stats_mvn_x_tangent(d[x], y, x, mean, cov)
                + tangent.stats_mvn_mean_tangent(d[mean], y, x, mean, cov)
                + tangent.stats_mvn_cov_tangent(d[cov], y, x, mean, cov))


# The distribution function of a multivariate normal is a numerical integral.
@adjoint(stats.multivariate_normal.cdf)
def multivariate_normal_cdf(y, x, mean=None, cov=1, allow_singular=False, maxpts=None,
                            abseps=1e-5, releps=1e-5, *, lower_limit=None, rng=None):
    d[x] = tangent.stats_no_adjoint('scipy.stats.multivariate_normal.cdf', 'x')
    d[mean] = tangent.stats_no_adjoint('scipy.stats.multivariate_normal.cdf', 'mean')
    d[cov] = tangent.stats_no_adjoint('scipy.stats.multivariate_normal.cdf', 'cov')
    d[lower_limit] = tangent.stats_no_adjoint('scipy.stats.multivariate_normal.cdf',
                                              'lower_limit')


@tangent_(stats.multivariate_normal.cdf)
def multivariate_normal_cdf_tangent(y, x, mean=None, cov=1, allow_singular=False, maxpts=None,
                                    abseps=1e-5, releps=1e-5, *, lower_limit=None, rng=None):
    d[y] = (tangent.stats_no_tangent('scipy.stats.multivariate_normal.cdf', 'x', d[x])
            + tangent.stats_no_tangent('scipy.stats.multivariate_normal.cdf', 'mean', d[mean])
            + tangent.stats_no_tangent('scipy.stats.multivariate_normal.cdf', 'cov', d[cov])
            + tangent.stats_no_tangent('scipy.stats.multivariate_normal.cdf', 'lower_limit',
                                       d[lower_limit]))


# dirichlet ----------------------------------------------------------------------


@adjoint(stats.dirichlet.logpdf)
def dirichlet_logpdf(y, x, alpha):
    d[x] = tangent.stats_dirichlet_x_gradient(d[y], x, alpha)
    d[alpha] = tangent.stats_dirichlet_alpha_gradient(d[y], x, alpha)


@tangent_(stats.dirichlet.logpdf)
def dirichlet_logpdf_tangent(y, x, alpha):
    d[y] = (tangent.stats_dirichlet_x_tangent(d[x], x, alpha)
            + tangent.stats_dirichlet_alpha_tangent(d[alpha], x, alpha))


@adjoint(stats.dirichlet.pdf)
def dirichlet_pdf(y, x, alpha):
    d[x] = tangent.stats_dirichlet_x_gradient(d[y] * y, x, alpha)
    d[alpha] = tangent.stats_dirichlet_alpha_gradient(d[y] * y, x, alpha)


@tangent_(stats.dirichlet.pdf)
def dirichlet_pdf_tangent(y, x, alpha):
    d[y] = y * (tangent.stats_dirichlet_x_tangent(d[x], x, alpha)
                + tangent.stats_dirichlet_alpha_tangent(d[alpha], x, alpha))


# Frozen distributions --------------------------------------------------------------
# ``norm(loc, scale)`` makes an object whose methods tangent cannot follow: refuse to
# differentiate the parameters frozen into it, and say how to write the call instead.


def frozen_distribution(y, *args, loc=None, scale=None, mean=None, cov=None):
    d[args[i]] = tangent.stats_frozen_distribution()
    d[loc] = tangent.stats_frozen_distribution()
    d[scale] = tangent.stats_frozen_distribution()
    d[mean] = tangent.stats_frozen_distribution()
    d[cov] = tangent.stats_frozen_distribution()


def frozen_distribution_tangent(y, *args, loc=None, scale=None, mean=None, cov=None):
    d[y] = tangent.stats_frozen_distribution(d[args], d[loc], d[scale], d[mean], d[cov])


for _distribution in vars(stats).values():
    if isinstance(_distribution, (_distn_infrastructure.rv_generic,
                                  _multivariate.multi_rv_generic)):
        adjoint(_distribution)(frozen_distribution)
        tangent_(_distribution)(frozen_distribution_tangent)

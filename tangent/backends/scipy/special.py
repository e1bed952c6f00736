"""Derivative rules of ``scipy.special``: adjoint and tangent templates.

The element-wise functions are declared once (``tangent.rules.declare``): each
body returns ``g`` times the partial derivatives, and both modes follow. Every
formula calls only functions that have rules themselves (``digamma``'s
derivative is ``polygamma(1, x)``, ``i1``'s is ``(i0 + iv(2, x)) / 2``), so the
derivatives can be differentiated again. An argument whose derivative is not
available (the order ``v`` of ``iv``, the shape ``a`` of ``gammainc``) has a
term that raises when it is computed, which generated code only does when that
argument carries a derivative. Integer arguments (``n`` of ``polygamma``, ``d``
of ``multigammaln``) are not differentiated.

Sections, in their order: gamma family, error function and normal
distribution, logistic, logarithms and entropies, Bessel functions, incomplete
gamma, reductions (``logsumexp``, ``softmax``, ``log_softmax``), helpers.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from tangent import runtime as tangent
from tangent.rules.declare import elementwise, linear
from tangent.rules.registry import adjoint, d, tangent_

# Gamma family ----------------------------------------------------------------

@elementwise(sp.gammaln)
def gammaln(g, y, x):
    return g * sp.digamma(x)


@elementwise(sp.digamma)  # also sp.psi: the same ufunc
def digamma(g, y, x):
    return g * sp.polygamma(1, x)


@elementwise(sp.polygamma, wrt='x', broadcasts=True)
def polygamma(g, y, n, x):
    return g * sp.polygamma(n + 1, x)


@elementwise(sp.multigammaln, wrt='a')
def multigammaln(g, y, a, d):
    return g * tangent.multivariate_polygamma(0, a, d)


@elementwise(sp.gamma)
def gamma(g, y, x):
    return g * y * sp.digamma(x)


@elementwise(sp.beta)
def beta(g, z, a, b):
    return g * z * (sp.digamma(a) - sp.digamma(a + b)), \
        g * z * (sp.digamma(b) - sp.digamma(a + b))


@elementwise(sp.betaln)
def betaln(g, z, a, b):
    return g * (sp.digamma(a) - sp.digamma(a + b)), g * (sp.digamma(b) - sp.digamma(a + b))


# Error function and the normal distribution -----------------------------------

@elementwise(sp.erf)
def erf(g, y, x):
    return g * (2.0 / np.sqrt(np.pi)) * np.exp(-x * x)


@elementwise(sp.erfc)
def erfc(g, y, x):
    return -g * (2.0 / np.sqrt(np.pi)) * np.exp(-x * x)


@elementwise(sp.erfcx)
def erfcx(g, y, x):
    return g * (2.0 * x * y - 2.0 / np.sqrt(np.pi))


# The inverse's slope is the reciprocal of erf's slope at the result.
@elementwise(sp.erfinv)
def erfinv(g, y, x):
    return g * (np.sqrt(np.pi) / 2.0) * np.exp(y * y)


@elementwise(sp.erfcinv)
def erfcinv(g, y, x):
    return -g * (np.sqrt(np.pi) / 2.0) * np.exp(y * y)


@elementwise(sp.ndtr)
def ndtr(g, y, x):
    return g * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


@elementwise(sp.ndtri)
def ndtri(g, y, x):
    return g * np.sqrt(2.0 * np.pi) * np.exp(0.5 * y * y)


# pdf / cdf in logarithms: finite far in the lower tail, where both underflow.
@elementwise(sp.log_ndtr)
def log_ndtr(g, y, x):
    return g * np.exp(-0.5 * x * x - y) / np.sqrt(2.0 * np.pi)


# Logistic --------------------------------------------------------------------

@elementwise(sp.expit)
def expit(g, y, x):
    return g * y * (1.0 - y)


@elementwise(sp.logit)
def logit(g, y, x):
    return g / (x * (1.0 - x))


@elementwise(sp.log_expit)
def log_expit(g, y, x):
    return g * sp.expit(-x)


# Logarithms and entropies ----------------------------------------------------
# Where x is 0 these functions are 0 whatever y is, so their slope in y is 0
# there (xdivy), not 0 / y's NaN at y = 0.

@elementwise(sp.xlogy)
def xlogy(g, z, x, y):
    return g * np.log(y), g * tangent.xdivy(x, y)


@elementwise(sp.xlog1py)
def xlog1py(g, z, x, y):
    return g * np.log1p(y), g * tangent.xdivy(x, 1.0 + y)


@elementwise(sp.entr)
def entr(g, y, x):
    return -g * (np.log(x) + 1.0)


@elementwise(sp.rel_entr)
def rel_entr(g, z, x, y):
    return g * (np.log(x / y) + 1.0), -g * tangent.xdivy(x, y)


# Bessel functions ------------------------------------------------------------
# I_v' = (I_{v-1} + I_{v+1}) / 2 for every order v (I_{-1} is I_1), which keeps the
# derivatives of i0 and i1 finite at 0 and closed under differentiation.

@elementwise(sp.i0)
def i0(g, y, x):
    return g * sp.i1(x)


@elementwise(sp.i1)
def i1(g, y, x):
    return g * 0.5 * (sp.i0(x) + sp.iv(2, x))


@elementwise(sp.iv)
def iv(g, y, v, z):
    return tangent.derivative_not_covered(g, 'scipy.special.iv', 'v'), \
        g * 0.5 * (sp.iv(v - 1, z) + sp.iv(v + 1, z))


# The exponentially scaled ive(v, z) = iv(v, z) * exp(-|z|), for real z.
@elementwise(sp.i0e)
def i0e(g, y, x):
    return g * (sp.i1e(x) - np.sign(x) * y)


@elementwise(sp.i1e)
def i1e(g, y, x):
    return g * (0.5 * (sp.i0e(x) + sp.ive(2, x)) - np.sign(x) * y)


@elementwise(sp.ive)
def ive(g, y, v, z):
    return tangent.derivative_not_covered(g, 'scipy.special.ive', 'v'), \
        g * (0.5 * (sp.ive(v - 1, z) + sp.ive(v + 1, z)) - np.sign(z) * y)


# Incomplete gamma (regularised): in x, the gamma density x^(a-1) e^-x / Gamma(a).

@elementwise(sp.gammainc)
def gammainc(g, y, a, x):
    return tangent.derivative_not_covered(g, 'scipy.special.gammainc', 'a'), \
        g * np.exp(sp.xlogy(a - 1.0, x) - x - sp.gammaln(a))


@elementwise(sp.gammaincc)
def gammaincc(g, y, a, x):
    return tangent.derivative_not_covered(g, 'scipy.special.gammaincc', 'a'), \
        -g * np.exp(sp.xlogy(a - 1.0, x) - x - sp.gammaln(a))


# Reductions ------------------------------------------------------------------
# The gradient of logsumexp is the softmax exp(a - y) (times b), which never
# overflows: y is at least the largest weighted term.

@adjoint(sp.logsumexp)
def logsumexp(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    share = np.exp(a - tangent.logsumexp_spread(y, a, b, axis, keepdims, return_sign))
    seed = tangent.logsumexp_spread(d[y], a, b, axis, keepdims, return_sign)
    d[a] = tangent.unbroadcast(seed * share * tangent.logsumexp_weights(b), a)
    d[b] = tangent.unbroadcast(seed * share, b)


@tangent_(sp.logsumexp)
def logsumexp_tangent(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    share = np.exp(a - tangent.logsumexp_spread(y, a, b, axis, keepdims, return_sign))
    d[y] = np.sum(share * (tangent.logsumexp_weights(b) * d[a] + d[b]), axis=axis,
                  keepdims=keepdims)


@adjoint(sp.softmax)
def softmax(y, x, axis=None):
    d[x] = y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))


@tangent_(sp.softmax)
def softmax_tangent(y, x, axis=None):
    d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))


@adjoint(sp.log_softmax)
def log_softmax(y, x, axis=None):
    d[x] = d[y] - np.exp(y) * np.sum(d[y], axis=axis, keepdims=True)


@tangent_(sp.log_softmax)
def log_softmax_tangent(y, x, axis=None):
    d[y] = d[x] - np.sum(np.exp(y) * d[x], axis=axis, keepdims=True)


# Helpers the rules above call (so that their derivatives differentiate again) ---

@elementwise(tangent.xdivy, broadcasts=True)
def xdivy(g, z, x, y):
    return g / y, -g * tangent.xdivy(z, y)


@elementwise(tangent.multivariate_polygamma, wrt='a')
def multivariate_polygamma(g, y, n, a, d):
    return g * tangent.multivariate_polygamma(n + 1, a, d)


@elementwise(tangent.logsumexp_weights)
def logsumexp_weights(g, w, b):
    return g


# Linear in y: its transpose sums the spread copies back.
@linear(tangent.logsumexp_spread)
def logsumexp_spread(g, spread, y, a, b, axis, keepdims, return_sign):
    return np.reshape(np.sum(g, axis=axis, keepdims=True), np.shape(y))

"""Negative-binomial maximum likelihood in (log r, logit p), fitted with a few Newton steps."""

import autograd.numpy as np
from autograd.scipy.special import gammaln

import tangent

WRT = (0,)


def negbin_loglike(r, p, counts):
    return np.sum(gammaln(r + counts) - gammaln(r) - gammaln(counts + 1)
                  + counts * np.log(p) + r * np.log(1 - p))


def objective(params, counts):
    """Negative log-likelihood; params are [log r, logit p]."""
    r = np.exp(params[0])
    p = 1.0 / (1.0 + np.exp(-params[1]))
    return -negbin_loglike(r, p, counts)


def fit(params, counts, num_steps=3):
    """A few damped Newton steps on the objective, derivatives from tangent."""
    gradient = tangent.grad(objective)
    hessian = tangent.hessian(objective)
    for _ in range(num_steps):
        step = np.linalg.solve(hessian(params, counts) + 1e-3 * np.eye(2),
                               gradient(params, counts))
        params = params - step
    return params


def inputs(rs):
    counts = rs.negative_binomial(5, 0.3, size=30).astype(float)
    params = np.array([np.log(3.0), 0.5])
    return params, counts

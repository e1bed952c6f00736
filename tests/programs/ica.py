"""Independent component analysis: log-likelihood of an unmixing matrix, logistic sources."""

import autograd.numpy as np

WRT = (0,)


def log_logistic_density(sources):
    # log of the logistic density 1 / (4 cosh(s / 2) ** 2), written stably
    return -2.0 * np.logaddexp(0.5 * sources, -0.5 * sources)


def objective(unmixing, observations):
    """Negative mean log-likelihood of the observed mixtures."""
    sources = np.dot(observations, unmixing.T)
    sign, log_abs_det = np.linalg.slogdet(unmixing)
    log_lik = np.sum(log_logistic_density(sources), axis=1) + log_abs_det
    return -np.mean(log_lik)


def inputs(rs):
    sources = rs.logistic(size=(40, 3))
    mixing = np.eye(3) + 0.5 * rs.randn(3, 3)
    observations = np.dot(sources, mixing.T)
    unmixing = np.eye(3) + 0.2 * rs.randn(3, 3)
    return unmixing, observations

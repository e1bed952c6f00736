"""Gaussian mixture model: log-likelihood of full-covariance mixtures with dict parameters."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import multivariate_normal as mvn

WRT = (0,)


def unpack_params(params):
    normalized_log_proportions = params['log_proportions'] - logsumexp(params['log_proportions'])
    return normalized_log_proportions, params['means'], params['lower_tris']


def objective(params, data):
    """Negative log-likelihood of the data."""
    cluster_lls = []
    for log_proportion, mean, lower_tri in zip(*unpack_params(params)):
        chol = np.tril(lower_tri)
        cov = np.dot(chol, chol.T) + 1e-3 * np.eye(len(mean))
        cluster_lls.append(log_proportion + mvn.logpdf(data, mean, cov))
    return -np.sum(logsumexp(np.vstack(cluster_lls), axis=0))


def inputs(rs):
    num_components, dim = 3, 2
    params = {'log_proportions': rs.randn(num_components) * 0.1,
              'means': rs.randn(num_components, dim),
              'lower_tris': np.eye(dim) + 0.1 * rs.randn(num_components, dim, dim)}
    data = np.concatenate([rs.randn(5, dim) + 2.0, rs.randn(5, dim) - 2.0])
    return params, data

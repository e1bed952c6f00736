"""Gaussian-process latent variable model: latent positions and kernel fitted jointly."""

import autograd.numpy as np
from autograd.scipy.stats import norm

WRT = (0, 1)


def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))


def gp_log_likelihood(kernel_params, noise_variance, x, y):
    cov = rbf_covariance(kernel_params, x, x) + noise_variance * np.eye(len(x))
    sign, log_det = np.linalg.slogdet(cov)
    alpha = np.linalg.solve(cov, y)
    return -0.5 * np.sum(y * alpha) - 0.5 * y.shape[1] * log_det


def objective(latents, params, data):
    """Negative joint log-density of data (each column an independent GP) and latents."""
    kernel_params = params['kernel']
    noise_variance = np.exp(params['log_noise']) + 1e-4
    log_lik = gp_log_likelihood(kernel_params, noise_variance, latents, data)
    log_prior = np.sum(norm.logpdf(latents))
    return -(log_lik + log_prior)


def inputs(rs):
    latent_dim, data_dim, num_points = 2, 4, 10
    true_latents = rs.randn(num_points, latent_dim)
    data = np.tanh(np.dot(true_latents, rs.randn(latent_dim, data_dim)))
    latents = true_latents + 0.3 * rs.randn(num_points, latent_dim)
    params = {'kernel': np.zeros(latent_dim + 1), 'log_noise': np.log(0.1)}
    return latents, params, data

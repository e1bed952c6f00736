"""Gaussian-process regression: log marginal likelihood in the kernel's log-hyperparameters."""

import autograd.numpy as np
from autograd.scipy.linalg import solve_triangular

WRT = (0,)


def rbf_kernel(x1, x2, log_lengthscale, log_variance):
    scaled_diffs = (x1[:, None, :] - x2[None, :, :]) / np.exp(log_lengthscale)
    return np.exp(log_variance) * np.exp(-0.5 * np.sum(scaled_diffs ** 2, axis=2))


def objective(hyperparams, inputs, targets):
    log_lengthscale, log_variance, log_noise = hyperparams[0], hyperparams[1], hyperparams[2]
    num_points = inputs.shape[0]
    cov = rbf_kernel(inputs, inputs, log_lengthscale, log_variance)
    cov = cov + (np.exp(log_noise) + 1e-6) * np.eye(num_points)
    chol = np.linalg.cholesky(cov)
    whitened = solve_triangular(chol, targets, lower=True)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    log_marginal = (-0.5 * np.dot(whitened, whitened) - 0.5 * log_det
                    - 0.5 * num_points * np.log(2 * np.pi))
    return -log_marginal


def inputs(rs):
    points = rs.uniform(-3.0, 3.0, size=(12, 1))
    targets = np.sin(points[:, 0]) + 0.1 * rs.randn(12)
    hyperparams = np.array([0.1, -0.2, -2.0])
    return hyperparams, points, targets

"""Black-box variational inference of a 2-D banana-shaped posterior with reparameterisation."""

import autograd.numpy as np
from autograd.scipy.stats import norm

WRT = (0,)
NUM_SAMPLES = 20
DIM = 2


def log_density(samples):
    mu, log_sigma = samples[:, 0], samples[:, 1]
    sigma_density = norm.logpdf(log_sigma, 0, 1.35)
    mu_density = norm.logpdf(mu, 0, np.exp(log_sigma))
    return sigma_density + mu_density


def sample_noise(rs, num_samples, dim):
    return rs.randn(num_samples, dim)


def gaussian_entropy(log_std):
    return 0.5 * DIM * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)


def unpack_params(params):
    return params[:DIM], params[DIM:]


def objective(params, rs):
    """Negative ELBO, one Monte Carlo estimate."""
    mean, log_std = unpack_params(params)
    samples = sample_noise(rs, NUM_SAMPLES, DIM) * np.exp(log_std) + mean
    lower_bound = gaussian_entropy(log_std) + np.mean(log_density(samples))
    return -lower_bound


def inputs(rs):
    params = np.array([-0.5, 0.3, -1.0, -0.8])
    return params, np.random.RandomState(rs.randint(1 << 30))

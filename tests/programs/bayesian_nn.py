"""Bayesian neural network for 1-D regression trained by variational inference."""

import autograd.numpy as np
from autograd.scipy.stats import norm

WRT = (0,)
LAYER_SIZES = [1, 8, 1]
NUM_SAMPLES = 4
NOISE_VARIANCE = 0.01
PRIOR_VARIANCE = 1.0


def num_weights():
    return sum((m + 1) * n for m, n in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))


def unpack_layers(weights):
    """Splits a (samples, num_weights) array into a list of (W, b) per layer."""
    num_weight_sets = len(weights)
    layers = []
    for m, n in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]):
        W = np.reshape(weights[:, :m * n], (num_weight_sets, m, n))
        b = np.reshape(weights[:, m * n:m * n + n], (num_weight_sets, 1, n))
        layers.append((W, b))
        weights = weights[:, (m + 1) * n:]
    return layers


def predictions(weights, x):
    hidden = np.expand_dims(x, 0)
    for W, b in unpack_layers(weights):
        outputs = np.einsum('mnd,mdo->mno', hidden, W) + b
        hidden = np.tanh(outputs)
    return outputs


def log_posterior(weights, x, y):
    log_prior = -0.5 * np.sum(weights ** 2, axis=1) / PRIOR_VARIANCE
    preds = predictions(weights, x)
    log_lik = -0.5 * np.sum((preds - y) ** 2, axis=(1, 2)) / NOISE_VARIANCE
    return log_prior + log_lik


def sample_noise(rs, num_samples, dim):
    return rs.randn(num_samples, dim)


def objective(var_params, x, y, rs):
    """Negative ELBO of a diagonal-Gaussian posterior over all weights."""
    dim = num_weights()
    mean, log_std = var_params[:dim], var_params[dim:]
    samples = sample_noise(rs, NUM_SAMPLES, dim) * np.exp(log_std) + mean
    entropy = np.sum(log_std) + 0.5 * dim * (1.0 + np.log(2 * np.pi))
    return -(entropy + np.mean(log_posterior(samples, x, y)))


def inputs(rs):
    x = np.reshape(np.linspace(-2, 2, 8), (8, 1))
    y = np.cos(x) + 0.1 * rs.randn(8, 1)
    dim = num_weights()
    var_params = np.concatenate([0.3 * rs.randn(dim), -3.0 * np.ones(dim)])
    return var_params, x, y, np.random.RandomState(rs.randint(1 << 30))

"""MLP regression on a 1-D sine with a Gaussian log-prior, parameters as (W, b) pairs."""

import autograd.numpy as np
from autograd.scipy.stats import norm

WRT = (0,)


def init_random_params(scale, layer_sizes, rs):
    return [(rs.randn(insize, outsize) * scale, rs.randn(outsize) * scale)
            for insize, outsize in zip(layer_sizes[:-1], layer_sizes[1:])]


def nn_predict(params, inputs, nonlinearity=np.tanh):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = nonlinearity(outputs)
    return outputs


def log_gaussian(params, scale):
    flat_params = np.concatenate([np.ravel(a) for layer in params for a in layer])
    return np.sum(norm.logpdf(flat_params, 0, scale))


def objective(params, inputs, targets, noise_scale=0.1):
    """Negative log-posterior."""
    predictions = nn_predict(params, inputs)
    log_lik = np.sum(norm.logpdf(predictions, targets, noise_scale))
    return -(log_gaussian(params, 1.0) + log_lik)


def inputs(rs):
    params = init_random_params(0.3, [1, 6, 6, 1], rs)
    x = np.reshape(np.linspace(-3, 3, 10), (10, 1))
    y = np.sin(x) + 0.05 * rs.randn(10, 1)
    return params, x, y

"""Mixture density network: an MLP emitting a 1-D Gaussian mixture for each input."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import norm

WRT = (0,)
NUM_COMPONENTS = 3


def neural_net_predict(params, inputs):
    for W, b in params[:-1]:
        inputs = np.tanh(np.dot(inputs, W) + b)
    W, b = params[-1]
    return np.dot(inputs, W) + b


def mixture_params(params, x):
    outputs = neural_net_predict(params, x)
    logits = outputs[:, :NUM_COMPONENTS]
    means = outputs[:, NUM_COMPONENTS:2 * NUM_COMPONENTS]
    log_stds = outputs[:, 2 * NUM_COMPONENTS:]
    log_weights = logits - logsumexp(logits, axis=1, keepdims=True)
    return log_weights, means, np.exp(log_stds)


def objective(params, x, y):
    """Mean negative log-likelihood of y under the predicted mixtures."""
    log_weights, means, stds = mixture_params(params, x)
    component_lls = norm.logpdf(y, means, stds) + log_weights
    return -np.mean(logsumexp(component_lls, axis=1))


def inputs(rs):
    params = [(0.5 * rs.randn(1, 10), 0.1 * rs.randn(10)),
              (0.5 * rs.randn(10, 3 * NUM_COMPONENTS), 0.1 * rs.randn(3 * NUM_COMPONENTS))]
    x = rs.uniform(-1, 1, size=(12, 1))
    y = np.sin(3 * x) + 0.3 * np.sign(rs.randn(12, 1)) + 0.05 * rs.randn(12, 1)
    return params, x, y

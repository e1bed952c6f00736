"""Multilayer perceptron classifier: softmax cross-entropy via logsumexp plus a Gaussian prior."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp

WRT = (0,)


def init_random_params(scale, layer_sizes, rs):
    return [(scale * rs.randn(m, n), scale * rs.randn(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]


def neural_net_predict(params, inputs):
    """Returns normalised class log-probabilities."""
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def l2_norm(params):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W ** 2) + np.sum(b ** 2)
    return total


def objective(params, inputs, targets, l2_reg=1e-2):
    """Negative log-posterior of the weights."""
    log_prior = -l2_reg * l2_norm(params)
    log_lik = np.sum(neural_net_predict(params, inputs) * targets)
    return -(log_prior + log_lik)


def inputs(rs):
    params = init_random_params(0.3, [5, 8, 6, 3], rs)
    data = rs.randn(10, 5)
    targets = np.eye(3)[rs.randint(0, 3, size=10)]
    return params, data, targets

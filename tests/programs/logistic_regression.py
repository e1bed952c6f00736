"""Binary logistic regression with an L2 penalty on the weights."""

import autograd.numpy as np

WRT = (0, 1)


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1.0)


def logistic_predictions(weights, bias, features):
    return sigmoid(np.dot(features, weights) + bias)


def objective(weights, bias, features, targets, l2=0.1):
    """Negative log-likelihood plus L2 penalty."""
    preds = logistic_predictions(weights, bias, features)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities)) + l2 * np.dot(weights, weights)


def inputs(rs):
    features = rs.randn(20, 3)
    targets = (rs.rand(20) > 0.5).astype(float)
    return 0.1 * rs.randn(3), 0.0, features, targets

"""Logistic-regression loss minimised by Newton-CG from Hessian-vector products."""

import autograd.numpy as np

WRT = (0,)


def objective(weights, features, labels):
    """Mean logistic loss with a small L2 penalty; labels are +1 or -1."""
    margins = labels * np.dot(features, weights)
    return np.mean(np.logaddexp(0, -margins)) + 0.005 * np.sum(weights ** 2)


def conjugate_gradient(hvp, gradient, num_iters=10, tol=1e-10):
    """Approximately solves H x = gradient using only products with H."""
    x = np.zeros_like(gradient)
    residual = gradient.copy()
    direction = residual.copy()
    rs_old = np.dot(residual, residual)
    for _ in range(num_iters):
        h_direction = hvp(direction)
        alpha = rs_old / np.dot(direction, h_direction)
        x = x + alpha * direction
        residual = residual - alpha * h_direction
        rs_new = np.dot(residual, residual)
        if rs_new < tol:
            break
        direction = residual + (rs_new / rs_old) * direction
        rs_old = rs_new
    return x


def newton_cg(gradient_fn, hvp_fn, weights, features, labels, num_steps=3):
    """Newton's method; the step solves H step = g by conjugate gradients."""
    for _ in range(num_steps):
        g = gradient_fn(weights, features, labels)
        step = conjugate_gradient(lambda v: hvp_fn(weights, features, labels, v), g)
        weights = weights - step
    return weights


def inputs(rs):
    features = rs.randn(30, 4)
    true_weights = rs.randn(4)
    labels = np.sign(np.dot(features, true_weights) + 0.5 * rs.randn(30))
    weights = 0.1 * rs.randn(4)
    return weights, features, labels

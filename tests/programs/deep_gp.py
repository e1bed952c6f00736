"""Two-layer deep GP: a GP whose inputs are the posterior mean of another GP."""

import autograd.numpy as np

WRT = (0, 1)


def squared_exponential(x1, x2, log_lengthscale, log_variance):
    sq_dists = (x1[:, None] - x2[None, :]) ** 2
    return np.exp(log_variance) * np.exp(-0.5 * sq_dists / np.exp(2 * log_lengthscale))


def gp_posterior_mean(x_train, y_train, x_test, params):
    k_train = squared_exponential(x_train, x_train, params['log_lengthscale'],
                                  params['log_variance'])
    k_train = k_train + np.exp(params['log_noise']) * np.eye(len(x_train))
    k_cross = squared_exponential(x_test, x_train, params['log_lengthscale'],
                                  params['log_variance'])
    return np.dot(k_cross, np.linalg.solve(k_train, y_train))


def gp_log_marginal(x, y, params):
    cov = squared_exponential(x, x, params['log_lengthscale'], params['log_variance'])
    cov = cov + np.exp(params['log_noise']) * np.eye(len(x))
    sign, log_det = np.linalg.slogdet(cov)
    return (-0.5 * np.dot(y, np.linalg.solve(cov, y)) - 0.5 * log_det
            - 0.5 * len(x) * np.log(2 * np.pi))


def objective(layer_params, hidden_targets, x, y, inducing_x):
    """Negative marginal likelihood of y on the warped inputs."""
    lower, upper = layer_params
    hidden = gp_posterior_mean(inducing_x, hidden_targets, x, lower)
    return -gp_log_marginal(hidden, y, upper)


def inputs(rs):
    x = np.linspace(-2.0, 2.0, 10)
    y = np.tanh(3.0 * x) + 0.05 * rs.randn(10)
    inducing_x = np.linspace(-2.0, 2.0, 5)
    hidden_targets = inducing_x + 0.1 * rs.randn(5)
    lower = {'log_lengthscale': 0.0, 'log_variance': 0.2, 'log_noise': -3.0}
    upper = {'log_lengthscale': -0.5, 'log_variance': 0.0, 'log_noise': -2.0}
    return [lower, upper], hidden_targets, x, y, inducing_x

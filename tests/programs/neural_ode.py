"""Neural ODE: an MLP vector field integrated by odeint, fitted to a target trajectory."""

import autograd.numpy as np
from autograd.builtins import tuple
from autograd.scipy.integrate import odeint

WRT = (0,)


def nn_predict(inputs, t, params):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs


def objective(params, y0, times, target):
    """Squared error between the integrated and the target trajectory."""
    trajectory = odeint(nn_predict, y0, times, tuple((params,)), rtol=1e-10, atol=1e-10)
    return np.mean((trajectory - target) ** 2)


def inputs(rs):
    params = [(0.5 * rs.randn(2, 6), 0.1 * rs.randn(6)),
              (0.5 * rs.randn(6, 2), 0.1 * rs.randn(2))]
    times = np.linspace(0.0, 1.0, 6)
    y0 = np.array([1.0, 0.0])
    target = np.stack([np.cos(times), -np.sin(times)], axis=1)
    return params, y0, times, target

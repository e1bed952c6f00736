"""Quickstart: differentiate a small NumPy function and read its derivative.

Shows ``tangent.grad`` printing the generated gradient source (``verbose=1``),
then checks the gradient against central finite differences.
Run: python examples/quickstart.py
"""

import numpy as np

import tangent


def loss(x, w):
    """A small model: a tanh layer, squared, summed."""
    h = np.tanh(w * x + 1.0)
    return np.sum(h * h) / 2.0


def finite_difference(f, x, w, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step, w) - f(x - step, w)) / (2 * eps)
    return grad


def main():
    x = np.array([0.5, -1.0, 2.0])
    w = 0.7
    print('Generated gradient of loss with respect to x:\n')
    dloss_dx = tangent.grad(loss, verbose=1)
    gradient = dloss_dx(x, w)
    reference = finite_difference(loss, x, w)
    print('\ntangent gradient:  ', gradient)
    print('finite differences:', reference)
    print('max difference:    ', np.max(np.abs(gradient - reference)))


if __name__ == '__main__':
    main()

"""Representative functions whose generated derivative source is kept in
tests/golden/ so that every change to what users read is reviewed."""

import math

import numpy as np

import tangent
from tangent import insert_grad_of
from tangent.grads import adjoint, d


def cube(x):
    return x * x * x


@adjoint(cube)
def dcube(y, x):
    d[x] = d[y] * 3.0 * x * x


@tangent.tangents.tangent_(cube)
def tcube(y, x):
    d[y] = 3.0 * x * x * d[x]


def custom_cube(x):
    return cube(x)


def scalar_poly(x):
    y = x * x + 3.0 * x
    return y * math.sin(x)


def tanh_layer(w, x):
    h = np.tanh(w @ x)
    return np.sum(h * h)


def for_loop(x):
    y = x
    for i in range(3):
        y = y * 0.5 + math.sin(y)
    return y


def while_loop(x):
    i = 0
    while x < 10.0:
        x = x * 2.0
        i = i + 1
    return x


def if_else(x):
    if x > 0.0:
        y = x * x
    else:
        y = -x
    return y


def _helper(a, b):
    return a * b + a


def subroutine(x):
    return _helper(x, 2.0) * x


def clipped_rnn(h, w):
    for i in range(5):
        h = np.tanh(w * h)
        with insert_grad_of(h) as dh:
            dh = np.clip(dh, -0.1, 0.1)
    return np.sum(h)


def clipped_rnn_reference_gradient(h, w):
    """The gradient of clipped_rnn with respect to h, written out by hand."""
    states = [h]
    for i in range(5):
        states.append(np.tanh(w * states[-1]))
    gradient = np.ones_like(h)
    for i in reversed(range(5)):
        gradient = np.clip(gradient, -0.1, 0.1)
        gradient = gradient * (1.0 - states[i + 1] ** 2) * w
    return gradient


def comprehension(x):
    squares = [x * i for i in range(3)]
    return sum(squares)


def closure_lambda(x):
    scale = 3.0
    f = lambda v: v * scale  # noqa: E731
    return f(x) * x


def broadcast_mean(x):
    return np.mean(x - np.mean(x, axis=0, keepdims=True))


# name -> (function, autodiff options, arguments for the numeric check)
CASES = {
    'custom_cube': (custom_cube, dict(check_dims=False,
                                      input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                    (1.5,)),
    'scalar_poly': (scalar_poly, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                    (0.7,)),
    'tanh_layer': (tanh_layer, dict(wrt=(0,), input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                   (np.full((2, 3), 0.1), np.array([0.5, -0.2, 0.3]))),
    'for_loop': (for_loop, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne), (0.4,)),
    'while_loop': (while_loop, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                   (0.7,)),
    'if_else': (if_else, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne), (0.6,)),
    'subroutine': (subroutine, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                   (0.9,)),
    'insert_grad_of': (clipped_rnn, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                       (np.array([0.5, -0.3]), 0.8)),
    'forward_mode': (tanh_layer, dict(mode='forward', wrt=(1,)),
                     (np.full((2, 3), 0.1), np.array([0.5, -0.2, 0.3]))),
    'forward_custom_cube': (custom_cube, dict(mode='forward'), (1.5,)),
    'split_motion': (tanh_layer, dict(motion='split', wrt=(0,)),
                     (np.full((2, 3), 0.1), np.array([0.5, -0.2, 0.3]))),
    'not_optimized': (scalar_poly, dict(optimized=False,
                                        input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                      (0.7,)),
    'comprehension': (comprehension, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                      (0.8,)),
    'closure_lambda': (closure_lambda, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                       (0.8,)),
    'broadcast_mean': (broadcast_mean, dict(input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                       (np.array([[0.1, 0.4], [0.3, 0.9]]),)),
}

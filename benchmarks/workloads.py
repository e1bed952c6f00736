"""The benchmark workloads: NumPy functions, their inputs and hand-written gradients.

Each workload is one module-level NumPy function with real source, which
tangent differentiates, plus a gradient written by hand in NumPy that serves
as the reference every system is checked against.

The functions stay inside the part of NumPy's API that ``autograd.numpy``,
``jax.numpy`` and ``torch`` accept under the same names (``np.sum(a, axis=1,
keepdims=True)``, ``np.tanh``, ``@``, ``a.shape[0]``), so the peers run the
very same source with the module bound to ``np`` swapped (see ``rebind``):
every system computes exactly the same thing.

A workload of kind ``'hvp'`` asks for a Hessian-vector product instead of a
gradient: its last input is the vector ``v`` and the function takes the
others.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    function: Callable  # the NumPy function that tangent differentiates
    wrt: tuple[int, ...]  # positional arguments the gradient is taken with respect to
    make_inputs: Callable[[np.random.Generator], tuple]
    hand_gradient: Callable[..., tuple]  # same arguments, returns one array per wrt
    kind: str = 'grad'  # 'grad', or 'hvp': inputs end with v, the result is H @ v


def rebind(function: Callable, module: Any) -> Callable:
    """The same code as ``function``, with the global name ``np`` bound to ``module``.

    The module-level helper functions it calls (directly or through each other)
    are rebound the same way, in the same namespace, so a chain of helpers
    computes with ``module`` all the way down.
    """
    namespace = dict(function.__globals__, np=module)
    pending = [function.__name__]
    seen = set()
    while pending:
        name = pending.pop()
        original = function.__globals__.get(name)
        if name in seen or not (isinstance(original, types.FunctionType)
                                and original.__globals__ is function.__globals__):
            continue
        seen.add(name)
        copy = types.FunctionType(original.__code__, namespace, original.__name__,
                                  original.__defaults__, original.__closure__)
        copy.__qualname__ = original.__qualname__
        namespace[name] = copy
        pending += original.__code__.co_names
    return namespace[function.__name__]


# ---------------------------------------------------------------- scalar_poly

def scalar_poly(x):
    """About 30 floating-point operations on one Python float."""
    a = x * x
    b = 3.0 * a - 2.0 * x + 1.0
    c = a * b - x / 2.0
    d = (c + 4.0) / (a + 1.0)
    e = d * d - b * x + 0.5
    f = e * c / (b * b + 2.0)
    g = f - a * d + x * x * x
    h = g / (1.0 + d * d) + 3.0 * e
    return h * 0.25 + g


def scalar_poly_hand(x):
    """Chain rule line by line, each derivative next to its value."""
    a = x * x
    da = 2.0 * x
    b = 3.0 * a - 2.0 * x + 1.0
    db = 3.0 * da - 2.0
    c = a * b - x / 2.0
    dc = da * b + a * db - 0.5
    a1 = a + 1.0
    d = (c + 4.0) / a1
    dd = (dc - d * da) / a1
    e = d * d - b * x + 0.5
    de = 2.0 * d * dd - db * x - b
    q = b * b + 2.0
    f = e * c / q
    df = (de * c + e * dc - f * 2.0 * b * db) / q
    g = f - a * d + x * x * x
    dg = df - da * d - a * dd + 3.0 * x * x
    r = 1.0 + d * d
    dh = (dg - g / r * 2.0 * d * dd) / r + 3.0 * de
    return (0.25 * dh + dg,)


def scalar_poly_inputs(rng):
    return (0.7,)


# ---------------------------------------------------------------- scalar_loop

def scalar_loop(x, a, b):
    """A 100-step scalar recurrence x <- sin(x) * a + b; the gradient is in a and b."""
    for _ in range(100):
        x = np.sin(x) * a + b
    return x


def scalar_loop_hand(x, a, b):
    """Forward accumulation of dx/da and dx/db along the loop."""
    dx_da = 0.0
    dx_db = 0.0
    for _ in range(100):
        sin_x = np.sin(x)
        slope = np.cos(x) * a
        dx_da = slope * dx_da + sin_x
        dx_db = slope * dx_db + 1.0
        x = sin_x * a + b
    return dx_da, dx_db


def scalar_loop_inputs(rng):
    return (0.5, 0.9, 0.1)


# --------------------------------------------------------- logistic_regression

def logistic_regression(W, b, x, y):
    """Softmax cross-entropy of one sample x (1, 3), weights W (3, 5), bias b (5,)."""
    logits = x @ W + b
    log_norm = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(y * (logits - log_norm))


def logistic_regression_hand(W, b, x, y):
    logits = x @ W + b
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    dlogits = p * y.sum(axis=1, keepdims=True) - y
    return x.T @ dlogits, dlogits.sum(axis=0)


def logistic_regression_inputs(rng):
    W = rng.standard_normal((3, 5))
    b = rng.standard_normal(5)
    x = rng.standard_normal((1, 3))
    y = np.eye(5)[[2]]
    return W, b, x, y


# ------------------------------------------------------------------------ mlp

def mlp(W1, b1, W2, b2, x, y):
    """Mean softmax cross-entropy of a 256 -> 512 (tanh) -> 10 network, batch 128."""
    hidden = np.tanh(x @ W1 + b1)
    logits = hidden @ W2 + b2
    log_norm = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(y * (logits - log_norm)) / x.shape[0]


def mlp_hand(W1, b1, W2, b2, x, y):
    hidden = np.tanh(x @ W1 + b1)
    logits = hidden @ W2 + b2
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    dlogits = (p * y.sum(axis=1, keepdims=True) - y) / x.shape[0]
    dpre = (dlogits @ W2.T) * (1.0 - hidden * hidden)
    return x.T @ dpre, dpre.sum(axis=0), hidden.T @ dlogits, dlogits.sum(axis=0)


def mlp_inputs(rng):
    W1 = rng.standard_normal((256, 512)) / np.sqrt(256)
    b1 = 0.1 * rng.standard_normal(512)
    W2 = rng.standard_normal((512, 10)) / np.sqrt(512)
    b2 = 0.1 * rng.standard_normal(10)
    x = rng.standard_normal((128, 256))
    y = np.eye(10)[rng.integers(0, 10, size=128)]
    return W1, b1, W2, b2, x, y


# ------------------------------------------------------------------------ rnn

def rnn(Wx, Wh, b, h, xs):
    """A tanh RNN over xs (50 steps, batch 16); loss: sum of squares of the last state."""
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def rnn_hand(Wx, Wh, b, h, xs):
    states = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        states.append(h)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dh = 2.0 * h
    for t in reversed(range(xs.shape[0])):
        h = states[t + 1]
        dpre = dh * (1.0 - h * h)
        dWx += xs[t].T @ dpre
        dWh += states[t].T @ dpre
        db += dpre.sum(axis=0)
        dh = dpre @ Wh.T
    return dWx, dWh, db


def rnn_inputs(rng):
    Wx = rng.standard_normal((32, 64)) / np.sqrt(32)
    Wh = 0.5 * rng.standard_normal((64, 64)) / np.sqrt(64)
    b = 0.1 * rng.standard_normal(64)
    h = np.zeros((16, 64))
    xs = rng.standard_normal((50, 16, 32))
    return Wx, Wh, b, h, xs


# ------------------------------------------------------------------------ hvp

def hvp_objective(x, W):
    """sum(tanh(W @ x) ** 2) for a 100-vector x; its Hessian times v is the workload."""
    return np.sum(np.tanh(W @ x) ** 2)


def hvp_hand(x, W, v):
    t = np.tanh(W @ x)
    s = 1.0 - t * t
    return (W.T @ (2.0 * s * (W @ v) * (1.0 - 3.0 * t * t)),)


def hvp_inputs(rng):
    W = rng.standard_normal((100, 100)) / np.sqrt(100)
    x = rng.standard_normal(100)
    v = rng.standard_normal(100)
    return x, W, v


# --------------------------------------------------------------- helper_chain

def helper_chain(x, w):
    """A chain of helper calls four deep (f -> a -> b -> c -> d) on vectors of 256."""
    return np.sum(chain_a(x, w) ** 2)


def chain_a(x, w):
    return chain_b(x * w, w) + x


def chain_b(y, w):
    return np.tanh(chain_c(y, w))


def chain_c(y, w):
    return chain_d(y) * w + 0.5 * y


def chain_d(y):
    return np.sin(y) * y


def helper_chain_hand(x, w):
    """The chain written out in one function, each derivative next to its value."""
    y = x * w
    sin_y = np.sin(y)
    d = sin_y * y
    dd_dy = np.cos(y) * y + sin_y
    b = np.tanh(d * w + 0.5 * y)
    a = b + x
    dc = 2.0 * a * (1.0 - b * b)  # the gradient reaching chain_c's result
    dy = dc * (dd_dy * w + 0.5)
    return 2.0 * a + dy * w, dc * d + dy * x


def helper_chain_inputs(rng):
    return rng.standard_normal(256), 0.5 * rng.standard_normal(256)


WORKLOADS = [
    Workload('scalar_poly', '~30 float operations on one Python float; d/dx',
             scalar_poly, (0,), scalar_poly_inputs, scalar_poly_hand),
    Workload('scalar_loop', '100 steps of x = sin(x) * a + b on floats; d/da, d/db',
             scalar_loop, (1, 2), scalar_loop_inputs, scalar_loop_hand),
    Workload('logistic_regression', 'softmax cross-entropy, x (1, 3), W (3, 5), b (5,); d/dW, d/db',
             logistic_regression, (0, 1), logistic_regression_inputs, logistic_regression_hand),
    Workload('mlp', 'tanh MLP 256 -> 512 -> 10, batch 128, softmax cross-entropy; all weights',
             mlp, (0, 1, 2, 3), mlp_inputs, mlp_hand),
    Workload('rnn', 'tanh RNN, 50 steps, hidden 64, batch 16, sum of squares; d/dWx, dWh, db',
             rnn, (0, 1, 2), rnn_inputs, rnn_hand),
    Workload('helper_chain', 'helpers called 4 deep, element-wise on vectors of 256; d/dx, d/dw',
             helper_chain, (0, 1), helper_chain_inputs, helper_chain_hand),
    Workload('hvp', 'H @ v of sum(tanh(W @ x) ** 2), x of 100, forward over reverse',
             hvp_objective, (0,), hvp_inputs, hvp_hand, kind='hvp'),
]

BY_NAME = {workload.name: workload for workload in WORKLOADS}

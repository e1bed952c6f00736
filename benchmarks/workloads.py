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

An argument may be a dict of arrays (the LSTM's parameters); its gradient is
a dict with the same keys. ``leaves`` flattens such results in one fixed
order (sorted keys), so that every system's result compares entry by entry.

The workloads after the first seven are the ones where per-call overhead
dominates (issue 22): small arrays, long loops of small steps, containers
of parameters, helper calls, a little linear algebra.
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
    # Inputs small enough for tests/test_benchmark_workloads.py; None: make_inputs is.
    make_test_inputs: Callable[[np.random.Generator], tuple] | None = None


def leaves(value: Any) -> list:
    """The arrays and numbers in ``value``, dicts flattened in sorted-key order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def map_leaves(function: Callable, value: Any) -> Any:
    """``value`` with ``function`` applied to each of its leaves, containers kept."""
    if isinstance(value, dict):
        return {key: map_leaves(function, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(map_leaves(function, item) for item in value)
    return function(value)


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


def tanh_hvp_inputs(n):
    def make(rng):
        W = rng.standard_normal((n, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        v = rng.standard_normal(n)
        return x, W, v

    return make


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


# ---------------------------------------------------- rnn_loss (every step)

def rnn_loss(Wx, Wh, b, h, xs):
    """A tanh RNN whose loss adds the sum of squares of the state at every step."""
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        loss = loss + np.sum(h * h)
    return loss


def rnn_loss_hand(Wx, Wh, b, h, xs):
    states = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        states.append(h)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dh = np.zeros_like(h)
    for t in reversed(range(xs.shape[0])):
        h = states[t + 1]
        dh = dh + 2.0 * h  # the loss reads every state, not only the last
        dpre = dh * (1.0 - h * h)
        dWx += xs[t].T @ dpre
        dWh += states[t].T @ dpre
        db += dpre.sum(axis=0)
        dh = dpre @ Wh.T
    return dWx, dWh, db


def rnn_loss_inputs(batch, hidden, steps, features):
    def make(rng):
        Wx = rng.standard_normal((features, hidden)) / np.sqrt(features)
        Wh = 0.5 * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
        b = 0.1 * rng.standard_normal(hidden)
        h = np.zeros((batch, hidden))
        xs = rng.standard_normal((steps, batch, features))
        return Wx, Wh, b, h, xs

    return make


# ------------------------------------------------------- softmax_regression

def softmax_regression(W, b, x, y):
    """Cross-entropy of softmax(W @ x + b) for one sample x and a one-hot label y."""
    logits = W @ x + b
    return np.log(np.sum(np.exp(logits))) - np.sum(y * logits)


def softmax_regression_hand(W, b, x, y):
    logits = W @ x + b
    p = np.exp(logits)
    p /= p.sum()
    dlogits = p - y
    return np.outer(dlogits, x), dlogits


def softmax_regression_inputs(classes, features):
    def make(rng):
        W = rng.standard_normal((classes, features)) / np.sqrt(features)
        b = 0.1 * rng.standard_normal(classes)
        x = rng.standard_normal(features)
        y = np.eye(classes)[classes // 2]
        return W, b, x, y

    return make


# -------------------------------------------------------- helper_chain_small

def small_chain(x, W, s):
    """Helpers four deep (mix -> squash -> scale -> wave) on vectors of 8, s a float."""
    return np.sum(small_mix(x, W, s) ** 2)


def small_mix(x, W, s):
    return small_squash(W @ x, s) + x


def small_squash(y, s):
    return np.tanh(small_scale(y, s))


def small_scale(y, s):
    return small_wave(y) * s + 0.5 * y


def small_wave(y):
    return np.sin(y) * y


def small_chain_hand(x, W, s):
    y = W @ x
    sin_y = np.sin(y)
    wave = sin_y * y
    dwave_dy = np.cos(y) * y + sin_y
    squashed = np.tanh(wave * s + 0.5 * y)
    mixed = squashed + x
    dmixed = 2.0 * mixed
    dscaled = dmixed * (1.0 - squashed * squashed)
    dy = dscaled * (dwave_dy * s + 0.5)
    return dmixed + W.T @ dy, np.outer(dy, x), float(np.sum(dscaled * wave))


def small_chain_inputs(rng):
    return rng.standard_normal(8), rng.standard_normal((8, 8)) / np.sqrt(8), 0.7


# ------------------------------------------------------------ gp_likelihood

LOG_2PI = 1.8378770664093453  # log(2 pi), a float so that every peer can add it


def gp_negative_log_likelihood(log_length, log_signal, log_noise, X, y):
    """-log p(y | X) of a GP with a squared-exponential kernel plus noise."""
    n = X.shape[0]
    squared_distances = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=2)
    K = (np.exp(2.0 * log_signal) * np.exp(-0.5 * squared_distances / np.exp(2.0 * log_length))
         + np.exp(2.0 * log_noise) * np.eye(n))
    L = np.linalg.cholesky(K)
    z = np.linalg.solve(L, y)
    return 0.5 * np.sum(z * z) + np.sum(np.log(np.diag(L))) + 0.5 * n * LOG_2PI


def gp_negative_log_likelihood_hand(log_length, log_signal, log_noise, X, y):
    """d(-log p)/dK = (K^-1 - alpha alpha^T) / 2, then the chain rule through K."""
    n = X.shape[0]
    squared_distances = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=2)
    inverse_length2 = np.exp(-2.0 * log_length)
    signal_part = np.exp(2.0 * log_signal) * np.exp(-0.5 * squared_distances * inverse_length2)
    noise_variance = np.exp(2.0 * log_noise)
    L = np.linalg.cholesky(signal_part + noise_variance * np.eye(n))
    L_inverse = np.linalg.solve(L, np.eye(n))
    K_inverse = L_inverse.T @ L_inverse
    alpha = K_inverse @ y
    dK = 0.5 * (K_inverse - np.outer(alpha, alpha))
    weighted = dK * signal_part
    return (float(np.sum(weighted * squared_distances)) * inverse_length2,
            2.0 * float(np.sum(weighted)),
            2.0 * noise_variance * float(np.trace(dK)))


def gp_inputs(n):
    def make(rng):
        X = rng.uniform(-2.0, 2.0, size=(n, 2))
        y = np.sin(2.0 * X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.standard_normal(n)
        return float(np.log(0.8)), 0.1, float(np.log(0.2)), X, y

    return make


# --------------------------------------------------------------------- lstm

def lstm(params, h, c, xs):
    """An LSTM over xs (steps, batch, features), its weights in a dict;
    loss: sum of squares of the last hidden state."""
    hidden = h.shape[1]
    for t in range(xs.shape[0]):
        gates = xs[t] @ params['Wx'] + h @ params['Wh'] + params['b']
        input_gate = 1.0 / (1.0 + np.exp(-gates[:, :hidden]))
        forget_gate = 1.0 / (1.0 + np.exp(-gates[:, hidden:2 * hidden]))
        output_gate = 1.0 / (1.0 + np.exp(-gates[:, 2 * hidden:3 * hidden]))
        candidate = np.tanh(gates[:, 3 * hidden:])
        c = forget_gate * c + input_gate * candidate
        h = output_gate * np.tanh(c)
    return np.sum(h * h)


def lstm_hand(params, h, c, xs):
    Wx, Wh, b = params['Wx'], params['Wh'], params['b']
    hidden = h.shape[1]
    steps = []
    for t in range(xs.shape[0]):
        gates = xs[t] @ Wx + h @ Wh + b
        i = 1.0 / (1.0 + np.exp(-gates[:, :hidden]))
        f = 1.0 / (1.0 + np.exp(-gates[:, hidden:2 * hidden]))
        o = 1.0 / (1.0 + np.exp(-gates[:, 2 * hidden:3 * hidden]))
        g = np.tanh(gates[:, 3 * hidden:])
        c_before = c
        c = f * c + i * g
        tanh_c = np.tanh(c)
        steps.append((h, c_before, i, f, o, g, tanh_c))
        h = o * tanh_c
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dh = 2.0 * h
    dc = np.zeros_like(c)
    for t in reversed(range(xs.shape[0])):
        h_before, c_before, i, f, o, g, tanh_c = steps[t]
        dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
        dgates = np.concatenate([dc * g * i * (1.0 - i), dc * c_before * f * (1.0 - f),
                                 dh * tanh_c * o * (1.0 - o), dc * i * (1.0 - g * g)], axis=1)
        dc = dc * f
        dWx += xs[t].T @ dgates
        dWh += h_before.T @ dgates
        db += dgates.sum(axis=0)
        dh = dgates @ Wh.T
    return ({'Wx': dWx, 'Wh': dWh, 'b': db},)


def lstm_inputs(batch, hidden, steps, features):
    def make(rng):
        params = {'Wx': rng.standard_normal((features, 4 * hidden)) / np.sqrt(features),
                  'Wh': 0.5 * rng.standard_normal((hidden, 4 * hidden)) / np.sqrt(hidden),
                  'b': 0.1 * rng.standard_normal(4 * hidden)}
        h = np.zeros((batch, hidden))
        c = np.zeros((batch, hidden))
        xs = rng.standard_normal((steps, batch, features))
        return params, h, c, xs

    return make


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
             hvp_objective, (0,), tanh_hvp_inputs(100), hvp_hand, kind='hvp'),
    # Per-call overhead dominates from here on (issue 22).
    Workload('rnn_loss_small', 'tanh RNN, loss adds sum(h * h) at every step: batch 1, '
             'hidden 16, input 8, 50 steps; d/dWx, dWh, db',
             rnn_loss, (0, 1, 2), rnn_loss_inputs(1, 16, 50, 8), rnn_loss_hand,
             make_test_inputs=rnn_loss_inputs(2, 3, 4, 2)),
    Workload('rnn_loss_large', 'tanh RNN, loss adds sum(h * h) at every step: batch 16, '
             'hidden 64, input 32, 200 steps; d/dWx, dWh, db',
             rnn_loss, (0, 1, 2), rnn_loss_inputs(16, 64, 200, 32), rnn_loss_hand,
             make_test_inputs=rnn_loss_inputs(3, 4, 5, 2)),
    Workload('softmax_5', 'softmax regression, one sample of 10 features, 5 classes, '
             'log-sum-exp cross-entropy; d/dW, d/db',
             softmax_regression, (0, 1), softmax_regression_inputs(5, 10),
             softmax_regression_hand),
    Workload('softmax_20', 'softmax regression, one sample of 10 features, 20 classes, '
             'log-sum-exp cross-entropy; d/dW, d/db',
             softmax_regression, (0, 1), softmax_regression_inputs(20, 10),
             softmax_regression_hand),
    Workload('hvp_small', 'H @ v of sum(tanh(W @ x) ** 2), x of 20, forward over reverse',
             hvp_objective, (0,), tanh_hvp_inputs(20), hvp_hand, kind='hvp'),
    Workload('helper_chain_small', 'helpers called 4 deep on vectors of 8 with W @ x and a '
             'float scale s; d/dx, d/dW, d/ds',
             small_chain, (0, 1, 2), small_chain_inputs, small_chain_hand),
    Workload('gp_likelihood', 'GP negative log marginal likelihood, squared-exponential '
             'kernel, n = 50, Cholesky and solve; d/d(log length, log signal, log noise)',
             gp_negative_log_likelihood, (0, 1, 2), gp_inputs(50),
             gp_negative_log_likelihood_hand, make_test_inputs=gp_inputs(5)),
    Workload('lstm_small', 'LSTM, weights in a dict, batch 1, hidden 16, input 8, 50 steps, '
             'sum of squares of the last state; d/dparams',
             lstm, (0,), lstm_inputs(1, 16, 50, 8), lstm_hand,
             make_test_inputs=lstm_inputs(2, 3, 4, 2)),
    Workload('lstm_large', 'LSTM, weights in a dict, batch 4, hidden 32, input 16, 50 steps, '
             'sum of squares of the last state; d/dparams',
             lstm, (0,), lstm_inputs(4, 32, 50, 16), lstm_hand,
             make_test_inputs=lstm_inputs(1, 5, 3, 3)),
]

BY_NAME = {workload.name: workload for workload in WORKLOADS}

# Where per-call overhead dominates: the workloads issue 22 asks to run at hand-written
# speed, with no run-time dispatch left in their generated gradients.
PER_CALL_WORKLOADS = ('rnn_loss_small', 'rnn_loss_large', 'softmax_5', 'softmax_20',
                      'hvp_small', 'helper_chain_small', 'gp_likelihood', 'lstm_small',
                      'lstm_large')
assert set(PER_CALL_WORKLOADS) <= set(BY_NAME)

"""Gradient surgery: clip an RNN's hidden-state gradient at every time step.

A small tanh recurrent network reads twelve samples of a sine wave and
predicts the next one. Inside the loop,

    with insert_grad_of(h) as dh:
        dh = np.clip(dh, -CLIP, CLIP)

is code for the backward pass: each time step's hidden-state gradient is
clipped element-wise before it flows back into the earlier steps. The script
prints the part of the generated backward loop where that happens, compares
the gradient norms with and without the clipping, and trains the network by
gradient descent, printing the loss.

``@tangent.tangent`` lets the model be called as plain Python (the block is
removed) while ``tangent.grad`` still sees the block.

Run: python examples/rnn_gradient_clipping.py
Set TANGENT_EXAMPLES_QUICK=1 for a short run (the smoke test does).
"""

import inspect
import os

import numpy as np
from loss_curve import save_loss_curve

import tangent
from tangent import insert_grad_of

QUICK = os.environ.get('TANGENT_EXAMPLES_QUICK') == '1'
STEPS = 30 if QUICK else 300
LEARNING_RATE = 0.05
CLIP = 0.002
SEQUENCE_LENGTH, BATCH, HIDDEN = 12, 64, 16


@tangent.tangent
def loss(h, w_hh, w_xh, w_hy, xs, ys):
    """Mean squared error of the prediction read from the last hidden state."""
    for t in range(xs.shape[0]):
        h = np.tanh(h @ w_hh + xs[t] @ w_xh)
        with insert_grad_of(h) as dh:
            dh = np.clip(dh, -CLIP, CLIP)
    error = h @ w_hy - ys
    return np.mean(error * error)


def unclipped_loss(h, w_hh, w_xh, w_hy, xs, ys):
    """The same model without the surgery, for comparison."""
    for t in range(xs.shape[0]):
        h = np.tanh(h @ w_hh + xs[t] @ w_xh)
    error = h @ w_hy - ys
    return np.mean(error * error)


def sine_batch(rng):
    """Sine waves of random phase and frequency: inputs (time, batch, 1), targets (batch, 1)."""
    phase = rng.uniform(0.0, 2.0 * np.pi, size=BATCH)
    frequency = rng.uniform(0.2, 0.5, size=BATCH)
    times = np.arange(SEQUENCE_LENGTH + 1)[:, None]
    wave = np.sin(phase + frequency * times)
    return wave[:SEQUENCE_LENGTH, :, None], wave[SEQUENCE_LENGTH][:, None]


def clipping_snippet(function):
    """The lines of the generated source from the surgery block to the next block."""
    lines = inspect.getsource(function).splitlines()
    start = next(i for i, line in enumerate(lines) if 'Grad of: with insert_grad_of' in line)
    end = next(i for i in range(start + 1, len(lines)) if 'Grad of:' in lines[i])
    return '\n'.join(lines[start - 1:end + 2])


def norms(gradients):
    return ', '.join(f'{np.linalg.norm(g):.4f}' for g in gradients)


def main():
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=1.0 / np.sqrt(HIDDEN), size=(HIDDEN, HIDDEN)),
               rng.normal(size=(1, HIDDEN)),
               rng.normal(scale=1.0 / np.sqrt(HIDDEN), size=(HIDDEN, 1))]
    h0 = np.zeros((BATCH, HIDDEN))

    # Gradients with respect to the three weight matrices (arguments 1, 2, 3).
    dloss = tangent.grad(loss, wrt=(1, 2, 3))
    dunclipped = tangent.grad(unclipped_loss, wrt=(1, 2, 3))

    print('Generated backward loop, where the hidden-state gradient is clipped:\n')
    print(clipping_snippet(dloss))
    print()

    xs, ys = sine_batch(rng)
    print(f'gradient norms at the start, clipped:   {norms(dloss(h0, *weights, xs, ys))}')
    print(f'gradient norms at the start, unclipped: {norms(dunclipped(h0, *weights, xs, ys))}')
    print()

    # Training draws a fresh batch per step; the loss is reported on a fixed one.
    test_xs, test_ys = sine_batch(rng)
    report_every = max(1, STEPS // 10)
    curve = []
    for step in range(STEPS + 1):
        # The decorated model runs as ordinary Python, without the block.
        curve.append(float(loss(h0, *weights, test_xs, test_ys)))
        if step % report_every == 0 or step == STEPS:
            print(f'step {step:4d}  loss {curve[-1]:.6f}')
        if step == STEPS:
            break
        xs, ys = sine_batch(rng)
        gradients = dloss(h0, *weights, xs, ys)
        weights = [w - LEARNING_RATE * g for w, g in zip(weights, gradients)]
    save_loss_curve('rnn_gradient_clipping', {'test loss': curve},
                    xlabel='gradient descent step', title='RNN with clipped gradients')


if __name__ == '__main__':
    main()

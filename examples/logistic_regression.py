"""Softmax (multinomial logistic) regression trained with a tangent gradient.

Three Gaussian clouds in the plane are separated by a linear softmax
classifier. ``tangent.grad(loss, wrt=(0, 1))`` writes one Python function
returning the gradients of the cross-entropy with respect to the weights and
the biases; plain gradient descent then lowers the loss, printed as it falls.
The loss curve is saved as ``logistic_regression_loss.png`` (in the directory
named by ``TANGENT_EXAMPLES_OUTPUT``, else the current one) when matplotlib
can be imported; otherwise the script says so and carries on.

Run: python examples/logistic_regression.py
Set TANGENT_EXAMPLES_QUICK=1 for a short run (the smoke test does).
"""

import os

import numpy as np
from loss_curve import save_loss_curve

import tangent

QUICK = os.environ.get('TANGENT_EXAMPLES_QUICK') == '1'
STEPS = 30 if QUICK else 300
LEARNING_RATE = 0.5
PENALTY = 1e-3


def loss(weights, biases, points, labels, penalty):
    """Mean cross-entropy of a softmax classifier, plus an L2 penalty.

    ``labels`` is one-hot, one row per point. Subtracting each row's largest
    logit before exponentiating keeps ``np.exp`` from overflowing; it does not
    change the value (nor, therefore, the gradient).
    """
    logits = points @ weights + biases
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    cross_entropy = -np.sum(labels * log_probabilities) / points.shape[0]
    return cross_entropy + penalty * np.sum(weights * weights)


def make_data(rng, per_class=100):
    """Three noisy clusters in the plane, with one-hot labels."""
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    points = np.concatenate([centre + rng.normal(scale=0.9, size=(per_class, 2))
                             for centre in centres])
    classes = np.repeat(np.arange(len(centres)), per_class)
    return points, np.eye(len(centres))[classes], classes


def accuracy(weights, biases, points, classes):
    return float(np.mean(np.argmax(points @ weights + biases, axis=1) == classes))


def main():
    rng = np.random.default_rng(1)
    points, labels, classes = make_data(rng)
    weights = 0.01 * rng.normal(size=(2, labels.shape[1]))
    biases = np.zeros(labels.shape[1])

    # One generated function gives both gradients, in the order of wrt.
    dloss = tangent.grad(loss, wrt=(0, 1))

    losses = []
    report_every = max(1, STEPS // 10)
    for step in range(STEPS + 1):
        losses.append(float(loss(weights, biases, points, labels, PENALTY)))
        if step % report_every == 0 or step == STEPS:
            print(f'step {step:4d}  loss {losses[-1]:.6f}')
        if step == STEPS:
            break
        dweights, dbiases = dloss(weights, biases, points, labels, PENALTY)
        weights = weights - LEARNING_RATE * dweights
        biases = biases - LEARNING_RATE * dbiases

    print(f'training accuracy {accuracy(weights, biases, points, classes):.3f}')
    save_loss_curve('logistic_regression', {'training loss': losses},
                    xlabel='gradient descent step',
                    title='Softmax regression, gradient by tangent')


if __name__ == '__main__':
    main()

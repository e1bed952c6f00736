"""A custom derivative: a numerically stable log-sum-exp with its own rules.

``log(sum(exp(s)))`` written naively overflows as soon as a score passes
about 710: ``exp`` returns inf, the value is inf and the gradient is nan.
Subtracting the largest score first keeps the value finite, and registering
rules for the function keeps its derivative short and stable too:

* ``@adjoint(logsumexp)`` (reverse mode): the gradient of log-sum-exp is
  the softmax, ``exp(s - y)`` with ``y`` the result, which never overflows;
* ``@tangent_(logsumexp)`` (forward mode): the tangent is the softmax
  applied to the input tangent.

Registered rules are used wherever the function is called from code being
differentiated, instead of its source. The script shows the naive version
failing, prints the generated code that inlines the rules, and checks both
modes against central finite differences at scores around 1000.

Run: python examples/custom_logsumexp.py
(it is short either way; TANGENT_EXAMPLES_QUICK=1 is accepted and changes nothing)
"""

import os

import numpy as np

import tangent
from tangent.grads import adjoint, d
from tangent.tangents import tangent_

QUICK = os.environ.get('TANGENT_EXAMPLES_QUICK') == '1'  # already short: nothing to cut


def logsumexp(scores):
    """log(sum(exp(scores))), computed without overflow."""
    largest = np.max(scores)
    return largest + np.log(np.sum(np.exp(scores - largest)))


@adjoint(logsumexp)
def logsumexp_adjoint(result, scores):
    # d[result] is the incoming gradient; the local derivative is the softmax.
    d[scores] = d[result] * np.exp(scores - result)


@tangent_(logsumexp)
def logsumexp_tangent(result, scores):
    d[result] = np.sum(d[scores] * np.exp(scores - result))


def naive_logsumexp(scores):
    return np.log(np.sum(np.exp(scores)))


# The functions we differentiate: the log-partition function of a linear model.
def log_partition(theta, features):
    return logsumexp(features @ theta)


def naive_log_partition(theta, features):
    return naive_logsumexp(features @ theta)


def central_differences(f, theta, features, eps=1e-4):
    gradient = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        gradient[i] = (f(theta + step, features) - f(theta - step, features)) / (2 * eps)
    return gradient


def main():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(5, 3))
    theta = np.array([1200.0, -800.0, 900.0])
    print('scores:', features @ theta)

    with np.errstate(over='ignore', invalid='ignore'):
        naive_value = naive_log_partition(theta, features)
        naive_gradient = tangent.grad(naive_log_partition)(theta, features)
    print(f'\nnaive log-sum-exp: value {naive_value}, gradient {naive_gradient}')

    print('\nWith the custom adjoint, the generated gradient inlines the rule:\n')
    gradient_of = tangent.grad(log_partition, verbose=1)
    gradient = gradient_of(theta, features)
    reference = central_differences(log_partition, theta, features)
    reverse_error = np.max(np.abs(gradient - reference))
    print(f'stable log-sum-exp: value {log_partition(theta, features):.6f}')
    print(f'  reverse mode gradient:  {gradient}')
    print(f'  finite differences:     {reference}')
    print(f'  max difference: {reverse_error:.1e}')

    print('\nForward mode uses the tangent rule:\n')
    directional = tangent.autodiff(log_partition, mode='forward', verbose=1)
    direction = np.array([1.0, 2.0, -1.0])
    forward = directional(theta, features, direction)
    forward_error = abs(forward - reference @ direction)
    print(f'  forward mode, along {direction}: {forward:.6f} '
          f'(finite differences {reference @ direction:.6f}, difference {forward_error:.1e})')

    finite = bool(np.all(np.isfinite(gradient)))
    correct = reverse_error < 1e-5 and forward_error < 1e-5
    print(f'\ngradient finite: {finite}; matches finite differences: {correct}')
    if not (finite and correct):
        raise SystemExit('the custom log-sum-exp rules gave a wrong gradient')


if __name__ == '__main__':
    main()

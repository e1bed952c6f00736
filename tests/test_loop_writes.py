"""Loops that write into an array: right gradients, and a cost linear in the loop.

The backward pass of ``y[i] = v`` zeroes ``by[i]`` in place, which needs an
adjoint no other variable refers to. Copying ``by`` once before the backward
loop, not in every iteration, keeps a loop that fills n values at O(n), not
O(n^2). Every gradient is compared with central finite differences.
"""

import inspect
import re

import numpy as np
import pytest

import tangent
from reference import assert_close, numerical_grad


def fill(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * 2.0
    return np.sum(y * y)


def fill_reading_earlier_values(x):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * 0.5 + x[i]
    return np.sum(y * y)


def fill_in_a_while_loop(x):
    y = x * 1.0
    i = 0
    while i < x.shape[0]:
        y[i] = y[i] * x[i]
        i += 1
    return np.sum(y)


def fill_rows_in_nested_loops(x):
    grid = np.zeros((3, x.shape[0]))
    for row in range(3):
        for i in range(x.shape[0]):
            grid[row, i] = x[i] * (row + 1.0) + np.tanh(x[i])
    return np.sum(grid * grid)


def fill_in_a_branch(x):
    y = np.ones(x.shape[0])
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            y[i] = x[i] * x[i]
        else:
            y[i] = -x[i]
    return np.sum(y * x)


def fill_and_keep_a_copy(x):
    y = x * 2.0
    for i in range(x.shape[0]):
        z = y
        y = z * 1.0
        y[i] = np.cos(x[i])
    return np.sum(y * z)


def fill_twice_per_step(x):
    y = np.zeros(x.shape[0] + 1)
    for i in range(x.shape[0]):
        y[i] = x[i] * 3.0
        y[i + 1] = y[i] + x[i]
    return np.sum(y * y)


CASES = [fill, fill_reading_earlier_values, fill_in_a_while_loop, fill_rows_in_nested_loops,
         fill_in_a_branch, fill_and_keep_a_copy, fill_twice_per_step]


@pytest.mark.parametrize('function', CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_gradients_of_loops_writing_into_arrays(function, motion):
    x = np.array([0.3, -0.8, 1.2, 0.5, -0.1])
    derivative = tangent.autodiff(function, motion=motion,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(x), numerical_grad(function, [x], 0))


@pytest.mark.parametrize('function', CASES, ids=lambda f: f.__name__)
def test_second_order_through_loops_writing_into_arrays(function):
    x = np.array([0.3, -0.8, 1.2, 0.5, -0.1])
    direction = np.array([1.0, -0.5, 0.25, 0.0, 2.0])
    gradient = tangent.grad(function)
    hvp = tangent.autodiff(gradient, mode='forward')(x, direction)
    eps = 1e-5
    expected = (gradient(x + eps * direction) - gradient(x - eps * direction)) / (2 * eps)
    assert_close(hvp, expected, rtol=1e-4, atol=1e-5)


def test_the_adjoint_is_copied_once_before_the_loop_not_in_each_iteration():
    source = inspect.getsource(tangent.grad(fill))
    backward = source[source.index('# Backward pass'):]
    loop = backward[backward.index('for i in reversed'):]
    # The generic code copies with tangent.copy; a version specialised on arrays
    # (what inspect shows once the derivative has run) with by.copy().
    copies = re.compile(r'tangent\.copy\(by\)|by\.copy\(\)')
    assert copies.search(backward[:backward.index('for i in reversed')])
    assert not copies.search(loop)

"""The tape carries only what the backward pass reads and what is overwritten.

A ``for`` loop over ``range`` without ``break`` records each taped value into a
list of its own (``h_saved.append(h)``, ``h = h_saved.pop()``); ``while`` loops
and loops that break keep the general tape. An item ``xs[t]`` of an array that
nothing writes is read again in the backward loop instead of being taped, and
is taped as before when the array or the index can change. Every derivative
is checked against central differences (``tangent.testing.check_grads``).
"""

from __future__ import annotations

import inspect

import numpy as np

import tangent
from tangent.testing import check_grads


def rnn(W, h, xs, T):
    loss = 0.0
    for t in range(T):
        h = np.tanh(W @ h + xs[t])
        loss = loss + np.sum(h * h)
    return loss


def rnn_inputs():
    rng = np.random.default_rng(3)
    return rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4), rng.normal(size=(5, 4))


def branchy(x, n):
    y = x
    for i in range(n):
        if i % 2 == 0:
            y = y * x
        else:
            y = np.sin(y)
    return y


def nested(x, n, m):
    y = x
    for i in range(n):
        for j in range(m):
            y = np.sin(y * x)
    return y


def doubling(x):
    y = x
    while y < 10.0:
        y = y * 1.5 + x
    return y


def stops_early(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
        if y < 0.1:
            break
    return y


def while_around_range(x, n):
    y = x
    k = 0.0
    while k < 2.0:
        for i in range(n):
            y = np.sin(y) * x
        k = k + 1.0
    return y


def reads_item_of_written_array(xs, n):
    ys = xs * 1.0
    total = 0.0
    for t in range(n):
        item = ys[t]
        ys[t] = item * 2.0
        total = total + np.sin(item) * ys[t]
    return total


def reads_item_at_moving_index(xs, n):
    total = 0.0
    k = 0
    for t in range(n):
        item = xs[k]
        total = total + np.sin(item) * total + item
        k = k + 1
    return total


def reads_item_of_reassigned_argument(xs, n):
    total = 0.0
    for t in range(n):
        item = xs[t]
        total = total + np.sin(item) * item
        xs = xs * 0.5
    return total


def reads_item_after_the_inner_loop(xs, n, m):
    total = 0.0
    for i in range(n):
        for j in range(m):
            item = xs[j]
            total = total + np.sin(item * total)
        total = total * item
    return total


def _source(f, **options):
    return inspect.getsource(tangent.grad(f, **options))


def _backward_statements(f, **options) -> list[str]:
    """The statements of the backward pass of ``f``'s gradient, comments left out."""
    backward = _source(f, **options).split('# Backward pass')[1]
    return [line.strip() for line in backward.splitlines()
            if line.strip() and not line.strip().startswith('#')]


def test_rnn_gradient_matches_finite_differences():
    W, h, xs = rnn_inputs()
    check_grads(rnn, W, h, xs, 5, wrt=(0, 1, 2), modes=('reverse', 'forward'), order=2)


def test_rnn_tapes_into_lists_and_reads_inputs_again():
    source = _source(rnn, wrt=(0, 1, 2))
    assert 'tangent.push' not in source and 'tangent.pop' not in source
    assert 'h_saved.append(h)' in source and 'h = h_saved.pop()' in source
    assert 'xs_item = xs[t]' in _backward_statements(rnn, wrt=(0, 1, 2))  # read again, not taped
    assert 'xs_item_saved' not in source


def test_loops_over_range_with_branches_and_nesting_match_finite_differences():
    check_grads(branchy, 0.7, 5, wrt=(0,), modes=('reverse', 'forward'), order=2)
    check_grads(nested, 0.6, 3, 2, wrt=(0,), modes=('reverse', 'forward'), order=2)
    for f in (branchy, nested):
        assert 'tangent.push' not in _source(f)


def test_while_loops_and_breaks_keep_the_general_tape():
    check_grads(doubling, 0.7, wrt=(0,), modes=('reverse', 'forward'), order=2)
    check_grads(stops_early, 0.9, 6, wrt=(0,), modes=('reverse', 'forward'), order=2)
    assert 'tangent.push' in _source(stops_early)
    check_grads(while_around_range, 0.8, 3, wrt=(0,), modes=('reverse', 'forward'), order=2)
    assert '_saved.append' in _source(while_around_range)  # the inner loop's lists


def test_items_of_arrays_that_change_are_taped_and_right():
    xs = np.array([0.3, -0.4, 0.8, 0.2])
    for f in (reads_item_of_written_array, reads_item_at_moving_index,
              reads_item_of_reassigned_argument):
        check_grads(f, xs, 4, wrt=(0,), modes=('reverse', 'forward'), order=2)
        assert not any(line.startswith(('item = xs[', 'item = ys['))
                       for line in _backward_statements(f)), f.__name__


def test_an_item_read_after_its_inner_loop_is_taped_and_right():
    xs = np.array([0.3, -0.4, 0.8])
    check_grads(reads_item_after_the_inner_loop, xs, 2, 3, wrt=(0,),
                modes=('reverse', 'forward'), order=2)
    assert 'item = xs[j]' not in _backward_statements(reads_item_after_the_inner_loop)


def test_split_motion_carries_the_lists_to_the_backward_function():
    W, h, xs = rnn_inputs()
    joint = tangent.grad(rnn, wrt=(0, 1, 2))
    split = tangent.autodiff(rnn, wrt=(0, 1, 2), motion='split')
    for expected, found in zip(joint(W, h, xs, 5), split(W, h, xs, 5, 1.0)):
        np.testing.assert_allclose(found, expected, rtol=1e-12)


def test_second_derivative_through_the_lists_matches_finite_differences():
    second = tangent.grad(tangent.grad(branchy))
    first = tangent.grad(branchy)
    step = 1e-5
    for x in (0.4, 0.9):
        expected = (first(x + step, 5) - first(x - step, 5)) / (2 * step)
        np.testing.assert_allclose(second(x, 5), expected, rtol=1e-6)

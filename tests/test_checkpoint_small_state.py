"""Checkpointed loops over a small state: the backward pass replays and reverses
most steps in sweeps, and reverses a state that stays a number with a step
gradient written for numbers.

References: the schedule without sweeps (itself checked for validity and
optimality in test_checkpoint.py), the gradient of the same loop without
checkpointing, and central finite differences (``tangent.testing.check_grads``
and ``reference.numerical_grad``).
"""

import math

import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent.testing import check_grads


def without_sweeps(actions):
    """The actions a ``('sweep', first, last)`` stands for: steps ``first`` to
    ``last - 2`` run forward, each state after them kept, then the steps from
    ``last - 1`` down to ``first + 1`` reversed from those states."""
    for action, first, last in actions:
        if action != 'sweep':
            yield action, first, last
            continue
        for step in range(first, last - 2):
            yield 'advance', step, step + 1
            yield 'snapshot', step + 1, step + 1
        yield 'advance', last - 2, last - 1
        yield 'reverse', last - 1, last
        for step in range(last - 2, first, -1):
            yield 'restore', step, step
            yield 'reverse', step, step + 1
            yield 'discard', step, step


@pytest.mark.parametrize('steps,snapshots', [
    (1, 1), (2, 1), (2, 2), (3, 2), (7, 2), (20, 3), (100, 10), (129, 11), (1000, 31),
    (4567, 2), (10_000, None), (100_000, None)])
def test_sweeps_stand_for_the_schedule_without_them(steps, snapshots):
    schedule = tangent.revolve(steps, snapshots)
    with_sweeps = tangent.revolve_after_first_sweep(schedule, True)
    assert list(without_sweeps(with_sweeps)) == list(tangent.revolve_after_first_sweep(schedule))


def test_sweeps_leave_few_actions_per_step():
    steps = 100_000
    plain = sum(1 for _ in tangent.revolve_after_first_sweep(tangent.revolve(steps)))
    swept = sum(1 for _ in tangent.revolve_after_first_sweep(tangent.revolve(steps), True))
    assert plain > 4 * steps
    assert swept < steps / 20


def test_a_schedule_given_as_a_list_has_no_sweeps():
    listed = list(tangent.revolve(50, 4))
    assert tangent.revolve_after_first_sweep(listed, True) == \
        tangent.revolve_after_first_sweep(listed)


def euler(u, k, n):
    for step in tangent.checkpoint(range(n)):
        u = u + 0.01 * (np.sin(u) - k * u)
    return np.sum(u * u)


def euler_plain(u, k, n):
    for step in range(n):
        u = u + 0.01 * (np.sin(u) - k * u)
    return np.sum(u * u)


def no_invariants(u, n):
    for step in tangent.checkpoint(range(n), snapshots=3):
        u = np.tanh(u) * 1.2 + 0.05
    return u


def two_invariants(u, a, b, n):
    for step in tangent.checkpoint(range(n), snapshots=4):
        u = np.sin(a * u) + b * u
    return u


def two_numbers_carried(u, v, n):
    for step in tangent.checkpoint(range(n), snapshots=3):
        u, v = u + 0.1 * np.cos(v), v - 0.1 * np.sin(u)
    return u * v


def grows_into_an_array(u, k, n):
    """The state starts as a number and is an array after the first step."""
    for step in tangent.checkpoint(range(n), snapshots=2):
        u = np.sin(k * u) * np.array([1.0, 2.0])
    return np.sum(u * u)


def counter_in_the_step(u, n):
    for step in tangent.checkpoint(range(n), snapshots=2):
        u = u * 0.9 + 0.01 * step * np.cos(u)
    return u


def nested_loop_in_the_step(u, k, n):
    for step in tangent.checkpoint(range(n), snapshots=3):
        for inner in range(2):
            u = u * 0.9 + k * np.sin(u)
    return u


NUMBER_CASES = [
    ('euler', euler, (0.3, 0.5, 40)),
    ('no_invariants', no_invariants, (0.4, 9)),
    ('two_invariants', two_invariants, (0.4, 0.8, 0.3, 11)),
    ('two_numbers_carried', two_numbers_carried, (0.4, -0.2, 10)),
    ('grows_into_an_array', grows_into_an_array, (0.4, 0.9, 6)),
    ('counter_in_the_step', counter_in_the_step, (0.4, 13)),
    ('nested_loop_in_the_step', nested_loop_in_the_step, (0.4, 0.3, 12)),
]


@pytest.mark.parametrize('case', NUMBER_CASES, ids=[c[0] for c in NUMBER_CASES])
def test_number_state_gradients_match_finite_differences(case):
    _, function, args = case
    check_grads(function, *args, modes=('reverse',), order=2)


@pytest.mark.parametrize('case', NUMBER_CASES, ids=[c[0] for c in NUMBER_CASES])
@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_number_state_gradients_match_finite_differences_in_every_argument(case, motion):
    _, function, args = case
    wrt = tuple(i for i, arg in enumerate(args) if isinstance(arg, float))
    gradient = tangent.autodiff(function, wrt=wrt, motion=motion,
                                input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)(*args)
    gradient = gradient if len(wrt) > 1 else (gradient,)
    for position, value in zip(wrt, gradient):
        assert_close(value, numerical_grad(function, args, position), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('steps', [0, 1, 2, 3, 64, 1000])
def test_checkpointed_number_state_equals_the_taped_gradient(steps):
    expected = tangent.grad(euler_plain, wrt=(0, 1))(0.3, 0.5, steps)
    for checkpoint in (True, 5):
        actual = tangent.grad(euler_plain, wrt=(0, 1), checkpoint=checkpoint)(0.3, 0.5, steps)
        assert_close(actual, expected, rtol=1e-12, atol=1e-300)
    assert_close(tangent.grad(euler, wrt=(0, 1))(0.3, 0.5, steps), expected,
                 rtol=1e-12, atol=1e-300)


def test_array_state_equals_the_taped_gradient():
    u, k = np.linspace(-1.0, 1.0, 10), np.full(10, 0.5)
    expected = tangent.grad(euler_plain, wrt=(0, 1))(u, k, 300)
    actual = tangent.grad(euler_plain, wrt=(0, 1), checkpoint=True)(u, k, 300)
    assert_close(actual, expected, rtol=1e-12, atol=1e-300)
    check_grads(euler, u, k, 30, modes=('reverse',))


def step_gradient_source(derivative):
    """The source of the step gradient the numbers version of ``derivative`` calls."""
    version = derivative.specialisations['numbers']
    (step_gradient,) = [value for name, value in version.__globals__.items()
                        if name.startswith('d') and '_loop_step' in name]
    return tangent.compile.source_of(step_gradient)


@pytest.mark.parametrize('function,args', [(euler, (0.3, 0.5, 3)), (no_invariants, (0.4, 3))])
def test_a_number_state_is_reversed_without_matching_shapes(function, args):
    derivative = tangent.grad(function)
    derivative(*args)
    assert 'unbroadcast' not in step_gradient_source(derivative)


def test_a_state_that_may_become_an_array_is_reversed_matching_shapes():
    derivative = tangent.grad(grows_into_an_array, wrt=(0, 1))
    du, dk = derivative(0.4, 0.9, 6)
    assert 'unbroadcast' in step_gradient_source(derivative)
    args = (0.4, 0.9, 6)
    assert math.isclose(du, numerical_grad(grows_into_an_array, args, 0), rel_tol=1e-6)
    assert math.isclose(dk, numerical_grad(grows_into_an_array, args, 1), rel_tol=1e-6)

"""Checkpointed loops give the same gradients with less tape memory.

References: the gradient of the same loop without checkpointing (itself
checked against central finite differences), and finite differences directly.
"""

import math
import tracemalloc

import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent import insert_grad_of
from tangent.grads import adjoint, d
from tangent.tangents import tangent_

CALLS = [0]


def tick(x):
    """The identity, counting its calls: shows how often a loop step runs."""
    CALLS[0] += 1
    return x


@adjoint(tick)
def _tick_adjoint(y, x):
    d[x] = d[y]


@tangent_(tick)
def _tick_tangent(y, x):
    d[y] = d[x]


def scalar_state(x, n):
    for i in tangent.checkpoint(range(n), snapshots=3):
        x = np.sin(x) * 1.1 + 0.1
    return x


def scalar_state_plain(x, n):
    for i in range(n):
        x = np.sin(x) * 1.1 + 0.1
    return x


def several_arrays(x, w, n):
    a = x * 1.0
    b = x * 2.0
    for i in tangent.checkpoint(range(n), snapshots=2):
        a, b = np.tanh(w * b) + a * 0.5, b - 0.1 * a
    return np.sum(a * b)


def several_arrays_plain(x, w, n):
    a = x * 1.0
    b = x * 2.0
    for i in range(n):
        a, b = np.tanh(w * b) + a * 0.5, b - 0.1 * a
    return np.sum(a * b)


def branching(x, n):
    h = x * 1.0
    count = 0
    for i in tangent.checkpoint(range(n)):
        if np.sum(h) > 0.5:
            h = h * 0.8 + np.cos(h)
        else:
            h = h + 0.3
        count = count + 1
    return np.sum(h * h) + count


def branching_plain(x, n):
    h = x * 1.0
    count = 0
    for i in range(n):
        if np.sum(h) > 0.5:
            h = h * 0.8 + np.cos(h)
        else:
            h = h + 0.3
        count = count + 1
    return np.sum(h * h) + count


def nested(x, n):
    h = x * 1.0
    for i in tangent.checkpoint(range(n), snapshots=2):
        for j in range(3):
            h = np.sin(h) * 1.05 + 0.01 * j
    return np.sum(h)


def nested_plain(x, n):
    h = x * 1.0
    for i in range(n):
        for j in range(3):
            h = np.sin(h) * 1.05 + 0.01 * j
    return np.sum(h)


def strided(x, n):
    total = 0.0
    for i in tangent.checkpoint(range(1, 2 * n, 2), snapshots=2):
        total = total + np.sum(np.sin(x * i))
        x = x * 0.9
    return total


def strided_plain(x, n):
    total = 0.0
    for i in range(1, 2 * n, 2):
        total = total + np.sum(np.sin(x * i))
        x = x * 0.9
    return total


def mutating(x, n):
    h = x * 1.0
    for i in tangent.checkpoint(range(n), snapshots=2):
        h[0] = h[1] * h[2]
        h = h * 1.1
    return np.sum(h * h)


def mutating_plain(x, n):
    h = x * 1.0
    for i in range(n):
        h[0] = h[1] * h[2]
        h = h * 1.1
    return np.sum(h * h)


def augmented_state(x, n):
    h = x * 1.0
    for i in tangent.checkpoint(range(n), snapshots=2):
        h += np.sin(h) * 0.1
        h *= 1.01
    return np.sum(h)


def augmented_state_plain(x, n):
    h = x * 1.0
    for i in range(n):
        h += np.sin(h) * 0.1
        h *= 1.01
    return np.sum(h)


def list_written_in_place(x, n):
    s = [x * 1.0, x * 2.0]
    for i in tangent.checkpoint(range(n), snapshots=2):
        a = np.sin(s[1]) + s[0] * 0.5
        s[1] = s[0] * 0.9
        s[0] = a
    return np.sum(s[0] * s[1])


def list_written_in_place_plain(x, n):
    s = [x * 1.0, x * 2.0]
    for i in range(n):
        a = np.sin(s[1]) + s[0] * 0.5
        s[1] = s[0] * 0.9
        s[0] = a
    return np.sum(s[0] * s[1])


def dict_written_in_place(x, n):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for i in tangent.checkpoint(range(n), snapshots=2):
        a = np.sin(d['b']) + d['a'] * 0.5
        d['b'] = d['a'] * 0.9
        d['a'] = a
    return np.sum(d['a'] * d['b'])


def dict_written_in_place_plain(x, n):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for i in range(n):
        a = np.sin(d['b']) + d['a'] * 0.5
        d['b'] = d['a'] * 0.9
        d['a'] = a
    return np.sum(d['a'] * d['b'])


def carried_from_the_last_step(x, n):
    h = x
    for i in tangent.checkpoint(range(n), snapshots=2):
        if i > 0:
            h = h + previous * 0.5  # noqa: F821 - bound by the step before
        previous = np.sin(h)  # noqa: F841 - read by the next step
    return np.sum(h)


def carried_from_the_last_step_plain(x, n):
    h = x
    for i in range(n):
        if i > 0:
            h = h + previous * 0.5  # noqa: F821 - bound by the step before
        previous = np.sin(h)  # noqa: F841 - read by the next step
    return np.sum(h)


X = np.array([0.3, -0.2, 0.5])
CASES = [
    ('scalar_state', scalar_state, scalar_state_plain, lambda n: (0.4, n), (0,)),
    ('several_arrays', several_arrays, several_arrays_plain, lambda n: (X, 0.7, n), (0, 1)),
    ('branching', branching, branching_plain, lambda n: (X, n), (0,)),
    ('nested', nested, nested_plain, lambda n: (X, n), (0,)),
    ('strided', strided, strided_plain, lambda n: (X, n), (0,)),
    ('mutating', mutating, mutating_plain, lambda n: (X, n), (0,)),
    ('augmented', augmented_state, augmented_state_plain, lambda n: (X, n), (0,)),
    ('list_in_place', list_written_in_place, list_written_in_place_plain,
     lambda n: (X, n), (0,)),
    ('dict_in_place', dict_written_in_place, dict_written_in_place_plain,
     lambda n: (X, n), (0,)),
    ('carried', carried_from_the_last_step, carried_from_the_last_step_plain,
     lambda n: (X, n), (0,)),
]
MOTIONS = [dict(motion='joint', optimized=True), dict(motion='split', optimized=True),
           dict(motion='joint', optimized=False)]


@pytest.mark.parametrize('steps', [0, 1, 2, 7, 30])
@pytest.mark.parametrize('options', MOTIONS,
                         ids=lambda o: f"{o['motion']}-{'opt' if o['optimized'] else 'noopt'}")
@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_checkpointed_gradient_equals_taped_gradient(case, options, steps):
    _, checkpointed, plain, make_args, wrt = case
    args = make_args(steps)
    expected = tangent.autodiff(plain, wrt=wrt, **options,
                                input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)(*args)
    actual = tangent.autodiff(checkpointed, wrt=wrt, **options,
                              input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)(*args)
    assert_close(actual, expected, rtol=1e-12, atol=1e-12)
    first = expected[0] if len(wrt) > 1 else expected
    assert_close(first, numerical_grad(plain, args, wrt[0]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('snapshots', [True, 1, 3])
@pytest.mark.parametrize('steps', [0, 1, 5, 100])
def test_checkpoint_option_checkpoints_every_range_loop(steps, snapshots):
    gradient = tangent.grad(several_arrays_plain, wrt=(0, 1), checkpoint=snapshots)
    expected = tangent.grad(several_arrays_plain, wrt=(0, 1))(X, 0.7, steps)
    assert_close(gradient(X, 0.7, steps), expected, rtol=1e-12, atol=1e-12)


def test_generated_code_shows_the_schedule():
    source = tangent.compile.source_of(tangent.grad(scalar_state))
    assert 'tangent.revolve(' in source
    assert "'advance'" in source and "'snapshot'" in source and "'restore'" in source


def counted_loop(x, n, snapshots):
    for i in tangent.checkpoint(range(n), snapshots=snapshots):
        x = np.sin(tick(x)) * 1.1 + 0.1
    return x


@pytest.mark.parametrize('steps,snapshots', [(1, 1), (7, 2), (20, 3), (100, 10)])
def test_recomputations_match_the_schedule(steps, snapshots):
    gradient = tangent.grad(counted_loop)
    CALLS[0] = 0
    value = gradient(0.3, steps, snapshots)
    # The primal pass runs every step once, the schedule replays some, and the
    # gradient of each step recomputes that step once.
    assert CALLS[0] == steps + tangent.revolve_advances(steps, snapshots) + steps
    expected = tangent.grad(scalar_state_plain)(0.3, steps)
    assert abs(value - expected) < 1e-12


@pytest.mark.parametrize('steps,snapshots', [(10, 3), (100, 10), (1000, 31)])
def test_revolve_reverses_every_step_with_at_most_the_snapshots(steps, snapshots):
    schedule = tangent.revolve(steps, snapshots)
    reversed_steps = [first for action, first, _ in schedule if action == 'reverse']
    assert reversed_steps == list(range(steps - 1, -1, -1))
    live, most, position = set(), 0, 0
    for action, first, last in schedule:
        if action == 'advance':
            assert position == first
            position = last
        elif action == 'snapshot':
            assert position == first
            live.add(first)
            most = max(most, len(live))
        elif action == 'restore':
            assert first in live
            position = first
        elif action == 'discard':
            live.remove(first)
        else:
            assert position == first
    assert most <= snapshots
    # Binomial checkpointing replays each step at most t times, where t is the
    # smallest repetition number with comb(snapshots + t, t) >= steps.
    assert tangent.revolve_advances(steps, snapshots) <= 3 * steps


def binomial_optimum(steps, snapshots):
    """(t, fewest forward steps) for reversing ``steps`` steps holding at most
    ``snapshots`` states (the start's included), by Griewank and Walther's closed
    form: t is the smallest with comb(s + t, t) >= steps, and the forward steps
    number t * steps - comb(s + t, t - 1)."""
    repetitions = 0
    while math.comb(snapshots + repetitions, repetitions) < steps:
        repetitions += 1
    if repetitions == 0:
        return 0, 0
    return repetitions, repetitions * steps - math.comb(snapshots + repetitions,
                                                        repetitions - 1)


def test_the_closed_form_is_the_optimum_of_the_recurrence():
    """The reference itself: splitting off the first m steps, advancing them, and
    reversing the rest with one snapshot fewer, minimised over m."""
    fewest = {}
    for snapshots in range(1, 7):
        for steps in range(1, 40):
            if steps == 1:
                best = 0
            elif snapshots == 1:
                best = steps * (steps - 1) // 2
            else:
                best = min(m + fewest[steps - m, snapshots - 1] + fewest[m, snapshots]
                           for m in range(1, steps))
            fewest[steps, snapshots] = best
            assert binomial_optimum(steps, snapshots)[1] == best, (steps, snapshots)


def replay(schedule, steps, snapshots):
    """Runs a schedule on positions instead of states, checking each action is
    possible; returns what it did. (Plain ifs, not asserts: pytest's rewritten
    asserts would triple the time of this loop over millions of actions.)"""
    position, held, most_held = 0, set(), 0
    next_reversal, advances, advances_before_reversing = steps - 1, 0, None
    last_snapshot_before_reversing = first_reversed = None
    # Forward runs per step, as a difference array: step j ran sum(runs[:j + 1]) times.
    runs = np.zeros(steps + 1, dtype=np.int64)
    for action, first, last in schedule:
        if action == 'advance':
            if not (first == position and first < last <= steps):
                raise AssertionError(f'advance {first}..{last} from step {position}')
            runs[first] += 1
            runs[last] -= 1
            advances += last - first
            position = last
        elif action == 'snapshot':
            if first != position or first in held:
                raise AssertionError(f'snapshot of {first} at step {position}, held: {held}')
            held.add(first)
            most_held = max(most_held, len(held))
            if first_reversed is None:
                last_snapshot_before_reversing = first
        elif action == 'restore':
            if first not in held:
                raise AssertionError(f'restore of {first}, not held')
            position = first
        elif action == 'discard':
            held.remove(first)
        elif action == 'reverse':
            # The state before this step is the current one, and the steps are
            # reversed from the last to the first, each once.
            if (first, last) != (next_reversal, next_reversal + 1) or position != first:
                raise AssertionError(f'reverse {first} at step {position}, '
                                     f'expected {next_reversal}')
            if first_reversed is None:
                first_reversed, advances_before_reversing = first, advances
            next_reversal -= 1
        else:
            raise AssertionError(f'unknown action {action}')
    assert next_reversal == -1, 'not every step was reversed'
    assert not held, f'snapshots left: {sorted(held)[:5]}'
    return dict(most_held=most_held, advances=advances,
                most_runs=int(np.cumsum(runs).max(initial=0)),
                advances_before_reversing=advances_before_reversing or 0,
                way_back=0 if first_reversed is None
                else first_reversed - last_snapshot_before_reversing)


def check_schedule(steps, snapshots):
    repetitions, fewest = binomial_optimum(steps, snapshots)
    done = replay(tangent.revolve(steps, snapshots), steps, snapshots)
    assert done['most_held'] <= snapshots
    assert done['advances'] == fewest
    assert done['most_runs'] <= repetitions
    # The loop runs the first sweep itself, taking its snapshots; the backward
    # pass replays the rest and the way back from the last snapshot to the end.
    assert tangent.revolve_advances(steps, snapshots) == (
        fewest - done['advances_before_reversing'] + done['way_back'])


def test_revolve_schedules_are_valid_and_optimal_for_small_sizes():
    for snapshots in range(1, 12):
        for steps in range(0, 130):
            check_schedule(steps, snapshots)


@pytest.mark.parametrize('steps,snapshots', [
    (1000, 31), (4567, 1), (4567, 2), (10_000, 100), (10_000, 10_000),
    (300_000, 2 * math.isqrt(300_000)),
    (1_000_000, 2), (1_000_000, 3), (1_000_000, 2 * math.isqrt(1_000_000))])
def test_revolve_schedules_are_valid_and_optimal_for_long_loops(steps, snapshots):
    check_schedule(steps, snapshots)


def test_revolve_computes_its_actions_as_they_are_read():
    steps = 20_000
    tracemalloc.start()
    count = sum(1 for _ in tangent.revolve(steps))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # A list would hold every action (about five per step, over 60 bytes each);
    # the pending segments are a few per snapshot.
    assert count > 4 * steps
    assert peak < 1024 * 2 * math.isqrt(steps)


def test_the_schedule_as_a_list():
    """Code differentiated twice reads the schedule by position; a schedule given
    as a list gives the same remaining actions."""
    schedule = tangent.revolve(50, 4)
    listed = list(schedule)
    assert len(schedule) == len(listed) and schedule[7] == listed[7]
    assert list(tangent.revolve_after_first_sweep(schedule)) == \
        tangent.revolve_after_first_sweep(listed)


def relax(x, w, n):
    for i in range(n):
        x = x + 1e-5 * math.sin(w * x)
    return x


def test_a_loop_of_300_000_steps_is_checkpointed():
    """Twice the square root of 300,000 is 1,094 snapshots: the recursive schedule
    was that deep and raised RecursionError."""
    steps = 300_000
    expected = tangent.grad(relax, wrt=(0, 1))(0.5, 1.3, steps)
    actual = tangent.grad(relax, wrt=(0, 1), checkpoint=True)(0.5, 1.3, steps)
    assert_close(actual, expected, rtol=1e-12, atol=0)
    h = 1e-6
    central = ((relax(0.5 + h, 1.3, steps) - relax(0.5 - h, 1.3, steps)) / (2 * h),
               (relax(0.5, 1.3 + h, steps) - relax(0.5, 1.3 - h, steps)) / (2 * h))
    assert_close(actual, central, rtol=1e-6, atol=1e-9)


def test_surgery_inside_a_checkpointed_loop():
    def clipped(x, w):
        h = x * 1.0
        for i in tangent.checkpoint(range(5), snapshots=2):
            h = np.tanh(w * h) + x
            with insert_grad_of(h) as dh:
                dh = dh * 0.5
        return np.sum(h)

    def clipped_plain(x, w):
        h = x * 1.0
        for i in range(5):
            h = np.tanh(w * h) + x
            with insert_grad_of(h) as dh:
                dh = dh * 0.5
        return np.sum(h)

    expected = tangent.grad(clipped_plain, wrt=(0, 1))(X, 0.7)
    assert_close(tangent.grad(clipped, wrt=(0, 1))(X, 0.7), expected, rtol=1e-12, atol=1e-12)
    # The surgery really happened: without it the gradient differs.
    def unclipped(x, w):
        h = x * 1.0
        for i in range(5):
            h = np.tanh(w * h) + x
        return np.sum(h)
    assert not np.allclose(tangent.grad(unclipped)(X, 0.7), expected[0])


def euler_checkpointed(x, w):
    h = x * 1.0
    for i in tangent.checkpoint(range(6), snapshots=2):
        h = h + 0.1 * np.tanh(w * h + i)
    return np.sum(h * h)


def test_forward_over_reverse_hvp_through_a_checkpointed_loop():
    v = np.array([1.0, 2.0, -1.0])
    hvp = tangent.autodiff(tangent.autodiff(euler_checkpointed, check_dims=False),
                           mode='forward', check_dims=False)
    first = tangent.grad(euler_checkpointed)
    expected = (first(X + 1e-6 * v, 0.7) - first(X - 1e-6 * v, 0.7)) / 2e-6
    assert_close(hvp(X, 0.7, 1.0, v), expected, rtol=1e-5, atol=1e-6)


def test_reverse_over_reverse_through_a_checkpointed_loop():
    second = tangent.grad(tangent.grad(scalar_state))
    first = tangent.grad(scalar_state)
    expected = (first(0.4 + 1e-5, 5) - first(0.4 - 1e-5, 5)) / 2e-5
    assert abs(second(0.4, 5) - expected) < 1e-6


def long_loop(u, n):
    for step in range(n):
        u = u + 0.01 * np.sin(u)
    return np.sum(u)


def _peak_memory(function, *args):
    tracemalloc.start()
    function(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_checkpointing_lowers_peak_memory():
    u = np.linspace(0.0, 1.0, 20_000)
    taped = _peak_memory(tangent.grad(long_loop), u, 400)
    checkpointed = _peak_memory(tangent.grad(long_loop, checkpoint=True), u, 400)
    # 400 steps of a 160 kB state: the tape holds hundreds of states, the
    # checkpoints about twenty.
    assert checkpointed * 5 < taped


def test_checkpointed_loop_body_restrictions_are_explained():
    def with_break(x):
        for i in tangent.checkpoint(range(4)):
            x = x * 2.0
            if x > 10.0:
                break
        return x

    with pytest.raises(tangent.TangentParseError, match='break in a checkpointed loop'):
        tangent.grad(with_break)


def for_each_step(x, n):
    for i in range(n):
        x = np.sin(x) * 1.1
    return np.sum(x)


def test_a_function_named_like_a_keyword_is_checkpointed():
    """The step's temporaries are named after the function: ``for`` is no name."""
    derivative = tangent.grad(for_each_step, checkpoint=True)
    assert_close(derivative(X, 5), numerical_grad(for_each_step, [X, 5], 0))

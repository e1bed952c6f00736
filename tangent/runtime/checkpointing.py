"""Checkpointing: the loop marker and the binomial (revolve) schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any


# -------------------------------------------------------------- checkpointing


def checkpoint(iterations: Any, snapshots: int | None = None) -> Any:
    """Mark a loop for checkpointing: ``for i in tangent.checkpoint(range(n), snapshots=k):``.

    Called normally it returns ``iterations`` unchanged; in reverse mode the
    loop keeps at most ``snapshots`` copies of its state instead of a tape
    entry per step (None: twice the square root of the number of steps).
    """
    return iterations


def revolve(iterations: Any, snapshots: int | None = None) -> RevolveSchedule:
    """The binomial checkpointing schedule for reversing ``len(iterations)`` steps.

    An iterable of ``(action, first, last)``: 'advance' (run steps first..last-1),
    'snapshot' / 'restore' / 'discard' (the state before step ``first``) and
    'reverse' (reverse step ``first``, whose input state is the current one).
    With ``s`` snapshots and ``t`` the smallest number with
    ``comb(s + t, t) >= steps``, no step is run forward more than ``t`` times
    and the forward steps number ``t * steps - comb(s + t, t - 1)``, the fewest
    possible (Griewank and Walther's binomial schedule).

    The actions are computed as they are read, in constant time each, so
    iterating costs time proportional to the schedule and memory proportional
    to the snapshots (``list(revolve(...))`` is the list of them).
    """
    steps = iterations if isinstance(iterations, int) else len(iterations)
    if snapshots is None:
        # Twice the square root: each step then runs forward at most about twice
        # while the snapshots stay a small fraction of a full tape.
        snapshots = max(1, 2 * math.isqrt(max(steps, 0)))
    if snapshots < 1 and steps > 0:
        raise ValueError(f'checkpointing needs at least one snapshot, got {snapshots}')
    return RevolveSchedule(max(steps, 0), snapshots)


class RevolveSchedule:
    """The actions of a binomial schedule, computed afresh each time it is
    iterated (all of them, or those left after the first sweep).

    Iterating holds nothing beyond the pending segments. ``len`` and indexing,
    which code differentiated a second time uses because it loops by
    position, build the list once.
    """

    def __init__(self, steps: int, snapshots: int, after_first_sweep: bool = False,
                 sweeps: bool = False):
        self.steps = steps
        self.snapshots = snapshots
        self.after_first_sweep = after_first_sweep
        self.sweeps = sweeps
        self._listed = None

    def __iter__(self) -> Iterator:
        return _binomial_actions(self.steps, self.snapshots, self.after_first_sweep,
                                 self.sweeps)

    def _list(self) -> list:
        if self._listed is None:
            self._listed = list(iter(self))  # a generator: no length hint calls len(self)
        return self._listed

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: int | slice) -> Any:
        return self._list()[index]

    def __repr__(self) -> str:
        rest = ', after the first sweep' if self.after_first_sweep else ''
        rest += ', with sweeps' if self.sweeps else ''
        return f'<binomial schedule: {self.steps} steps, {self.snapshots} snapshots{rest}>'


def _binomial_actions(steps: int, snapshots: int, after_first_sweep: bool,
                      sweeps: bool = False) -> Iterator:
    """The binomial schedule reversing ``steps`` steps with ``snapshots`` states
    held at most, the start's included; computed without recursion.

    Write ``b(s, t) = comb(s + t, t)``: with ``s`` snapshots and each step run
    forward at most ``t`` times, at most ``b(s, t)`` steps can be reversed. A
    segment of ``l`` steps whose start is saved, with ``s >= 2`` snapshots and
    ``t`` the smallest with ``b(s, t) >= l``, advances ``m`` steps, snapshots
    the state there, reverses the last ``l - m`` steps with ``s - 1`` snapshots
    and then the first ``m`` with ``s``. Any ``m`` with ``b(s, t - 2) <= m <=
    b(s, t - 1)`` and ``b(s - 1, t - 1) <= l - m <= b(s - 1, t)`` makes the
    total forward steps ``t * l - b(s + 1, t - 1)``, the fewest possible; the
    smallest such ``m`` is taken.

    Pending work is a stack, at most three entries per snapshot. Each segment
    carries an upper bound ``t`` and ``b(s, t)`` from its parent, lowered by
    the ratio ``b(s, t - 1) = b(s, t) * t / (s + t)``; the parts of a segment
    of exactly ``b(s, t)`` steps are exact binomials again, so only one chain
    of segments from the whole range ever lowers ``t`` by more than one, and
    the whole schedule costs time proportional to its length.

    ``after_first_sweep`` leaves out the advances and snapshots before the
    first reversal (the loop itself takes them) and starts by restoring the
    last of them. One generator, not a chain of them: the backward pass reads
    an action per step or so, and each layer would cost as much again.

    ``sweeps`` writes a segment that has a snapshot for every step as one
    ``('sweep', first, last)`` (see ``revolve_after_first_sweep``) followed by
    restoring ``first`` and reversing it, rather than five actions a step.
    """
    if steps <= 0:
        return
    sweeping = after_first_sweep
    if not sweeping:
        yield ('snapshot', 0, 0)
    repetitions, binomial = 1, snapshots + 1        # b(s, 1)
    if snapshots > 1:
        while binomial < steps:
            repetitions += 1
            binomial = binomial * (snapshots + repetitions) // repetitions
    # Last first: a segment (first, last, snapshots, repetitions, b(snapshots,
    # repetitions)), or an action to yield as it is.
    pending = [(0, steps, snapshots, repetitions, binomial)]
    while pending:
        item = pending.pop()
        if len(item) == 3:
            yield item
            continue
        first, last, snapshots, repetitions, binomial = item
        length = last - first
        if length == 1 or snapshots == 1:
            if sweeping:  # the first reversal: back to the snapshot this segment starts at
                sweeping = False
                yield ('restore', first, first)
            # With only the start saved, replay from it up to every step.
            for step in range(last - 1, first, -1):
                yield ('advance', first, step)
                yield ('reverse', step, step + 1)
                yield ('restore', first, first)
            yield ('reverse', first, first + 1)
            continue
        fewer = binomial * repetitions // (snapshots + repetitions)     # b(s, t - 1)
        while fewer >= length:
            repetitions, binomial = repetitions - 1, fewer
            fewer = binomial * repetitions // (snapshots + repetitions)
        if repetitions == 1:
            # A snapshot for every step but the last (length <= s + 1): advance one
            # step at a time, saving each state, and reverse back through them.
            # Written out rather than split, as most steps of a schedule with the
            # default snapshots fall in such a segment.
            if sweeps and not sweeping:
                yield ('sweep', first, last)
                yield ('restore', first, first)
                yield ('reverse', first, first + 1)
                continue
            if sweeping:
                sweeping = False
                yield ('restore', last - 2, last - 2)
            else:
                for step in range(first, last - 2):
                    yield ('advance', step, step + 1)
                    yield ('snapshot', step + 1, step + 1)
            yield ('advance', last - 2, last - 1)
            yield ('reverse', last - 1, last)
            yield ('restore', last - 2, last - 2)
            yield ('reverse', last - 2, last - 1)
            for step in range(last - 3, first - 1, -1):
                yield ('discard', step + 1, step + 1)
                yield ('restore', step, step)
                yield ('reverse', step, step + 1)
            continue
        right_most = binomial - fewer                   # b(s - 1, t), Pascal's rule
        left_least = fewer * (repetitions - 1) // (snapshots + repetitions - 1)  # b(s, t - 2)
        middle = first + max(1, left_least, length - right_most)
        if not sweeping:
            yield ('advance', first, middle)
            yield ('snapshot', middle, middle)
        pending.append((first, middle, snapshots, repetitions - 1, fewer))
        pending.append(('restore', first, first))
        pending.append(('discard', middle, middle))
        pending.append((middle, last, snapshots - 1, repetitions, right_most))
    yield ('discard', 0, 0)


def revolve_first_sweep(schedule: Iterable) -> set:
    """The steps whose input state the schedule saves before its first reversal:
    the loop itself takes these snapshots as it runs."""
    first_sweep = set()
    for action, first, _ in schedule:
        if action == 'reverse':
            break
        if action == 'snapshot':
            first_sweep.add(first)
    return first_sweep


def revolve_after_first_sweep(schedule: Iterable, sweeps: bool = False) -> Iterable:
    """What remains of ``schedule`` once the loop ran, taking the first snapshots:
    back from the end to the last of them, then the rest of the schedule.

    For a schedule from ``revolve``, a schedule of the same kind, computed as it
    is read; for any other iterable of actions, a list.

    With ``sweeps``, a schedule from ``revolve`` also has ``('sweep', first,
    last)`` actions: from the state before step ``first`` (saved), run steps
    ``first`` to ``last - 2`` saving the state after each, then reverse steps
    ``last - 1`` down to ``first + 1`` from those states, freeing each. This is
    what the schedule does anyway in most of its steps, written as two tight
    loops instead of an action or more per step, for loops whose step costs
    less than reading an action. Other iterables have no sweeps.
    """
    if isinstance(schedule, RevolveSchedule):
        return RevolveSchedule(schedule.steps, schedule.snapshots, after_first_sweep=True,
                               sweeps=sweeps)
    actions = iter(schedule)
    last_snapshot = None
    for action, first, last in actions:
        if action == 'snapshot':
            last_snapshot = first
        elif action == 'reverse':
            resume = [('restore', last_snapshot, last_snapshot)]
            if first > last_snapshot:
                resume.append(('advance', last_snapshot, first))
            return resume + [(action, first, last), *actions]
    return []


def revolve_advances(steps: int, snapshots: int | None = None) -> int:
    """How many forward steps the backward pass replays, after the loop took the
    schedule's first snapshots (for tests and docs)."""
    return sum(last - first for action, first, last
               in revolve_after_first_sweep(revolve(steps, snapshots)) if action == 'advance')

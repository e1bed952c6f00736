"""The benchmark workloads' gradients, checked at a small size without timing.

``benchmarks/run.py`` checks every gradient against the hand-written one
before it times anything, but only when someone runs it. This test keeps the
workloads honest in the suite: for each workload, at inputs small enough to
be quick (``make_test_inputs``, or the benchmark's own inputs when they are
small already), the hand-written gradient agrees with central differences
along a random direction, and the hand-written gradient and tangent's agree
with autograd running the very same source. The results go through
``benchmarks/systems.py``, the code the benchmark itself uses, so dicts of
gradients are compared leaf by leaf as there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'benchmarks'))

from systems import Autograd, Hand, Tangent  # noqa: E402
from workloads import WORKLOADS, leaves, map_leaves  # noqa: E402

SEED = 7


def _inputs(workload):
    make = workload.make_test_inputs or workload.make_inputs
    return make(np.random.default_rng(SEED))


def _result(system, workload, inputs):
    built = system.build(workload, inputs)
    return built.to_numpy(built.call())


def _assert_same(got, want, who, workload):
    assert len(got) == len(want), f'{who} on {workload.name}: {len(got)} results, not {len(want)}'
    for index, (part, expected) in enumerate(zip(got, want)):
        assert np.shape(part) == np.shape(expected), (who, workload.name, index)
        np.testing.assert_allclose(part, expected, rtol=1e-7, atol=1e-9,
                                   err_msg=f'{who} on {workload.name}, result {index}')


def _shifted(value, direction, scale):
    if isinstance(value, dict):
        return {key: _shifted(value[key], direction[key], scale) for key in value}
    return value + scale * direction


def _central_difference(workload, inputs, directions, eps):
    def at(scale):
        shifted = list(inputs)
        for index, direction in directions.items():
            shifted[index] = _shifted(inputs[index], direction, scale)
        return workload.function(*shifted)

    return (at(eps) - at(-eps)) / (2 * eps)


@pytest.mark.parametrize('workload', WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_hand_gradient_matches_central_differences(workload):
    inputs = _inputs(workload)
    rng = np.random.default_rng(SEED + 1)
    hand = _result(Hand(), workload, inputs)
    if workload.kind == 'hvp':
        # H v projected on u: the mixed second difference of f along u and v.
        f_args, v = inputs[:-1], inputs[-1]
        u = rng.standard_normal(np.shape(f_args[0]))
        eps = 1e-3

        def along_v(scale):
            shifted = (f_args[0] + scale * v,) + tuple(f_args[1:])
            return _central_difference(workload, shifted, {0: u}, eps)

        estimate = (along_v(eps) - along_v(-eps)) / (2 * eps)
        exact = float(np.dot(u, hand[0]))
        assert estimate == pytest.approx(exact, rel=1e-4, abs=1e-7), workload.name
        return
    directions = {index: map_leaves(lambda leaf: rng.standard_normal(np.shape(leaf)),
                                    inputs[index])
                  for index in workload.wrt}
    flat_directions = [leaf for index in workload.wrt for leaf in leaves(directions[index])]
    exact = sum(float(np.sum(g * d)) for g, d in zip(hand, flat_directions))
    estimate = _central_difference(workload, inputs, directions, 1e-6)
    assert estimate == pytest.approx(exact, rel=1e-5, abs=1e-7), workload.name


@pytest.mark.parametrize('workload', WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_hand_and_tangent_gradients_match_autograd(workload):
    inputs = _inputs(workload)
    reference = _result(Autograd(), workload, inputs)
    _assert_same(_result(Hand(), workload, inputs), reference, 'hand NumPy', workload)
    _assert_same(_result(Tangent(), workload, inputs), reference, 'tangent', workload)


def test_a_wrong_gradient_is_caught():
    """The comparison above fails on a gradient that is off in one entry."""
    workload = next(w for w in WORKLOADS if w.name == 'lstm_small')
    inputs = _inputs(workload)
    reference = _result(Autograd(), workload, inputs)
    wrong = list(_result(Hand(), workload, inputs))
    wrong[1] = wrong[1].copy()
    wrong[1].flat[0] += 1e-4
    with pytest.raises(AssertionError):
        _assert_same(tuple(wrong), reference, 'hand NumPy', workload)

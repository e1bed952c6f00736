"""Wrong gradients the 20,000-program fuzz campaign of issue 18 found, as the
fuzzer reduced them. Every expected value is independent of tangent: central
finite differences of the program itself.

Both came from one bug: after a branch whose arms each hold an ``if`` (an
inlined helper brings one), an adjoint that every arm had reset stayed set, so
it was counted again in each backward iteration of the enclosing loop.
"""

import os
import sys

import numpy as np
import pytest
import tangent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import assert_close, numerical_grad  # noqa: E402


def passes_through(p0, p1):
    if np.sum(p1) > -0.85:
        pass
    return p1


def branch_assigns_from_a_constant(v8):
    """Campaign program #17236 as the fuzzer reduced it: both branches call an
    inlined helper and one assigns ``j31`` from a name bound nowhere; the adjoint
    of ``j31`` is not reset between backward iterations, so it counts three times."""
    t9 = v8
    for k12, e11 in enumerate(v8):
        t13 = e11
        a14 = e11
    for i20 in range(1, 0, -1):
        pass
    for i28 in range(3, 0, -1):
        if i20 < -0.65:  # never taken: a23 and j22 are never bound
            t29 = passes_through(np.log(1.5 + np.cos(a23)), t9 / (1.0 + t13 * t13))  # noqa: F821,F841
            j31 = j22  # noqa: F821
        else:
            j30 = passes_through(np.mean(t13), i20 + t9)  # noqa: F841
            j31 = a14
    return j31


def test_bug_17236_an_adjoint_is_reset_after_branches_holding_ifs():
    v = np.array([-0.2662739454944165, -0.5537069166110282, 1.439823522220078])
    assert_close(tangent.grad(branch_assigns_from_a_constant)(v),
                 numerical_grad(branch_assigns_from_a_constant, [v], 0))


def pair_of(p0, /):
    if p0[2] > 0.63:
        pass
    for k5, e4 in enumerate(p0):
        a1 = p0
    return (e4) * (e4), a1[0]


def loop_of_helper_calls(x7, /):
    a8 = x7
    for i9 in range(1, 5):
        t10, t11 = pair_of((np.array([x7, i9, -1.84])) - (np.array([-0.39, -1.52, -1.91])))
        if np.mean(np.array([a8, x7, t11])) > -0.56:
            w12 = ((np.array([x7, i9, a8])) / (1.5 + np.cos(np.array([1.26, -0.83, 1.76])))) * 1.0
            t14, t15 = pair_of((w12) / (1.0 + (x7) * (x7)))
            j18 = t15
        else:
            t16, t17 = pair_of((np.array([t11, t10, i9])) - (np.array([1.94, -0.12, -1.73])))
            j18 = (a8) * (a8)
        t19, t20 = pair_of((np.array([0.17, 0.16, 0.79])) + (np.array([j18, x7, t11])))
    for i21 in range(1, 5):
        a22 = (np.tanh(0.2)) + ((np.array([i21, t20, -1.0]))[0])
        T23 = ((np.array([i21, a22, t11])) + (np.array([0.42, t19, i21])),
               (np.array([j18, a22, t20])) ** 3)
        u24, u25 = T23
    return np.sum(u25)


@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_bug_15710_helpers_in_both_arms_of_a_branch_in_a_loop(motion):
    derivative = tangent.autodiff(loop_of_helper_calls, motion=motion,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(1.3979577820235),
                 numerical_grad(loop_of_helper_calls, [1.3979577820235], 0))


def branches_with_inner_ifs(x, c):
    """The class of #15710 and #17236 without helpers: each arm of an if in a loop
    holds an if of its own and reassigns ``y``; only the last iteration's ``y`` is
    returned, so its gradient must not be counted once per iteration."""
    y = x * 0.0
    for i in range(3):
        if c > 0.0:
            if x > 5.0:
                pass
            y = x * 2.0
        else:
            if x < -5.0:
                pass
            y = x * 3.0
    return y * x


@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('c', [1.0, -1.0])
def test_an_adjoint_reset_in_every_arm_of_a_branch_holding_ifs(motion, c):
    derivative = tangent.autodiff(branches_with_inner_ifs, motion=motion,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(0.7, c), numerical_grad(branches_with_inner_ifs, [0.7, c], 0))

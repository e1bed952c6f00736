"""Wrong results the 20,000-program fuzz campaign of issue 18 found, not yet fixed.

Each is a strict xfail: it fails today, and the day a fix makes it pass, the
suite says so and the marker must go. Every expected value is independent of
tangent: central finite differences of the program itself.
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


@pytest.mark.xfail(strict=True, reason='fuzz campaign #17236: an adjoint not reset between '
                   'loop iterations when a loop body holds an inlined helper')
def test_an_adjoint_is_reset_between_iterations_next_to_an_inlined_helper():
    v = np.array([-0.2662739454944165, -0.5537069166110282, 1.439823522220078])
    assert_close(tangent.grad(branch_assigns_from_a_constant)(v),
                 numerical_grad(branch_assigns_from_a_constant, [v], 0))

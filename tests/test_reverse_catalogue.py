"""Reverse mode over the catalogue: joint and split motion, optimized or not,
with and without the primal result, against central finite differences."""

import numpy as np
import pytest
from catalogue import CASES
from reference import assert_close, numerical_grad

import tangent

OPTIONS = [(motion, optimized, preserve) for motion in ('joint', 'split')
           for optimized in (True, False) for preserve in (False, True)]


def _option_id(option):
    motion, optimized, preserve = option
    return f"{motion}-{'opt' if optimized else 'noopt'}-{'result' if preserve else 'noresult'}"


def _expected(case, args):
    gradients = tuple(numerical_grad(case.function, args, index) for index in case.wrt)
    return gradients[0] if len(gradients) == 1 else gradients


@pytest.mark.parametrize('option', OPTIONS, ids=[_option_id(o) for o in OPTIONS])
@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_reverse_mode_matches_finite_differences(case, option):
    motion, optimized, preserve = option
    derivative = tangent.autodiff(case.function, wrt=case.wrt, motion=motion,
                                  optimized=optimized, preserve_result=preserve,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    args = case.make_args()
    result = derivative(*args)
    if preserve:
        *gradients, value = result
        assert_close(value, case.function(*case.make_args()), rtol=1e-12, atol=1e-12)
        result = gradients[0] if len(gradients) == 1 else tuple(gradients)
    assert_close(result, _expected(case, case.make_args()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_grad_matches_finite_differences(case):
    gradient = tangent.grad(case.function, wrt=case.wrt)
    assert_close(gradient(*case.make_args()), _expected(case, case.make_args()),
                 rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_seed_scales_the_gradient(case):
    gradient = tangent.grad(case.function, wrt=case.wrt)
    once = gradient(*case.make_args())
    thrice = gradient(*case.make_args(), 3.0)
    if len(case.wrt) == 1:
        once, thrice = (once,), (thrice,)
    for a, b in zip(once, thrice):
        assert_close(b, 3.0 * np.asarray(a), rtol=1e-10, atol=1e-12)


def test_catalogue_is_large_enough():
    assert len(CASES) >= 60

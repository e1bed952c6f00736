"""Golden files: the generated source of representative functions, as text.

A change to what users read must be made on purpose: regenerate with
``TANGENT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_sources.py``
and review the diff. Each case's numbers are also checked against finite
differences, so a golden file never freezes a wrong derivative.
"""

import ast
import os
import pathlib

import numpy as np
import pytest
from golden_cases import CASES, clipped_rnn, clipped_rnn_reference_gradient
from reference import assert_close, numerical_grad

import tangent
from tangent import compile as compile_

GOLDEN = pathlib.Path(__file__).parent / 'golden'
UPDATE = os.environ.get('TANGENT_UPDATE_GOLDEN') == '1'


def _generate(name):
    function, options, _ = CASES[name]
    return tangent.autodiff(function, **options)


@pytest.mark.parametrize('name', sorted(CASES))
def test_generated_source_matches_golden_file(name):
    source = compile_.source_of(_generate(name)) + '\n'
    path = GOLDEN / f'{name}.py.txt'
    if UPDATE:
        path.write_text(source)
    assert path.exists(), f'no golden file {path}; run with TANGENT_UPDATE_GOLDEN=1'
    assert source == path.read_text(), f'generated source of {name} changed'


@pytest.mark.parametrize('name', sorted(CASES))
def test_golden_derivative_is_right(name):
    function, options, args = CASES[name]
    derivative = _generate(name)
    wrt = options.get('wrt', (0,))
    if options.get('mode') == 'forward':
        direction = np.ones_like(np.asarray(args[wrt[0]], dtype=float))
        if np.ndim(args[wrt[0]]) == 0:
            direction = 1.0
        actual = derivative(*args, direction)
        expected = np.sum(numerical_grad(lambda *a: np.sum(function(*a)), args, wrt[0])
                          * direction)
    elif function is clipped_rnn:  # the surgery changes the gradient: a hand reference
        actual = derivative(*args)
        expected = clipped_rnn_reference_gradient(*args)
    else:
        actual = derivative(*args)
        expected = numerical_grad(function, args, wrt[0])
    assert_close(actual, expected, rtol=1e-5, atol=1e-6)


def test_enough_golden_cases():
    assert len(CASES) >= 12


def test_custom_cube_body_is_one_gradient_line_and_a_return():
    source = compile_.source_of(_generate('custom_cube'))
    body = ast.parse(source).body[0].body
    assert len(body) <= 2
    assert isinstance(body[-1], ast.Return)

"""A backend defined entirely in the test suite differentiates its library's code.

``toy_backend`` registers one descriptor for ``toy_vectors``, a toy array
library of immutable float vectors; its rules and helpers live in
``toy_backend_rules``. Derivatives are checked against central finite
differences of the functions themselves, in both modes.
"""

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tangent
import toy_backend
import toy_vectors as tv
from tangent import backends

EPS = 1e-6


@pytest.fixture(scope='module', autouse=True)
def registered():
    backends.register(toy_backend.BACKEND)


def energy(v, w):
    s = tv.vsin(v) * w + tv.vexp(v * 0.5)
    return tv.vsum(s * s) / tv.size(v) + tv.vdot(v, w)


def with_loop(v, scale):
    total = 0.0
    for i in range(3):
        v = tv.vcos(v) * scale + v
        total = total + tv.vsum(v) * (i + 1.0)
    return total


def spread(v, value):
    return tv.vdot(tv.full_like(v, value) * v, tv.vsin(v))


def _moved(x, index, step):
    if isinstance(x, tv.Vec):
        items = list(x.items)
        items[index] += step
        return tv.Vec(items)
    return x + step


def _finite_difference(f, args, position):
    x = args[position]
    count = len(x) if isinstance(x, tv.Vec) else 1
    partials = []
    for index in range(count):
        up = list(args)
        up[position] = _moved(x, index, EPS)
        down = list(args)
        down[position] = _moved(x, index, -EPS)
        partials.append((f(*up) - f(*down)) / (2 * EPS))
    return partials


def _items(value):
    return list(value.items) if isinstance(value, tv.Vec) else [value]


CASES = [
    (energy, (tv.Vec([0.3, -1.2, 0.7]), tv.Vec([1.5, 0.4, -0.9]))),
    (energy, (tv.Vec([2.0]), tv.Vec([-0.5]))),
    (with_loop, (tv.Vec([0.1, 0.2, -0.3, 0.4]), 0.8)),
    (spread, (tv.Vec([0.5, -0.25, 1.0]), 1.7)),
]


@pytest.mark.parametrize('f, args', CASES, ids=lambda case: getattr(case, '__name__', ''))
@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_reverse_mode_against_finite_differences(f, args, motion):
    for position in range(len(args)):
        if motion == 'joint':
            gradient = tangent.grad(f, wrt=(position,))(*args)
        else:
            gradient = tangent.autodiff(f, wrt=(position,), motion='split')(*args, 1.0)
        assert _items(gradient) == pytest.approx(_finite_difference(f, args, position),
                                                 rel=1e-6, abs=1e-7)


@pytest.mark.parametrize('f, args', CASES, ids=lambda case: getattr(case, '__name__', ''))
def test_forward_mode_against_finite_differences(f, args):
    for position in range(len(args)):
        expected = _finite_difference(f, args, position)
        x = args[position]
        zero = tv.full_like(x, 0.0) if isinstance(x, tv.Vec) else 0.0
        for index in range(len(expected)):
            direction = _moved(zero, index, 1.0)
            derivative = tangent.autodiff(f, wrt=(position,), mode='forward')(*args, direction)
            assert derivative == pytest.approx(expected[index], rel=1e-6, abs=1e-7)


def test_the_backend_owns_its_library_values_and_functions():
    assert backends.owner_of(tv.vsin) is toy_backend.BACKEND
    assert backends.owner_of(tv.Vec([1.0])) is toy_backend.BACKEND
    assert backends.owner_of(math.sin) is None


def test_rules_load_the_first_time_a_function_uses_the_library(tmp_path):
    # In a fresh process: registering the descriptor loads nothing; the first
    # derivative of a function that uses toy_vectors loads the rules, once.
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        sys.path.insert(0, {str(tmp_path)!r})
        import tangent
        from tangent import backends
        import toy_backend
        backends.register(toy_backend.BACKEND)
        assert 'toy_backend_rules' not in sys.modules
        assert 'toy_vectors' not in sys.modules
        import user_code
        print(tangent.grad(user_code.f)(user_code.toy_vectors.Vec([0.5, 1.0])))
        import toy_backend_rules
        assert toy_backend_rules.loads == ['loaded']
        print(tangent.grad(user_code.f)(user_code.toy_vectors.Vec([0.0, 2.0])))
    ''')
    (tmp_path / 'user_code.py').write_text(textwrap.dedent('''
        import toy_vectors

        def f(v):
            return toy_vectors.vsum(toy_vectors.vsin(v))
    '''))
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split('\n')[:2]
    assert first == repr(tv.Vec([math.cos(0.5), math.cos(1.0)]))
    assert second == repr(tv.Vec([1.0, math.cos(2.0)]))


def test_a_function_of_the_library_without_a_rule_names_itself():
    def uses_no_rule(v):
        return tv.vsum(tv.Vec(v.items))
    with pytest.raises(tangent.ReverseNotImplementedError, match='for Vec'):
        tangent.grad(uses_no_rule)(tv.Vec([1.0, 2.0]))

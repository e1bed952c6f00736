"""tangent.testing.check_grads: it passes on correct derivatives and catches wrong rules.

The wrong rules are registered through the public decorators, for functions
defined in this module only, and removed after each test (the ``rules``
fixture), so that no other test sees them.
"""

import subprocess
import sys

import numpy as np
import pytest

import tangent
from tangent.grads import adjoint, adjoints, d
from tangent.tangents import tangent_, tangents
from tangent.testing import check_grads

X = np.array([0.3, -0.5, 0.8])
W = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [-0.1, 0.2, 0.7]])


# Correct functions: check_grads passes -------------------------------------------------------

def elementwise(x):
    return np.tanh(x) * np.exp(-x * x)


def reductions(x, y):
    return np.sum(x ** 2) * y + np.mean(np.sin(x)) - np.prod(x) / y


def loop(h, w, steps):
    for _ in range(steps):
        h = np.tanh(w @ h + 0.1)
    return np.sum(h * h)


def while_loop_over_floats(a, b):
    total = 0.0
    while total < 3.0:
        total = total + a * a + b
    return total * a


def matrices(w, x):
    return w @ np.diag(x) @ w.T


def nested_arguments(params, inputs, scale):
    hidden = np.tanh(params['w'] @ inputs[0] + params['b'])
    return np.sum(hidden * inputs[1]) * scale


def several_results(x, y):
    return np.sin(x) * y, {'total': np.sum(x) * y}


CORRECT = [
    (elementwise, (X,)),
    (reductions, (X, 1.7)),
    (loop, (X, W, 4)),
    (while_loop_over_floats, (0.9, 0.4)),
    (matrices, (W, X)),
    (nested_arguments, ({'w': W, 'b': np.array([0.1, -0.2, 0.3])}, [X, 2.0 * X], 0.6)),
    (several_results, (X, 0.7)),
]


@pytest.mark.parametrize('function, args', CORRECT, ids=[f.__name__ for f, _ in CORRECT])
def test_correct_derivatives_pass_in_every_mode(function, args):
    assert check_grads(function, *args) is None


def sums_and_means(x, y):
    return np.sum(x ** 2) * y + np.mean(np.sin(x)) * np.sum(x) / y


def product(x):
    return np.prod(x) * np.sum(x)


@pytest.mark.parametrize('function, args', [CORRECT[0], (sums_and_means, (X, 1.7)), CORRECT[2],
                                            CORRECT[5]],
                         ids=['elementwise', 'sums_and_means', 'loop', 'nested_arguments'])
def test_correct_second_derivatives_pass(function, args):
    check_grads(function, *args, order=2)


def test_second_derivatives_of_prod():
    check_grads(product, X, order=2)


@pytest.mark.parametrize('zeros_at', [(), (1,), (1, 3), (0, 1, 3)],
                         ids=['no zero', 'one zero', 'two zeros', 'three zeros'])
@pytest.mark.parametrize('axis', [None, 0, 1])
def test_second_derivatives_of_prod_with_zeros(zeros_at, axis):
    """prod_others's own derivative, exact where elements are zero (a formula
    dividing by the elements would give NaN there)."""
    x = np.array([[0.7, -1.3, 0.4], [1.1, 0.9, -0.6]])
    flat = x.ravel()
    flat[list(zeros_at)] = 0.0
    check_grads(lambda v: np.sum(np.prod(v, axis=axis) ** 2), flat.reshape(x.shape), order=2)


def test_wrt_limits_the_arguments_checked():
    check_grads(reductions, X, 1.7, wrt=1)
    check_grads(reductions, X, 1.7, wrt=(0,), modes=('forward',))


def test_float32_arrays_are_checked_in_float64():
    check_grads(elementwise, X.astype(np.float32))


def test_tangent_testing_is_reachable_from_tangent_without_being_imported_eagerly():
    code = ('import sys, tangent\n'
            'assert "tangent.testing" not in sys.modules\n'
            'assert tangent.testing.check_grads.__module__ == "tangent.testing"\n')
    subprocess.run([sys.executable, '-c', code], check=True, timeout=300)


def test_bad_requests_are_value_errors():
    with pytest.raises(ValueError, match='modes'):
        check_grads(elementwise, X, modes=('backward',))
    with pytest.raises(ValueError, match='order'):
        check_grads(elementwise, X, order=3)
    with pytest.raises(ValueError, match='no float'):
        check_grads(loop, X, W, 4, wrt=2)
    with pytest.raises(ValueError, match='out of range'):
        check_grads(elementwise, X, wrt=1)


# Rules registered for this module's functions, removed after each test ---------------------

def cube(x):
    return x * x * x


def cube_slope(x):
    return 3.0 * x * x


def scaled(a, b):
    return a * np.exp(b)


def sum_of_cubes(x):
    return np.sum(cube(x))


def sum_of_scaled(a, b):
    return np.sum(scaled(a, b))


def cube_adjoint(result, x):
    d[x] = d[result] * 3.0 * x * x


def cube_tangent(result, x):
    d[result] = d[x] * 3.0 * x * x


def cube_adjoint_off_by_a_third(result, x):
    d[x] = d[result] * 2.0 * x * x


def cube_tangent_with_wrong_sign(result, x):
    d[result] = -d[x] * 3.0 * x * x


def cube_adjoint_through_slope(result, x):
    d[x] = d[result] * cube_slope(x)


def cube_tangent_through_slope(result, x):
    d[result] = d[x] * cube_slope(x)


def cube_slope_adjoint_half_the_slope(result, x):
    d[x] = d[result] * 3.0 * x   # the slope of 3 x^2 is 6 x


def cube_slope_tangent_half_the_slope(result, x):
    d[result] = d[x] * 3.0 * x


def scaled_adjoint_without_unbroadcast(z, a, b):
    d[a] = d[z] * np.exp(b)
    d[b] = d[z] * z   # b is a float, but this has a's shape


def scaled_tangent(z, a, b):
    d[z] = d[a] * np.exp(b) + d[b] * z


@pytest.fixture
def rules():
    """Register templates with tangent's public decorators; remove them all afterwards."""
    registered = []

    def register(function, adjoint_template=None, tangent_template=None):
        if adjoint_template is not None:
            adjoint(function)(adjoint_template)
            registered.append((adjoints, function))
        if tangent_template is not None:
            tangent_(function)(tangent_template)
            registered.append((tangents, function))

    yield register
    for registry, function in registered:
        registry.remove(function)
    assert not any(function in registry for registry, function in registered)


def test_correct_rules_pass(rules):
    rules(cube, cube_adjoint, cube_tangent)
    check_grads(sum_of_cubes, X, order=2)


def test_a_wrong_adjoint_fails_in_reverse_mode_only(rules):
    rules(cube, cube_adjoint_off_by_a_third, cube_tangent)
    with pytest.raises(AssertionError) as failure:
        check_grads(sum_of_cubes, X)
    message = str(failure.value)
    assert 'reverse mode, joint motion, argument 0 (x)' in message
    assert 'reverse mode, split motion, argument 0 (x)' in message
    assert 'max abs error' in message
    assert 'forward mode' not in message
    check_grads(sum_of_cubes, X, modes=('forward',))


def cubes_in_a_dict(params, offset):
    return np.sum(cube(params['a'])) + params['b'][0] * np.sum(params['b'][1] * offset)


def test_a_failure_inside_a_nested_argument_names_the_leaf(rules):
    rules(cube, cube_adjoint_off_by_a_third, cube_tangent)
    params = {'a': X, 'b': [0.5, X]}
    with pytest.raises(AssertionError, match=r"argument 0 \(params\): params\['a'\]\[\d\]"):
        check_grads(cubes_in_a_dict, params, 2.0, modes=('reverse',))
    check_grads(cubes_in_a_dict, params, 2.0, modes=('forward',))


def test_a_wrong_tangent_rule_fails_in_forward_mode_only(rules):
    rules(cube, cube_adjoint, cube_tangent_with_wrong_sign)
    expected = r'forward mode, argument 0 \(x\), along a random direction'
    with pytest.raises(AssertionError, match=expected) as failure:
        check_grads(sum_of_cubes, X)
    assert 'reverse mode' not in str(failure.value)
    check_grads(sum_of_cubes, X, modes='reverse')


def test_a_gradient_of_the_wrong_shape_fails(rules):
    rules(scaled, scaled_adjoint_without_unbroadcast, scaled_tangent)
    expected = r'argument 1 \(b\): b: tangent gave shape \(3,\), where b has shape \(\)'
    with pytest.raises(AssertionError, match=expected):
        check_grads(sum_of_scaled, X, 0.4, modes=('reverse',))
    check_grads(sum_of_scaled, X, 0.4, modes=('forward',))


def test_a_rule_right_at_first_order_but_not_at_second_fails_at_order_two(rules):
    # The cube's rules are right, but they call cube_slope, whose own rules are wrong:
    # only differentiating the derivative (a Hessian-vector product) runs those.
    rules(cube, cube_adjoint_through_slope, cube_tangent_through_slope)
    rules(cube_slope, cube_slope_adjoint_half_the_slope, cube_slope_tangent_half_the_slope)
    check_grads(sum_of_cubes, X)
    with pytest.raises(AssertionError) as failure:
        check_grads(sum_of_cubes, X, order=2)
    message = str(failure.value)
    for composition in ('forward over reverse (Hessian-vector product)', 'reverse over reverse',
                        'reverse over forward', 'forward over forward'):
        assert composition in message


def test_the_rules_are_gone_after_a_test():
    # Runs after the tests above in file order; a left-over wrong rule would fail here.
    assert cube not in adjoints and cube not in tangents
    assert scaled not in adjoints and cube_slope not in tangents
    check_grads(sum_of_cubes, X)
    assert tangent.grad(sum_of_cubes)(np.array([2.0])) == pytest.approx(12.0)

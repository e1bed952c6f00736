"""Derivatives of scipy.integrate.odeint: the adjoint ODE (reverse mode) and the
sensitivity ODE (forward mode), with respect to y0, t and args.

References are independent of tangent's rule: closed-form solutions (expm for
a linear system, the logistic curve) differentiated by central differences
or by hand, and central differences of odeint itself solved at tight
tolerances. The functions under test pass rtol=atol=1e-12 where they are
compared with finite differences of themselves: the solver's error (about
1e-11) over a step of 1e-5 stays near 1e-6 relative, well inside rtol=1e-5.
"""

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import odeint

import tangent
from tangent.backends.scipy import integrate_helpers
from tangent.testing import check_grads

TIGHT = 1e-12
TIMES = np.array([0.0, 0.4, 1.1, 2.0])


def central_difference(f, args, index, eps=1e-6):
    """The gradient of the scalar f(*args) with respect to args[index]."""
    x = np.asarray(args[index], dtype=np.float64)
    gradient = np.zeros(x.shape)
    for position in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[position] = eps
        shifted = [list(args), list(args)]
        shifted[0][index] = x + step if x.shape else float(x + step)
        shifted[1][index] = x - step if x.shape else float(x - step)
        gradient[position] = (f(*shifted[0]) - f(*shifted[1])) / (2 * eps)
    return gradient


# A linear system: y(t) = expm(A (t - t0)) y0 --------------------------------

A = np.array([[-0.3, 1.2], [-1.0, -0.2]])
WEIGHTS = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1], [1.5, 0.4]])


def linear(y, t, a):
    return a @ y


def linear_loss(y0, a, t):
    ys = odeint(linear, y0, t, args=(a,))
    return np.sum(WEIGHTS * ys * ys)


def linear_loss_closed_form(y0, a, t):
    ys = np.array([scipy.linalg.expm(a * (s - t[0])) @ y0 for s in t])
    return np.sum(WEIGHTS * ys * ys)


def test_linear_reverse_matches_closed_form():
    y0 = np.array([1.0, -0.5])
    point = (y0, A, TIMES)
    gradients = tangent.grad(linear_loss, wrt=(0, 1, 2))(*point)
    for index, gradient in enumerate(gradients):
        expected = central_difference(linear_loss_closed_form, point, index)
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)


def test_linear_gradient_of_y0_is_the_transposed_propagators():
    # dL/dy0 = sum_i expm(A (t_i - t0))^T G_i with G_i = 2 W_i * y_i: no differences at all.
    y0 = np.array([0.3, 0.8])
    propagators = [scipy.linalg.expm(A * (s - TIMES[0])) for s in TIMES]
    expected = sum(p.T @ (2 * w * (p @ y0)) for p, w in zip(propagators, WEIGHTS))
    # linear_loss solves at odeint's default tolerance (1.5e-8): G is no more accurate.
    np.testing.assert_allclose(tangent.grad(linear_loss)(y0, A, TIMES), expected, rtol=1e-6)


@pytest.mark.parametrize('index', [0, 1, 2])
def test_linear_forward_matches_closed_form(index):
    y0 = np.array([1.0, -0.5])
    point = (y0, A, TIMES)
    direction = np.random.default_rng(index).normal(size=np.shape(point[index]))
    derivative = tangent.autodiff(linear_loss, wrt=(index,), mode='forward')(*point, direction)
    expected = np.sum(central_difference(linear_loss_closed_form, point, index) * direction)
    np.testing.assert_allclose(derivative, expected, rtol=1e-6, atol=1e-7)


def test_linear_split_motion_and_times_going_backwards():
    y0 = np.array([1.0, -0.5])
    backwards = TIMES[::-1].copy()
    point = (y0, A, backwards)
    gradients = tangent.autodiff(linear_loss, wrt=(0, 1, 2), motion='split')(*point)
    for index, gradient in enumerate(gradients):
        expected = central_difference(linear_loss_closed_form, point, index)
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)


# Logistic growth: y(t) = K y0 / (y0 + (K - y0) exp(-r (t - t0))) ---------------

def logistic(y, t, rate, capacity):
    return rate * y * (1.0 - y / capacity)


def logistic_final(y0, rate, capacity, t):
    ys = odeint(logistic, y0, t, args=(rate, capacity), rtol=TIGHT, atol=TIGHT)
    return np.sum(ys[-1] ** 2) + 0.5 * np.sum(ys[1])


def logistic_final_closed_form(y0, rate, capacity, t):
    def at(s):
        return capacity * y0 / (y0 + (capacity - y0) * np.exp(-rate * (s - t[0])))
    return np.sum(at(t[-1]) ** 2) + 0.5 * np.sum(at(t[1]))


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_logistic_matches_closed_form(mode):
    point = (np.array([0.2]), 1.3, 2.5, np.array([0.1, 0.9, 2.4]))
    for index in range(4):
        expected = central_difference(logistic_final_closed_form, point, index)
        if mode == 'reverse':
            derivative = tangent.grad(logistic_final, wrt=(index,))(*point)
            np.testing.assert_allclose(derivative, expected, rtol=1e-6, atol=1e-7)
        else:
            direction = np.ones(np.shape(point[index])) if np.ndim(point[index]) else 1.0
            derivative = tangent.autodiff(logistic_final, wrt=(index,), mode='forward')(
                *point, direction)
            np.testing.assert_allclose(derivative, np.sum(expected * direction), rtol=1e-6,
                                       atol=1e-7)


# A damped pendulum: nonlinear, parameters in args, checked in every mode -------

def pendulum(state, t, damping, stiffness):
    angle, speed = state[0], state[1]
    return np.array([speed, -damping * speed - stiffness * np.sin(angle)])


def pendulum_energy_path(state0, damping, stiffness, t):
    path = odeint(pendulum, state0, t, args=(damping, stiffness), rtol=TIGHT, atol=TIGHT)
    return np.sum(path[:, 1] ** 2) + np.sum(np.cos(path[:, 0]) * t)


def test_pendulum_against_finite_differences_all_modes():
    check_grads(pendulum_energy_path, np.array([1.2, -0.3]), 0.25, 3.0, TIMES,
                modes=('reverse', 'forward'), eps=1e-5, rtol=1e-5, atol=1e-6)


def pendulum_path(state0, damping, stiffness, t):
    return odeint(pendulum, state0, t, args=(damping, stiffness), rtol=TIGHT, atol=TIGHT)


def test_pendulum_vector_jacobian_product_of_the_whole_path():
    point = (np.array([1.2, -0.3]), 0.25, 3.0, TIMES)
    seed = np.random.default_rng(3).normal(size=(len(TIMES), 2))
    gradients = tangent.vjp(pendulum_path, wrt=(0, 1, 2, 3))(*point, seed)

    def projected(*args):
        return np.sum(seed * pendulum_path(*args))
    for index, gradient in enumerate(gradients):
        expected = central_difference(projected, point, index, eps=1e-5)
        np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


# A small neural ODE: y' = tanh(W y + b) ------------------------------------------

def neural_field(y, t, weights, bias):
    return np.tanh(weights @ y + bias)


def neural_ode_loss(y0, weights, bias, t):
    ys = odeint(neural_field, y0, t, args=(weights, bias), rtol=TIGHT, atol=TIGHT)
    return np.sum((ys[-1] - 0.5) ** 2) + 0.1 * np.sum(ys)


def test_neural_ode_against_finite_differences():
    rng = np.random.default_rng(0)
    check_grads(neural_ode_loss, rng.normal(size=3), 0.8 * rng.normal(size=(3, 3)),
                0.3 * rng.normal(size=3), np.array([0.0, 0.5, 1.5]),
                modes=('reverse', 'forward'), eps=1e-5, rtol=1e-5, atol=1e-6)


# Nested containers of arrays in args: gradients of the same structure ---------------

def mlp_field(y, t, layers):
    for weights, bias in layers:
        outputs = y @ weights + bias
        y = np.tanh(outputs)
    return outputs


def mlp_ode_loss(layers, y0, t):
    ys = odeint(mlp_field, y0, t, args=(layers,), rtol=TIGHT, atol=TIGHT)
    return np.mean((ys - 0.3) ** 2)


def mlp_layers(rng):
    return [(0.5 * rng.normal(size=(2, 3)), 0.1 * rng.normal(size=3)),
            (0.5 * rng.normal(size=(3, 2)), 0.1 * rng.normal(size=2))]


def nested_leaves(tree):
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in nested_leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in nested_leaves(item)]
    return [tree]


def nested_central_difference(f, tree, eps=1e-6):
    """The gradient of the scalar f(tree), one leaf entry at a time, as a list of
    arrays in the order of nested_leaves (tree's float leaves are arrays)."""
    gradients = []
    for leaf in nested_leaves(tree):
        gradient = np.zeros(leaf.shape)
        for position in np.ndindex(leaf.shape):
            original = leaf[position]
            leaf[position] = original + eps
            above = f(tree)
            leaf[position] = original - eps
            below = f(tree)
            leaf[position] = original
            gradient[position] = (above - below) / (2 * eps)
        gradients.append(gradient)
    return gradients


def test_list_of_weight_tuples_gradient_keeps_the_structure():
    rng = np.random.default_rng(3)
    layers, y0 = mlp_layers(rng), np.array([1.0, -0.5])
    gradient = tangent.grad(mlp_ode_loss)(layers, y0, TIMES)
    assert isinstance(gradient, list) and len(gradient) == 2
    assert all(isinstance(layer, tuple) and len(layer) == 2 for layer in gradient)
    expected = nested_central_difference(lambda tree: mlp_ode_loss(tree, y0, TIMES), layers)
    for actual, wanted in zip(nested_leaves(gradient), expected):
        assert np.shape(actual) == np.shape(wanted)
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-8)


def test_list_of_weight_tuples_all_modes():
    rng = np.random.default_rng(4)
    check_grads(mlp_ode_loss, mlp_layers(rng), np.array([0.4, 0.9]), TIMES,
                modes=('reverse', 'forward'), eps=1e-5)


def damped_by_settings(y, t, settings, label):
    if label != 'settings' or settings['name'] != 'damped':  # passed as they are
        raise ValueError(label)
    stiffness, (damping, drive) = settings['stiffness'], settings['friction']
    return np.array([y[1], -stiffness @ y - damping * y[1] + drive * np.cos(t)])


def settings_loss(y0, settings):
    ys = odeint(damped_by_settings, y0, TIMES, args=(settings, 'settings'),
                rtol=TIGHT, atol=TIGHT)
    return np.sum(ys[-1] ** 2) + 0.2 * np.sum(ys[:, 0])


def make_settings():
    return {'stiffness': np.array([1.3, 0.2]), 'friction': (0.4, np.array(0.7)),
            'name': 'damped'}


def test_dict_with_a_tuple_and_a_string_gradient_keeps_the_structure():
    y0, settings = np.array([0.5, -0.2]), make_settings()
    gradient = tangent.grad(settings_loss, wrt=(1,))(y0, settings)
    assert set(gradient) == {'stiffness', 'friction', 'name'}
    assert gradient['name'] is None  # a string has no gradient
    assert isinstance(gradient['friction'], tuple) and np.ndim(gradient['friction'][0]) == 0

    def as_arrays(tree):
        return {'stiffness': tree['stiffness'], 'friction': [np.array([tree['friction'][0]]),
                                                             np.array([tree['friction'][1]])]}

    def loss_of_arrays(tree):
        return settings_loss(y0, {'stiffness': tree['stiffness'], 'name': 'damped',
                                  'friction': (float(tree['friction'][0][0]),
                                               tree['friction'][1][0])})
    expected = nested_central_difference(loss_of_arrays, as_arrays(settings))
    actual = nested_leaves(as_arrays(gradient))
    for got, wanted in zip(actual, expected):
        np.testing.assert_allclose(got, wanted, rtol=1e-5, atol=1e-8)


def test_dict_with_a_tuple_and_a_string_all_modes():
    check_grads(settings_loss, np.array([0.5, -0.2]), make_settings(),
                modes=('reverse', 'forward'), eps=1e-5)


def list_args_loss(y0, k):
    return np.sum(odeint(linear, y0, TIMES, args=([[-k]],), rtol=TIGHT, atol=TIGHT))


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_nested_list_of_numbers_matches_closed_form(mode):
    # y = y0 exp(-k t): the loss is y0 sum(exp(-k t)).
    y0, k = 1.3, 0.6
    expected_y0 = np.sum(np.exp(-k * TIMES))
    expected_k = -y0 * np.sum(TIMES * np.exp(-k * TIMES))
    if mode == 'reverse':
        gradients = tangent.grad(list_args_loss, wrt=(0, 1))(np.array([y0]), k)
    else:
        forward = tangent.autodiff(list_args_loss, wrt=(0, 1), mode='forward')
        gradients = (forward(np.array([y0]), k, np.array([1.0]), 0.0),
                     forward(np.array([y0]), k, np.array([0.0]), 1.0))
    np.testing.assert_allclose(np.ravel(gradients[0]), [expected_y0], rtol=1e-8)
    np.testing.assert_allclose(gradients[1], expected_k, rtol=1e-8)


def test_nested_args_forward_with_a_zero_tangent_in_some_leaves():
    # Forward mode w.r.t. y0 only: the tangent of args is zero in every leaf.
    rng = np.random.default_rng(5)
    layers, y0 = mlp_layers(rng), np.array([0.4, 0.9])
    direction = np.array([0.3, -1.1])
    forward = tangent.autodiff(mlp_ode_loss, wrt=(1,), mode='forward')
    eps = 1e-6
    expected = (mlp_ode_loss(layers, y0 + eps * direction, TIMES) -
                mlp_ode_loss(layers, y0 - eps * direction, TIMES)) / (2 * eps)
    np.testing.assert_allclose(forward(layers, y0, TIMES, direction), expected, rtol=1e-5)


# The forms of a call ------------------------------------------------------------

def time_first(t, y, k):
    return -k * y + np.sin(t)


def time_first_loss(y0, k, t):
    return np.sum(odeint(time_first, y0, t, args=(k,), tfirst=True, rtol=TIGHT, atol=TIGHT))


def test_tfirst():
    check_grads(time_first_loss, 0.7, 1.4, TIMES, modes=('reverse', 'forward'), eps=1e-5)


def oscillator_as_list(y, t, omega, label):
    if label != 'oscillator':  # a value without a derivative is passed as it is
        raise ValueError(label)
    return [y[1], -omega * omega * y[0]]


def oscillator_loss(y0, omega, t):
    ys = odeint(oscillator_as_list, y0, t, args=(omega, 'oscillator'), rtol=TIGHT, atol=TIGHT)
    return np.sum(ys[-1] * np.array([1.0, 0.3]))


def test_func_returning_a_list_with_a_string_argument_matches_closed_form():
    y0, omega = np.array([0.4, 0.9]), 1.7

    def closed_form(y0, omega, t):
        elapsed = t[-1] - t[0]
        position = (y0[0] * np.cos(omega * elapsed) + y0[1] / omega * np.sin(omega * elapsed))
        speed = (-y0[0] * omega * np.sin(omega * elapsed) + y0[1] * np.cos(omega * elapsed))
        return position + 0.3 * speed
    point = (y0, omega, TIMES)
    gradients = tangent.grad(oscillator_loss, wrt=(0, 1, 2))(*point)
    for index, gradient in enumerate(gradients):
        np.testing.assert_allclose(gradient, central_difference(closed_form, point, index),
                                   rtol=1e-6, atol=1e-7)


def test_func_returning_a_list_with_a_string_argument_all_modes():
    check_grads(oscillator_loss, np.array([0.4, 0.9]), 1.7, TIMES, modes=('reverse', 'forward'),
                eps=1e-5)


def decay_until(y0, k, end):
    ys = odeint(linear, y0, [0.0, 0.5 * end, end], args=(np.array([[-k]]),),
                rtol=TIGHT, atol=TIGHT)
    return ys[-1, 0] + 2.0 * ys[1, 0]


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_times_in_a_list_literal_match_closed_form(mode):
    # y = y0 exp(-k t): the loss is y0 (exp(-k T) + 2 exp(-k T / 2)).
    point = (np.array([1.5]), 0.8, 1.7)

    def closed_form(y0, k, end):
        return y0[0] * (np.exp(-k * end) + 2.0 * np.exp(-0.5 * k * end))
    for index in range(3):
        expected = central_difference(closed_form, point, index)
        if mode == 'reverse':
            derivative = tangent.grad(decay_until, wrt=(index,))(*point)
        else:
            direction = np.ones(1) if index == 0 else 1.0
            derivative = tangent.autodiff(decay_until, wrt=(index,), mode='forward')(
                *point, direction)
        np.testing.assert_allclose(np.sum(derivative), np.sum(expected), rtol=1e-6)


def pendulum_with_parameter_tuple(state0, parameters):
    path = odeint(pendulum, state0, TIMES, args=parameters, rtol=TIGHT, atol=TIGHT)
    return np.sum(path[-1] ** 2)


def test_args_given_as_a_tuple_argument():
    check_grads(pendulum_with_parameter_tuple, np.array([0.5, 0.2]), (0.3, 2.0),
                modes=('reverse', 'forward'), eps=1e-5)


def decay_with_a_kick(y, t, k):
    return -k * y + (1.0 if t > 1.0 else 0.0)


def kicked_loss(y0, k, t):
    ys = odeint(decay_with_a_kick, y0, t, args=(k,), tcrit=np.array([1.0]), rtol=TIGHT,
                atol=TIGHT)
    return np.sum(ys ** 2)


@pytest.mark.parametrize('times', [TIMES, TIMES[::-1].copy()], ids=['forwards', 'backwards'])
def test_tcrit_at_a_discontinuity(times):
    # The adjoint runs against the primal's direction, where odeint stops short of a
    # tcrit point: the rule cuts the interval there instead.
    check_grads(kicked_loss, np.array([0.5, 1.0]), 0.8, times, modes=('reverse', 'forward'),
                eps=1e-5)


def too_few_steps(y0, k):
    return np.sum(odeint(linear, y0, np.array([0.0, 50.0]), args=(np.array([[-k]]),),
                         mxstep=30))


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_inner_solve_that_gives_up_raises(mode):
    derivative = tangent.autodiff(too_few_steps, mode=mode)
    seed = 1.0 if mode == 'reverse' else np.array([1.0])
    with pytest.warns(Warning, match='Excess work'):  # odeint's own, in the primal solve
        with pytest.raises(RuntimeError, match='odeint could not solve.*Excess work'):
            derivative(np.array([1.0]), 1.0, seed)


def scalar_decay_loss(y0, k):
    return np.sum(odeint(linear, y0, TIMES, args=(np.array([[-k]]),)))


def test_scalar_initial_state_gets_a_scalar_gradient():
    # y = y0 exp(-k t): the loss is y0 * sum(exp(-k t)), linear in y0.
    gradient = tangent.grad(scalar_decay_loss)(2.0, 0.6)
    assert np.ndim(gradient) == 0
    np.testing.assert_allclose(gradient, np.sum(np.exp(-0.6 * TIMES)), rtol=1e-8)


def decay_without_args(y, t):
    return -0.5 * y


def decay_without_args_loss(y0, t):
    return np.sum(odeint(decay_without_args, y0, t) ** 2)


def test_without_args_matches_closed_form():
    point = (np.array([1.0, 3.0]), TIMES)

    def closed_form(y0, t):
        return np.sum(np.outer(np.exp(-0.5 * (t - t[0])), y0) ** 2)
    gradients = tangent.grad(decay_without_args_loss, wrt=(0, 1))(*point)
    for index, gradient in enumerate(gradients):
        np.testing.assert_allclose(gradient, central_difference(closed_form, point, index),
                                   rtol=1e-6, atol=1e-7)


def test_user_tolerances_reach_the_inner_solves():
    options = integrate_helpers.odeint_options(rtol=1e-6, atol=np.array([1e-8, 1e-9]), mxstep=900)
    assert options.solver['rtol'] == 1e-6 and options.solver['atol'] == 1e-9
    assert options.solver['mxstep'] == 900
    defaults = integrate_helpers.odeint_options()
    assert defaults.solver['rtol'] == defaults.solver['atol'] == 1e-10


# What is refused, with a message naming odeint -----------------------------------

def jacobian_of_linear(y, t, a):
    return a


def with_dfun(y0):
    return np.sum(odeint(linear, y0, TIMES, args=(A,), Dfun=jacobian_of_linear))


def with_full_output(y0):
    ys, info = odeint(linear, y0, TIMES, args=(A,), full_output=True)
    return np.sum(ys)


def with_band(y0):
    return np.sum(odeint(linear, y0, TIMES, args=(A,), ml=1, mu=1))


@pytest.mark.parametrize('loss, option', [(with_dfun, 'Dfun'), (with_full_output, 'full_output'),
                                          (with_band, 'ml/mu')])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_unsupported_options_raise(loss, option, mode):
    derivative = tangent.autodiff(loss, mode=mode)
    with pytest.raises(NotImplementedError, match=f'odeint.*{option}'):
        derivative(np.array([1.0, 0.5]), 1.0)


def reads_its_enclosing_variable(y0, k):
    return np.sum(odeint(lambda y, t: -k * y, y0, TIMES))


def nested_reads_its_enclosing_variable(y0, k):
    def decay_at_rate_k(y, t):
        return -k * y
    return np.sum(odeint(decay_at_rate_k, y0, TIMES))


@pytest.mark.parametrize('loss', [reads_its_enclosing_variable,
                                  nested_reads_its_enclosing_variable])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_func_reading_a_differentiated_variable_raises(loss, mode):
    # k reaches odeint only inside func, not through args: refused when tangent is asked.
    with pytest.raises(NotImplementedError, match='lambda.*passed on as a value'):
        tangent.autodiff(loss, wrt=(1,), mode=mode)


def named_lambda_reads_its_enclosing_variable(y0, k):
    decay = lambda y, t: -k * y  # noqa: E731 - a named lambda is what this tests
    return np.sum(odeint(decay, y0, TIMES))


@pytest.mark.parametrize('loss', [reads_its_enclosing_variable,
                                  nested_reads_its_enclosing_variable,
                                  named_lambda_reads_its_enclosing_variable])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_func_reading_a_constant_differentiates_y0(loss, mode):
    # y(t) = y0 exp(-k t): the loss is linear in y0, its gradient sum_i exp(-k t_i) per component.
    derivative = tangent.autodiff(loss, wrt=(0,), mode=mode)
    y0, seed = np.array([1.0, 0.5]), (1.0 if mode == 'reverse' else np.array([1.0, 0.0]))
    expected = np.sum(np.exp(-0.3 * TIMES))
    result = derivative(y0, 0.3, seed)
    np.testing.assert_allclose(result, [expected, expected] if mode == 'reverse' else expected,
                               rtol=1e-6)


def nested_with_two_statements(y0, k):
    def decay(y, t):
        rate = -k * y
        return rate
    return np.sum(odeint(decay, y0, TIMES))


def test_nested_function_of_several_statements_passed_as_a_value_raises():
    with pytest.raises(tangent.TangentParseError, match='nested function decay.*one return'):
        tangent.grad(nested_with_two_statements)


def gathered(y, t, *rates):
    return -rates[0] * y


def gathered_loss(y0, k):
    return np.sum(odeint(gathered, y0, TIMES, args=(k,)))


def test_func_gathering_star_args_raises():
    with pytest.raises(NotImplementedError, match='odeint.*gathered.*\\*args'):
        tangent.grad(gathered_loss, wrt=(1,))(np.array([1.0]), 0.3)


# Second order: every composition of two modes ------------------------------------
# check_grads(order=2) compares forward over reverse (the Hessian-vector product),
# reverse over reverse, reverse over forward and forward over forward with central
# differences of the first derivative, which the tests above check on their own.

def test_logistic_second_order_in_y0_rate_capacity_and_times():
    check_grads(logistic_final, np.array([0.2]), 1.3, 2.5, np.array([0.1, 0.9, 2.4]),
                order=2, eps=1e-5)


def logistic_final_autograd(y0, rate, capacity, t):
    import autograd.numpy as anp

    def at(s):
        return capacity * y0 / (y0 + (capacity - y0) * anp.exp(-rate * (s - t[0])))
    return anp.sum(at(t[-1]) ** 2) + 0.5 * anp.sum(at(t[1]))


def test_logistic_hessian_matches_the_closed_form():
    # autograd's Hessian of the logistic curve in closed form: no ODE solve at all.
    import autograd
    point = (np.array([0.2]), 1.3, 2.5, np.array([0.1, 0.9, 2.4]))
    for index in (0, 3):
        expected = autograd.hessian(logistic_final_autograd, index)(*point)
        actual = tangent.hessian(logistic_final, wrt=index)(*point)
        np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=1e-9)


def test_logistic_hessian_vector_product_in_rate_and_capacity():
    import autograd
    point = (np.array([0.2]), 1.3, 2.5, np.array([0.1, 0.9, 2.4]))
    direction = (0.7, -1.1)
    products = tangent.hvp(logistic_final, wrt=(1, 2))(*point, direction)
    for index, product in zip((1, 2), products):
        def gradient_along(rate, capacity, index=index):
            return autograd.grad(logistic_final_autograd, index)(point[0], rate, capacity,
                                                                point[3])
        expected = autograd.grad(lambda s: gradient_along(point[1] + s * direction[0],
                                                          point[2] + s * direction[1]))(0.0)
        np.testing.assert_allclose(product, expected, rtol=1e-7)


def linear_loss_tight(y0, a, t):
    ys = odeint(linear, y0, t, args=(a,), rtol=TIGHT, atol=TIGHT)
    return np.sum(WEIGHTS * ys * ys)


def test_linear_system_with_a_matrix_argument_second_order():
    check_grads(linear_loss_tight, np.array([1.0, -0.5]), A, TIMES, order=2, eps=1e-5)


def test_linear_hessian_in_y0_is_the_weighted_propagators():
    # L = sum_i sum(W_i * (P_i y0)^2), P_i = expm(A (t_i - t_0)): H = 2 sum_i P_i^T diag(W_i) P_i.
    propagators = [scipy.linalg.expm(A * (s - TIMES[0])) for s in TIMES]
    expected = sum(2 * p.T @ np.diag(w) @ p for p, w in zip(propagators, WEIGHTS))
    hessian = tangent.hessian(linear_loss_tight)(np.array([0.3, 0.8]), A, TIMES)
    np.testing.assert_allclose(hessian, expected, rtol=1e-8)


def test_linear_hessian_in_the_matrix_matches_the_closed_form():
    point = (np.array([1.0, -0.5]), A, TIMES)
    direction = np.random.default_rng(7).normal(size=A.shape)
    product = tangent.hvp(linear_loss_tight, wrt=1)(*point, direction)
    eps = 1e-4

    def closed_form_gradient(a):
        return central_difference(linear_loss_closed_form, (point[0], a, TIMES), 1, eps=1e-5)
    expected = (closed_form_gradient(A + eps * direction) -
                closed_form_gradient(A - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(product, expected, rtol=1e-4, atol=1e-5)


def test_pendulum_second_order_with_times():
    check_grads(pendulum_energy_path, np.array([1.2, -0.3]), 0.25, 3.0, TIMES, order=2,
                eps=1e-5)


def test_neural_ode_second_order():
    rng = np.random.default_rng(0)
    check_grads(neural_ode_loss, rng.normal(size=3), 0.8 * rng.normal(size=(3, 3)),
                0.3 * rng.normal(size=3), np.array([0.0, 0.5, 1.5]), order=2, eps=1e-5)


def test_list_of_weight_tuples_second_order():
    rng = np.random.default_rng(4)
    check_grads(mlp_ode_loss, mlp_layers(rng), np.array([0.4, 0.9]), TIMES, order=2, eps=1e-5)


def test_list_of_weight_tuples_hessian_vector_product_keeps_the_structure():
    rng = np.random.default_rng(6)
    layers, y0 = mlp_layers(rng), np.array([0.4, 0.9])
    direction = mlp_layers(np.random.default_rng(8))
    product = tangent.hvp(mlp_ode_loss)(layers, y0, TIMES, direction)
    assert isinstance(product, list) and all(isinstance(layer, tuple) for layer in product)
    eps = 1e-5
    gradient = tangent.grad(mlp_ode_loss)

    def moved(sign):
        return [tuple(w + sign * eps * dw for w, dw in zip(layer, step))
                for layer, step in zip(layers, direction)]
    expected = [(above - below) / (2 * eps) for above, below in
                zip(nested_leaves(gradient(moved(1), y0, TIMES)),
                    nested_leaves(gradient(moved(-1), y0, TIMES)))]
    for actual, wanted in zip(nested_leaves(product), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-8)


def test_dict_with_a_tuple_and_a_string_second_order():
    check_grads(settings_loss, np.array([0.5, -0.2]), make_settings(), order=2, eps=1e-5)


def test_nested_list_of_numbers_hessian_matches_closed_form():
    # L = y0 sum(exp(-k t)): d2L/dy0 dk = -sum(t exp(-k t)), d2L/dk2 = y0 sum(t^2 exp(-k t)).
    y0, k = 1.3, 0.6
    blocks = tangent.hessian(list_args_loss, wrt=(0, 1))(np.array([y0]), k)
    np.testing.assert_allclose(np.ravel(blocks[0][0]), [0.0], atol=1e-9)
    np.testing.assert_allclose(np.ravel(blocks[0][1]), [-np.sum(TIMES * np.exp(-k * TIMES))],
                               rtol=1e-8)
    np.testing.assert_allclose(blocks[1][1], y0 * np.sum(TIMES ** 2 * np.exp(-k * TIMES)),
                               rtol=1e-8)


def test_tfirst_second_order():
    check_grads(time_first_loss, 0.7, 1.4, TIMES, order=2, eps=1e-5)


def test_func_returning_a_list_with_a_string_argument_second_order():
    check_grads(oscillator_loss, np.array([0.4, 0.9]), 1.7, TIMES, order=2, eps=1e-5)


def test_times_in_a_list_literal_second_order():
    check_grads(decay_until, np.array([1.5]), 0.8, 1.7, order=2, eps=1e-5)


@pytest.mark.parametrize('times', [TIMES, TIMES[::-1].copy()], ids=['forwards', 'backwards'])
def test_tcrit_second_order(times):
    # The first derivative's own error (about 1e-10 here) over eps: a larger step.
    check_grads(kicked_loss, np.array([0.5, 1.0]), 0.8, times, order=2, eps=1e-4)


def test_args_given_as_a_tuple_argument_second_order():
    check_grads(pendulum_with_parameter_tuple, np.array([0.5, 0.2]), (0.3, 2.0), order=2,
                eps=1e-5)



def decay_without_args_tight(y0, t):
    return np.sum(odeint(decay_without_args, y0, t, rtol=TIGHT, atol=TIGHT) ** 2)


def test_without_args_second_order():
    check_grads(decay_without_args_tight, np.array([1.0, 3.0]), TIMES, order=2, eps=1e-5)


def cubed_decay(y0, k):
    return np.sum(odeint(linear, y0, TIMES, args=(np.array([[-k]]),), rtol=TIGHT,
                         atol=TIGHT) ** 3)


def test_scalar_initial_state_hessian_matches_closed_form():
    # y = y0 exp(-k t): L = y0^3 sum(exp(-3 k t)).
    y0, k = 2.0, 0.6
    decay = np.exp(-3 * k * TIMES)
    blocks = tangent.hessian(cubed_decay, wrt=(0, 1))(y0, k)
    expected = [[6 * y0 * np.sum(decay), -9 * y0 ** 2 * np.sum(TIMES * decay)],
                [-9 * y0 ** 2 * np.sum(TIMES * decay), 9 * y0 ** 3 * np.sum(TIMES ** 2 * decay)]]
    np.testing.assert_allclose(np.array(blocks, dtype=float), expected, rtol=1e-8)


def test_repeated_output_times_second_order():
    # Central differences in t would break the times' order: y0 and args only.
    repeated = np.array([0.0, 0.5, 0.5, 1.2])
    check_grads(pendulum_energy_path, np.array([1.2, -0.3]), 0.25, 3.0, repeated, order=2,
                wrt=(0, 1, 2), eps=1e-5)


def at_its_start_time(y0, k):
    return np.sum(odeint(linear, y0, np.array([0.3]), args=(np.array([[-k]]),)) ** 2)


def test_a_single_output_time_in_every_mode():
    # The output is y0 itself: odeint then integrates nothing, and neither may the derivative.
    check_grads(at_its_start_time, np.array([-2.0]), 0.5, order=2)

def test_vector_jacobian_product_in_its_seed_and_point():
    # The seed of a vjp is an argument like any other here: the adjoint and tangent of
    # odeint's adjoint solve in g (d[g]) are checked alongside y0, the parameters and t.
    seed = np.random.default_rng(9).normal(size=(len(TIMES), 2))
    check_grads(tangent.vjp(pendulum_path, wrt=(0, 1, 2, 3)), np.array([1.2, -0.3]), 0.25, 3.0,
                TIMES, seed, eps=1e-5)


def test_jacobian_vector_product_in_its_tangents_and_point():
    rng = np.random.default_rng(10)
    check_grads(tangent.jvp(pendulum_path, wrt=(0, 1, 2, 3)), np.array([1.2, -0.3]), 0.25, 3.0,
                TIMES, rng.normal(size=2), 0.4, -0.8, rng.normal(size=len(TIMES)), eps=1e-5)


def test_third_order_raises():
    gradient = tangent.autodiff(linear_loss_tight, mode='reverse', check_dims=False)
    second = tangent.autodiff(gradient, wrt=(0,), mode='forward', check_dims=False)
    third = tangent.autodiff(second, wrt=(0,), mode='forward', check_dims=False)
    y0, direction = np.array([1.0, 0.5]), np.array([1.0, 0.0])
    with pytest.raises(NotImplementedError, match='Third.*odeint'):
        third(y0, A, TIMES, 1.0, direction, direction)

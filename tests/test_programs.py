"""Tangent differentiates a corpus of realistic autograd programs, unchanged.

Each program in ``tests/programs`` is written the way autograd's users write models
(``autograd.numpy as np``, parameter lists and dicts, ``autograd.scipy``). Tangent
differentiates the module's own ``objective`` function object, and its gradient
must equal autograd's to ``rtol=1e-7``. Autograd's gradients are themselves
checked against central finite differences along a random direction, so the
reference is independent of both tools' rules.

Programs that draw noise take a ``RandomState`` argument; every call gets its own
freshly built arguments from the same seed, so both tools see the same noise.
"""

import autograd
import numpy
import pytest
from autograd import hessian_vector_product

import tangent
from programs import PROGRAM_NAMES, SEED, fresh_arguments, leaves, load
from tangent.testing import check_grads

RTOL = 1e-7
ATOL = 1e-10

# Programs also checked in split motion: one with a RandomState argument, one with
# dict parameters and a loop over time, one with parameter lists, one whose parameter
# list of tuples goes through odeint's args.
SPLIT_MOTION_PROGRAMS = ['bbvi', 'hmm', 'softmax_mlp', 'kalman_filter', 'neural_ode']


def assert_trees_close(actual, expected, where):
    actual_leaves, expected_leaves = leaves(actual), leaves(expected)
    assert len(actual_leaves) == len(expected_leaves), (
        f'{where}: {len(actual_leaves)} gradient leaves, expected {len(expected_leaves)}')
    for index, (got, want) in enumerate(zip(actual_leaves, expected_leaves)):
        assert numpy.shape(got) == numpy.shape(want), (
            f'{where}, leaf {index}: shape {numpy.shape(got)}, expected {numpy.shape(want)}')
        numpy.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                      err_msg=f'{where}, leaf {index}')


def autograd_gradients(program):
    """Autograd's gradient for each position in ``WRT``, one ``autograd.grad`` per argnum."""
    return tuple(autograd.grad(program.objective, argnum=position)(*fresh_arguments(program))
                 for position in program.WRT)


def as_tuple(gradients, program):
    return gradients if len(program.WRT) > 1 else (gradients,)


@pytest.mark.parametrize('name', PROGRAM_NAMES)
def test_tangent_gradient_matches_autograd(name):
    program = load(name)
    gradient = tangent.grad(program.objective, wrt=program.WRT)
    actual = as_tuple(gradient(*fresh_arguments(program)), program)
    assert_trees_close(actual, autograd_gradients(program), name)


@pytest.mark.parametrize('name', SPLIT_MOTION_PROGRAMS)
def test_split_motion_gradient_matches_autograd(name):
    program = load(name)
    gradient = tangent.autodiff(program.objective, wrt=program.WRT, motion='split',
                                input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    actual = as_tuple(gradient(*fresh_arguments(program)), program)
    assert_trees_close(actual, autograd_gradients(program), f'{name} (split motion)')


def flatten(tree):
    """The float leaves of a tree as one vector, and a function rebuilding the tree."""
    if isinstance(tree, dict):
        keys = sorted(tree)
        flat, rebuild = flatten([tree[key] for key in keys])
        return flat, lambda vector: dict(zip(keys, rebuild(vector)))
    if isinstance(tree, (list, tuple)):
        parts = [flatten(item) for item in tree]
        sizes = [len(flat) for flat, _ in parts]
        offsets = numpy.cumsum([0] + sizes)

        def rebuild_sequence(vector):
            items = [rebuild(vector[start:stop]) for (_, rebuild), start, stop
                     in zip(parts, offsets[:-1], offsets[1:])]
            return type(tree)(items)
        flat = numpy.concatenate([flat for flat, _ in parts]) if parts else numpy.zeros(0)
        return flat, rebuild_sequence
    if isinstance(tree, float) or numpy.ndim(tree) == 0:
        return numpy.array([float(tree)]), lambda vector: float(vector[0])
    shape = numpy.shape(tree)
    return numpy.ravel(tree).astype(float), lambda vector: numpy.reshape(vector, shape)


@pytest.mark.parametrize('name', PROGRAM_NAMES)
def test_autograd_reference_matches_finite_differences(name):
    """Central differences along a random direction in every differentiated argument."""
    program = load(name)
    direction_rs = numpy.random.RandomState(1)
    step = 1e-6
    arguments = fresh_arguments(program)
    flats, rebuilds, directions = {}, {}, {}
    for position in program.WRT:
        flats[position], rebuilds[position] = flatten(arguments[position])
        directions[position] = direction_rs.randn(len(flats[position]))

    def objective_along(scale):
        shifted = list(fresh_arguments(program))
        for position in program.WRT:
            shifted[position] = rebuilds[position](
                flats[position] + scale * directions[position])
        return program.objective(*shifted)

    finite_difference = (objective_along(step) - objective_along(-step)) / (2 * step)
    directional = sum(numpy.dot(flatten(gradient)[0], directions[position])
                      for gradient, position in zip(autograd_gradients(program), program.WRT))
    numpy.testing.assert_allclose(directional, finite_difference, rtol=1e-5, atol=1e-7)


def test_neural_ode_against_finite_differences_in_every_mode():
    """Reverse (joint and split motion) and forward mode, at a smaller size than the
    program's own: a hidden layer of 3, 4 output times."""
    program = load('neural_ode')
    rs = numpy.random.RandomState(SEED)
    params = [(0.5 * rs.randn(2, 3), 0.1 * rs.randn(3)),
              (0.5 * rs.randn(3, 2), 0.1 * rs.randn(2))]
    times = numpy.linspace(0.0, 1.0, 4)
    target = numpy.stack([numpy.cos(times), -numpy.sin(times)], axis=1)
    check_grads(program.objective, params, numpy.array([1.0, 0.0]), times, target,
                modes=('reverse', 'forward'), wrt=(0,))



def test_neural_ode_second_order_against_finite_differences():
    """Every composition of two modes through odeint (the Hessian-vector product
    among them), with respect to the network's list of (W, b) tuples."""
    program = load('neural_ode')
    rs = numpy.random.RandomState(SEED)
    params = [(0.5 * rs.randn(2, 3), 0.1 * rs.randn(3)),
              (0.5 * rs.randn(3, 2), 0.1 * rs.randn(2))]
    times = numpy.linspace(0.0, 1.0, 4)
    target = numpy.stack([numpy.cos(times), -numpy.sin(times)], axis=1)
    check_grads(program.objective, params, numpy.array([1.0, 0.0]), times, target,
                modes=('reverse', 'forward'), wrt=(0,), order=2, eps=1e-5)

def test_newton_cg_hessian_vector_products_match_autograd():
    program = load('newton_cg')
    weights, features, labels = fresh_arguments(program)
    vector = numpy.random.RandomState(2).randn(len(weights))
    expected = hessian_vector_product(program.objective)(weights, features, labels, vector)
    tangent_hvp = tangent.hvp(program.objective)
    numpy.testing.assert_allclose(tangent_hvp(weights, features, labels, vector), expected,
                                  rtol=RTOL, atol=ATOL)
    forward_over_reverse = tangent.autodiff(
        tangent.autodiff(program.objective, mode='reverse', check_dims=False),
        mode='forward', check_dims=False)
    numpy.testing.assert_allclose(forward_over_reverse(weights, features, labels, 1.0, vector),
                                  expected, rtol=RTOL, atol=ATOL)


def test_newton_cg_solver_takes_the_same_steps_with_either_tool():
    program = load('newton_cg')
    weights, features, labels = fresh_arguments(program)
    by_autograd = program.newton_cg(autograd.grad(program.objective),
                                    hessian_vector_product(program.objective),
                                    weights, features, labels, num_steps=8)
    by_tangent = program.newton_cg(tangent.grad(program.objective),
                                   tangent.hvp(program.objective),
                                   weights, features, labels, num_steps=8)
    numpy.testing.assert_allclose(by_tangent, by_autograd, rtol=RTOL, atol=ATOL)
    # Newton's method has converged: the gradient vanishes at the solution.
    # (to the accuracy of the 10-iteration conjugate-gradient solves)
    numpy.testing.assert_allclose(autograd.grad(program.objective)(by_autograd, features, labels),
                                  0.0, atol=1e-6)


def test_negative_binomial_newton_fit_matches_autograd_newton_steps():
    program = load('negative_binomial')
    params, counts = fresh_arguments(program)
    gradient = autograd.grad(program.objective)
    hessian = autograd.hessian(program.objective)
    expected = params
    for _ in range(3):
        step = numpy.linalg.solve(hessian(expected, counts) + 1e-3 * numpy.eye(2),
                                  gradient(expected, counts))
        expected = expected - step
    numpy.testing.assert_allclose(program.fit(params, counts, num_steps=3), expected,
                                  rtol=RTOL, atol=ATOL)

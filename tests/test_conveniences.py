"""value_and_grad, elementwise_grad, jacobian, hessian, hvp and the argnum spelling.

Each is checked against autograd (every function here has an autograd.numpy
twin, suffixed ``_ag``) and against central finite differences.
"""

import functools

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import scipy.optimize
from reference import assert_close, numerical_grad

import tangent
from tangent.non_differentiable import register_non_differentiable_functions

RNG = np.random.default_rng(7)
X3 = np.array([0.3, -0.7, 1.1])
Y3 = np.array([0.5, 1.5, -0.4])
M23 = RNG.normal(size=(2, 3))


def finite_jacobian(f, args, index, eps=1e-6):
    """Central differences of every element of ``f``'s result in argument ``index``,
    shaped ``result.shape + argument.shape``."""
    x = np.asarray(args[index], dtype=float)
    columns = []
    for position in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[position] = eps
        high, low = list(args), list(args)
        high[index], low[index] = x + step, x - step
        if x.ndim == 0:
            high[index], low[index] = float(x + eps), float(x - eps)
        columns.append((np.asarray(f(*high)) - np.asarray(f(*low))) / (2 * eps))
    result_shape = np.shape(f(*args))
    return np.stack(columns, axis=-1).reshape(result_shape + x.shape)


# Scalar-valued functions ------------------------------------------------------------

def loss(x, y):
    return np.sum(np.tanh(x) ** 2 * y) + np.sum(x * x) * y[0]


def loss_ag(x, y):
    return anp.sum(anp.tanh(x) ** 2 * y) + anp.sum(x * x) * y[0]


def matrix_loss(w, x):
    return np.sum(np.sin(w @ x) ** 2) + np.sum(w * w * w)


def matrix_loss_ag(w, x):
    return anp.sum(anp.sin(anp.dot(w, x)) ** 2) + anp.sum(w * w * w)


def scalar_loss(a, b):
    return a * a * b + np.sin(a * b)


def scalar_loss_ag(a, b):
    return a * a * b + anp.sin(a * b)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_ag(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


SCALAR_CASES = [
    pytest.param(loss, loss_ag, (X3, Y3), id='vectors'),
    pytest.param(matrix_loss, matrix_loss_ag, (M23, X3), id='matrix_and_vector'),
    pytest.param(scalar_loss, scalar_loss_ag, (0.7, -1.3), id='floats'),
]


# value_and_grad ----------------------------------------------------------------------

@pytest.mark.parametrize('f, f_ag, args', SCALAR_CASES)
@pytest.mark.parametrize('wrt', [0, 1, (0,), (1, 0), (0, 1)])
def test_value_and_grad_matches_autograd_and_finite_differences(f, f_ag, args, wrt):
    value, gradient = tangent.value_and_grad(f, wrt=wrt)(*args)
    expected_value, expected_gradient = autograd.value_and_grad(f_ag, wrt)(*args)
    assert_close(value, f(*args), rtol=1e-12)
    assert_close(value, expected_value, rtol=1e-12)
    if isinstance(wrt, tuple) and len(wrt) > 1:
        assert isinstance(gradient, tuple) and len(gradient) == len(wrt)
        assert_close(gradient, tuple(expected_gradient))
        assert_close(gradient, tuple(numerical_grad(f, args, i) for i in wrt))
    else:
        index = wrt if isinstance(wrt, int) else wrt[0]
        # autograd returns a 1-tuple for argnum=(0,); tangent, as grad does, a bare gradient.
        assert_close(gradient, expected_gradient[0] if isinstance(wrt, tuple)
                     else expected_gradient)
        assert_close(gradient, numerical_grad(f, args, index))


def test_value_and_grad_agrees_with_grad_in_several_arguments():
    value, (dx, dy) = tangent.value_and_grad(loss, wrt=(0, 1))(X3, Y3)
    gx, gy = tangent.grad(loss, wrt=(0, 1))(X3, Y3)
    assert_close(value, loss(X3, Y3), rtol=1e-12)
    assert_close((dx, dy), (gx, gy), rtol=1e-12)


evaluations = []


def count_evaluation():
    evaluations.append(1)
    return 0.0


register_non_differentiable_functions(count_evaluation)


def counted_loss(x):
    marker = count_evaluation()
    return np.sum(x ** 3) + marker


def test_value_and_grad_runs_the_function_once_per_call():
    value_and_gradient = tangent.value_and_grad(counted_loss)
    del evaluations[:]
    value, gradient = value_and_gradient(X3)
    assert len(evaluations) == 1
    assert_close(value, np.sum(X3 ** 3), rtol=1e-12)
    assert_close(gradient, 3 * X3 ** 2, rtol=1e-12)


@pytest.mark.parametrize('n', [2, 5])
def test_value_and_grad_drives_scipy_minimize_to_the_rosenbrock_minimum(n):
    x0 = np.full(n, -1.2)
    fun = tangent.value_and_grad(rosenbrock)
    value, gradient = fun(x0)
    assert_close(gradient, autograd.grad(rosenbrock_ag)(x0))
    assert_close(gradient, numerical_grad(rosenbrock, [x0], 0), rtol=1e-5, atol=1e-4)
    solution = scipy.optimize.minimize(fun, x0, jac=True, method='BFGS',
                                       options={'gtol': 1e-10, 'maxiter': 2000})
    assert solution.success, solution.message
    np.testing.assert_allclose(solution.x, np.ones(n), atol=1e-5)
    assert solution.fun < 1e-10


def test_value_and_grad_takes_a_seed_and_keywords_like_grad():
    def scaled(x, weight=2.0):
        total = np.sum(x * x) * weight
        return total

    value, gradient = tangent.value_and_grad(scaled)(X3, weight=3.0)
    assert_close(value, scaled(X3, 3.0), rtol=1e-12)
    assert_close(gradient, numerical_grad(lambda x: scaled(x, 3.0), [X3], 0))
    _, seeded = tangent.value_and_grad(scaled)(X3, 3.0, btotal=0.5)
    assert_close(seeded, 0.5 * gradient, rtol=1e-12)


def vector_result(x):
    return np.sin(x) * 2.0


@pytest.mark.parametrize('convenience', [tangent.grad, tangent.value_and_grad,
                                         tangent.hessian])
def test_non_scalar_results_raise_what_grad_raises(convenience):
    with pytest.raises(ValueError) as from_grad:
        tangent.grad(vector_result)(X3)
    with pytest.raises(ValueError) as from_convenience:
        convenience(vector_result)(X3)
    assert str(from_convenience.value) == str(from_grad.value)
    assert 'scalar' in str(from_grad.value)


def test_hvp_of_a_non_scalar_result_raises_what_grad_raises():
    with pytest.raises(ValueError) as from_grad:
        tangent.grad(vector_result)(X3)
    with pytest.raises(ValueError) as from_hvp:
        tangent.hvp(vector_result)(X3, X3)
    assert str(from_hvp.value) == str(from_grad.value)


# elementwise_grad --------------------------------------------------------------------

def wave(x):
    return np.sin(x) * x + np.exp(-x * x)


def wave_ag(x):
    return anp.sin(x) * x + anp.exp(-x * x)


def scaled_power(a, x):
    return a * x ** 3 + np.tanh(a * x)


def scaled_power_ag(a, x):
    return a * x ** 3 + anp.tanh(a * x)


@pytest.mark.parametrize('x', [0.4, X3, M23, RNG.normal(size=(2, 2, 3))],
                         ids=['float', 'vector', 'matrix', 'three_axes'])
def test_elementwise_grad_matches_autograd_and_the_derivative(x):
    derivative = tangent.elementwise_grad(wave)(x)
    assert_close(derivative, autograd.elementwise_grad(wave_ag)(x))
    eps = 1e-6
    assert_close(derivative, (wave(x + eps) - wave(x - eps)) / (2 * eps))


@pytest.mark.parametrize('spelling', [dict(wrt=1), dict(wrt=(1,)), dict(argnum=1)])
def test_elementwise_grad_in_another_argument(spelling):
    derivative = tangent.elementwise_grad(scaled_power, **spelling)(0.8, M23)
    assert_close(derivative, autograd.elementwise_grad(scaled_power_ag, 1)(0.8, M23))
    assert_close(derivative, numerical_grad(lambda a, x: np.sum(scaled_power(a, x)),
                                            [0.8, M23], 1))


def test_elementwise_grad_in_several_arguments_is_a_tuple():
    da, dx = tangent.elementwise_grad(scaled_power, wrt=(0, 1))(0.8, X3)
    summed = lambda a, x: np.sum(scaled_power(a, x))  # noqa: E731
    assert_close(da, autograd.elementwise_grad(scaled_power_ag, 0)(0.8, X3))
    assert_close((da, dx), (numerical_grad(summed, [0.8, X3], 0),
                            numerical_grad(summed, [0.8, X3], 1)))


def test_elementwise_grad_is_a_generated_function_that_differentiates_again():
    first = tangent.elementwise_grad(wave)
    second = tangent.elementwise_grad(first)
    assert_close(second(X3), autograd.elementwise_grad(autograd.elementwise_grad(wave_ag))(X3))


# jacobian ----------------------------------------------------------------------------

def widen(x):
    """R^2 -> R^5: more outputs than inputs (forward mode is cheaper)."""
    return np.concatenate([np.sin(x) * x[0], x ** 2, np.array([np.sum(x)])])


def widen_ag(x):
    return anp.concatenate([anp.sin(x) * x[0], x ** 2, anp.array([anp.sum(x)])])


def narrow(x):
    """R^5 -> R^2: fewer outputs than inputs (reverse mode is cheaper)."""
    return np.array([np.sum(np.tanh(x)), np.prod(x[:3])])


def narrow_ag(x):
    return anp.array([anp.sum(anp.tanh(x)), anp.prod(x[:3])])


def to_scalar(x):
    return np.sum(x ** 2 * np.cos(x))


def to_scalar_ag(x):
    return anp.sum(x ** 2 * anp.cos(x))


def from_scalar(a):
    return np.array([np.sin(a), a ** 3, np.exp(0.5 * a)])


def from_scalar_ag(a):
    return anp.array([anp.sin(a), a ** 3, anp.exp(0.5 * a)])


def scalar_to_scalar(a):
    return a ** 3 * np.sin(a)


def scalar_to_scalar_ag(a):
    return a ** 3 * anp.sin(a)


def matrix_map(w):
    return np.tanh(w @ w.T) + w[:, :2]


def matrix_map_ag(w):
    return anp.tanh(anp.dot(w, w.T)) + w[:, :2]


JACOBIAN_CASES = [
    pytest.param(widen, widen_ag, np.array([0.4, -0.9]), id='n_less_than_m'),
    pytest.param(narrow, narrow_ag, RNG.normal(size=5), id='n_more_than_m'),
    pytest.param(to_scalar, to_scalar_ag, X3, id='scalar_out'),
    pytest.param(from_scalar, from_scalar_ag, 0.6, id='scalar_in'),
    pytest.param(scalar_to_scalar, scalar_to_scalar_ag, 1.3, id='scalar_in_and_out'),
    pytest.param(matrix_map, matrix_map_ag, M23, id='matrix_to_matrix'),
]


@pytest.mark.parametrize('f, f_ag, x', JACOBIAN_CASES)
@pytest.mark.parametrize('mode', [None, 'forward', 'reverse'])
def test_jacobian_matches_autograd_and_finite_differences(f, f_ag, x, mode):
    jacobian = tangent.jacobian(f, mode=mode)(x)
    expected = autograd.jacobian(f_ag)(x)
    assert np.shape(jacobian) == np.shape(f(x)) + np.shape(x)
    assert_close(jacobian, expected)
    assert_close(jacobian, finite_jacobian(f, [x], 0))


def mixed(a, w, x):
    return np.tanh(w @ x) * a + x[:2] ** 2


def mixed_ag(a, w, x):
    return anp.tanh(anp.dot(w, x)) * a + x[:2] ** 2


@pytest.mark.parametrize('spelling', [dict(wrt=1), dict(argnum=1), dict(wrt=(1,))])
@pytest.mark.parametrize('mode', [None, 'forward', 'reverse'])
def test_jacobian_in_another_argument(spelling, mode):
    args = (0.7, M23, X3)
    jacobian = tangent.jacobian(mixed, mode=mode, **spelling)(*args)
    assert jacobian.shape == (2, 2, 3)
    assert_close(jacobian, autograd.jacobian(mixed_ag, 1)(*args))
    assert_close(jacobian, finite_jacobian(mixed, args, 1))


@pytest.mark.parametrize('mode', [None, 'forward', 'reverse'])
def test_jacobian_in_several_arguments_is_a_tuple(mode):
    args = (0.7, M23, X3)
    blocks = tangent.jacobian(mixed, wrt=(2, 0), mode=mode)(*args)
    assert isinstance(blocks, tuple) and len(blocks) == 2
    assert_close(blocks, (autograd.jacobian(mixed_ag, 2)(*args),
                          autograd.jacobian(mixed_ag, 0)(*args)))
    assert_close(blocks, (finite_jacobian(mixed, args, 2), finite_jacobian(mixed, args, 0)))


def counted_map(x, outputs):
    marker = count_evaluation()
    return np.sin(x[0]) * np.arange(outputs) + np.sum(x) + marker


@pytest.mark.parametrize('inputs, outputs, passes', [(2, 6, 2), (6, 2, 2), (4, 4, 4)])
def test_jacobian_takes_the_mode_with_fewer_passes(inputs, outputs, passes):
    x = np.linspace(0.1, 0.9, inputs)
    jacobian_of = tangent.jacobian(counted_map)
    del evaluations[:]
    jacobian = jacobian_of(x, outputs)
    # One run for the result's shape, then one per pass of the mode chosen.
    assert len(evaluations) == 1 + passes
    assert_close(jacobian, finite_jacobian(lambda v: counted_map(v, outputs), [x], 0))


def only_reverse_rule(x):
    return x * 3.0


def _only_reverse_rule_adjoint(result, x):
    d[x] = d[result] * 3.0  # noqa: F821 - d is the template's notation


def uses_only_reverse_rule(x):
    return np.sin(only_reverse_rule(x))


@pytest.fixture
def adjoint_without_tangent():
    """only_reverse_rule with a reverse rule and no forward one, for this test only."""
    tangent.grads.adjoint(only_reverse_rule)(_only_reverse_rule_adjoint)
    yield
    tangent.grads.adjoints.remove(only_reverse_rule)
    tangent.clear_cache()


def test_jacobian_uses_the_mode_a_function_has_rules_for(adjoint_without_tangent):
    x = np.array([0.2, 0.4])
    jacobian = tangent.jacobian(uses_only_reverse_rule)(x)
    assert_close(jacobian, np.diag(3.0 * np.cos(3.0 * x)))
    assert_close(jacobian, finite_jacobian(uses_only_reverse_rule, [x], 0))
    with pytest.raises(tangent.ForwardNotImplementedError):
        tangent.jacobian(uses_only_reverse_rule, mode='forward')


# hessian and hvp ---------------------------------------------------------------------

HESSIAN_CASES = [
    pytest.param(loss, loss_ag, (X3, Y3), 0, id='vector'),
    pytest.param(matrix_loss, matrix_loss_ag, (M23, X3), 1, id='second_argument'),
    pytest.param(scalar_loss, scalar_loss_ag, (0.7, -1.3), 1, id='second_float'),
    pytest.param(matrix_loss, matrix_loss_ag, (M23, X3), 0, id='matrix'),
    pytest.param(scalar_loss, scalar_loss_ag, (0.7, -1.3), 0, id='float'),
    pytest.param(rosenbrock, rosenbrock_ag, (np.array([0.5, -1.0, 2.0, 0.3]),), 0,
                 id='rosenbrock'),
]


def gradient_function(f, index):
    """The gradient by finite differences, a reference to differentiate again."""
    return lambda *args: numerical_grad(f, args, index, eps=1e-5)


@pytest.mark.parametrize('f, f_ag, args, index', HESSIAN_CASES)
def test_hessian_matches_autograd_and_finite_differences(f, f_ag, args, index):
    hessian = tangent.hessian(f, wrt=index)(*args)
    shape = np.shape(args[index])
    assert np.shape(hessian) == shape + shape
    assert_close(hessian, autograd.hessian(f_ag, index)(*args))
    exact_gradient = tangent.grad(f, wrt=index)
    assert_close(hessian, finite_jacobian(exact_gradient, args, index), rtol=1e-5, atol=1e-5)
    assert_close(hessian, tangent.hessian(f, argnum=index)(*args), rtol=1e-12)


def test_hessian_in_several_arguments_is_a_tuple_of_blocks():
    blocks = tangent.hessian(matrix_loss, wrt=(0, 1))(M23, X3)
    assert len(blocks) == 2 and all(len(row) == 2 for row in blocks)
    for i, row in enumerate(blocks):
        for j, block in enumerate(row):
            expected = autograd.jacobian(autograd.grad(matrix_loss_ag, i), j)(M23, X3)
            assert block.shape == np.shape((M23, X3)[i]) + np.shape((M23, X3)[j])
            assert_close(block, expected)
    assert_close(blocks[0][1], np.transpose(blocks[1][0], (1, 2, 0)), rtol=1e-10)


@pytest.mark.parametrize('f, f_ag, args, index', HESSIAN_CASES)
def test_hvp_matches_autograd_and_the_hessian(f, f_ag, args, index):
    v = RNG.normal(size=np.shape(args[index]))
    v = float(v) if np.ndim(v) == 0 else v
    product = tangent.hvp(f, wrt=index)(*args, v)
    assert_close(product, autograd.hessian_vector_product(f_ag, index)(*args, v))
    hessian = autograd.hessian(f_ag, index)(*args)
    axes = np.ndim(v)
    assert_close(product, np.tensordot(hessian, v, axes=axes))
    assert_close(product, tangent.hvp(f, argnum=index)(*args, v), rtol=1e-12)
    eps = 1e-6
    exact_gradient = tangent.grad(f, wrt=index)
    high, low = list(args), list(args)
    high[index], low[index] = args[index] + eps * v, args[index] - eps * v
    assert_close(product, (exact_gradient(*high) - exact_gradient(*low)) / (2 * eps),
                 rtol=1e-5, atol=1e-5)


def test_hvp_in_several_arguments_takes_and_returns_tuples():
    vw, vx = RNG.normal(size=M23.shape), RNG.normal(size=3)
    products = tangent.hvp(matrix_loss, wrt=(0, 1))(M23, X3, (vw, vx))
    blocks = tangent.hessian(matrix_loss, wrt=(0, 1))(M23, X3)
    expected = tuple(np.tensordot(row[0], vw, axes=2) + np.tensordot(row[1], vx, axes=1)
                     for row in blocks)
    assert_close(products, expected)
    with pytest.raises(TypeError, match='tuple of 2 directions'):
        tangent.hvp(matrix_loss, wrt=(0, 1))(M23, X3, vw)


def test_hessian_and_hvp_of_a_partial_hold_its_arguments_constant():
    partial = functools.partial(loss, y=Y3)
    assert_close(tangent.hessian(partial)(X3), autograd.hessian(loss_ag)(X3, Y3))
    v = np.array([1.0, -2.0, 0.5])
    assert_close(tangent.hvp(partial)(X3, v),
                 autograd.hessian_vector_product(loss_ag)(X3, Y3, v))


class Model:
    def __init__(self, w):
        self.w = w

    def predict(self, x):
        return np.tanh(self.w @ x)

    def energy(self, x):
        return np.sum(np.tanh(self.w @ x) ** 2)


def test_jacobian_and_hessian_of_bound_methods():
    model = Model(M23)
    assert_close(tangent.jacobian(model.predict)(X3),
                 autograd.jacobian(lambda x: anp.tanh(anp.dot(M23, x)))(X3))
    assert_close(tangent.hessian(model.energy)(X3),
                 autograd.hessian(lambda x: anp.sum(anp.tanh(anp.dot(M23, x)) ** 2))(X3))


# argnum and wrt errors ---------------------------------------------------------------

CONVENIENCES = [tangent.grad, tangent.autodiff, tangent.vjp, tangent.jvp,
                tangent.value_and_grad, tangent.elementwise_grad, tangent.jacobian,
                tangent.hessian, tangent.hvp]


@pytest.mark.parametrize('convenience', CONVENIENCES, ids=lambda c: c.__name__)
def test_passing_both_wrt_and_argnum_raises_type_error(convenience):
    for wrt in (0, (0,), 1):
        with pytest.raises(TypeError, match='not both'):
            convenience(loss, wrt=wrt, argnum=1)


@pytest.mark.parametrize('convenience', CONVENIENCES, ids=lambda c: c.__name__)
@pytest.mark.parametrize('bad, error', [('x', TypeError), (1.0, TypeError), (True, TypeError),
                                        ((0, 'y'), TypeError), (2, ValueError),
                                        (-1, ValueError), ((), ValueError)])
def test_bad_wrt_values_raise_clear_errors(convenience, bad, error):
    with pytest.raises(error, match='wrt'):
        convenience(loss, wrt=bad)
    with pytest.raises(error, match='wrt'):
        convenience(loss, argnum=bad)


def test_argnum_is_wrt_in_grad_and_autodiff():
    assert_close(tangent.grad(loss, argnum=1)(X3, Y3), tangent.grad(loss, wrt=1)(X3, Y3),
                 rtol=1e-12)
    assert_close(tangent.grad(loss, argnum=(1, 0))(X3, Y3),
                 autograd.grad(loss_ag, (1, 0))(X3, Y3))
    forward = tangent.autodiff(loss, mode='forward', argnum=1)
    assert_close(forward(X3, Y3, Y3), np.dot(autograd.grad(loss_ag, 1)(X3, Y3), Y3))


def with_defaults(x, scale=2.0, *, shift=0.5):
    return np.sin(x * scale) + shift * x * x


def with_defaults_ag(x, scale=2.0, shift=0.5):
    return anp.sin(x * scale) + shift * x * x


@pytest.mark.parametrize('mode', [None, 'forward', 'reverse'])
def test_jacobian_and_hessian_fill_defaults_and_take_keywords(mode):
    jacobian = tangent.jacobian(with_defaults, mode=mode)
    assert_close(jacobian(X3), autograd.jacobian(with_defaults_ag)(X3))
    assert_close(jacobian(X3, shift=-1.0, scale=0.5),
                 autograd.jacobian(with_defaults_ag)(X3, 0.5, -1.0))

    def summed(x, scale=2.0, *, shift=0.5):
        return np.sum(with_defaults(x, scale, shift=shift))

    assert_close(tangent.hessian(summed)(X3, 0.5, shift=-1.0),
                 finite_jacobian(lambda x: tangent.grad(summed)(x, 0.5, shift=-1.0), [X3], 0),
                 atol=1e-5)


def test_jacobian_needs_numbers_or_arrays():
    with pytest.raises(TypeError, match='real number or a real NumPy array'):
        tangent.jacobian(with_defaults)([0.1, 0.2])
    with pytest.raises(TypeError, match='real number or a real NumPy array'):
        tangent.jacobian(with_defaults)(np.array([0.1 + 1j]))
    with pytest.raises(ValueError, match='mode'):
        tangent.jacobian(with_defaults, mode='sideways')

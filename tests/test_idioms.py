"""Everyday idioms of scientific Python differentiate unchanged: functions passed
as arguments (and held in dicts and lists), ``map``, ``functools.partial``,
``zip(*pairs)``, ``list``/``tuple`` of differentiated values, lists of layer
objects of different classes, and differentiated values spread by ``*args``.

Each is checked against finite differences (``tangent.testing.check_grads``:
reverse joint and split, forward) or against autograd running the same
computation.
"""

import functools
import operator
import gc
import weakref

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import tangent
from tangent.testing import check_grads

RNG = np.random.RandomState(7)
X = RNG.randn(3)
W1 = RNG.randn(4, 3) * 0.5
W2 = RNG.randn(2, 4) * 0.5


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=1e-10)


# 1. Function-valued arguments -------------------------------------------------------------

def sum_of_activation(x, nonlinearity):
    return np.sum(nonlinearity(x))


def mlp_loss(w1, w2, x, activation):
    hidden = activation(w1 @ x)
    return np.sum(activation(w2 @ hidden) ** 2)


def mlp_loss_autograd(w1, w2, x, activation):
    hidden = activation(anp.dot(w1, x))
    return anp.sum(activation(anp.dot(w2, hidden)) ** 2)


def with_default_activation(x, act=np.tanh):
    return np.sum(act(x) * x)


def softplus(z):
    return np.log1p(np.exp(z))


def activation_from_dict(x, params):
    return np.sum(params['act'](params['w'] * x))


def activations_from_list(x, acts):
    return np.sum(acts[0](x) * acts[1](x))


def apply_each(x, acts):
    for act in acts:
        x = act(x)
    return np.sum(x)


@pytest.mark.parametrize('activation', [np.tanh, np.sin, softplus, lambda z: z * z * z],
                         ids=['tanh', 'sin', 'user function', 'lambda'])
def test_function_argument_is_specialised_on_its_value(activation):
    check_grads(sum_of_activation, X, activation, wrt=0)


@pytest.mark.parametrize('activation, reference', [(np.tanh, anp.tanh),
                                                   (np.sin, anp.sin)], ids=['tanh', 'sin'])
def test_mlp_with_activation_passed_in_against_autograd(activation, reference):
    derivative = tangent.grad(mlp_loss, wrt=(0, 1))
    expected = autograd.grad(mlp_loss_autograd, (0, 1))(W1, W2, X, reference)
    for actual, wanted in zip(derivative(W1, W2, X, activation), expected):
        assert_close(actual, wanted)
    check_grads(mlp_loss, W1, W2, X, activation, wrt=(0, 1))


def test_default_activation_and_an_explicit_one():
    derivative = tangent.grad(with_default_activation)
    expected = autograd.grad(lambda x: anp.sum(anp.tanh(x) * x))(X)
    assert_close(derivative(X), expected)
    assert_close(derivative(X, act=np.sin),
                 autograd.grad(lambda x: anp.sum(anp.sin(x) * x))(X))
    forward = tangent.autodiff(with_default_activation, mode='forward')
    direction = np.array([1.0, -2.0, 0.5])
    assert_close(forward(X, direction), expected @ direction)
    check_grads(with_default_activation, X, np.cos, wrt=0)


def test_functions_held_in_a_dict_or_a_list_argument():
    check_grads(activation_from_dict, X, {'act': np.tanh, 'w': 2.0}, wrt=0)
    check_grads(activation_from_dict, X, {'act': softplus, 'w': -0.5}, wrt=0)
    check_grads(activations_from_list, X, [np.sin, softplus], wrt=0)
    check_grads(apply_each, X, [np.tanh, softplus, np.sin], wrt=0)
    check_grads(apply_each, X, (softplus,), wrt=0)


def test_another_function_value_gives_its_own_gradient_not_a_stale_one():
    derivative = tangent.grad(sum_of_activation)
    assert_close(derivative(X, np.tanh), 1.0 - np.tanh(X) ** 2)
    assert_close(derivative(X, np.sin), np.cos(X))
    assert_close(derivative(X, np.tanh), 1.0 - np.tanh(X) ** 2)
    assert_close(derivative(X, lambda z: z * z), 2.0 * X)
    assert_close(derivative(X, lambda z: z * z * z), 3.0 * X * X)
    # A second call of grad returns the same, not the version of another value.
    assert_close(tangent.grad(sum_of_activation)(X, np.exp), np.exp(X))


def test_lambdas_of_one_source_share_a_derivative_and_closures_do_not():
    derivative = tangent.grad(sum_of_activation)

    def scaled(factor):
        return lambda z: factor * z * z
    for factor in (1.0, 2.0, -3.0):
        assert_close(derivative(X, scaled(factor)), 2.0 * factor * X)
    assert len(derivative.specialisations) == 3


def test_the_derivative_does_not_keep_a_function_passed_in_alive():
    def make(factor):
        return lambda z: factor * z * z
    activation = make(3.0)
    alive = weakref.ref(activation)
    derivative = tangent.grad(sum_of_activation)
    assert_close(derivative(X, activation), 6.0 * X)
    del activation, derivative
    tangent.clear_cache()  # the cache's own rule: an entry lives as long as its function
    gc.collect()
    assert alive() is None


def test_the_function_passed_in_is_not_mutated():
    def act(z):
        return np.tanh(z) * 2.0
    act.note = 'mine'
    before = (act.__code__, act.__defaults__, dict(act.__dict__), act.__name__)
    params = {'act': act, 'w': 1.5}
    tangent.grad(sum_of_activation)(X, act)
    tangent.grad(activation_from_dict)(X, params)
    assert (act.__code__, act.__defaults__, dict(act.__dict__), act.__name__) == before
    assert params == {'act': act, 'w': 1.5}


# 2. map, functools.partial, zip(*...), starred displays, list() and tuple() -------------

def squared_norm(w):
    return np.sum(w * w)


def sum_over_map(ws):
    return sum(list(map(squared_norm, ws)))


def iterate_over_map(x):
    total = 0.0
    for value in map(np.sin, [x, 2.0 * x]):
        total = total + np.sum(value)
    return total


def map_of_a_lambda_over_two_lists(x, y):
    products = list(map(lambda a, b: a * b, [x, x * x], [y, 2.0 * y]))
    return np.sum(products[0] + products[1])


def layer_outputs(ws, x):
    outputs = list(map(lambda w: np.tanh(w @ x), ws))
    return np.sum(outputs[0]) + np.sum(outputs[1] ** 2)


def weighted_loss(w, x, scale):
    return scale * np.sum((w * x) ** 2)


def partial_of_a_loss(w):
    loss = functools.partial(weighted_loss, x=X, scale=3.0)
    return loss(w) + functools.partial(weighted_loss, w, X)(0.5)


def call_a_loss(w, loss):
    return loss(w)


def pairs_of(x):
    return [(x, 2.0 * x), (x * x, np.sin(x))]


def unzip_pairs(x):
    firsts, seconds = zip(*pairs_of(x))
    return np.sum(firsts[0] * seconds[1]) + np.sum(firsts[1] * seconds[0])


def starred_displays(x, y):
    args = (x, y)
    extended = (*args, x * y)
    joined = [*extended, y]
    return np.sum(joined[0] * joined[2]) + np.sum(joined[3] * extended[1])


def list_and_tuple_of_values(x):
    parts = [x, x * 2.0]
    as_tuple = tuple(parts)
    as_list = list(as_tuple)
    return np.sum(as_list[0] * as_tuple[1]) + np.sum(list(x * x)[0])


def test_map_as_a_list_and_iterated():
    ws = [RNG.randn(3), RNG.randn(3)]
    check_grads(sum_over_map, ws)
    check_grads(iterate_over_map, X)
    check_grads(map_of_a_lambda_over_two_lists, X, X[::-1].copy())


def test_map_over_a_list_of_weight_matrices_against_autograd():
    ws = [RNG.randn(2, 3), RNG.randn(2, 3)]

    def reference(ws, x):
        outputs = list(map(lambda w: anp.tanh(anp.dot(w, x)), ws))
        return anp.sum(outputs[0]) + anp.sum(outputs[1] ** 2)
    actual = tangent.grad(layer_outputs)(ws, X)
    for got, wanted in zip(actual, autograd.grad(reference)(ws, X)):
        assert_close(got, wanted)
    check_grads(layer_outputs, ws, X)


def test_functools_partial_built_inside_and_passed_in():
    check_grads(partial_of_a_loss, X)
    check_grads(call_a_loss, X, functools.partial(weighted_loss, x=X, scale=2.0), wrt=0)
    check_grads(call_a_loss, X, functools.partial(weighted_loss, x=X[::-1].copy(),
                                                  scale=-1.0), wrt=0)


def test_partial_passed_in_reads_its_bound_values_when_the_derivative_runs():
    derivative = tangent.grad(call_a_loss)
    for scale in (1.0, 4.0):
        loss = functools.partial(weighted_loss, x=X, scale=scale)
        assert_close(derivative(X, loss), 2.0 * scale * X * X * X)
    assert len(derivative.specialisations) == 1


def test_unzipping_a_list_of_pairs():
    check_grads(unzip_pairs, X, order=2)

    def reference(x):
        firsts, seconds = zip(*[(x, 2.0 * x), (x * x, anp.sin(x))])
        return anp.sum(firsts[0] * seconds[1]) + anp.sum(firsts[1] * seconds[0])
    assert_close(tangent.grad(unzip_pairs)(X), autograd.grad(reference)(X))


def displays_of_varargs(x, *args):
    extended = (*args, x)
    joined = [*extended, x * 2.0]
    return np.sum(joined[0] * joined[-1] * x) + np.sum(list(args)[0] * x)


def stack_and_concatenate_a_list_argument(xs):
    return np.sum(np.stack(xs) ** 2) + np.sum(np.concatenate(tuple(xs)) * xs[0][0])


def central_difference(f, x, *rest, eps=1e-6):
    gradient = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        gradient[i] = (f(x + step, *rest) - f(x - step, *rest)) / (2 * eps)
    return gradient


def test_starred_displays_and_list_and_tuple_of_values():
    check_grads(starred_displays, X, X[::-1].copy(), order=2)
    check_grads(list_and_tuple_of_values, X, order=2)
    check_grads(stack_and_concatenate_a_list_argument, [X, X * X], order=2)
    other = X[::-1].copy()
    np.testing.assert_allclose(tangent.grad(displays_of_varargs)(X, other),
                               central_difference(displays_of_varargs, X, other),
                               rtol=1e-6, atol=1e-8)


# 3. Objects taken from a list -------------------------------------------------------------

class Dense:
    def __init__(self, w):
        self.W = w

    def forward(self, x):
        return np.tanh(self.W @ x)


class Affine:
    def __init__(self, w, b):
        self.W = w
        self.b = b

    def forward(self, x):
        return self.W @ x + self.b

    def __call__(self, x):
        return self.forward(x) * 0.5


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def loss(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return np.sum(x ** 2)


def run_layers(x, layers):
    for layer in layers:
        x = layer.forward(x)
    return np.sum(x ** 2)


def call_layers(x, layers):
    for layer in layers:
        x = layer(x)
    return np.sum(x)


def sequential_loss(model, x):
    return model.loss(x)


def reference_layers(x, weights):
    w1, w2, b2 = weights
    return anp.sum((anp.dot(w2, anp.tanh(anp.dot(w1, x))) + b2) ** 2)


def test_a_list_of_layers_of_two_classes_against_autograd():
    b2 = np.array([0.1, -0.3])
    layers = [Dense(W1), Affine(W2, b2)]
    expected = autograd.grad(reference_layers)(X, (W1, W2, b2))
    assert_close(tangent.grad(run_layers)(X, layers), expected)
    check_grads(run_layers, X, layers, wrt=0)
    check_grads(run_layers, X, [Affine(W1, np.ones(4)), Dense(W2), Dense(np.eye(2))], wrt=0)
    check_grads(call_layers, X, [Affine(W1, np.ones(4)), Affine(W2, b2)], wrt=0)


def test_layers_attributes_are_read_when_the_derivative_runs():
    layers = [Dense(W1), Dense(W2)]
    derivative = tangent.grad(run_layers)
    before = derivative(X, layers)
    layers[1].W = W2 * 2.0
    after = derivative(X, layers)
    assert not np.allclose(before, after)
    assert_close(after, autograd.grad(lambda x: anp.sum(anp.tanh(
        anp.dot(W2 * 2.0, anp.tanh(anp.dot(W1, x)))) ** 2))(X))


def test_another_list_of_classes_gets_its_own_version():
    derivative = tangent.grad(run_layers)
    b2 = np.array([0.1, -0.3])
    derivative(X, [Dense(W1), Dense(W2)])
    assert_close(derivative(X, [Dense(W1), Affine(W2, b2)]),
                 autograd.grad(reference_layers)(X, (W1, W2, b2)))
    assert_close(derivative(X, [Dense(W1), Affine(W2, b2), Dense(np.eye(2))]),
                 autograd.grad(lambda x: anp.sum(anp.tanh(
                     anp.dot(W2, anp.tanh(anp.dot(W1, x))) + b2) ** 2))(X))


def test_a_model_holding_a_list_of_layers():
    b2 = np.array([0.1, -0.3])
    model = Sequential([Dense(W1), Affine(W2, b2)])
    expected = autograd.grad(reference_layers)(X, (W1, W2, b2))
    assert_close(tangent.grad(sequential_loss, wrt=(1,))(model, X), expected)
    assert_close(tangent.grad(model.loss)(X), expected)
    check_grads(sequential_loss, model, X, wrt=1)


def enumerated_layers(x, layers):
    for i, layer in enumerate(layers):
        x = layer.forward(x) * (i + 1.0)
    return np.sum(x ** 2) * i


def zipped_layers(x, layers, gates):
    for layer, gate in zip(layers, gates):
        x = layer.forward(x) * gate.forward(x)
    return np.sum(x ** 2)


ENUMERATE_LAYERS = [Dense(W1), Affine(W2, np.array([0.1, -0.3]))]


def enumerated_global_layers(x):
    for i, layer in enumerate(ENUMERATE_LAYERS):
        x = layer.forward(x) + i
    return np.sum(x ** 2)


def test_enumerate_and_zip_over_lists_of_layers():
    b2 = np.array([0.1, -0.3])
    check_grads(enumerated_layers, X, [Dense(W1), Affine(W2, b2)], wrt=0)
    # zip stops at the shorter list, as in Python.
    check_grads(zipped_layers, X, [Dense(W1), Affine(W2, b2)],
                [Affine(W1, np.ones(4)), Dense(W2), Dense(np.eye(2))], wrt=0)
    check_grads(enumerated_global_layers, X)
    derivative = tangent.grad(enumerated_global_layers)
    ENUMERATE_LAYERS.append(Dense(np.eye(2)))  # written anew for three layers
    try:
        expected = autograd.grad(lambda x: anp.sum((anp.tanh(anp.dot(np.eye(2), anp.dot(
            W2, anp.tanh(anp.dot(W1, x))) + b2 + 1.0)) + 2.0) ** 2))(X)
        assert_close(derivative(X), expected)
    finally:
        ENUMERATE_LAYERS.pop()


class HeadsInADict:
    def __init__(self):
        self.heads = {'first': Dense(W1), 'second': Dense(W2)}

    def __call__(self, x):
        for head in self.heads.values():
            x = head.forward(x)
        return x


class LayersIterable:
    """Iterates over layers without being a list."""

    def __init__(self, layers):
        self._layers = layers

    def __iter__(self):
        return iter(self._layers)


class HeadsInAnIterable(HeadsInADict):
    def __init__(self):
        self.heads = LayersIterable([Dense(W1), Dense(W2)])

    def __call__(self, x):
        for head in self.heads:
            x = head.forward(x)
        return x


def called_model_loss(model, x):
    return np.sum(model(x))


@pytest.mark.parametrize('model_class', [HeadsInADict, HeadsInAnIterable])
def test_a_loop_over_objects_not_in_a_list_is_a_clear_error(model_class):
    # Not a list, so the items are not known when the derivative is written; the
    # error names the call (it was a RecursionError for an iterable object).
    with pytest.raises(tangent.ReverseNotImplementedError, match='head.forward'):
        tangent.grad(called_model_loss, wrt=1)(model_class(), X)


def test_gradient_with_respect_to_a_list_of_objects_is_a_clear_error():
    # As for one object (grad(f)(obj, x) w.r.t. obj): attributes are not differentiated.
    with pytest.raises(NotImplementedError, match='attribute'):
        tangent.grad(run_layers, wrt=(1,))(X, [Dense(W1), Dense(W2)])


# 4. Differentiated values spread by *args into functions with rules ------------------------

def spread_into_numpy(x, y):
    args = (x, y)
    pair = [x * y, y]
    return np.sum(np.add(*args)) + np.sum(np.maximum(*pair)) + np.sum(np.stack(pair) ** 2)


def spread_into_max(a, b):
    values = [a, b * 2.0, a * b]
    return max(*values) + min(*values)


def spread_one_array_into_max(x):
    values = [x * 2.0]
    return max(*values)


def test_values_spread_into_functions_with_rules():
    check_grads(spread_into_numpy, X, X[::-1].copy() + 0.05, order=2)
    check_grads(spread_into_max, 0.7, -1.3, order=2)
    check_grads(spread_into_max, 2.0, 0.4)
    # max(*[v]) is max(v): the largest item of v.
    check_grads(spread_one_array_into_max, X)


# 5. Generators remain unsupported ----------------------------------------------------------

def generator(x):
    yield x * 2.0


def sums_a_generator_function(x):
    return np.sum(list(generator(x))[0])


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_generators_raise_a_parse_error(mode):
    with pytest.raises(tangent.TangentParseError, match='yield'):
        tangent.autodiff(generator, mode=mode)
    with pytest.raises(tangent.TangentParseError, match='yield'):
        tangent.autodiff(sums_a_generator_function, mode=mode)(X, *(
            [np.ones(3)] if mode == 'forward' else [1.0]))


# Second order: the derivative of a derivative written per function or class -------------

@pytest.mark.parametrize('activation', [np.tanh, softplus], ids=['tanh', 'user function'])
def test_second_order_with_a_function_argument(activation):
    check_grads(sum_of_activation, X, activation, wrt=0, order=2)
    check_grads(activation_from_dict, X, {'act': activation, 'w': 0.5}, wrt=0, order=2)


def test_hessian_vector_product_with_an_activation_passed_in():
    hvp = tangent.autodiff(tangent.autodiff(sum_of_activation, check_dims=False),
                           mode='forward', check_dims=False)
    vector = np.array([0.5, -1.0, 2.0])
    tanh = np.tanh(X)
    assert_close(hvp(X, np.tanh, 1.0, vector), -2.0 * tanh * (1.0 - tanh ** 2) * vector)
    assert_close(hvp(X, np.sin, 1.0, vector), -np.sin(X) * vector)


def test_second_order_through_layers_and_a_partial_passed_in():
    check_grads(run_layers, X, [Dense(W1), Affine(W2, np.array([0.1, -0.3]))], wrt=0,
                order=2)
    check_grads(call_a_loss, X, functools.partial(weighted_loss, x=X, scale=2.0), wrt=0,
                order=2)


# Methods of arrays the code reads as constants (globals, an object's attributes):
# ``X.dot(w)`` means ``np.dot(X, w)``, whose rule differentiates ``w``.

DATA = RNG.randn(6, 3)


def tanh_features_of_data(w):
    features = [np.tanh(DATA.dot(w) * k) for k in range(1, 4)]
    return np.mean(np.stack(features) ** 2)


def normal_equations_residual(w):
    return np.sum(DATA.T.dot(DATA.dot(w)) ** 2) + DATA.sum(axis=0).dot(w)


class TransposedLayer:

    def __init__(self, weights):
        self.weights = weights

    def __call__(self, x):
        return np.tanh(self.weights.T.dot(x))


TRANSPOSED_LAYER = TransposedLayer(RNG.randn(3, 2))


def through_transposed_layer(x):
    return np.sum(TRANSPOSED_LAYER(x) ** 2) + DATA.mean(axis=1).dot(DATA).dot(x)


@pytest.mark.parametrize('function', [tanh_features_of_data, normal_equations_residual,
                                      through_transposed_layer])
def test_methods_of_constant_arrays(function):
    check_grads(function, RNG.randn(3), modes=('reverse', 'forward'), order=2)


# functools.reduce: the function handed in is differentiated at each step.

def matrix_chain_by_reduce(x):
    matrices = [np.outer(x, x) * 0.1 + np.eye(3) for _ in range(3)]
    return np.sum(functools.reduce(np.dot, matrices))


def product_by_reduce_with_lambda(x):
    return functools.reduce(lambda a, b: a * b + 1.0, [x[0], x[1], x[2]])


def sum_by_reduce_from_initial(x):
    return functools.reduce(operator.add, [x * 2.0, np.sin(x)], np.ones(3)).sum()


def tanh_gate(a, b):
    return np.tanh(a) * b


def reduce_with_user_function(x):
    return np.sum(functools.reduce(tanh_gate, [x, x ** 2, x + 1.0]))


@pytest.mark.parametrize('function', [matrix_chain_by_reduce, product_by_reduce_with_lambda,
                                      sum_by_reduce_from_initial, reduce_with_user_function])
def test_functools_reduce(function):
    check_grads(function, np.array([0.3, -0.2, 0.5]), modes=('reverse', 'forward'), order=2)


def reduce_of_nothing(x):
    return functools.reduce(operator.add, []) * x


def test_functools_reduce_of_nothing_raises_as_python_does():
    with pytest.raises(TypeError, match='empty iterable with no initial value'):
        tangent.grad(reduce_of_nothing)(1.0)


def operator_function_passed_in(x):
    return functools.reduce(operator.mul, [x, np.cos(x), x + 2.0]).sum()


def test_operator_module_functions_as_values():
    check_grads(operator_function_passed_in, np.array([0.3, -0.2]),
                modes=('reverse', 'forward'), order=2)


# Dict comprehensions and dict(pairs): written out as loops that fill the dict.

PARAMETER_NAMES = ['a', 'b', 'c']


def dict_comprehension_over_zip(x):
    named = {k: v for k, v in zip(PARAMETER_NAMES, [x, x * 2.0, np.sin(x)])}
    return np.sum(named['a'] * named['b'] + named['c'])


def dict_comprehension_with_condition(x):
    scaled = {name: x * (i + 1.0) for i, name in enumerate(PARAMETER_NAMES) if name != 'b'}
    return np.sum(scaled['a'] ** 2 * scaled['c'])


def dict_comprehension_read_in_place(x):
    return np.sum({k: x * k for k in range(3)}[2] * x)


def dict_comprehension_of_a_dict(x):
    powers = {str(i): x ** i for i in range(1, 3)}
    powers = {k: v * 2.0 for k, v in powers.items()}
    return np.sum(powers['1'] * powers['2'])


def dict_of_zip(x):
    named = dict(zip(PARAMETER_NAMES, [x, x * 2.0, x + 1.0]))
    return np.sum(named['a'] * named['c'])


def dict_of_pair_display(x):
    named = dict([('a', x), ('b', np.sin(x))])
    return np.sum(named['a'] * named['b'])


def dict_of_generator(x):
    named = dict((name, x * i) for i, name in enumerate(PARAMETER_NAMES))
    return np.sum(named['b'] ** 2 * named['c'])


@pytest.mark.parametrize('function', [
    dict_comprehension_over_zip, dict_comprehension_with_condition,
    dict_comprehension_read_in_place, dict_comprehension_of_a_dict, dict_of_zip,
    dict_of_pair_display, dict_of_generator])
def test_dicts_built_from_pairs(function):
    check_grads(function, np.array([0.3, -0.2]), modes=('reverse', 'forward'), order=2)


def squares_of_parameters(params):
    squared = {k: v ** 2 for k, v in params.items()}
    return np.sum(squared['w']) + np.sum(squared['b'] * 3.0)


def test_dict_comprehension_over_a_parameter_dict():
    params = {'w': np.array([1.0, 2.0]), 'b': np.array([3.0])}
    check_grads(squares_of_parameters, params, modes=('reverse', 'forward'), order=2)


# dict.get: the value looked up flows through like any item of the dict.

SETTINGS = {'scale': 2.0}


def reads_parameters_with_get(params, x):
    weights = params.get('w')
    bias = params.get('b', 0.0)
    gain = params.get('gain', 0.5)  # missing: the default
    return np.sum(np.tanh(weights * x + bias) * gain * SETTINGS.get('scale', 1.0))


def reads_a_local_dict_with_get(x):
    table = {'a': x * 2.0}
    return np.sum(table.get('a') * table.get('missing', x))


def test_dict_get_on_an_argument_a_global_and_a_local():
    params = {'w': np.array([1.0, 2.0]), 'b': 0.5}
    check_grads(reads_parameters_with_get, params, np.array([0.3, 0.1]),
                modes=('reverse', 'forward'), order=2)
    check_grads(reads_a_local_dict_with_get, np.array([0.3, 0.1]),
                modes=('reverse', 'forward'), order=2)


class Lookup:

    def __init__(self, value):
        self.value = value

    def get(self, key):
        return self.value * len(key)


def reads_an_object_with_a_get_method(store, x):
    return store.get('ab') * x ** 2


def test_a_get_method_of_a_user_class_is_its_own():
    check_grads(reads_an_object_with_a_get_method, Lookup(3.0), 1.5,
                modes=('reverse', 'forward'), order=2)


# sorted: each item moved to its place, the order itself carrying no derivative.

def smallest_and_largest(x):
    ordered = sorted([x[0], 2.0 * x[1], x[2] ** 2])
    return ordered[0] * 3.0 + ordered[2]


def sorted_in_reverse(x):
    ordered = sorted([x[0], x[1], x[2]], reverse=True)
    return ordered[0] - 2.0 * ordered[1]


def sorted_by_a_key(x):
    vectors = [x * 1.0, x * 2.0 - 1.0, np.sin(x)]
    ordered = sorted(vectors, key=lambda v: np.sum(v))
    return np.sum(ordered[0] * ordered[-1])


def sum_of_two_smallest(x):
    return sum(sorted(x)[:2])


@pytest.mark.parametrize('function', [smallest_and_largest, sorted_in_reverse,
                                      sorted_by_a_key, sum_of_two_smallest])
def test_sorted(function):
    check_grads(function, np.array([0.3, -0.8, 0.55]), modes=('reverse', 'forward'), order=2)


def lambda_passed_on(x):
    def apply(function, value):
        return sorted([value, value * 2.0 - 0.5], key=function)[0]
    return apply(lambda v: -v, x) * x


def test_a_lambda_argument_passed_on_by_a_nested_function():
    check_grads(lambda_passed_on, 0.7, modes=('reverse', 'forward'), order=2)


# super(): the method it reaches is copied in, for an argument's class and a global's.

class BaseUnit:

    def __init__(self, weight):
        self.weight = weight

    def activation(self, x):
        return np.tanh(x)

    def forward(self, x):
        return self.activation(self.weight * x)


class DerivedUnit(BaseUnit):

    def activation(self, x):
        return np.sin(x) + super().activation(x)

    @staticmethod
    def square(x):
        return x ** 2

    def forward(self, x):
        return super().forward(x) * 2.0 + self.square(x)


DERIVED_UNIT = DerivedUnit(0.7)


def through_global_subclass(x):
    return np.sum(DERIVED_UNIT.forward(x))


def through_argument_subclass(unit, x):
    return np.sum(unit.forward(x))


def test_methods_reached_through_super():
    x = np.array([0.3, -0.4])
    check_grads(through_global_subclass, x, modes=('reverse', 'forward'), order=2)
    check_grads(through_argument_subclass, DerivedUnit(0.9), x,
                modes=('reverse', 'forward'), order=2)
    check_grads(through_argument_subclass, BaseUnit(0.9), x,
                modes=('reverse', 'forward'), order=2)


def reads_an_attribute_of_the_object(unit, x):
    return unit.weight * x


def test_the_gradient_of_an_object_is_a_dict_of_its_attributes_gradients():
    gradient = tangent.grad(reads_an_attribute_of_the_object, wrt=(0,))(BaseUnit(2.0), 1.5)
    eps = 1e-6
    expected = (reads_an_attribute_of_the_object(BaseUnit(2.0 + eps), 1.5) -
                reads_an_attribute_of_the_object(BaseUnit(2.0 - eps), 1.5)) / (2 * eps)
    assert list(gradient) == ['weight']
    assert gradient['weight'] == pytest.approx(expected, rel=1e-7)


def test_differentiating_an_object_in_forward_mode_says_what_to_differentiate():
    derivative = tangent.autodiff(reads_an_attribute_of_the_object, mode='forward', wrt=(0,))
    with pytest.raises(tangent.errors.ObjectGradientError,
                       match=r'forward mode.*object.*reverse mode'):
        derivative(BaseUnit(2.0), 1.5, 1.0)

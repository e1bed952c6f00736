"""A derivative differentiates the code that runs now (issue 18, points 4 to 6).

Rebinding an attribute or a global a function reads (``cfg.act = np.sin``,
``Model.forward = other``, ``SCALE = 3.0``), editing the file a function came
from, and decorating a function with a ``functools.wraps`` wrapper that changes
what it computes: each gives the derivative of what the function computes
now, or a clear error. Also ``**kwargs`` parameters, helper calls inside
conditions, and random draws whose value is unused. Every derivative is
compared with central finite differences of the function as it is when the
derivative runs.
"""

import functools
import importlib
import sys
import textwrap

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp
from test_calls_soundness import Counter

import tangent
from tangent.errors import StaleSourceError

ONE = tangent.INPUT_DERIVATIVE.DefaultOne
X = np.array([0.3, -0.5, 0.8])
MODES = ['joint', 'split', 'forward']


def derivative(f, mode, wrt=(0,)):
    """``run(*args)``: the gradient (reverse) or the derivative along ones (forward)."""
    if mode == 'forward':
        forward = tangent.autodiff(f, mode='forward', wrt=wrt)
        return lambda *args: forward(*args, *[np.ones_like(args[i]) for i in wrt])
    return tangent.autodiff(f, motion=mode, wrt=wrt, input_derivative=ONE)


def expected(f, args, mode, index=0):
    if mode == 'forward':
        return numerical_jvp(f, list(args), index, np.ones_like(args[index]))
    return numerical_grad(f, list(args), index)


# Rebinding what a function calls ---------------------------------------------------

class Config:
    pass


CFG = Config()


def through_attribute(x):
    return np.sum(CFG.act(x) * 2.0)


def double(x):
    return x * 2.0


def cube(x):
    return x ** 3


def through_user_function(x):
    return np.sum(CFG.fn(x))


@pytest.mark.parametrize('mode', MODES)
def test_an_attribute_rebound_to_another_function(mode):
    CFG.act = np.tanh
    run = derivative(through_attribute, mode)
    assert_close(run(X), expected(through_attribute, (X,), mode))
    CFG.act = np.sin  # the existing derivative follows, as a fresh one does
    assert_close(run(X), expected(through_attribute, (X,), mode))
    assert_close(derivative(through_attribute, mode)(X),
                 expected(through_attribute, (X,), mode))


@pytest.mark.parametrize('mode', MODES)
def test_an_attribute_rebound_to_another_user_function(mode):
    CFG.fn = double
    run = derivative(through_user_function, mode)
    assert_close(run(X), expected(through_user_function, (X,), mode))
    CFG.fn = cube
    assert_close(run(X), expected(through_user_function, (X,), mode))


class Layer:
    act = staticmethod(np.tanh)

    def forward(self, x):
        return self.act(x) * 1.5


def forward_square(self, x):
    return x * x


LAYER = Layer()


def global_model(x):
    return np.sum(LAYER.forward(x))


def argument_model(layer, x):
    return np.sum(layer.forward(x))


@pytest.mark.parametrize('mode', MODES)
def test_a_class_attribute_and_a_method_rebound(mode):
    original_act, original_forward = Layer.__dict__['act'], Layer.forward
    try:
        run = derivative(global_model, mode)
        on_argument = derivative(argument_model, mode, wrt=(1,))
        assert_close(run(X), expected(global_model, (X,), mode))
        Layer.act = staticmethod(np.sin)
        assert_close(run(X), expected(global_model, (X,), mode))
        assert_close(on_argument(LAYER, X), expected(argument_model, (LAYER, X), mode, 1))
        Layer.forward = forward_square
        assert_close(run(X), expected(global_model, (X,), mode))
        assert_close(on_argument(LAYER, X), expected(argument_model, (LAYER, X), mode, 1))
    finally:
        Layer.act, Layer.forward = original_act, original_forward


class Squarer:

    def __call__(self, x):
        return x * x


def call_cubes(self, x):
    return x ** 3


SQUARER = Squarer()


def calls_a_global_instance(x):
    return np.sum(SQUARER(x))


def calls_an_argument_instance(model, x):
    return np.sum(model(x))


def calls_instances_in_a_list(models, x):
    for model in models:
        x = model(x)
    return np.sum(x)


@pytest.mark.parametrize('mode', MODES)
def test_a_called_class_whose_call_method_is_rebound(mode):
    original = Squarer.__call__
    try:
        on_global = derivative(calls_a_global_instance, mode)
        on_argument = derivative(calls_an_argument_instance, mode, wrt=(1,))
        on_list = derivative(calls_instances_in_a_list, mode, wrt=(1,))
        for _ in range(2):  # before and after Squarer.__call__ = call_cubes
            assert_close(on_global(X), expected(calls_a_global_instance, (X,), mode))
            assert_close(on_argument(SQUARER, X),
                         expected(calls_an_argument_instance, (SQUARER, X), mode, 1))
            pair = [SQUARER, SQUARER]
            assert_close(on_list(pair, X),
                         expected(calls_instances_in_a_list, (pair, X), mode, 1))
            Squarer.__call__ = call_cubes
    finally:
        Squarer.__call__ = original


# A global object whose methods call the objects and functions it holds.

class Dense:

    def __init__(self, weights):
        self.weights = weights

    def __call__(self, x):
        return np.tanh(self.weights @ x)


class Network:

    def __init__(self):
        self.layers = [Dense(np.eye(3) * 0.5), Dense(np.ones((3, 3)) * 0.3)]
        self.act = np.sin
        self.head = Squarer()

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(self.act(x))

    def run(self, x):
        return self.head(x) * 2.0


NETWORK = Network()


def global_network_loss(x):
    return np.sum(NETWORK(x))


def global_network_method(x):
    return np.sum(NETWORK.run(x))


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('function', [global_network_loss, global_network_method])
def test_a_global_object_calls_what_it_holds(function, mode):
    original = NETWORK.head, NETWORK.act, list(NETWORK.layers)
    try:
        run = derivative(function, mode)
        assert_close(run(X), expected(function, (X,), mode))
        NETWORK.head = Dense(np.eye(3) * 2.0)  # another class in the same attribute
        NETWORK.act = np.cos
        NETWORK.layers.append(Dense(np.eye(3)))
        assert_close(run(X), expected(function, (X,), mode))
        assert_close(derivative(function, mode)(X), expected(function, (X,), mode))
    finally:
        NETWORK.head, NETWORK.act, NETWORK.layers = original


SCALE = 2.0


def reads_a_global(x):
    return np.sum(x * SCALE)


@pytest.mark.parametrize('mode', MODES)
def test_a_rebound_global_reaches_an_existing_derivative(mode):
    global SCALE
    SCALE = 2.0
    run = derivative(reads_a_global, mode)
    assert_close(run(X), expected(reads_a_global, (X,), mode))
    SCALE = 3.0
    try:
        assert_close(run(X), expected(reads_a_global, (X,), mode))
    finally:
        SCALE = 2.0


def test_a_file_edited_after_import_is_a_clear_error(tmp_path, monkeypatch):
    module_file = tmp_path / 'edited_module.py'
    module_file.write_text('def g(x):\n    return x * 2.0\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module('edited_module')
    try:
        assert_close(tangent.grad(module.g)(1.0), 2.0)
        module_file.write_text('def h(x):\n    return x ** 3\n\n\ndef g(x):\n    return x * 2.0\n')
        tangent.api.cache.derivatives.clear()
        with pytest.raises(StaleSourceError, match='reload'):
            tangent.grad(module.g)
        module = importlib.reload(module)
        assert_close(tangent.grad(module.g)(1.5), numerical_grad(module.g, [1.5], 0))
    finally:
        sys.modules.pop('edited_module', None)


# Decorators --------------------------------------------------------------------------

def scales_output(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return 3.0 * function(*args, **kwargs)
    return wrapper


def clips_input(function):
    @functools.wraps(function)
    def wrapper(x):
        return function(np.clip(x, -0.4, 0.4))
    return wrapper


def logs_arguments(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        print('called with', len(args))
        return function(*args, **kwargs)
    return wrapper


@scales_output
def scaled(x, power=2.0):
    return np.sum(x ** power)


@clips_input
def clipped(x):
    return np.sum(np.sin(x) * x)


@logs_arguments
def logged(x):
    return np.sum(x * 2.0)


def calls_decorated(x):
    return scaled(x) + clipped(x) * 2.0


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('function', [scaled, clipped, calls_decorated],
                         ids=['scales_output', 'clips_input', 'calls_decorated'])
def test_what_a_decorated_function_computes_is_differentiated(function, mode):
    assert_close(derivative(function, mode)(X), expected(function, (X,), mode))


def test_a_wrapper_that_uses_its_arguments_otherwise_is_a_clear_error():
    with pytest.raises(tangent.TangentParseError, match=r'\*args/\*\*kwargs'):
        tangent.grad(logged)


# Parameters and calls ----------------------------------------------------------------

def takes_keywords(x, **options):
    return x * options['s'] + options['t'] * x * x


def passes_keywords(x, *rest, scale=1.0, **options):
    return np.sum(takes_keywords(x, s=scale, t=x) * rest[0] * options['k'])


@pytest.mark.parametrize('mode', MODES)
def test_keyword_dictionary_parameters(mode):
    def at_point(x):
        return passes_keywords(x, 0.5, scale=2.0, k=3.0)
    run = derivative(passes_keywords, mode)
    if mode == 'forward':
        value = run  # tangents come last; keywords still name themselves
        forward = tangent.autodiff(passes_keywords, mode='forward')
        value = forward(X, 0.5, np.ones(3), scale=2.0, k=3.0)
    else:
        value = run(X, 0.5, scale=2.0, k=3.0)
    assert_close(value, expected(at_point, (X,), mode))


def below(x):
    return np.sin(x)


def call_in_conditions(x):
    y = x
    count = 0
    while count < 3 and below(y) < 0.5:
        y = y * 1.5
        count += 1
    if below(y) > 0.2 and not below(x) > 0.9:
        y = y * below(x)
    return y


@pytest.mark.parametrize('mode', MODES)
def test_helper_calls_inside_conditions(mode):
    assert_close(derivative(call_in_conditions, mode)(0.3),
                 expected(call_in_conditions, (0.3,), mode))


def unused_draw(x):
    np.random.seed(0)
    unused = np.random.uniform(-1.0, 1.0)  # noqa: F841 - advances the generator
    noise = np.random.randn(3)
    return np.sum(x * noise)


@pytest.mark.parametrize('optimized', [True, False])
def test_an_unused_random_draw_still_advances_the_generator(optimized):
    gradient = tangent.grad(unused_draw, optimized=optimized)(X)
    np.random.seed(0)
    np.random.uniform(-1.0, 1.0)
    assert_close(gradient, np.random.randn(3))
    assert_close(gradient, numerical_grad(unused_draw, [X], 0))


def test_kept_current_derivatives_show_their_source():
    CFG.act = np.tanh
    run = tangent.grad(through_attribute)
    text = textwrap.dedent(tangent.compile.source_of(run))
    assert text.startswith('def dthrough_attributedx')


def cell(h, w):
    return np.tanh(w * h + 0.1)


def checkpointed_helper_loop(h, w):
    for i in tangent.checkpoint(range(12)):
        h = cell(h, w)
    return np.sum(h)


def helper_loop(h, w):
    for i in range(12):
        h = cell(h, w)
    return np.sum(h)


@pytest.mark.parametrize('function, snapshots', [(checkpointed_helper_loop, False),
                                                 (helper_loop, 3)])
def test_a_helper_called_in_a_checkpointed_loop(function, snapshots):
    h0 = np.array([0.3, -0.2])
    gradient = tangent.grad(function, wrt=(1,), checkpoint=snapshots)(h0, 0.7)
    assert_close(gradient, numerical_grad(function, [h0, 0.7], 1))


def numerical_hvp(f, x, v, eps=1e-5):
    """Central differences of the gradient (itself by central differences) along v."""
    return (numerical_grad(f, [x + eps * v], 0) - numerical_grad(f, [x - eps * v], 0)) \
        / (2 * eps)


def live_default(x, s=SCALE):
    return np.sum(np.sin(x) * s)


@pytest.mark.parametrize('function', [scaled, clipped, calls_decorated, live_default],
                         ids=['scales_output', 'clips_input', 'calls_decorated',
                              'live_default'])
def test_forward_over_reverse_hessian_vector_products(function):
    x = np.array([0.3, -0.25, 0.35])
    v = np.array([1.0, 0.5, -2.0])
    reverse = tangent.autodiff(function, check_dims=False, input_derivative=ONE)
    hvp = tangent.autodiff(reverse, mode='forward', check_dims=False)
    assert_close(hvp(x, v), numerical_hvp(function, x, v), rtol=1e-4, atol=1e-5)


TICKS = Counter()


def three(a, b, c):
    TICKS.tick()
    return a * b * np.sin(c)


def spreads_its_star_args(x, *rest):
    return np.sum(three(x, *rest))


@pytest.mark.parametrize('mode', MODES)
def test_a_helper_given_the_functions_star_args_runs_once(mode):
    rest = (0.5, X[::-1].copy())

    def at_point(x):
        return spreads_its_star_args(x, *rest)
    if mode == 'forward':
        run = tangent.autodiff(spreads_its_star_args, mode='forward')
        TICKS.n = 0
        value = run(X, *rest, np.ones(3))
    else:
        run = tangent.autodiff(spreads_its_star_args, motion=mode, input_derivative=ONE)
        TICKS.n = 0
        value = run(X, *rest)
    assert TICKS.n == 1
    assert_close(value, expected(at_point, (X,), mode))
    if mode != 'forward':  # other values, the same derivative
        TICKS.n = 0
        value = run(X, 0.25, X)
        assert TICKS.n == 1
        assert_close(value, expected(lambda x: spreads_its_star_args(x, 0.25, X), (X,), mode))


WEIGHTS = np.array([1.0, -2.0, 0.5])
lambda_with_array_default = lambda x, w=WEIGHTS: np.sum(np.sin(x) * w)  # noqa: E731


def calls_a_lambda_with_a_default(x):
    scaled_sum = lambda v, w=WEIGHTS: np.sum(v * w)  # noqa: E731
    return scaled_sum(x * x)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('function', [lambda_with_array_default, calls_a_lambda_with_a_default],
                         ids=['lambda', 'nested_lambda'])
def test_lambdas_with_object_defaults(function, mode):
    assert_close(derivative(function, mode)(X), expected(function, (X,), mode))


class Decorated:
    @scales_output
    def energy(self, x):
        return np.sum(np.sin(x) * x)


DECORATED = Decorated()


@scales_output
@clips_input
def stacked(x):
    return np.sum(x ** 3)


def calls_a_decorated_method(x):
    return DECORATED.energy(x) * 0.5


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('function', [stacked, calls_a_decorated_method, DECORATED.energy],
                         ids=['stacked', 'decorated_method_call', 'decorated_bound_method'])
def test_stacked_decorators_and_decorated_methods(function, mode):
    assert_close(derivative(function, mode)(X), expected(function, (X,), mode))

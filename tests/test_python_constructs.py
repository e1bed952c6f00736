"""Issue 5: the Python people write, in every mode: reverse joint and split,
forward, optimized or not, against central finite differences."""

import inspect
import math

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent

MODES = [dict(mode='reverse', motion='joint', optimized=True),
         dict(mode='reverse', motion='split', optimized=True),
         dict(mode='reverse', motion='joint', optimized=False),
         dict(mode='forward', optimized=True),
         dict(mode='forward', optimized=False)]
MODE_IDS = ['joint', 'split', 'joint-noopt', 'forward', 'forward-noopt']


def check(function, args, wrt=0, options=None, rtol=1e-5, atol=1e-6):
    """The derivative of scalar ``function`` in argument ``wrt`` in one mode."""
    options = dict(options or MODES[0])
    if options['mode'] == 'forward':
        derivative = tangent.autodiff(function, wrt=(wrt,), **options)
        direction = np.linspace(0.5, -0.7, np.size(args[wrt])).reshape(np.shape(args[wrt]))
        if np.ndim(args[wrt]) == 0:
            direction = 0.8
        actual = derivative(*args, direction)
        assert_close(actual, numerical_jvp(function, list(args), wrt, direction), rtol, atol)
    else:
        derivative = tangent.autodiff(function, wrt=(wrt,), check_dims=False,
                                      input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne,
                                      **options)
        assert_close(derivative(*args), numerical_grad(function, list(args), wrt), rtol, atol)
    return derivative


X = np.array([0.3, -0.5, 0.8, 0.1])
M = np.array([[0.2, -0.4, 0.6], [0.5, 0.1, -0.3]])


# 1. Loops ----------------------------------------------------------------------------

def with_break(x):
    total = 0.0
    for i in range(10):
        total = total + np.sum(x) * i
        if total > 3.0:
            break
    return total * x[0]


def with_continue(x):
    total = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        total = total + np.sum(np.sin(x * i))
    return total


def nested_break_continue(x):
    total = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            if j == 1:
                continue
            total = total + x[0] * x[1] * (i + j)
    return total


def while_break(x):
    y = x[0]
    count = 0
    while True:
        y = y * 1.3 + 0.1
        count = count + 1
        if y > 2.0 or count > 20:
            break
    return y


def with_enumerate(x):
    total = 0.0
    for i, value in enumerate(x):
        total = total + value * (i + 1) * value
    return total


def with_zip(x):
    total = 0.0
    for a, b in zip(x, x[1:]):
        total = total + a * b
    return total


def range_step(x):
    total = 0.0
    for i in range(3, 0, -1):
        total = total + x[i] ** 2 * i
    return total


def over_rows(m):
    total = 0.0
    for row in m:
        total = total + np.sum(row * row) * row[0]
    return total


def over_tuple(x):
    total = 0.0
    for scale in (0.5, 1.5, 2.5):
        total = total + np.sum(np.tanh(x * scale))
    return total


def compound_while(x):
    y = x[0]
    i = 0
    while i < 10 and (y < 3.0 or not i > 0):
        y = y * 1.4 + x[1] * x[1]
        i = i + 1
    return y


def enumerate_from_one(x):
    total = 0.0
    for i, v in enumerate(x, 1):
        total = total + i * v * v
    return total


def enumerate_start_keyword(x):
    total = 0.0
    for i, v in enumerate(x, start=2):
        total = total + i * np.sin(v)
    return total


def enumerate_into_one_name(x):
    total = 0.0
    for item in enumerate(x):
        total = total + item[0] * item[1] ** 2
    return total


def enumerate_of_zip(x):
    total = 0.0
    for i, (a, b) in enumerate(zip(x, x[::-1])):
        total = total + i * a * b
    return total


def zip_into_one_name(x):
    total = 0.0
    for pair in zip(x, np.cos(x)):
        total = total + pair[0] * pair[1]
    return total


def dict_views(x):
    d = {'a': x * 2.0, 'b': np.sin(x)}
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(v * v)
    for v in d.values():
        total = total + np.sum(v) * 0.5
    for k in d.keys():
        total = total + np.sum(d[k] ** 3)
    return total


def over_a_local_dict(x):
    d = {'a': x * 2.0, 'b': np.sin(x)}
    total = 0.0
    for key in d:
        total = total + np.sum(d[key] ** 2)
    return total


def reversed_sequence(x):
    total = 0.0
    for v in reversed(x):
        total = total * 0.5 + v * v
    return total


LOOPS = [(with_break, (X,)), (with_continue, (X,)), (nested_break_continue, (X,)),
         (while_break, (X,)), (with_enumerate, (X,)), (with_zip, (X,)), (range_step, (X,)),
         (over_rows, (M,)), (over_tuple, (X,)), (compound_while, (X,)),
         (enumerate_from_one, (X,)), (enumerate_start_keyword, (X,)),
         (enumerate_into_one_name, (X,)), (enumerate_of_zip, (X,)), (zip_into_one_name, (X,)),
         (dict_views, (X,)), (reversed_sequence, (X,)), (over_a_local_dict, (X,))]


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
@pytest.mark.parametrize('function,args', LOOPS, ids=[f.__name__ for f, _ in LOOPS])
def test_loops(function, args, options):
    check(function, args, 0, options)


def loss_over_a_dict_of_parameters(params):
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(value ** 2) * len(name)
    return total


@pytest.mark.parametrize('options', MODES[:3], ids=MODE_IDS[:3])
def test_items_of_a_dict_argument_give_a_dict_gradient(options):
    params = {'w': np.array([0.5, -1.0]), 'bias': np.array([2.0])}
    derivative = tangent.autodiff(loss_over_a_dict_of_parameters, check_dims=False,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne,
                                  **options)
    gradient = derivative(params)
    assert set(gradient) == {'w', 'bias'}
    for key, value in params.items():
        def along(v, key=key):
            return loss_over_a_dict_of_parameters({**params, key: v})
        assert_close(gradient[key], numerical_grad(along, [value], 0))


def weighted_by_key(x, weights):
    total = 0.0
    for key in weights:
        total = total + np.sum(np.sin(x) * weights[key]) * len(key)
    return total


def gathered_by_index(x, positions):
    total = 0.0
    for position in positions:
        total = total + x[position] * x[position + 1]
    return total


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_for_over_a_dict_argument_walks_its_keys(options):
    check(weighted_by_key, (X, {'a': 0.5, 'bcd': -1.5}), 0, options)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
@pytest.mark.parametrize('positions', [[0, 2, 2], (1,), np.array([2, 0])],
                         ids=['list', 'tuple', 'array'])
def test_for_over_indices_reads_each_index(positions, options):
    check(gathered_by_index, (X, positions), 0, options)


# 2. Comprehensions -----------------------------------------------------------------

def list_comprehension(x):
    squares = [v * v for v in x]
    return squares[0] + squares[2] * squares[1]


def filtered_comprehension(x):
    kept = [np.sin(v) for v in x if v > 0.0]
    return kept[0] * kept[1]


def nested_comprehension(x):
    products = [a * b for a in x for b in x[:2]]
    return products[1] + products[5] * products[7]


def generator_sum(x):
    return sum(v * v * i for i, v in enumerate(x))


def comprehension_variable_is_its_own(x):
    v = x[0]
    doubled = [v * 2.0 for v in x]
    return sum(doubled) * v


def generator_variable_is_its_own(x):
    i = 1
    total = sum(x[i] * x[i] for i in range(3))
    return total * x[i]


COMPREHENSIONS = [list_comprehension, filtered_comprehension, nested_comprehension,
                  generator_sum, comprehension_variable_is_its_own,
                  generator_variable_is_its_own]


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
@pytest.mark.parametrize('function', COMPREHENSIONS, ids=lambda f: f.__name__)
def test_comprehensions(function, options):
    derivative = check(function, (X,), 0, options)
    lines = tangent.compile.source_of(derivative).splitlines()
    assert any(line.lstrip().startswith('for ') for line in lines)
    assert not any(' for ' in line.strip() and not line.lstrip().startswith('#')
                   for line in lines), \
        'the comprehension is written out as a loop'


# 3-4. Lambdas, nested functions, closures ---------------------------------------------------

def _apply(function, value):
    return function(value) * 2.0


def lambda_called(x):
    square = lambda v: v * v  # noqa: E731
    return np.sum(square(x) + square(x * 2.0))


def lambda_passed(x):
    return np.sum(_apply(lambda v: np.sin(v) * v, x))


SCALE = 3.0


def _times_scale(function, value):
    return function(value) * SCALE  # the module's SCALE, not the caller's


def _apply_twice(function, value):
    return _times_scale(function, value) + _times_scale(function, 2.0 * value)


def nested_def_passed_through(x):
    SCALE = 10.0  # noqa: N806  (a local that must not capture the callee's global)

    def inner(v):
        return np.sin(v) * SCALE
    return np.sum(_apply_twice(inner, x)) + np.sum(_times_scale(lambda v: v ** 2, x))


def nested_def(x):
    def inner(v, k):
        return np.tanh(v) * k
    return np.sum(inner(x, 2.0) * inner(x * x, 3.0))


def nested_reads_enclosing(x):
    scale = np.sum(x) * 0.5

    def inner(v):
        return v * scale + scale
    return np.sum(inner(x) ** 2)


def make_loss(data):
    def loss(w):
        return np.sum((w * data - 1.0) ** 2)
    return loss


FUNCTIONALS = [lambda_called, lambda_passed, nested_def_passed_through, nested_def,
               nested_reads_enclosing]


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
@pytest.mark.parametrize('function', FUNCTIONALS, ids=lambda f: f.__name__)
def test_lambdas_and_nested_functions(function, options):
    check(function, (X,), 0, options)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_factory_closures_keep_their_own_data(options):
    first = make_loss(np.array([1.0, 2.0, 3.0, 4.0]))
    second = make_loss(np.array([-1.0, 0.5, 0.0, 2.0]))
    check(first, (X,), 0, options)
    check(second, (X,), 0, options)


def test_generated_code_shows_the_inlined_lambda():
    source = inspect.getsource(tangent.grad(lambda_called))
    assert 'square' in source


def test_a_function_given_a_lambda_is_inlined_and_shown():
    source = inspect.getsource(tangent.grad(lambda_passed))
    assert '_apply' in source and 'np.sin' in source


# 5. Classes ------------------------------------------------------------------------------

class Linear:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def forward(self, x):
        return np.tanh(self.w @ x + self.b)

    def loss(self, x):
        return np.sum(self.forward(x) ** 2)

    def __call__(self, x):
        return self.forward(x) * 2.0


class Quadratic:
    def __init__(self, a):
        self.a = a

    def forward(self, x):
        return self.a * x[:2] * x[:2]


MODEL = Linear(M.copy(), np.array([0.1, -0.2]))
X3 = X[:3].copy()


def uses_global_model(x):
    return np.sum(MODEL.forward(x) * MODEL.forward(x * 2.0))


def uses_callable_instance(x):
    return np.sum(MODEL(x))


def model_argument(model, x):
    return np.sum(model.forward(x) ** 2)


def read_only_attributes(x):
    n = x.shape[0]
    scale = x.ndim + x.size
    if x.dtype == np.float64:
        scale = scale * 1.0
    return np.sum(x.T * x) * n + scale * np.sum(x)


def array_methods(m):
    total = m.sum(axis=0).dot(m.mean(axis=1).reshape(2, 1).T.sum(axis=1) * np.ones(3))
    return total + m.transpose().max() + m.clip(-0.35, 0.35).sum() + \
        m.astype(np.float64).copy().mean() + m.reshape(6).sum() + m.reshape(3, 2).sum()


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_global_instance_and_callable_instance(options):
    check(uses_global_model, (X3,), 0, options)
    check(uses_callable_instance, (X3,), 0, options)


class Scaled:
    factor = 3.0

    def __init__(self, w):
        self.w = w

    @staticmethod
    def squash(z):
        return np.tanh(z)

    @classmethod
    def scale(cls, z):
        return z * cls.factor

    def __call__(self, x):
        return self.squash(x * self.w) + self.scale(x)


def callable_instance_argument(model, x):
    return np.sum(model(x) ** 2)


def static_and_class_methods(model, x):
    return np.sum(model.squash(x) * model.scale(x)) + np.sum(Scaled.scale(x) * x)


class TwoLayers:
    def __init__(self, first, second):
        self.first = first
        self.second = second

    def __call__(self, x):
        return self.second.forward(self.first(x)[:2].copy() * 0.5 + x[:2])

    def loss(self, x):
        return np.sum(self(x) ** 2)


def composite_model(model, x):
    return np.sum(model(x) * model.first.forward(x))


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_models_made_of_models(options):
    inner = Linear(M.copy(), np.array([0.1, -0.2]))
    outer = Linear(M.T.copy()[:2, :2], np.array([0.3, 0.0]))
    model = TwoLayers(inner, outer)
    check(composite_model, (model, X3), 1, options)
    if options['mode'] == 'reverse':
        derivative = tangent.autodiff(model.loss, check_dims=False,
                                      input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne,
                                      **options)
        assert_close(derivative(X3), numerical_grad(model.loss, [X3], 0))


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_callable_instance_argument_and_static_and_class_methods(options):
    model = Scaled(np.array([0.5, -1.0, 2.0]))
    for function in (callable_instance_argument, static_and_class_methods):
        check(function, (model, X3), 1, options)


@pytest.mark.parametrize('options', MODES[:3], ids=MODE_IDS[:3])
def test_bound_method_with_methods_calling_methods(options):
    derivative = tangent.autodiff(MODEL.loss, input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne,
                                  **options)
    assert_close(derivative(X3), numerical_grad(MODEL.loss, [X3], 0))


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_model_as_argument_specialises_per_class_and_reads_attributes_at_call_time(options):
    linear = Linear(M.copy(), np.array([0.1, -0.2]))
    quadratic = Quadratic(np.array([2.0, -1.0]))
    derivative = check(model_argument, (linear, X3), 1, options)
    check(model_argument, (quadratic, X3), 1, options)
    before = derivative(linear, X3) if options['mode'] == 'reverse' else None
    linear.w = linear.w * 3.0
    check(model_argument, (linear, X3), 1, options)
    if before is not None:
        assert not np.allclose(derivative(linear, X3), before)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_read_only_attributes_and_array_methods(options):
    check(read_only_attributes, (X,), 0, options)
    check(array_methods, (M,), 0, options)


# 6. Keywords, defaults, *args -------------------------------------------------------------

def _scaled(x, scale=2.0, shift=0.0):
    return x * scale + shift


def _three(a, b, c):
    return a * b + c * c


def keywords_and_defaults(x):
    return np.sum(_scaled(x) + _scaled(x, shift=1.0, scale=0.5) + _scaled(x, 3.0))


def active_keyword(x):
    return np.sum(_scaled(2.0, scale=x))


def numpy_keywords(m):
    return np.sum(np.sum(m, axis=1, keepdims=True) * m) + np.mean(m, axis=0).sum()


def star_args_forwarding(x, *rest):
    return np.sum(_three(x, *rest))


def kwonly_defaults(x, *, power=3):
    return np.sum(x ** power)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_keywords_defaults_and_star_args(options):
    check(keywords_and_defaults, (X,), 0, options)
    check(active_keyword, (X,), 0, options)
    check(numpy_keywords, (M,), 0, options)
    if options['mode'] == 'reverse':
        check(star_args_forwarding, (X, 0.5, X[::-1].copy()), 0, options)
    else:  # after *rest, the tangent is passed by name
        derivative = tangent.autodiff(star_args_forwarding, **options)
        rest = (0.5, X[::-1].copy())
        assert_close(derivative(X, *rest, dx=np.ones(4)),
                     numerical_jvp(star_args_forwarding, [X, *rest], 0, np.ones(4)))
    check(kwonly_defaults, (X,), 0, options)


def _three(a, b, c):
    return a * b * np.sin(c)


def _forwards(*args):
    return _three(*args)


def _gathers(first, *rest):
    total = first
    for value in rest:
        total = total * value
    return total


def _keyword_only(a, *, c=1.0):
    return a * c ** 2


def star_args_carry_derivatives(x):
    packed = (x[0], x[1], 2.0)
    return _forwards(x[0], x[1], x[2]) + _gathers(x[0], x[1], x[2], 2.0) + _three(*packed) \
        + _keyword_only(2.0, c=x[3])


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_differentiated_values_through_star_args_and_keyword_only_parameters(options):
    check(star_args_carry_derivatives, (X,), 0, options)


# 7. Containers as inputs and outputs -------------------------------------------------------

def dict_input(params, x):
    return np.sum(np.tanh(params['w'] @ x + params['b']))


def list_input(weights, x):
    return np.sum(weights[0] * x) * np.sum(weights[1] ** 2)


def tuple_input(pair, x):
    return np.sum(pair[0] * pair[1] * x)


def nested_input(params, x):
    return np.sum(params['layers'][0] @ x) + np.sum(params['layers'][1] * params['scale'])


def tuple_output(x):
    return np.sin(x), np.sum(x * x)


def test_containers_as_inputs_give_gradients_of_the_same_structure():
    params = {'w': M.copy(), 'b': np.array([0.1, 0.2])}
    assert_close(tangent.grad(dict_input)(params, X3), numerical_grad(dict_input, [params, X3], 0))
    weights = [X.copy(), X[::-1].copy()]
    assert_close(tangent.grad(list_input)(weights, X), numerical_grad(list_input, [weights, X], 0))
    pair = (X.copy(), X * 2.0)
    assert_close(tangent.grad(tuple_input)(pair, X), numerical_grad(tuple_input, [pair, X], 0))
    nested = {'layers': [M.copy(), np.array([1.0, 2.0])], 'scale': 0.5}
    assert_close(tangent.grad(nested_input)(nested, X3),
                 numerical_grad(nested_input, [nested, X3], 0))


def test_tuple_result_in_forward_mode():
    direction = np.array([1.0, 0.0, -1.0, 0.5])
    tangents = tangent.autodiff(tuple_output, mode='forward')(X, direction)
    assert_close(tangents, numerical_jvp(tuple_output, [X], 0, direction))


# 8. math and builtins ----------------------------------------------------------------------

def math_everything(x):
    return (math.sin(x) + math.cos(x) + math.tan(x) + math.exp(x) + math.log(x)
            + math.log(x, 3.0) + math.log10(x) + math.log2(x) + math.log1p(x) + math.expm1(x)
            + math.sqrt(x) + math.pow(x, 2.5) + math.tanh(x) + math.sinh(x) + math.cosh(x)
            + math.asin(x) + math.acos(x) + math.atan(x) + math.atan2(x, 1.5)
            + math.hypot(x, 2.0) + math.fabs(x - 1.0))


def builtins_everything(x):
    n = len([1, 2, 3])
    total = 0.0
    for i in range(n):
        total = total + abs(x - 1.0) * i
    if isinstance(x, float):
        total = total + 1.0
    print('value', int(3.7))
    return total + sum([x, x * x]) + min(x, 0.9) + max(x, 0.1) + pow(x, 3) + float(x)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_math_and_builtins(options, capsys):
    check(math_everything, (0.6,), 0, options)
    check(builtins_everything, (0.6,), 0, options)


# A lambda differentiated directly, and rules registered after a first gradient -------

SQUARE_PLUS_SIN = lambda x: x * x + np.sin(x)  # noqa: E731
TWO_ARGS = lambda x, y: np.sum(np.tanh(x) * y)  # noqa: E731


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_a_lambda_can_be_differentiated_directly(options):
    check(SQUARE_PLUS_SIN, (0.7,), 0, options)
    check(TWO_ARGS, (X, 1.5), 0, options)
    check(TWO_ARGS, (X, 1.5), 1, options)


def _helper_made_constant_later(x):
    return x * 3.0


def uses_helper(x):
    return _helper_made_constant_later(x) * x


def test_registering_a_rule_after_a_gradient_takes_effect():
    before = tangent.grad(uses_helper)(2.0)
    assert_close(before, numerical_grad(uses_helper, [2.0], 0))
    tangent.non_differentiable.register_non_differentiable_functions(
        _helper_made_constant_later)
    after = tangent.grad(uses_helper)(2.0)
    assert_close(after, _helper_made_constant_later(2.0))  # d/dx (c * x) with c constant


@tangent.trace
def _traced_numpy(x):
    return np.sin(x) * x


def uses_traced_numpy(x):
    return np.sum(_traced_numpy(x) * 2.0)


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
def test_a_traced_function_with_arrays_is_differentiated_from_source(options):
    check(uses_traced_numpy, (X,), 0, options)


# Values of and/or, and lambdas that share a line -----------------------------------------

def and_or_value(x):
    return x[0] > 0.0 and x[0] * x[1] or -x[1]


def or_default(x):
    scale = x[2] or 3.0
    return scale * x[0]


def and_value(x):
    both = x[0] and x[1] * 2.0
    return both * x[3]


@pytest.mark.parametrize('options', MODES, ids=MODE_IDS)
@pytest.mark.parametrize('function', [and_or_value, or_default, and_value],
                         ids=lambda f: f.__name__)
def test_and_or_as_values_carry_the_derivative_of_the_operand_they_return(function, options):
    check(function, (X,), 0, options)
    check(function, (-X,), 0, options)


PAIR_OF_LAMBDAS = (lambda x: x * 2.0, lambda x: x * 3.0)
LIST_OF_LAMBDAS = [lambda x: x * x, lambda x: x * x * x]


def test_each_of_several_lambdas_on_one_line_is_the_one_differentiated():
    assert tangent.grad(PAIR_OF_LAMBDAS[0])(1.5) == pytest.approx(2.0)
    assert tangent.grad(PAIR_OF_LAMBDAS[1])(1.5) == pytest.approx(3.0)
    assert tangent.grad(LIST_OF_LAMBDAS[0])(2.0) == pytest.approx(numerical_grad(
        LIST_OF_LAMBDAS[0], [2.0], 0))
    assert tangent.grad(LIST_OF_LAMBDAS[1])(2.0) == pytest.approx(numerical_grad(
        LIST_OF_LAMBDAS[1], [2.0], 0))

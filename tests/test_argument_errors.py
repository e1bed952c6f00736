"""Exact errors for bad arguments, and the callables that are not plain functions
(issue 19, point 6): what ``wrt`` accepts, a callee set on the instance, partials
and callable instances, a callee without source, ``verbose=2`` on a cached
derivative, and the user's ``file:line`` on an exception raised in generated code."""

import functools
import inspect

import argument_errors_helper  # a helper in a file of its own
import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent
from tangent.errors import SourceNotAvailableError


def product(x, y):
    return x * np.sin(y)


def scaled_product(x, y, scale=3.0):
    return x * np.sin(y) * scale


X, Y = 0.7, 0.4
MODES = ['reverse', 'forward']


def reverse_or_forward(function, mode, wrt=(0,)):
    """The derivative in ``mode``, called as a gradient: seed 1.0 or tangent 1.0."""
    if mode == 'reverse':
        return tangent.grad(function, wrt=wrt)
    forward = tangent.autodiff(function, wrt=wrt, mode='forward')
    return lambda *args: forward(*args, *[1.0] * len(wrt))


# wrt --------------------------------------------------------------------------------

@pytest.mark.parametrize('wrt', [1.0, None, 'x', True, False, b'\x00', [0, True], (0, 1.5),
                                 [None]], ids=repr)
def test_a_wrt_that_is_not_indices_is_a_type_error_naming_wrt(wrt):
    with pytest.raises(TypeError) as raised:
        tangent.grad(product, wrt=wrt)
    message = str(raised.value)
    assert message.startswith('wrt must be the index of a positional argument')
    assert 'tuple or list' in message
    assert repr(wrt) in message


@pytest.mark.parametrize('wrt,expected_index', [(1, 1), ((1,), 1), ([1], 1),
                                                (np.int64(1), 1), (range(1, 2), 1)],
                         ids=repr)
def test_wrt_accepts_an_index_or_a_sequence_of_them(wrt, expected_index):
    gradient = tangent.grad(product, wrt=wrt)(X, Y)
    assert_close(gradient, numerical_grad(product, [X, Y], expected_index))


def test_several_wrt_indices_give_a_tuple_in_their_order():
    gradients = tangent.grad(product, wrt=[1, 0])(X, Y)
    assert_close(gradients, (numerical_grad(product, [X, Y], 1),
                             numerical_grad(product, [X, Y], 0)))


@pytest.mark.parametrize('wrt', [2, -1, (0, 5)])
def test_a_wrt_index_out_of_range_is_still_a_value_error(wrt):
    with pytest.raises(ValueError, match=r'wrt=.* is out of range: product has 2'):
        tangent.grad(product, wrt=wrt)


# A callee set on the instance ----------------------------------------------------------

class WithActivationSetInInit:
    def __init__(self, activation):
        self.act = activation
        self.weight = 2.0

    def loss(self, x):
        return self.act(x) * self.weight


def loss_of_model(model, x):
    return model.act(x) * model.weight


class Tanh:
    def __call__(self, value):
        return np.tanh(value)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('activation', [np.tanh, lambda value: np.tanh(value)],
                         ids=['ufunc', 'lambda'])
def test_a_function_set_on_the_instance_is_differentiated(mode, activation):
    # Once an error ("self.act is not defined on the class"), now specialised at call
    # time on the function the instance holds (as for functions passed as arguments).
    model = WithActivationSetInInit(activation)

    def loss(x):
        return np.tanh(x) * 2.0
    derivative = reverse_or_forward(model.loss, mode)
    expected = numerical_grad(loss, [0.3], 0)
    assert_close(derivative(0.3), expected)
    model.act = np.sin  # another function: another version, not a stale one
    expected = numerical_grad(lambda x: np.sin(x) * 2.0, [0.3], 0)
    assert_close(derivative(0.3), expected)


def test_a_function_set_on_an_argument_instance_is_differentiated():
    model = WithActivationSetInInit(np.tanh)
    assert_close(tangent.grad(loss_of_model, wrt=1)(model, 0.3),
                 numerical_grad(lambda x: np.tanh(x) * 2.0, [0.3], 0))


class WithActivationMethod(WithActivationSetInInit):
    def act(self, x):
        return np.tanh(x)


class WithActivationOnTheClass(WithActivationSetInInit):
    act = staticmethod(np.tanh)

    def __init__(self):
        self.weight = 2.0


@pytest.mark.parametrize('model', [WithActivationMethod(None), WithActivationOnTheClass(),
                                   WithActivationSetInInit(Tanh())],
                         ids=['method', 'class attribute', 'callable object'])
def test_the_forms_the_message_advises_work(model):
    if type(model) is WithActivationMethod:
        del model.act  # the instance attribute __init__ set hides the method

    def loss(x):
        return np.tanh(x) * 2.0
    assert_close(tangent.grad(model.loss)(0.3), numerical_grad(loss, [0.3], 0))


# Partials and callable instances ---------------------------------------------------

def three_arguments(a, x, y):
    return a * np.sin(x) * y ** 2


A = 1.3


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('wrt', [0, 1])
def test_a_partial_is_differentiated_with_its_bound_arguments_constant(mode, wrt):
    partial = functools.partial(three_arguments, A)
    derivative = reverse_or_forward(partial, mode, (wrt,))
    expected = numerical_grad(partial, [X, Y], wrt)
    assert_close(derivative(X, Y), expected)


@pytest.mark.parametrize('mode', MODES)
def test_a_partial_binding_a_keyword(mode):
    partial = functools.partial(three_arguments, y=Y)
    derivative = reverse_or_forward(partial, mode, (1,))
    assert_close(derivative(A, X), numerical_grad(partial, [A, X], 1))


def test_a_keyword_bound_partial_takes_the_seed_after_its_own_arguments():
    partial = functools.partial(scaled_product, y=Y)
    gradient = tangent.grad(partial)
    expected = numerical_grad(partial, [X], 0)
    assert_close(gradient(X), expected)
    assert_close(gradient(X, 2.0), 2.0 * expected)  # the seed, not y
    assert_close(gradient(X, 1.0, scale=1.0), expected / 3.0)
    forward = tangent.autodiff(partial, mode='forward')
    assert_close(forward(X, 2.0), 2.0 * expected)  # the tangent, not y


def test_nested_partials():
    partial = functools.partial(functools.partial(three_arguments, A), X)
    assert_close(tangent.grad(partial)(Y), numerical_grad(partial, [Y], 0))


def test_a_partial_with_an_array():
    def weighted(w, x):
        return np.sum(w * np.tanh(x))
    weights = np.array([0.5, -1.0, 2.0])
    partial = functools.partial(weighted, weights)
    x = np.array([0.1, 0.2, -0.3])
    assert_close(tangent.grad(partial)(x), numerical_grad(partial, [x], 0))
    direction = np.array([1.0, -0.5, 0.25])
    assert_close(tangent.autodiff(partial, mode='forward')(x, direction),
                 numerical_jvp(partial, [x], 0, direction))
    assert np.array_equal(weights, [0.5, -1.0, 2.0])  # the bound argument is untouched


def test_a_partial_wrt_counts_the_partials_own_parameters():
    partial = functools.partial(three_arguments, A)
    with pytest.raises(ValueError, match=r'takes 2 positional parameter\(s\) \(x, y\)') \
            as raised:
        tangent.grad(partial, wrt=2)
    assert 'constants' in str(raised.value)
    with pytest.raises(TypeError, match='wrt must be'):
        tangent.grad(partial, wrt=True)


class Layer:
    def __init__(self, weight):
        self.weight = weight

    def __call__(self, x, scale):
        return np.tanh(self.weight * x) * scale


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('wrt', [0, 1])
def test_a_callable_instance_is_differentiated_through_its_call(mode, wrt):
    layer = Layer(0.8)
    derivative = reverse_or_forward(layer, mode, (wrt,))
    assert_close(derivative(X, Y), numerical_grad(layer, [X, Y], wrt))


def test_a_callable_instance_reads_its_attributes_when_called():
    layer = Layer(0.8)
    gradient = tangent.grad(layer)
    layer.weight = -0.5
    assert_close(gradient(X, Y), numerical_grad(layer, [X, Y], 0))


@pytest.mark.parametrize('mode', MODES)
def test_a_partial_of_a_callable_instance(mode):
    partial = functools.partial(Layer(0.8), scale=Y)
    derivative = reverse_or_forward(partial, mode)
    assert_close(derivative(X), numerical_grad(partial, [X], 0))


def test_a_callable_instance_wrt_does_not_count_self():
    with pytest.raises(ValueError, match=r'Layer.__call__ has 2 positional parameter\(s\) '
                                         r'besides self'):
        tangent.grad(Layer(0.8), wrt=2)


def test_a_class_is_a_type_error():
    with pytest.raises(TypeError, match='got the class Layer'):
        tangent.grad(Layer)


# A callee without source --------------------------------------------------------------

def made_by_exec():
    namespace = {}
    exec('def doubled(x):\n    return x * 2.0\n', namespace)  # noqa: S102
    return namespace['doubled']


DOUBLED = made_by_exec()


def calls_doubled(x):
    y = DOUBLED(x)
    return y * x


@pytest.mark.parametrize('mode', MODES)
def test_a_callee_without_source_says_why_and_how_to_register_it(mode):
    with pytest.raises(SourceNotAvailableError) as raised:
        tangent.autodiff(calls_doubled, mode=mode)
    message = str(raised.value)
    assert 'Cannot read the source of doubled' in message and 'exec()' in message
    assert '@tangent.grads.adjoint(doubled)' in message
    assert '@tangent.tangents.tangent_(doubled)' in message


def test_the_function_itself_without_source_is_not_told_to_register_a_rule():
    with pytest.raises(SourceNotAvailableError) as raised:
        tangent.grad(made_by_exec())
    assert 'exec()' in str(raised.value)
    assert 'tangent.grads.adjoint' not in str(raised.value)


def test_the_registration_the_message_advises_works():
    doubled = made_by_exec()

    def calls(x):
        y = doubled(x)
        return y * x

    @tangent.grads.adjoint(doubled)
    def adjoint_of_doubled(result, x):
        d[x] = d[result] * 2.0  # noqa: F821 - d is the template's notation

    @tangent.tangents.tangent_(doubled)
    def tangent_of_doubled(result, x):
        d[result] = d[x] * 2.0  # noqa: F821

    def reference(x):
        return 2.0 * x * x
    expected = numerical_grad(reference, [X], 0)
    assert_close(tangent.grad(calls)(X), expected)
    assert_close(tangent.autodiff(calls, mode='forward')(X, 1.0), expected)


# verbose=2 ------------------------------------------------------------------------------

def printed_for_verbose(capsys, **options):
    capsys.readouterr()
    tangent.autodiff(scaled_product, verbose=2, **options)
    return capsys.readouterr().out


@pytest.mark.parametrize('mode', MODES)
def test_verbose_2_prints_every_stage_each_time(capsys, mode):
    tangent.autodiff(scaled_product, mode=mode)  # cached now
    first = printed_for_verbose(capsys, mode=mode)
    again = printed_for_verbose(capsys, mode=mode)
    assert '# ---- normal form (ANF) ----' in first
    assert '# ---- after optimization ----' in first
    assert again == first


# Exceptions in generated code --------------------------------------------------------

def line_of(function, text):
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def raises_in_helper(x):
    y = x * 2.0
    z = argument_errors_helper.checked(y)
    return z * x


def mismatched_shapes(x):
    head = x[:2]
    total = head + x
    return np.sum(total)


@pytest.mark.parametrize('mode', MODES)
def test_a_users_error_in_a_helper_names_the_helpers_file_and_line(mode):
    derivative = reverse_or_forward(raises_in_helper, mode)
    with pytest.raises(ValueError) as raised:
        derivative(10.0)
    error = raised.value
    assert type(error) is ValueError and str(error) == 'too large to check'  # unchanged
    helper_line = line_of(argument_errors_helper.checked, 'raise ValueError')
    expected = f'from {argument_errors_helper.__file__}:{helper_line}: raise ValueError'
    assert any(note.startswith(expected) for note in error.__notes__), error.__notes__
    # The traceback still points at the generated line that raised.
    frames = [frame for frame in _frames(error) if frame.startswith('<tangent ')]
    assert frames, 'the generated frame is in the traceback'
    assert f'of {frames[-1]}' in error.__notes__[0]


@pytest.mark.parametrize('mode', MODES)
def test_a_shape_mismatch_names_the_users_statement(mode):
    x = np.ones(3)
    derivative = tangent.grad(mismatched_shapes) if mode == 'reverse' else \
        tangent.autodiff(mismatched_shapes, mode='forward')
    with pytest.raises(ValueError, match='could not be broadcast') as raised:
        derivative(x) if mode == 'reverse' else derivative(x, x)
    line = line_of(mismatched_shapes, 'total = head + x')
    assert any(f'{__file__}:{line}: total = head + x' in note
               for note in raised.value.__notes__), raised.value.__notes__


def sine_times_two(x):
    y = np.sin(x) * 2.0
    return y


def test_an_error_in_the_backward_pass_names_the_statement_it_differentiates():
    derivative = tangent.autodiff(sine_times_two, check_dims=False)
    with pytest.raises(ValueError, match='could not be broadcast') as raised:
        derivative(np.ones(3), np.ones(4))  # a seed of the wrong shape
    line = line_of(sine_times_two, 'y = np.sin(x) * 2.0')
    assert any(f'{__file__}:{line}:' in note for note in raised.value.__notes__)


def test_generated_source_and_the_function_that_runs_are_unchanged():
    derivative = tangent.grad(sine_times_two)
    source = inspect.getsource(derivative)
    assert 'except' not in source and '__tangent' not in source
    assert_close(tangent.grad(derivative)(0.3), -2.0 * np.sin(0.3))  # read again from source


def _frames(error):
    traceback = error.__traceback__
    while traceback is not None:
        yield traceback.tb_frame.f_code.co_filename
        traceback = traceback.tb_next

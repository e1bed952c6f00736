"""Concatenation and repetition of lists and tuples (issue 18, point 1).

``a + b``, ``a += b``, ``[x] * 3``, ``3 * (x,)`` and starred displays
``(*a, x)`` join sequences; their derivatives split the gradient back into
the pieces. Every case is written with ``autograd.numpy`` (which tangent
differentiates as NumPy) and checked against autograd, which follows list
concatenation through Python itself: in reverse mode (joint and split), in
forward mode and, for Hessian-vector products, in the three second-order
compositions.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent

W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.7]])


def loop_concat_product(x):
    outs = []
    for i in range(3):
        outs = outs + [x * (i + 1.0)]
    return outs[0] * outs[1] * outs[2]


def loop_concat_sum(x):
    outs = []
    for i in range(4):
        outs = outs + [anp.sin(x) * i]
    total = 0.0
    for item in outs:
        total = total + item
    return total * x


def tuple_concat(x):
    t = (x,) + (2.0 * x,)
    return t[0] * t[1]


def augmented(x):
    items = [anp.cos(x)]
    items += [anp.sin(x)]
    pair = (x,)
    pair += (x * x, 3.0)
    return items[0] * items[1] + pair[1] * pair[0] + pair[2] * items[1]


def repetition(x):
    three = [x] * 3
    twice = 2 * (anp.cos(x), x)
    both = three + [twice[0], twice[3]]
    return both[0] * both[1] * both[2] + both[3] * both[4] + twice[1] * twice[2]


def repetition_by_count(x):
    n = 2
    pieces = (x * x,) * n + (x,)
    return pieces[0] * pieces[1] * pieces[2]


def starred(x):
    a = [x, 2.0 * x]
    t = (*a, x * x)
    items = [*t, *a, 3.0]
    return items[0] * items[2] + items[1] * items[3] + items[4] * items[5] + t[2]


def starred_in_loop(x):
    states = ()
    for i in range(3):
        states = (*states, anp.tanh(x + i))
    return states[0] * states[1] + states[2]


def rnn(h):
    outputs = []
    for i in range(3):
        h = anp.tanh(anp.dot(W, h) + 0.1 * i)
        outputs = outputs + [h]
    stacked = anp.array(outputs)
    return anp.sum(stacked * stacked) + anp.sum(outputs[0] * outputs[2])


def join(a, b):
    return a + b


def through_subroutine(x):
    left = [x, anp.sin(x)]
    right = (x * x,)
    joined = join(left, [right[0]])
    return joined[0] * joined[1] * joined[2]


def runtime_decides_list(x, extra):
    items = extra + [x, x * x]
    return items[0] * items[2] + items[1] * items[3]


def runtime_decides_array(x, y):
    z = x + y
    return anp.sum(z * anp.sin(z))


def times_int_array(x):
    doubled = x * 2
    return anp.sum(anp.sin(doubled))


def repeat_argument(x, extra):
    items = (extra + [x]) * 2
    return items[0] * items[3] + items[2] * items[1]


SCALAR = 0.7
VECTOR = np.array([0.3, -0.8, 0.5])

# name -> (function, arguments); the derivative is taken in argument 0
CASES = {
    'loop_concat_product': (loop_concat_product, (SCALAR,)),
    'loop_concat_sum': (loop_concat_sum, (SCALAR,)),
    'tuple_concat': (tuple_concat, (1.5,)),
    'augmented': (augmented, (SCALAR,)),
    'repetition': (repetition, (SCALAR,)),
    'repetition_by_count': (repetition_by_count, (SCALAR,)),
    'starred': (starred, (SCALAR,)),
    'starred_in_loop': (starred_in_loop, (SCALAR,)),
    'rnn': (rnn, (VECTOR,)),
    'through_subroutine': (through_subroutine, (SCALAR,)),
    'runtime_decides_list': (runtime_decides_list, (SCALAR, [0.4, -1.2])),
    'runtime_decides_array': (runtime_decides_array, (VECTOR, 0.25)),
    'times_int_array': (times_int_array, (VECTOR,)),
    'repeat_argument': (repeat_argument, (SCALAR, [0.4, -1.2])),
}

NAMES = sorted(CASES)


def _expected_gradient(name):
    function, args = CASES[name]
    return autograd.grad(function)(*args)


def test_issue_examples_against_hand_derivatives():
    # f = x * 2x * 3x = 6 x**3 and t[0] * t[1] = 2 x**2.
    assert_close(tangent.grad(loop_concat_product)(SCALAR), 18.0 * SCALAR ** 2)
    assert_close(tangent.grad(tuple_concat)(1.5), 4.0 * 1.5)


@pytest.mark.parametrize('name', NAMES)
def test_reverse_joint(name):
    function, args = CASES[name]
    assert_close(tangent.grad(function)(*args), _expected_gradient(name))


@pytest.mark.parametrize('name', NAMES)
def test_reverse_joint_not_optimized(name):
    function, args = CASES[name]
    assert_close(tangent.grad(function, optimized=False)(*args), _expected_gradient(name))


@pytest.mark.parametrize('name', NAMES)
def test_reverse_split(name):
    function, args = CASES[name]
    derivative = tangent.autodiff(function, motion='split',
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(*args), _expected_gradient(name))


@pytest.mark.parametrize('name', NAMES)
def test_forward(name):
    function, args = CASES[name]
    direction = 1.0 if np.ndim(args[0]) == 0 else np.array([0.7, -1.1, 0.4])
    derivative = tangent.autodiff(function, mode='forward')
    expected = np.sum(np.asarray(_expected_gradient(name)) * direction)
    assert_close(derivative(*args, direction), expected)


def test_the_numbers_agree_with_finite_differences():
    """autograd itself, checked once against central differences."""
    for name in NAMES:
        function, args = CASES[name]
        assert_close(_expected_gradient(name), numerical_grad(function, args, 0),
                     rtol=1e-5, atol=1e-6)


def _hvp(order, function):
    if order == 'forward_over_reverse':
        inner = tangent.autodiff(function, mode='reverse', check_dims=False)
        outer = tangent.autodiff(inner, mode='forward', check_dims=False)
        return lambda args, v: outer(*args, 1.0, v)
    if order == 'reverse_over_forward':
        inner = tangent.autodiff(function, mode='forward', check_dims=False)
        outer = tangent.autodiff(inner, mode='reverse', check_dims=False)
        return lambda args, v: outer(*args, v, 1.0)
    inner = tangent.autodiff(function, mode='reverse', check_dims=False)
    outer = tangent.autodiff(inner, mode='reverse', check_dims=False)
    return lambda args, v: outer(*args, 1.0, v)


SECOND_ORDER = ['loop_concat_product', 'tuple_concat', 'augmented', 'repetition_by_count',
                'starred', 'rnn', 'runtime_decides_list', 'runtime_decides_array',
                'times_int_array']


@pytest.mark.parametrize('order', ['forward_over_reverse', 'reverse_over_forward',
                                   'reverse_over_reverse'])
@pytest.mark.parametrize('name', SECOND_ORDER)
def test_hessian_vector_product(name, order):
    function, args = CASES[name]
    v = 0.9 if np.ndim(args[0]) == 0 else np.array([0.2, 0.5, -0.7])
    expected = autograd.hessian_vector_product(function)(*args, v)
    assert_close(_hvp(order, function)(args, v), expected)


def test_grad_of_grad():
    expected = autograd.grad(autograd.grad(starred_in_loop))(SCALAR)
    assert_close(tangent.grad(tangent.grad(starred_in_loop))(SCALAR), expected)


def test_gradient_of_a_list_argument_has_its_structure():
    gradient = tangent.grad(runtime_decides_list, wrt=(1,))(SCALAR, [0.4, -1.2])
    assert isinstance(gradient, list) and len(gradient) == 2
    assert_close(gradient, autograd.grad(runtime_decides_list, 1)(SCALAR, [0.4, -1.2]))


def repeat_by_argument(x, items, n):
    repeated = items * n
    return repeated[0] * x + repeated[-1]


def test_a_repetition_tangent_cannot_see_is_an_error_not_a_wrong_number():
    derivative = tangent.grad(repeat_by_argument, wrt=(1,))
    with pytest.raises(ValueError, match='lists or tuples'):
        derivative(SCALAR, [0.4, -1.2], 2)


def test_the_generated_code_splits_the_gradient():
    source = tangent.compile.source_of(tangent.grad(loop_concat_product))
    assert 'tangent.unconcat(' in source

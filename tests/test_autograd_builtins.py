"""``autograd.builtins`` stands for Python's builtins: programs written for autograd
that build containers with its ``tuple``, ``list`` and ``dict`` (constructors that
record their items for autograd's tracer) or test values with its ``isinstance``
and ``type`` differentiate as if they used the builtins.

The mapping is found from the wrappers themselves (a subclass of the builtin
container, or a wrapper closing over the builtin function), never from a hand
list. Each derivative is compared with autograd's and with central finite
differences (``tangent.testing.check_grads``).
"""

import builtins

import autograd
import autograd.builtins as autograd_builtins
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.builtins import dict as ag_dict
from autograd.builtins import isinstance as ag_isinstance
from autograd.builtins import list as ag_list
from autograd.builtins import tuple as ag_tuple
from autograd.builtins import type as ag_type

import tangent
from tangent.backends.numpy import autograd_wrappers
from tangent.testing import check_grads

X = np.random.RandomState(0).randn(3)
DIRECTION = np.array([0.3, -0.4, 0.5])


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize('name', ['tuple', 'list', 'dict', 'isinstance', 'type'])
def test_each_autograd_builtin_stands_for_the_python_builtin(name):
    wrapper = getattr(autograd_builtins, name)
    assert wrapper is not getattr(builtins, name)
    assert autograd_wrappers.library_target(wrapper) is getattr(builtins, name)


@pytest.mark.parametrize('name', ['SequenceBox', 'DictBox', 'container_take',
                                  'make_sequence', 'tuple_', 'isinstance_'])
def test_autograds_own_names_stand_for_nothing(name):
    assert autograd_wrappers.library_target(getattr(autograd_builtins, name)) is None


def built_with_tuple(x):
    pair = ag_tuple((x, anp.sin(x)))
    return anp.sum(pair[0] * pair[1])


def built_with_list(x):
    items = ag_list([x, anp.tanh(x), 2.0 * x])
    total = 0.0
    for item in items:
        total = total + anp.sum(item ** 2)
    return total


def built_with_dict(x):
    named = ag_dict(scale=x, shift=anp.cos(x))
    return anp.sum(named['scale'] * named['shift'])


def nested_containers(x):
    layers = ag_list([ag_tuple((x, 0.5 * x)), ag_tuple((anp.exp(x), x ** 2))])
    total = 0.0
    for w, b in layers:
        total = total + anp.sum(w * b)
    return total


def branches_on_isinstance(x):
    parts = ag_tuple((x, 3.0 * x))
    if ag_isinstance(parts, ag_tuple):
        return anp.sum(parts[0] * parts[1])
    return anp.sum(x)


def branches_on_type(x):
    parts = ag_list([x, anp.sin(x)])
    if ag_type(parts) == list:
        return anp.sum(parts[0] * parts[1])
    return anp.sum(x)


def builtin_dict_with_keywords(x):
    named = dict(a=x, b=anp.sin(x))
    return anp.sum(named['a'] ** 2 * named['b'])


@pytest.mark.parametrize('f', [built_with_tuple, built_with_list, built_with_dict,
                               nested_containers, branches_on_isinstance, branches_on_type,
                               builtin_dict_with_keywords],
                         ids=lambda f: f.__name__)
def test_like_autograd_in_every_mode(f):
    expected = autograd.grad(f)(X)
    assert_close(tangent.grad(f)(X), expected)
    assert_close(tangent.autodiff(f, motion='split')(X), expected)
    assert_close(tangent.autodiff(f, mode='forward')(X, DIRECTION),
                 np.dot(expected, DIRECTION))
    check_grads(f, X, modes=('reverse', 'forward'), order=2)


def params_in_a_dict(params, x):
    weights = ag_dict(w=params[0], b=params[1])
    return anp.sum(anp.tanh(anp.dot(x, weights['w']) + weights['b']))


def test_with_respect_to_a_container_argument_like_autograd():
    params = ag_list([np.random.RandomState(1).randn(3, 2), np.array([0.1, -0.2])])
    expected = autograd.grad(params_in_a_dict)(params, X)
    result = tangent.grad(params_in_a_dict)(params, X)
    for actual, wanted in zip(result, expected):
        assert_close(actual, wanted)
    check_grads(params_in_a_dict, params, X, modes=('reverse', 'forward'), wrt=(0,))

"""Wrong gradients the 20,000-program fuzz campaign of issue 18 found, as the
fuzzer reduced them. Every expected value is independent of tangent: central
finite differences of the program itself.

The first two came from one bug: after a branch whose arms each hold an ``if`` (an
inlined helper brings one), an adjoint that every arm had reset stayed set, so
it was counted again in each backward iteration of the enclosing loop.
"""

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent


def passes_through(p0, p1):
    if np.sum(p1) > -0.85:
        pass
    return p1


def branch_assigns_from_a_constant(v8):
    """Campaign program #17236 as the fuzzer reduced it: both branches call an
    inlined helper and one assigns ``j31`` from a name bound nowhere; the adjoint
    of ``j31`` is not reset between backward iterations, so it counts three times."""
    t9 = v8
    for k12, e11 in enumerate(v8):
        t13 = e11
        a14 = e11
    for i20 in range(1, 0, -1):
        pass
    for i28 in range(3, 0, -1):
        if i20 < -0.65:  # never taken: a23 and j22 are never bound
            t29 = passes_through(np.log(1.5 + np.cos(a23)), t9 / (1.0 + t13 * t13))  # noqa: F821,F841
            j31 = j22  # noqa: F821
        else:
            j30 = passes_through(np.mean(t13), i20 + t9)  # noqa: F841
            j31 = a14
    return j31


def test_bug_17236_an_adjoint_is_reset_after_branches_holding_ifs():
    v = np.array([-0.2662739454944165, -0.5537069166110282, 1.439823522220078])
    assert_close(tangent.grad(branch_assigns_from_a_constant)(v),
                 numerical_grad(branch_assigns_from_a_constant, [v], 0))


def pair_of(p0, /):
    if p0[2] > 0.63:
        pass
    for k5, e4 in enumerate(p0):
        a1 = p0
    return (e4) * (e4), a1[0]


def loop_of_helper_calls(x7, /):
    a8 = x7
    for i9 in range(1, 5):
        t10, t11 = pair_of((np.array([x7, i9, -1.84])) - (np.array([-0.39, -1.52, -1.91])))
        if np.mean(np.array([a8, x7, t11])) > -0.56:
            w12 = ((np.array([x7, i9, a8])) / (1.5 + np.cos(np.array([1.26, -0.83, 1.76])))) * 1.0
            t14, t15 = pair_of((w12) / (1.0 + (x7) * (x7)))
            j18 = t15
        else:
            t16, t17 = pair_of((np.array([t11, t10, i9])) - (np.array([1.94, -0.12, -1.73])))
            j18 = (a8) * (a8)
        t19, t20 = pair_of((np.array([0.17, 0.16, 0.79])) + (np.array([j18, x7, t11])))
    for i21 in range(1, 5):
        a22 = (np.tanh(0.2)) + ((np.array([i21, t20, -1.0]))[0])
        T23 = ((np.array([i21, a22, t11])) + (np.array([0.42, t19, i21])),
               (np.array([j18, a22, t20])) ** 3)
        u24, u25 = T23
    return np.sum(u25)


@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_bug_15710_helpers_in_both_arms_of_a_branch_in_a_loop(motion):
    derivative = tangent.autodiff(loop_of_helper_calls, motion=motion,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(1.3979577820235),
                 numerical_grad(loop_of_helper_calls, [1.3979577820235], 0))


def branches_with_inner_ifs(x, c):
    """The class of #15710 and #17236 without helpers: each arm of an if in a loop
    holds an if of its own and reassigns ``y``; only the last iteration's ``y`` is
    returned, so its gradient must not be counted once per iteration."""
    y = x * 0.0
    for i in range(3):
        if c > 0.0:
            if x > 5.0:
                pass
            y = x * 2.0
        else:
            if x < -5.0:
                pass
            y = x * 3.0
    return y * x


@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('c', [1.0, -1.0])
def test_an_adjoint_reset_in_every_arm_of_a_branch_holding_ifs(motion, c):
    derivative = tangent.autodiff(branches_with_inner_ifs, motion=motion,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(derivative(0.7, c), numerical_grad(branches_with_inner_ifs, [0.7, c], 0))


# Forward mode: a value that carries no tangent, written into an item of a list,
# dict or array, has a zero tangent of its own structure (it was the float 0.0,
# so a later read of one of its elements raised, and a dot product broadcast
# the directional derivative to a vector). Campaign programs #1443, #6174, #7117.

def dot_with_a_constant_list_item(v0, x1):
    """#1443 reduced: the derivative of np.dot(L2[2], L4[0]) came out as a vector."""
    L2 = [x1, v0 + np.array([-1.3, -0.81, 1.97])]
    L2 += [v0]
    for i3 in range(1):
        L4 = [np.array([-0.43, -1.21, 1.59]) * v0, v0 * v0, i3 / np.exp(np.sin(v0))]
        L4[0] = [-0.25, 0.13, 0.74]
    return np.dot(L2[2], L4[0])


def element_of_an_inactive_dict_item(v0, v1):
    """#6174 reduced: ``D17['p'] = v0`` with ``v0`` not differentiated, then ``[2]``."""
    a6 = [-1.32, -1.55, 1.24]
    for e11 in v1:
        D17 = {'p': a6 / np.exp(np.sin(np.array([1.73, -1.5, 1.47]))), 'q': e11 ** 1}
        u15 = np.sum(D17['p']) * e11
    D17['p'] = v0
    D17['q'] = D17['p'][2]
    return u15 + D17['q'] * np.sum(v1)


def array_from_a_constant_dict_item(x0, v1):
    """#7117 reduced: ``v1[0] - D2['q']`` with a constant list item, then written."""
    D2 = {'p': v1, 'q': np.array([0.05, -1.38, -1.14])}
    D2['q'] = [0.6, 0.81, -1.86]
    w9 = v1[0] - D2['q']
    w9[2] = 0.95
    return np.dot(w9, w9)


def constant_rows_in_containers(x, v):
    """The class: constant arrays and lists written into list, dict and array items,
    then read element-wise, combined and written again."""
    rows = [v * x, v + 1.0]
    rows[1] = np.array([0.5, -1.0, 2.0])
    table = {'a': v, 'b': x}
    table['b'] = [1.0, 2.0, 3.0]
    grid = np.outer(v, v) * x
    grid[0] = np.array([3.0, 2.0, 1.0])
    mixed = rows[1] * table['a'] + np.array(table['b']) * rows[0]
    mixed[1] = table['b'][2] * x
    return np.sum(mixed * grid[0]) + np.sum(grid) * rows[1][2]


FORWARD_CASES = [
    (dot_with_a_constant_list_item, (np.array([0.05, -0.76, 1.14]), -1.19), 0),
    (element_of_an_inactive_dict_item, (np.array([-0.97, -1.26, -0.65]),
                                        np.array([0.03, 1.42, -1.19])), 1),
    (array_from_a_constant_dict_item, (-0.65, np.array([0.99, 1.24, 0.0])), 1),
    (constant_rows_in_containers, (0.8, np.array([0.3, -1.2, 0.7])), 0),
    (constant_rows_in_containers, (0.8, np.array([0.3, -1.2, 0.7])), 1),
]


@pytest.mark.parametrize('function, args, index', FORWARD_CASES)
@pytest.mark.parametrize('optimized', [True, False])
def test_a_constant_item_has_a_zero_tangent_of_its_own_structure(function, args, index,
                                                                  optimized):
    direction = np.ones_like(args[index]) * 0.7
    derivative = tangent.autodiff(function, wrt=(index,), mode='forward',
                                  optimized=optimized)
    assert_close(derivative(*args, direction),
                 numerical_jvp(function, list(args), index, direction))


@pytest.mark.parametrize('function, args, index', FORWARD_CASES)
def test_a_constant_item_in_reverse_mode(function, args, index):
    assert_close(tangent.grad(function, wrt=(index,))(*args),
                 numerical_grad(function, list(args), index))


# Campaign of seed 2030, program #11340: a dict item holding an array was
# overwritten; its gradient was reset to the float 0.0, so reading it back for
# the array it held raised in add_at. An overwritten item's gradient is now a
# zero of the old item's structure.

def dict_item_overwritten(v0):
    d7 = {'p': v0, 'q': v0 / (1.5 + np.cos(np.sum(v0))), 'r': v0[1] - np.array([1.0, 2.0, 3.0])}
    d7['p'] = d7['q']
    v0 = d7['p'] * d7['p'] + d7['r']
    return np.sum(v0)


def list_item_overwritten_by_a_scalar_multiple(v, x):
    items = [v * x, x * 2.0]
    first = items[0]
    items[0] = items[0] * x
    return np.sum(items[0] * first) + items[1]


def list_item_written_in_a_loop(v, x):
    items = [v, v * x]
    for i in range(3):
        items[i % 2] = items[(i + 1) % 2] * x + v
    return np.sum(items[0] * items[1])


def dict_item_replaced_by_a_scalar(v, x):
    d = {'a': v * x, 'b': x}
    total = np.sum(d['a'])
    d['a'] = x * x
    return total + d['a'] * d['b']


OVERWRITTEN_ITEMS = [
    (dict_item_overwritten, (np.array([0.23, 0.71, 1.22]),)),
    (list_item_overwritten_by_a_scalar_multiple, (np.array([0.3, -0.4]), 0.7)),
    (list_item_written_in_a_loop, (np.array([0.3, -0.4, 0.5]), 0.9)),
    (dict_item_replaced_by_a_scalar, (np.array([0.3, -0.4]), 1.3)),
]


@pytest.mark.parametrize('function, args', OVERWRITTEN_ITEMS,
                         ids=[case[0].__name__ for case in OVERWRITTEN_ITEMS])
@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('optimized', [True, False])
def test_an_overwritten_container_item_has_a_zero_gradient_of_its_own_structure(
        function, args, motion, optimized):
    for index in range(len(args)):
        derivative = tangent.autodiff(function, wrt=(index,), motion=motion,
                                      optimized=optimized)
        gradient = derivative(*args, 1.0)
        assert_close(gradient, numerical_grad(function, list(args), index))
        assert np.shape(gradient) == np.shape(args[index])

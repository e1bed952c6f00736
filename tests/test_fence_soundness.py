"""Soundness of the fence (issue 18): a derivative is right or the call raises.

Covers code that reads the frame (eval, locals, ...), functions returning None,
``+=`` through an alias, methods gathering ``*args`` on an object argument, and
index reads that are numbers rather than aliases.
"""

import builtins
import inspect
import sys

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import tangent
from tangent.errors import ReturnedNoneError
from tests.reference import assert_close, numerical_grad

MODES = ['joint', 'split', 'forward']


def derivative(f, mode, wrt=0):
    """A function of f's arguments returning the derivative in argument ``wrt``
    (a seed of ones for reverse mode, the sum of the tangents in forward mode)."""
    if mode == 'forward':
        df = tangent.autodiff(f, wrt=(wrt,), mode='forward')

        def forward(*args):
            x = args[wrt]
            if np.ndim(x) == 0:
                return df(*args, 1.0)
            basis = np.eye(np.size(x)).reshape((np.size(x),) + np.shape(x))
            return np.array([df(*args, e) for e in basis]).reshape(np.shape(x))
        return forward
    return tangent.autodiff(f, wrt=(wrt,), motion=mode,
                            input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)


def line_of(function, text):
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


# ---------------------------------------------------------------------------
# (9) Code that reads the frame or runs source text.

def uses_eval(x):
    return eval('x * 2.0')


def uses_exec(x):
    exec('y = x')
    return x * 2.0


def uses_locals(x):
    y = x * 2.0
    return locals()['y']


def uses_globals(x):
    return globals()['np'].sin(x)


def uses_vars(x):
    y = x * 3.0
    return vars()['y']


class Box:
    def __init__(self, v):
        self.v = v


def uses_vars_of_object(x, box):
    return vars(box)['v'] * x


def uses_compile(x):
    return eval(compile('x * x', '<s>', 'eval'))


def uses_import(x):
    return __import__('math').sin(x)


def uses_getframe(x):
    return sys._getframe().f_locals['x'] * 1.0


def uses_currentframe(x):
    return inspect.currentframe().f_locals['x'] * 1.0


EVAL = eval


def uses_global_alias(x):
    return EVAL('x * x')


def uses_local_alias(x):
    e = eval
    return e('x * x')


def uses_builtins_eval(x):
    return builtins.eval('x * x')


def evaluating_helper(v):
    return eval('v * 3.0')


def calls_evaluating_helper(x):
    return evaluating_helper(x) + x


def uses_eval_in_lambda(x):
    g = lambda v: eval('v * v')  # noqa: E731
    return g(x)


def uses_eval_in_nested_def(x):
    def inner(v):
        return eval('v * v')
    return inner(x)


def uses_setattr(x, box):
    setattr(box, 'v', x)
    return x * box.v


FRAME_READERS = [
    (uses_eval, 'eval', "eval('x * 2.0')"),
    (uses_exec, 'exec', "exec('"),
    (uses_locals, r'locals\(\)', 'locals()'),
    (uses_globals, r'globals\(\)', 'globals()'),
    (uses_vars, r'vars\(\)', 'vars()'),
    (uses_compile, 'compile', "compile('"),
    (uses_import, '__import__', '__import__('),
    (uses_getframe, 'sys._getframe', 'sys._getframe'),
    (uses_currentframe, 'inspect.currentframe', 'inspect.currentframe'),
    (uses_global_alias, 'eval', "EVAL('x * x')"),
    (uses_local_alias, 'eval', 'e = eval'),
    (uses_builtins_eval, 'eval', 'builtins.eval'),
    (uses_eval_in_lambda, 'eval', 'g = lambda'),
    (uses_eval_in_nested_def, 'eval', "return eval('v * v')"),
]


@pytest.mark.parametrize('function,construct,text', FRAME_READERS,
                         ids=[f.__name__ for f, _, _ in FRAME_READERS])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_frame_readers_are_fenced(function, construct, text, mode):
    with pytest.raises(tangent.TangentParseError, match=construct) as raised:
        tangent.autodiff(function, mode=mode)
    error = raised.value
    assert error.filename == __file__
    assert error.lineno == line_of(function, text)
    assert 'reads the frame' in str(error) and 'instead of vars(obj)' in str(error)


def test_frame_reader_in_a_helper_is_fenced_with_the_helpers_line():
    with pytest.raises(tangent.TangentParseError, match='eval') as raised:
        tangent.grad(calls_evaluating_helper)(2.0)
    assert raised.value.lineno == line_of(evaluating_helper, 'eval(')
    assert 'evaluating_helper' in str(raised.value)


def test_vars_of_an_object_and_setattr_are_fenced():
    with pytest.raises(tangent.TangentParseError, match=r'vars\(\)'):
        tangent.grad(uses_vars_of_object)
    with pytest.raises(tangent.TangentParseError, match='setattr: assignment to an attribute'):
        tangent.grad(uses_setattr)


# ---------------------------------------------------------------------------
# (10) Functions returning None.

def forgets_return(x):
    y = x * x  # noqa: F841


def returns_nothing(x):
    y = x * x  # noqa: F841
    return


def returns_none(x):
    return None


def returns_on_one_branch(x):
    if x > 0.0:
        return x * x


def returns_none_on_one_branch(x):
    if x > 0.0:
        return x * x
    return


def returns_none_on_else(x):
    y = x * 3.0
    if x > 0.0:
        y = y * x
    else:
        return None
    return y


STATIC_NONE = [(forgets_return, 'no return statement'), (returns_nothing, 'return without'),
               (returns_none, 'return without')]


@pytest.mark.parametrize('function,why', STATIC_NONE, ids=[f.__name__ for f, _ in STATIC_NONE])
@pytest.mark.parametrize('entry', ['grad', 'split', 'forward', 'jvp', 'vjp'])
def test_function_returning_none_is_an_error_when_differentiated(function, why, entry):
    calls = {
        'grad': lambda: tangent.grad(function),
        'split': lambda: tangent.autodiff(function, motion='split'),
        'forward': lambda: tangent.autodiff(function, mode='forward'),
        'jvp': lambda: tangent.jvp(function),
        'vjp': lambda: tangent.vjp(function),
    }
    with pytest.raises(tangent.TangentParseError, match=why) as raised:
        calls[entry]()
    message = str(raised.value)
    assert function.__name__ in message and 'returns None' in message
    assert 'needs a returned value' in message
    assert raised.value.filename == __file__


RUNTIME_NONE = [(returns_on_one_branch, 'return x * x'),
                (returns_none_on_one_branch, 'return\n'),
                (returns_none_on_else, 'return None')]


@pytest.mark.parametrize('function,text', RUNTIME_NONE, ids=[f.__name__ for f, _ in RUNTIME_NONE])
@pytest.mark.parametrize('mode', MODES)
def test_a_path_returning_none_raises_when_it_runs(function, text, mode):
    df = derivative(function, mode)
    assert_close(df(1.5), numerical_grad(function, [1.5], 0))
    with pytest.raises(ReturnedNoneError, match='returned None') as raised:
        df(-1.5)
    message = str(raised.value)
    assert function.__name__ in message and 'needs a returned value' in message
    assert f'{__file__}:' in message
    assert isinstance(raised.value, TypeError)


def test_a_path_returning_none_raises_in_vjp_and_higher_order():
    with pytest.raises(ReturnedNoneError):
        tangent.vjp(returns_on_one_branch)(-1.0, 1.0)
    with pytest.raises(ReturnedNoneError):
        tangent.jvp(returns_on_one_branch)(-1.0, 1.0)
    hvp = tangent.autodiff(tangent.autodiff(returns_on_one_branch, check_dims=False),
                           mode='forward', check_dims=False)
    assert_close(hvp(1.5, 1.0, 1.0), 2.0)
    with pytest.raises(ReturnedNoneError):
        hvp(-1.5, 1.0, 1.0)


def test_value_and_result_of_a_path_returning_a_value_is_unchanged():
    df = tangent.grad(returns_none_on_else, preserve_result=True)
    grad, value = df(2.0)
    assert_close(value, 12.0)
    assert_close(grad, 12.0)


# ---------------------------------------------------------------------------
# (11) += through an alias.

def plus_equals_through_alias(y):
    y = y * 1.0
    z = y
    y += 1.0
    return np.sum(z * y)


def plus_equals_through_alias_in_loop(x):
    h = x * 1.0
    saved = h
    for _ in range(2):
        h += saved
    return np.sum(h)


def plus_equals_on_a_row(x):
    m = x * 1.0
    row = m[0]
    row += 1.0
    return np.sum(m)


def plus_equals_on_held_item(x):
    y = x * 1.0
    items = [y]
    y += 1.0
    return np.sum(items[0])


@pytest.mark.parametrize('function', [plus_equals_through_alias,
                                      plus_equals_through_alias_in_loop,
                                      plus_equals_on_a_row, plus_equals_on_held_item])
@pytest.mark.parametrize('mode', MODES)
def test_plus_equals_through_an_alias_of_an_array_raises(function, mode):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(tangent.TangentParseError, match=r'augmented assignment|y \+= v') \
            as raised:
        derivative(function, mode)(x)
    assert raised.value.filename == __file__
    assert 'y = y + v' in str(raised.value)


def plus_equals_alias_of_a_number(x):
    h0 = x * 2.0
    h = h0
    h += x
    return h * h0


def plus_equals_alias_not_read_again(x):
    h0 = x * 2.0
    h = h0
    h += x * x
    return np.sum(h)


def accumulates(x):
    total = 0.0
    s = x * 0.0
    for i in range(3):
        term = x * float(i)
        total += np.sum(term * term)
        s += term
    return total + np.sum(s)


def plus_equals_on_argument(x):
    x += 1.0
    return np.sum(x * x)


def plus_equals_after_copy(x):
    y = x * 1.0
    z = np.copy(y)
    y += 1.0
    return np.sum(z * y)


def plus_equals_on_scalar_read(x):
    v = x * 1.0
    a = v[0]
    a += v[1]
    return a * np.sum(v)


ACCEPTED_AUGMENTED = [
    (plus_equals_alias_of_a_number, 1.5, anp.float64),
    (plus_equals_alias_not_read_again, np.array([1.0, 2.0]), None),
    (accumulates, np.array([1.0, -2.0]), None),
    (plus_equals_on_argument, np.array([1.0, 2.0]), None),
    (plus_equals_after_copy, np.array([1.0, 2.0]), None),
    (plus_equals_on_scalar_read, np.array([1.0, 2.0, 3.0]), None),
]


@pytest.mark.parametrize('function,x,_', ACCEPTED_AUGMENTED,
                         ids=[f.__name__ for f, _, _ in ACCEPTED_AUGMENTED])
@pytest.mark.parametrize('mode', MODES)
def test_safe_plus_equals_is_differentiated_correctly(function, x, _, mode):
    before = np.copy(x)
    expected = numerical_grad(function, [np.copy(x)], 0)
    assert_close(derivative(function, mode)(x), expected)
    np.testing.assert_array_equal(x, before)  # the caller's array is never changed


def test_plus_equals_through_alias_matches_numpy_semantics_when_rewritten():
    def rewritten(y):
        y = y * 1.0
        z = y
        y = y + 1.0
        return np.sum(z * y)
    x = np.array([1.0, 2.0])
    assert_close(tangent.grad(rewritten)(x), autograd.grad(
        lambda y: anp.sum(y * (y + 1.0)))(x))



# += is in place only for a mutable target, and reaches another variable only through
# the same object, a view, or a container holding the target: extending a list leaves
# the items it holds as they were, and a tuple, string or number is rebound.

def tuple_unpacked_then_extended(x):
    t = (x * 1.0, x * 2.0)
    a, b = t
    t += (x * 3.0,)
    return anp.sum(a * b * t[2])


def tuple_renamed_then_extended(x):
    t = (x, x * 2.0)
    u = t
    t += (x * 3.0,)
    return anp.sum(u[1] * t[2])


def list_holding_a_variable_extended(x):
    w = x * 2.0
    items = [w, x]
    items += [x * 3.0]
    return anp.sum(w * items[2])


def list_holding_the_argument_extended(x):
    items = [x]
    items += [x * 2.0]
    return anp.sum(items[1] * x)


def list_extended_in_a_loop(x):
    w = x * 2.0
    items = [w]
    for i in range(3):
        items += [items[i] * x]
    return anp.sum(w * items[3])


def slice_of_a_list_extended(x):
    items = [x, x * 2.0]
    rest = items[1:]
    rest += [x]
    return anp.sum(rest[1] * items[1])


def item_read_then_list_extended(x):
    items = [x * 1.0, x * 2.0]
    first = items[0]
    items += [x * 3.0]
    return anp.sum(first * items[2])


def loop_over_items_then_list_extended(x):
    items = [x, x * 2.0]
    total = 0.0
    for v in items:
        total = total + anp.sum(v * v)
    items += [x * 3.0]
    return total + anp.sum(items[2] * x)


def inner_list_read_then_outer_extended(x):
    outer = [[x * 1.0]]
    inner = outer[0]
    outer += [[x * 2.0]]
    return anp.sum(inner[0] * outer[1][0])


ACCEPTED_IN_PLACE = [tuple_unpacked_then_extended, tuple_renamed_then_extended,
                     list_holding_a_variable_extended, list_holding_the_argument_extended,
                     list_extended_in_a_loop, slice_of_a_list_extended,
                     item_read_then_list_extended, loop_over_items_then_list_extended,
                     inner_list_read_then_outer_extended]


@pytest.mark.parametrize('function', ACCEPTED_IN_PLACE, ids=lambda f: f.__name__)
@pytest.mark.parametrize('mode', MODES)
def test_plus_equals_that_changes_no_other_variable_is_differentiated(function, mode):
    x = np.array([1.0, -2.0])
    expected = autograd.grad(function)(np.copy(x))
    assert_close(derivative(function, mode)(np.copy(x)), expected)
    assert_close(expected, numerical_grad(function, [np.copy(x)], 0))


def plus_equals_on_a_list_renamed(x):
    items = [x * 1.0]
    same = items
    items += [x * 2.0]
    return np.sum(same[1] * x)


def plus_equals_on_an_inner_list(x):
    outer = [[x * 1.0]]
    inner = outer[0]
    inner += [x * 2.0]
    return np.sum(outer[0][1] * x)


def plus_equals_on_a_list_in_a_dict(x):
    d = {'k': [x * 1.0]}
    items = d['k']
    items += [x * 2.0]
    return np.sum(d['k'][1] * x)


def plus_equals_on_a_slice_of_an_array(x):
    y = x * 1.0
    tail = y[1:]
    tail += 1.0
    return np.sum(y * y)


def plus_equals_on_a_transpose(x):
    y = x * 1.0
    t = y.T
    t += 1.0
    return np.sum(y * y)


def plus_equals_on_an_item_of_a_held_list(x):
    y = x * 1.0
    items = [y]
    z = items[0]
    z += 1.0
    return np.sum(y * y)


def plus_equals_on_whole_with_a_row_read_after(x):
    m = x * 1.0
    row = m[0]
    m += 1.0
    return np.sum(row * row)


def plus_equals_on_whole_with_a_renamed_row_read_after(x):
    m = x * 1.0
    row = m[0]
    r = row
    m += 1.0
    return np.sum(r * r)


def plus_equals_on_loop_rows(x):
    m = x * 1.0
    for row in m:
        row += 1.0
    return np.sum(m * m)


@pytest.mark.parametrize('function', [
    plus_equals_on_a_list_renamed, plus_equals_on_an_inner_list,
    plus_equals_on_a_list_in_a_dict, plus_equals_on_a_slice_of_an_array,
    plus_equals_on_a_transpose, plus_equals_on_an_item_of_a_held_list,
    plus_equals_on_whole_with_a_row_read_after,
    plus_equals_on_whole_with_a_renamed_row_read_after, plus_equals_on_loop_rows],
    ids=lambda f: f.__name__)
@pytest.mark.parametrize('mode', MODES)
def test_plus_equals_that_changes_another_variable_raises(function, mode):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(tangent.TangentParseError, match=r'augmented assignment') as raised:
        derivative(function, mode)(x)
    assert raised.value.filename == __file__
    assert raised.value.lineno == line_of(function, '+=')


def test_in_place_checks_raise_only_for_the_kinds_that_change_in_place():
    from tangent import errors
    from tangent.frontend import fence
    where = ('an augmented assignment', 'write y = y + v', 'f.py', 3, 'y += v')
    m = np.ones((2, 2))
    items = [m, [1.0]]
    for value in (1.0, 2, np.float64(1.0), (m,), 'text'):  # += rebinds these
        errors.check_not_aliased(value, 'y', *where)
        fence.check_part_not_shared(value, items, 'y', *where)
    for value in (m, [m], {'k': m}):  # += changes these in place
        with pytest.raises(tangent.TangentParseError):
            errors.check_not_aliased(value, 'y', *where)
    # a part += v: raises for an item or a view, not for a copy
    for part, whole in ((m[0], m), (m.T, m), (items[1], items), (m, (m, 1.0)),
                        (items[1], {'k': items[1]})):
        with pytest.raises(tangent.TangentParseError):
            fence.check_part_not_shared(part, whole, 'y', *where)
    for part, whole in ((m[[0, 1]], m), (items[1:], items), (m[0, 0], m)):
        fence.check_part_not_shared(part, whole, 'y', *where)
    # the whole changes in place: raises only for a view of an array
    with pytest.raises(tangent.TangentParseError, match='is a view'):
        fence.check_not_view_of(m[0], m, 'row', *where)
    for part, whole in ((m, items), (m[0, 0], m), (m[[0]], m), (m, (m,))):
        fence.check_not_view_of(part, whole, 'row', *where)

# ---------------------------------------------------------------------------
# (12) Methods gathering *args on an object passed as an argument.

class Scaler:
    def __init__(self, v):
        self.v = v

    def scale(self, *args):
        return self.v * args[0]

    def weighted(self, a, *rest, power=2, shift=0.0):
        return self.v * a ** power + sum(rest) + shift

    @staticmethod
    def static_product(*args):
        return args[0] * args[1]

    @classmethod
    def class_sum(cls, *args, factor=3.0):
        return factor * (args[0] + args[1] * args[1])

    def __call__(self, *args):
        return self.v * args[0] * args[1]


SCALER = Scaler(3.0)


def method_with_star_args(x, n):
    return n.scale(x)


def method_with_rest_and_keywords(x, n):
    return n.weighted(x, x * x, 2.0, power=3)


def method_with_defaults(x, n):
    return n.weighted(x, x)


def static_method_with_star_args(x, n):
    return n.static_product(x, x + 1.0)


def class_method_with_star_args(x, n):
    return n.class_sum(x, x, factor=2.0)


def callable_instance_with_star_args(x, n):
    return n(x, x * 2.0)


def global_object_with_star_args(x, n):
    return SCALER.scale(x) + SCALER(x, x) + Scaler.static_product(x, x)


STAR_METHODS = [method_with_star_args, method_with_rest_and_keywords, method_with_defaults,
                static_method_with_star_args, class_method_with_star_args,
                callable_instance_with_star_args, global_object_with_star_args]


@pytest.mark.parametrize('function', STAR_METHODS, ids=[f.__name__ for f in STAR_METHODS])
@pytest.mark.parametrize('mode', MODES)
def test_methods_gathering_star_args_read_the_right_receiver(function, mode):
    n = Scaler(3.0)
    expected = numerical_grad(lambda x: function(x, n), [1.7], 0)
    assert_close(derivative(function, mode)(1.7, n), expected)
    other = Scaler(-0.5)  # a second object of the class: its own attributes are read
    expected = numerical_grad(lambda x: function(x, other), [1.7], 0)
    assert_close(derivative(function, mode)(1.7, other), expected)


# ---------------------------------------------------------------------------
# (14) A scalar read is not an alias.

def product_into_first(x0):
    x = np.copy(x0)
    a = x[0]
    b = x[1]
    x[0] = a * b
    return np.sum(x * x)


def self_assignment_then_write(w, i):
    w = w
    w[i] = w[i] * w[0]
    return np.sum(w * w)


def scalar_reads_in_a_loop(x0):
    x = np.copy(x0)
    for i in range(1, 3):
        prev = x[i - 1]
        x[i] = x[i] * prev
    return np.sum(x)


def row_then_write(m0):
    m = np.copy(m0)
    row = m[0]
    m[0, 1] = 5.0
    return np.sum(row * m)


def rows_unpacked_then_write(m0):
    m = np.copy(m0)
    a, b = m
    m[1, 0] = 0.0
    return np.sum(a * b)


def loop_rows_then_write(m0):
    m = np.copy(m0)
    total = 0.0
    for row in m:
        m[0, 0] = 1.0
        total = total + np.sum(row)
    return total


def autograd_product_into_first(x0):
    return (x0[0] * x0[1]) ** 2 + anp.sum(x0[1:] ** 2)


@pytest.mark.parametrize('mode', MODES)
def test_scalar_reads_then_write_are_differentiated(mode):
    x = np.array([2.0, 3.0, -1.0])
    expected = autograd.grad(autograd_product_into_first)(x)
    assert_close(derivative(product_into_first, mode)(x), expected)
    assert_close(derivative(scalar_reads_in_a_loop, mode)(x),
                 numerical_grad(scalar_reads_in_a_loop, [x], 0))


@pytest.mark.parametrize('mode', MODES)
def test_self_assignment_is_not_an_alias(mode):
    w = np.array([2.0, 3.0, -1.0])
    expected = numerical_grad(lambda v: self_assignment_then_write(np.copy(v), 1), [w], 0)
    assert_close(derivative(self_assignment_then_write, mode)(np.copy(w), 1), expected)


@pytest.mark.parametrize('function,text', [(row_then_write, 'row = m[0]'),
                                           (rows_unpacked_then_write, 'a, b = m'),
                                           (loop_rows_then_write, 'for row in m')])
@pytest.mark.parametrize('mode', MODES)
def test_a_row_of_a_matrix_is_a_view_and_the_write_raises(function, text, mode):
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(tangent.TangentParseError, match='another variable also refers to') \
            as raised:
        derivative(function, mode)(m)
    assert 'is a view' in str(raised.value)
    assert raised.value.filename == __file__


def test_whole_alias_write_is_still_rejected_statically():
    def aliased(x0):
        x = np.copy(x0)
        y = x
        y[0] = 2.0
        return np.sum(x)
    with pytest.raises(tangent.TangentParseError, match='another variable also refers to'):
        tangent.grad(aliased)

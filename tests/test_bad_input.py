"""Bad input gives a clear error: unsupported syntax, a call with no
derivative, a non-function, a wrt out of range, a function without source."""

import inspect
import operator
from pathlib import Path

import random

import numpy as np
import pytest

import tangent
from tangent.frontend import fence


def with_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def with_with(x):
    with open('/dev/null') as handle:
        y = x * 2.0
    return y + len(handle.name)


def with_yield(x):
    yield x * 2.0


async def with_async(x):
    return x * 2.0


COUNTER = 0


def with_global(x):
    global COUNTER
    COUNTER = 1
    return x * 2.0


def with_nonlocal(x):
    total = x

    def inner():
        nonlocal total
        total = total * 2.0
    inner()
    return total


def with_del(x):
    y = x * 2.0
    del y
    return x


def with_class(x):
    class Local:
        pass
    return x * 2.0


def with_import(x):
    import math
    return math.sin(x)


def with_star_target(x):
    a, *rest = [x, x, x]  # noqa: F841 - the construct under test
    return a


def with_walrus(x):
    if (y := x * 2.0) > 1.0:
        return y
    return x


def with_match(x):
    match x:
        case 1.0:
            y = x
        case _:
            y = x * 2.0
    return y


class Box:
    value = 0.0


BOX = Box()


def with_attribute_write(x):
    BOX.value = x
    return x * 2.0


def with_set_comprehension(x):
    return len({i for i in range(3)}) * x


def with_for_else(x):
    for i in range(3):
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def with_while_else(x):
    i = 0
    while i < 3:
        i = i + 1
    else:
        x = x + 1.0
    return x


def with_return_in_loop(x):
    for i in range(3):
        if x > 1.0:
            return x
        x = x * 2.0
    return x


def with_kwargs_call(x):
    options = {'axis': 0}
    return np.sum(x, **options)


def with_yield_from(x):
    yield from [x]


def with_nested_subscript_write(x):
    rows = [[x, x], [x, x]]
    rows[0][1] = x * 2.0
    return rows[0][1]


GLOBAL_BUFFER = np.zeros(3)


def with_global_container_write(x):
    GLOBAL_BUFFER[0] = x
    return np.sum(GLOBAL_BUFFER * x)


def with_global_list_append(x):
    GLOBAL_LIST.append(x)
    return x * 2.0


GLOBAL_LIST = []


def with_aliased_write(x):
    y = x
    y[1] = 5.0
    return np.sum(x * y)


def with_view_write(m):
    row = m[0]
    row[1] = 5.0
    return np.sum(m * m)


def with_in_place_sort(x):
    y = x * 2.0
    y.sort()
    return y[0] * x[0]


def with_out_argument(x):
    y = np.zeros(3)
    np.exp(x, out=y)
    return np.sum(y)


def with_copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y * y)


# Shuffling in place permutes the values without the derivative following them.
SHUFFLER = np.random.RandomState(1)


def with_numpy_shuffle(x):
    y = x * 1.0
    np.random.shuffle(y)
    return np.sum(y * np.arange(3.0))


def with_global_generator_shuffle(x):
    y = x * 1.0
    SHUFFLER.shuffle(y)
    return np.sum(y * np.arange(3.0))


def with_argument_generator_shuffle(x, rs=SHUFFLER):
    y = x * 1.0
    rs.shuffle(y)
    return np.sum(y * np.arange(3.0))


def with_python_shuffle(x):
    y = [x[0], x[1]]
    random.shuffle(y)
    return y[0] * 2.0 + y[1]


def with_flat_write(x):
    y = np.zeros(3)
    y.flat[0] = x[0] * 3.0
    return np.sum(y * y)


def with_transpose_write(x):
    y = x * 1.0
    y.T[0] = 5.0
    return np.sum(y * y)


def with_operator_setitem(x):
    y = np.zeros(3)
    operator.setitem(y, 0, x[0] * 3.0)
    return np.sum(y * y)


def with_operator_iadd(x):
    y = x * 1.0
    operator.iadd(y, x)
    return np.sum(y * y)


def with_dunder_setitem(x):
    y = np.zeros(3)
    y.__setitem__(0, x[0] * 3.0)
    return np.sum(y * y)


def with_dunder_iadd(x):
    y = [x[0], x[1]]
    y.__iadd__([x[2]])
    return y[0] + y[2] * 2.0


UNSUPPORTED = [
    (with_try, 'try'), (with_with, 'with'), (with_yield, 'yield'),
    (with_global, 'global'), (with_nonlocal, 'nonlocal'), (with_del, 'del'),
    (with_class, 'class'), (with_import, 'import'), (with_star_target, 'starred'),
    (with_walrus, 'assignment expression'), (with_match, 'match'),
    (with_attribute_write, 'attribute'), (with_set_comprehension, 'set comprehension'),
    (with_for_else, 'for ... else'),
    (with_while_else, 'while ... else'), (with_return_in_loop, 'return inside a loop'),
    (with_kwargs_call, r'\*\*kwargs call'), (with_yield_from, 'yield from'),
    (with_nested_subscript_write, 'nested subscript'),
    (with_global_container_write, 'global or closure variable'),
    (with_global_list_append, 'global or closure variable'),
    (with_aliased_write, 'another variable also refers to'),
    (with_view_write, 'another variable also refers to'),
    (with_in_place_sort, 'in place'), (with_out_argument, 'in place'),
    (with_copyto, 'in place'), (with_numpy_shuffle, 'in place'),
    (with_global_generator_shuffle, 'in place'), (with_argument_generator_shuffle, 'in place'),
    (with_python_shuffle, 'in place'), (with_flat_write, 'subscript of an attribute'),
    (with_transpose_write, 'subscript of an attribute'), (with_operator_setitem, 'in place'),
    (with_operator_iadd, 'in place'), (with_dunder_setitem, 'in place'),
    (with_dunder_iadd, 'in place'),
]


@pytest.mark.parametrize('function,construct', UNSUPPORTED,
                         ids=[f.__name__ for f, _ in UNSUPPORTED])
def test_unsupported_syntax_names_construct_file_and_line(function, construct):
    with pytest.raises(tangent.TangentParseError, match=construct) as raised:
        tangent.grad(function)
    error = raised.value
    assert isinstance(error, SyntaxError)
    assert error.filename == __file__
    lines, first = inspect.getsourcelines(function)
    assert first <= error.lineno < first + len(lines)
    assert error.text and error.text.strip()
    assert 'not supported' in str(error)


def test_async_function_is_rejected():
    with pytest.raises(tangent.TangentParseError, match='async'):
        tangent.grad(with_async)


def test_every_fenced_construct_has_a_way_out():
    for name, way_out in fence.unsupported_constructs():
        assert name and way_out and way_out[0].islower()


def opaque(x):
    return x


opaque_builtin = np.frompyfunc(lambda v: v * 2.0, 1, 1)


def calls_a_ufunc_without_rules(x):
    return opaque_builtin(x) * 2.0


def test_call_without_derivative_names_it_and_how_to_register():
    with pytest.raises(tangent.ReverseNotImplementedError) as raised:
        tangent.grad(calls_a_ufunc_without_rules)
    message = str(raised.value)
    assert 'tangent.grads.adjoint' in message
    assert 'non_differentiable' in message
    assert 'test_bad_input.py' in message


def test_forward_mode_missing_rule_is_named():
    with pytest.raises(tangent.ForwardNotImplementedError, match='tangent_'):
        tangent.autodiff(calls_a_ufunc_without_rules, mode='forward')


def test_non_function_is_a_type_error():
    with pytest.raises(TypeError, match='function'):
        tangent.grad(3.0)
    with pytest.raises(TypeError):
        tangent.grad(np.sin)


def test_wrt_out_of_range_is_a_value_error():
    with pytest.raises(ValueError, match='wrt'):
        tangent.grad(opaque, wrt=(1,))


def test_function_without_source_says_so():
    namespace = {}
    exec('def made_by_exec(x):\n    return x * 2.0\n', namespace)
    with pytest.raises(Exception, match='made_by_exec') as raised:
        tangent.grad(namespace['made_by_exec'])
    assert 'source' in str(raised.value)


def test_recursion_is_a_clear_error():
    def recursive(x):
        if x > 1.0:
            return recursive(x * 0.5)
        return x
    with pytest.raises(tangent.TangentParseError, match='recursion'):
        tangent.grad(recursive)(4.0)


def test_unknown_method_on_a_local_is_an_error_not_a_zero():
    def uses_unknown_method(x):
        y = x * 2.0
        return y.frobnicate()
    with pytest.raises(tangent.ReverseNotImplementedError, match='frobnicate'):
        tangent.grad(uses_unknown_method)


class Scaled:
    def __init__(self, weight):
        self.weight = weight

    def __call__(self, x):
        return np.tanh(self.weight * x)


LAYERS = [Scaled(0.5), Scaled(-1.5)]


def first_layer(layers):
    return layers[0]


def calls_an_object_a_call_returns(x):
    layer = first_layer(LAYERS)
    return layer(x)


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_callee_known_only_at_run_time_says_how_to_name_it(mode):
    error = {'reverse': tangent.ReverseNotImplementedError,
             'forward': tangent.ForwardNotImplementedError}[mode]
    with pytest.raises(error, match='layer') as raised:
        tangent.autodiff(calls_an_object_a_call_returns, mode=mode)
    message = str(raised.value)
    assert 'only known when the code runs' in message and 'list argument' in message
    assert 'test_bad_input.py' in message


def test_the_python_subset_page_lists_every_fenced_construct():
    page = (Path(__file__).parent.parent / 'docs' / 'python_subset.md').read_text()
    unsupported = page[page.index('## Unsupported'):]
    rows = {line.split('|')[1].strip() for line in unsupported.splitlines()
            if line.startswith('| ') and not line.startswith('| Construct')}
    fenced = {construct for construct, _ in fence.unsupported_constructs()}
    assert fenced == rows, (f'missing from the page: {sorted(fenced - rows)}; '
                            f'on the page but not fenced: {sorted(rows - fenced)}')

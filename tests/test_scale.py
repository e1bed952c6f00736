"""Programs as large as Python compiles: deep expressions, long functions.

Every gradient is compared with central finite differences of the program
itself. The sizes are the ones the issue names where they are cheap (2,000
terms, calls nested 190 deep) and smaller where building takes seconds (long
straight-line functions); `benchmarks/scale.py` measures the large sizes.
"""

import ast
import itertools
import textwrap

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent
from tangent.syntax import shallow

_counter = itertools.count()


def function_from_source(source, tmp_path, name='f', namespace=None):
    """A function defined in a real file, so that tangent can read its source."""
    path = tmp_path / f'scale_{next(_counter)}.py'
    path.write_text(source)
    scope = {'np': np, **(namespace or {})}
    exec(compile(source, str(path), 'exec'), scope)
    return scope[name]


def sum_of_terms(count):
    terms = ' + '.join(f'x * {i}.0' for i in range(count))
    return f'def f(x):\n    return {terms}\n'


def nested_calls(depth):
    return 'def f(x):\n    return ' + 'np.sin(' * depth + 'x' + ')' * depth + '\n'


def straight_line(count):
    body = ''.join('    y = y * 0.999 + np.sin(x) * 0.001\n' for _ in range(count))
    return f'def f(x):\n    y = x\n{body}    return y\n'


@pytest.mark.parametrize('source', [sum_of_terms(2000), nested_calls(190)],
                         ids=['sum of 2000 terms', 'calls nested 190 deep'])
def test_deep_expressions_in_reverse_mode(source, tmp_path):
    f = function_from_source(source, tmp_path)
    assert_close(tangent.grad(f)(0.3), numerical_grad(f, [0.3], 0))


@pytest.mark.parametrize('source', [sum_of_terms(2000), nested_calls(190)],
                         ids=['sum of 2000 terms', 'calls nested 190 deep'])
def test_deep_expressions_in_forward_mode(source, tmp_path):
    f = function_from_source(source, tmp_path)
    derivative = tangent.autodiff(f, mode='forward')
    assert_close(derivative(0.3, 1.0), numerical_jvp(f, [0.3], 0, 1.0))


def test_deep_expression_on_arrays(tmp_path):
    source = 'def f(x):\n    return np.sum(' + ' + '.join(
        f'np.tanh(x * {i / 100:.2f})' for i in range(400)) + ')\n'
    f = function_from_source(source, tmp_path)
    x = np.array([0.3, -0.7, 1.1])
    assert_close(tangent.grad(f)(x), numerical_grad(f, [x], 0))


def test_a_long_straight_line_function(tmp_path):
    f = function_from_source(straight_line(1000), tmp_path)
    assert_close(tangent.grad(f)(0.4), numerical_grad(f, [0.4], 0))


def test_a_long_function_in_split_motion_and_forward_mode(tmp_path):
    f = function_from_source(straight_line(300), tmp_path)
    split = tangent.autodiff(f, motion='split',
                             input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(split(0.4), numerical_grad(f, [0.4], 0))
    forward = tangent.autodiff(f, mode='forward')
    assert_close(forward(0.4, 1.0), numerical_jvp(f, [0.4], 0, 1.0))


def test_the_optimizer_builds_no_deep_expression(tmp_path):
    """Inlining single-use temporaries must not turn a chain of statements into
    one nested expression (it did: 400 statements raised RecursionError)."""
    f = function_from_source(straight_line(400), tmp_path)
    derivative = tangent.grad(f)
    tree = ast.parse(textwrap.dedent(tangent.getsource(derivative))
                     if hasattr(tangent, 'getsource') else
                     textwrap.dedent(__import__('inspect').getsource(derivative)))
    assert shallow._deepest(tree) < 40
    assert_close(derivative(0.4), numerical_grad(f, [0.4], 0))


# The split keeps what the function computes, and the order it computes it in.

def evaluated_in_order(source, splits_everything=True):
    """The value and the call order of ``f()`` as Python runs the source, and as
    it runs after the split."""
    results = []
    for split in (False, True):
        tree = ast.parse(source)
        if split:
            still_deep = shallow.split_deep_expressions(tree)
            if splits_everything:
                assert still_deep is None
                assert shallow._deepest(tree) <= 2 * shallow.MAX_DEPTH
        calls = []

        def r(k, value=1.0):
            calls.append(k)
            return value

        scope = {'r': r, 'np': np}
        exec(compile(ast.fix_missing_locations(tree), '<split>', 'exec'), scope)
        results.append((scope['f'](), calls))
    return results


def right_deep(depth):
    expression = 'r(0)'
    for k in range(1, depth):
        expression = f'r({k}) + ({expression})'
    return expression


ORDER_CASES = {
    'left-deep sum of calls': ' + '.join(f'r({k})' for k in range(300)),
    'right-deep sum of calls': right_deep(180),
    'nested calls': 'r(0, ' * 180 + '2.0' + ')' * 180,
    'calls beside a deep keyword': 'r(-1, value=' + right_deep(150) + ')',
    'a dict display': '{"a": r(-2), "b": ' + right_deep(150) + ', "c": r(-3)}["b"]',
    'a spread before a deep operand':
        'sum([*[r(-1), r(-2)], ' + right_deep(150) + '])',
    'a chained comparison': '(r(-1) < ' + right_deep(150) + ' < r(-2, 1e9))',
    'a conditional before a deep operand':
        '(r(-1) if r(-2) else r(-3)) + ' + right_deep(150),
    'a short-circuit before a deep operand': '(r(-1, 0.0) or r(-2)) + ' + right_deep(150),
    'a subscript of a deep list': '[' + right_deep(150) + ', r(-1)][r(-2, 0)]',
}


@pytest.mark.parametrize('expression', ORDER_CASES.values(), ids=ORDER_CASES.keys())
def test_the_split_keeps_values_and_evaluation_order(expression):
    source = f'def f():\n    y = {expression}\n    return y\n'
    (expected, expected_calls), (actual, actual_calls) = evaluated_in_order(source)
    assert actual == expected
    assert actual_calls == expected_calls


@pytest.mark.parametrize('statement', [
    'return {e}', 'if ({e}) > 0:\n        return 1.0\n    return 0.0',
    'for v in [{e}]:\n        return v\n    return 0.0', 'y = 0.0\n    y += {e}\n    return y',
    'r({e})\n    return 0.0'])
def test_every_statement_that_evaluates_once_is_split(statement):
    source = 'def f():\n    ' + statement.format(e=right_deep(180)) + '\n'
    (expected, expected_calls), (actual, actual_calls) = evaluated_in_order(source)
    assert (actual, actual_calls) == (expected, expected_calls)


def test_a_deep_expression_tangent_cannot_split_is_a_clear_error(tmp_path):
    source = 'def f(x):\n    g = lambda v: ' + ' + '.join(['v'] * 400) + '\n    return g(x)\n'
    f = function_from_source(source, tmp_path)
    with pytest.raises(tangent.TangentParseError, match='nested more than .* levels deep'):
        tangent.grad(f)


@pytest.mark.parametrize('expression', [
    '(' + right_deep(150) + ') if r(-1) else r(-2)',
    'r(-1, 0.0) if r(-2, 0.0) else (' + right_deep(150) + ')',
    '(' + right_deep(150) + ') and r(-1)',
    'r(-1, 0.0) and (' + right_deep(150) + ')',
    'r(-1, 5.0) < r(-2, 1.0) < (' + right_deep(150) + ')',
    '(lambda: ' + right_deep(60) + ')()',
    'sum(r(k) + (' + right_deep(60) + ') for k in range(2))',
], ids=['deep branch', 'deep test', 'deep first operand', 'deep second operand',
        'deep third comparand', 'lambda', 'generator'])
def test_what_runs_conditionally_or_repeatedly_is_not_moved(expression):
    source = f'def f():\n    y = r(-9) + ({expression})\n    return y\n'
    (expected, expected_calls), (actual, actual_calls) = evaluated_in_order(
        source, splits_everything=False)
    assert (actual, actual_calls) == (expected, expected_calls)


def test_a_deep_while_test_is_a_clear_error(tmp_path):
    """A while test runs again each iteration: it cannot be split before the loop."""
    source = ('def f(x):\n    y = x\n    while (' + ' + '.join(['y'] * 400)
              + ') < 1.0:\n        y = y + 1.0\n    return y\n')
    f = function_from_source(source, tmp_path)
    with pytest.raises(tangent.TangentParseError, match='nested more than .* levels deep'):
        tangent.grad(f)

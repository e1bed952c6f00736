"""Reading a function's source without the tokenizer gives what inspect gives."""

import importlib
import inspect
import sys
import textwrap

import pytest

from tangent.syntax import quoting

TRICKY = '''
import functools


def decorate(f):
    @functools.wraps(f)
    def wrapper(*args):
        return f(*args)
    return wrapper


def comment_at_column_zero(x):
    y = x * 2.0
# a comment at the margin, inside the function
    return y


def string_at_column_zero(x):
    text = """
not the end of the function
"""
    return x * len(text)


def continued(x):
    y = x + \\
2.0
    return y


def bracketed(x):
    y = max(x,
1.0)
    return y


@decorate
@decorate
def decorated_twice(x):
    return x * 3.0


class Model:
    @staticmethod
    def method(x):

        return x + 1.0

    # a comment between methods


def after_class(x):
    return x


def last(x):
    return x  # the end of the file
'''


@pytest.fixture(scope='module')
def tricky(tmp_path_factory):
    directory = tmp_path_factory.mktemp('quoting')
    (directory / 'tricky_sources.py').write_text(TRICKY)
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module('tricky_sources')
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop('tricky_sources', None)


@pytest.mark.parametrize('name', ['comment_at_column_zero', 'string_at_column_zero',
                                  'continued', 'bracketed', 'decorated_twice',
                                  'Model.method', 'after_class', 'last', 'decorate'])
def test_the_source_read_by_indentation_is_what_inspect_reads(tricky, name):
    fn = tricky
    for part in name.split('.'):
        fn = getattr(fn, part)
    assert textwrap.dedent(quoting.get_source(fn)).rstrip() == \
        textwrap.dedent(inspect.getsource(fn)).rstrip()


def test_a_function_whose_lines_do_not_parse_alone_falls_back_to_inspect(tricky):
    # The string and the continued lines end the indented block early: the lines
    # found by indentation do not parse, and inspect's answer is used.
    assert quoting._definition_lines(tricky.string_at_column_zero) is None
    assert quoting._definition_lines(tricky.continued) is None
    assert quoting._definition_lines(tricky.comment_at_column_zero) is not None


def test_every_function_of_the_test_suites_reads_the_same():
    modules = [importlib.import_module(name) for name in (
        'test_python_constructs', 'test_calls_soundness', 'test_campaign_regressions',
        'test_current_code', 'test_loop_writes', 'test_sequences', 'test_higher_order')]
    checked = 0
    for module in modules:
        for value in list(vars(module).values()):
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                fast = quoting._definition_lines(value)
                if fast is not None:
                    assert fast.rstrip() == inspect.getsource(value).rstrip(), value
                    checked += 1
    assert checked > 300


class _Documented:

    def method(self, x):
        """A docstring of several lines.

        Its lines keep the method's indentation in the function's constants.
        """
        return x * 2.0


def test_a_method_with_a_docstring_of_several_lines_is_current():
    # The dedented source compiles to other docstring whitespace: not an edit.
    quoting.parse_function(_Documented.method)

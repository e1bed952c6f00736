"""The public calling conventions of API.md, section 1 and 5."""

import functools
import inspect
import json
import subprocess
import sys

import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent import grad_util


def cubed(x):
    cubed_val = x * x * x
    return cubed_val


def two_args(x, y):
    return np.sum(np.sin(x) * y + y * y)


def vector_valued(x):
    return np.sin(x) * 2.0


def straight_line(x):
    a = x * x
    b = np.tanh(a)
    return np.sum(b * x)


X = np.array([0.2, 0.5, 0.9])


def test_input_derivative_is_the_same_enum_at_both_paths():
    assert grad_util.INPUT_DERIVATIVE is tangent.INPUT_DERIVATIVE
    assert {m.name for m in tangent.INPUT_DERIVATIVE} >= {'Required', 'DefaultOne', 'DefaultOnes'}


def test_several_wrt_arguments_come_back_in_wrt_order():
    y = np.array([1.0, -2.0, 0.5])
    dx, dy = tangent.grad(two_args, wrt=(0, 1))(X, y)
    assert_close(dx, numerical_grad(two_args, [X, y], 0))
    assert_close(dy, numerical_grad(two_args, [X, y], 1))
    dy2, dx2 = tangent.grad(two_args, wrt=(1, 0))(X, y)
    assert_close(dx2, dx, rtol=1e-12)
    assert_close(dy2, dy, rtol=1e-12)


def test_single_gradient_is_returned_bare():
    gradient = tangent.grad(straight_line)(X)
    assert isinstance(gradient, np.ndarray)
    assert_close(gradient, numerical_grad(straight_line, [X], 0))


def test_seed_is_named_after_the_returned_variable():
    gradient = tangent.grad(cubed)
    assert 'bcubed_val' in inspect.signature(gradient).parameters
    assert_close(gradient(2.0, bcubed_val=0.5), 0.5 * 12.0)
    assert_close(gradient(2.0, 0.5), 0.5 * 12.0)


def test_required_seed_must_be_given():
    vjp = tangent.autodiff(cubed, input_derivative=tangent.INPUT_DERIVATIVE.Required)
    with pytest.raises(TypeError):
        vjp(2.0)
    assert_close(vjp(2.0, 2.0), 24.0)


def test_default_one_seed():
    gradient = tangent.autodiff(cubed, input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(gradient(1.5), 3 * 1.5 ** 2)


def test_default_ones_seed_for_array_results():
    derivative = tangent.autodiff(vector_valued,
                                  input_derivative=tangent.INPUT_DERIVATIVE.DefaultOnes)
    summed = lambda x: np.sum(vector_valued(x))  # noqa: E731
    assert_close(derivative(X), numerical_grad(summed, [X], 0))


def test_seed_weights_the_outputs_of_a_vector_function():
    seed = np.array([1.0, -3.0, 0.5])
    vjp = tangent.vjp(vector_valued)
    weighted = lambda x: np.sum(vector_valued(x) * seed)  # noqa: E731
    assert_close(vjp(X, seed), numerical_grad(weighted, [X], 0))


def test_check_dims_rejects_a_non_scalar_result():
    with pytest.raises((ValueError, TypeError), match='scalar|shape'):
        tangent.grad(vector_valued)(X)


def test_check_dims_false_accepts_it():
    gradient = tangent.grad(vector_valued, check_dims=False)
    summed = lambda x: np.sum(vector_valued(x))  # noqa: E731
    assert_close(gradient(X), numerical_grad(summed, [X], 0))


def test_preserve_result_appends_the_value():
    dx, dy, value = tangent.grad(two_args, wrt=(0, 1), preserve_result=True)(X, X)
    assert_close(value, two_args(X, X), rtol=1e-12)
    assert_close(dx, numerical_grad(two_args, [X, X], 0))


def test_split_motion_takes_init_grad():
    gradient = tangent.autodiff(cubed, motion='split')
    assert 'init_grad' in inspect.signature(gradient).parameters
    assert_close(gradient(2.0), 12.0)
    assert_close(gradient(2.0, init_grad=2.0), 24.0)


def test_generated_names_follow_the_original():
    gradient = tangent.grad(straight_line)
    assert gradient.__name__ == 'dstraight_linedx'
    source = inspect.getsource(gradient)
    assert 'def dstraight_linedx(' in source
    assert 'bx' in source
    forward = tangent.autodiff(straight_line, mode='forward')
    assert 'dx' in inspect.signature(forward).parameters


def test_getsource_of_joint_and_split_results():
    for motion in ('joint', 'split'):
        source = inspect.getsource(tangent.autodiff(straight_line, motion=motion))
        assert 'def ' in source and '# Grad of:' in tangent.compile.source_of(
            tangent.autodiff(straight_line, motion=motion))


def straight_line_reassigning(x, y):
    h = np.tanh(x * y)
    h = np.tanh(h) * x
    y = y * h
    h += np.sin(y)
    x = x * 2.0
    return np.sum(h * x)


@pytest.mark.parametrize('function', [straight_line, straight_line_reassigning],
                         ids=lambda f: f.__name__)
def test_straight_line_joint_code_has_no_tape(function):
    args = [np.array([0.3, -0.2]), np.array([0.5, 0.9])][:function.__code__.co_argcount]
    wrt = tuple(range(len(args)))
    for optimized in (True, False):
        derivative = tangent.grad(function, wrt=wrt, optimized=optimized)
        source = inspect.getsource(derivative)
        assert 'Stack' not in source and 'push' not in source and 'pop' not in source
        expected = tuple(numerical_grad(function, args, i) for i in wrt)
        assert_close(derivative(*args), expected if len(wrt) > 1 else expected[0])


def test_every_backward_block_names_its_statement():
    source = inspect.getsource(tangent.grad(straight_line))
    assert source.count('# Grad of:') >= 3


def test_verbose_one_prints_the_generated_source(capsys):
    tangent.grad(straight_line, verbose=1, wrt=(0,), preserve_result=True)
    printed = capsys.readouterr().out
    assert 'def dstraight_linedx(' in printed
    assert '# Grad of: ' in printed


def test_verbose_two_prints_every_stage(capsys):
    tangent.autodiff(straight_line, verbose=2, optimized=True, check_dims=False)
    printed = capsys.readouterr().out
    headings = [line for line in printed.splitlines() if line.startswith('# ---- ')]
    joined = ' '.join(headings).lower()
    for stage in ('anf', 'raw adjoint', 'motion', 'optimization'):
        assert stage in joined, f'no {stage!r} stage in {headings}'
    final = tangent.compile.source_of(tangent.autodiff(straight_line, optimized=True,
                                                       check_dims=False))
    assert printed.count(final) == 1, 'the final source is printed once, as the last stage'
    assert printed.rstrip().endswith(final)


def test_same_options_reuse_the_generated_function():
    assert tangent.grad(straight_line) is tangent.grad(straight_line)
    assert tangent.grad(straight_line) is not tangent.grad(straight_line, optimized=False)


def test_vjp_and_jvp():
    vjp = tangent.vjp(straight_line)
    assert_close(vjp(X, 1.0), numerical_grad(straight_line, [X], 0))
    direction = np.array([1.0, 0.0, -1.0])
    jvp = tangent.jvp(straight_line)
    assert_close(jvp(X, direction), np.dot(numerical_grad(straight_line, [X], 0), direction))


def test_bound_method_gradient():
    class Model:
        def __init__(self):
            self.w = np.array([1.0, 2.0, 3.0])

        def loss(self, x):
            return np.sum(self.w * x * x)

    model = Model()
    assert_close(tangent.grad(model.loss)(X), 2.0 * model.w * X)


def _logged(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


@_logged
def decorated(x, y):
    return np.sum(np.sin(x) * y)


def test_a_functools_wraps_decorator_is_seen_through():
    """Tangent strips decorators from source: the wrapped function is differentiated."""
    args = [X, 0.5]
    derivative = tangent.grad(decorated, wrt=(0, 1))
    assert_close(derivative(*args), (numerical_grad(decorated, args, 0),
                                     numerical_grad(decorated, args, 1)))


def numbers_and_arrays(x, a, b):
    for _ in range(4):
        x = np.sin(x) * a + b
    return np.sum(x * x)


def test_python_numbers_run_a_version_without_shape_matching():
    """Called with Python numbers only, the gradient runs code written knowing that
    (no unbroadcast, nothing kept for shapes); arrays run the general code."""
    derivative = tangent.grad(numbers_and_arrays, wrt=(1, 2))
    numbers = [0.4, 0.9, 0.2]
    assert_close(derivative(*numbers), tuple(numerical_grad(numbers_and_arrays, numbers, i)
                                             for i in (1, 2)))
    for_numbers = tangent.compile.source_of(derivative.specialisations['numbers'])
    assert 'unbroadcast' not in for_numbers and 'shape_only' not in for_numbers
    # What inspect shows: the version the first call wrote; the code for any argument
    # stays the one differentiating again reads.
    assert inspect.getsource(derivative).rstrip('\n') == for_numbers
    general = inspect.getsource(getattr(derivative, tangent.api.specialise.GENERAL_VERSION))
    assert 'unbroadcast' in general
    arrays = [np.array([0.4, -0.3]), np.array([0.9, 1.1]), 0.2]
    assert_close(derivative(*arrays), tuple(numerical_grad(numbers_and_arrays, arrays, i)
                                            for i in (1, 2)))


def test_numpy_random_is_declared_when_code_uses_it(tmp_path):
    # tangent does not import numpy.random; a function calling it must still work.
    (tmp_path / 'noisy.py').write_text(
        'import numpy as np\n\n\n'
        'def f(x):\n'
        '    noise = np.random.randn(3) * 0.0\n'
        '    return np.sum(x * x + noise)\n')
    code = ('import json, sys, numpy as np, tangent\n'
            'assert "numpy.random" not in sys.modules\n'
            'import noisy\n'
            'print(json.dumps(list(tangent.grad(noisy.f)(np.array([0.5, -1.0, 2.0])))))\n')
    completed = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True,
                               text=True, check=True, timeout=300)
    x = np.array([0.5, -1.0, 2.0])
    assert_close(np.array(json.loads(completed.stdout)),
                 numerical_grad(lambda v: np.sum(v * v), [x], 0))

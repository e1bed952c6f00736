"""Gradient surgery, debugging generated code, notebooks and the command line."""

import dis
import inspect
import io
import linecache
import os
import pdb
import subprocess
import sys
import tempfile
import textwrap
import traceback

import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent import insert_grad_of
from tangent.grads import adjoint, d

X = np.array([0.3, -0.4, 0.8])


# Surgery -------------------------------------------------------------------------

def scaled(x):
    h = np.sin(x)
    with insert_grad_of(h) as dh:
        dh = dh * 0.5
    return np.sum(h * h)


def test_scaling_a_gradient():
    expected = 0.5 * numerical_grad(lambda x: np.sum(np.sin(x) ** 2), [X], 0)
    for motion in ('joint', 'split'):
        for optimized in (True, False):
            gradient = tangent.autodiff(scaled, motion=motion, optimized=optimized,
                                        input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
            assert_close(gradient(X), expected)


def stopped(x):
    a = x * x
    with insert_grad_of(a) as da:
        da = da * 0.0
    return np.sum(a + np.sin(x))


def test_zeroing_a_gradient_is_a_stop_gradient():
    expected = numerical_grad(lambda x: np.sum(np.sin(x)), [X], 0)
    assert_close(tangent.grad(stopped)(X), expected)


def printed(x):
    for i in range(3):
        x = x * 2.0
        with insert_grad_of(x) as dx:
            print('gradient', dx)
    return x


def test_printing_gradients_once_per_iteration_in_reverse(capsys):
    gradient = tangent.grad(printed)(1.0)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith('gradient')]
    # Reverse order: the last iteration's gradient (1.0) first.
    assert lines == ['gradient 1.0', 'gradient 2.0', 'gradient 4.0']
    assert_close(gradient, 8.0)


def rnn(h, w, xs):
    for i in range(5):
        h = np.tanh(w @ h + xs[i])
        with insert_grad_of(h) as dh:
            dh = np.clip(dh, -0.05, 0.05)
    return np.sum(h * h)


def rnn_gradient_by_hand(h, w, xs):
    states = [h]
    for i in range(5):
        states.append(np.tanh(w @ states[-1] + xs[i]))
    dh = 2.0 * states[-1]
    dw = np.zeros_like(w)
    for i in reversed(range(5)):
        dh = np.clip(dh, -0.05, 0.05)
        da = dh * (1.0 - states[i + 1] ** 2)
        dw += np.outer(da, states[i])
        dh = w.T @ da
    return dw


def test_clipping_an_rnn_hidden_state_gradient():
    rng = np.random.default_rng(0)
    h0, w, xs = rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=(5, 3))
    for motion in ('joint', 'split'):
        gradient = tangent.autodiff(rnn, wrt=(1,), motion=motion,
                                    input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
        assert_close(gradient(h0, w, xs), rnn_gradient_by_hand(h0, w, xs), rtol=1e-10)


@tangent.tangent
def decorated(x):
    y = x * 3.0
    with insert_grad_of(y) as dy:
        print('surgery ran')
        dy = dy * 2.0
    return y


def test_decorator_runs_without_the_blocks_and_keeps_them_for_grad(capsys):
    assert decorated(2.0) == 6.0
    assert 'surgery ran' not in capsys.readouterr().out
    assert callable(decorated.tangent)
    assert_close(tangent.grad(decorated)(2.0), 6.0)
    assert 'surgery ran' in capsys.readouterr().out


def make_scaled(scale):
    @tangent.tangent
    def scaled(x):
        y = x * scale
        with insert_grad_of(y) as dy:
            dy = dy * 0.0
        return np.sum(y * x)
    return scaled


@tangent.tangent
def divides_by_zero(x):
    y = x * 2.0
    with insert_grad_of(y) as dy:
        dy = dy * 2.0
    return 1.0 / (y - y)


def test_decorated_closure_reads_its_cells_and_grad_honours_the_blocks():
    scaled = make_scaled(3.0)
    x = np.array([0.5, -1.0])
    assert_close(scaled(x), np.sum(3.0 * x * x))
    # The block zeroes the gradient through y: only the direct use of x is left.
    assert_close(tangent.grad(scaled)(x), 3.0 * x)


def test_decorated_function_tracebacks_point_into_the_users_file():
    with pytest.raises(ZeroDivisionError) as raised:
        divides_by_zero(1.0)
    frame = raised.traceback[-1]
    assert str(frame.path) == __file__
    assert 'return 1.0 / (y - y)' in str(frame.statement)


def test_blocks_do_not_run_in_forward_mode(capsys):
    derivative = tangent.autodiff(decorated, mode='forward')
    assert_close(derivative(2.0, 1.0), 3.0)
    assert 'surgery ran' not in capsys.readouterr().out


# Debugging --------------------------------------------------------------------------

def fragile(x):
    return np.sum(np.log(x) * x)


def bad_adjoint_function(x):
    return x * 1.0


@adjoint(bad_adjoint_function)
def _bad_adjoint(y, x):
    d[x] = d[y] @ np.ones((7, 7))


@tangent.tangents.tangent_(bad_adjoint_function)
def _bad_tangent(y, x):
    d[y] = d[x]


def calls_bad(x):
    return np.sum(bad_adjoint_function(x))


def test_traceback_quotes_the_generated_line():
    gradient = tangent.grad(calls_bad)
    try:
        gradient(X)
    except ValueError:
        formatted = traceback.format_exc()
    else:
        pytest.fail('the broken adjoint did not raise')
    assert 'np.ones((7, 7))' in formatted
    assert gradient.__name__ in formatted


FLAVOURS = {
    'joint': dict(), 'split': dict(motion='split'), 'forward': dict(mode='forward'),
    'not_optimized': dict(optimized=False), 'preserve_result': dict(preserve_result=True),
}


@pytest.mark.parametrize('flavour', sorted(FLAVOURS))
def test_getsource_of_every_generated_function(flavour):
    derivative = tangent.autodiff(fragile, **FLAVOURS[flavour])
    source = inspect.getsource(derivative)
    assert source.lstrip().startswith('def ')
    assert linecache.getlines(derivative.__code__.co_filename)


def test_getsource_of_a_second_derivative():
    second = tangent.grad(tangent.grad(lambda_free_square))
    assert 'def ' in inspect.getsource(second)
    assert_close(second(3.0), 2.0)


def lambda_free_square(x):
    return x * x


def test_pdb_lists_and_steps_through_generated_code():
    gradient = tangent.grad(fragile)
    gradient(np.abs(X))  # the first call writes the version for arrays of this shape
    # pdb stops first in the derivative's dispatcher, which chooses that version;
    # `continue` reaches a breakpoint on the generated code's first statement.
    code = inspect.unwrap(gradient).__code__
    first = min(line for _, line in dis.findlinestarts(code)
                if line is not None and line > code.co_firstlineno)
    commands = io.StringIO('continue\nlist\nnext\np x\np log_x\ncontinue\n')
    output = io.StringIO()
    debugger = pdb.Pdb(stdin=commands, stdout=output)
    debugger.use_rawinput = False
    debugger.set_break(code.co_filename, first)
    try:
        debugger.runcall(gradient, np.abs(X))
    finally:
        debugger.clear_all_breaks()  # pdb keeps breakpoints for every debugger
    text = output.getvalue()
    assert '# Backward pass' in text  # `list` shows the generated source
    assert '[0.3' in text  # `p x` in the generated frame
    assert str(np.log(0.3))[:6] in text  # `p log_x` after stepping over the log


def test_no_files_are_left_in_the_temporary_directory():
    before = set(os.listdir(tempfile.gettempdir()))
    for power in range(20):
        source = f'def made_{power}(x):\n    return x ** {power + 2}\n'
        namespace = {}
        exec(compile(source, __file__, 'exec'), namespace)  # noqa: S102
    for scale in range(20):
        tangent.autodiff(fragile, optimized=bool(scale % 2), preserve_result=scale > 10)
    assert set(os.listdir(tempfile.gettempdir())) == before


# Notebooks -----------------------------------------------------------------------------

def test_gradient_of_a_function_defined_in_an_ipython_cell():
    shell_module = pytest.importorskip('IPython.core.interactiveshell')
    shell = shell_module.InteractiveShell.instance()
    try:
        shell.run_cell('import numpy as np\nimport tangent\nimport inspect', store_history=True)
        result = shell.run_cell('def f(x):\n    return x * x * 3.0 + np.sin(x)\n',
                                store_history=True)
        assert result.success
        result = shell.run_cell('df = tangent.grad(f)\ng = df(0.7)\nsrc = inspect.getsource(df)',
                                store_history=True)
        assert result.success, result.error_in_exec
        assert_close(shell.user_ns['g'], 6 * 0.7 + np.cos(0.7))
        assert 'def dfdx' in shell.user_ns['src']
    finally:
        shell_module.InteractiveShell.clear_instance()


# The command line ------------------------------------------------------------------------

def _run_cli(*args):
    return subprocess.run([sys.executable, '-m', 'tangent', *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / 'model.py'
    path.write_text(textwrap.dedent('''
        import numpy as np

        def loss(w, x):
            h = np.tanh(w * x)
            return np.sum(h * h)

        def broken(x):
            try:
                return x
            except ValueError:
                return x
    '''))
    return path


def test_cli_prints_the_derivative(model_file):
    completed = _run_cli(f'{model_file}:loss', '--wrt', '0,1')
    assert completed.returncode == 0, completed.stderr
    assert 'def dlossdwdx(' in completed.stdout
    assert '# Grad of:' in completed.stdout
    assert '\x1b[' not in completed.stdout
    namespace = {}
    exec(completed.stdout, {'np': np, 'tangent': tangent}, namespace)  # noqa: S102
    w, x = np.array([0.3, 0.6]), np.array([1.0, -2.0])
    loss = lambda w, x: np.sum(np.tanh(w * x) ** 2)  # noqa: E731
    dw, dx = namespace['dlossdwdx'](w, x)
    assert_close(dw, numerical_grad(loss, [w, x], 0))
    assert_close(dx, numerical_grad(loss, [w, x], 1))


@pytest.mark.parametrize('options', [['--mode', 'forward'], ['--motion', 'split'],
                                     ['--no-optimize']])
def test_cli_options(model_file, options):
    completed = _run_cli(f'{model_file}:loss', *options)
    assert completed.returncode == 0, completed.stderr
    assert 'def ' in completed.stdout


def test_cli_loads_a_file_that_defines_a_dataclass(tmp_path):
    # A dataclass looks its module up in sys.modules while the file runs.
    path = tmp_path / 'json.py'  # a name an imported module already has
    path.write_text(textwrap.dedent('''
        from dataclasses import dataclass
        import numpy as np

        @dataclass
        class Settings:
            scale: float = 2.0

        def loss(x):
            return np.sum(np.sin(x) * Settings().scale)
    '''))
    completed = _run_cli(f'{path}:loss')
    assert completed.returncode == 0, completed.stderr
    namespace = {}
    exec(completed.stdout, {'np': np, 'tangent': tangent, 'Settings': _Settings}, namespace)  # noqa: S102
    x = np.array([0.3, -1.2])
    dx = next(iter(namespace.values()))(x)
    assert_close(dx, numerical_grad(lambda x: np.sum(np.sin(x) * 2.0), [x], 0))


class _Settings:
    scale = 2.0


def test_cli_help():
    completed = _run_cli('--help')
    assert completed.returncode == 0
    assert 'PATH.py:FUNCTION' in completed.stdout


@pytest.mark.parametrize('target,message', [
    ('missing.py:f', 'no such file'), ('{model}:nothing', 'no function'),
    ('{model}:broken', 'try/except'),
])
def test_cli_errors_are_one_line(model_file, target, message):
    completed = _run_cli(target.format(model=model_file))
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert message in lines[0]
    assert 'Traceback' not in completed.stderr

"""Reliability: threads, leaks, mutation, hostile inputs, and bugs the fuzzer found.

- Concurrency: ``tangent.grad`` and forward mode called from 8 threads at once,
  on 8 different functions and on one function, give correct derivatives.
- Leaks: 2,000 distinct functions differentiated leave no files behind, keep
  the cache and linecache bounded, and memory flat once the cache is full.
- Mutation: taking and calling a derivative leaves the user's function
  (code, defaults, attributes, globals, closure cells) and inputs unchanged.
- Hostile or odd inputs: integers and booleans, float32, 0-d and empty arrays,
  NaN and inf, a 50-deep call tree, a 2,000-line function, recursion, a
  global rebound between two ``grad`` calls, a function without source.
- Regressions: minimal programs reduced from ``tests/fuzz.py`` campaigns
  (``test_bug_*``); each fails until the bug it names is fixed.

Every derivative is compared with central finite differences of the original
function (``reference.py``), never with numbers tangent produced.
"""

import copy
import gc
import inspect
import linecache
import os
import tempfile
import threading
import tracemalloc
import types
from concurrent.futures import ThreadPoolExecutor

import fuzz
import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent
from tangent.api import cache
from tangent.errors import SourceNotAvailableError, TangentParseError

X = np.array([0.3, -0.5, 0.8])
DIRECTION = np.array([0.7, 0.2, -0.4])
THREADS = 8
ONE = tangent.INPUT_DERIVATIVE.DefaultOne
MODES = {
    'joint': dict(mode='reverse', motion='joint', optimized=True),
    'split': dict(mode='reverse', motion='split', optimized=True),
    'joint-noopt': dict(mode='reverse', motion='joint', optimized=False),
    'forward': dict(mode='forward', optimized=True),
    'forward-noopt': dict(mode='forward', optimized=False),
}


def derivative(function, options, wrt=(0,)):
    if options['mode'] == 'forward':
        return tangent.autodiff(function, wrt=wrt, **options)
    return tangent.autodiff(function, wrt=wrt, input_derivative=ONE, **options)


def check(function, args, options, wrt=0, direction=None):
    """The derivative of scalar ``function`` in argument ``wrt``, against finite differences."""
    df = derivative(function, options, (wrt,))
    if options['mode'] == 'forward':
        if direction is None:
            direction = np.ones_like(args[wrt]) * 0.6 if np.ndim(args[wrt]) else 0.6
        assert_close(df(*args, direction), numerical_jvp(function, list(args), wrt, direction))
    else:
        assert_close(df(*args), numerical_grad(function, list(args), wrt))


@pytest.fixture
def module_factory(tmp_path):
    """Writes source into a fresh module file under tmp_path and imports it."""
    def make(source, stem='reliability'):
        return fuzz.load(source, str(tmp_path), stem)
    return make


# Concurrency ------------------------------------------------------------------------

BODIES = [
    'return np.sum(np.sin(x) * x) * {c}',
    'y = x * {c}\n    for i in range(3):\n        y = np.tanh(y) + x * i\n    return np.sum(y)',
    'if np.sum(x) > -{c}:\n        y = x * x\n    else:\n        y = np.cos(x)\n'
    '    return np.sum(y) * {c}',
    'return helper(x * {c}) + helper(x)',
    'total = 0.0\n    for v in x:\n        total = total + np.exp(np.sin(v)) * {c}\n'
    '    return total',
    "d = {{'a': x * {c}, 'b': np.sin(x)}}\n    return np.dot(d['a'], d['b'])",
    'i = 0\n    y = x\n    while i < 3:\n        i = i + 1\n        y = y * {c} + np.sin(y)\n'
    '    return np.sum(y)',
    'return np.sum(np.log(1.0 + x * x)) + np.sqrt(np.dot(x, x) + {c})',
]


def threaded_module_source(round_number):
    functions = [f'def f{i}(x):\n    {body.format(c=0.5 + 0.1 * i + 0.01 * round_number)}\n'
                 for i, body in enumerate(BODIES)]
    helper = 'def helper(x):\n    return np.sum(np.cos(x) * x)\n'
    return 'import numpy as np\n\n\n' + '\n\n'.join([helper] + functions)


def at_once(calls):
    """Run the calls in as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def expected_derivative(function, options):
    if options['mode'] == 'forward':
        return numerical_jvp(function, [X], 0, DIRECTION)
    return numerical_grad(function, [X], 0)


def evaluate(df, options):
    if options['mode'] == 'forward':
        return df(X, DIRECTION)
    return df(X)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_threads_differentiate_eight_different_functions_at_once(module_factory, mode):
    options = MODES[mode]
    for round_number in range(3):  # fresh code each round: nothing comes from the cache
        module = module_factory(threaded_module_source(round_number))
        functions = [getattr(module, f'f{i}') for i in range(THREADS)]
        results = at_once([lambda f=f: evaluate(derivative(f, options), options)
                           for f in functions])
        for function, result in zip(functions, results):
            assert_close(result, expected_derivative(function, options))


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_threads_differentiate_one_function_at_once(module_factory, mode):
    options = MODES[mode]
    for round_number in range(3):
        module = module_factory(threaded_module_source(round_number))
        function = module.f3  # calls a subroutine, differentiated on the way
        results = at_once([lambda f=function: evaluate(derivative(f, options), options)
                           for _ in range(THREADS)])
        expected = expected_derivative(function, options)
        for result in results:
            assert_close(result, expected)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_threads_call_one_derivative_at_once(module_factory, mode):
    options = MODES[mode]
    module = module_factory(threaded_module_source(0))
    function = module.f1
    df = derivative(function, options)
    points = [X * (0.5 + 0.2 * i) for i in range(THREADS)]
    if options['mode'] == 'forward':
        results = at_once([lambda p=p: df(p, DIRECTION) for p in points])
        expected = [numerical_jvp(function, [p], 0, DIRECTION) for p in points]
    else:
        results = at_once([lambda p=p: df(p) for p in points])
        expected = [numerical_grad(function, [p], 0) for p in points]
    for result, wanted in zip(results, expected):
        assert_close(result, wanted)


# Leaks ------------------------------------------------------------------------------

DISTINCT = 2000


def tangent_linecache_entries():
    """The pseudo files of generated derivatives (not the runtime's dispatchers or the
    declared rules' templates, which are written once per process)."""
    return [name for name in list(linecache.cache) if name.startswith('<tangent')
            and not name.startswith('<tangent dispatch') and ' declared by ' not in name]


def test_two_thousand_distinct_functions_leave_nothing_behind(tmp_path, monkeypatch):
    source_dir = tmp_path / 'source'
    private_tmp = tmp_path / 'tmp'
    source_dir.mkdir()
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(private_tmp))
    monkeypatch.setenv('TMPDIR', str(private_tmp))
    functions = [f'def f{i}(x):\n    return np.sin(x * {1 + i / DISTINCT!r}) + x * x * {i}\n'
                 for i in range(DISTINCT)]
    module = fuzz.load('import numpy as np\n\n\n' + '\n\n'.join(functions), str(source_dir),
                       'distinct')
    files_before = sorted(os.listdir(source_dir))

    # The cache is full after _CACHE_SIZE functions; from then on every new entry
    # evicts an old one, so the memory held at two later points must be the same.
    start, middle = cache.CACHE_SIZE + 100, (cache.CACHE_SIZE + 100 + DISTINCT) // 2
    held = {}
    for i in range(DISTINCT):
        if i == start:
            tracemalloc.start()
        if i in (middle, DISTINCT - 1):
            gc.collect()
            held[i] = tracemalloc.get_traced_memory()[0]
        function = getattr(module, f'f{i}')
        gradient = tangent.grad(function)(0.4)
        if i % 250 == 0:
            assert_close(gradient, numerical_grad(function, [0.4], 0))
    tracemalloc.stop()

    grown = held[DISTINCT - 1] - held[middle]
    assert grown < 2 * 2**20, \
        f'{DISTINCT - 1 - middle} more gradients kept {grown / 2**20:.1f} MiB more alive'
    assert held[DISTINCT - 1] < 64 * 2**20
    assert len(cache.derivatives.entries) <= cache.CACHE_SIZE
    # Each cached derivative holds its generic code and the versions written for the
    # signatures it was called with (one here, and at most a scalar one besides).
    assert len(tangent_linecache_entries()) <= 3 * cache.CACHE_SIZE
    assert os.listdir(private_tmp) == []
    assert sorted(os.listdir(source_dir)) == files_before


def test_closures_with_distinct_data_get_distinct_correct_gradients():
    def make(scale):
        def scaled(x):
            return np.sum(np.sin(x * scale))
        return scaled

    closures = [make(np.array([1.0, 2.0, 3.0]) * (1 + i / 100)) for i in range(600)]
    for i, closure in enumerate(closures):
        gradient = tangent.grad(closure)(X)
        if i % 100 == 0:
            assert_close(gradient, numerical_grad(closure, [X], 0))
    gc.collect()
    assert len(cache.derivatives.entries) <= cache.CACHE_SIZE
    assert len(tangent_linecache_entries()) <= 3 * cache.CACHE_SIZE  # code and versions


# No mutation ------------------------------------------------------------------------

MUTATION_MODULE = '''
import numpy as np

SCALE = np.array([1.0, 2.0, 3.0])
SETTINGS = {'offset': 0.25, 'weights': [np.array([0.5, 0.5, 0.5])]}


def helper(v):
    return np.sin(v) * SCALE


def make(offset):
    data = np.array([0.5, -0.5, 1.5])
    rows = [np.array([1.0, 0.0, -1.0])]

    def loss(params, batch, x, k=2.0, opts=(1.0, np.array([2.0, 3.0, 4.0]))):
        w = params['w']
        b = params['b']
        total = 0.0
        for row in batch:
            total = total + np.sum(helper(w * row) + b * data) * k + offset
        total = total + np.sum(rows[0] * x) * SETTINGS['offset']
        y = x * 1.0
        y[0] = total
        return np.sum(y * x * opts[1]) + opts[0]
    return loss
'''


def along(loss, args, tangents, eps=1e-6):
    """Central difference of ``loss(params, batch, x)`` along (d params, d x)."""
    (params, batch, x), (d_params, d_x) = args, tangents

    def moved(t):
        shifted = {key: params[key] + t * d_params[key] for key in params}
        return loss(shifted, batch, x + t * d_x)
    return (moved(eps) - moved(-eps)) / (2 * eps)


def deep_equal(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            deep_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, types.CodeType):
        return a == b
    return a is b or a == b


def function_state(function):
    """Everything a derivative could disturb: identities, and deep copies of the values."""
    cells = [cell.cell_contents for cell in function.__closure__]
    globals_ = function.__globals__
    return {
        'code': function.__code__,
        'code_bytes': function.__code__.co_code,
        'defaults': function.__defaults__,
        'defaults_value': copy.deepcopy(function.__defaults__),
        'dict_ids': {k: id(v) for k, v in function.__dict__.items()},
        'dict_value': copy.deepcopy(function.__dict__),
        'globals_ids': {k: id(v) for k, v in globals_.items()},
        'globals_arrays': copy.deepcopy({k: globals_[k] for k in ('SCALE', 'SETTINGS')}),
        'helper_code': globals_['helper'].__code__,
        'cell_ids': [id(value) for value in cells],
        'cell_values': copy.deepcopy(cells),
    }


def assert_state_unchanged(function, before):
    after = function_state(function)
    assert after['code'] is before['code']
    assert after['code_bytes'] == before['code_bytes']
    assert after['defaults'] is before['defaults']
    assert deep_equal(after['defaults_value'], before['defaults_value'])
    assert after['dict_ids'] == before['dict_ids']
    assert deep_equal(after['dict_value'], before['dict_value'])
    assert after['globals_ids'] == before['globals_ids']
    assert deep_equal(after['globals_arrays'], before['globals_arrays'])
    assert after['helper_code'] is before['helper_code']
    assert after['cell_ids'] == before['cell_ids']
    assert deep_equal(after['cell_values'], before['cell_values'])


@pytest.mark.parametrize('mode', ['joint', 'split', 'joint-noopt', 'forward'])
def test_differentiating_changes_nothing_of_the_users(module_factory, mode):
    module = module_factory(MUTATION_MODULE)
    loss = module.make(0.25)
    loss.tag = ['kept']
    loss.meta = {'lr': np.array([0.1])}
    params = {'w': np.array([0.1, 0.2, 0.3]), 'b': 0.5}
    batch = [np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, -0.2])]
    x = np.array([0.3, -0.2, 0.9])
    args = (params, batch, x)
    inputs = copy.deepcopy(args)
    w_identity = id(params['w'])
    value = loss(*args)
    before = function_state(loss)

    options = MODES[mode]
    df = derivative(loss, options, wrt=(0, 2))
    for _ in range(2):
        if options['mode'] == 'forward':
            tangents = ({'w': np.array([1.0, -0.5, 0.3]), 'b': 1.0}, np.array([0.5, -1.0, 2.0]))
            kept = copy.deepcopy(tangents)
            result = df(*args, 2.0, (1.0, np.array([2.0, 3.0, 4.0])), *tangents)
            assert deep_equal(tangents, kept), 'the tangents changed'
            assert_close(result, along(loss, args, tangents))
        else:
            result = df(*args)
            assert_close(result[0], numerical_grad(loss, list(args), 0))
            assert_close(result[1], numerical_grad(loss, list(args), 2))

    assert deep_equal(args, inputs), 'the inputs changed'
    assert id(params['w']) == w_identity
    assert_state_unchanged(loss, before)
    assert loss(*args) == value


# Hostile and odd inputs -------------------------------------------------------------

def polynomial(x):
    return x * x + 3.0 * x


def scaled_sum(x):
    return np.sum(x * 2.5 + x * x)


def sine_sum(x):
    return np.sum(np.sin(x) * x)


def as_float(value):
    return np.asarray(value, dtype=float)


def assert_float_derivative(function, value, direction, options):
    """The derivative at a non-float input is a float matching finite differences."""
    df = derivative(function, options)
    if options['mode'] == 'forward':
        result = df(value, direction)
        expected = numerical_jvp(function, [as_float(value)], 0, as_float(direction))
    else:
        result = df(value)
        expected = numerical_grad(function, [as_float(value)], 0)
    assert np.issubdtype(np.asarray(result).dtype, np.floating), repr(result)
    assert_close(result, expected)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_integer_inputs_give_float_derivatives(mode):
    for function, value in [(polynomial, 3), (sine_sum, np.array([1, 2, 3])),
                            (scaled_sum, np.array([-2, 0, 5]))]:
        direction = 1 if np.ndim(value) == 0 else np.array([1, 0, 2])
        assert_float_derivative(function, value, direction, MODES[mode])


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_boolean_inputs_give_float_derivatives(mode):
    for function, value in [(polynomial, True), (scaled_sum, np.array([True, False, True]))]:
        direction = 1.0 if np.ndim(value) == 0 else np.array([1.0, 0.5, -1.0])
        assert_float_derivative(function, value, direction, MODES[mode])


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_float32_stays_float32(mode):
    options = MODES[mode]
    x = X.astype(np.float32)
    df = derivative(sine_sum, options)
    if options['mode'] == 'forward':
        result = df(x, DIRECTION.astype(np.float32))
        expected = numerical_jvp(sine_sum, [X], 0, DIRECTION)
    else:
        result = df(x)
        expected = numerical_grad(sine_sum, [X], 0)
    assert np.asarray(result).dtype == np.float32, repr(result)
    assert_close(result, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_zero_dimensional_arrays(mode):
    options = MODES[mode]
    x = np.array(0.7)
    df = derivative(sine_sum, options)
    if options['mode'] == 'forward':
        result = df(x, np.array(1.5))
        expected = numerical_jvp(sine_sum, [x], 0, np.array(1.5))
    else:
        result = df(x)
        expected = numerical_grad(sine_sum, [x], 0)
    assert np.shape(result) == ()
    assert_close(result, expected)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_empty_arrays(mode):
    options = MODES[mode]
    empty = np.zeros(0)

    df = derivative(sine_sum, options)
    if options['mode'] == 'forward':
        result = df(empty, np.zeros(0))
        assert np.shape(result) == () and float(result) == 0.0
    else:
        result = df(empty)
        assert np.shape(result) == (0,)
        assert np.issubdtype(result.dtype, np.floating)


def non_finite(x):
    return np.sum(np.sin(x) * x + np.exp(x * 0.1))


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_nan_and_inf_propagate_without_exceptions(mode):
    """A NaN or inf entry spoils its own derivative entry (as numpy does), nothing else."""
    options = MODES[mode]
    x = np.array([np.nan, 0.2, np.inf, -0.7])
    finite = np.isfinite(x)
    df = derivative(non_finite, options)
    with np.errstate(all='ignore'):
        if options['mode'] == 'forward':
            only_finite = np.where(finite, 1.0, 0.0)
            result = df(x, only_finite)
            assert np.isnan(result)  # 0 * inf and nan * 0 are nan, as in numpy
        else:
            result = df(x)
            assert np.isnan(result[~finite]).all()
            assert_close(result[finite], numerical_grad(non_finite, [x[finite]], 0))


def chain_source(depth):
    functions = ['def f{0}(x):\n    return np.sin(x) * 1.5\n'.format(depth - 1)]
    for i in range(depth - 2, -1, -1):
        functions.append(f'def f{i}(x):\n    y = f{i + 1}(x)\n'
                         f'    return np.sin(y) * 0.5 + x * 0.5\n')
    functions.append('def total(x):\n    return np.sum(f0(x))\n')
    return 'import numpy as np\n\n\n' + '\n\n'.join(functions)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_a_call_tree_fifty_deep(module_factory, mode):
    """f0 calls f1 ... calls f49; ``total`` sums f0 over an array."""
    module = module_factory(chain_source(50))
    check(module.f0, [0.4], MODES[mode])
    check(module.total, [X], MODES[mode])


def long_source(lines):
    body = ['    y = x', '    z = x * 0.5']
    for i in range(lines - 4):  # with the def, two first lines and the return
        body.append(['    y = y * 0.999 + np.sin(x) * 0.001',
                     '    z = z + y * 0.001',
                     '    y = y - z * 0.0005'][i % 3])
    return ('import numpy as np\n\n\ndef long(x):\n' + '\n'.join(body)
            + '\n    return y + z\n')


@pytest.mark.parametrize('mode', ['joint', 'forward'])
def test_a_two_thousand_line_function(module_factory, mode):
    module = module_factory(long_source(2000))
    assert len(inspect.getsource(module.long).splitlines()) == 2000
    check(module.long, [0.4], MODES[mode])


RECURSIVE_MODULE = '''
import numpy as np


def countdown(x, n):
    y = x
    if n > 0:
        y = countdown(np.sin(x), n - 1)
    return y


def ping(x, n):
    y = x
    if n > 0:
        y = pong(x * 0.5, n - 1)
    return y


def pong(x, n):
    return ping(np.cos(x), n)
'''


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
@pytest.mark.parametrize('name', ['countdown', 'ping'])
def test_recursion_is_refused_by_name(module_factory, mode, name):
    function = getattr(module_factory(RECURSIVE_MODULE), name)
    with pytest.raises(TangentParseError, match='recursion'):
        tangent.autodiff(function, mode=mode)


REBOUND_MODULE = '''
import numpy as np

SCALE = 2.0


def inner(x):
    return np.sin(x)


def other_inner(x):
    return np.cos(x) * x


def f(x):
    return SCALE * x * x + inner(x)
'''


@pytest.mark.parametrize('mode', ['joint', 'forward'])
def test_a_rebound_global_is_seen_by_the_next_gradient(module_factory, mode):
    module = module_factory(REBOUND_MODULE)
    check(module.f, [0.7], MODES[mode])
    module.SCALE = 3.0
    check(module.f, [0.7], MODES[mode])
    module.inner = module.other_inner
    check(module.f, [0.7], MODES[mode])


def test_a_function_without_source_is_refused_clearly():
    namespace = {'np': np}
    exec('def made_by_exec(x):\n    return np.sin(x) * x\n', namespace)
    for mode in ('reverse', 'forward'):
        with pytest.raises((SourceNotAvailableError, TangentParseError)) as error:
            tangent.autodiff(namespace['made_by_exec'], mode=mode)
        message = str(error.value)
        assert 'made_by_exec' in message and 'source' in message and 'exec' in message


# Regressions found by tests/fuzz.py -------------------------------------------------

def overwritten_unused_parameter(x, y):
    x = np.sin(y)  # noqa: F841 - the bug needs the dead assignment
    return y


def dead_store_to_parameter(x, v, z):
    w = np.cos(v)
    w[1] = x
    z = np.square(x)  # noqa: F841 - the bug needs the dead assignment
    return np.dot(w, w)


def dead_store_in_loop(x):
    a = x * 3.0
    for _ in range(2):
        a = np.sin(2.0)
        a = x * 2.0
    return a


def dead_loop_body(x, y):
    for i in range(3):
        c = i  # noqa: F841 - the loop does nothing the result needs
    return y * 2.0


def zip_over_long_names(values):
    total = 0.0
    for a, b in zip(values, values):
        total = total + a * b
    return total


def returns_an_alias(x):
    y = x
    return y


def value_from_loop(x):
    for _ in range(2):
        a = x * x
    return a


def array_from_loop(x, v):
    for _ in range(3):
        w = x + np.cos(v)
    return np.sum(w)


def dict_from_loop(x):
    for _ in range(2):
        d = {'p': x * 2.0}
    return d['p'] * x


def counter_after_loop(x):
    y = x
    for i in range(3):  # noqa: B007 - the counter is read after the loop
        y = y + 1.0
    return x * i


def dead_else_branch(x):
    a = x * 2.0
    if np.sum(x) > 0.0:
        a = a * np.sin(x)
    else:
        x = a  # noqa: F841 - the bug needs the dead store
    return np.sum(a)


def break_then_dead_copy(x, y):
    for i in range(1, 5):
        if np.square(y) < -0.9:
            break
        a = i  # noqa: F841 - the bug needs the dead copy
    return np.square(x)


def calls_break_then_dead_copy(x, y):
    return break_then_dead_copy(x, y) * 2.0


def dict_of_arrays_from_loop_then_slot_written(x, y):
    for _ in range(2):
        d = {'p': np.array([x, y]), 'q': np.array([y, x])}
    d['p'] = np.square(d['q'])
    return np.sum(d['p']) + x


ALL_MODES = list(MODES)


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_overwritten_parameter_without_use_pops_an_empty_stack(mode):
    """Reverse, optimized: IndexError 'pop from an empty Stack (op_id 'x_1')'."""
    check(overwritten_unused_parameter, [0.5, -0.5], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_dead_store_to_parameter_pops_another_statements_value(mode):
    """Reverse, optimized, wrt all: the restore of z pops the value saved for
    ``w[1] = x``; then IndexError 'pop from an empty Stack (op_id 'w_2')'. With
    other data the stolen value goes unnoticed (ValueError or a wrong shape)."""
    args = [0.2, np.array([-0.9, 1.0, 0.6]), 0.5]
    options = MODES[mode]
    df = derivative(dead_store_to_parameter, options, wrt=(0, 1, 2))
    if options['mode'] == 'forward':
        tangents = (0.5, np.array([1.0, -1.0, 0.5]), 2.0)
        expected = sum(np.sum(numerical_jvp(dead_store_to_parameter, args, i, t))
                       for i, t in enumerate(tangents))
        assert_close(df(*args, *tangents), expected)
    else:
        assert_close(df(*args), tuple(numerical_grad(dead_store_to_parameter, args, i)
                                      for i in range(3)))


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_dead_store_in_loop_pops_an_empty_stack(mode):
    """Reverse, optimized: IndexError 'pop from an empty Stack (op_id 'a_2')': the
    dead ``a = np.sin(2.0)`` and its push are removed, the pop is not."""
    check(dead_store_in_loop, [0.4], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_forward_optimizer_leaves_an_empty_loop_body(mode):
    """Forward, optimized: IndentationError: expected an indented block after
    'for' statement (dead-code elimination empties the loop and keeps it)."""
    check(dead_loop_body, [0.2, 0.5], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_zip_temporary_named_min_shadows_the_builtin(mode):
    """Every mode: UnboundLocalError: cannot access local variable 'min'. The
    temporary for ``min(len_values, len_values_1)`` is longer than 24 characters,
    so it is cut to its first word, ``min``, which then shadows the builtin."""
    check(zip_over_long_names, [np.array([0.1, 0.2, 0.3])], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_split_motion_returns_a_propagated_copy(mode):
    """Reverse split, optimized: NameError: name 'y' is not defined (the forward
    function returns ``y`` after copy propagation removed ``y = x``)."""
    check(returns_an_alias, [0.3], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_value_assigned_in_loop_read_after_it(mode):
    """Reverse: TypeError: unsupported operand type(s) for *: 'NoneType' and 'int'."""
    check(value_from_loop, [0.3], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_array_assigned_in_loop_read_after_it_gives_nan(mode):
    """Reverse: a silent wrong gradient, [nan nan nan]."""
    check(array_from_loop, [0.3, np.array([0.4, -1.1, -1.2])], MODES[mode], wrt=1)


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_dict_built_in_loop_read_after_it(mode):
    """Reverse: TypeError: 'NoneType' object is not subscriptable."""
    check(dict_from_loop, [0.3], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_loop_counter_read_after_loop(mode):
    """Optimized, reverse and forward: NameError: name 'i' is not defined (the loop
    is removed as dead code although its counter is read after it)."""
    check(counter_after_loop, [0.3], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_optimizer_leaves_an_else_of_comments(mode):
    """Forward, optimized: IndentationError: expected an indented block after 'else'
    (dead-code elimination empties the else branch but keeps its comment)."""
    check(dead_else_branch, [X], MODES[mode])
    check(dead_else_branch, [-X], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
def test_bug_copy_propagation_empties_an_if_in_a_subroutine(mode):
    """Forward, optimized: IndentationError: expected an indented block after 'if'
    (copy propagation removes ``a = i``, the only statement of the lowered
    ``if not stop:``, and no pass refilled the block; the subroutine's forward
    derivative, which also returns its value, kept the if)."""
    check(calls_break_then_dead_copy, [0.4, 0.3], MODES[mode])


@pytest.mark.parametrize('mode', ALL_MODES)
@pytest.mark.parametrize('wrt', [0, 1])
def test_bug_zeroed_dict_slot_reaches_np_array_of_a_list(mode, wrt):
    """Reverse: TypeError: 'float' object is not subscriptable (the adjoint of
    ``d['p'] = ...`` zeroes the slot with 0.0, and the gradient of
    ``np.array([x, y])`` indexed that scalar as if it were an array)."""
    check(dict_of_arrays_from_loop_then_slot_written, [0.3, -0.7], MODES[mode], wrt=wrt)


def test_a_conversion_found_corrupt_by_another_thread_runs_again():
    """CPython 3.11 counts AST conversion depth once per interpreter: a parse outside
    tangent at the same moment makes one of tangent's raise SystemError. The parse is
    pure, so tangent runs it again; other errors go through."""
    from tangent.syntax import threadsafe_ast
    calls = []

    def flaky(source):
        calls.append(source)
        if len(calls) == 1:
            raise SystemError('AST constructor recursion depth mismatch (before=48, after=57)')
        return source.upper()

    assert threadsafe_ast._retried(flaky)('x = 1') == 'X = 1' and len(calls) == 2

    def broken(source):
        raise SystemError('something else')

    with pytest.raises(SystemError, match='something else'):
        threadsafe_ast._retried(broken)('x = 1')

"""The derivative cache keeps no user data alive, and never serves a stale derivative.

- Once the user drops a function and its derivative, the cache lets go of the
  function, its closure values, its defaults and the globals it read: weak
  references to them are dead after ``gc.collect()``.
- A derivative the user still holds keeps working after its function's other
  references are gone, including the kinds that write more code when called
  (per receiver class, for Python numbers).
- ``tangent.clear_cache()`` makes the next ``grad`` write the derivative anew.
- The cache keys on ids, and a dead object's id is reused: functions made and
  dropped one after another, each with its own constant, each get their own
  gradient.

Every gradient is compared with central finite differences (``reference.py``).
"""

import gc
import importlib.util
import itertools
import weakref

import numpy as np
import pytest
from reference import assert_close, numerical_grad, numerical_jvp

import tangent
from tangent import grad_util
from tangent.api import cache, pipeline

X = np.array([0.3, -0.5, 0.8])
DIRECTION = np.array([0.7, 0.2, -0.4])
MODES = ['reverse', 'split', 'forward']
_modules = itertools.count()


def derivative_of(function, mode):
    if mode == 'forward':
        return tangent.autodiff(function, mode='forward')
    return tangent.autodiff(function, motion='split' if mode == 'split' else 'joint',
                            input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)


def check(function, mode, args=(X,)):
    """Differentiate ``function`` in ``mode`` and compare with finite differences."""
    df = derivative_of(function, mode)
    if mode == 'forward':
        assert_close(df(*args, DIRECTION), numerical_jvp(function, list(args), 0, DIRECTION))
    else:
        assert_close(df(*args), numerical_grad(function, list(args), 0))
    return df


def load_module(tmp_path, source):
    """A module with real source, in no registry: dropping it drops everything in it."""
    path = tmp_path / f'cache_lifetime_{next(_modules)}.py'
    path.write_text(source, encoding='utf-8')
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Holder:
    """Data a closure reads through an attribute (weak references work on it)."""

    def __init__(self, weights):
        self.weights = weights


def make_closure_over_array(weights):
    def weighted(x):
        return np.sum(np.sin(x) * weights)
    return weighted


def make_closure_over_holder(holder):
    def held(x):
        return np.sum(np.tanh(x * holder.weights))
    return held


def make_function_with_default():
    def with_default(x, scale=np.array([1.5, -0.5, 2.0])):
        return np.sum(np.cos(x) * scale)
    return with_default


def make_nested_closures(weights):
    def inner(v):
        return np.sin(v) * weights

    def outer(x):
        return np.sum(inner(x) * x)
    return outer


# Nothing is kept alive -----------------------------------------------------------------

@pytest.mark.parametrize('mode', MODES)
def test_a_dropped_closure_releases_the_array_it_captured(mode):
    weights = np.array([1.0, 2.0, 3.0])
    function = make_closure_over_array(weights)
    df = check(function, mode)
    captured, dropped = weakref.ref(weights), weakref.ref(function)
    del weights, function, df
    gc.collect()
    assert dropped() is None
    assert captured() is None


@pytest.mark.parametrize('mode', MODES)
def test_a_dropped_closure_releases_the_object_it_read_attributes_of(mode):
    holder = Holder(np.array([0.5, 1.5, -1.0]))
    function = make_closure_over_holder(holder)
    df = check(function, mode)
    captured = weakref.ref(holder)
    del holder, function, df
    gc.collect()
    assert captured() is None


def test_a_dropped_function_releases_its_default():
    function = make_function_with_default()
    check(function, 'reverse')
    default = weakref.ref(function.__defaults__[0])
    del function
    gc.collect()
    assert default() is None


def test_a_dropped_closure_releases_the_helper_it_calls_and_the_helper_data():
    weights = np.array([0.2, 0.4, 0.6])
    function = make_nested_closures(weights)
    check(function, 'reverse')
    helper = weakref.ref(function.__closure__[0].cell_contents)
    captured = weakref.ref(weights)
    del weights, function
    gc.collect()
    assert helper() is None
    assert captured() is None


def test_eight_factory_closures_leave_no_entry_behind():
    entries_before = len(cache.derivatives.entries)
    arrays = []
    for i in range(8):
        weights = np.full(3, 1.0 + i)
        arrays.append(weakref.ref(weights))
        check(make_closure_over_array(weights), 'reverse')
        del weights
    gc.collect()
    assert all(array() is None for array in arrays)
    assert len(cache.derivatives.entries) == entries_before


GLOBAL_SOURCE = '''
import numpy as np

WEIGHTS = np.array([1.0, -2.0, 0.5])


def reads_global(x):
    return np.sum(np.sin(x) * WEIGHTS)


def other(x):
    return np.sum(x * x * x)
'''


def test_an_old_global_value_is_released_when_its_function_goes(tmp_path):
    # A notebook runs a cell again: the global is rebound, the function redefined.
    module = load_module(tmp_path, GLOBAL_SOURCE)
    check(module.reads_global, 'reverse')
    old_weights, old_function = weakref.ref(module.WEIGHTS), weakref.ref(module.reads_global)
    module.WEIGHTS = np.array([3.0, 3.0, 3.0])
    del module.reads_global
    gc.collect()
    assert old_function() is None
    assert old_weights() is None


def test_an_old_global_value_is_released_once_more_derivatives_are_written(tmp_path):
    # The function lives on, and is not differentiated again: its entry is stale,
    # and goes when the cache next looks at it (a few entries at each write).
    module = load_module(tmp_path, GLOBAL_SOURCE)
    check(module.reads_global, 'reverse')
    old_weights = weakref.ref(module.WEIGHTS)
    module.WEIGHTS = np.array([3.0, 3.0, 3.0])
    for i in range(cache.CACHE_SIZE // cache.SWEPT_PER_WRITE + 1):
        check(make_closure_over_array(np.full(3, 0.5 + i)), 'reverse')
    gc.collect()
    assert old_weights() is None
    check(module.reads_global, 'reverse')  # and its derivative is written anew, right


def test_a_dropped_module_releases_its_functions_and_globals(tmp_path):
    module = load_module(tmp_path, GLOBAL_SOURCE)
    check(module.reads_global, 'reverse')
    check(module.other, 'forward')
    globals_value, function = weakref.ref(module.WEIGHTS), weakref.ref(module.reads_global)
    del module
    # A module and its functions are a reference cycle: a first collection frees it,
    # taking the entries; the generated function and its globals are a cycle of their
    # own, which the second collection frees.
    gc.collect()
    gc.collect()
    assert function() is None
    assert globals_value() is None


# A held derivative keeps working ---------------------------------------------------------

@pytest.mark.parametrize('mode', MODES)
def test_a_held_derivative_works_after_its_function_is_dropped(mode):
    weights = np.array([0.5, -1.0, 2.0])
    df = derivative_of(make_closure_over_array(weights), mode)
    gc.collect()
    twin = make_closure_over_array(weights)  # the same function, for the reference
    if mode == 'forward':
        assert_close(df(X, DIRECTION), numerical_jvp(twin, [X], 0, DIRECTION))
    else:
        assert_close(df(X), numerical_grad(twin, [X], 0))


class Scaled:
    def __init__(self, factor):
        self.factor = factor

    def apply(self, v):
        return np.sin(v) * self.factor


class Shifted:
    def __init__(self, shift):
        self.shift = shift

    def apply(self, v):
        return np.cos(v + self.shift)


def make_calling_a_method():
    def through_model(x, model):
        return np.sum(model.apply(x) * x)
    return through_model


def make_loop_reading_shapes(weights):
    def looped(x):
        total = x * 0.0
        for i in range(3):
            total = total + np.sin(x * weights[i])
        return np.sum(total)
    return looped


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_a_held_derivative_writes_code_for_a_new_class_after_its_function_is_dropped(mode):
    # The class of ``model`` is known only when the derivative is called: the code
    # for each class is written then, from the function the user no longer holds.
    df = derivative_of(make_calling_a_method(), mode)
    gc.collect()
    reference = make_calling_a_method()
    for model in (Scaled(1.5), Shifted(0.25)):
        if mode == 'forward':
            assert_close(df(X, model, DIRECTION),
                         numerical_jvp(reference, [X, model], 0, DIRECTION))
        else:
            assert_close(df(X, model), numerical_grad(reference, [X, model], 0))


def test_a_held_derivative_writes_its_scalar_version_after_its_function_is_dropped():
    weights = np.array([0.5, 1.5, -2.0])
    df = tangent.grad(make_loop_reading_shapes(weights))
    gc.collect()
    reference = make_loop_reading_shapes(weights)
    assert_close(df(X), numerical_grad(reference, [X], 0))
    assert_close(df(0.7), numerical_grad(reference, [0.7], 0))  # written at this call
    assert 'numbers' in df.specialisations


def test_a_derivative_of_a_held_derivative_works_after_the_function_is_dropped():
    df = tangent.grad(make_closure_over_array(np.array([1.0, 2.0, 0.5])))
    gc.collect()
    second = tangent.autodiff(df, mode='forward', check_dims=False)
    reference = make_closure_over_array(np.array([1.0, 2.0, 0.5]))
    hessian_times_direction = numerical_jvp(
        lambda v: numerical_grad(reference, [v], 0), [X], 0, DIRECTION, eps=1e-4)
    assert_close(second(X, 1.0, DIRECTION), hessian_times_direction, rtol=1e-4, atol=1e-6)


# clear_cache -------------------------------------------------------------------------------

@pytest.fixture
def written(monkeypatch):
    """Counts the derivatives written from source (reverse and forward)."""
    count = {'reverse': 0, 'forward': 0}
    for mode in count:
        original = getattr(pipeline, f'_generate_{mode}')

        def counting(*args, original=original, mode=mode, **kwargs):
            count[mode] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(pipeline, f'_generate_{mode}', counting)
    return count


def test_clear_cache_is_public():
    assert tangent.clear_cache is grad_util.clear_cache
    assert 'clear_cache' in grad_util.__all__


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_after_clear_cache_the_next_grad_writes_the_derivative_anew(written, mode):
    function = make_closure_over_array(np.array([0.25, -0.75, 1.5]))
    check(function, mode)
    check(function, mode)
    assert written[mode] == 1  # the second came from the cache
    tangent.clear_cache()
    assert not cache.derivatives.entries
    check(function, mode)
    assert written[mode] == 2


def test_a_derivative_returned_before_clear_cache_keeps_working():
    weights = np.array([2.0, 0.5, -1.0])
    function = make_closure_over_array(weights)
    df = check(function, 'reverse')
    tangent.clear_cache()
    gc.collect()
    assert_close(df(X * 2.0), numerical_grad(function, [X * 2.0], 0))


def test_clear_cache_forgets_the_undecorated_copies(tmp_path):
    module = load_module(tmp_path, '''
import functools

import numpy as np


def logged(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return fn(x)
    return wrapper


@logged
def decorated(x):
    return np.sum(np.sin(x) * x)
''')
    check(module.decorated, 'reverse')
    assert len(tangent.frontend.decorators._made) == 1
    tangent.clear_cache()
    assert len(tangent.frontend.decorators._made) == 0
    check(module.decorated, 'reverse')


# No stale derivative for a new function at an old address ------------------------------

def make_scaled(constant):
    def scaled(x):
        return np.sum(np.sin(x * constant)) + constant * np.sum(x * x)
    return scaled


def make_scaled_by_default(constant):
    def scaled(x, c=constant):
        return np.sum(np.sin(x * c)) + c * np.sum(x * x)
    return scaled


@pytest.mark.parametrize('make', [make_scaled, make_scaled_by_default])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_new_functions_made_after_old_ones_died_get_their_own_gradients(make, mode):
    # The constants and functions are dropped at each step, so their addresses (the
    # ids in the cache key) come back; a derivative of a dead function must not.
    addresses = []
    for step in range(150):
        constant = 0.5 + step / 50.0
        function = make(constant)
        addresses.append(id(constant))
        check(function, mode)
        del function, constant
    assert len(set(addresses)) < len(addresses), 'no address came back: nothing was tested'

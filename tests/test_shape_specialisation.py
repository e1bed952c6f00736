"""Derivatives specialised at their first call on what the arguments are (issue 22).

Each derivative is checked against central differences (``check_grads``, or
``numerical_grad``), and the specialised version against the generic code it was
rewritten from: the same numbers, of the same types and dtypes.
"""

import inspect
import warnings

import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent.api import specialise
from tangent.compile import source_of
from tangent.testing import check_grads

RNG = np.random.default_rng(22)


def normal(*shape):
    return RNG.normal(size=shape)


def scalar_plus_array(a, x):
    return np.sum(np.tanh(a + x) * a)


def outer_broadcast(c, r):
    return np.sum(np.exp(c + r) * (c - r))


def row_bias(x, w, b):
    return np.mean(np.tanh(np.dot(x, w) + b) ** 2)


def keepdims_sums(x, y):
    total = np.sum(x * y, axis=1, keepdims=True)
    centred = x - total / 3.0
    return np.sum(np.mean(centred * centred, axis=0, keepdims=True))


def transposes_and_matmul(w, x):
    h = w.T @ x
    return np.sum(np.sin(h) * h.T.T)


def reshaped(x):
    y = np.reshape(x, (3, 4))
    return np.sum(np.sum(y * y, axis=0) * np.arange(4.0))


def indexed_rows(x, w):
    total = 0.0
    for t in range(x.shape[0]):
        total = total + np.sum(np.tanh(x[t] * w))
    return total + np.sum(x[0, :2] * x[1, 1:3])


def rnn(w, u, b, xs, h):
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(h, w) + np.dot(xs[t], u) + b)
        loss = loss + np.sum(h * h)
    return loss


def with_integer_array(x, counts):
    return np.sum(x * counts + counts / 2.0 * np.log(1.0 + x * x))


def changing_shape_in_loop(x):
    for _ in range(2):
        x = np.sum(x * x, axis=0)
    return np.sum(x)


def divided_and_powered(x, s):
    y = x / s - s ** 2 * x
    return np.sum(y * y) / np.size(x)


def gated(x, w):
    hidden = w.shape[1] // 2
    gates = x @ w
    return np.sum(np.tanh(gates[:, :hidden]) * np.exp(-gates[:, hidden:2 * hidden]))


SCALE = 0.5


def gaussian_likelihood(log_scale, x, y):
    n = x.shape[0]
    k = np.exp(log_scale) * np.exp(-np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=2)) \
        + 0.5 * np.eye(n)
    low = np.linalg.cholesky(k)
    z = np.linalg.solve(low, y)
    return SCALE * np.sum(z * z) + np.sum(np.log(np.diag(low))) + 0.5 * n


def scalar_weights_of_an_array(a, x):
    e = np.exp(a)  # a NumPy float64 of a Python float: its gradient sums an array's
    return np.sum(np.sin(e * x) + e)


def sliced_in_a_loop(h, w):
    hidden = w.shape[1]
    loss = 0.0
    for _ in range(3):
        h = np.tanh(h @ w)
        half = hidden // 2
        loss = loss + np.sum(h[:, :half] * h[:, half:2 * half])
    return loss


BROADCASTING = [
    (scalar_plus_array, (0.7, normal(5))),
    (scalar_plus_array, (normal(5), normal(3, 5))),
    (outer_broadcast, (normal(3, 1), normal(1, 4))),
    (outer_broadcast, (normal(3, 1), normal(4))),
    (row_bias, (normal(6, 3), normal(3, 2), normal(2))),
    (row_bias, (normal(6, 3), normal(3, 2), normal(1, 2))),
    (keepdims_sums, (normal(4, 3), normal(1, 3))),
    (keepdims_sums, (normal(4, 3), normal(4, 1))),
    (transposes_and_matmul, (normal(3, 3), normal(3, 3))),
    (reshaped, (normal(12),)),
    (indexed_rows, (normal(4, 3), normal(3))),
    (rnn, (normal(4, 4) * 0.5, normal(3, 4), normal(4), normal(5, 2, 3), normal(2, 4))),
    (changing_shape_in_loop, (normal(2, 3, 2),)),
    (divided_and_powered, (normal(2, 3), 1.3)),
    (divided_and_powered, (normal(2, 3), normal(3))),
    (gated, (normal(3, 4), normal(4, 6))),
    (gaussian_likelihood, (0.3, normal(6, 2), normal(6))),
    (scalar_weights_of_an_array, (0.3, normal(2, 3))),
    (sliced_in_a_loop, (normal(2, 4), normal(4, 4))),
]


def _ids(cases):
    return [f'{f.__name__}-' + '-'.join(str(np.shape(a)) for a in args) for f, args in cases]


def assert_same_values(actual, expected):
    """The same structure, types, dtypes and shapes, and equal numbers."""
    assert type(actual) is type(expected), (type(actual), type(expected))
    if isinstance(actual, dict):
        assert list(actual) == list(expected)
        for key in actual:
            assert_same_values(actual[key], expected[key])
        return
    if isinstance(actual, tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same_values(a, e)
        return
    if isinstance(actual, (np.ndarray, np.generic)):
        assert actual.dtype == expected.dtype and np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def _versions(derivative):
    return {key: version for key, version in derivative.specialisations.items()
            if key != 'numbers'}


@pytest.mark.parametrize('f, args', BROADCASTING, ids=_ids(BROADCASTING))
def test_specialised_derivatives_match_finite_differences(f, args):
    check_grads(f, *args, modes=('reverse', 'forward'), order=2)


@pytest.mark.parametrize('f, args', BROADCASTING, ids=_ids(BROADCASTING))
def test_specialised_version_computes_what_the_generic_code_does(f, args):
    wrt = tuple(range(len(args) - 1 if f is rnn else len(args)))
    derivative = tangent.grad(f, wrt=wrt)
    generic = getattr(derivative, specialise.GENERAL_VERSION)
    actual = derivative(*args)
    assert _versions(derivative), 'the call wrote no version for its signature'
    assert_same_values(actual, generic(*args))
    for index in wrt:
        expected = numerical_grad(f, list(args), index)
        assert_close(actual[index] if len(wrt) > 1 else actual, expected,
                     rtol=1e-5, atol=1e-6)


def test_rnn_version_has_no_shape_dispatch_in_its_backward_pass():
    args = (normal(4, 4) * 0.5, normal(3, 4), normal(4), normal(5, 2, 3), normal(2, 4))
    derivative = tangent.grad(rnn, wrt=(0, 1, 2))
    derivative(*args)
    source = inspect.getsource(derivative)
    assert 'Specialised for w: float64[4, 4]' in source
    backward = source.split('# Backward pass')[1]
    for helper in ('add_grad', 'init_grad', 'check_seed', 'unconcat', 'unreduce_like',
                   'grad_dot'):
        assert f'tangent.{helper}(' not in backward, helper
    assert 'np.sum(bdot_1_plus_b, axis=0)' in backward  # the bias's gradient, exactly
    generic = inspect.getsource(getattr(derivative, specialise.GENERAL_VERSION))
    # Taped values nothing reads any more, and records of a known shape, are gone.
    assert generic.count('.append(') > source.count('.append(')
    assert 'shape_only(h_times_h)' in generic and 'shape_only(h_times_h)' not in source
    assert 'dot_1_saved' in generic and 'dot_1_saved' not in source


def test_same_derivative_right_for_each_signature_in_turn():
    derivative = tangent.grad(scalar_plus_array, wrt=(0, 1))
    for args in [(0.3, 1.2), (0.3, normal(4)), (normal(4), normal(4)), (normal(2, 4), 0.5),
                 (0.3, normal(3, 2)), (0.3, normal(4)), (np.float64(0.3), normal(4)),
                 (normal(3, 1), normal(2, 1, 4))]:
        actual = derivative(*args)
        for index in (0, 1):
            assert_close(actual[index], numerical_grad(scalar_plus_array, list(args), index),
                         rtol=1e-5, atol=1e-6)
        assert_same_values(actual, getattr(derivative, specialise.GENERAL_VERSION)(*args))


def test_past_eight_signatures_the_generic_code_runs():
    derivative = tangent.grad(outer_broadcast, wrt=(0, 1))
    generic = getattr(derivative, specialise.GENERAL_VERSION)
    for size in range(1, 13):
        args = (normal(size, 1), normal(1, 3))
        actual = derivative(*args)
        for index in (0, 1):
            assert_close(actual[index], numerical_grad(outer_broadcast, list(args), index),
                         rtol=1e-5, atol=1e-6)
    assert len(_versions(derivative)) == specialise.MAX_VERSIONS
    assert derivative(normal(13, 1), normal(1, 3)) is not None
    assert len(_versions(derivative)) == specialise.MAX_VERSIONS
    assert generic is getattr(derivative, specialise.GENERAL_VERSION)


def test_float32_arrays_keep_their_dtype_and_mixed_dtypes_broadcast():
    x32 = normal(3, 4).astype(np.float32)
    b64 = normal(4)
    for args in [(x32, b64), (x32, b64.astype(np.float32)), (normal(3, 4), b64[None, :])]:
        derivative = tangent.grad(outer_broadcast, wrt=(0, 1))
        actual = derivative(*args)
        generic = getattr(derivative, specialise.GENERAL_VERSION)(*args)
        assert_same_values(actual, generic)
        if args[0].dtype == args[1].dtype:
            assert actual[0].dtype == actual[1].dtype == args[0].dtype
        wide = [np.asarray(a, np.float64) for a in args]
        for index in (0, 1):
            assert_close(actual[index], numerical_grad(outer_broadcast, wide, index),
                         rtol=1e-3, atol=1e-3)


def test_integer_arrays_get_float_gradients():
    counts = np.array([[1, 2, 3], [4, 5, 6]])
    x = normal(2, 3)
    derivative = tangent.grad(with_integer_array, wrt=(0,))
    actual = derivative(x, counts)
    assert_same_values(actual, getattr(derivative, specialise.GENERAL_VERSION)(x, counts))
    assert_close(actual, numerical_grad(with_integer_array, [x, counts], 0))
    derivative = tangent.grad(lambda c, y: np.sum(c * y), wrt=(0,))
    gradient = derivative(counts, x)  # the gradient of an integer array: float
    assert gradient.dtype == np.float64 and np.array_equal(gradient, x)


def test_a_seed_of_the_wrong_shape_is_still_refused():
    derivative = tangent.grad(lambda x: x * 2.0)
    assert_close(derivative(normal(3), np.ones(3)), 2.0 * np.ones(3))
    with pytest.raises(ValueError, match='seed'):
        derivative(normal(3), np.ones(4))


def test_verbose_prints_the_generic_code_then_each_version(capsys):
    derivative = tangent.grad(keepdims_sums, verbose=1)
    built = capsys.readouterr().out
    assert 'Specialised' not in built and 'tangent.unreduce_like(' in built
    args = (normal(4, 3), normal(1, 3))
    derivative(*args)
    first = capsys.readouterr().out
    assert '# Specialised for x: float64[4, 3], y: float64[1, 3]' in first
    assert inspect.getsource(derivative).rstrip('\n') in first
    derivative(*args)
    assert capsys.readouterr().out == ''  # the version is written once
    derivative(normal(2, 3), normal(1, 3))
    assert 'float64[2, 3]' in capsys.readouterr().out
    assert 'float64[4, 3]' in inspect.getsource(derivative)  # the first call decides


def test_source_of_shows_the_generic_code_before_any_call():
    derivative = tangent.grad(row_bias, wrt=(1, 2))
    assert 'Specialised' not in source_of(derivative)
    derivative(normal(6, 3), normal(3, 2), normal(2))
    assert 'Specialised for' in source_of(derivative)


def test_sizes_from_shapes_resolve_slices_eye_and_factorisations():
    args = (0.3, normal(6, 2), normal(6))
    derivative = tangent.grad(gaussian_likelihood, wrt=(0,))
    derivative(*args)
    source = inspect.getsource(derivative)
    assert 'Specialised for' in source
    for helper in ('unbroadcast', 'unreduce_like', 'add_grad', 'check_seed'):
        assert f'tangent.{helper}(' not in source, helper  # n = x.shape[0], np.eye(n)
    derivative = tangent.grad(gated, wrt=(0, 1))
    derivative(normal(3, 4), normal(4, 6))
    source = inspect.getsource(derivative)
    assert 'tangent.unbroadcast(' not in source  # gates[:, :hidden] has a known shape
    assert 'tangent.add_at(' not in source and 'bgates[:, :hidden] += ' in source


def test_a_size_differing_between_calls_gets_a_version_each():
    derivative = tangent.grad(gated, wrt=(1,))
    for columns in (4, 6, 8, 6):
        args = [normal(3, 4), normal(4, columns)]
        assert_close(derivative(*args), numerical_grad(gated, args, 1), rtol=1e-5, atol=1e-6)
    assert len(_versions(derivative)) == 3


WEIGHTS = normal(3)


def weighted(x):
    return np.sum(np.tanh(x * WEIGHTS))


def test_a_global_array_rebound_to_another_shape_is_differentiated_anew(monkeypatch):
    derivative = tangent.grad(weighted)
    x = normal(2, 3)
    assert_close(derivative(x), numerical_grad(weighted, [x], 0), rtol=1e-5, atol=1e-6)
    monkeypatch.setitem(globals(), 'WEIGHTS', normal(4, 2, 3))  # x's gradient: summed
    assert_close(derivative(x), numerical_grad(weighted, [x], 0), rtol=1e-5, atol=1e-6)
    monkeypatch.setitem(globals(), 'WEIGHTS', 0.7)
    assert_close(derivative(x), numerical_grad(weighted, [x], 0), rtol=1e-5, atol=1e-6)


def test_a_global_array_reshaped_in_place_is_not_assumed(monkeypatch):
    monkeypatch.setitem(globals(), 'WEIGHTS', normal(2, 3))
    derivative = tangent.grad(weighted)
    x = normal(2, 3)
    assert_close(derivative(x), numerical_grad(weighted, [x], 0), rtol=1e-5, atol=1e-6)
    WEIGHTS.shape = (1, 2, 3)  # the same object: the derivative is not written anew
    assert_close(derivative(x), numerical_grad(weighted, [x], 0), rtol=1e-5, atol=1e-6)


def test_an_int_every_step_shares_is_not_taped():
    derivative = tangent.grad(sliced_in_a_loop, wrt=(0, 1))
    args = [normal(2, 4), normal(4, 4)]
    derivative(*args)
    generic = inspect.getsource(getattr(derivative, specialise.GENERAL_VERSION))
    source = inspect.getsource(derivative)
    assert 'half_saved.append(half)' in generic and 'half_saved' not in source
    assert 'tangent.add_at(' not in source


def recurrent_with_a_dict(params, h, xs):
    hidden = h.shape[1]
    loss = 0.0
    for t in range(xs.shape[0]):
        gates = xs[t] @ params['Wx'] + h @ params['Wh'] + params['b']
        h = np.tanh(gates[:, :hidden]) * params['scale'] + np.sin(gates[:, hidden:])
        loss = loss + np.sum(h * h)
    return loss


def dict_params(inputs, hidden, bias_shape=None):
    return {'Wx': normal(inputs, 2 * hidden) * 0.5, 'Wh': normal(hidden, 2 * hidden) * 0.5,
            'b': normal(*(bias_shape or (2 * hidden,))), 'scale': 0.8}


@pytest.mark.parametrize('bias_shape', [None, (1, 6)])
def test_a_dict_of_arrays_gets_a_version_without_dispatch(bias_shape):
    args = [dict_params(2, 3, bias_shape), normal(1, 3), normal(4, 1, 2)]
    derivative = tangent.grad(recurrent_with_a_dict)
    actual = derivative(*args)
    assert_close(actual, numerical_grad(recurrent_with_a_dict, args, 0))
    assert_same_values(actual, getattr(derivative, specialise.GENERAL_VERSION)(*args))
    backward = inspect.getsource(derivative).split('# Backward pass')[1]
    assert "Specialised for params: {'Wx': float64[2, 6]" in inspect.getsource(derivative)
    for helper in ('init_grad', 'add_at', 'unaliased', 'unbroadcast', 'add_grad'):
        assert f'tangent.{helper}(' not in backward, helper
    assert actual is not args[0] and all(actual[k] is not args[0][k] for k in actual)


def test_dicts_of_other_shapes_or_keys_each_get_their_version():
    derivative = tangent.grad(recurrent_with_a_dict)
    before = len(_versions(derivative))  # the same derivative as the test's above
    for params in [dict_params(2, 3), dict_params(2, 4), dict_params(2, 3, (1, 6)),
                   dict(dict_params(2, 3), extra=normal(2)), dict_params(2, 3)]:
        args = [params, normal(1, (params['Wh'].shape[0])), normal(3, 1, 2)]
        actual = derivative(*args)
        assert_close(actual, numerical_grad(recurrent_with_a_dict, args, 0))
        assert_same_values(actual, getattr(derivative, specialise.GENERAL_VERSION)(*args))
    assert len(_versions(derivative)) == before + 4


def passes_its_dict_on(params, x):
    inner = params
    return np.sum(np.tanh(x @ inner['w'])) + np.sum(params['w'] ** 2)


def test_a_dict_bound_to_another_name_is_not_assumed():
    args = [{'w': normal(3, 2)}, normal(4, 3)]
    derivative = tangent.grad(passes_its_dict_on)
    actual = derivative(*args)
    assert_close(actual, numerical_grad(passes_its_dict_on, args, 0))
    assert_same_values(actual, getattr(derivative, specialise.GENERAL_VERSION)(*args))


def test_a_dict_subclass_or_changed_dict_runs_the_right_version():
    import collections
    derivative = tangent.grad(recurrent_with_a_dict)
    params = dict_params(2, 3)
    for value in (params, collections.OrderedDict(params), params):
        args = [value, normal(1, 3), normal(3, 1, 2)]
        assert_close(derivative(*args), numerical_grad(recurrent_with_a_dict, args, 0))
    # The same dict, its entries of other shapes: its own version.
    params.update(Wx=normal(2, 8) * 0.5, Wh=normal(4, 8) * 0.5, b=normal(1, 8))
    args = [params, normal(1, 4), normal(3, 1, 2)]
    assert_close(derivative(*args), numerical_grad(recurrent_with_a_dict, args, 0))


def branch_left_with_comments_only(v, x):
    if np.sum(v) < -0.04:
        x -= x * 0.64
        if x > 0.65:
            v = v
            x = np.tanh(np.tanh(v[2]))
            j = v
        else:
            x = x - np.sum(v)
            v = np.square(v) / (1.5 + np.cos(v[1]))
            j = v
        v = v - np.array([0.67, -0.31, -1.97])[1]
    v = v
    return np.sum(v)


@pytest.mark.parametrize('v', [np.array([1.47, -0.25, 1.28]), np.array([-1.0, -0.5, 0.2])])
@pytest.mark.parametrize('wrt', [(1,), (0, 1)])
def test_a_block_left_with_comments_only_still_gets_a_version(v, wrt):
    """Specialising may leave a branch with nothing but its ``# Grad of`` comments
    (a program the fuzzer wrote): the version still compiles (no warning, no
    fallback to the generic code)."""
    derivative = tangent.grad(branch_left_with_comments_only, wrt=wrt)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        actual = derivative(v, 0.3)
    assert _versions(derivative), 'the call wrote no version for its signature'
    for position, index in enumerate(wrt):
        assert_close(actual[position] if len(wrt) > 1 else actual,
                     numerical_grad(branch_left_with_comments_only, [v, 0.3], index),
                     rtol=1e-5, atol=1e-6)


def squares_in_a_while_loop(v):
    count = 0
    while count < 3:
        count = count + 1
        v = v * v - v
    return np.sum(v)


@pytest.mark.parametrize('steps', [2, 3])
def test_a_temporary_a_loop_of_pops_leaves_unbound_is_restored_at_second_order(steps):
    """Reverse over reverse of a loop (a program the fuzzer wrote): the gradient's own
    loop of pops leaves a temporary (v * v) at the None it held before its first
    value, and the outer backward pass restores it before reading its shape. The
    version kept that restoring pop; dropped, a later sum read None (wrong numbers)."""
    v, direction = np.array([0.0, -1.24, -0.32]), np.array([0.17, 1.27, 0.39])
    gradient = tangent.autodiff(squares_in_a_while_loop, mode='reverse', check_dims=False)
    over_reverse = tangent.autodiff(gradient, mode='reverse', check_dims=False)
    expected = (gradient(v + 1e-6 * direction, 1.0) -
                gradient(v - 1e-6 * direction, 1.0)) / 2e-6
    assert_close(over_reverse(v, 1.0, direction), expected, rtol=1e-6, atol=1e-8)
    assert _versions(over_reverse), 'the call wrote no version for its signature'
    assert_close(over_reverse(v, 1.0, direction),
                 getattr(over_reverse, specialise.GENERAL_VERSION)(v, 1.0, direction),
                 rtol=1e-12, atol=0)

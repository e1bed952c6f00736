"""Programs written for autograd run unchanged: ``autograd.numpy`` (and its
``linalg``, ``fft``, ``random``), ``autograd.scipy.signal.convolve``,
``autograd.misc.flatten`` and users' own ``autograd.extend.primitive``s.

Every autograd wrapper stands for the NumPy function it wraps (whose tangent
rules then apply), found from the wrapper itself, never from a hand list; a
primitive without a tangent rule is differentiated through autograd's own
rules. Every derivative is compared with autograd's (``autograd.grad``,
``autograd.hessian_vector_product``) and with central finite differences
(``tangent.testing.check_grads``: reverse joint and split, forward, and every
second-order composition). The autograd.scipy functions are tested in
``test_autograd_scipy.py``.
"""

import sys
import types

import autograd
import autograd.numpy as anp
import autograd.numpy.random as npr
import autograd.scipy.signal as autograd_signal
import numpy as np
import pytest
from autograd.extend import defjvp, defvjp, primitive
from autograd.misc import flatten

import tangent
from tangent.backends.numpy import autograd_wrappers
from tangent.testing import check_grads

RNG = np.random.RandomState(0)
X = RNG.randn(4)
V = RNG.randn(4)
M = RNG.randn(3, 4)


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=1e-10)


def hessian_vector_product(f):
    """tangent's forward over reverse: ``hvp(x, v)``."""
    hvp = tangent.autodiff(tangent.autodiff(f, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)
    return lambda x, v: hvp(x, 1.0, v)


def assert_like_autograd(f, x, order=2, forward=True):
    """tangent's gradient (joint and split), forward derivative and Hessian-vector
    product of ``f`` at ``x`` agree with autograd's, and with finite differences."""
    expected = autograd.grad(f)(x)
    assert_close(tangent.grad(f)(x), expected)
    assert_close(tangent.autodiff(f, motion='split')(x), expected)
    direction = np.ones_like(x) * 0.3 + np.arange(x.size).reshape(x.shape) * 0.1
    if forward:
        assert_close(tangent.autodiff(f, mode='forward')(x, direction),
                     np.sum(expected * direction))
    if order == 2:
        assert_close(hessian_vector_product(f)(x, direction),
                     autograd.hessian_vector_product(f)(x, direction))
    check_grads(f, x, modes=('reverse', 'forward') if forward else ('reverse',), order=order)


# Every name of the namespaces resolves -------------------------------------------------

NAMESPACES = ['autograd.numpy', 'autograd.numpy.linalg', 'autograd.numpy.fft',
              'autograd.numpy.random']
LIBRARY = {'autograd.numpy': np, 'autograd.numpy.linalg': np.linalg,
           'autograd.numpy.fft': np.fft, 'autograd.numpy.random': np.random}
# Names autograd gives its own function, not the library's of the same name.
OWN_SEMANTICS = {('autograd.scipy.signal', 'convolve')}


def autograd_functions(module_names):
    """(module, name, function) for each function autograd defines in the namespaces."""
    for module_name in module_names:
        module = sys.modules[module_name]
        for name, value in sorted(vars(module).items()):
            if not name.startswith('_') and isinstance(value, types.FunctionType) and \
                    value.__module__.split('.')[0] == 'autograd':
                yield module_name, name, value


def check_resolution(module_name, name, value, library):
    """A wrapper of a library name stands for that library function, unless autograd
    gives it its own meaning (then its calls go through autograd's rules); a name the
    library lacks is autograd's own: a primitive going through autograd's rules, or
    a helper differentiated like user code."""
    # aliases: custom_where is also exported as where, row_stack is vstack
    library_names = [getattr(library, alias) for alias, other in
                     sorted(vars(sys.modules[module_name]).items())
                     if other is value and callable(getattr(library, alias, None))]
    counterpart = getattr(library, name, None)
    if not callable(counterpart) and library_names:
        counterpart = library_names[0]
    target = autograd_wrappers.library_target(value)
    if (module_name, name) in OWN_SEMANTICS:
        assert target is None and autograd_wrappers.goes_through_autograd(value)
    elif callable(counterpart) and \
            not getattr(counterpart, '__module__', '').startswith('autograd'):
        assert target is not None, f'{module_name}.{name} resolves to nothing'
        assert any(target is known or target == known for known in library_names), \
            f'{module_name}.{name} resolves to {target}, not {counterpart}'
    elif autograd_wrappers.is_primitive(value):
        assert target is None and autograd_wrappers.goes_through_autograd(value), \
            f'{module_name}.{name}, a primitive of autograd only, must go through autograd'
    else:
        assert target is None, f'{module_name}.{name} is autograd\'s own: {target}'


@pytest.mark.parametrize('module_name', NAMESPACES)
def test_every_autograd_numpy_name_resolves_to_numpy(module_name):
    functions = list(autograd_functions([module_name]))
    assert len(functions) > 10
    for _, name, value in functions:
        check_resolution(module_name, name, value, LIBRARY[module_name])


def test_the_wrappers_named_in_the_brief_resolve_to_numpy():
    # Each of these once failed on its *args signature.
    assert autograd_wrappers.library_target(anp.concatenate) is np.concatenate
    assert autograd_wrappers.library_target(anp.vstack) is np.vstack
    assert autograd_wrappers.library_target(anp.hstack) is np.hstack
    assert autograd_wrappers.library_target(anp.stack) is np.stack
    assert autograd_wrappers.library_target(anp.where) is np.where
    assert autograd_wrappers.library_target(anp.linalg.norm) is np.linalg.norm
    assert autograd_wrappers.library_target(anp.array) is np.array
    assert autograd_wrappers.library_target(anp.einsum) is np.einsum
    assert autograd_wrappers.library_target(anp.sum) is np.sum
    assert autograd_wrappers.library_target(npr.randn) is np.random.randn


def test_a_user_function_resolves_to_nothing():
    def user(x):
        return x
    assert autograd_wrappers.library_target(user) is None
    assert autograd_wrappers.library_target(np.sum) is None


# Each kind of wrapper, differentiated --------------------------------------------------

def concatenated(x):
    return anp.sum(anp.concatenate([x, 2.0 * x], axis=0) ** 2)


def concatenated_in_a_loop(x):
    pieces = []
    for i in range(3):
        pieces.append(anp.sin(x * (i + 1)))
    return anp.sum(anp.concatenate(pieces) * anp.concatenate([x, x, x]))


def vstacked(x):
    return anp.sum(anp.vstack([x, anp.cos(x)]) ** 2)


def hstacked(x):
    return anp.sum(anp.hstack([x, x ** 3]) * 0.5)


def stacked(x):
    return anp.sum(anp.stack([x, anp.exp(x)], axis=1) ** 2)


def column_stacked(x):
    return anp.sum(anp.column_stack([x, x * x]) ** 2)


def selected(x):
    return anp.sum(anp.where(x > 0.0, x ** 2, -x ** 3))


def normed(x):
    return anp.linalg.norm(x) + anp.linalg.norm(anp.reshape(x, (2, 2)), 'fro')


def array_of_values(x):
    return anp.sum(anp.array([x[0] * x[1], x[2], anp.sin(x[3])]) ** 2)


def matrix_of_values(x):
    m = anp.array([[x[0], x[1] * 2.0], [anp.sin(x[2]), x[3]]])
    return anp.sum(anp.dot(m, m))


def contracted(x):
    return anp.einsum('i,ij,j->', anp.dot(M, x), M, x)


def moments(x):
    return anp.mean(x ** 2) + anp.std(x) + anp.var(anp.sin(x))


def through_methods(x):
    y = anp.tanh(x)
    return (y * y).sum() + anp.sum(y.T * x.reshape(2, 2).ravel())


# The NumPy rules of these support first order only (the same functions written
# with numpy fail at second order the same way).
FIRST_ORDER_ONLY = {concatenated_in_a_loop, normed, contracted}


@pytest.mark.parametrize('f', [concatenated, concatenated_in_a_loop, vstacked, hstacked,
                               stacked, column_stacked, selected, normed, array_of_values,
                               matrix_of_values, contracted, moments, through_methods],
                         ids=lambda f: f.__name__)
def test_wrappers_differentiate_like_autograd(f):
    assert_like_autograd(f, X, order=1 if f in FIRST_ORDER_ONLY else 2)


def fourier_energy(x):
    spectrum = anp.fft.fft(x)
    return anp.sum(anp.real(spectrum) ** 2 + anp.imag(spectrum) ** 2) / 4.0


def test_fft_refuses_complex_intermediates_rather_than_a_wrong_gradient():
    # anp.fft.fft stands for np.fft.fft; tangent differentiates real numbers only.
    with pytest.raises(tangent.errors.ComplexNumberError):
        tangent.grad(fourier_energy)(X)


def solved(x):
    A = anp.outer(x, x) + 3.0 * anp.eye(4)
    return anp.sum(anp.linalg.solve(A, x)) + anp.linalg.slogdet(A)[1] + \
        anp.trace(anp.linalg.inv(A))


def test_linalg_differentiates_like_autograd():
    assert_like_autograd(solved, X, order=1)  # the NumPy rules: first order


# Realistic programs ------------------------------------------------------------------

def init_params(sizes, rs):
    return [(rs.randn(m, n) * 0.5, rs.randn(n) * 0.1) for m, n in zip(sizes[:-1], sizes[1:])]


PARAMS = init_params([3, 5, 2], npr.RandomState(1))
INPUTS = npr.RandomState(2).randn(6, 3)
TARGETS = npr.RandomState(3).randn(6, 2)


def mlp_predict(params, inputs):
    h = inputs
    for W, b in params:
        h = anp.tanh(anp.dot(h, W) + b)
    return h


def mlp_loss(params):
    return anp.mean((mlp_predict(params, INPUTS) - TARGETS) ** 2)


def test_an_mlp_with_a_list_of_weight_tuples_matches_autograd():
    expected = autograd.grad(mlp_loss)(PARAMS)
    result = tangent.grad(mlp_loss)(PARAMS)
    for (dW, db), (eW, eb) in zip(result, expected):
        assert_close(dW, eW)
        assert_close(db, eb)
    check_grads(mlp_loss, PARAMS, modes=('reverse',))


def noise(shape):
    return npr.RandomState(0).randn(*shape)


def noisy_objective(x):
    eps = noise(x.shape)
    sample = x + anp.exp(0.5 * x) * eps
    return anp.sum(sample ** 2)


def test_noise_drawn_by_a_random_state_in_a_helper():
    assert_like_autograd(noisy_objective, X)


# autograd.scipy.signal.convolve: autograd's own N-dimensional convolution -----------------

IMAGE = RNG.randn(4, 5)
KERNEL = RNG.randn(2, 3)
BATCH = RNG.randn(2, 4, 5)
FILTERS = RNG.randn(3, 2, 2, 2)


def convolved_full(x):
    return anp.sum(autograd_signal.convolve(x, KERNEL) ** 2)


def convolved_valid(x):
    return anp.sum(anp.sin(autograd_signal.convolve(x, KERNEL, mode='valid')))


def convolved_kernel(k):
    return anp.sum(autograd_signal.convolve(IMAGE, k, mode='valid') ** 2)


def convolved_both(x):
    return anp.sum(autograd_signal.convolve(x, x[:2, :3], mode='full') ** 2)


def convolved_layer(x):
    # a convolutional layer: batch of 2-channel images against 3 filters of 2 channels
    out = autograd_signal.convolve(x, FILTERS, axes=([1, 2], [2, 3]),
                                   dot_axes=([0], [1]), mode='valid')
    return anp.sum(anp.tanh(out))


CONVOLUTIONS = [(convolved_full, IMAGE), (convolved_valid, IMAGE), (convolved_kernel, KERNEL),
                (convolved_both, IMAGE), (convolved_layer, RNG.randn(2, 4, 5))]


@pytest.mark.parametrize('f, x', CONVOLUTIONS, ids=lambda c: getattr(c, '__name__', ''))
def test_convolve_matches_autograd_in_every_mode(f, x):
    expected = autograd.grad(f)(x)
    assert_close(tangent.grad(f)(x), expected)
    assert_close(tangent.autodiff(f, motion='split')(x), expected)
    direction = np.cos(np.arange(x.size)).reshape(x.shape)
    assert_close(tangent.autodiff(f, mode='forward')(x, direction),
                 np.sum(expected * direction))
    assert_close(hessian_vector_product(f)(x, direction),
                 autograd.hessian_vector_product(f)(x, direction))


@pytest.mark.parametrize('f, x', CONVOLUTIONS[:3], ids=lambda c: getattr(c, '__name__', ''))
def test_convolve_against_finite_differences_to_second_order(f, x):
    check_grads(f, x, modes=('reverse', 'forward'), order=2)


# Users' own autograd primitives ---------------------------------------------------------

@primitive
def logcosh(x):
    return np.log(np.cosh(x))


defvjp(logcosh, lambda ans, x: lambda g: g * anp.tanh(x))


@primitive
def scaled_square(x, scale=1.0):
    return scale * x ** 2


defvjp(scaled_square, lambda ans, x, scale=1.0: lambda g: g * 2.0 * scale * x,
       lambda ans, x, scale=1.0: lambda g: anp.sum(g * x ** 2))
defjvp(scaled_square, lambda g, ans, x, scale=1.0: g * 2.0 * scale * x,
       lambda g, ans, x, scale=1.0: g * x ** 2)


@primitive
def halve(x):
    return x / 2.0


def uses_logcosh(x):
    return anp.sum(logcosh(x * 1.5))


def uses_scaled_square(x):
    return anp.sum(scaled_square(anp.sin(x), scale=3.0))


def uses_scaled_square_positionally(x):
    return anp.sum(scaled_square(x, 0.5) * x)


def uses_halve(x):
    return anp.sum(halve(x))


def test_a_primitive_with_only_a_vjp_goes_through_autograds_vjp():
    assert_like_autograd(uses_logcosh, X, forward=False)


def test_a_primitive_without_a_jvp_raises_in_forward_mode_naming_it():
    with pytest.raises(tangent.ForwardNotImplementedError,
                       match='logcosh.*autograd has no jvp for it'):
        tangent.autodiff(uses_logcosh, mode='forward')(X, V)
    with pytest.raises(tangent.ForwardNotImplementedError, match='logcosh'):
        tangent.autodiff(tangent.autodiff(uses_logcosh, mode='forward'),
                         mode='reverse', check_dims=False)(X, V, 1.0)


def test_forward_over_reverse_through_a_vjp_only_primitive():
    # the tangent of autograd's vjp comes from reverse mode twice
    assert_close(hessian_vector_product(uses_logcosh)(X, V),
                 autograd.hessian_vector_product(uses_logcosh)(X, V))


def test_reverse_over_reverse_through_a_vjp_only_primitive():
    result = tangent.autodiff(tangent.autodiff(uses_logcosh, mode='reverse', check_dims=False),
                              mode='reverse', check_dims=False)(X, 1.0, V)
    assert_close(result, autograd.hessian_vector_product(uses_logcosh)(X, V))


@pytest.mark.parametrize('f', [uses_scaled_square, uses_scaled_square_positionally],
                         ids=lambda f: f.__name__)
def test_a_primitive_with_vjp_and_jvp_differentiates_in_every_mode(f):
    assert_like_autograd(f, X)


def test_a_primitive_differentiated_with_respect_to_a_second_argument():
    def f(x, scale):
        return anp.sum(scaled_square(x, scale))
    assert_close(tangent.grad(f, wrt=(1,))(X, 0.7), autograd.grad(f, 1)(X, 0.7))
    assert_close(tangent.grad(f, wrt=(0, 1))(X, 0.7)[0], autograd.grad(f, 0)(X, 0.7))


def test_a_primitive_without_any_rule_raises_naming_it():
    with pytest.raises(tangent.ReverseNotImplementedError, match='halve'):
        tangent.grad(uses_halve)(X)
    with pytest.raises(tangent.ForwardNotImplementedError, match='halve'):
        tangent.autodiff(uses_halve, mode='forward')(X, V)


def test_a_tangent_rule_wins_over_autograds():
    calls = []

    @primitive
    def twice(x):
        return 2.0 * x
    defvjp(twice, lambda ans, x: lambda g: calls.append('autograd') or 2.0 * g)

    def f(x):
        return anp.sum(twice(x) ** 2)

    from tangent.grads import adjoint, adjoints

    @adjoint(twice)
    def dtwice(y, x):
        d[x] = 2.0 * d[y]  # noqa: F821 - template marker

    try:
        assert_close(tangent.grad(f)(X), autograd.grad(f)(X))
        assert calls == ['autograd']  # autograd's own call above, none from tangent
    finally:
        adjoints.remove(twice)


@primitive
def polar(x, y):
    return (anp.sqrt(x ** 2 + y ** 2), anp.arctan2(y, x))


defvjp(polar, lambda ans, x, y: lambda g: g[0] * x / ans[0] - g[1] * y / ans[0] ** 2,
       lambda ans, x, y: lambda g: g[0] * y / ans[0] + g[1] * x / ans[0] ** 2)


@primitive
def integer_power(x, n):
    return x ** n


defvjp(integer_power, lambda ans, x, n: lambda g: g * n * x ** (n - 1), None)


def uses_both_outputs(x):
    radius, angle = polar(x[0], x[1])
    return radius * 2.0 + angle


def uses_one_output(x):
    radius, _ = polar(x[0], x[1])
    return radius


def uses_integer_power(x):
    return anp.sum(integer_power(x, 3))


@pytest.mark.parametrize('f', [uses_both_outputs, uses_one_output, uses_integer_power],
                         ids=lambda f: f.__name__)
def test_primitives_with_tuple_results_and_integer_arguments(f):
    x = np.array([0.7, -1.3])
    assert_close(tangent.grad(f)(x), autograd.grad(f)(x))
    check_grads(f, x, modes=('reverse',), order=2)


def test_import_tangent_imports_no_autograd():
    import subprocess
    code = 'import sys, tangent; assert "autograd" not in sys.modules'
    subprocess.run([sys.executable, '-c', code], check=True)


# autograd.misc.flatten --------------------------------------------------------------------

FLAT, UNFLATTEN = flatten(PARAMS)


def objective_of_flat(flat):
    return mlp_loss(UNFLATTEN(flat))


def regularised(params):
    flat, _ = flatten(params)
    return mlp_loss(params) + 0.1 * anp.sum(flat ** 2)


def dict_energy(params):
    flat, unflatten = flatten(params)
    return anp.sum(anp.sin(flat) * anp.arange(flat.size))


def test_a_function_of_the_flat_vector_calls_unflatten():
    assert_like_autograd(objective_of_flat, FLAT)


def test_the_gradient_flows_back_through_flatten_to_nested_params():
    result = tangent.grad(regularised)(PARAMS)
    expected = autograd.grad(regularised)(PARAMS)
    assert_close(flatten(result)[0], flatten(expected)[0])
    check_grads(regularised, PARAMS, modes=('reverse', 'forward'))


def test_flatten_of_a_dict_orders_like_autograd():
    params = {'w': RNG.randn(2, 2), 'b': RNG.randn(3), 'c': (RNG.randn(1), 0.4)}
    result = tangent.grad(dict_energy)(params)
    expected = autograd.grad(dict_energy)(params)
    assert_close(flatten(result)[0], flatten(expected)[0])
    check_grads(dict_energy, params, modes=('reverse', 'forward'), order=2)


# Error messages name what the user wrote ----------------------------------------------------

def spreads_into_concatenate(x):
    parts = [x, x]
    return anp.sum(anp.concatenate(*[parts]))


def spreads_into_a_primitive(x):
    args = [x]
    return anp.sum(logcosh(*args))


def test_errors_name_wrappers_by_the_function_they_wrap():
    with pytest.raises(Exception) as caught:
        tangent.grad(spreads_into_concatenate)(X)
    message = str(caught.value)
    assert 'concatenate' in message
    assert 'f_wrapped' not in message and '<locals>' not in message


def test_a_list_display_spreads_into_a_primitive():
    # A display assigned once and never changed spreads into any call.
    np.testing.assert_allclose(tangent.grad(spreads_into_a_primitive)(X),
                               autograd.grad(spreads_into_a_primitive)(X), rtol=1e-12)


def test_callable_name_of_wrappers():
    assert tangent.errors.callable_name(logcosh) == 'logcosh'
    assert tangent.errors.callable_name(anp.sum) == 'sum'
    assert tangent.errors.callable_name(np.sum) == 'sum'

"""Calls of user functions inside differentiated code: run once, with the right values.

Issue 18. A derivative must run each call of the user's program exactly once
per evaluation (in joint and split motion, forward mode and every higher-order
composition), so helpers that count, print or draw random numbers behave as
they do when the program itself runs; default arguments are the function's own
live objects; every parameter kind (positional-only, keyword-only with
defaults, ``*args``) works with ``wrt``; functions sharing code but not
globals get their own derivatives.

Every derivative is compared with an independent reference: autograd running a
twin of the function written with ``autograd.numpy`` (fed the same seeds), or
central finite differences of the original function (``reference.py``). Call
counts are compared with the count of one run of the original program.
"""

import inspect
import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from reference import assert_close, numerical_grad

import tangent

DEFAULT_ONE = tangent.INPUT_DERIVATIVE.DefaultOne


class Counter:
    """Counts calls; the helpers below call ``tick`` once each time they run."""

    def __init__(self):
        self.n = 0

    def tick(self):
        self.n += 1


LEAF = Counter()
SIDE = Counter()


# First-order configurations -------------------------------------------------------

FIRST_ORDER = ['joint', 'split', 'joint-unoptimized', 'split-unoptimized',
               'forward', 'forward-unoptimized', 'preserve-result', 'vjp', 'jvp']


def derivative_of(f, config, wrt=(0,)):
    """A callable ``run(*args)`` returning the gradients for ``wrt`` (a tuple), for
    reverse configurations, or for forward ones the directional derivative along
    the tangents passed after the arguments: ``run(*args, *tangents)``."""
    optimized = not config.endswith('-unoptimized')
    base = config.replace('-unoptimized', '')
    if base in ('joint', 'split'):
        df = tangent.autodiff(f, wrt=wrt, motion=base, optimized=optimized,
                              input_derivative=DEFAULT_ONE)
    elif base == 'preserve-result':
        df = tangent.grad(f, wrt=wrt, preserve_result=True)

        def run(*args):
            result = df(*args)
            run.value = result[-1]  # the primal value comes out too
            return result[:-1]
        return run
    elif base == 'vjp':
        vjp = tangent.vjp(f, wrt=wrt)
        # The seed follows f's parameters; passed by name, so f's defaults stay. A
        # derivative dispatching on argument types takes (*args, **kwargs).
        own = set(inspect.signature(f).parameters)
        named = [p.name for p in inspect.signature(vjp).parameters.values()
                 if p.name not in own and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                     inspect.Parameter.KEYWORD_ONLY)]

        def run(*args):
            return vjp(*args, **{named[-1]: 1.0}) if named else vjp(*args, 1.0)
        df = run
    elif base in ('forward', 'jvp'):
        return (tangent.autodiff(f, wrt=wrt, mode='forward', optimized=optimized)
                if base == 'forward' else tangent.jvp(f, wrt=wrt))
    else:
        raise ValueError(config)

    def as_tuple(*args):
        result = df(*args)
        return result if len(wrt) > 1 else (result,)
    return as_tuple


def is_forward(config):
    return config.startswith(('forward', 'jvp'))


def check_derivative(f, args, wrt, expected, config, directions=None, value=None):
    """Run ``config`` once and compare with ``expected`` (one gradient per wrt), and
    the primal value returned with ``preserve_result`` with ``value`` (by default
    ``f(*args)``, computed before the derivative runs)."""
    run = derivative_of(f, config, wrt)
    if config == 'preserve-result' and value is None:
        counts = LEAF.n, SIDE.n  # running the program for the reference is not counted
        value = f(*args)
        LEAF.n, SIDE.n = counts
    if is_forward(config):
        if directions is None:
            directions = [np.linspace(0.5, 1.5, np.size(args[i])).reshape(np.shape(args[i]))
                          if np.ndim(args[i]) else 0.7 for i in wrt]
        result = run(*args, *directions)
        wanted = sum(np.sum(np.asarray(g) * np.asarray(d)) for g, d in zip(expected, directions))
        assert_close(result, wanted)
    else:
        assert_close(tuple(run(*args)), tuple(expected))
        if config == 'preserve-result':
            assert_close(run.value, value)
    return run


# Higher-order compositions (API.md): Hessian-vector products ----------------------

HIGHER_ORDER = ['forward-over-reverse', 'reverse-over-reverse', 'reverse-over-forward',
                'forward-over-reverse-unoptimized']


def hvp_of(f, config):
    """``hvp(x, v)`` for a function of one argument, built as API.md describes."""
    optimized = not config.endswith('-unoptimized')
    base = config.replace('-unoptimized', '')
    if base == 'forward-over-reverse':
        inner = tangent.autodiff(f, mode='reverse', check_dims=False, optimized=optimized)
        outer = tangent.autodiff(inner, mode='forward', check_dims=False, optimized=optimized)
        return lambda x, v: outer(x, 1.0, v)
    if base == 'reverse-over-reverse':
        inner = tangent.autodiff(f, mode='reverse', check_dims=False)
        outer = tangent.autodiff(inner, mode='reverse', check_dims=False)
        return lambda x, v: outer(x, 1.0, v)
    if base == 'reverse-over-forward':
        inner = tangent.autodiff(f, mode='forward', check_dims=False)
        outer = tangent.autodiff(inner, mode='reverse', check_dims=False)
        return lambda x, v: outer(x, v, 1.0)
    raise ValueError(config)


# A chain of helpers four calls deep, with a counter at the leaf ---------------------

def chain_d(x):
    LEAF.tick()
    return np.sin(x) * 2.0 + x


def chain_c(x):
    return chain_d(x) * x + 1.0


def chain_b(x):
    return np.tanh(chain_c(x))


def chain_a(x):
    return chain_b(x) * 3.0


def chain(x):
    return np.sum(chain_a(x) ** 2)


def chain_twin(x):
    """``chain`` written with autograd.numpy, as one function."""
    d = anp.sin(x) * 2.0 + x
    c = d * x + 1.0
    b = anp.tanh(c)
    return anp.sum((b * 3.0) ** 2)


X3 = np.array([0.3, -0.7, 1.1])
V3 = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_chain_of_four_helpers_runs_the_leaf_once_per_evaluation(config):
    run = derivative_of(chain, config)
    args = (X3, V3) if is_forward(config) else (X3,)
    LEAF.n = 0
    chain(X3)
    assert LEAF.n == 1  # the program itself runs the leaf once
    LEAF.n = 0
    result = run(*args)
    assert LEAF.n == 1, f'{config}: the leaf ran {LEAF.n} times for one evaluation'
    run(*args)
    assert LEAF.n == 2
    expected = autograd.grad(chain_twin)(X3)
    if is_forward(config):
        assert_close(result, np.dot(expected, V3))
    else:
        assert_close(result, (expected,))


@pytest.mark.parametrize('config', HIGHER_ORDER)
def test_chain_of_four_helpers_in_hessian_vector_products(config):
    hvp = hvp_of(chain, config)
    LEAF.n = 0
    result = hvp(X3, V3)
    assert LEAF.n == 1, f'{config}: the leaf ran {LEAF.n} times for one evaluation'
    hvp(X3, V3)
    assert LEAF.n == 2
    assert_close(result, autograd.hessian_vector_product(chain_twin)(X3, V3))


def test_chain_second_derivative_of_a_float_by_grad_of_grad():
    second = tangent.grad(tangent.grad(chain))
    LEAF.n = 0
    result = second(0.4)
    assert LEAF.n == 1
    assert_close(result, autograd.grad(autograd.grad(chain_twin))(0.4))


# Calls in loops and branches, and calls that receive no differentiated value -------

def loop_leaf(x):
    LEAF.tick()
    return np.sin(x)


def constant_helper(i):
    SIDE.tick()  # receives no differentiated value: an ordinary call, still run once
    return 0.5 * i + 1.0


def loops_and_branches(x):
    t = 0.0
    for i in range(3):
        t = t + loop_leaf(x) * constant_helper(i)
    k = 0
    while k < 2:
        t = t + loop_leaf(t * 0.5)
        k += 1
    if x > 0.0:
        t = t * loop_leaf(x)
    else:
        t = t - loop_leaf(x * 2.0)
    return t


@pytest.mark.parametrize('x', [0.4, -0.6])
@pytest.mark.parametrize('config', FIRST_ORDER)
def test_calls_in_loops_and_branches_run_as_often_as_in_the_program(config, x):
    LEAF.n = SIDE.n = 0
    loops_and_branches(x)
    primal = (LEAF.n, SIDE.n)
    assert primal == (6, 3)
    run = derivative_of(loops_and_branches, config)
    expected = (numerical_grad(loops_and_branches, [x], 0),)
    LEAF.n = SIDE.n = 0
    if is_forward(config):
        assert_close(run(x, 1.0), expected[0])
    else:
        assert_close(run(x), expected)
    assert (LEAF.n, SIDE.n) == primal, f'{config}: counts {(LEAF.n, SIDE.n)}, primal {primal}'


@pytest.mark.parametrize('config', HIGHER_ORDER)
def test_calls_in_loops_and_branches_in_hessian_vector_products(config):
    hvp = hvp_of(loops_and_branches, config)
    LEAF.n = SIDE.n = 0
    result = hvp(0.4, 1.0)
    assert (LEAF.n, SIDE.n) == (6, 3)
    first = tangent.grad(loops_and_branches)  # checked against finite differences above
    assert_close(result, numerical_grad(first, [0.4], 0), rtol=1e-5)


# Methods and callable instances --------------------------------------------------

class Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        LEAF.tick()
        return np.tanh(x * self.w)

    def __call__(self, x):
        SIDE.tick()
        return self.forward(x) + x * x


LAYER = Layer(np.array([0.5, -1.5, 2.0]))


def through_methods(x):
    return np.sum(LAYER(x) * LAYER.forward(x))


def through_methods_of(layer, x):
    return np.sum(layer(x) * layer.forward(x))


def through_methods_twin(x):
    w = LAYER.w
    inner = anp.tanh(x * w)
    return anp.sum((inner + x * x) * inner)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_methods_and_callable_instances_run_once(config):
    expected = (autograd.grad(through_methods_twin)(X3),)
    LEAF.n = SIDE.n = 0
    check_derivative(through_methods, (X3,), (0,), expected, config)
    assert (LEAF.n, SIDE.n) == (2, 1)
    LEAF.n = SIDE.n = 0
    check_derivative(through_methods_of, (LAYER, X3), (1,), expected, config)
    assert (LEAF.n, SIDE.n) == (2, 1)


# Seeded random draws in helpers -------------------------------------------------------

def sample(rs, mean, log_std, n):
    """Reparameterised Gaussian samples, drawn from the RandomState passed in."""
    eps = rs.randn(n, mean.shape[0])
    LEAF.tick()
    return mean + eps * np.exp(log_std)


def log_density(z):
    return -0.5 * np.sum(z * z, axis=1) - np.sum(np.sin(z), axis=1)


def elbo(mean, log_std, seed):
    """Black-box variational inference: the RandomState is made from the seed."""
    rs = np.random.RandomState(seed)
    z = sample(rs, mean, log_std, 6)
    return np.mean(log_density(z)) + np.sum(log_std)


def elbo_given(mean, log_std, rs):
    """The same objective, drawing from a RandomState the caller passes in."""
    z = sample(rs, mean, log_std, 6)
    return np.mean(log_density(z)) + np.sum(log_std)


def elbo_twin(mean, log_std, seed):
    rs = np.random.RandomState(seed)
    eps = rs.randn(6, mean.shape[0])
    z = mean + eps * anp.exp(log_std)
    return anp.mean(-0.5 * anp.sum(z * z, axis=1) - anp.sum(anp.sin(z), axis=1)) \
        + anp.sum(log_std)


MEAN = np.array([0.3, -0.2, 0.8])
LOG_STD = np.array([-0.5, 0.1, -1.0])


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_bbvi_elbo_uses_the_forward_pass_draws(config):
    expected = autograd.grad(elbo_twin, (0, 1))(MEAN, LOG_STD, 11)
    LEAF.n = 0
    check_derivative(elbo, (MEAN, LOG_STD, 11), (0, 1), expected, config,
                     value=elbo_twin(MEAN, LOG_STD, 11))
    assert LEAF.n == 1


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_bbvi_elbo_with_a_random_state_passed_in_draws_once(config):
    expected = autograd.grad(elbo_twin, (0, 1))(MEAN, LOG_STD, 11)
    rs = np.random.RandomState(11)
    LEAF.n = 0
    check_derivative(elbo_given, (MEAN, LOG_STD, rs), (0, 1), expected, config,
                     value=elbo_twin(MEAN, LOG_STD, 11))
    assert LEAF.n == 1
    # One evaluation consumed exactly the draws of one run of the program.
    after_program = np.random.RandomState(11)
    elbo_given(MEAN, LOG_STD, after_program)
    assert rs.randn() == after_program.randn()


@pytest.mark.parametrize('config', HIGHER_ORDER)
def test_bbvi_elbo_hessian_vector_product(config):
    hvp = hvp_of(lambda_free_elbo, config)
    LEAF.n = 0
    result = hvp(MEAN, V3)
    assert LEAF.n == 1
    reference = autograd.hessian_vector_product(elbo_twin)(MEAN, LOG_STD, 11, V3)
    assert_close(result, reference)


def lambda_free_elbo(mean):
    return elbo(mean, LOG_STD, 11)


def noise(n):
    """Draws from NumPy's global random state."""
    LEAF.tick()
    return np.random.randn(n)


def vae_loss(mu, log_sigma):
    z = mu + np.exp(log_sigma) * noise(mu.shape[0])  # VAE-like reparameterisation
    return np.sum(np.tanh(z) ** 2) + 0.5 * np.sum(mu * mu)


def vae_loss_twin(mu, log_sigma):
    z = mu + anp.exp(log_sigma) * np.random.randn(mu.shape[0])
    return anp.sum(anp.tanh(z) ** 2) + 0.5 * anp.sum(mu * mu)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_vae_reparameterisation_with_the_global_random_state(config):
    np.random.seed(5)
    expected = autograd.grad(vae_loss_twin, (0, 1))(MEAN, LOG_STD)
    after_reference = np.random.randn()
    run = derivative_of(vae_loss, config, (0, 1))
    LEAF.n = 0
    np.random.seed(5)
    if is_forward(config):
        result = run(MEAN, LOG_STD, V3, -V3)
        assert_close(result, np.dot(expected[0], V3) - np.dot(expected[1], V3))
    else:
        assert_close(tuple(run(MEAN, LOG_STD)), tuple(expected))
    assert LEAF.n == 1
    assert np.random.randn() == after_reference  # drew as many numbers as the program
    if config == 'preserve-result':
        np.random.seed(5)
        assert_close(run.value, vae_loss_twin(MEAN, LOG_STD))


@pytest.mark.parametrize('config', HIGHER_ORDER)
def test_vae_hessian_vector_product_with_the_global_random_state(config):
    hvp = hvp_of(vae_of_mu, config)
    np.random.seed(8)
    reference = autograd.hessian_vector_product(vae_loss_twin)(MEAN, LOG_STD, V3)
    after_reference = np.random.randn()
    np.random.seed(8)
    LEAF.n = 0
    result = hvp(MEAN, V3)
    assert LEAF.n == 1
    assert np.random.randn() == after_reference
    assert_close(result, reference)


def vae_of_mu(mu):
    return vae_loss(mu, LOG_STD)


def perturbed(rs, x):
    """A helper that both receives a differentiated value and draws."""
    return x + 0.1 * rs.randn(x.shape[0])


def noisy_chain(x, seed):
    rs = np.random.RandomState(seed)
    y = perturbed(rs, x)
    y = perturbed(rs, np.sin(y))
    return np.sum(y * y)


def noisy_chain_twin(x, seed):
    rs = np.random.RandomState(seed)
    y = x + 0.1 * rs.randn(x.shape[0])
    y = anp.sin(y) + 0.1 * rs.randn(x.shape[0])
    return anp.sum(y * y)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_two_calls_of_a_drawing_helper_draw_in_order(config):
    expected = (autograd.grad(noisy_chain_twin)(X3, 4),)
    check_derivative(noisy_chain, (X3, 4), (0,), expected, config,
                     value=noisy_chain_twin(X3, 4))


# A global list written by a helper: rejected clearly, never a wrong count --------------

CALLS = []


def logging_helper(x):
    CALLS.append(1)
    return np.sin(x)


def logs(x):
    return logging_helper(x) * 2.0


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_a_helper_appending_to_a_global_list_is_rejected_clearly(mode):
    with pytest.raises(tangent.TangentParseError) as raised:
        tangent.autodiff(logs, mode=mode)
    message = str(raised.value)
    assert 'CALLS.append(1)' in message or 'append' in message
    assert 'logging_helper' in message
    assert CALLS == []  # nothing ran while generating the derivative


# Default arguments are the function's own live objects ---------------------------------

SCALE = 2.0


def scaled(x, s=SCALE):
    return np.sin(x) * s


SCALE = 5.0  # rebinding the global after the def leaves the default alone


def scaled_twin(x):
    return anp.sin(x) * 2.0


def calls_scaled(x):
    return scaled(x) + x


np.random.seed(1234)


def with_drawn_default(x, w=np.random.randn(3)):
    return np.sum(np.sin(x * w))


def make_scaled(s):
    def f(x, s=s):
        return np.sin(x) * s
    return f


def keyword_defaults(x, *, s=2.0, t=3.0):
    return np.sin(x) * s * t


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_defaults_made_in_a_loop(config):
    functions = []
    for k in range(3):
        def h(x, k=k):
            return x * x * k
        functions.append(h)
    for k, h in enumerate(functions):
        check_derivative(h, (1.5,), (0,), (autograd.grad(h)(1.5),), config)
        check_derivative(h, (1.5,), (0,), (3.0 * k,), config)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_a_default_keeps_the_value_of_the_global_at_def_time(config):
    expected = (autograd.grad(scaled_twin)(0.3),)
    check_derivative(scaled, (0.3,), (0,), expected, config)
    check_derivative(calls_scaled, (0.3,), (0,), (expected[0] + 1.0,), config)
    assert_close(expected, (numerical_grad(scaled, [0.3], 0),))


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_a_default_drawn_at_def_time_is_that_object(config):
    state = np.random.get_state()[1].copy()
    w = with_drawn_default.__defaults__[0]
    expected = (autograd.grad(lambda x: anp.sum(anp.sin(x * w)))(X3),)
    check_derivative(with_drawn_default, (X3,), (0,), expected, config)
    assert np.array_equal(np.random.get_state()[1], state)  # nothing drawn again


def test_a_default_array_mutated_in_place_is_seen():
    def f(x, w=np.array([1.0, 2.0, 3.0])):
        return np.sum(np.sin(x * w))
    df = tangent.grad(f)
    assert_close(df(X3), numerical_grad(f, [X3], 0))
    f.__defaults__[0][:] = [-1.0, 0.5, 4.0]
    assert_close(df(X3), numerical_grad(f, [X3], 0))
    assert_close(tangent.grad(f)(X3), numerical_grad(f, [X3], 0))


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_a_default_bound_from_an_enclosing_parameter(config):
    for s in (2.0, -3.0):
        f = make_scaled(s)
        check_derivative(f, (0.4,), (0,), (numerical_grad(f, [0.4], 0),), config)
        check_derivative(f, (0.4,), (0,), (s * np.cos(0.4),), config)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_assigning_defaults_gives_a_fresh_derivative(config):
    def f(x, s=2.0):
        return np.sin(x) * s

    def top(x):
        return f(x) * x
    check_derivative(f, (0.4,), (0,), (numerical_grad(f, [0.4], 0),), config)
    check_derivative(top, (0.4,), (0,), (numerical_grad(top, [0.4], 0),), config)
    f.__defaults__ = (-7.0,)
    check_derivative(f, (0.4,), (0,), (numerical_grad(f, [0.4], 0),), config)
    check_derivative(top, (0.4,), (0,), (numerical_grad(top, [0.4], 0),), config)
    assert_close(numerical_grad(f, [0.4], 0), -7.0 * np.cos(0.4))


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_assigning_keyword_defaults_gives_a_fresh_derivative(config):
    def f(x, *, s=2.0, t=3.0):
        return np.sin(x) * s * t
    check_derivative(f, (0.4,), (0,), (numerical_grad(f, [0.4], 0),), config)
    f.__kwdefaults__ = {'s': 4.0, 't': -1.0}
    check_derivative(f, (0.4,), (0,), (numerical_grad(f, [0.4], 0),), config)
    assert_close(numerical_grad(f, [0.4], 0), -4.0 * np.cos(0.4))


def test_a_helper_default_rebinding_and_reassignment():
    def helper(x, s=SCALE):
        return x * s
    helper_scale = SCALE

    def top(x):
        return helper(x) + np.sin(x)
    for mode in ('reverse', 'forward'):
        df = tangent.autodiff(top, mode=mode, input_derivative=DEFAULT_ONE)
        args = (0.2,) if mode == 'reverse' else (0.2, 1.0)
        assert_close(df(*args), helper_scale + np.cos(0.2))
    helper.__defaults__ = (100.0,)
    for mode in ('reverse', 'forward'):
        df = tangent.autodiff(top, mode=mode, input_derivative=DEFAULT_ONE)
        args = (0.2,) if mode == 'reverse' else (0.2, 1.0)
        assert_close(df(*args), numerical_grad(top, [0.2], 0))
        assert_close(df(*args), 100.0 + np.cos(0.2))


# Parameter kinds -------------------------------------------------------------------

def positional_only(x, y, /, z):
    return np.sin(x) * y * y + z * x


def positional_only_twin(x, y, z):
    return anp.sin(x) * y * y + z * x


@pytest.mark.parametrize('wrt', [(0,), (1,), (2,), (0, 1), (0, 2), (0, 1, 2)])
@pytest.mark.parametrize('config', FIRST_ORDER)
def test_positional_only_parameters(config, wrt):
    args = (0.3, -1.2, 0.8)
    expected = autograd.grad(positional_only_twin, wrt)(*args)  # a tuple, for a tuple wrt
    check_derivative(positional_only, args, wrt, expected, config)


@pytest.mark.parametrize('optimized', [True, False])
def test_forward_tangents_are_the_last_positional_arguments(optimized):
    def f(x, s=3.0):
        return x * x * s
    df = tangent.autodiff(f, mode='forward', optimized=optimized)
    assert_close(df(2.0, 1.0), 12.0)  # 1.0 is the tangent of x, s keeps its default
    assert_close(df(2.0, 0.5), 6.0)
    assert_close(df(2.0, 4.0, 1.0), 16.0)  # x, s, then the tangent
    assert_close(df(2.0, 4.0, 1.0), numerical_grad(f, [2.0, 4.0], 0))


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_keyword_only_parameters_with_defaults(config):
    def twin(x):
        return anp.sin(x) * 6.0
    check_derivative(keyword_defaults, (0.4,), (0,), (autograd.grad(twin)(0.4),), config)


def test_keyword_only_values_passed_to_the_derivative():
    df = tangent.grad(keyword_defaults)
    assert_close(df(0.4, s=1.0), 3.0 * np.cos(0.4))
    forward = tangent.autodiff(keyword_defaults, mode='forward')
    assert_close(forward(0.4, 1.0, t=-1.0), -2.0 * np.cos(0.4))


def star_args(x, *rest):
    total = 0.0
    for r in rest:
        total = total + np.sin(r * x)
    return total


def calls_star_args(x):
    return star_args(x, x, 2.0, x * x)


def calls_star_args_twin(x):
    return anp.sin(x * x) + anp.sin(2.0 * x) + anp.sin(x * x * x)


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_star_args(config):
    check_derivative(star_args, (0.7, 1.5, -2.0), (0,),
                     (numerical_grad(star_args, [0.7, 1.5, -2.0], 0),), config)
    check_derivative(calls_star_args, (0.7,), (0,),
                     (autograd.grad(calls_star_args_twin)(0.7),), config)


def mixed_kinds_helper(a, /, b, *rest, scale=2.0):
    LEAF.tick()
    return a * b * scale + sum(rest)


def calls_mixed_kinds(x, y):
    return mixed_kinds_helper(x, y, x * y, np.sin(x), scale=0.5) + mixed_kinds_helper(y, x)


def calls_mixed_kinds_twin(x, y):
    return x * y * 0.5 + x * y + anp.sin(x) + y * x * 2.0


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_a_helper_with_every_parameter_kind(config):
    expected = autograd.grad(calls_mixed_kinds_twin, (0, 1))(0.3, -0.9)
    LEAF.n = 0
    check_derivative(calls_mixed_kinds, (0.3, -0.9), (0, 1), expected, config)
    assert LEAF.n == 2


# Equal code, other globals -------------------------------------------------------------

K = 2.0


def reads_global(x):
    return np.sin(x) * K


def calls_reads_global(x):
    return reads_global(x) + x


@pytest.mark.parametrize('config', FIRST_ORDER)
def test_equal_code_with_other_globals_gets_its_own_derivative(config):
    other = dict(reads_global.__globals__, K=-5.0)
    twin = types.FunctionType(reads_global.__code__, other, 'reads_global')
    check_derivative(reads_global, (0.4,), (0,), (2.0 * np.cos(0.4),), config)
    check_derivative(twin, (0.4,), (0,), (-5.0 * np.cos(0.4),), config)
    check_derivative(reads_global, (0.4,), (0,), (numerical_grad(reads_global, [0.4], 0),),
                     config)
    check_derivative(twin, (0.4,), (0,), (numerical_grad(twin, [0.4], 0),), config)
    # The same with the functions as callers of a helper that reads the other globals.
    other['reads_global'] = twin
    caller_twin = types.FunctionType(calls_reads_global.__code__, other, 'calls_reads_global')
    check_derivative(calls_reads_global, (0.4,), (0,),
                     (numerical_grad(calls_reads_global, [0.4], 0),), config)
    check_derivative(caller_twin, (0.4,), (0,),
                     (numerical_grad(caller_twin, [0.4], 0),), config)
    check_derivative(caller_twin, (0.4,), (0,), (-5.0 * np.cos(0.4) + 1.0,), config)

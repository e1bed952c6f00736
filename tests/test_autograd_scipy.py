"""Programs written with ``autograd.scipy`` run unchanged.

Each ``autograd.scipy`` name stands for the SciPy function it wraps
(``autograd.scipy.special.logsumexp`` for ``scipy.special.logsumexp``,
``autograd.scipy.stats.norm.logpdf`` for ``scipy.stats.norm.logpdf``), whose
SciPy rules then apply; until a SciPy function has a rule, calls of its
autograd wrapper are differentiated through autograd's own rule. The mapping
is checked name by name, programmatically; the derivatives against autograd's
and against central finite differences (``tangent.testing.check_grads``).
"""

import sys
import types

import autograd
import autograd.numpy as anp
import autograd.scipy.integrate  # noqa: F401 - its names are enumerated below
import autograd.scipy.linalg
import autograd.scipy.signal
import autograd.scipy.special
import autograd.scipy.stats
import autograd.scipy.stats.multivariate_normal
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import norm

import tangent
from tangent import backends
from tangent.backends.numpy import autograd_wrappers
from tangent.testing import check_grads

RNG = np.random.RandomState(0)
X = RNG.randn(4)

# Names autograd gives its own function, not the library's of the same name.
OWN_SEMANTICS = {('autograd.scipy.signal', 'convolve')}


def library_namespace(module_name):
    """``scipy.special`` for ``autograd.scipy.special``; ``scipy.stats.norm`` (an
    object) for ``autograd.scipy.stats.norm``."""
    found = sys.modules['scipy']
    for part in module_name.split('.')[2:]:
        found = getattr(found, part)
    return found


def scipy_namespaces():
    names = ['autograd.scipy.special', 'autograd.scipy.linalg', 'autograd.scipy.signal',
             'autograd.scipy.integrate']
    names += sorted(value.__name__ for value in vars(autograd.scipy.stats).values()
                    if isinstance(value, types.ModuleType)
                    and value.__name__.startswith('autograd.scipy.stats.'))
    return names


@pytest.mark.parametrize('module_name', scipy_namespaces())
def test_every_autograd_scipy_name_resolves_to_scipy(module_name):
    module = sys.modules[module_name]
    library = library_namespace(module_name)
    for name, value in sorted(vars(module).items()):
        if name.startswith('_') or not isinstance(value, types.FunctionType) or \
                value.__module__.split('.')[0] != 'autograd':
            continue
        counterpart = getattr(library, name, None)
        target = autograd_wrappers.library_target(value)
        if (module_name, name) in OWN_SEMANTICS:
            assert target is None and autograd_wrappers.goes_through_autograd(value)
        elif callable(counterpart) and \
                not getattr(counterpart, '__module__', '').startswith('autograd'):
            assert target is counterpart or target == counterpart, \
                f'{module_name}.{name} resolves to {target}, not {counterpart}'
        elif autograd_wrappers.is_primitive(value):
            # a re-exported primitive (stats.beta.psi): the function it wraps, if SciPy's
            assert target is value.fun if target is not None else \
                autograd_wrappers.goes_through_autograd(value), f'{module_name}.{name}'
        elif (module_name, name) == ('autograd.scipy.integrate', 'flatten'):
            assert target is not None  # autograd.misc.flatten, re-exported
        else:
            assert target is None, f'{module_name}.{name} is autograd\'s own: {target}'


def test_the_names_programs_use_resolve_to_scipy():
    resolve = autograd_wrappers.library_target
    assert resolve(logsumexp) is scipy.special.logsumexp
    assert resolve(autograd.scipy.special.gammaln) is scipy.special.gammaln
    assert resolve(autograd.scipy.special.digamma) is scipy.special.digamma
    assert resolve(norm.logpdf) == scipy.stats.norm.logpdf
    assert resolve(norm.cdf) == scipy.stats.norm.cdf
    assert resolve(autograd.scipy.stats.t.logpdf) == scipy.stats.t.logpdf
    assert resolve(autograd.scipy.stats.gamma.logpdf) == scipy.stats.gamma.logpdf
    assert resolve(autograd.scipy.stats.multivariate_normal.logpdf) == \
        scipy.stats.multivariate_normal.logpdf
    assert resolve(autograd.scipy.linalg.solve_triangular) is scipy.linalg.solve_triangular
    assert resolve(autograd.scipy.linalg.cholesky) is scipy.linalg.cholesky
    assert resolve(autograd.scipy.integrate.odeint) is scipy.integrate.odeint
    # autograd's convolve is its own N-dimensional convolution, not SciPy's
    assert resolve(autograd.scipy.signal.convolve) is None


def test_a_wrapper_of_scipy_loads_the_scipy_backend():
    assert backends.owner_of(backends.stands_for(logsumexp)).name == 'scipy'
    assert backends.owner_of(backends.stands_for(norm.logpdf)).name == 'scipy'


# End to end: the same numbers as autograd --------------------------------------------

MEANS = np.array([-1.0, 0.5, 2.0])
LOG_WEIGHTS = np.log(np.array([0.2, 0.5, 0.3]))
DATA = RNG.randn(6)


def mixture_log_likelihood(log_scales):
    # log p(data) of a Gaussian mixture: logsumexp over the components
    scales = anp.exp(log_scales)
    component = norm.logpdf(DATA[:, None], MEANS[None, :], scales[None, :]) + LOG_WEIGHTS
    return anp.sum(logsumexp(component, axis=1))


def softmax_cross_entropy(x):
    logits = anp.reshape(x, (2, 2))
    return anp.sum(logsumexp(logits, axis=1) - logits[:, 0])


def student_t_loss(x):
    return -anp.sum(autograd.scipy.stats.t.logpdf(x, 3.0, 0.2, 1.5))


def gaussian_log_density(x):
    cov = np.array([[2.0, 0.3, 0.0, 0.1], [0.3, 1.0, 0.2, 0.0],
                    [0.0, 0.2, 1.5, 0.4], [0.1, 0.0, 0.4, 1.2]])
    return autograd.scipy.stats.multivariate_normal.logpdf(x, np.zeros(4), cov)


def log_gamma_terms(x):
    return anp.sum(autograd.scipy.special.gammaln(anp.exp(x)) + anp.exp(x) * 0.5)


LOWER = np.tril(RNG.randn(4, 4)) + 4.0 * np.eye(4)


def triangular_solve(x):
    return anp.sum(autograd.scipy.linalg.solve_triangular(LOWER, x, lower=True) ** 2)


PROGRAMS = [(mixture_log_likelihood, np.log(np.array([0.7, 1.2, 0.9]))),
            (softmax_cross_entropy, X), (student_t_loss, X), (gaussian_log_density, X),
            (log_gamma_terms, X * 0.3), (triangular_solve, X)]


@pytest.mark.parametrize('f, x', PROGRAMS, ids=lambda p: getattr(p, '__name__', ''))
def test_autograd_scipy_programs_match_autograd(f, x):
    expected = autograd.grad(f)(x)
    np.testing.assert_allclose(tangent.grad(f)(x), expected, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(tangent.autodiff(f, motion='split')(x), expected,
                               rtol=1e-7, atol=1e-10)
    check_grads(f, x, modes=('reverse',), order=2)


@pytest.mark.parametrize('f, x', PROGRAMS, ids=lambda p: getattr(p, '__name__', ''))
def test_autograd_scipy_programs_in_forward_mode(f, x):
    direction = np.cos(np.arange(x.size))
    expected = np.sum(autograd.grad(f)(x) * direction)
    np.testing.assert_allclose(tangent.autodiff(f, mode='forward')(x, direction), expected,
                               rtol=1e-7, atol=1e-10)
    check_grads(f, x, modes=('reverse', 'forward'), order=2)


def spreads_into_logsumexp(x):
    args = [x]
    return logsumexp(*args)


def test_a_list_display_spreads_into_a_scipy_wrapper():
    np.testing.assert_allclose(tangent.grad(spreads_into_logsumexp)(X),
                               autograd.grad(spreads_into_logsumexp)(X), rtol=1e-12)


def test_errors_name_scipy_functions_not_wrappers():
    def uses_return_sign(x):
        return logsumexp(x, return_sign=True)[0]
    with pytest.raises(Exception) as caught:
        tangent.grad(uses_return_sign)(X)
    assert 'logsumexp' in str(caught.value)
    assert 'f_wrapped' not in str(caught.value)

"""The derivatives of ``scipy.special``, checked against central finite differences
in reverse mode (joint and split motion), forward mode and every second-order
composition (``tangent.testing.check_grads(..., order=2)``), and against SciPy's
own identities where finite differences cannot reach (large inputs, exact zeros).
"""

import subprocess
import sys

import numpy as np
import pytest
import scipy.special
import scipy.special as sp
from scipy.special import log_softmax, logsumexp, softmax

import tangent
from tangent.rules import registry
from tangent.testing import check_grads


def _unary(fn):
    def apply(x):
        return fn(x)
    apply.__name__ = f'apply_{fn.__name__}'
    return apply


def _binary(fn):
    def apply(x, y):
        return fn(x, y)
    apply.__name__ = f'apply_{fn.__name__}'
    return apply


VECTOR = np.array([0.3, 1.1, 2.7])
# Each element-wise function of one argument, with points inside its domain.
UNARY = {
    'gammaln': (sp.gammaln, [2.5, VECTOR, np.array([-1.5, -0.3, 4.0])]),
    'digamma': (sp.digamma, [0.7, VECTOR, np.array([-0.5, 3.5])]),
    'psi': (sp.psi, [1.7, VECTOR]),
    'gamma': (sp.gamma, [1.5, VECTOR, np.array([-0.5, -1.5])]),
    'expit': (sp.expit, [0.4, np.array([-3.0, 0.0, 2.0])]),
    'logit': (sp.logit, [0.3, np.array([0.1, 0.5, 0.85])]),
    'log_expit': (sp.log_expit, [-0.4, np.array([-30.0, 0.0, 2.0])]),
    'erf': (sp.erf, [0.4, np.array([-1.5, 0.0, 0.8])]),
    'erfc': (sp.erfc, [0.4, np.array([-1.5, 0.0, 0.8])]),
    'erfcx': (sp.erfcx, [0.4, np.array([-1.0, 0.0, 3.0])]),
    'erfinv': (sp.erfinv, [0.3, np.array([-0.8, 0.0, 0.6])]),
    'erfcinv': (sp.erfcinv, [0.3, np.array([0.2, 1.0, 1.7])]),
    'ndtr': (sp.ndtr, [0.4, np.array([-2.0, 0.0, 1.5])]),
    'ndtri': (sp.ndtri, [0.3, np.array([0.05, 0.5, 0.9])]),
    'log_ndtr': (sp.log_ndtr, [0.4, np.array([-12.0, -1.0, 0.0, 4.0])]),
    'entr': (sp.entr, [0.4, np.array([0.2, 1.0, 3.0])]),
    'i0': (sp.i0, [0.0, 0.4, np.array([-2.0, 0.0, 1.5])]),
    'i1': (sp.i1, [0.0, 0.4, np.array([-2.0, 0.0, 1.5])]),
    # Not at 0, where exp(-|x|) has a kink.
    'i0e': (sp.i0e, [0.4, np.array([-2.0, 0.3, 1.5])]),
    'i1e': (sp.i1e, [0.4, np.array([-2.0, 0.3, 1.5])]),
}

MATRIX = np.array([[0.5, 1.2, 2.0], [1.7, 0.9, 3.1]])
# Each element-wise function of two arguments, both differentiated, with pairs of
# points: scalars, vectors, and shapes that broadcast against each other.
BINARY = {
    'beta': (sp.beta, [(1.5, 2.5), (VECTOR + 0.5, np.array([1.0, 2.0, 0.7])),
                        (MATRIX, np.array([0.8, 1.5, 2.0])), (MATRIX[:, :1], VECTOR + 1.0)]),
    'betaln': (sp.betaln, [(1.5, 2.5), (MATRIX, np.array([0.8, 1.5, 2.0])),
                            (1.3, VECTOR)]),
    'xlogy': (sp.xlogy, [(1.5, 2.5), (np.array([-1.0, 0.0, 2.0]), VECTOR),
                          (MATRIX, np.array([0.8, 1.5, 2.0])), (0.0, 2.0)]),
    'xlog1py': (sp.xlog1py, [(1.5, 2.5), (np.array([-1.0, 0.0, 2.0]), VECTOR - 0.5),
                              (MATRIX, np.array([0.8, 1.5, 2.0])), (0.0, -0.5)]),
    'rel_entr': (sp.rel_entr, [(1.5, 2.5), (MATRIX, np.array([0.8, 1.5, 2.0])),
                                (VECTOR, 1.3)]),
}


def _cases(table):
    return [pytest.param(fn, point, id=f'{name}-{index}')
            for name, (fn, points) in table.items() for index, point in enumerate(points)]


@pytest.mark.parametrize('fn, x', _cases(UNARY))
def test_unary_functions_to_second_order(fn, x):
    check_grads(_unary(fn), x, order=2)


@pytest.mark.parametrize('fn, point', _cases(BINARY))
def test_binary_functions_to_second_order(fn, point):
    check_grads(_binary(fn), *point, order=2)


# Arguments that are not differentiated: integer orders and dimensions, and the
# orders and shape parameters whose derivative tangent does not have.

def polygamma_of_order_two(x):
    return sp.polygamma(2, x)


def polygamma_of_orders(x):
    return sp.polygamma(np.array([0, 1, 3]), x)


def multigammaln_of_three(a):
    return sp.multigammaln(a, 3)


def multigammaln_keyword(a):
    return sp.multigammaln(a, d=2) * a


def iv_of_half(x):
    return sp.iv(0.5, x)


def iv_of_orders(x):
    return sp.iv(np.array([[0.0], [1.0], [2.5]]), x)


def ive_of_orders(x):
    return sp.ive(np.array([0.0, 1.5, 3.0]), x)


def gammainc_lower(x):
    return sp.gammainc(2.5, x)


def gammainc_of_shapes(x):
    return sp.gammainc(np.array([[0.5], [1.0], [3.0]]), x)


def gammaincc_upper(x):
    return sp.gammaincc(np.array([0.7, 2.0, 4.0]), x)


@pytest.mark.parametrize('fn, x', [
    (polygamma_of_order_two, 1.3), (polygamma_of_order_two, VECTOR),
    (polygamma_of_orders, 1.3), (polygamma_of_orders, VECTOR),
    (multigammaln_of_three, 2.5), (multigammaln_of_three, np.array([1.5, 3.0, 7.2])),
    (multigammaln_keyword, np.array([1.5, 3.0])),
    (iv_of_half, 1.3), (iv_of_orders, VECTOR), (iv_of_orders, 0.8),
    (ive_of_orders, np.array([-1.5, 0.4, 2.0])),
    (gammainc_lower, 1.3), (gammainc_lower, VECTOR), (gammainc_of_shapes, VECTOR),
    (gammaincc_upper, VECTOR), (gammaincc_upper, 2.0),
], ids=lambda value: getattr(value, '__name__', None) or str(np.shape(value)))
def test_functions_with_constant_arguments(fn, x):
    check_grads(fn, x, order=2)


def gammainc_in_a(a, x):
    return sp.gammainc(a, x)


def gammaincc_in_a(a, x):
    return sp.gammaincc(a, x)


def iv_in_v(v, x):
    return sp.iv(v, x)


def ive_in_v(v, x):
    return sp.ive(v, x)


@pytest.mark.parametrize('fn, name, argument', [
    (gammainc_in_a, 'scipy.special.gammainc', 'a'),
    (gammaincc_in_a, 'scipy.special.gammaincc', 'a'),
    (iv_in_v, 'scipy.special.iv', 'v'), (ive_in_v, 'scipy.special.ive', 'v')])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_an_argument_without_derivative_raises(fn, name, argument, mode):
    derivative = tangent.autodiff(fn, wrt=(0, 1), mode=mode)
    seeds = (1.0,) if mode == 'reverse' else (1.0, 1.0)
    with pytest.raises(NotImplementedError, match=rf"{name}.*'{argument}'"):
        derivative(1.5, 2.0, *seeds)
    # The other argument alone differentiates, and agrees with finite differences.
    check_grads(fn, 1.5, 2.0, wrt=1, order=2)


# Points where the function is defined and its derivative is finite though the
# textbook formula divides by zero.

@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")
def test_xlogy_at_x_zero_has_slope_zero_in_y():
    # xlogy(0, y) is 0 for every y, so its slope in y is 0 (even at y = 0); in x it is log(y).
    dx, dy = tangent.vjp(_binary(sp.xlogy), wrt=(0, 1))(
        np.zeros(2), np.array([2.0, 0.0]), np.ones(2))
    np.testing.assert_array_equal(dy, [0.0, 0.0])
    np.testing.assert_allclose(dx[0], np.log(2.0))
    assert dx[1] == -np.inf
    forward = tangent.autodiff(_binary(sp.xlogy), wrt=(1,), mode='forward')
    np.testing.assert_array_equal(forward(np.zeros(2), np.array([2.0, 0.0]), np.ones(2)),
                                  [0.0, 0.0])


def test_xlog1py_and_rel_entr_at_x_zero_have_slope_zero_in_y():
    for fn, y in ((sp.xlog1py, np.array([1.0, -1.0])), (sp.rel_entr, np.array([2.0, 0.0]))):
        dy = tangent.vjp(_binary(fn), wrt=(1,))(np.zeros(2), y, np.ones(2))
        np.testing.assert_array_equal(dy, [0.0, 0.0])


def test_i1_slope_at_zero_is_one_half():
    # i1(x) = x / 2 + x^3 / 16 + ...: slope 1/2 and curvature 0 at 0.
    assert tangent.grad(_unary(sp.i1))(0.0) == pytest.approx(0.5)
    assert tangent.grad(tangent.grad(_unary(sp.i1)))(0.0) == pytest.approx(0.0, abs=1e-12)


def test_log_ndtr_far_in_the_lower_tail():
    # The slope of log Phi(x) tends to -x for x -> -inf; ndtr itself has underflowed.
    x = np.array([-40.0, -100.0])
    slope = tangent.grad(lambda_sum_log_ndtr)(x)
    assert np.all(np.isfinite(slope))
    np.testing.assert_allclose(slope, -x, rtol=1e-3)


def lambda_sum_log_ndtr(x):
    return np.sum(sp.log_ndtr(x))


# logsumexp: every axis, keepdims and weights b (differentiated too) --------------

def logsumexp_plain(a):
    return logsumexp(a)


def logsumexp_axis(a, axis, keepdims):
    return logsumexp(a, axis=axis, keepdims=keepdims)


def logsumexp_weighted(a, b, axis, keepdims):
    return logsumexp(a, axis=axis, b=b, keepdims=keepdims)


A = np.array([[0.2, -1.0, 0.7], [1.5, 0.3, -0.4]])
AXES = [None, 0, 1, -1, (0, 1)]


@pytest.mark.parametrize('a', [0.7, np.array([0.2, -1.0, 0.7]), A], ids=['scalar', '1d', '2d'])
def test_logsumexp_of_everything(a):
    check_grads(logsumexp_plain, a, order=2)


@pytest.mark.parametrize('axis', AXES)
@pytest.mark.parametrize('keepdims', [False, True])
def test_logsumexp_axis_keepdims(axis, keepdims):
    check_grads(logsumexp_axis, A, axis, keepdims, wrt=0, order=2)


@pytest.mark.parametrize('b', [np.array([[0.5, 2.0, 1.0], [1.5, 0.2, 3.0]]),
                               np.array([0.5, 2.0, 1.0]), np.array([[0.5], [2.0]]), 1.7],
                         ids=['same', 'row', 'column', 'scalar'])
@pytest.mark.parametrize('axis', AXES)
@pytest.mark.parametrize('keepdims', [False, True])
def test_logsumexp_weights(b, axis, keepdims):
    check_grads(logsumexp_weighted, A, b, axis, keepdims, wrt=(0, 1), order=2)


@pytest.mark.parametrize('axis', [None, 0, 1])
def test_logsumexp_weights_larger_than_a(axis):
    # a broadcasts up to b's shape: its gradient is summed back down.
    check_grads(logsumexp_weighted, np.array([0.2, -1.0, 0.7]), A + 2.0, axis, False,
                wrt=(0, 1), order=2)


def test_logsumexp_is_stable_for_large_inputs():
    a = np.array([1000.0, 1001.0, 999.0])
    gradient = tangent.grad(logsumexp_plain)(a)
    np.testing.assert_allclose(gradient, sp.softmax(a), rtol=1e-12)
    np.testing.assert_allclose(tangent.autodiff(logsumexp_plain, mode='forward')(
        a, np.array([1.0, 0.0, 0.0])), sp.softmax(a)[0], rtol=1e-12)
    check_grads(logsumexp_plain, a, order=2)
    check_grads(logsumexp_axis, A * 800.0, 1, False, wrt=0, order=2)


def logsumexp_with_sign(a):
    return logsumexp(a, return_sign=True)[0]


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_logsumexp_return_sign_raises(mode):
    derivative = tangent.autodiff(logsumexp_with_sign, mode=mode)
    with pytest.raises(NotImplementedError, match='logsumexp.*return_sign'):
        derivative(np.array([0.5, 1.0]), 1.0 if mode == 'reverse' else np.ones(2))


# softmax and log_softmax ---------------------------------------------------------

def softmax_axis(x, axis):
    return softmax(x, axis=axis)


def log_softmax_axis(x, axis):
    return log_softmax(x, axis=axis)


def softmax_default(x):
    return sp.softmax(x)


def log_softmax_default(x):
    return sp.log_softmax(x)


@pytest.mark.parametrize('fn', [softmax_axis, log_softmax_axis])
@pytest.mark.parametrize('axis', AXES)
def test_softmax_axes(fn, axis):
    check_grads(fn, A, axis, wrt=0, order=2)


@pytest.mark.parametrize('fn', [softmax_default, log_softmax_default])
@pytest.mark.parametrize('x', [np.array([0.2, -1.0, 0.7]), A, A * 500.0], ids=['1d', '2d', 'large'])
def test_softmax_without_axis(fn, x):
    check_grads(fn, x, order=2)


def logsumexp_positional(a, b):
    return logsumexp(a, 1, b, True)


def softmaxes_positional(x):
    return softmax(x, 0) + log_softmax(x, -1)


def composed(x):
    return sp.xlogy(x, sp.gammaln(x + 3.0)) * sp.expit(x) + sp.logsumexp(sp.log_softmax(x))


@pytest.mark.parametrize('fn, args', [
    (logsumexp_positional, (A, np.array([0.5, 2.0, 1.0]))), (softmaxes_positional, (A,)),
    (composed, (np.array([0.5, 1.5, 3.0]),))], ids=['logsumexp', 'softmax', 'composed'])
def test_positional_arguments_and_compositions(fn, args):
    check_grads(fn, *args, order=2)


def test_float32_inputs():
    check_grads(softmaxes_positional, A.astype(np.float32), rtol=1e-2, atol=1e-3)
    check_grads(_binary(sp.xlogy), np.float32(1.5), np.array([0.5, 2.0], np.float32),
                rtol=1e-2, atol=1e-3)


# Spellings: scipy.special.f, sp.f, from scipy.special import f -------------------

def through_module(x):
    return scipy.special.gammaln(x) + scipy.special.logsumexp(x)


def through_alias(x):
    return np.sum(sp.gammaln(x) * sp.expit(x))


def through_imported_name(x):
    return logsumexp(x * 2.0) - softmax(x)[0]


@pytest.mark.parametrize('fn', [through_module, through_alias, through_imported_name])
def test_every_spelling_of_a_call(fn):
    check_grads(fn, VECTOR, order=2)


def test_scipy_ufunc_gradient_matches_known_identity():
    # d/dx gammaln(x) is digamma(x): an identity of SciPy's, not tangent's output.
    np.testing.assert_allclose(tangent.grad(through_alias_gammaln)(VECTOR), sp.digamma(VECTOR))


def through_alias_gammaln(x):
    return np.sum(sp.gammaln(x))


# Loading, naming ------------------------------------------------------------------

def _run(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          check=True).stdout


def test_import_tangent_does_not_import_scipy():
    assert _run("import sys, tangent; assert 'scipy' not in sys.modules; print('ok')") == 'ok\n'


def test_the_scipy_rules_load_when_a_function_uses_scipy_special(tmp_path):
    script = tmp_path / 'uses_scipy_special.py'
    script.write_text('\n'.join([
        'import sys, tangent',
        'import scipy.special',
        "assert 'tangent.backends.scipy.special' not in sys.modules",
        'def f(x):',
        '    return scipy.special.gammaln(x)',
        'print(tangent.grad(f)(2.5) == scipy.special.digamma(2.5),',
        "      'tangent.backends.scipy.special' in sys.modules)",
    ]) + '\n')
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            check=True)
    assert result.stdout == 'True True\n'


def struve_of(x):
    return sp.struve(1.0, x)


@pytest.mark.parametrize('mode, error', [('reverse', tangent.ReverseNotImplementedError),
                                         ('forward', tangent.ForwardNotImplementedError)])
def test_a_scipy_ufunc_without_rule_is_named_by_its_dotted_name(mode, error):
    with pytest.raises(error, match=r'registered for scipy\.special\.struve \(called at'):
        tangent.autodiff(struve_of, mode=mode)


def ldexp_of(x):
    return np.ldexp(x, 2)


def test_a_numpy_ufunc_without_rule_keeps_its_name():
    with pytest.raises(tangent.ReverseNotImplementedError, match=r'registered for ldexp \('):
        tangent.grad(ldexp_of)


# Every rule appears in a check --------------------------------------------------

def test_every_scipy_special_rule_is_checked():
    source = open(__file__).read()
    names = {getattr(key, '__name__', '') for key in list(registry.adjoints)
             if (getattr(key, '__module__', None) or '').startswith('scipy.special')
             or (type(key).__name__ == 'ufunc' and getattr(sp, key.__name__, None) is key)}
    assert len(names) >= 30
    unchecked = sorted(name for name in names if f'sp.{name}' not in source
                       and f'special.{name}' not in source and f'{name}(' not in source)
    assert not unchecked, f'scipy.special rules without a check: {unchecked}'
    assert all(key in registry.tangents for key in registry.adjoints
               if getattr(key, '__name__', '') in names)

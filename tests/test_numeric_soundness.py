"""Soundness (issue 18): a derivative is right to rounding, or the call raises a
clear error; never a silently wrong number.

Integer powers at zero, np.einsum over broadcast axes, results that must not
alias the caller's arrays, and complex numbers. References: autograd (called
directly, never swapped into a function's globals) and central differences.
"""

from __future__ import annotations

import math
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import tangent
from tests.reference import assert_close, numerical_grad

# ---------------------------------------------------------------------------------------
# Integer powers at zero: d/dx x ** n is n * x ** (n - 1), with no 0 * inf anywhere.


def poly_sum(x, c):
    return sum(c[i] * x ** i for i in range(4))


def apoly_sum(x, c):
    return sum(c[i] * x ** i for i in range(4))


def power_n(x, n):
    return x ** n


def builtin_pows(x):
    return math.pow(x, 0) + math.pow(x, 1) + pow(x, 2) + pow(x, 0) + x ** 3 + x ** 1.0


def abuiltin_pows(x):
    return x ** 0 + x ** 1 + x ** 2 + x ** 0 + x ** 3 + x ** 1.0


def array_powers(x):
    return np.sum(np.power(x, np.array([0, 1, 2, 3])) + x ** 0 + x ** 1 + np.square(x) * x)


def aarray_powers(x):
    return anp.sum(anp.power(x, anp.array([0, 1, 2, 3])) + x ** 0 + x ** 1 + anp.square(x) * x)


def float_powers(x):
    return np.sum(np.float_power(x, 0) + np.float_power(x, 1) + np.float_power(x, 2))


def afloat_powers(x):
    return anp.sum(x ** 0.0 + x ** 1.0 + x ** 2.0)


def numpy_integer_exponent(x):
    return np.sum(x ** np.int64(0) + x ** np.int64(1) + x ** np.int64(3))


def anumpy_integer_exponent(x):
    return anp.sum(x ** 0 + x ** 1 + x ** 3)


def exponent_moves(x, y):
    return np.sum(x ** y)


def aexponent_moves(x, y):
    return anp.sum(x ** y)


def _hvp(f):
    return tangent.autodiff(tangent.autodiff(f, mode='reverse', check_dims=False),
                            mode='forward', check_dims=False)


def _no_warnings(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a 0 * inf on the way is a RuntimeWarning
        return call(*args)


@pytest.mark.parametrize('x', [0.0, -2.0, 1.5])
@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_polynomial_sum_of_integer_powers(x, motion):
    c = np.array([1.0, 2.0, 3.0, 4.0])
    expected = autograd.grad(apoly_sum)(x, c)
    df = tangent.autodiff(poly_sum, motion=motion,
                          input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(_no_warnings(df, x, c), expected)
    assert_close(_no_warnings(tangent.autodiff(poly_sum, mode='forward'), x, c, 1.0), expected)
    second = autograd.grad(autograd.grad(apoly_sum))(x, c)
    assert_close(_no_warnings(tangent.grad(tangent.grad(poly_sum)), x, c), second)
    assert_close(_no_warnings(_hvp(poly_sum), x, c, 1.0, 1.0), second)


@pytest.mark.parametrize('n', [0, 1, 2, 3])
@pytest.mark.parametrize('x', [0.0, -2.0, 0.5])
def test_power_with_an_integer_argument_exponent(n, x):
    slope = 0.0 if n == 0 else n * x ** (n - 1)
    curvature = 0.0 if n < 2 else n * (n - 1) * x ** (n - 2)
    assert _no_warnings(tangent.grad(power_n), x, n) == slope
    assert _no_warnings(tangent.autodiff(power_n, motion='split',
                                         input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne),
                        x, n) == slope
    assert _no_warnings(tangent.autodiff(power_n, mode='forward'), x, n, 1.0) == slope
    assert _no_warnings(tangent.grad(tangent.grad(power_n)), x, n) == curvature
    assert _no_warnings(_hvp(power_n), x, n, 1.0, 1.0) == curvature


@pytest.mark.parametrize('x', [0.0, -2.0, 1.5])
def test_math_pow_builtin_pow_and_the_operator(x):
    expected = autograd.grad(abuiltin_pows)(x)
    assert_close(_no_warnings(tangent.grad(builtin_pows), x), expected)
    assert_close(_no_warnings(tangent.autodiff(builtin_pows, mode='forward'), x, 1.0), expected)
    assert_close(_no_warnings(tangent.grad(tangent.grad(builtin_pows)), x),
                 autograd.grad(autograd.grad(abuiltin_pows))(x))


@pytest.mark.parametrize('f, reference', [
    (array_powers, aarray_powers), (float_powers, afloat_powers),
    (numpy_integer_exponent, anumpy_integer_exponent)])
@pytest.mark.parametrize('motion', ['joint', 'split'])
def test_numpy_powers_of_arrays_with_zeros(f, reference, motion):
    x = np.array([0.0, -1.0, 2.0, 0.0])
    v = np.array([1.0, -0.5, 0.25, 2.0])
    expected = autograd.grad(reference)(x)
    df = tangent.autodiff(f, motion=motion, input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
    assert_close(_no_warnings(df, x), expected)
    assert_close(_no_warnings(tangent.autodiff(f, mode='forward'), x, v), np.dot(expected, v))
    hessian_v = autograd.grad(lambda x: anp.dot(autograd.grad(reference)(x), v))(x)
    assert_close(_no_warnings(_hvp(f), x, 1.0, v), hessian_v)


def test_the_exponents_derivative_is_zero_at_a_zero_base():
    x = np.array([0.0, 0.0, 2.0])
    y = np.array([0.5, 2.0, 3.0])
    expected = autograd.grad(aexponent_moves, 1)(x, y)
    assert np.all(np.isfinite(expected)) and expected[0] == 0.0
    assert_close(_no_warnings(tangent.grad(exponent_moves, wrt=(1,)), x, y), expected)
    assert_close(_no_warnings(tangent.autodiff(exponent_moves, wrt=(1,), mode='forward'),
                              x, y, np.ones(3)), np.sum(expected))


def test_integer_powers_of_arrays_at_zero_match_finite_differences():
    x = np.array([0.0, 0.0, -1.5])
    for n in range(4):
        numeric = numerical_grad(lambda x: np.sum(x ** n), [x], 0)
        assert_close(_no_warnings(tangent.grad(exponent_moves), x, n), numeric)


# ---------------------------------------------------------------------------------------
# np.einsum: broadcast size-1 axes, ellipsis, implicit output, repeated indices, and
# any number of operands, in both modes.

EINSUM_CASES = [
    ('ijk,ijk->ijk', [(1, 4, 1), (3, 4, 1)]),
    ('ijk,ijk->ijk', [(3, 4, 2), (1, 4, 1)]),
    ('ij,jk->ik', [(2, 3), (3, 4)]),
    ('ij,jk', [(2, 3), (3, 4)]),
    ('ij->', [(2, 3)]),
    ('ij', [(2, 3)]),
    ('ji', [(2, 3)]),
    ('ij,j->i', [(2, 3), (1,)]),
    ('ij,ij->i', [(2, 1), (2, 3)]),
    ('bi,bi->b', [(1, 3), (4, 3)]),
    ('i,j->ij', [(1,), (4,)]),
    ('...ij,...jk->...ik', [(2, 2, 3), (3, 4)]),
    ('...ij,...jk->...ik', [(1, 2, 3), (5, 3, 4)]),
    ('...i,...i', [(5, 3), (3,)]),
    ('i...,i...->...', [(3, 1, 2), (3, 4, 1)]),
    ('ij,kj->ik', [(2, 3), (4, 3)]),
    ('i,i,i->', [(3,), (3,), (3,)]),
    ('ij,jk,kl->il', [(2, 3), (3, 4), (4, 2)]),
    ('ij,jk,kl,lm->im', [(2, 3), (3, 4), (4, 2), (2, 2)]),
    ('i,i,i,i,i,i->i', [(3,), (1,), (3,), (3,), (3,), (3,)]),
]

# autograd's einsum rule refuses an operand with a repeated index: finite differences.
EINSUM_REPEATED = [
    ('ii->i', [(3, 3)]),
    ('ii', [(3, 3)]),
    ('iij->ij', [(3, 3, 2)]),
    ('ii,i->i', [(3, 3), (1,)]),
]


def _einsum_functions(subscripts, weight, count):
    """f(a, ...) = sum(einsum(subscripts, ...) * weight), in NumPy and autograd."""
    if count == 1:
        def f(a):
            return np.sum(np.einsum(subscripts, a) * weight)

        def af(a):
            return anp.sum(anp.einsum(subscripts, a) * weight)
    elif count == 2:
        def f(a, b):
            return np.sum(np.einsum(subscripts, a, b) * weight)

        def af(a, b):
            return anp.sum(anp.einsum(subscripts, a, b) * weight)
    elif count == 3:
        def f(a, b, c):
            return np.sum(np.einsum(subscripts, a, b, c) * weight)

        def af(a, b, c):
            return anp.sum(anp.einsum(subscripts, a, b, c) * weight)
    elif count == 4:
        def f(a, b, c, e):
            return np.sum(np.einsum(subscripts, a, b, c, e) * weight)

        def af(a, b, c, e):
            return anp.sum(anp.einsum(subscripts, a, b, c, e) * weight)
    else:
        def f(a, b, c, e, g, h):
            return np.sum(np.einsum(subscripts, a, b, c, e, g, h) * weight)

        def af(a, b, c, e, g, h):
            return anp.sum(anp.einsum(subscripts, a, b, c, e, g, h) * weight)
    return f, af


def _check_einsum(subscripts, shapes, reference):
    rng = np.random.default_rng(len(subscripts) + 7 * len(shapes))
    operands = [rng.standard_normal(shape) for shape in shapes]
    weight = rng.standard_normal(np.shape(np.einsum(subscripts, *operands)))
    f, af = _einsum_functions(subscripts, weight, len(operands))
    wrt = tuple(range(len(operands)))
    expected = [reference(f, af, operands, i) for i in wrt]
    for motion in ('joint', 'split'):
        got = tangent.autodiff(f, wrt=wrt, motion=motion,
                               input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)(*operands)
        got = got if len(wrt) > 1 else (got,)
        for gradient, wanted, operand in zip(got, expected, operands):
            assert np.shape(gradient) == np.shape(operand)
            assert_close(gradient, wanted)
    directions = [rng.standard_normal(shape) for shape in shapes]
    jvp = tangent.autodiff(f, wrt=wrt, mode='forward')(*operands, *directions)
    assert_close(jvp, sum(np.sum(g * v) for g, v in zip(expected, directions)))


def _autograd_or_numerical(f, af, operands, index):
    """autograd's gradient, checked against finite differences: autograd's einsum
    rule returns the wrong shape for some broadcast operands (('ij,j->i', (2, 3),
    (1,)) gives a (2, 1) gradient for the first), and then only the numbers count."""
    numeric = numerical_grad(f, operands, index)
    reference = autograd.grad(af, index)(*operands)
    if np.shape(reference) == np.shape(operands[index]):
        assert_close(reference, numeric)
        return reference
    return numeric


@pytest.mark.parametrize('subscripts, shapes', EINSUM_CASES)
def test_einsum_against_autograd(subscripts, shapes):
    _check_einsum(subscripts, shapes, _autograd_or_numerical)


@pytest.mark.parametrize('subscripts, shapes', EINSUM_REPEATED)
def test_einsum_with_repeated_indices_against_finite_differences(subscripts, shapes):
    _check_einsum(subscripts, shapes,
                  lambda f, af, operands, i: numerical_grad(f, operands, i))


def einsum_interleaved(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2]))


def test_einsum_interleaved_form_is_a_clear_error():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    with pytest.raises((NotImplementedError, TypeError), match='subscripts'):
        tangent.grad(einsum_interleaved)(a, b)


# ---------------------------------------------------------------------------------------
# Results never share memory with the caller's arrays: writing into a gradient must not
# change the seed, an argument or a tangent.


def identity(x):
    return x


def reshaped(x):
    return np.reshape(x, (2, 3))


def transposed(x):
    return x.T


def first_of_two(x, y):
    return x


def passed_through_a_list(xs):
    return xs


def sum_over_rows(x):
    return np.sum(x, axis=0)


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _assert_unaliased(result, *inputs):
    for leaf in _leaves(result):
        for given in _leaves(inputs):
            if isinstance(leaf, np.ndarray) and isinstance(given, np.ndarray):
                assert not np.shares_memory(leaf, given)
    for item in _leaves(inputs):
        assert all(item is not leaf for leaf in _leaves(result) + [result])


@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('f, x, seed', [
    (identity, np.arange(3.0), np.ones(3)),
    (reshaped, np.arange(6.0), np.ones((2, 3))),
    (transposed, np.ones((2, 3)), np.arange(6.0).reshape(3, 2)),
    (sum_over_rows, np.ones((2, 3)), np.arange(3.0)),
])
def test_a_gradient_is_not_the_seed_nor_a_view_of_it(f, x, seed, motion):
    keep = seed.copy()
    if motion == 'joint':
        gradient = tangent.vjp(f)(x, seed)
    else:
        gradient = tangent.autodiff(f, motion='split')(x, init_grad=seed)
    _assert_unaliased(gradient, x, seed)
    assert_close(gradient, numerical_grad(lambda x: np.sum(f(x) * keep), [x], 0))
    np.asarray(gradient)[...] = 7.0  # writing into the gradient leaves the seed alone
    assert np.array_equal(seed, keep)


def test_two_gradients_and_the_preserved_result_are_new_arrays():
    x, y, seed = np.ones(3), np.ones(3), np.arange(3.0)
    bx, by, result = tangent.vjp(first_of_two, wrt=(0, 1), preserve_result=True)(x, y, seed)
    _assert_unaliased((bx, by, result), x, y, seed)
    assert_close(bx, seed)
    assert_close(by, np.zeros(3))
    assert_close(result, x)


def test_a_forward_tangent_is_not_the_tangent_argument():
    x, dx = np.ones(3), np.arange(3.0)
    tangent_out = tangent.jvp(identity)(x, dx)
    _assert_unaliased(tangent_out, x, dx)
    assert_close(tangent_out, dx)
    tangent_out, result = tangent.jvp(identity, preserve_result=True)(x, dx)
    _assert_unaliased((tangent_out, result), x, dx)


def test_a_gradient_list_does_not_hold_the_seeds_arrays():
    xs, seed = [np.ones(3), np.ones(3)], [np.arange(3.0), np.arange(3.0) + 1.0]
    gradient = tangent.vjp(passed_through_a_list)(xs, seed)
    _assert_unaliased(gradient, xs, seed)
    assert len(gradient) == 2
    for item, wanted in zip(gradient, seed):
        assert_close(item, wanted)


def test_gradients_computed_by_arithmetic_are_not_copied_again():
    source = tangent.compile.source_of(tangent.grad(poly_sum))
    assert 'unaliased' not in source
    assert 'unaliased' in tangent.compile.source_of(tangent.vjp(identity))


# ---------------------------------------------------------------------------------------
# Complex numbers are refused with a clear error, never turned into a wrong real number
# (autograd gives 7.0 for the first function at 0.7; tangent used to give 1.4).

COMPLEX_FACTOR = np.array([1.0 + 2.0j])


def complex_literal(x):
    z = x * (1 + 2j)
    return np.real(z * np.conj(z))


def complex_intermediate(x):
    z = x * COMPLEX_FACTOR
    return np.sum(np.real(z * np.conj(z)))


def complex_result(x):
    return np.sum(x * COMPLEX_FACTOR)


def test_autograd_gets_the_reference_value():
    assert_close(autograd.grad(lambda x: anp.real(x * (1 + 2j) * anp.conj(x * (1 + 2j))))(0.7),
                 7.0)


def test_a_complex_literal_is_refused_when_the_derivative_is_written():
    with pytest.raises(tangent.TangentParseError, match=r'complex literal \(2j, 1 \+ 2j\).*\n.*\(1 \+ 2j\)'):
        tangent.grad(complex_literal)


@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_a_complex_intermediate_is_refused_at_run_time(mode):
    if mode == 'forward':
        derivative = tangent.autodiff(complex_intermediate, mode='forward')
        args = (0.7, 1.0)
    else:
        derivative = tangent.autodiff(complex_intermediate, motion=mode,
                                      input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
        args = (0.7,)
    with pytest.raises(tangent.errors.ComplexNumberError, match='complex numbers'):
        derivative(*args)


def test_a_complex_result_is_refused_even_without_the_seed_check():
    with pytest.raises(tangent.errors.ComplexNumberError):
        tangent.grad(complex_result)(0.5)
    with pytest.raises(tangent.errors.ComplexNumberError):
        tangent.grad(complex_result, check_dims=False)(0.5)


def complex_to_real_by_abs(z):
    return np.sum(np.abs(z) * 2.0)


def complex_to_real_by_norm(z):
    return np.linalg.norm(z) * 3.0


@pytest.mark.parametrize('function', [complex_to_real_by_abs, complex_to_real_by_norm])
@pytest.mark.parametrize('mode', ['joint', 'split', 'forward'])
def test_a_complex_argument_made_real_is_refused(function, mode):
    z = np.array([1.0 + 2.0j, 0.5j])
    with pytest.raises(tangent.errors.ComplexNumberError):
        if mode == 'forward':
            tangent.autodiff(function, mode='forward')(z, np.ones_like(z))
        else:
            tangent.autodiff(function, motion=mode, input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)(z)

"""NumPy's scalar types called on a value: float types cast (derivative through),
integer and boolean types truncate (no derivative), complex types are refused."""

import numpy as np
import pytest

import tangent
from tangent.testing import check_grads


def scaled_by_float64(x):
    return np.float64(x) * np.sin(x)


def sum_of_squares_float64(x):
    return np.sum(np.float64(x) ** 2)


def longdouble_then_back(x):
    return np.float64(np.longdouble(x) * 3.0)


def truncated_count(x):
    return np.float64(x * 3.0) + np.int64(x) * x + np.bool_(x) * x


@pytest.mark.parametrize('function, argument', [
    (scaled_by_float64, 1.3),
    (sum_of_squares_float64, np.array([1.0, -2.0, 0.5])),
    (longdouble_then_back, 0.7),
    (truncated_count, 2.4),
])
def test_scalar_type_casts_against_finite_differences(function, argument):
    check_grads(function, argument, modes=('reverse', 'forward'), order=2)


def sum_through_float32(x):
    return np.sum(np.float32(x) * 2.0 + x)


@pytest.mark.parametrize('argument', [1.5, np.array([1.5, -2.0])])
def test_float32_cast_passes_the_gradient(argument):
    # float32 is too coarse for a finite-difference oracle: the exact slope is 3.
    gradient = tangent.grad(sum_through_float32)(argument)
    np.testing.assert_allclose(gradient, np.full(np.shape(argument), 3.0))


def through_complex(x):
    return np.real(np.complex128(x)) * x


def test_complex_scalar_type_is_refused_by_name():
    with pytest.raises(tangent.ReverseNotImplementedError, match='complex128'):
        tangent.grad(through_complex)(1.0)

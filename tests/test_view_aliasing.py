"""Writes through a name whose array another name also sees, when a call made the
second name: the result of ``np.asarray(x)``, ``np.reshape(x, ...)``,
``x.reshape(...)``, ``np.squeeze(x)``, ``np.atleast_1d(x)``, ``np.ravel(x)`` or
``np.transpose(x)`` may share ``x``'s memory. Each gave a silently wrong
gradient; each now raises where the shared memory is found, while the calls that
return new arrays (``np.zeros_like``, ``np.sin``, ``x.copy()``) keep working."""

import numpy as np
import pytest

import tangent
from tangent.testing import check_grads


def writes_through_asarray(x):
    y = np.asarray(x)
    y[0] = 5.0
    return np.sum(y * x)


def writes_through_reshape_method(x):
    z = x * 1.0
    y = z.reshape(3)
    y[0] = x[1] * 5.0
    return np.sum(z * z)


def writes_through_ravel(x):
    z = x * 1.0
    y = np.ravel(z)
    y[1] = x[0] * 2.0
    return np.sum(z * z)


def writes_through_transpose(x):
    z = x * 1.0
    y = np.transpose(z)
    y[1] = x[2]
    return np.sum(z * z)


def adds_through_squeeze(x):
    z = x * 1.0
    y = np.squeeze(z)
    y += x
    return np.sum(z * z)


def writes_through_atleast_1d(x):
    z = x * 1.0
    y = np.atleast_1d(z)
    y[0] = 7.0
    return np.sum(z * z)


def writes_into_the_whole_read_by_a_view(x):
    z = x * 1.0
    y = np.reshape(z, (3, 1))
    z[0] = x[1] * 4.0
    return np.sum(y * y)


def appends_through_another_name(x):
    first = [x[0]]
    second = first
    second.append(x[1])
    return first[-1] * 3.0


def appends_to_a_row_of_a_list(x):
    rows = [[x[0]]]
    row = rows[0]
    row.append(x[1])
    return rows[0][1] * 5.0


SHARED = [writes_through_asarray, writes_through_reshape_method, writes_through_ravel,
          writes_through_transpose, adds_through_squeeze, writes_through_atleast_1d,
          writes_into_the_whole_read_by_a_view, appends_through_another_name,
          appends_to_a_row_of_a_list]


@pytest.mark.parametrize('function', SHARED, ids=[f.__name__ for f in SHARED])
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_a_write_another_name_sees_raises(function, mode):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(tangent.TangentParseError, match='also refers to'):
        derivative = tangent.autodiff(function, mode=mode)
        derivative(x, np.ones(3)) if mode == 'forward' else derivative(x, 1.0)


def writes_into_zeros_like(x):
    y = np.zeros_like(x)
    y[0] = x[0] * 3.0
    return np.sum(y * x)


def writes_into_a_function_result(x):
    y = np.sin(x)
    y[1] = x[0] * x[2]
    y += x
    return np.sum(y * y)


def writes_into_copies(x):
    y = x.copy()
    y[0] = 5.0
    z = np.array(x)
    z[1] = x[2]
    return np.sum(y * z)


def writes_in_a_loop_after_a_call(x):
    y = x * 2.0
    for _ in range(3):
        y = np.tanh(y)
        y[0] = y[0] * 2.0
    return np.sum(y)


def appends_to_fresh_rows(x):
    rows = []
    for i in range(3):
        row = []
        row.append(x[i])
        row.append(x[i] * 2.0)
        rows.append(row)
    return rows[1][1] * rows[2][0]


def appends_to_a_copy_of_a_list(x):
    base = [x[0], x[1]]
    out = base[:]
    out.append(x[2] * 2.0)
    return out[2] * base[0] + len(base)


NEW_ARRAYS = [writes_into_zeros_like, writes_into_a_function_result, writes_into_copies,
              writes_in_a_loop_after_a_call, appends_to_fresh_rows, appends_to_a_copy_of_a_list]


@pytest.mark.parametrize('function', NEW_ARRAYS, ids=[f.__name__ for f in NEW_ARRAYS])
def test_writes_into_new_arrays_still_differentiate(function):
    check_grads(function, np.array([0.3, -0.7, 1.1]))

"""The tape of long loops: shared shape records, and what it keeps per step.

Gradients are checked against central finite differences (tests/reference.py);
memory is measured with tracemalloc, never time.
"""

import copy
import gc
import pickle
import sys
import tracemalloc

import numpy as np
import numpy.testing as npt
import pytest
from reference import assert_close, numerical_grad

import tangent
from tangent import utils


def weighted(x, w, n):
    y = x
    for i in range(n):
        y = np.sin(y) * w + x * 0.01
    return np.sum(y)


def each_weight(x, weights):
    total = 0.0
    for w in weights:
        t = np.sin(x) * w
        total = total + np.sum(t * t)
    return total


# ------------------------------------------------------------ shape records


def test_arrays_of_one_shape_and_dtype_share_one_record():
    first = utils.shape_only(np.zeros((2, 3)))
    assert utils.shape_only(np.ones((2, 3))) is first
    assert (first.shape, first.dtype, first.ndim) == ((2, 3), np.float64, 2)


@pytest.mark.parametrize('other', [np.zeros((2, 3), np.float32), np.zeros((3, 2)),
                                   np.zeros(6), np.zeros((2, 3), np.int64)])
def test_another_shape_or_dtype_has_its_own_record(other):
    record = utils.shape_only(other)
    assert record is not utils.shape_only(np.zeros((2, 3)))
    assert (record.shape, record.dtype) == (other.shape, other.dtype)


def test_a_shared_record_cannot_change():
    record = utils.shape_only(np.zeros(4))
    with pytest.raises(AttributeError, match='shared'):
        record.shape = (5,)
    with pytest.raises(AttributeError, match='shared'):
        del record.dtype
    assert utils.shape_only(np.zeros(4)).shape == (4,)


@pytest.mark.parametrize('duplicate', [copy.copy, copy.deepcopy,
                                       lambda record: pickle.loads(pickle.dumps(record))])
def test_a_record_can_be_copied_and_pickled(duplicate):
    record = utils.shape_only(np.zeros((2, 3), np.float32))
    twin = duplicate(record)
    assert (twin.shape, twin.dtype) == ((2, 3), np.float32)


@pytest.mark.parametrize('values', [1.5, 3, np.float64(2.0), None, [np.zeros(2)]])
def test_what_is_not_an_array_is_taped_as_it_is(values):
    assert utils.shape_only(values) is values


@pytest.mark.parametrize('gradient_shape, like_shape, summed_axes', [
    ((4, 3), (3,), (0,)),
    ((4, 3), (4, 1), (1,)),
    ((2, 4, 3), (1, 3), (0, 1)),
    ((3,), (), (0,)),
    ((3,), (3,), ()),
])
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_unbroadcast_to_a_record_sums_like_the_array_would(gradient_shape, like_shape,
                                                            summed_axes, dtype):
    gradient = np.random.default_rng(1).standard_normal(gradient_shape)
    record = utils.shape_only(np.zeros(like_shape, dtype))
    result = utils.unbroadcast(gradient, record)
    expected = np.sum(gradient, axis=summed_axes, keepdims=True).reshape(like_shape)
    assert np.shape(result) == like_shape
    npt.assert_allclose(result, expected, rtol=1e-6)
    if summed_axes and like_shape:  # a gradient of the right shape is passed on as it is
        assert result.dtype == dtype


@pytest.mark.parametrize('dtype', [np.float64, np.float32, np.int64])
def test_unreduce_like_a_record_spreads_the_gradient_over_its_shape(dtype):
    record = utils.shape_only(np.zeros((2, 3), dtype))
    result = utils.unreduce_like(np.array([1.0, 2.0]), record, 1, False)
    npt.assert_array_equal(result, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert result.dtype == (np.float64 if dtype is np.int64 else dtype)
    result[0, 0] = 5.0  # a fresh array the backward pass may update in place


# ---------------------------------------------------------------- gradients


def test_loop_taping_shape_records_has_the_right_gradient():
    x = np.linspace(0.1, 1.0, 10)
    w = np.linspace(0.5, 0.9, 10)
    for position in (0, 1):
        gradient = tangent.grad(weighted, wrt=(position,))(x, w, 30)
        assert_close(gradient, numerical_grad(weighted, [x, w, 30], position))


def test_records_of_shapes_that_change_from_step_to_step():
    # t takes four shapes, so the tape holds records of several shapes, interleaved.
    x = np.linspace(0.2, 1.0, 3)
    weights = [np.full(3, 0.5), np.full((2, 3), 0.3), np.full((1,), 2.0),
               np.arange(6.0).reshape(2, 1, 3) / 6, np.full(3, 0.5)]
    gradient = tangent.grad(each_weight)(x, weights)
    assert_close(gradient, numerical_grad(each_weight, [x, weights], 0))


# ------------------------------------------------------------------ memory


def peak_bytes(call):
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_step_keeps_one_array_and_references_to_shared_records():
    # Per step the tape holds y (an array of 10 floats: its header and 80 bytes of
    # data, and a list slot) and three shape records; shared, each costs its slot.
    # A record made anew at each step would add about 100 bytes apiece.
    x = np.linspace(0.1, 1.0, 10)
    w = np.linspace(0.5, 0.9, 10)
    gradient = tangent.grad(weighted)
    gradient(x, w, 2)  # the first call writes the code
    steps = 20_000
    per_step = peak_bytes(lambda: gradient(x, w, steps)) / steps
    array_entry = sys.getsizeof(np.sin(x)) + 8
    assert per_step < array_entry + 3 * 8 + 64, per_step

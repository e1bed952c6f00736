"""Tests for tangent.utils, the runtime called by generated derivative code."""

import copy as copy_module

import numpy as np
import numpy.testing as npt
import pytest
from reference import numerical_grad

from tangent import utils

RNG = np.random.default_rng(0)


def _rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ Stack


def test_stack_push_pop_is_lifo():
    stack = utils.Stack()
    utils.push(stack, 1, "a")
    utils.push(stack, np.ones(2), "b")
    utils.push(stack, "x", "c")
    assert utils.pop(stack, "c") == "x"
    npt.assert_array_equal(utils.pop(stack, "b"), np.ones(2))
    assert utils.pop(stack, "a") == 1
    assert len(stack) == 0


def test_stack_repr_shows_length():
    stack = utils.Stack()
    utils.push(stack, 1.0, "a")
    utils.push(stack, 2.0, "b")
    assert "2" in repr(stack)
    assert repr(stack) == "Stack(len=2)"


def test_push_stack_pop_stack():
    outer = utils.Stack()
    inner = utils.Stack([1, 2])
    utils.push_stack(outer, inner, "call")
    assert utils.pop_stack(outer, "call") is inner
    assert not outer


def test_pop_empty_stack_names_op_id():
    with pytest.raises(IndexError, match="op_42"):
        utils.pop(utils.Stack(), "op_42")


# -------------------------------------------------------------- init_grad


@pytest.mark.parametrize("x", [3.0, 2, True, np.float64(1.5), np.int64(4), np.bool_(True)])
def test_init_grad_scalars_are_python_float_zero(x):
    result = utils.init_grad(x)
    assert type(result) is float
    assert result == 0.0


def test_init_grad_float32_scalar_keeps_dtype():
    result = utils.init_grad(np.float32(2.5))
    assert type(result) is np.float32
    assert result == 0


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.complex128, np.complex128),
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_init_grad_array_dtype(dtype, expected):
    x = np.ones((2, 3), dtype=dtype)
    result = utils.init_grad(x)
    assert result.shape == (2, 3)
    assert result.dtype == expected
    assert not result.any()
    assert result.flags.writeable


def test_init_grad_returns_a_fresh_array_each_call():
    x = np.ones(3)
    first = utils.init_grad(x)
    second = utils.init_grad(x)
    assert first is not second
    assert not np.shares_memory(first, second)
    assert not np.shares_memory(first, x)
    first[0] = 5.0
    assert second[0] == 0.0


def test_init_grad_of_broadcast_view_is_writable():
    x = np.broadcast_to(np.ones(3), (4, 3))
    result = utils.init_grad(x)
    result[0, 0] = 1.0
    assert result.shape == (4, 3)


def test_init_grad_containers():
    x = [1.0, (np.ones(2, np.float32), 3), {"a": 2, "b": [np.arange(3)]}]
    result = utils.init_grad(x)
    assert isinstance(result, list)
    assert result[0] == 0.0
    assert isinstance(result[1], tuple)
    assert result[1][0].dtype == np.float32
    assert result[1][1] == 0.0
    assert set(result[2]) == {"a", "b"}
    assert result[2]["b"][0].dtype == np.float64
    npt.assert_array_equal(result[2]["b"][0], np.zeros(3))


@pytest.mark.parametrize("x", [None, "text", object(), np.array(["a", "b"])])
def test_init_grad_non_numeric_is_none(x):
    assert utils.init_grad(x) is None


def test_init_grad_accepts_lazy_flag():
    npt.assert_array_equal(utils.init_grad(np.ones(2), allow_lazy_initializer=True), np.zeros(2))


# --------------------------------------------------------------- add_grad


@pytest.mark.parametrize("other", [1.5, np.ones(3), [1.0, 2.0], {"a": 1.0}])
def test_add_grad_none_is_zero(other):
    assert utils.add_grad(None, other) is other
    assert utils.add_grad(other, None) is other


def test_add_grad_numbers_and_arrays():
    assert utils.add_grad(1.5, 2.0) == 3.5
    left = np.ones(3)
    right = np.arange(3.0)
    result = utils.add_grad(left, right)
    npt.assert_array_equal(result, [1.0, 2.0, 3.0])
    assert result is not left and result is not right
    npt.assert_array_equal(left, np.ones(3))
    npt.assert_array_equal(right, np.arange(3.0))


def test_add_grad_nested_structures_without_mutation():
    left = {"a": [np.ones(2), 1.0], "b": (2.0, np.zeros(2)), "only_left": 3.0}
    right = {"a": [np.ones(2), None], "b": (1.0, np.ones(2)), "only_right": np.ones(1)}
    left_before = copy_module.deepcopy(left)
    right_before = copy_module.deepcopy(right)
    result = utils.add_grad(left, right)
    assert set(result) == {"a", "b", "only_left", "only_right"}
    npt.assert_array_equal(result["a"][0], [2.0, 2.0])
    assert result["a"][1] == 1.0
    assert isinstance(result["b"], tuple)
    assert result["b"][0] == 3.0
    npt.assert_array_equal(result["b"][1], [1.0, 1.0])
    assert result["only_left"] == 3.0
    npt.assert_array_equal(result["only_right"], [1.0])
    for before, after in [(left_before, left), (right_before, right)]:
        assert set(before) == set(after)
        assert len(before["a"]) == len(after["a"])
        npt.assert_array_equal(before["a"][0], after["a"][0])
        npt.assert_array_equal(before["b"][1], after["b"][1])


def test_add_grad_keeps_container_type():
    assert isinstance(utils.add_grad([1.0], [2.0]), list)
    assert isinstance(utils.add_grad((1.0,), (2.0,)), tuple)


@pytest.mark.parametrize("left, right", [([1.0], [1.0, 2.0]), ((1.0, 2.0), (1.0,))])
def test_add_grad_length_mismatch(left, right):
    with pytest.raises(ValueError):
        utils.add_grad(left, right)


def test_add_grad_broadcasts_arrays():
    npt.assert_array_equal(
        utils.add_grad(np.ones((2, 3)), np.arange(3.0)), np.ones((2, 3)) + [0, 1, 2]
    )


# ----------------------------------------------------------------- add_at


def _reference_add_at(target, index, value):
    expected = target.copy()
    np.add.at(expected, index, value)
    return expected


@pytest.mark.parametrize(
    "shape, index, value_shape",
    [
        ((5,), 2, ()),
        ((5,), np.int64(-1), ()),
        ((5,), slice(1, 4), (3,)),
        ((5,), slice(None, None, -1), (5,)),
        ((6,), slice(5, 0, -2), (3,)),
        ((3, 4), 1, (4,)),
        ((3, 4), Ellipsis, (3, 4)),
        ((3, 4), (Ellipsis, 2), (3,)),
        ((3, 4), (1, slice(None)), (4,)),
        ((3, 4), (slice(None), 0), (3,)),
        ((3, 4), (0, 1), ()),
        ((3, 4), None, (1, 3, 4)),
        ((3, 4), (slice(None), None, 1), (3, 1)),
        ((3, 4), slice(0, 2), ()),
        ((3, 4), 0, (1,)),
    ],
)
def test_add_at_basic_index(shape, index, value_shape):
    target = _rand(*shape)
    value = _rand(*value_shape) if value_shape else 1.5
    expected = target.copy()
    expected[index] += value
    result = utils.add_at(target, index, value)
    assert result is target
    npt.assert_allclose(result, expected)


def test_add_at_basic_index_sums_extra_leading_axes():
    target = np.zeros((3, 4))
    value = _rand(2, 4)
    utils.add_at(target, 1, value)
    npt.assert_allclose(target[1], value.sum(axis=0))
    npt.assert_allclose(target[[0, 2]], 0.0)


def test_add_at_basic_index_sums_size_one_axes():
    target = np.zeros((3, 4))
    value = _rand(3, 4)
    utils.add_at(target, slice(0, 1), value)
    npt.assert_allclose(target[0], value.sum(axis=0))


def test_add_at_element_with_size_one_value():
    target = np.zeros(4)
    utils.add_at(target, 2, np.array([3.0]))
    npt.assert_array_equal(target, [0.0, 0.0, 3.0, 0.0])


@pytest.mark.parametrize(
    "index",
    [
        np.array([0, 1, 1, 3, 1]),
        [2, 2, 2],
        np.array([-1, 4, 0]),
        (np.array([0, 0, 1]), np.array([2, 2, 3])),
    ],
)
def test_add_at_repeated_fancy_indices_accumulate(index):
    shape = (5,) if not isinstance(index, tuple) else (2, 4)
    target = np.zeros(shape)
    count = len(index[0]) if isinstance(index, tuple) else len(index)
    values = np.arange(1.0, count + 1)
    utils.add_at(target, index, values)
    expected = np.zeros(shape)
    for k in range(count):
        position = tuple(i[k] for i in index) if isinstance(index, tuple) else index[k]
        expected[position] += values[k]
    npt.assert_array_equal(target, expected)


def test_add_at_fancy_rows_of_matrix():
    target = np.zeros((3, 2))
    utils.add_at(target, np.array([0, 2, 0]), np.ones((3, 2)))
    npt.assert_array_equal(target, [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])


def test_add_at_mixed_tuple_index():
    target = np.zeros((3, 4))
    index = (slice(None), np.array([1, 1, 3]))
    value = _rand(3, 3)
    utils.add_at(target, index, value)
    npt.assert_allclose(target, _reference_add_at(np.zeros((3, 4)), index, value))


def test_add_at_fancy_sums_extra_axes():
    target = np.zeros(4)
    value = _rand(2, 3)
    utils.add_at(target, np.array([0, 0, 3]), value)
    npt.assert_allclose(
        target, [value[:, 0].sum() + value[:, 1].sum(), 0.0, 0.0, value[:, 2].sum()]
    )


@pytest.mark.parametrize("value", [2.0, np.array([1.0, 2.0])])
def test_add_at_boolean_mask(value):
    target = np.ones(4)
    mask = np.array([True, False, False, True])
    utils.add_at(target, mask, value)
    expected = np.ones(4)
    expected[mask] += value
    npt.assert_array_equal(target, expected)


def test_add_at_boolean_mask_2d():
    target = np.zeros((2, 3))
    mask = np.array([[True, False, True], [False, True, False]])
    utils.add_at(target, mask, np.array([1.0, 2.0, 3.0]))
    npt.assert_array_equal(target, [[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])


def test_add_at_keeps_float32():
    target = np.zeros(3, np.float32)
    utils.add_at(target, 1, np.float64(2.0))
    utils.add_at(target, [0, 0], np.ones(2))
    assert target.dtype == np.float32
    npt.assert_array_equal(target, [2.0, 2.0, 0.0])


def test_add_at_none_value_is_zero():
    target = np.ones(2)
    assert utils.add_at(target, 0, None) is target
    npt.assert_array_equal(target, np.ones(2))


def test_add_at_list_target():
    target = [0.0, np.zeros(2), None]
    result = utils.add_at(target, 1, np.ones(2))
    assert result is target
    npt.assert_array_equal(target[1], np.ones(2))
    utils.add_at(target, -1, 3.0)
    assert target[2] == 3.0
    utils.add_at(target, 0, 1.0)
    utils.add_at(target, 0, 1.0)
    assert target[0] == 2.0


def test_add_at_list_slice_adds_elementwise():
    target = [0.0, 1.0, 2.0, 3.0]
    utils.add_at(target, slice(1, None, 2), [10.0, 20.0])
    assert target == [0.0, 11.0, 2.0, 23.0]
    utils.add_at(target, slice(None, None, -1), [1.0, 1.0, 1.0, 1.0])
    assert target == [1.0, 12.0, 3.0, 24.0]


def test_add_at_list_slice_length_mismatch():
    with pytest.raises(ValueError):
        utils.add_at([0.0, 0.0], slice(None), [1.0])


def test_add_at_dict_target():
    target = {"a": 1.0, "b": np.zeros(2)}
    result = utils.add_at(target, "b", np.ones(2))
    assert result is target
    npt.assert_array_equal(target["b"], np.ones(2))
    utils.add_at(target, "a", 2.0)
    assert target["a"] == 3.0
    utils.add_at(target, "new", 4.0)
    assert target["new"] == 4.0


def test_add_at_tuple_target_returns_new_tuple():
    target = (1.0, 2.0, 3.0)
    result = utils.add_at(target, 1, 5.0)
    assert result == (1.0, 7.0, 3.0)
    assert target == (1.0, 2.0, 3.0)
    assert utils.add_at(target, slice(0, 2), (1.0, 1.0)) == (2.0, 3.0, 3.0)


@pytest.mark.parametrize("target", [np.array(1.0), 1.0, np.float64(2.0), None])
def test_add_at_rejects_scalar_targets(target):
    with pytest.raises(TypeError, match="add_at"):
        utils.add_at(target, 0, 1.0)


# ------------------------------------------------------------ unbroadcast


@pytest.mark.parametrize(
    "array_shape, like_shape, reduce_axes",
    [
        ((3, 4), (4,), (0,)),
        ((3, 4), (1, 4), (0,)),
        ((3, 4), (3, 1), (1,)),
        ((3, 4), (1, 1), (0, 1)),
        ((2, 3, 4), (3, 1), (0, 2)),
        ((2, 3, 4), (4,), (0, 1)),
        ((2, 3, 4), (2, 1, 4), (1,)),
        ((5, 1), (1,), (0,)),
    ],
)
def test_unbroadcast_matches_direct_sum(array_shape, like_shape, reduce_axes):
    array = _rand(*array_shape)
    like = np.zeros(like_shape)
    result = utils.unbroadcast(array, like)
    expected = array.sum(axis=reduce_axes, keepdims=True).reshape(like_shape)
    assert result.shape == like_shape
    npt.assert_allclose(result, expected)


@pytest.mark.parametrize(
    "array_shape, like_shape", [((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((3,), ())]
)
def test_unbroadcast_is_adjoint_of_broadcasting(array_shape, like_shape):
    # <unbroadcast(g), v> == <g, broadcast(v)> for every v.
    g = _rand(*array_shape)
    v = _rand(*like_shape)
    lhs = np.sum(np.asarray(utils.unbroadcast(g, np.zeros(like_shape))) * v)
    rhs = np.sum(g * np.broadcast_to(v, array_shape))
    npt.assert_allclose(lhs, rhs)


def test_unbroadcast_same_shape_returns_same_object():
    array = np.ones((3, 4))
    assert utils.unbroadcast(array, np.zeros((3, 4))) is array
    value = 2.5
    assert utils.unbroadcast(value, 1.0) is value


@pytest.mark.parametrize("like", [1.0, 3, True])
def test_unbroadcast_to_python_scalar(like):
    result = utils.unbroadcast(np.arange(6.0).reshape(2, 3), like)
    assert type(result) is float
    assert result == 15.0


def test_unbroadcast_numpy_scalar_to_python_float():
    result = utils.unbroadcast(np.float64(2.0), 1.0)
    assert type(result) is float


@pytest.mark.parametrize(
    "like, dtype",
    [
        (np.array(1.0), np.float64),
        (np.float32(1.0), np.float32),
        (np.array(1, np.int64), np.float64),
    ],
)
def test_unbroadcast_to_zero_d(like, dtype):
    result = utils.unbroadcast(np.ones((2, 3)), like)
    assert np.ndim(result) == 0
    assert result.dtype == dtype
    assert result == 6.0


def test_unbroadcast_keeps_float32():
    result = utils.unbroadcast(np.ones((3, 4)), np.zeros(4, np.float32))
    assert result.dtype == np.float32
    npt.assert_array_equal(result, np.full(4, 3.0))


def test_unbroadcast_int_like_stays_float():
    result = utils.unbroadcast(np.full((2, 2), 0.5), np.zeros(2, np.int64))
    assert result.dtype == np.float64
    npt.assert_array_equal(result, [1.0, 1.0])


def test_unbroadcast_scalar_seed_broadcasts_up():
    result = utils.unbroadcast(1.0, np.zeros((2, 2)))
    npt.assert_array_equal(result, np.ones((2, 2)))
    result[0, 0] = 3.0  # fresh and writable


# --------------------------------------------------------------- unreduce


@pytest.mark.parametrize(
    "shape, axis",
    [
        ((3, 4), None),
        ((3, 4), 0),
        ((3, 4), 1),
        ((3, 4), -1),
        ((2, 3, 4), (0, 2)),
        ((2, 3, 4), (-1, 0)),
        ((2, 3, 4), 1),
        ((5,), 0),
        ((5,), None),
    ],
)
@pytest.mark.parametrize("keepdims", [True, False])
def test_unreduce_matches_broadcast(shape, axis, keepdims):
    x = _rand(*shape)
    g = _rand(*np.shape(np.sum(x, axis=axis, keepdims=keepdims)))
    result = utils.unreduce(g, shape, axis, keepdims)
    assert result.shape == shape
    kept = g if keepdims or axis is None else np.expand_dims(g, axis)
    expected = np.broadcast_to(kept, shape)
    npt.assert_allclose(result, expected)
    # Adjoint of sum: <unreduce(g), v> == <g, sum(v)>.
    v = _rand(*shape)
    npt.assert_allclose(np.sum(result * v), np.sum(g * np.sum(v, axis=axis, keepdims=keepdims)))


def test_unreduce_python_float():
    result = utils.unreduce(2.0, (2, 3), None, False)
    npt.assert_array_equal(result, np.full((2, 3), 2.0))


def test_unreduce_to_zero_d_returns_input():
    g = np.float64(3.0)
    assert utils.unreduce(g, (), None, False) is g


def test_unreduce_like_scalar_original_gives_python_float():
    result = utils.unreduce_like(np.float64(2.0), 5.0, None, False)
    assert type(result) is float
    assert result == 2.0


def test_unreduce_like_array_original():
    original = np.zeros((2, 3))
    result = utils.unreduce_like(np.array([1.0, 2.0]), original, 1, False)
    npt.assert_array_equal(result, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


# ------------------------------------------------------------ small helpers


def test_astype_float32_like():
    result = utils.astype(np.ones(3), np.zeros(2, np.float32))
    assert result.dtype == np.float32
    scalar = utils.astype(2.0, np.float32(1.0))
    assert type(scalar) is np.float32


def test_astype_same_dtype_returns_same_object():
    array = np.ones(3)
    assert utils.astype(array, np.zeros(1)) is array


def test_astype_python_like_gives_float():
    result = utils.astype(np.float32(2.0), 1.0)
    assert type(result) is float and result == 2.0


def test_astype_int_like_leaves_array():
    array = np.full(2, 0.5)
    assert utils.astype(array, np.zeros(2, np.int64)) is array


def test_copy_is_deep_for_containers():
    x = {"a": [np.ones(2), 1.0], "b": (np.zeros(1), None)}
    y = utils.copy(x)
    y["a"][0][0] = 5.0
    y["b"][0][0] = 5.0
    assert x["a"][0][0] == 1.0
    assert x["b"][0][0] == 0.0
    assert isinstance(y["b"], tuple)
    assert utils.copy(3.0) == 3.0
    assert utils.copy(None) is None


def test_copy_of_read_only_view_is_writable():
    view = np.broadcast_to(np.ones(2), (3, 2))
    result = utils.copy(view)
    result[0, 0] = 2.0
    assert view[0, 0] == 1.0


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (np.ones((2, 3)), np.zeros((2, 3)), True),
        (np.ones(3), np.ones((1, 3)), False),
        (1.0, np.array(2.0), True),
    ],
)
def test_shapes_match(a, b, expected):
    assert utils.shapes_match(a, b) is expected


@pytest.mark.parametrize(
    "axis, expected",
    [(None, 24), (0, 2), (1, 3), (-1, 4), ((0, 2), 8), ((-1, -2), 12), ((), 1)],
)
def test_array_size(axis, expected):
    x = np.zeros((2, 3, 4))
    assert utils.array_size(x, axis) == expected
    if axis is not None:
        assert utils.array_size(x, axis) == x.size // np.sum(x, axis=axis).size


def test_array_size_scalar():
    assert utils.array_size(3.0, None) == 1


def test_balanced_eq_ties_share_equally():
    x = np.array([1.0, 3.0, 2.0])
    y = np.array([1.0, 2.0, 5.0])
    z = np.maximum(x, y)
    share_x = utils.balanced_eq(x, z, y)
    share_y = utils.balanced_eq(y, z, x)
    npt.assert_array_equal(share_x, [0.5, 1.0, 0.0])
    npt.assert_array_equal(share_y, [0.5, 0.0, 1.0])
    npt.assert_array_equal(share_x + share_y, np.ones(3))


def test_balanced_eq_python_scalars():
    assert utils.balanced_eq(2.0, 2.0, 2.0) == 0.5
    assert utils.balanced_eq(2.0, 2.0, 1.0) == 1.0
    assert utils.balanced_eq(1.0, 2.0, 2.0) == 0.0


def test_balanced_eq_keeps_float32():
    x = np.ones(2, np.float32)
    assert utils.balanced_eq(x, x, x).dtype == np.float32


# --------------------------------------------------------------- grad_dot


@pytest.mark.parametrize(
    "shape1, shape2",
    [
        ((), ()),
        ((), (3,)),
        ((), (2, 3)),
        ((3,), ()),
        ((2, 3), ()),
        ((4,), (4,)),
        ((2, 3), (3, 4)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3, 4), (4,)),
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 3, 4), (5, 4, 2)),
        ((1, 2, 3), (2, 3, 1)),
    ],
)
def test_grad_dot_matches_finite_difference(shape1, shape2):
    x1 = _rand(*shape1)
    x2 = _rand(*shape2)
    dy = _rand(*np.shape(np.dot(x1, x2)))

    def loss(x):
        return np.sum(np.dot(x, x2) * dy)

    result = utils.grad_dot(dy, x1, x2)
    assert np.shape(result) == shape1
    npt.assert_allclose(result, numerical_grad(loss, [x1], 0), rtol=1e-6, atol=1e-8)


def test_grad_dot_python_scalar_x1_gives_float():
    result = utils.grad_dot(np.ones(3), 2.0, np.arange(3.0))
    assert type(result) is float
    assert result == 3.0


@pytest.mark.parametrize(
    "shape1, shape2", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3, 4), (4, 2)), ((3,), ())]
)
def test_grad_dot_keeps_float32(shape1, shape2):
    x1 = _rand(*shape1, dtype=np.float32)
    x2 = _rand(*shape2)  # float64 on purpose: the result still follows x1
    dy = np.ones(np.shape(np.dot(x1, x2)))
    result = utils.grad_dot(dy, x1, x2)
    assert result.dtype == np.float32
    assert result.shape == shape1


# ---------------------------------------------------------------- ones_like


@pytest.mark.parametrize(
    "x, expected_dtype",
    [
        (np.zeros((2, 2)), np.float64),
        (np.zeros(3, np.int32), np.float64),
        (np.zeros(2, np.float32), np.float32),
    ],
)
def test_ones_like_arrays(x, expected_dtype):
    result = utils.ones_like(x)
    assert result.shape == x.shape
    assert result.dtype == expected_dtype
    npt.assert_array_equal(result, 1.0)


@pytest.mark.parametrize("x", [2.0, 3, True, np.float64(2.0)])
def test_ones_like_scalars(x):
    result = utils.ones_like(x)
    assert type(result) is float and result == 1.0


def test_ones_like_float32_scalar():
    assert type(utils.ones_like(np.float32(2.0))) is np.float32


# ------------------------------------------------------------ check_scalar


@pytest.mark.parametrize("value", [1.0, 2, True, np.float32(1.0), np.int64(3), np.array(2.0)])
def test_check_scalar_accepts_scalars(value):
    assert utils.check_scalar(value, "f") is None


@pytest.mark.parametrize(
    "value, shape", [(np.ones(1), "(1,)"), (np.ones((2, 3)), "(2, 3)"), ([1.0, 2.0], "(2,)")]
)
def test_check_scalar_rejects_arrays(value, shape):
    with pytest.raises(ValueError) as info:
        utils.check_scalar(value, "my_func")
    message = str(info.value)
    assert message == (
        f"my_func returned a value of shape {shape}; tangent.grad needs a scalar result. "
        "Reduce it (for example with np.sum), or use tangent.autodiff(..., "
        "input_derivative=tangent.INPUT_DERIVATIVE.DefaultOnes) or check_dims=False."
    )


@pytest.mark.parametrize("value", [None, "text", object()])
def test_check_scalar_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="my_func returned a value of type"):
        utils.check_scalar(value, "my_func")


# ------------------------------------------------------------- as_sequence


def test_as_sequence_dict_gives_keys():
    assert utils.as_sequence({"a": 1, "b": 2}) == ["a", "b"]


@pytest.mark.parametrize("x", [[1, 2], (1, 2), range(3), np.arange(4)])
def test_as_sequence_returns_indexable_as_is(x):
    assert utils.as_sequence(x) is x


def test_as_sequence_generator():
    result = utils.as_sequence(i * i for i in range(4))
    assert result == [0, 1, 4, 9]
    assert len(result) == 4 and result[2] == 4


def test_as_sequence_matches_iteration_order():
    x = np.arange(6).reshape(3, 2)
    sequence = utils.as_sequence(x)
    for i, row in enumerate(x):
        npt.assert_array_equal(sequence[i], row)


def test_malformed_templates_are_refused_when_registered():
    from tangent.errors import TemplateError
    from tangent.rules.registry import Registry

    def no_parameters():
        return None

    def with_kwargs(y, x, **options):
        return None

    def good(y, x):
        return None

    rules = Registry('test')
    with pytest.raises(TemplateError, match='first parameter'):
        rules.register(abs, no_parameters)
    with pytest.raises(TemplateError, match='kwargs'):
        rules.register(abs, with_kwargs)
    with pytest.raises(TemplateError, match='plain Python function'):
        rules.register(abs, len)
    rules.register(abs, good)
    with pytest.raises(TemplateError, match='already'):
        rules.register(abs, good)
    rules.register(abs, good, override=True)
    assert rules[abs] is good

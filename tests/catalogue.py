"""A catalogue of functions to differentiate, each with its inputs.

Every entry is ``Case(function, make_args, wrt)``: ``make_args`` returns fresh
arguments kept away from points where the function is not differentiable.
The functions return scalars so that ``tangent.grad`` applies to all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

RNG = np.random.default_rng(1234)
V3 = RNG.uniform(0.2, 0.8, size=3)
V4 = RNG.uniform(0.2, 0.8, size=4)
M23 = RNG.uniform(-0.5, 0.5, size=(2, 3))
M34 = RNG.uniform(-0.5, 0.5, size=(3, 4))
M33 = RNG.uniform(-0.5, 0.5, size=(3, 3)) + 2.0 * np.eye(3)
W = RNG.uniform(-0.5, 0.5, size=(4, 3))
V6 = RNG.uniform(-1.0, 1.0, size=6)


@dataclass
class Case:
    function: Callable
    make_args: Callable[[], tuple]
    wrt: tuple = (0,)

    @property
    def name(self) -> str:
        return self.function.__name__


# Scalar straight-line code ----------------------------------------------------

def add_mul(x, y):
    return x * y + x - y / 2.0


def polynomial(x):
    return 3.0 * x ** 3 - 2.0 * x ** 2 + x - 7.0


def division(x, y):
    return (x + 1.0) / (y * y + 1.0)


def negation(x):
    z = -x
    return -(z * z) + z


def powers(x, y):
    return x ** y + y ** 2.5


def math_functions(x):
    return math.sin(x) * math.cos(x) + math.exp(x) - math.log(x) + math.sqrt(x) + math.tanh(x)


def math_inverse(x):
    return math.asin(x) + math.acos(x / 2.0) + math.atan(x) + math.atan2(x, 2.0)


def builtins_mix(x, y):
    return abs(x - 2.0) + max(x, y) + min(x, y) * 2.0 + pow(x, 2) + float(y)


def augmented(x):
    y = x * 1.0
    y += x
    y *= x
    y -= 0.5
    y /= 3.0
    y **= 2
    return y


def swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return a * a + b


def reuse(x):
    a = x * x
    b = a * x
    c = a + b
    d = c * a
    return d - b


# NumPy array straight-line code ---------------------------------------------------

def array_sum(x):
    return np.sum(x * x)


def array_mean_axis(x):
    return np.sum(np.mean(x, axis=0) ** 2) + np.sum(np.mean(x, axis=1, keepdims=True) * x)


def array_sum_axis(x):
    return np.sum(np.sum(x, axis=1) * np.array([1.0, 2.0])) + np.sum(np.sum(x, axis=-1,
                                                                          keepdims=True))


def dot_product(x, y):
    return np.dot(x, y) * np.dot(y, y)


def matmul_operator(a, b):
    return np.sum(np.tanh(a @ b))


def matvec(w, x):
    return np.sum(np.matmul(w, x) ** 2)


def elementwise_ufuncs(x):
    return np.sum(np.exp(x) + np.log(x) + np.sqrt(x) + np.tanh(x))


def trigonometry(x):
    return np.sum(np.sin(x) * np.cos(x) + np.tan(x))


def hyperbolic(x):
    return np.sum(np.sinh(x) - np.cosh(x) * 0.5)


def inverse_trig(x):
    return np.sum(np.arcsin(x) + np.arccos(x) * 2.0 + np.arctan(x))


def absolute(x):
    return np.sum(np.abs(x - 0.5) * x)


def max_min(x, y):
    return np.sum(np.maximum(x, y) + 2.0 * np.minimum(x, y))


def numpy_arithmetic(x, y):
    return np.sum(np.add(x, y) * np.subtract(x, y) + np.divide(x, y) - np.negative(x)
                  + np.power(x, 2.0) + np.multiply(x, 3.0))


def reshape_transpose(x):
    y = np.reshape(x, (3, 2))
    z = np.transpose(y)
    return np.sum(z * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))


def array_from_list(x, y):
    a = np.array([x, y, x * y])
    return np.sum(a * a)


def atleast(x):
    return np.sum(np.atleast_1d(x) * 2.0) + np.sum(np.atleast_2d(x) ** 2) + \
        np.sum(np.atleast_3d(x))


def determinant(a):
    return np.linalg.det(a)


def broadcasting(x, m):
    return np.sum(m * x) + np.sum(m + x[None, :]) + np.sum(x * 2.0)


def broadcast_scalar(s, x):
    return np.sum(s * x + s)


def tanh_layer(w, x):
    h = np.tanh(w @ x + 0.1)
    return np.sum(h * h)


# Control flow ----------------------------------------------------------------------

def if_else(x):
    if x > 0.5:
        y = x * x
    else:
        y = -x
    return y


def if_elif_else(x):
    if x > 2.0:
        y = x ** 3
    elif x > 0.5:
        y = math.sin(x) * x
    else:
        y = x + 1.0
    return y * 2.0


def nested_if(x, y):
    if x > 0.0:
        if y > x:
            z = x * y
        else:
            z = x - y
    else:
        z = y
    return z * z


def boolean_condition(x, y):
    if x > 0.0 and not y < 0.0 or x > 10.0:
        z = x * y
    else:
        z = x + y
    return z


def array_condition(x):
    if np.sum(x) > 1.0:
        y = np.sin(x)
    else:
        y = np.cos(x)
    return np.sum(y * x)


def early_return(x):
    if x > 0.5:
        return x * 3.0
    return x * x


def for_range(x):
    y = x
    for i in range(5):
        y = y * 0.9 + math.sin(y)
    return y


def for_range_start_step(x):
    total = 0.0
    for i in range(1, 10, 3):
        total = total + x ** i
    return total


def for_over_array(x):
    total = 0.0
    for value in x:
        total = total + value * value
    return total


def for_over_rows(m):
    total = 0.0
    for row in m:
        total = total + np.sum(np.tanh(row)) * np.sum(row)
    return total


def for_over_list(x):
    total = 0.0
    for factor in [1.0, 2.0, 3.0]:
        total = total + factor * x * x
    return total


def nested_for(x):
    y = x
    for i in range(3):
        for j in range(2):
            y = y + 0.1 * math.cos(y * (i + j))
    return y


def while_loop(x):
    y = x
    i = 0
    while i < 4:
        y = y * 1.1 - 0.05 * y * y
        i = i + 1
    return y


def while_data_dependent(x):
    y = x
    while y < 3.0:
        y = y * 1.5 + 0.1
    return y


def loop_accumulate_array(x):
    acc = np.zeros(3)
    for i in range(4):
        acc = acc + np.sin(x * (i + 1))
    return np.sum(acc * acc)


def loop_with_if(x):
    y = x
    for i in range(6):
        if y > 1.0:
            y = y * 0.5
        else:
            y = y * 1.7 + 0.1
    return y


# Subroutines ------------------------------------------------------------------------

def _square_plus(a, b):
    return a * a + b


def _layer(w, x):
    return np.tanh(w @ x)


def _nested_helper(a):
    return _square_plus(a, 1.0) * math.exp(a)


def subroutine(x, y):
    return _square_plus(x, y) * 2.0


def subroutine_twice(x):
    return _square_plus(x, 1.0) + _square_plus(x * 2.0, x)


def subroutine_nested(x):
    return _nested_helper(x) + _nested_helper(x * x)


def subroutine_array(w, x):
    h = _layer(w, x)
    return np.sum(h * h)


def subroutine_in_loop(x):
    y = x
    for i in range(3):
        y = _square_plus(y * 0.5, 0.1)
    return y


# Containers ------------------------------------------------------------------------

def list_build_read(x, y):
    values = [x, y, x * y]
    return values[0] * values[2] + values[1]


def list_write(x):
    values = [x, x * x, 1.0]
    values[2] = values[0] * values[1]
    values[0] = math.sin(values[2])
    return values[0] + values[1] + values[2]


def tuple_build_read(x):
    pair = (x * 2.0, x + 1.0)
    first, second = pair
    return first * second + pair[1]


def dict_build_read(x, y):
    d = {'a': x * y, 'b': y + 1.0}
    return d['a'] * d['b']


def dict_write(x):
    d = {'a': x}
    d['b'] = d['a'] * 3.0
    d['a'] = d['b'] + x
    return d['a'] * d['b']


def array_index_read(x):
    return x[0] * x[1] + x[-1] * 2.0


def array_index_write(x):
    y = x * 1.0
    y[0] = x[1] * x[2]
    y[2] = y[0] + 1.0
    return np.sum(y * y)


def array_slices(x):
    return np.sum(x[1:] * x[:-1]) + np.sum(x[::2])


def matrix_slices(m):
    return np.sum(m[:, 1:] * m[:, :-1]) + np.sum(m[1] ** 2) + np.sum(m[:, 0])


def slice_write(x):
    y = x * 2.0
    y[1:3] = x[:2] * x[1:]
    return np.sum(y * y)


def list_of_arrays(x):
    parts = [x, x * 2.0, np.sin(x)]
    total = 0.0
    for part in parts:
        total = total + np.sum(part * part)
    return total


CASES = [
    Case(add_mul, lambda: (0.7, 1.3), (0, 1)),
    Case(polynomial, lambda: (0.8,)),
    Case(division, lambda: (0.5, 1.5), (0, 1)),
    Case(negation, lambda: (0.6,)),
    Case(powers, lambda: (1.3, 0.7), (0, 1)),
    Case(math_functions, lambda: (0.6,)),
    Case(math_inverse, lambda: (0.4,)),
    Case(builtins_mix, lambda: (0.7, 1.1), (0, 1)),
    Case(augmented, lambda: (0.9,)),
    Case(swap, lambda: (0.3, 0.8), (0, 1)),
    Case(reuse, lambda: (0.75,)),
    Case(array_sum, lambda: (V3.copy(),)),
    Case(array_mean_axis, lambda: (M23.copy(),)),
    Case(array_sum_axis, lambda: (M23.copy(),)),
    Case(dot_product, lambda: (V3.copy(), V3[::-1].copy()), (0, 1)),
    Case(matmul_operator, lambda: (M23.copy(), M34.copy()), (0, 1)),
    Case(matvec, lambda: (W.copy(), V3.copy()), (0, 1)),
    Case(elementwise_ufuncs, lambda: (V4.copy(),)),
    Case(trigonometry, lambda: (V4.copy(),)),
    Case(hyperbolic, lambda: (V4.copy(),)),
    Case(inverse_trig, lambda: (V4 * 0.9,)),
    Case(absolute, lambda: (np.array([0.1, 0.3, 0.7, 0.9]),)),
    Case(max_min, lambda: (np.array([0.1, 0.6, 0.4]), np.array([0.5, 0.2, 0.45])), (0, 1)),
    Case(numpy_arithmetic, lambda: (V3.copy(), V3[::-1] + 0.5), (0, 1)),
    Case(reshape_transpose, lambda: (V6.copy(),)),
    Case(array_from_list, lambda: (0.4, 0.9), (0, 1)),
    Case(atleast, lambda: (V3.copy(),)),
    Case(determinant, lambda: (M33.copy(),)),
    Case(broadcasting, lambda: (V3.copy(), M23.copy()), (0, 1)),
    Case(broadcast_scalar, lambda: (0.7, V3.copy()), (0, 1)),
    Case(tanh_layer, lambda: (W.copy(), V3.copy()), (0, 1)),
    Case(if_else, lambda: (0.8,)),
    Case(if_elif_else, lambda: (1.2,)),
    Case(nested_if, lambda: (0.4, 0.9), (0, 1)),
    Case(boolean_condition, lambda: (0.6, 0.2), (0, 1)),
    Case(array_condition, lambda: (V3.copy(),)),
    Case(early_return, lambda: (0.3,)),
    Case(for_range, lambda: (0.4,)),
    Case(for_range_start_step, lambda: (0.9,)),
    Case(for_over_array, lambda: (V4.copy(),)),
    Case(for_over_rows, lambda: (M23.copy(),)),
    Case(for_over_list, lambda: (0.6,)),
    Case(nested_for, lambda: (0.3,)),
    Case(while_loop, lambda: (0.5,)),
    Case(while_data_dependent, lambda: (0.45,)),
    Case(loop_accumulate_array, lambda: (V3.copy(),)),
    Case(loop_with_if, lambda: (0.77,)),
    Case(subroutine, lambda: (0.5, 0.25), (0, 1)),
    Case(subroutine_twice, lambda: (0.6,)),
    Case(subroutine_nested, lambda: (0.35,)),
    Case(subroutine_array, lambda: (W.copy(), V3.copy()), (0, 1)),
    Case(subroutine_in_loop, lambda: (0.8,)),
    Case(list_build_read, lambda: (0.6, 0.2), (0, 1)),
    Case(list_write, lambda: (0.7,)),
    Case(tuple_build_read, lambda: (0.4,)),
    Case(dict_build_read, lambda: (0.6, 0.3), (0, 1)),
    Case(dict_write, lambda: (0.55,)),
    Case(array_index_read, lambda: (V4.copy(),)),
    Case(array_index_write, lambda: (V3.copy(),)),
    Case(array_slices, lambda: (V4.copy(),)),
    Case(matrix_slices, lambda: (M23.copy(),)),
    Case(slice_write, lambda: (V3.copy(),)),
    Case(list_of_arrays, lambda: (V3.copy(),)),
]

"""Checks generated code runs: scalar results, seeds, real values, aliasing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tangent import errors
from tangent.runtime.dispatch import backend_overridable
from tangent.runtime.shapes import _is_complex
from tangent.runtime.tape import Stack


# --------------------------------------------------------------------- checks


@backend_overridable('value')
def check_scalar(value: Any, function_name: str) -> None:
    """Raise ValueError unless `value` is a scalar that tangent.grad can seed.

    Python numbers, numpy scalars and 0-d arrays pass; an array of shape (1,) does
    not, because silently treating it as a scalar hides shape bugs.
    """
    if isinstance(value, (float, int, complex, np.number, np.bool_)):
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biufc":
        return None
    try:
        shape = np.shape(value)
    except ValueError:
        shape = None  # ragged nested lists have no numpy shape
    if shape is None or (shape == () and not isinstance(value, np.ndarray)):
        # Non-numeric objects: a shape of () would be misleading here.
        described = f"a value of type {type(value).__name__}"
    else:
        described = f"a value of shape {shape}"
    raise ValueError(
        f"{function_name} returned {described}; tangent.grad needs a scalar result. "
        "Reduce it (for example with np.sum), or use tangent.autodiff(..., "
        "input_derivative=tangent.INPUT_DERIVATIVE.DefaultOnes) or check_dims=False."
    )


# Helpers named by derivative rules ------------------------------------------


def real_only(derivative: Any, value: Any, function_name: str) -> Any:
    """``derivative``, after checking that ``value`` (the argument of
    ``function_name``, a function meaningful for complex numbers) is real."""
    if _is_complex(value):
        raise errors.ComplexNumberError(f'the argument of {function_name}', function_name)
    return derivative


# Arguments that hold no array but perhaps themselves.
_FLAT_INPUTS = frozenset({np.ndarray, float, int, bool, type(None), np.float64, np.float32})


@backend_overridable('value')
def unaliased(value: Any, inputs: tuple) -> Any:
    """``value``, with every array in it that shares memory with an array among
    ``inputs`` (the call's arguments) copied, and its lists, tuples and dicts
    rebuilt: a returned gradient is never the caller's seed, nor a view of it.

    Generated code calls this on returned values that may be an argument
    (or a reshape, transpose or slice of one); results of arithmetic never are.
    """
    if type(value) is float or type(value) is int or isinstance(value, np.generic):
        return value  # immutable: nothing to share
    if type(value) is np.ndarray and all(type(item) in _FLAT_INPUTS for item in inputs):
        # The common case, checked without walking containers: called for every
        # step of a checkpointed loop, the walk would cost as much as the step.
        for item in inputs:
            if type(item) is np.ndarray and np.may_share_memory(value, item):
                return value.copy()
        return value
    arrays = _array_leaves(inputs)
    if not arrays and not isinstance(value, (list, tuple, dict)):
        return value
    return _copied_if_shared(value, arrays)


# NumPy functions that return a new array (as do ufuncs called without out=).
_NEW_ARRAY_FUNCTIONS = frozenset({np.sum, np.mean, np.prod, np.dot, np.inner, np.outer,
                                  np.cumsum, np.cumprod, np.var, np.std, np.clip, np.where})


def returns_new_array(func: Any) -> bool:
    """Whether a call of ``func`` (without ``out=``) returns a value that shares no
    memory with its arguments: what generated code need not pass to ``unaliased``."""
    if isinstance(func, np.ufunc):
        return True
    try:
        return func in _NEW_ARRAY_FUNCTIONS
    except TypeError:  # an unhashable callable
        return False


def _array_leaves(value: Any) -> list:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, Stack):  # the tape holds the generated code's own values
        return []
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _array_leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _array_leaves(item)]
    return []


def _copied_if_shared(value: Any, arrays: list) -> Any:
    if isinstance(value, np.ndarray):
        if any(np.may_share_memory(value, array) for array in arrays):
            return value.copy()
        return value
    if isinstance(value, list):
        return [_copied_if_shared(item, arrays) for item in value]
    if type(value) is tuple:
        return tuple(_copied_if_shared(item, arrays) for item in value)
    if type(value) is dict:
        return {key: _copied_if_shared(item, arrays) for key, item in value.items()}
    return value


_SCALAR_TYPES = (float, np.float64, np.float32, int)


@backend_overridable('result', 'seed')
def check_seed(result: Any, seed: Any, function_name: str) -> None:
    """Raise a clear error when the seed's shape does not match the result's."""
    if type(seed) is float and type(result) in _SCALAR_TYPES:
        return  # the common case of a scalar loss, without computing shapes
    if _is_complex(result):
        raise errors.ComplexNumberError('the returned value', function_name)
    if np.shape(result) != np.shape(seed):
        if np.shape(seed) == ():
            check_scalar(result, function_name)
        raise ValueError(
            f'The output gradient (seed) has shape {np.shape(seed)} but {function_name} '
            f'returned a value of shape {np.shape(result)}; pass a seed shaped like the '
            f'result, or check_dims=False.')


def require_seed(seed: Any, seed_name: str) -> None:
    """Raise a TypeError when a required seed was not passed."""
    if seed is None:
        raise TypeError(f'missing the output gradient argument {seed_name!r} '
                        f'(INPUT_DERIVATIVE.Required)')

"""Independent reference derivatives for the test suite.

Everything here is computed without tangent: central finite differences of
the original function, projected onto a random direction when the result is
an array, and structure-aware comparison of nested results.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

EPS = 1e-6


def _perturbed(args: Sequence[Any], index: int, value: Any) -> list:
    new_args = list(args)
    new_args[index] = value
    return new_args


def _flat_leaves(value: Any) -> list:
    """The numeric leaves of a nested list/tuple/dict, in a fixed order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _flat_leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flat_leaves(item)]
    return [value]


def scalar_output(f: Callable, seed: Any = None) -> Callable:
    """``f`` reduced to a scalar: ``sum(seed * f(...))`` over every output leaf."""
    def reduced(*args):
        leaves = _flat_leaves(f(*args))
        seeds = _flat_leaves(seed) if seed is not None else [None] * len(leaves)
        total = 0.0
        for leaf, leaf_seed in zip(leaves, seeds):
            leaf = np.asarray(leaf, dtype=float)
            total += float(np.sum(leaf if leaf_seed is None else leaf * leaf_seed))
        return total
    return reduced


def numerical_grad(f: Callable, args: Sequence[Any], index: int, eps: float = EPS) -> Any:
    """Central finite-difference gradient of scalar ``f`` in argument ``index``.

    The argument may be a Python float, an array, or a (nested) list, tuple or
    dict of those; the gradient has the same structure.
    """
    def perturb(value, path_eps):
        return value + path_eps

    x = args[index]
    if isinstance(x, dict):
        result = {}
        for key in x:
            def f_key(v, key=key):
                new = dict(x)
                new[key] = v
                return f(*_perturbed(args, index, new))
            result[key] = numerical_grad(f_key, [x[key]], 0, eps)
        return result
    if isinstance(x, (list, tuple)):
        items = []
        for position in range(len(x)):
            def f_item(v, position=position):
                new = list(x)
                new[position] = v
                return f(*_perturbed(args, index, type(x)(new)))
            items.append(numerical_grad(f_item, [x[position]], 0, eps))
        return type(x)(items)
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        high = f(*_perturbed(args, index, perturb(float(x), eps)))
        low = f(*_perturbed(args, index, perturb(float(x), -eps)))
        return (high - low) / (2 * eps)
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[position] = eps
        high = f(*_perturbed(args, index, x + step))
        low = f(*_perturbed(args, index, x - step))
        grad[position] = (high - low) / (2 * eps)
    return grad


def numerical_jvp(f: Callable, args: Sequence[Any], index: int, direction: Any,
                  eps: float = EPS) -> Any:
    """Central finite-difference directional derivative of ``f`` along ``direction``."""
    high = f(*_perturbed(args, index, args[index] + eps * direction))
    low = f(*_perturbed(args, index, args[index] - eps * direction))
    if isinstance(high, tuple):
        return tuple((np.asarray(h) - np.asarray(lo)) / (2 * eps) for h, lo in zip(high, low))
    return (np.asarray(high) - np.asarray(low)) / (2 * eps)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Compare nested results leaf by leaf, with matching structure."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f'expected a dict, got {type(actual).__name__}'
        assert set(actual) == set(expected), f'keys {set(actual)} != {set(expected)}'
        for key in expected:
            assert_close(actual[key], expected[key], rtol, atol)
        return
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), \
            f'expected a {type(expected).__name__}, got {type(actual).__name__}'
        assert len(actual) == len(expected), f'length {len(actual)} != {len(expected)}'
        for actual_item, expected_item in zip(actual, expected):
            assert_close(actual_item, expected_item, rtol, atol)
        return
    assert np.shape(actual) == np.shape(expected), \
        f'shape {np.shape(actual)} != expected {np.shape(expected)}'
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float), rtol=rtol, atol=atol)

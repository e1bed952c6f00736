"""The helpers the ``scipy.special`` rules call as ``tangent.<name>``.

Each helper that can appear in a derivative has rules of its own (declared in
``special``), so that the derivatives they write can be differentiated again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special

__all__: list[str] = ['derivative_not_covered', 'xdivy', 'logsumexp_weights',
                      'logsumexp_spread', 'multivariate_polygamma']


def derivative_not_covered(g: Any, function_name: str, argument: str) -> Any:
    """Raise: the derivative of ``function_name`` with respect to ``argument`` is not
    available. A rule calls this for that argument's term, which generated code only
    computes when the argument carries a derivative."""
    raise NotImplementedError(
        f'the derivative of {function_name} with respect to its argument {argument!r} is '
        f'not available in tangent: differentiate with respect to its other arguments '
        f'only, with {argument} a constant')


def xdivy(x: Any, y: Any) -> Any:
    """``x / y``, and 0 where ``x`` is 0 (even where ``y`` is 0): the slope of
    ``xlogy(x, y)`` in ``y``, which is 0 along ``x == 0`` where the function is 0."""
    with np.errstate(divide='ignore', invalid='ignore'):
        quotient = np.true_divide(x, y)
    return np.where(np.equal(x, 0), np.zeros_like(quotient), quotient)[()]


def logsumexp_weights(b: Any) -> Any:
    """The weights ``b`` of ``scipy.special.logsumexp``: 1 where none are given."""
    return 1.0 if b is None else b


def logsumexp_spread(y: Any, a: Any, b: Any, axis: Any, keepdims: bool,
                     return_sign: bool) -> Any:
    """``y = logsumexp(a, axis, b, keepdims)`` (or its gradient) spread back over the
    reduced input: the shape ``a`` and ``b`` broadcast to, the reduced axes repeated."""
    if return_sign:
        raise NotImplementedError(
            'the derivative of scipy.special.logsumexp covers return_sign=False only: '
            'with return_sign=True the sign is piecewise constant and the result a pair')
    shape = np.broadcast_shapes(np.shape(a), np.shape(b if b is not None else a))
    if not keepdims:
        reduced = range(len(shape)) if axis is None else \
            np.atleast_1d(axis) % max(len(shape), 1)
        kept = [1 if item in set(int(r) for r in reduced) else size
                for item, size in enumerate(shape)]
        y = np.reshape(y, kept)
    return np.broadcast_to(y, shape)


def multivariate_polygamma(n: int, a: Any, d: int) -> Any:
    """The ``n + 1``-th derivative of ``scipy.special.multigammaln(a, d)`` in ``a``:
    ``sum(polygamma(n, a - j / 2) for j < d)`` (with ``n = 0``, a sum of digammas)."""
    return sum(scipy.special.polygamma(n, a - 0.5 * j) for j in range(d))

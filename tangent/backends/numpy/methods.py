"""What the methods and attributes of NumPy arrays mean: ``x.sum(axis=0)`` is
``np.sum(x, axis=0)``, ``x.T`` is ``np.transpose(x)``; and which NumPy function
an ``autograd.numpy`` wrapper stands for. The desugaring pass rewrites them
into those calls, so the NumPy rules apply.
"""

from __future__ import annotations

import types
from typing import Any

import numpy

from tangent.backends import ArrayMethods

# ndarray method -> the NumPy function taking the array as its first argument.
_METHODS = {
    name: getattr(numpy, name) for name in (
        'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'cumsum', 'cumprod', 'dot',
        'ravel', 'squeeze', 'swapaxes', 'clip', 'copy', 'trace', 'diagonal', 'repeat',
        'take', 'conj', 'argmax', 'argmin', 'any', 'all', 'round', 'nonzero', 'argsort')
}
_METHODS['flatten'] = numpy.ravel


def autograd_numpy_target(value: Any) -> Any:
    """The NumPy function an ``autograd.numpy`` function wraps, or None."""
    if not isinstance(value, types.FunctionType):
        return None
    module = getattr(value, '__module__', '') or ''
    if not module.startswith('autograd'):
        return None
    wrapped = getattr(value, 'fun', None)
    if wrapped is not None and getattr(wrapped, '__module__', '').startswith('numpy'):
        return wrapped
    candidate = getattr(numpy, value.__name__, None)
    return candidate if callable(candidate) else None


ARRAY_METHODS = ArrayMethods(
    module=numpy,
    module_alias='np',
    methods=_METHODS,
    # Methods whose trailing positional arguments are one tuple: x.reshape(2, 3).
    shape_methods={'reshape': numpy.reshape, 'transpose': numpy.transpose},
    attributes={'T': numpy.transpose, 'real': numpy.real},
    # x.astype(dtype) computes what np.asarray(x, dtype=dtype) does, up to a copy.
    astype=numpy.asarray,
    other_names=frozenset({'append', 'item', 'shape', 'ndim', 'size', 'dtype', 'itemsize',
                           'nbytes'}),
    wrapped=autograd_numpy_target,
)

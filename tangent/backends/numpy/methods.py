"""What the methods and attributes of NumPy arrays mean: ``x.sum(axis=0)`` is
``np.sum(x, axis=0)``, ``x.T`` is ``np.transpose(x)``; and which NumPy function
an ``autograd.numpy`` wrapper stands for. The desugaring pass rewrites them
into those calls, so the NumPy rules apply.
"""

from __future__ import annotations

from typing import Any

import numpy

from tangent.backends import ArrayMethods
from tangent.backends.numpy import autograd_wrappers

# ndarray method -> the NumPy function taking the array as its first argument.
_METHODS = {
    name: getattr(numpy, name) for name in (
        'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'cumsum', 'cumprod', 'dot',
        'ravel', 'squeeze', 'swapaxes', 'clip', 'copy', 'trace', 'diagonal', 'repeat',
        'take', 'conj', 'argmax', 'argmin', 'any', 'all', 'round', 'nonzero', 'argsort')
}
_METHODS['flatten'] = numpy.ravel


def autograd_numpy_target(value: Any) -> Any:
    """The NumPy or SciPy function an ``autograd.numpy``/``autograd.scipy`` name
    stands for, or None (see ``autograd_wrappers``)."""
    return autograd_wrappers.library_target(value)


def autograd_call_helper(value: Any) -> Any:
    """``autograd_apply`` for an autograd primitive differentiated by autograd's rules."""
    if not autograd_wrappers.goes_through_autograd(value):
        return None
    from tangent.backends.numpy import autograd_helpers  # only with autograd in use
    return autograd_helpers.autograd_apply


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
    call_helper=autograd_call_helper,
)

"""What the methods and attributes of NumPy arrays mean: ``x.sum(axis=0)`` is
``np.sum(x, axis=0)``, ``x.T`` is ``np.transpose(x)``; and which NumPy function
an ``autograd.numpy`` wrapper stands for. The desugaring pass rewrites them
into those calls, so the NumPy rules apply.
"""

from __future__ import annotations

from typing import Any

import numpy

from tangent.backends import ArrayMethods, LibraryCall
from tangent.backends.numpy import autograd_wrappers, helpers

# ndarray method -> the NumPy function taking the array as its first argument.
_METHODS = {
    name: getattr(numpy, name) for name in (
        'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'cumsum', 'cumprod', 'dot',
        'ravel', 'squeeze', 'swapaxes', 'clip', 'copy', 'trace', 'diagonal', 'repeat',
        'take', 'conj', 'argmax', 'argmin', 'any', 'all', 'round', 'nonzero', 'argsort')
}
_METHODS['flatten'] = numpy.ravel


# A ufunc's reduce and accumulate methods as the functions that have rules: the same
# arguments in the same order, but a default axis of 0 where those default to None.
_REDUCE_PARAMETERS = ('axis', 'dtype', 'out', 'keepdims', 'initial', 'where')
_ACCUMULATE_PARAMETERS = ('axis', 'dtype', 'out')
_UFUNC_METHODS = {
    ('add', 'reduce'): numpy.sum, ('multiply', 'reduce'): numpy.prod,
    ('maximum', 'reduce'): numpy.max, ('minimum', 'reduce'): numpy.min,
    ('logaddexp', 'reduce'): helpers.logaddexp_reduce,
    ('add', 'accumulate'): numpy.cumsum, ('multiply', 'accumulate'): numpy.cumprod,
}
# Arguments written as their defaults are left out (np.max and np.min take no dtype).
_DEFAULTS = {'dtype': None, 'out': None, 'where': True}
# Any other argument (out, initial, where, dtype of max) leaves the call to raise: no rule.
_ACCEPTED = {numpy.max: {'axis', 'keepdims'}, numpy.min: {'axis', 'keepdims'},
             numpy.cumsum: {'axis', 'dtype'}, numpy.cumprod: {'axis', 'dtype'}}


def _accepts(function: Any, accumulate: bool) -> Any:
    def accepts(arguments: dict) -> bool:
        if not set(arguments) <= _ACCEPTED.get(function, {'axis', 'dtype', 'keepdims'}):
            return False
        # accumulate takes one integer axis, where np.cumsum would flatten for None.
        return not accumulate or 'axis' not in arguments or \
            isinstance(arguments['axis'], int) and not isinstance(arguments['axis'], bool)
    return accepts


def ufunc_method_call(value: Any) -> LibraryCall | None:
    """``np.add.reduce(a, 1)`` means ``np.sum(a, axis=1)``: the library call a
    ufunc method's call is written as, or None (other ufuncs and methods raise)."""
    ufunc, method = getattr(value, '__self__', None), getattr(value, '__name__', None)
    if not isinstance(ufunc, numpy.ufunc) or getattr(numpy, ufunc.__name__, None) is not ufunc:
        return None
    function = _UFUNC_METHODS.get((ufunc.__name__, method))
    if function is None:
        return None
    accumulate = method == 'accumulate'
    return LibraryCall(function,
                       _ACCUMULATE_PARAMETERS if accumulate else _REDUCE_PARAMETERS,
                       {'axis': 0}, _DEFAULTS, _accepts(function, accumulate))


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
    attributes={'T': numpy.transpose, 'mT': numpy.matrix_transpose, 'real': numpy.real},
    # x.astype(dtype) computes what np.asarray(x, dtype=dtype) does, up to a copy.
    astype=numpy.asarray,
    other_names=frozenset({'append', 'item', 'shape', 'ndim', 'size', 'dtype', 'itemsize',
                           'nbytes'}),
    wrapped=autograd_numpy_target,
    call_helper=autograd_call_helper,
    library_call=ufunc_method_call,
)

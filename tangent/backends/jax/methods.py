"""What the methods and attributes of JAX arrays mean: ``x.sum(axis=0)`` is
``jnp.sum(x, axis=0)``, ``x.T`` is ``jnp.transpose(x)``. The desugaring pass
rewrites them into those calls, so that the JAX rules apply.
"""

from __future__ import annotations

import operator

import jax.numpy as jnp

from tangent.backends import ArrayMethods

class _IndexUpdate:
    """What ``x.at`` means in differentiated code: JAX's indexed update
    (``x.at[i].set(v)``), which has no derivative rule yet. A callable that is not a
    Python function, so that differentiating through it raises an error naming it
    instead of reading JAX's source or dropping the derivative."""

    __name__ = __qualname__ = 'x.at[...] (JAX indexed update)'
    # Not a Python function (nor bound as a method): there is no source to read.
    __call__ = operator.attrgetter('at')


# Array method -> the jax.numpy function taking the array as its first argument.
_METHODS = {
    name: getattr(jnp, name) for name in (
        'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'cumsum', 'dot', 'ravel',
        'squeeze', 'swapaxes', 'clip', 'trace', 'diagonal', 'repeat', 'take', 'conj',
        'argmax', 'argmin', 'any', 'all', 'round', 'argsort')
}
_METHODS['flatten'] = jnp.ravel

ARRAY_METHODS = ArrayMethods(
    module=jnp,
    module_alias='jnp',
    methods=_METHODS,
    # Methods whose trailing positional arguments are one tuple: x.reshape(2, 3).
    shape_methods={'reshape': jnp.reshape, 'transpose': jnp.transpose},
    attributes={'T': jnp.transpose, 'mT': jnp.matrix_transpose, 'real': jnp.real,
                'at': _IndexUpdate()},
    astype=jnp.asarray,
    other_names=frozenset({'item', 'shape', 'ndim', 'size', 'dtype'}),
)

"""The NumPy backend: tangent's base library, loaded with ``import tangent``.

- ``declared``: the element-wise and linear functions, each derivative declared
  once and both rules derived from it.
- ``adjoints``: reverse-mode rules (``tangent.grads`` is this module).
- ``tangents``: forward-mode rules (``tangent.tangents`` is this module).
- ``helpers``: the longer formulas those rules call as ``tangent.<name>``.
- ``methods``: what ``x.sum(axis=0)``, ``x.T`` and the other array methods mean.
- ``non_differentiable``: NumPy functions whose results carry no derivative.
- ``autograd_wrappers``: which NumPy/SciPy function an ``autograd.numpy`` or
  ``autograd.scipy`` name stands for; ``autograd_rules`` and ``autograd_helpers``
  differentiate the other autograd primitives through autograd's own rules.

The generic runtime (``tangent.runtime``) is NumPy code already, so this
backend needs no helpers for its own value types.
"""

from tangent.backends import Backend, register

register(Backend(
    name='numpy',
    modules=('numpy', 'autograd'),
    rules=('tangent.backends.numpy.declared', 'tangent.backends.numpy.adjoints',
           'tangent.backends.numpy.tangents', 'tangent.backends.numpy.non_differentiable',
           'tangent.backends.numpy.autograd_rules'),
    rule_helpers=('tangent.backends.numpy.helpers', 'tangent.backends.numpy.autograd_helpers'),
    array_methods='tangent.backends.numpy.methods:ARRAY_METHODS',
    eager=True,
))

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
  differentiate the other autograd primitives through autograd's own rules. Those
  two load with a second descriptor, the first time a function is differentiated
  while autograd is imported: a program without autograd never needs them.

The generic runtime (``tangent.runtime``) is NumPy code already, so this
backend needs no helpers for its own value types.
"""

from tangent.backends import Backend, register

register(Backend(
    name='numpy',
    modules=('numpy', 'autograd'),
    rules=('tangent.backends.numpy.declared', 'tangent.backends.numpy.adjoints',
           'tangent.backends.numpy.tangents', 'tangent.backends.numpy.non_differentiable',
           'tangent.backends.numpy.shapes'),
    rule_helpers='tangent.backends.numpy.helpers',
    array_methods='tangent.backends.numpy.methods:ARRAY_METHODS',
    eager=True,
))

# Registered after the NumPy backend, which therefore stays the owner of autograd's
# names (they stand for NumPy's functions); this one only brings the rules of the
# calls that go through autograd's own derivatives.
register(Backend(
    name='autograd',
    modules=('autograd',),
    rules=('tangent.backends.numpy.autograd_rules',),
    rule_helpers='tangent.backends.numpy.autograd_helpers',
))

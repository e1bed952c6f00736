"""The JAX backend: loaded the first time a function being differentiated refers to
JAX (or once the program has imported it), never by ``import tangent``.

- ``helpers``: JAX versions of the generic runtime helpers (the runtime hands
  them JAX arrays and tracers), the helpers only the JAX rules call (as
  ``tangent_jax.<name>``), and ``jax_vjp``, the gradient of a
  ``@tangent.trace`` black box from JAX's own autodiff. Every helper is pure:
  it returns new arrays (``x.at[i].add(v)``), never writes into one, so that
  generated code runs inside ``jax.jit``.
- ``declared``: the element-wise and linear functions of ``jax.numpy``,
  ``jax.nn`` and ``jax.lax``, each derivative declared once.
- ``rules``: the other adjoints and tangents (reductions, linear algebra,
  shape, softmax), the rules of the helpers, and the functions without a
  derivative.
- ``methods``: what ``x.sum()``, ``x.T`` and the other methods of JAX arrays mean.
"""

from tangent.backends import Backend, register

register(Backend(
    name='jax',
    modules=('jax', 'jaxlib'),
    rules=('tangent.backends.jax.declared', 'tangent.backends.jax.rules'),
    tensor_helpers='tangent.backends.jax.helpers:HELPERS',
    traced_vjp='tangent.backends.jax.helpers:jax_vjp',
    array_methods='tangent.backends.jax.methods:ARRAY_METHODS',
    float_values='tangent.backends.jax.helpers:is_float_array',
    # NumPy would turn a JAX array into its own (and fail on a jit tracer).
    exclusive=True,
    # jax.numpy's Python source is JAX's internals, not code to differentiate.
    primitives=True,
))

"""The TensorFlow backend: loaded the first time a function being differentiated
refers to TensorFlow (or once the user has imported it), never by ``import tangent``.

- ``rules``: adjoints and tangents of TensorFlow ops, and its functions
  without a derivative.
- ``helpers``: TensorFlow versions of the generic runtime helpers, which the
  runtime hands tensors and variables to, the helpers only the TensorFlow rules
  call (as ``tangent_tf.<name>``), and ``tape_vjp``, the gradient of a
  ``@tangent.trace`` black box from TensorFlow's own tape.
"""

from tangent.backends import Backend, register

register(Backend(
    name='tensorflow',
    modules=('tensorflow', 'keras', 'tf_keras'),
    rules=('tangent.backends.tensorflow.rules',),
    tensor_helpers='tangent.backends.tensorflow.helpers:HELPERS',
    traced_vjp='tangent.backends.tensorflow.helpers:tape_vjp',
))

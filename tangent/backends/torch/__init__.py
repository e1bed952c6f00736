"""The PyTorch backend (the optional extra ``torch``): loaded the first time a
function being differentiated refers to PyTorch (or once the user has imported
it), never by ``import tangent``.

- ``declared``: the element-wise and linear functions of ``torch``,
  ``torch.nn.functional``, ``torch.special`` and the tensor methods, each
  declared once (both rules follow from the declaration).
- ``rules``: adjoints and tangents of the rest (reductions, linear algebra,
  shape and indexing, activations with a reduction, losses), of the helpers
  those rules call, and PyTorch's functions without a derivative.
- ``shapes``: tensors as the specialiser knows them (a version of a derivative per
  shape and dtype of its tensor arguments) and how PyTorch's reductions shape
  their results.
- ``helpers``: PyTorch versions of the generic runtime helpers (the runtime hands
  them tensors), the helpers only the PyTorch rules call (as
  ``tangent_torch.<name>``), and ``autograd_vjp`` for ``@tangent.trace``.

Generated code never uses autograd: the helpers and rules use plain tensor
operations, and every call of a derivative runs inside ``torch.no_grad()`` (the
descriptor's ``call_context``), so that tensors which require a gradient (an
``nn.Module``'s parameters) record no graph either.
"""

from tangent.backends import Backend, register

register(Backend(
    name='torch',
    modules=('torch',),
    rules=('tangent.backends.torch.declared', 'tangent.backends.torch.rules',
           'tangent.backends.torch.shapes'),
    tensor_helpers='tangent.backends.torch.helpers:HELPERS',
    traced_vjp='tangent.backends.torch.helpers:autograd_vjp',
    array_methods='tangent.backends.torch.rules:ARRAY_METHODS',
    call_context='tangent.backends.torch.helpers:derivative_call',
    instance_call='tangent.backends.torch.rules:module_forward',
    container_items='tangent.backends.torch.rules:module_container_items',
    parameters='tangent.backends.torch.rules:module_parameters',
    float_values='tangent.backends.torch.rules:is_float_tensor',
    exclusive=True,
))

"""The runtime: the helpers generated derivative code calls as ``tangent.<name>``.

Every helper here is referenced by name from generated source (the generated
module binds this package as ``tangent``), so the names and signatures are
public API, those Tangent 0.1.9 had with its signatures. The runtime imports
only NumPy and ``tangent.errors``: generated code runs with nothing else loaded.

Each helper tests the cheapest common case first (a plain float, or an ndarray
whose shape already matches) and returns early: they run inside the user's hot
loops. A backend adds the helpers its own rules call with ``provide``, and
hands its tensors to its own versions of these through ``tangent.runtime.dispatch``.
"""

from __future__ import annotations

import types

from tangent.runtime.tape import pop, pop_stack, push, push_stack, Stack
from tangent.runtime.checkpointing import (
    checkpoint, revolve, revolve_advances, revolve_after_first_sweep,
    revolve_first_sweep,
)
from tangent.runtime.containers import (
    add_at, add_grad, as_sequence, copy, copy_item, dict_keys, init_grad, ones_like,
    scatter_written, written_grad,
)
from tangent.runtime.sequences import (
    add_or_concat, concat_tangent, dict_get, mul_or_repeat, reconcat, reduced, reduced_from,
    repeat_tangent, rerepeat, restarred, sort_order, sorted_items, starred_list, starred_tuple,
    unconcat, unrepeat, unstarred, unzipped, unzipped_derivative, unzipped_tangent,
)
from tangent.runtime.objects import constant_object, object_parameters
from tangent.runtime.shapes import (
    array_size, astype, balanced_eq, shape_only, ShapeOnly, shapes_match, sign,
    unbroadcast, unreduce, unreduce_like,
)
from tangent.runtime.algebra import (
    array_tangent, broadcast_like, grad_det, grad_dot, grad_dot_right,
    grad_matmul_left, grad_matmul_right, grad_sum_sequence, inverse_permutation,
    power_slope, power_slope_exponent, safe_log, sum_tangents, unarray,
)
from tangent.runtime.checks import (
    check_scalar, check_seed, real_only, require_seed, returns_new_array, unaliased,
)
from tangent.runtime.dispatch import register_tensor_backend

# The helpers generated code calls; the rest are for tangent's own passes.
__all__ = [
    'add_at', 'add_grad', 'add_or_concat', 'array_size', 'array_tangent', 'as_sequence',
    'astype', 'balanced_eq', 'broadcast_like', 'check_scalar', 'check_seed', 'checkpoint',
    'concat_tangent', 'constant_object', 'copy', 'copy_item', 'dict_get', 'dict_keys',
    'grad_det', 'grad_dot', 'grad_dot_right', 'grad_matmul_left', 'grad_matmul_right',
    'grad_sum_sequence', 'init_grad', 'inverse_permutation', 'mul_or_repeat',
    'object_parameters', 'ones_like', 'pop', 'pop_stack', 'power_slope', 'power_slope_exponent',
    'push', 'push_stack', 'real_only', 'reconcat', 'reduced', 'reduced_from',
    'register_tensor_backend', 'repeat_tangent', 'require_seed', 'rerepeat', 'restarred',
    'revolve', 'revolve_advances', 'revolve_after_first_sweep', 'revolve_first_sweep',
    'safe_log', 'scatter_written', 'shape_only', 'ShapeOnly', 'shapes_match', 'sign',
    'sort_order', 'sorted_items', 'Stack', 'starred_list', 'starred_tuple', 'sum_tangents',
    'unaliased', 'unarray', 'unbroadcast', 'unconcat', 'unreduce', 'unreduce_like', 'unrepeat',
    'unstarred', 'unzipped', 'unzipped_derivative', 'unzipped_tangent', 'written_grad',
]


def provide(helpers: types.ModuleType) -> None:
    """Make the public helpers of a backend's module (its ``__all__``) callable as
    ``tangent.<name>`` from generated code and from that backend's rule templates."""
    namespace = globals()
    for name in helpers.__all__:
        existing = namespace.get(name)
        if existing is not None and existing is not getattr(helpers, name):
            raise ValueError(f'the runtime already has a helper named {name!r}')
        namespace[name] = getattr(helpers, name)
        if name not in __all__:
            __all__.append(name)

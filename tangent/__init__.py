"""Tangent: source-to-source automatic differentiation for Python and NumPy.

``tangent.grad(f)`` reads the source of ``f`` and writes a new Python
function that computes its derivative: code you can print, read, step
through with pdb and edit.
"""

# NumPy first, before any module of tangent: imported from deep inside tangent's
# own modules, the same import cost about 10 ms more CPU (benchmarks/startup.py)
# and some 1700 more page faults, against none when it comes first; tangent
# cannot work without NumPy anyway.
import numpy  # noqa: F401  isort: skip

from tangent.api.grad_util import INPUT_DERIVATIVE, autodiff, clear_cache, grad, jvp, vjp
from tangent.api.tracing import trace
from tangent.errors import ForwardNotImplementedError, ReverseNotImplementedError, TangentParseError

# The runtime helpers generated code calls as ``tangent.<name>``: public API.
from tangent.runtime import (  # noqa: F401
    add_at, add_grad, add_or_concat, array_size, array_tangent, as_sequence, astype,
    balanced_eq, broadcast_like, check_scalar, check_seed, checkpoint,
    concat_tangent, copy, copy_item, dict_keys, grad_det, grad_dot, grad_dot_right,
    grad_matmul_left, grad_matmul_right, grad_sum_sequence, init_grad,
    inverse_permutation, mul_or_repeat, ones_like, pop, pop_stack, power_slope,
    power_slope_exponent, push, push_stack, real_only, reconcat,
    register_tensor_backend, repeat_tangent, require_seed, rerepeat, restarred,
    revolve, revolve_advances, revolve_after_first_sweep, revolve_first_sweep,
    safe_log, scatter_written, shape_only, ShapeOnly, shapes_match, sign, Stack,
    starred_list, starred_tuple, sum_tangents, unaliased, unarray, unbroadcast,
    unconcat, unreduce, unreduce_like, unrepeat, unstarred, unzipped,
    unzipped_derivative, unzipped_tangent, written_grad,
)
from tangent.backends.numpy.helpers import (  # noqa: F401
    append_gradient, arange_gradient, arange_tangent, average_gradient,
    average_tangent, average_weights_gradient, average_weights_tangent, bessel_i1,
    broadcast_items, cholesky_gradient, cholesky_tangent_factor,
    clip_bound_gradient, clip_passes, compress_gradient, concatenate_gradient,
    convolution_gradient, cumprod_gradient, cumprod_tangent, cumulative_gradient,
    cumulative_tangent, delete_gradient, diag_gradient, diagonal_gradient,
    diff_gradient, digamma, dist_gradient, dist_tangent, ediff1d_gradient,
    ediff1d_tangent, eigh_gradient, eigh_tangent, eigvalsh_gradient,
    eigvalsh_tangent, einsum_gradient, einsum_tangent, extremum_gradient,
    extremum_share, extremum_tangent, fill_gradient, fill_tangent,
    finite_difference_gradient, finite_difference_spacing_gradient,
    finite_difference_tangent, geomspace_gradient, geomspace_tangent,
    inner_gradient_left, inner_gradient_right, interp_fp_gradient,
    interp_fp_tangent, interp_outside, interp_slope, inverse_moveaxis,
    joined_gradient, kron_gradient, linear_pad_mode, linspace_gradient,
    linspace_tangent, logspace_gradient, logspace_tangent, matrix_norm_direction,
    matrix_power_gradient, matrix_power_tangent, matrix_transpose, median_share,
    meshgrid_gradient, meshgrid_tangent, multi_dot_gradient, multi_dot_tangent,
    nan_count, nan_mask_gradient, negated_shift, norm_direction, outer_gradient,
    pad_gradient, pinv_gradient, pinv_tangent, polynomial_slope,
    polyval_coefficient_gradient, present_operands, prod_others,
    prod_others_tangent, prod_sequence_gradient, prod_sequence_tangent, qr_gradient,
    qr_tangent, quantile_gradient, quantile_q_gradient, quantile_tangent,
    reduced_axes, reduction_count, remainder_quotient, repeat_gradient,
    reverse_cumsum, rollaxis_gradient, sinc_derivative, slogdet_gradient,
    slogdet_tangent, solve_gradients, solve_tangent, sort_gradient, sort_tangent,
    split_gradient, stack_gradient, take_along_axis_gradient, take_gradient, tensordot_gradient,
    tile_gradient, trace_gradient, trapezoid_sample_gradient, trapezoid_unit_area,
    trapezoid_weights, unique_gradient, unique_tangent, variance_gradient,
    variance_tangent, vdot_gradient, vector_norm_direction, where_gradient,
)

__version__ = '0.2.0'


# Modules reachable as attributes of tangent without importing them first: the
# import paths kept from Tangent 0.1.9 (each the module of the new tree it names),
# and tangent.testing, which is for test suites and so loaded on first use.
_LAZY_MODULES = frozenset({'grads', 'tangents', 'utils', 'quoting', 'compile', 'annotations',
                           'grad_util', 'non_differentiable', 'testing'})
# Public names whose module loads on first use (``from tangent import hvp`` is
# one): a program that never uses them does not pay for importing them.
_LAZY_NAMES = {
    **{name: 'tangent.api.conveniences' for name in (
        'elementwise_grad', 'hessian', 'hvp', 'jacobian', 'value_and_grad')},
    **{name: 'tangent.api.surgery' for name in ('insert_grad_of', 'tangent')},
}


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        import importlib
        return importlib.import_module(f'tangent.{name}')
    if name in _LAZY_NAMES:
        import importlib
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES))

"""NumPy functions whose result carries no derivative: shapes, constructors,
integer and boolean results.

``np.full``, ``np.full_like``, ``np.arange``, ``np.linspace``, ``np.logspace``,
``np.geomspace``, ``np.meshgrid``, ``np.bincount``'s weights and
``np.unique``'s values depend on some arguments differentiably: they have
rules in ``adjoints`` and ``tangents`` instead.
"""

from __future__ import annotations

import sys

import numpy as np

from tangent.backends.numpy import helpers
from tangent.rules import policy
from tangent.rules.non_differentiable import (
    on_first_lookup,
    register_non_differentiable_functions,
)

register_non_differentiable_functions(
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty,
    np.zeros_like, np.ones_like, np.empty_like, np.eye, np.identity,
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater,
    np.greater_equal, np.logical_and, np.logical_or, np.logical_not,
    np.logical_xor, np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose,
    np.array_equal, np.any, np.all, np.count_nonzero, np.floor_divide,
    np.searchsorted, np.digitize, np.spacing,
    np.result_type, np.dtype, np.iinfo, np.finfo,
    # NumPy's integer and boolean scalar types: a cast to them is piecewise constant.
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.bool_,
)

# Helpers whose results are dtypes, masks, counts, modes or piecewise-constant
# weights: a derivative differentiated again reads them as constants.
register_non_differentiable_functions(
    helpers._real_dtype, helpers._carries_derivative, helpers.clip_passes,
    helpers.extremum_share, helpers.median_share, helpers.remainder_quotient,
    helpers.nan_count, helpers.interp_outside, helpers.linear_pad_mode,
    helpers.no_second_derivative, helpers._tensordot_gradient_subscripts,
    helpers._narrow_float_dtype, helpers.unless_still, helpers.cross_gradient_axes,
)
# It raises: it runs even where nothing reads its result.
policy.declare_impure(helpers.no_second_derivative)
policy.declare_impure(helpers.unless_still)


def _declare_random() -> None:
    """numpy.random costs a tenth of tangent's import; code calling np.random.* has
    imported it before tangent reads that code, so it is declared at the first look."""
    random = sys.modules.get('numpy.random')
    if random is None:
        on_first_lookup(_declare_random)
        return
    register_non_differentiable_functions(
        random.rand, random.randn, random.random, random.normal, random.uniform,
        random.randint, random.seed, random.default_rng)


on_first_lookup(_declare_random)

"""Functions whose result carries no derivative (layer L0).

Shapes, constructors, integer maths, comparisons, printing: a call to one of
these is evaluated in the primal code and contributes nothing to any
derivative, in every mode. Declared once here; zero tangents and adjoints
follow from the declaration.
"""

from __future__ import annotations

import builtins
import math
import operator
import sys
import threading
from typing import Any

import numpy as np

from tangent import errors, utils

_lock = threading.Lock()
_registered: set = set()
_generation = 0


def _key(fn: Any) -> Any:
    try:
        hash(fn)
        return fn
    except TypeError:
        return ('unhashable', id(fn))


def register_non_differentiable_functions(*fns: Any) -> None:
    """Declare that calls to ``fns`` have no derivative (their result is a constant)."""
    global _generation
    with _lock:
        _registered.update(_key(fn) for fn in fns)
        _generation += 1


def generation() -> int:
    """How many times functions were declared non-differentiable (a cache key part)."""
    return _generation


def is_non_differentiable(fn: Any) -> bool:
    """Whether ``fn`` was declared non-differentiable."""
    if not _random_declared and 'numpy.random' in sys.modules:
        _declare_random()
    return _key(fn) in _registered


# numpy.random costs a tenth of tangent's import; code calling np.random.* has
# imported it before tangent reads that code, so it is declared at the first look.
_random_declared = False


def _declare_random() -> None:
    global _random_declared
    random = sys.modules['numpy.random']
    register_non_differentiable_functions(
        random.rand, random.randn, random.random, random.normal, random.uniform,
        random.randint, random.seed, random.default_rng)
    _random_declared = True


register_non_differentiable_functions(
    # Python builtins and the standard library
    builtins.len, builtins.range, builtins.int, builtins.bool, builtins.str,
    builtins.isinstance, builtins.type, builtins.print, builtins.enumerate,
    builtins.hasattr, builtins.id, builtins.round, builtins.repr,
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    math.comb, math.factorial, math.gcd, math.isqrt, math.lcm, math.perm, math.isclose,
    math.ulp,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains,
    operator.floordiv,
    # NumPy: shapes, constructors, integer and boolean results
    # (np.full, np.full_like, np.arange, np.linspace, np.logspace, np.geomspace,
    # np.meshgrid, np.bincount's weights and np.unique's values depend on some arguments
    # differentiably: see grads.)
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
    # The runtime: zeros, ones, checks and the tape itself
    utils.Stack, utils.init_grad, utils.ones_like, utils.check_seed, utils.require_seed,
    utils.check_scalar, utils.shapes_match, utils.array_size, utils.balanced_eq,
    utils.as_sequence, utils.inverse_permutation, utils.shape_only, utils.dict_keys, utils.sign,
    # Checks generated code runs: a path returning None, a write through an alias
    errors.returned_none, errors.check_not_aliased, errors.check_not_view,
    # The checkpointing schedule
    utils.revolve, utils.revolve_advances, utils.revolve_first_sweep,
    utils.revolve_after_first_sweep,
)

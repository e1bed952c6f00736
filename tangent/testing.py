"""Checking derivatives against finite differences, for people who write rules.

``check_grads(f, *args)`` differentiates ``f`` with tangent in every mode it
is asked for and compares each derivative, at ``args``, with central finite
differences of ``f`` itself. Registering an adjoint or a tangent rule with a
wrong formula, a missing ``unbroadcast`` or a wrong shape makes it fail with a
message naming the mode, the argument and the size of the error.

Only NumPy and the standard library are imported besides tangent's own
modules, and ``import tangent`` does not import this module: it is loaded the
first time ``tangent.testing`` is used.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from tangent.api.grad_util import autodiff

MODES = ('reverse', 'forward')
# Reverse mode is checked in both motions: they share the rules but not the
# code around them (split motion carries the primal values on a tape).
REVERSE_MOTIONS = ('joint', 'split')
# The random seeds and directions are drawn from this seed, so that a check
# that passes once passes every time.
RANDOM_SEED = 0

Path = tuple  # keys and indices leading from an argument to one of its leaves


# Nested values: the float leaves of floats, arrays, lists, tuples and dicts --------------

def _is_float_leaf(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (float, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind == 'f'


def _is_container(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict))


def _children(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    return enumerate(value)


def _rebuilt(container: Any, items: dict) -> Any:
    """A container of the same kind as ``container`` holding ``items`` (key -> value)."""
    if isinstance(container, dict):
        return type(container)(items)
    values = [items[index] for index in range(len(container))]
    if isinstance(container, tuple) and hasattr(container, '_fields'):
        return type(container)(*values)  # a namedtuple takes its fields one by one
    return type(container)(values)


def _map_leaves(value: Any, function: Callable[[Any], Any]) -> Any:
    """``value`` with every leaf replaced by ``function(leaf)``; containers rebuilt."""
    if _is_container(value):
        return _rebuilt(value, {key: _map_leaves(item, function)
                                for key, item in _children(value)})
    return function(value)


def _float_leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, leaf) for each float leaf of ``value``, in a fixed order."""
    if _is_container(value):
        for key, item in _children(value):
            yield from _float_leaves(item, path + (key,))
    elif _is_float_leaf(value):
        yield path, value


def _leaf_at(value: Any, path: Path) -> Any:
    for key in path:
        value = value[key]
    return value


def _with_leaf(value: Any, path: Path, leaf: Any) -> Any:
    """A copy of the structure ``value`` whose leaf at ``path`` is ``leaf``."""
    if not path:
        return leaf
    items = dict(_children(value))
    items[path[0]] = _with_leaf(items[path[0]], path[1:], leaf)
    return _rebuilt(value, items)


def _fresh(value: Any) -> Any:
    """A copy whose arrays and containers are new, so a call cannot alter the originals."""
    return _map_leaves(value, lambda leaf: leaf.copy() if isinstance(leaf, np.ndarray) else leaf)


def _in_float64(leaf: Any) -> Any:
    # Finite differences with a step of 1e-6 need double precision.
    if isinstance(leaf, np.ndarray) and leaf.dtype.kind == 'f':
        return leaf.astype(np.float64)
    if isinstance(leaf, np.floating):
        return np.float64(leaf)
    return leaf


def _random_like(value: Any, rng: np.random.Generator) -> Any:
    """Random normal numbers in place of each float leaf, zeros in place of other numbers."""
    def draw(leaf):
        if _is_float_leaf(leaf):
            if isinstance(leaf, np.ndarray):
                return np.asarray(rng.standard_normal(leaf.shape))
            return float(rng.standard_normal())
        return _zero_like(leaf)
    return _map_leaves(value, draw)


def _zero_like(value: Any) -> Any:
    """Zeros in place of each number (the tangent of an argument that is not moved)."""
    def zero(leaf):
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in 'biuf':
            return np.zeros(leaf.shape)
        if isinstance(leaf, (int, float, np.number)) and not isinstance(leaf, bool):
            return 0.0
        return leaf
    return _map_leaves(value, zero)


def _moved(value: Any, direction: Any, step: float) -> Any:
    """``value + step * direction``, leaf by leaf over the float leaves."""
    for path, leaf in _float_leaves(value):
        value = _with_leaf(value, path, leaf + step * _leaf_at(direction, path))
    return value


def _inner_product(left: Any, right: Any) -> float:
    """The sum over the float leaves of ``left`` of ``left * right``, leaf by leaf."""
    return float(sum(np.sum(leaf * np.asarray(_leaf_at(right, path), dtype=float))
                     for path, leaf in _float_leaves(left)))


# Finite differences ------------------------------------------------------------------------

def _numerical_gradient(scalar_function: Callable, args: list, index: int,
                        eps: float) -> dict[Path, Any]:
    """Central differences of ``scalar_function(*args)`` in each float leaf of ``args[index]``,
    by path."""
    def at(path, leaf):
        moved = list(args)
        moved[index] = _with_leaf(args[index], path, leaf)
        return scalar_function(*moved)

    gradient = {}
    for path, leaf in _float_leaves(args[index]):
        if isinstance(leaf, np.ndarray):
            derivative = np.zeros(leaf.shape)
            for position in np.ndindex(leaf.shape):
                step = np.zeros(leaf.shape)
                step[position] = eps
                derivative[position] = (at(path, leaf + step) - at(path, leaf - step)) / (2 * eps)
        else:
            derivative = (at(path, leaf + eps) - at(path, leaf - eps)) / (2 * eps)
        gradient[path] = derivative
    return gradient


def _numerical_directional(function: Callable, args: list, index: int, direction: Any,
                           output: Any, eps: float) -> dict[Path, Any]:
    """Central differences of ``function(*args)`` along ``direction`` in ``args[index]``,
    by path of each float leaf of ``output``."""
    def at(step):
        moved = list(args)
        moved[index] = _moved(args[index], direction, step)
        return function(*moved)

    high, low = at(eps), at(-eps)
    return {path: (np.asarray(_leaf_at(high, path), dtype=float)
                   - np.asarray(_leaf_at(low, path), dtype=float)) / (2 * eps)
            for path, _ in _float_leaves(output)}


# Comparison and reporting --------------------------------------------------------------------

def _describe(root: str, path: Path) -> str:
    return root + ''.join(f'[{key!r}]' for key in path)


def _mismatch(actual: Any, expected: Any, where: str, rtol: float, atol: float) -> str | None:
    """Why ``actual`` (from tangent) is not ``expected`` (finite differences), or None.

    ``where`` names the leaf of the argument (a gradient) or of the result (a
    directional derivative) both are derivatives of, whose shape they must have.
    """
    if actual is None:
        return f'{where}: tangent gave None'
    try:
        actual_array = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return f'{where}: tangent gave a {type(actual).__name__}, not a float or float array'
    expected_array = np.asarray(expected, dtype=float)
    if actual_array.shape != expected_array.shape:
        return (f'{where}: tangent gave shape {actual_array.shape}, where {where} has shape '
                f'{expected_array.shape}')
    error = np.abs(actual_array - expected_array)
    allowed = atol + rtol * np.abs(expected_array)
    # NaN in either fails the comparison, and is reported as the worst element.
    bad = ~(error <= allowed)
    if not bad.any():
        return None
    with np.errstate(divide='ignore', invalid='ignore'):  # atol=0 at an exact zero
        excess = np.where(np.isnan(error), np.inf, error / allowed)
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    position = f'[{", ".join(map(str, worst))}]' if worst else ''
    return (f'{where}{position}: tangent gives {actual_array[worst]:.8g}, finite differences '
            f'give {expected_array[worst]:.8g}; max abs error {np.max(error):.3g} '
            f'({int(bad.sum())} of {bad.size} elements outside atol={atol:g} + '
            f'rtol={rtol:g} * |finite difference|)')


def _defaults_after(function: Callable, count: int) -> list:
    """The defaults of ``function``'s positional parameters after its first ``count``
    (none when it takes ``*args``, or when one of them has no default)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return []
    rest = [p for p in parameters[count:] if p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if any(p.default is inspect.Parameter.empty for p in rest):
        return []
    return [_map_leaves(p.default, _in_float64) for p in rest]


def _argument_names(function: Callable, count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for index in range(count):
        if index < len(parameters) and parameters[index].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            names.append(parameters[index].name)
        else:
            names.append(f'args[{index}]')
    return names


# The checks --------------------------------------------------------------------------------

class _Check:
    """One call of check_grads: the tolerances, the random draws, the failures found."""

    def __init__(self, names: list[str], eps: float, rtol: float, atol: float):
        self.names = names
        self.eps, self.rtol, self.atol = eps, rtol, atol
        self.rng = np.random.default_rng(RANDOM_SEED)
        self.failures: list[str] = []
        self.seeded_failure = False  # whether a reverse-mode check failed

    def report(self, label: str, index: int, reasons: list[str], detail: str = '') -> None:
        if reasons:
            self.failures.append(f'{label}, argument {index} ({self.names[index]}){detail}: '
                                 + '; '.join(reasons))

    def reverse(self, function: Callable, args: list, wrt: tuple[int, ...], label: str) -> None:
        """Vector-Jacobian products against finite differences of the projected output:
        for a scalar result with a random seed, the gradient scaled."""
        seed = _random_like(function(*_fresh(args)), self.rng)

        def projected(*point):
            return _inner_product(seed, function(*_fresh(point)))

        expected = {index: _numerical_gradient(projected, args, index, self.eps)
                    for index in wrt}
        for motion in REVERSE_MOTIONS:
            derivative = autodiff(function, wrt=wrt, mode='reverse', motion=motion,
                                  check_dims=False)
            if motion == 'joint':
                gradients = derivative(*_fresh(args), _fresh(seed))
            else:
                gradients = derivative(*_fresh(args), init_grad=_fresh(seed))
            if len(wrt) == 1:
                gradients = (gradients,)
            elif not isinstance(gradients, tuple) or len(gradients) != len(wrt):
                self.failures.append(f'{label}, {motion} motion: tangent returned a '
                                     f'{type(gradients).__name__}, not a tuple of '
                                     f'{len(wrt)} gradients')
                continue
            for index, gradient in zip(wrt, gradients):
                reasons = self._leaf_mismatches(gradient, expected[index], self.names[index])
                self.report(f'{label}, {motion} motion', index, reasons)
                self.seeded_failure = self.seeded_failure or bool(reasons)

    def forward(self, function: Callable, args: list, wrt: tuple[int, ...],
                label: str) -> None:
        """Jacobian-vector products along a random direction in one argument at a time
        (the others' tangents zero), against finite differences along that direction."""
        output = function(*_fresh(args))
        derivative = autodiff(function, wrt=wrt, mode='forward', check_dims=False)
        for index in wrt:
            direction = _random_like(args[index], self.rng)
            tangents = [direction if other == index else _zero_like(args[other])
                        for other in wrt]
            actual = derivative(*_fresh(args), *_fresh(tangents))
            expected = _numerical_directional(lambda *point: function(*_fresh(point)),
                                              args, index, direction, output, self.eps)
            self.report(label, index, self._leaf_mismatches(actual, expected, 'result'),
                        detail=', along a random direction')

    def _leaf_mismatches(self, actual: Any, expected: dict[Path, Any], root: str) -> list:
        reasons = []
        for path, wanted in expected.items():
            where = _describe(root, path)
            try:
                got = _leaf_at(actual, path)
            except (KeyError, IndexError, TypeError):
                reasons.append(f'{where}: missing from what tangent returned (a '
                               f'{type(actual).__name__})')
                continue
            reason = _mismatch(got, wanted, where, self.rtol, self.atol)
            if reason:
                reasons.append(reason)
        return reasons


def check_grads(f: Callable, *args: Any, modes: Sequence[str] = MODES,
                wrt: Sequence[int] | int | None = None, order: int = 1,
                eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Check tangent's derivatives of ``f`` at ``args`` against finite differences.

    Reverse mode is checked in joint and split motion, seeded with a random
    vector shaped like the result (for a scalar result, a random multiple of
    the gradient), against central differences of the result projected on
    that vector. Forward mode is checked along a random direction in each
    argument against central differences of ``f`` along it. With
    ``order=2``, every composition of two of ``modes`` is checked as well
    (forward over reverse is the Hessian-vector product), each against
    central differences of the first-order derivative tangent writes. The
    random numbers come from a fixed seed, so the outcome does not vary.

    Args:
      f: the function to check, as it would be passed to ``tangent.autodiff``.
      *args: the point to check at: floats, NumPy arrays, and lists, tuples
        and dicts of them, nested. Every float leaf of a ``wrt`` argument is
        perturbed; integers and other values are held fixed. Float arrays
        are converted to float64 first, which finite differences need.
        Positional parameters of ``f`` after them are passed their defaults,
        so that the seeds and tangents passed after the arguments never take
        their place.
      modes: which of 'reverse' and 'forward' to check.
      wrt: the indices of the arguments to differentiate with respect to;
        by default every argument that holds a float.
      order: 1, or 2 to also check the second-order compositions.
      eps: the finite-difference step.
      rtol, atol: a derivative passes where
        ``|tangent - finite difference| <= atol + rtol * |finite difference|``.

    Returns:
      None, when every derivative agrees with finite differences.

    Raises:
      AssertionError: naming, for each disagreement, the mode, the argument,
        where in it the largest error is, and the size of the error.
      ValueError: for a mode or order that does not exist, or a ``wrt``
        argument without a float to perturb. Errors of tangent itself (a
        call with no rule for a mode, an unsupported construct) propagate
        as they are.
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise ValueError(f"modes must be a non-empty sequence of 'reverse' and 'forward', "
                         f'got {modes!r}')
    if order not in (1, 2):
        raise ValueError(f'order must be 1 or 2, got {order!r}')
    args = [_map_leaves(arg, _in_float64) for arg in args]
    names = _argument_names(f, len(args))
    if wrt is None:
        wrt = tuple(index for index, arg in enumerate(args) if any(_float_leaves(arg)))
        if not wrt:
            raise ValueError('check_grads needs an argument holding a float to perturb.')
    else:
        wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
        for index in wrt:
            if not 0 <= index < len(args):
                raise ValueError(f'wrt index {index} is out of range for {len(args)} '
                                 f'argument(s).')
            if not any(_float_leaves(args[index])):
                raise ValueError(f'argument {index} ({names[index]}) holds no float to '
                                 f'perturb: {args[index]!r}')
    # A seed or tangents passed by position after f's arguments would otherwise take
    # the place of a parameter left to its default (f(x, scale=2.0): df(x, seed)).
    args += _defaults_after(f, len(args))
    names = _argument_names(f, len(args))

    check = _Check(names, eps, rtol, atol)
    for mode in modes:
        if mode == 'reverse':
            check.reverse(f, args, wrt, 'reverse mode')
        else:
            check.forward(f, args, wrt, 'forward mode')
    if order == 2:
        for inner in modes:
            # The inner derivative, a function tangent wrote, is differentiated again with
            # respect to the same arguments; its seed or tangents are held fixed.
            inner_derivative = autodiff(f, wrt=wrt, mode=inner, check_dims=False)
            if inner == 'reverse':
                held = [_random_like(f(*_fresh(args)), check.rng)]
            else:
                held = [_random_like(args[index], check.rng) for index in wrt]
            for outer in modes:
                label = f'{outer} over {inner}'
                if outer == 'forward' and inner == 'reverse':
                    label += ' (Hessian-vector product)'
                if outer == 'reverse':
                    check.reverse(inner_derivative, args + held, wrt, label)
                else:
                    check.forward(inner_derivative, args + held, wrt, label)
    if check.failures:
        raise AssertionError(
            f'check_grads({getattr(f, "__name__", f)!s}): {len(check.failures)} derivative(s) '
            f'disagree with central finite differences (eps={eps:g})'
            # Reverse-mode numbers are not the plain gradient, so say what they are.
            + (', reverse mode seeded with a fixed random vector shaped like the result'
               if check.seeded_failure else '')
            + ':\n  ' + '\n  '.join(check.failures))

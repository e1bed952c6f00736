"""The helpers the ``scipy.integrate`` rules call as ``tangent.<name>``.

``odeint(func, y0, t, args)`` is differentiated by solving more ODEs with
``odeint`` itself, never by differentiating the solver's steps:

- reverse mode (``odeint_vjp``) integrates the adjoint system backwards from
  the last output time to the first, restarting the state at each output and
  adding that output's incoming gradient to the adjoint there;
- forward mode (``odeint_jvp``) integrates the state together with its
  sensitivity in one direction of ``y0`` and ``args``.

The products with ``func``'s Jacobians, ``a^T df/dy``, ``a^T df/dargs`` and
``df/dy s + df/dargs dargs``, come from tangent differentiating the user's
``func`` (``tangent.vjp`` / ``tangent.jvp``, cached by tangent after the first
call). The inner solves use tight tolerances unless the call gave its own.

Notation: ``n`` is the size of the state, ``ys`` the forward solution at the
output times (``len(t)`` by ``n``), ``G`` the incoming gradient of ``ys``.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from tangent import backends, runtime

__all__ = ['odeint_options', 'odeint_vjp', 'odeint_jvp', 'odeint_func_gradient',
           'odeint_higher_order']

# The inner solves' tolerance when the call gives none: odeint's own default
# (about 1.5e-8) would make the derivative much less accurate than the solution.
INNER_TOLERANCE = 1e-10

# Keyword arguments handed on to the inner solves as they are: step-size and
# method controls that keep their meaning for the augmented systems.
_PASSED_ON = ('tcrit', 'hmax', 'hmin', 'ixpr', 'mxstep', 'mxhnil', 'mxordn', 'mxords',
              'printmessg')


class OdeintOptions:
    """What a derivative of one ``odeint`` call needs from its keyword arguments."""

    def __init__(self, tfirst: bool, solver: dict[str, Any]):
        self.tfirst = tfirst
        self.solver = solver


def odeint_options(Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None, rtol=None,
                   atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
                   mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False) -> OdeintOptions:
    """The keyword arguments of an ``odeint`` call, checked for its derivative.

    ``Dfun`` and the band ``ml``/``mu`` describe the Jacobian of the user's
    system, not of the larger systems the derivative solves, so they are
    refused rather than misapplied (``col_deriv`` only qualifies ``Dfun``);
    ``full_output`` makes the result a tuple. ``h0``, the first step of the
    primal solve, is not passed on.
    """
    if Dfun is not None:
        raise NotImplementedError(
            'The derivative of scipy.integrate.odeint does not support Dfun: the '
            'derivative solves larger ODE systems whose Jacobian Dfun is not. Call odeint '
            'without Dfun (the solver then estimates the Jacobian itself).')
    if full_output:
        raise NotImplementedError(
            'The derivative of scipy.integrate.odeint does not support full_output=True '
            '(the result is then a tuple with a dict of solver statistics). Call odeint '
            'without full_output to differentiate it.')
    if ml is not None or mu is not None:
        raise NotImplementedError(
            'The derivative of scipy.integrate.odeint does not support ml/mu: the banded '
            "Jacobian they describe is the user's system's, not that of the larger "
            'systems the derivative solves. Call odeint without ml and mu.')
    solver = {'rtol': _tolerance(rtol), 'atol': _tolerance(atol)}
    given = dict(tcrit=tcrit, hmax=hmax, hmin=hmin, ixpr=ixpr, mxstep=mxstep, mxhnil=mxhnil,
                 mxordn=mxordn, mxords=mxords, printmessg=printmessg)
    solver.update((name, given[name]) for name in _PASSED_ON)
    return OdeintOptions(bool(tfirst), solver)


def _tolerance(given: Any) -> float:
    """One scalar tolerance for the augmented systems: the tightest one given
    (a per-component tolerance has the user's state's length, not theirs)."""
    if given is None:
        return INNER_TOLERANCE
    return float(np.min(given))


class _System:
    """The user's ``func`` with its extra arguments split into the ones that carry
    a derivative and the others (strings, flags, functions), which are passed as
    they are. An argument carries a derivative when it is a real number or a
    numeric array, or a list, tuple or dict (nested) holding some: its leaves. The
    leaves of all of them, flattened, are one vector beside the ODE's state; tangent
    differentiates ``func`` with respect to each such argument as a whole, giving
    a gradient (or tangent) of the argument's structure."""

    def __init__(self, func: Callable, y0: Any, t: Any, args: Any, options: OdeintOptions):
        self.func = func
        self.tfirst = options.tfirst
        self.solver = options.solver
        self.args = tuple(args)  # odeint itself insists on a tuple
        leaves = [_numeric_leaves(arg) for arg in self.args]
        self.active = [i for i, paths in enumerate(leaves) if paths]
        self.leaves = [(i, path, np.shape(_at(self.args[i], path)))
                       for i in self.active for path in leaves[i]]
        self.sizes = [int(np.prod(shape, dtype=int)) for _, _, shape in self.leaves]
        self.y0 = np.asarray(y0, dtype=np.float64).ravel()
        self.n = self.y0.size
        self.t = np.asarray(t, dtype=np.float64).ravel()
        state_position = 1 if self.tfirst else 0
        self.wrt = (state_position,) + tuple(2 + i for i in self.active)
        self._check_positional(len(self.args))
        self.output_shape = np.shape(self.func(*self.arguments(self.y0, self.t[0])))
        if int(np.prod(self.output_shape, dtype=int)) != self.n:
            raise ValueError(
                f'scipy.integrate.odeint: func returned {self.output_shape} values for a '
                f'state of {self.n}; the derivative needs one value per state component.')

    def _check_positional(self, count: int) -> None:
        code = getattr(self.func, '__code__', None)
        if code is not None and code.co_flags & 0x04 and count:  # CO_VARARGS
            raise NotImplementedError(
                f'The derivative of scipy.integrate.odeint needs the extra arguments of '
                f'{self.func.__name__} as named parameters (def f(y, t, a, b)), not *args: '
                f'tangent differentiates func with respect to each by position.')

    def arguments(self, y: np.ndarray, s: float) -> tuple:
        return ((s, y) if self.tfirst else (y, s)) + tuple(self.args)

    def rate(self, y: np.ndarray, s: float) -> np.ndarray:
        """``func`` at ``(y, s)``, as a flat float vector."""
        return np.asarray(self.func(*self.arguments(y, s)), dtype=np.float64).ravel()

    def flatten(self, values: tuple) -> np.ndarray:
        """Values shaped like the active arguments (gradients or tangents, a zero
        leaf or branch as None or 0.0), as one vector of their leaves."""
        by_argument = dict(zip(self.active, values))
        pieces = [np.broadcast_to(_zero_or(_at(by_argument[i], path)), shape).ravel()
                  for i, path, shape in self.leaves]
        return np.concatenate(pieces) if pieces else np.zeros(0)

    def unflatten(self, vector: np.ndarray) -> tuple:
        """Values shaped like each of ``args`` (a gradient of each, or a tangent of
        each in the active ones), from the vector of the active ones' leaves; the
        other arguments and leaves get tangent's zero (or None)."""
        found: dict[int, dict] = {i: {} for i in self.active}
        offset = 0
        for (i, path, shape), size in zip(self.leaves, self.sizes):
            found[i][path] = vector[offset:offset + size].reshape(shape)
            offset += size
        return tuple(_replaced_leaves(arg, found.get(i, {})) for i, arg in enumerate(self.args))

    def directions(self, dargs: Any) -> list:
        """The tangent of each active argument, shaped like it, from ``dargs``, the
        tangent of ``args``: zero as a whole, or one per argument, each zero (None,
        0.0) as a whole or in some of its leaves."""
        given = [None if _is_zero(dargs) else dargs[i] for i in self.active]
        tangents = self.unflatten(self.flatten(tuple(given)))
        return [tangents[i] for i in self.active]

    def solve(self, rhs: Callable, state: np.ndarray, times: np.ndarray) -> np.ndarray:
        """``odeint`` of an augmented system, in the direction of the primal solve."""
        return _solved(rhs, state, times, self.solver)

    def solve_back(self, rhs: Callable, state: np.ndarray, start: float,
                   end: float) -> np.ndarray:
        """The state at ``end``, integrating against the primal direction from
        ``start``. ``odeint`` stops short of a ``tcrit`` point behind it, so the
        interval is cut at the critical points inside it instead, and each piece
        solved afresh: a restart at a discontinuity is what ``tcrit`` asks for."""
        solver = {key: value for key, value in self.solver.items() if key != 'tcrit'}
        tcrit = self.solver.get('tcrit')
        critical = np.ravel([] if tcrit is None else tcrit)
        inside = critical[(critical - start) * (critical - end) < 0]
        cuts = [start, *sorted(inside, key=lambda point: abs(point - start)), end]
        for piece_start, piece_end in zip(cuts[:-1], cuts[1:]):
            state = _solved(rhs, state, [piece_start, piece_end], solver)[-1]
        return state


def _solved(rhs: Callable, state: np.ndarray, times: Any, solver: dict) -> np.ndarray:
    """``odeint``'s solution, or an error where it gave up: it then only warns and
    returns what it had, which would make a wrong derivative."""
    from scipy import integrate  # loaded with the backend, never by import tangent
    values, info = integrate.odeint(rhs, state, times, full_output=True, **solver)
    if info['message'] != 'Integration successful.':
        raise RuntimeError(
            f"The derivative of scipy.integrate.odeint could not solve its adjoint or "
            f"sensitivity ODE: odeint says {info['message']!r}. Loosen rtol/atol or raise "
            f"mxstep in the odeint call; they apply to that solve too.")
    return values


def _numeric_leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """The paths (keys and indices) to the real numbers and numeric arrays in
    ``value``, which may be one itself (the path ``()``) or a nested list, tuple or
    dict; other leaves (strings, flags, functions) carry no derivative."""
    if isinstance(value, (bool, np.bool_)):
        return []
    if isinstance(value, numbers.Real) or (isinstance(value, (np.ndarray, np.generic))
                                           and value.dtype.kind in 'iuf'):
        return [path]
    if isinstance(value, (complex, np.complexfloating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == 'c'):
        raise NotImplementedError('The derivative of scipy.integrate.odeint covers real '
                                  'values only; args holds a complex one.')
    if isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [leaf for key, item in items for leaf in _numeric_leaves(item, path + (key,))]
    return []


def _at(value: Any, path: tuple) -> Any:
    """The item of the nested ``value`` at ``path``; None where a gradient or tangent
    is zero as a whole (None or a number) above it."""
    for key in path:
        if value is None or isinstance(value, numbers.Number):
            return None
        value = value[key]
    return value


def _replaced_leaves(value: Any, leaves: dict, path: tuple = ()) -> Any:
    """``value``'s structure holding ``leaves[path]`` (as ``_like`` the leaf) at each
    path given, and tangent's zero gradient of the others."""
    if path in leaves:
        return _like(leaves[path], value)
    if isinstance(value, dict):
        return {key: _replaced_leaves(item, leaves, path + (key,))
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_replaced_leaves(item, leaves, path + (index,))
                 for index, item in enumerate(value)]
        if isinstance(value, list):
            return items
        return type(value)(*items) if hasattr(value, '_fields') else type(value)(items)
    return runtime.init_grad(value)


def _like(gradient: np.ndarray, value: Any) -> Any:
    """``gradient`` as a Python float for a scalar value, else an array in the
    value's floating dtype (float64 for integers)."""
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(gradient)
    dtype = np.asarray(value).dtype
    return gradient.astype(dtype if dtype.kind == 'f' else np.float64)


def odeint_vjp(g: Any, ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any,
               options: OdeintOptions) -> tuple:
    """The gradients of ``y0``, ``t`` and ``args`` given ``g``, that of ``ys``.

    Between consecutive output times the system ``[y, a, b]`` is integrated
    backwards, with ``y' = f``, ``a' = -a^T df/dy`` and ``b' = -a^T df/dargs``;
    ``y`` restarts at the output ``ys[i]`` and ``a`` gains ``G[i]`` there. At
    ``t[0]``, ``a`` is the gradient of ``y0`` and ``b`` that of ``args``. An output
    time moves only its own output, along ``f``: its gradient is ``G[i] . f_i``;
    ``t[0]`` also shifts the whole trajectory, by ``-f_0`` per unit, seen by every
    later output: hence its extra ``-(a - G[0]) . f_0``.
    """
    system = _System(func, y0, t, args, options)
    vjp = backends.derivative_of(system.func, system.wrt, 'reverse')
    n, times = system.n, system.t
    outputs = np.asarray(ys, dtype=np.float64).reshape(len(times), n)
    incoming = np.broadcast_to(np.asarray(g, dtype=np.float64), outputs.shape)

    def backward(state: np.ndarray, s: float) -> np.ndarray:
        y, a = state[:n], state[n:2 * n]
        *gradients, rate = vjp(*system.arguments(y, s), a.reshape(system.output_shape))
        return np.concatenate([np.asarray(rate, dtype=np.float64).ravel(),
                               -np.asarray(gradients[0], dtype=np.float64).ravel(),
                               -system.flatten(tuple(gradients[1:]))])

    time_gradient = np.array([incoming[i] @ system.rate(outputs[i], times[i])
                              for i in range(len(times))])
    adjoint = incoming[-1].copy()
    args_gradient = np.zeros(sum(system.sizes))
    for i in range(len(times) - 1, 0, -1):
        if times[i] != times[i - 1]:
            state = np.concatenate([outputs[i], adjoint, args_gradient])
            state = system.solve_back(backward, state, times[i], times[i - 1])
            adjoint, args_gradient = state[n:2 * n], state[2 * n:]
        adjoint = adjoint + incoming[i - 1]
    time_gradient[0] -= adjoint @ system.rate(system.y0, times[0])
    return (_like(adjoint.reshape(np.shape(y0)), y0),
            _like(time_gradient.reshape(np.shape(t)), t),
            system.unflatten(args_gradient))


def odeint_jvp(ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any, dy0: Any, dt: Any,
               dargs: Any, options: OdeintOptions) -> np.ndarray:
    """The tangent of ``ys`` given those of ``y0``, ``t`` and ``args``.

    The sensitivity ``s = dy/d(y0, args)`` in the given direction solves
    ``s' = df/dy s + df/dargs dargs`` beside ``y``. Moving ``t[0]`` by ``dt0``
    starts the trajectory later, so ``s`` starts at ``dy0 - f_0 dt0``; moving an
    output time moves its output along ``f``: ``dys[i] = s(t_i) + f_i dt_i``.
    """
    system = _System(func, y0, t, args, options)
    jvp = backends.derivative_of(system.func, system.wrt, 'forward')
    n, times = system.n, system.t
    outputs = np.asarray(ys, dtype=np.float64).reshape(len(times), n)
    y0_tangent = np.broadcast_to(_zero_or(dy0), (n,))
    t_tangent = np.broadcast_to(_zero_or(dt), times.shape)
    args_direction = system.directions(dargs)

    def forward(state: np.ndarray, s: float) -> np.ndarray:
        y, sensitivity = state[:n], state[n:]
        change, rate = jvp(*system.arguments(y, s), sensitivity.reshape(np.shape(y)),
                           *args_direction)
        return np.concatenate([np.asarray(rate, dtype=np.float64).ravel(),
                               np.broadcast_to(np.asarray(change, np.float64), (n,))])

    start = y0_tangent - system.rate(system.y0, times[0]) * t_tangent[0]
    sensitivity = system.solve(forward, np.concatenate([system.y0, start]), times)[:, n:]
    rates = np.array([system.rate(outputs[i], times[i]) for i in range(len(times))])
    tangent_ys = sensitivity + rates * t_tangent[:, None]
    tangent_ys[0] = y0_tangent
    return tangent_ys.reshape(np.shape(ys))


def _zero_or(value: Any) -> np.ndarray:
    """A tangent as a float array, ``None`` (no tangent) as zero."""
    return np.asarray(0.0 if value is None else value, dtype=np.float64)


def _is_zero(value: Any) -> bool:
    """The zero tangent tangent substitutes for an argument without one (``0.0``)."""
    return value is None or (isinstance(value, (int, float)) and value == 0)


def odeint_func_gradient(func: Callable) -> None:
    """Called only where tangent finds ``func`` itself carrying a derivative (it
    was computed from a variable being differentiated): its gradient is not
    taken, so rather than lose it, refuse."""
    name = getattr(func, '__name__', repr(func))
    raise NotImplementedError(
        f'scipy.integrate.odeint is differentiated with respect to y0, t and args only, '
        f'and func ({name}) depends on a variable being differentiated, so the derivative '
        f'through it would be lost. Make such variables parameters of func and pass them '
        f'with args=(...).')


def odeint_higher_order(*_: Any) -> None:
    """Raised where a derivative of an ``odeint`` derivative is asked for."""
    raise NotImplementedError(
        'Second-order derivatives through scipy.integrate.odeint (a derivative of its '
        'adjoint or sensitivity solve, as in a Hessian-vector product) are not '
        'implemented; differentiate odeint once only.')

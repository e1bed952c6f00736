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

Second order. Write ``x = (y0, t, p)`` for what ``odeint`` is differentiated
in (``p`` the numbers in ``args``), ``Y(x)`` for its outputs, ``J(x; v) = DY v``
for ``odeint_jvp`` and ``V(x; g) = DY^T g`` for ``odeint_vjp``. Both are linear
in ``v`` and ``g``, and the second derivative of ``Y`` is symmetric, so each of
the four compositions needs, besides ``J`` and ``V`` themselves, one of

- ``K(x; v, w) = grad_x <w, J(x; v)>``, shaped like ``x``, and
- ``L(x; v, dx) = D_x J(x; v) dx``, shaped like ``Y`` (``<K(x; v, w), dx> =
  <w, L(x; v, dx)>``):

  forward over forward (tangent of ``J``):   ``J(x; dv) + L(x; v, dx)``
  reverse over forward (adjoint of ``J``):   ``v: V(x; w)``,  ``x: K(x; v, w)``
  forward over reverse (tangent of ``V``):   ``V(x; dg) + K(x; dx, g)``
  reverse over reverse (adjoint of ``V``):   ``g: J(x; c)``,  ``x: K(x; c, g)``

(``w`` and ``c`` are the gradients arriving at ``J``'s and ``V``'s results; ``dx``,
``dv`` and ``dg`` the tangents of ``x``, ``v`` and ``g``.)

``J`` solves the sensitivity system ``z = (y, u)``, ``z' = F(z) = (f, f_y u +
f_p q)`` with ``q`` the direction of ``p``, from ``z0 = (y0, dy0 - f_0 dt_0)``, and
reads ``J_i = u_i + f_i dt_i`` (``J_0 = dy0``). ``K`` and ``L`` are the first-order
gradient and tangent of that: the same adjoint and sensitivity solves, run on
``F`` instead of ``f`` (``_TangentField``), plus the derivatives of ``z0`` and of
``f_i dt_i``. ``F``'s own Jacobian products are second derivatives of ``func``,
which tangent writes by differentiating its derivative of ``func`` again.
``J`` and ``V`` also read ``ys``, the outputs of the primal solve, which the
generated code passes them straight from the ``odeint`` call whose derivative
they are: ``ys`` is ``Y(x)``, so ``J`` and ``V`` are functions of ``x`` alone and
their derivatives above are the whole of it. The rules give ``ys`` no
derivative of its own, which would count the same dependence twice.

Notation: ``n`` is the size of the state, ``m`` the number of numbers in
``args``, ``ys`` the forward solution at the ``T`` output times (``T`` by ``n``),
``G`` the incoming gradient of ``ys``.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from tangent import backends, runtime

__all__ = ['odeint_options', 'odeint_vjp', 'odeint_jvp', 'odeint_vjp_tangent',
           'odeint_vjp_gradients', 'odeint_jvp_tangent', 'odeint_jvp_gradients',
           'odeint_func_gradient', 'odeint_higher_order']

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
        self.size = sum(self.sizes)
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

    def flat_args(self, dargs: Any) -> np.ndarray:
        """The vector of ``dargs``'s leaves, a tangent (or gradient) of ``args``: zero
        as a whole, or one per argument, each zero (None, 0.0) as a whole or in some
        of its leaves."""
        return self.flatten(tuple(None if _is_zero(dargs) else dargs[i] for i in self.active))

    def flat_point(self, dy0: Any, dt: Any, dargs: Any) -> tuple:
        """A tangent (or gradient) of ``(y0, t, args)`` as three flat vectors."""
        return (np.broadcast_to(_zero_or(dy0), (self.n,)).ravel(),
                np.broadcast_to(_zero_or(dt), self.t.shape).ravel(), self.flat_args(dargs))

    def shaped_point(self, y0: Any, t: Any, start: np.ndarray, times: np.ndarray,
                     parameters: np.ndarray) -> tuple:
        """Flat gradients of ``(y0, t, args)`` shaped like them, as ``odeint_vjp``
        returns them."""
        return (_like(start.reshape(np.shape(y0)), y0), _like(times.reshape(np.shape(t)), t),
                self.unflatten(parameters))

    def _tangents(self, parameters: np.ndarray) -> list:
        """The tangent of each active argument, shaped like it, from a flat vector."""
        tangents = self.unflatten(parameters)
        return [tangents[i] for i in self.active]

    def _flat(self, value: Any, shape: tuple) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), shape).ravel()

    # The user's system as a vector field on a flat state with flat parameters:
    # the interface _TangentField offers too, for the solves below.

    def rate_and_jvp(self, y: np.ndarray, s: float, dy: np.ndarray,
                     dp: np.ndarray) -> tuple:
        """``f`` and ``f_y dy + f_p dp`` at ``(y, s)``."""
        jvp = backends.derivative_of(self.func, self.wrt, 'forward')
        change, rate = jvp(*self.arguments(y, s), dy, *self._tangents(dp))
        return self._flat(rate, self.output_shape), self._flat(change, self.output_shape)

    def vjp(self, y: np.ndarray, s: float, a: np.ndarray) -> tuple:
        """``a^T f_y``, ``a^T f_p`` and ``f`` at ``(y, s)``."""
        vjp = backends.derivative_of(self.func, self.wrt, 'reverse')
        *gradients, rate = vjp(*self.arguments(y, s), a.reshape(self.output_shape))
        return (self._flat(gradients[0], (self.n,)), self.flatten(tuple(gradients[1:])),
                self._flat(rate, self.output_shape))

    def time_rate(self, y: np.ndarray, s: float) -> np.ndarray:
        """``f_s``, the partial derivative of ``f`` in the time, at ``(y, s)``."""
        time_position = 0 if self.tfirst else 1
        jvp = backends.derivative_of(self.func, (time_position,), 'forward')
        change, _ = jvp(*self.arguments(y, s), 1.0)
        return self._flat(change, self.output_shape)

    def _second_wrt(self) -> tuple:
        """The positions of the state, the active arguments and their tangents in
        the signature of tangent's forward derivative of ``func``."""
        after_arguments = 2 + len(self.args)
        return self.wrt + tuple(after_arguments + k for k in range(len(self.wrt)))

    def second_jvp(self, y: np.ndarray, s: float, u: np.ndarray, q: np.ndarray,
                   dy: np.ndarray, dp: np.ndarray, du: np.ndarray, dq: np.ndarray) -> tuple:
        """``(f, f_y u + f_p q)`` and its tangent, moving ``y, p, u, q`` by ``dy, dp,
        du, dq``: the forward derivative of the forward derivative of ``func``."""
        jvp = backends.derivative_of(self.func, self.wrt, 'forward')
        second = backends.derivative_of(jvp, self._second_wrt(), 'forward')
        (dchange, drate), (change, rate) = second(
            *self.arguments(y, s), u, *self._tangents(q),
            dy, *self._tangents(dp), du, *self._tangents(dq))
        shape = self.output_shape
        return (self._flat(rate, shape), self._flat(change, shape), self._flat(drate, shape),
                self._flat(dchange, shape))

    def second_vjp(self, y: np.ndarray, s: float, u: np.ndarray, q: np.ndarray,
                   alpha: np.ndarray, beta: np.ndarray) -> tuple:
        """The gradients of ``y, p, u, q`` given ``alpha`` and ``beta``, those of ``f``
        and ``f_y u + f_p q``, and those two values: the reverse derivative of the
        forward derivative of ``func``."""
        jvp = backends.derivative_of(self.func, self.wrt, 'forward')
        second = backends.derivative_of(jvp, self._second_wrt(), 'reverse')
        seed = (beta.reshape(self.output_shape), alpha.reshape(self.output_shape))
        *gradients, (change, rate) = second(*self.arguments(y, s), u, *self._tangents(q), seed)
        half = len(self.wrt)
        state, tangent = gradients[:half], gradients[half:]
        shape = self.output_shape
        return (self._flat(state[0], (self.n,)), self.flatten(tuple(state[1:])),
                self._flat(tangent[0], (self.n,)), self.flatten(tuple(tangent[1:])),
                self._flat(rate, shape), self._flat(change, shape))

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
    if np.all(np.asarray(times) == times[0]):  # no time passes: odeint calls that a failure
        return np.tile(state, (len(times), 1))
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


class _TangentField:
    """The sensitivity system of a field ``f`` (a ``_System`` here) in the direction
    ``q`` of its parameters: the state ``z = (y, u)``, the parameters ``(p, q)``, the
    rate ``F(z) = (f, f_y u + f_p q)``. Its Jacobian products are second derivatives
    of ``f``; it offers the solves the interface of a ``_System``."""

    def __init__(self, base: _System, direction: np.ndarray):
        self.base, self.direction = base, direction
        self.n, self.size = 2 * base.n, 2 * base.size
        self.solve, self.solve_back = base.solve, base.solve_back

    def rate(self, z: np.ndarray, s: float) -> np.ndarray:
        n = self.base.n
        return np.concatenate(self.base.rate_and_jvp(z[:n], s, z[n:], self.direction))

    def rate_and_jvp(self, z: np.ndarray, s: float, dz: np.ndarray, dparameters: np.ndarray):
        n, m = self.base.n, self.base.size
        rate, change, drate, dchange = self.base.second_jvp(
            z[:n], s, z[n:], self.direction, dz[:n], dparameters[:m], dz[n:], dparameters[m:])
        return np.concatenate([rate, change]), np.concatenate([drate, dchange])

    def vjp(self, z: np.ndarray, s: float, a: np.ndarray) -> tuple:
        n = self.base.n
        gy, gp, gu, gq, rate, change = self.base.second_vjp(z[:n], s, z[n:], self.direction,
                                                            a[:n], a[n:])
        return np.concatenate([gy, gu]), np.concatenate([gp, gq]), np.concatenate([rate, change])


def _gradient_solve(field: Any, times: np.ndarray, outputs: np.ndarray,
                    incoming: np.ndarray) -> tuple:
    """``V``: the gradients of the start, the times and the parameters of ``field``'s
    solution given ``incoming``, that of its ``outputs``.

    Between consecutive output times the system ``[y, a, b]`` is integrated
    backwards, with ``y' = f``, ``a' = -a^T df/dy`` and ``b' = -a^T df/dp``;
    ``y`` restarts at the output ``ys[i]`` and ``a`` gains ``G[i]`` there. At
    ``t[0]``, ``a`` is the gradient of ``y0`` and ``b`` that of ``p``. An output
    time moves only its own output, along ``f``: its gradient is ``G[i] . f_i``;
    ``t[0]`` also shifts the whole trajectory, by ``-f_0`` per unit, seen by every
    later output: hence its extra ``-(a - G[0]) . f_0``.
    """
    n = field.n

    def backward(state: np.ndarray, s: float) -> np.ndarray:
        gy, gp, rate = field.vjp(state[:n], s, state[n:2 * n])
        return np.concatenate([rate, -gy, -gp])

    time_gradient = np.array([incoming[i] @ field.rate(outputs[i], times[i])
                              for i in range(len(times))])
    adjoint = incoming[-1].copy()
    parameter_gradient = np.zeros(field.size)
    for i in range(len(times) - 1, 0, -1):
        if times[i] != times[i - 1]:
            state = np.concatenate([outputs[i], adjoint, parameter_gradient])
            state = field.solve_back(backward, state, times[i], times[i - 1])
            adjoint, parameter_gradient = state[n:2 * n], state[2 * n:]
        adjoint = adjoint + incoming[i - 1]
    time_gradient[0] -= adjoint @ field.rate(outputs[0], times[0])
    return adjoint, time_gradient, parameter_gradient


def _tangent_solve(field: Any, times: np.ndarray, outputs: np.ndarray, start_tangent: np.ndarray,
                   time_tangent: np.ndarray, parameter_tangent: np.ndarray) -> tuple:
    """``J``: the tangents of ``field``'s ``outputs`` (``T`` by ``n``) given those of its
    start, times and parameters, and the solution of the sensitivity system
    (``T`` by ``2 n``) they come from.

    The sensitivity ``u = dy/d(y0, p)`` in the given direction solves ``u' = f_y u +
    f_p dp`` beside ``y``. Moving ``t[0]`` by ``dt0`` starts the trajectory later, so
    ``u`` starts at ``dy0 - f_0 dt0``; moving an output time moves its output
    along ``f``: ``dys[i] = u(t_i) + f_i dt_i``.
    """
    n = field.n
    sensitivities = _TangentField(field, parameter_tangent)
    start = start_tangent - field.rate(outputs[0], times[0]) * time_tangent[0]
    solution = field.solve(sensitivities.rate, np.concatenate([outputs[0], start]), times)
    rates = np.array([field.rate(outputs[i], times[i]) for i in range(len(times))])
    tangents = solution[:, n:] + rates * time_tangent[:, None]
    tangents[0] = start_tangent
    return tangents, solution


def _second_gradient(system: _System, outputs: np.ndarray, direction: tuple,
                     weights: np.ndarray) -> tuple:
    """``K(x; v, w) = grad_x <w, J(x; v)>`` for ``v = direction`` (flat tangents of
    ``y0, t, p``) and ``w = weights`` (``T`` by ``n``), as flat gradients of ``y0, t, p``.

    ``<w, J> = w_0 . dy0 + sum_{i>0} w_i . (u_i + f(y_i, t_i) dt_i)`` with ``(y, u)`` the
    sensitivity system's solution ``z``: its gradient is ``V`` of that system
    (``_TangentField``) seeded with ``(dt_i f_y^T w_i, w_i)`` at ``z_i``, plus the
    direct terms of ``f(y_i, t_i) dt_i`` in ``t_i`` and ``p``, plus the start
    ``z0 = (y0, dy0 - f(y0, t0) dt0)`` carried back to ``y0, t0, p``.
    """
    start_tangent, time_tangent, parameter_tangent = direction
    n, m, times = system.n, system.size, system.t
    _, solution = _tangent_solve(system, times, outputs, start_tangent, time_tangent,
                                 parameter_tangent)
    seed = np.zeros((len(times), 2 * n))
    seed[1:, n:] = weights[1:]
    time_gradient, parameter_gradient = np.zeros(len(times)), np.zeros(m)
    for i in range(1, len(times)):
        if time_tangent[i] != 0:
            y, s = solution[i, :n], times[i]
            gy, gp, _ = system.vjp(y, s, weights[i])
            seed[i, :n] = time_tangent[i] * gy
            parameter_gradient += time_tangent[i] * gp
            time_gradient[i] += time_tangent[i] * weights[i] @ system.time_rate(y, s)
    start, through_solve, parameters = _gradient_solve(
        _TangentField(system, parameter_tangent), times, solution, seed)
    gy0, gp0, _ = system.vjp(system.y0, times[0], start[n:])
    time_gradient[0] -= time_tangent[0] * start[n:] @ system.time_rate(system.y0, times[0])
    return (start[:n] - time_tangent[0] * gy0, time_gradient + through_solve,
            parameter_gradient + parameters[:m] - time_tangent[0] * gp0)


def _second_tangent(system: _System, outputs: np.ndarray, direction: tuple,
                    moved: tuple) -> np.ndarray:
    """``L(x; v, dx) = D_x J(x; v) dx`` for ``v = direction`` and ``dx = moved`` (flat
    tangents of ``y0, t, p``), ``T`` by ``n``.

    ``J_i = u_i + f(y_i, t_i) dt_i`` moves by ``du_i + (f_y dy_i + f_s dt'_i + f_p dp')
    dt_i``, where ``(dy, du)`` is ``J`` of the sensitivity system (``_TangentField``),
    from the tangent of its start ``(dy0', -dt0 (f_y dy0' + f_s dt0' + f_p dp'))``.
    """
    start_tangent, time_tangent, parameter_tangent = direction
    start_moved, time_moved, parameters_moved = moved
    n, m, times = system.n, system.size, system.t
    _, solution = _tangent_solve(system, times, outputs, start_tangent, time_tangent,
                                 parameter_tangent)
    sensitivities = _TangentField(system, parameter_tangent)

    def rate_moved(y: np.ndarray, s: float, dy: np.ndarray, ds: float) -> np.ndarray:
        """The tangent of ``f(y, s, p)`` as ``y, s, p`` move by ``dy, ds, dp'``."""
        _, change = system.rate_and_jvp(y, s, dy, parameters_moved)
        return change + system.time_rate(y, s) * ds if ds != 0 else change

    start = np.concatenate([start_moved, -time_tangent[0] * rate_moved(
        system.y0, times[0], start_moved, time_moved[0])])
    solution_moved, _ = _tangent_solve(sensitivities, times, solution, start, time_moved,
                                       np.concatenate([parameters_moved, np.zeros(m)]))
    result = np.zeros((len(times), n))
    for i in range(1, len(times)):
        result[i] = solution_moved[i, n:]
        if time_tangent[i] != 0:
            result[i] += time_tangent[i] * rate_moved(solution[i, :n], times[i],
                                                       solution_moved[i, :n], time_moved[i])
    return result


def _outputs(system: _System, ys: np.ndarray) -> np.ndarray:
    return np.asarray(ys, dtype=np.float64).reshape(len(system.t), system.n)


def _incoming(system: _System, g: Any) -> np.ndarray:
    """A gradient (or tangent) of ``ys``, None or 0.0 as zero, as ``T`` by ``n``."""
    return np.broadcast_to(_zero_or(g), (len(system.t), system.n))


def odeint_vjp(g: Any, ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any,
               options: OdeintOptions) -> tuple:
    """``V``: the gradients of ``y0``, ``t`` and ``args`` given ``g``, that of ``ys``
    (``_gradient_solve``)."""
    system = _System(func, y0, t, args, options)
    gradients = _gradient_solve(system, system.t, _outputs(system, ys), _incoming(system, g))
    return system.shaped_point(y0, t, *gradients)


def odeint_jvp(ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any, dy0: Any, dt: Any,
               dargs: Any, options: OdeintOptions) -> np.ndarray:
    """``J``: the tangent of ``ys`` given those of ``y0``, ``t`` and ``args``
    (``_tangent_solve``)."""
    system = _System(func, y0, t, args, options)
    tangents, _ = _tangent_solve(system, system.t, _outputs(system, ys),
                                 *system.flat_point(dy0, dt, dargs))
    return tangents.reshape(np.shape(ys))


def odeint_vjp_tangent(g: Any, ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any,
                       options: OdeintOptions, dg: Any, dy0: Any, dt: Any,
                       dargs: Any) -> tuple:
    """The tangent of ``odeint_vjp``'s gradients as ``g, y0, t, args`` move by ``dg,
    dy0, dt, dargs``: ``V(x; dg) + K(x; dx, g)``."""
    system = _System(func, y0, t, args, options)
    outputs, moved = _outputs(system, ys), system.flat_point(dy0, dt, dargs)
    total = _second_gradient(system, outputs, moved, _incoming(system, g))
    if not _is_zero(dg):
        through_seed = _gradient_solve(system, system.t, outputs, _incoming(system, dg))
        total = tuple(mine + other for mine, other in zip(total, through_seed))
    return system.shaped_point(y0, t, *total)


def odeint_vjp_gradients(parts_gradient: Any, g: Any, ys: np.ndarray, func: Callable, y0: Any,
                         t: Any, args: Any, options: OdeintOptions) -> tuple:
    """The gradients of ``g, y0, t, args`` given ``c``, that of ``odeint_vjp``'s
    gradients ``(y0, t, args)``: ``J(x; c)`` for ``g`` and ``K(x; c, g)`` for the rest."""
    system = _System(func, y0, t, args, options)
    outputs = _outputs(system, ys)
    given = (None, None, None) if _is_zero(parts_gradient) else parts_gradient
    direction = system.flat_point(*given)
    seed_gradient, _ = _tangent_solve(system, system.t, outputs, *direction)
    rest = _second_gradient(system, outputs, direction, _incoming(system, g))
    return (runtime.unbroadcast(seed_gradient.reshape(np.shape(ys)), g),
            *system.shaped_point(y0, t, *rest))


def odeint_jvp_tangent(ys: np.ndarray, func: Callable, y0: Any, t: Any, args: Any, dy0: Any,
                       dt: Any, dargs: Any, options: OdeintOptions, moved_y0: Any,
                       moved_t: Any, moved_args: Any, ddy0: Any, ddt: Any,
                       ddargs: Any) -> np.ndarray:
    """The tangent of ``odeint_jvp``'s result as ``y0, t, args`` move by ``moved_*``
    and ``dy0, dt, dargs`` by ``ddy0, ddt, ddargs``: ``J(x; dv) + L(x; v, dx)``."""
    system = _System(func, y0, t, args, options)
    outputs = _outputs(system, ys)
    total = _second_tangent(system, outputs, system.flat_point(dy0, dt, dargs),
                            system.flat_point(moved_y0, moved_t, moved_args))
    inner_moved = system.flat_point(ddy0, ddt, ddargs)
    if any(np.any(part) for part in inner_moved):
        total = total + _tangent_solve(system, system.t, outputs, *inner_moved)[0]
    return total.reshape(np.shape(ys))


def odeint_jvp_gradients(dys_gradient: Any, ys: np.ndarray, func: Callable, y0: Any, t: Any,
                         args: Any, dy0: Any, dt: Any, dargs: Any,
                         options: OdeintOptions) -> tuple:
    """The gradients of ``y0, t, args, dy0, dt, dargs`` given ``w``, that of
    ``odeint_jvp``'s result: ``K(x; v, w)`` for the first three, ``V(x; w)`` for the
    tangents (``J`` is linear in them)."""
    system = _System(func, y0, t, args, options)
    outputs, weights = _outputs(system, ys), _incoming(system, dys_gradient)
    point = _second_gradient(system, outputs, system.flat_point(dy0, dt, dargs), weights)
    tangents = _gradient_solve(system, system.t, outputs, weights)
    return (*system.shaped_point(y0, t, *point), *system.shaped_point(y0, t, *tangents))


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
    """Raised where a derivative of a second derivative of ``odeint`` is asked for."""
    raise NotImplementedError(
        'Third- and higher-order derivatives through scipy.integrate.odeint (a derivative '
        'of its second-order helpers) are not implemented; differentiate odeint at most '
        'twice.')

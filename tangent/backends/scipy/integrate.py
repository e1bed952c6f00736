"""Derivative rules of ``scipy.integrate``: adjoint and tangent templates.

``odeint(func, y0, t, args)`` is differentiated with respect to ``y0``, ``t``
and ``args`` by solving the adjoint (reverse) or sensitivity (forward) ODE
with ``odeint`` itself (``integrate_helpers``); ``func`` is a value passed
along, differentiated inside the helpers by tangent. The helpers' own
derivatives (a second order through ``odeint``) raise a clear error.
"""

from scipy import integrate

from tangent import runtime as tangent
from tangent.backends.scipy import integrate_helpers
from tangent.rules.registry import adjoint, d, tangent_
from tangent.rules.non_differentiable import register_non_differentiable_functions


@adjoint(integrate.odeint)
def odeint(ys, func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    options = tangent.odeint_options(Dfun, col_deriv, full_output, ml, mu, rtol, atol, tcrit,
                                     h0, hmax, hmin, ixpr, mxstep, mxhnil, mxordn, mxords,
                                     printmessg, tfirst)
    parts = tangent.odeint_vjp(d[ys], ys, func, y0, t, args, options)
    d[y0] = parts[0]
    d[t] = parts[1]
    d[args] = parts[2]
    d[func] = tangent.odeint_func_gradient(func)


@tangent_(integrate.odeint)
def odeint_tangent(ys, func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None,
                   mu=None, rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0,
                   ixpr=0, mxstep=0, mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    options = tangent.odeint_options(Dfun, col_deriv, full_output, ml, mu, rtol, atol, tcrit,
                                     h0, hmax, hmin, ixpr, mxstep, mxhnil, mxordn, mxords,
                                     printmessg, tfirst)
    d[ys] = tangent.odeint_jvp(ys, func, y0, t, args, d[y0], d[t], d[args], options)


register_non_differentiable_functions(integrate_helpers.odeint_options)


# A derivative of the derivative: the adjoint and sensitivity solves are not
# differentiated again, and say so where a second order reaches them.
@adjoint(integrate_helpers.odeint_vjp)
def odeint_vjp(parts, g, ys, func, y0, t, args, options):
    d[g] = tangent.odeint_higher_order()
    d[ys] = tangent.odeint_higher_order()
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_vjp)
def odeint_vjp_tangent(parts, g, ys, func, y0, t, args, options):
    d[parts] = tangent.odeint_higher_order(d[g], d[ys], d[y0], d[t], d[args])


@adjoint(integrate_helpers.odeint_jvp)
def odeint_jvp(dys, ys, func, y0, t, args, dy0, dt, dargs, options):
    d[ys] = tangent.odeint_higher_order()
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()
    d[dy0] = tangent.odeint_higher_order()
    d[dt] = tangent.odeint_higher_order()
    d[dargs] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_jvp)
def odeint_jvp_tangent(dys, ys, func, y0, t, args, dy0, dt, dargs, options):
    d[dys] = tangent.odeint_higher_order(d[ys], d[y0], d[t], d[args], d[dy0], d[dt], d[dargs])

"""Derivative rules of ``scipy.integrate``: adjoint and tangent templates.

``odeint(func, y0, t, args)`` is differentiated with respect to ``y0``, ``t``
and ``args`` by solving the adjoint (reverse) or sensitivity (forward) ODE
with ``odeint`` itself (``integrate_helpers``); ``func`` is a value passed
along, differentiated inside the helpers by tangent. The first-order helpers
``odeint_vjp`` and ``odeint_jvp`` have rules of their own, so every composition
of two modes works (a Hessian-vector product through ``odeint``): the adjoint
and sensitivity solves of the sensitivity system, with second derivatives of
``func`` written by tangent (the derivation is in ``integrate_helpers``). The
second-order helpers' own derivatives (a third order) raise a clear error.
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


# A derivative of the derivative. The helpers read ys, the primal solve's
# outputs, which are a function of y0, t and args: their derivative is counted
# in those of y0, t and args (integrate_helpers), so ys gets none of its own.
@adjoint(integrate_helpers.odeint_vjp)
def odeint_vjp(parts, g, ys, func, y0, t, args, options):
    gradients = tangent.odeint_vjp_gradients(d[parts], g, ys, func, y0, t, args, options)
    d[g] = gradients[0]
    d[y0] = gradients[1]
    d[t] = gradients[2]
    d[args] = gradients[3]


@tangent_(integrate_helpers.odeint_vjp)
def odeint_vjp_tangent(parts, g, ys, func, y0, t, args, options):
    d[parts] = tangent.odeint_vjp_tangent(g, ys, func, y0, t, args, options, d[g], d[y0],
                                          d[t], d[args])


@adjoint(integrate_helpers.odeint_jvp)
def odeint_jvp(dys, ys, func, y0, t, args, dy0, dt, dargs, options):
    gradients = tangent.odeint_jvp_gradients(d[dys], ys, func, y0, t, args, dy0, dt, dargs,
                                             options)
    d[y0] = gradients[0]
    d[t] = gradients[1]
    d[args] = gradients[2]
    d[dy0] = gradients[3]
    d[dt] = gradients[4]
    d[dargs] = gradients[5]


@tangent_(integrate_helpers.odeint_jvp)
def odeint_jvp_tangent(dys, ys, func, y0, t, args, dy0, dt, dargs, options):
    d[dys] = tangent.odeint_jvp_tangent(ys, func, y0, t, args, dy0, dt, dargs, options, d[y0],
                                        d[t], d[args], d[dy0], d[dt], d[dargs])


# A third order: the second-order helpers are not differentiated again. Every
# argument that may carry a derivative raises, whichever ones are active.
@adjoint(integrate_helpers.odeint_vjp_gradients)
def odeint_vjp_gradients(gradients, parts_gradient, g, ys, func, y0, t, args, options):
    d[parts_gradient] = tangent.odeint_higher_order()
    d[g] = tangent.odeint_higher_order()
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_vjp_gradients)
def odeint_vjp_gradients_tangent(gradients, parts_gradient, g, ys, func, y0, t, args, options):
    d[gradients] = tangent.odeint_higher_order(d[parts_gradient], d[g], d[y0], d[t], d[args])


@adjoint(integrate_helpers.odeint_vjp_tangent)
def odeint_vjp_tangent_adjoint(dparts, g, ys, func, y0, t, args, options, dg, dy0, dt, dargs):
    d[g] = tangent.odeint_higher_order()
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()
    d[dg] = tangent.odeint_higher_order()
    d[dy0] = tangent.odeint_higher_order()
    d[dt] = tangent.odeint_higher_order()
    d[dargs] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_vjp_tangent)
def odeint_vjp_tangent_tangent(dparts, g, ys, func, y0, t, args, options, dg, dy0, dt, dargs):
    d[dparts] = tangent.odeint_higher_order(d[g], d[y0], d[t], d[args], d[dg], d[dy0], d[dt],
                                            d[dargs])


@adjoint(integrate_helpers.odeint_jvp_gradients)
def odeint_jvp_gradients(gradients, dys_gradient, ys, func, y0, t, args, dy0, dt, dargs,
                         options):
    d[dys_gradient] = tangent.odeint_higher_order()
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()
    d[dy0] = tangent.odeint_higher_order()
    d[dt] = tangent.odeint_higher_order()
    d[dargs] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_jvp_gradients)
def odeint_jvp_gradients_tangent(gradients, dys_gradient, ys, func, y0, t, args, dy0, dt, dargs,
                                 options):
    d[gradients] = tangent.odeint_higher_order(d[dys_gradient], d[y0], d[t], d[args], d[dy0],
                                               d[dt], d[dargs])


@adjoint(integrate_helpers.odeint_jvp_tangent)
def odeint_jvp_tangent_adjoint(ddys, ys, func, y0, t, args, dy0, dt, dargs, options, moved_y0,
                               moved_t, moved_args, ddy0, ddt, ddargs):
    d[y0] = tangent.odeint_higher_order()
    d[t] = tangent.odeint_higher_order()
    d[args] = tangent.odeint_higher_order()
    d[dy0] = tangent.odeint_higher_order()
    d[dt] = tangent.odeint_higher_order()
    d[dargs] = tangent.odeint_higher_order()
    d[moved_y0] = tangent.odeint_higher_order()
    d[moved_t] = tangent.odeint_higher_order()
    d[moved_args] = tangent.odeint_higher_order()
    d[ddy0] = tangent.odeint_higher_order()
    d[ddt] = tangent.odeint_higher_order()
    d[ddargs] = tangent.odeint_higher_order()


@tangent_(integrate_helpers.odeint_jvp_tangent)
def odeint_jvp_tangent_tangent(ddys, ys, func, y0, t, args, dy0, dt, dargs, options, moved_y0,
                               moved_t, moved_args, ddy0, ddt, ddargs):
    d[ddys] = tangent.odeint_higher_order(d[y0], d[t], d[args], d[dy0], d[dt], d[dargs],
                                          d[moved_y0], d[moved_t], d[moved_args], d[ddy0],
                                          d[ddt], d[ddargs])

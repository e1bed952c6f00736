"""The SciPy backend (the optional extra ``scipy``): loaded the first time a
function being differentiated refers to SciPy (or once the user has imported
it), never by ``import tangent``.

SciPy's values are NumPy arrays, so this backend needs no runtime helpers for
its own value types; it brings rules, and the helpers those rules call.

- ``special``: ``scipy.special`` (``logsumexp``, ``gammaln``, ``erf``, ...).
- ``linalg``: ``scipy.linalg`` (``cholesky``, ``cho_solve``, ``solve_triangular``, ...).
- ``stats``: ``logpdf``/``pdf``/``logcdf``/``cdf``/``sf`` of ``scipy.stats`` distributions.
- ``integrate``: ``scipy.integrate.odeint``, differentiated by the adjoint ODE, to second order.
- ``*_helpers``: the longer formulas those rules call as ``tangent.<name>``.
"""

from tangent.backends import Backend, register

register(Backend(
    name='scipy',
    modules=('scipy',),
    rules=('tangent.backends.scipy.special', 'tangent.backends.scipy.linalg',
           'tangent.backends.scipy.stats', 'tangent.backends.scipy.integrate'),
    rule_helpers=('tangent.backends.scipy.special_helpers',
                  'tangent.backends.scipy.linalg_helpers',
                  'tangent.backends.scipy.stats_helpers',
                  'tangent.backends.scipy.integrate_helpers'),
))

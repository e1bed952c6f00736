"""``tangent.tangents``, an import path users rely on: it is ``tangent.backends.numpy.tangents``
(forward-mode rules: ``tangent_``, ``tangents``, ``d``, ``alias`` and the NumPy tangents).
"""

import sys

import tangent.backends.numpy.tangents

sys.modules[__name__] = sys.modules['tangent.backends.numpy.tangents']

"""``tangent.non_differentiable``, an import path users rely on: it is ``tangent.rules.non_differentiable``
(declaring functions without a derivative).
"""

import sys

import tangent.rules.non_differentiable

sys.modules[__name__] = sys.modules['tangent.rules.non_differentiable']

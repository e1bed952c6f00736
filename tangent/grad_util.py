"""``tangent.grad_util``, an import path users rely on: it is ``tangent.api.grad_util``
(the entry points).
"""

import sys

import tangent.api.grad_util

sys.modules[__name__] = sys.modules['tangent.api.grad_util']

"""``tangent.utils``, an import path users rely on: it is ``tangent.runtime``
(the runtime helpers generated code calls).
"""

import sys

import tangent.runtime

sys.modules[__name__] = sys.modules['tangent.runtime']

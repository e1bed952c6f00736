"""``tangent.compile``, an import path users rely on: it is ``tangent.syntax.compile``
(source to live functions).
"""

import sys

import tangent.syntax.compile

sys.modules[__name__] = sys.modules['tangent.syntax.compile']

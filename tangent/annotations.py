"""``tangent.annotations``, an import path users rely on: it is ``tangent.syntax.annotations``
(what passes attach to tree nodes).
"""

import sys

import tangent.syntax.annotations

sys.modules[__name__] = sys.modules['tangent.syntax.annotations']

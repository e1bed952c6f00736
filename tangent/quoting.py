"""``tangent.quoting``, an import path users rely on: it is ``tangent.syntax.quoting``
(between source text and trees).
"""

import sys

import tangent.syntax.quoting

sys.modules[__name__] = sys.modules['tangent.syntax.quoting']

"""Shared set-up for the test suite.

The test modules import their helpers (``reference``, ``catalogue``, ``fuzz``,
...) as top-level modules. pytest loads this file before any of them, so
putting this directory on ``sys.path`` here makes those imports work however
pytest was started, without each module editing ``sys.path`` itself.
"""

import os
import sys

TESTS_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

if TESTS_DIRECTORY not in sys.path:
    sys.path.insert(0, TESTS_DIRECTORY)

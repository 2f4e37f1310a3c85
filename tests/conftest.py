"""Test configuration shared by the whole suite (kept small on purpose).

Puts ``tests/`` on ``sys.path`` so test modules in subfolders can ``import gradcheck``
whatever pytest's import mode.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

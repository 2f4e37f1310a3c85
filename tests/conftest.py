"""Test configuration shared by the whole suite (kept small on purpose).

Puts ``tests/`` on ``sys.path`` so test modules in subfolders can ``import gradcheck``
whatever pytest's import mode, and holds the fixtures that more than one folder uses.
"""

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture(params=["kernel rows", "patches"])
def unfolding(request, monkeypatch):
    """Every convolution by kernel rows (where they apply), or every one by the patch matrix,
    whatever the sizes that choose between them in training."""
    from chainrule.ops import conv

    by_rows = request.param == "kernel rows"
    monkeypatch.setattr(conv, "_KERNEL_ROWS_MIN_WIDTH", 0 if by_rows else 10**9)
    monkeypatch.setattr(conv, "_KERNEL_ROWS_MIN_PATCHES", 0)
    return request.param

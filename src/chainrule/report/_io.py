"""Atomic file writes and JSON that never holds NaN or NumPy types."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .._files import atomic_write_bytes


def jsonable(value):
    """``value`` with NumPy scalars and arrays turned into Python ones and NaN / infinity
    into ``None``, so that ``json.dumps`` writes strict JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data) -> None:
    """``data`` as indented JSON, written atomically."""
    atomic_write_bytes(path, (json.dumps(jsonable(data), indent=2) + "\n").encode())

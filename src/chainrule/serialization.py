"""Saving and loading weights as ``.npz`` — plain arrays, never pickle.

Files are written atomically (a temporary file renamed into place), and a
truncated or corrupt file is refused with a message naming it.
"""

from __future__ import annotations

import io
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .report import atomic_write_bytes
from .tensor import Tensor


class CheckpointError(ValueError):
    """A weights file is missing, truncated or not a chainrule/NumPy ``.npz``."""


def save(state_dict, path) -> Path:
    """Write a ``state_dict`` (names → tensors or arrays) to ``path`` atomically."""
    arrays = {name: np.asarray(v.data if isinstance(v, Tensor) else v) for name, v in state_dict.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def load(path) -> "OrderedDict[str, Tensor]":
    """Read a file written by :func:`save` (or ``np.savez``) back as a state_dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return OrderedDict((name, Tensor(archive[name])) for name in archive.files)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable .npz weights file ({exc})") from None

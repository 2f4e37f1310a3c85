"""Atomic file writing: a reader never sees a half-written dataset file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def temporary_sibling(path: Path) -> Iterator[Path]:
    """Yield a fresh temporary file name next to ``path``; remove it unless it was moved.

    The temporary file lives in the same folder as ``path`` so that the final
    :func:`os.replace` is a rename on one file system, which is atomic.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = Path(path)
    with temporary_sibling(path) as tmp:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path

"""Atomic file writing: a reader never sees a half-written dataset file."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .._files import atomic_write_bytes


@contextlib.contextmanager
def temporary_sibling(path: Path) -> Iterator[Path]:
    """Yield an unused temporary file name next to ``path``; remove that file unless moved away.

    The temporary file lives in the same folder as ``path`` so that the final
    :func:`os.replace` is a rename on one file system, which is atomic. Only a name is made
    (not the file, as :func:`tempfile.mkstemp` would, with mode 0600), so the file the caller
    creates gets the usual permissions of the user's umask.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    return atomic_write_bytes(path, data)

"""Keep freed memory in the process heap instead of handing it back to the kernel.

Every training step allocates and frees the same large NumPy arrays (activations,
patch matrices, gradients). glibc serves blocks above its mmap threshold with fresh
``mmap`` calls, and each new page is then faulted in and zeroed by the kernel: on
a CNN step that is a large share of the time. Raising the thresholds once lets the
next step reuse the previous step's memory. Peak memory is unchanged; what was
freed stays reserved for the process. Set ``CHAINRULE_NO_MALLOPT=1`` to opt out.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(mmap_threshold: int = 256 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Raise glibc's mmap and trim thresholds; returns whether it took effect."""
    if not sys.platform.startswith("linux") or os.environ.get("CHAINRULE_NO_MALLOPT"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))

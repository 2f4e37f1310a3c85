"""Peak resident memory of the current process, measured from a baseline.

Linux keeps the high-water mark of a process's resident set (``VmHWM`` in
``/proc/self/status``); writing ``5`` to ``/proc/self/clear_refs`` resets it to the
current resident set. So :class:`PeakRSS` resets the mark when it starts (after the
imports, data and model are in memory) and reports, when it stops, how far the
mark rose above the resident set at the reset: the extra memory the measured
code needed at its worst moment.

Where the reset is not allowed (another kernel, a restricted container) it falls
back to ``getrusage``'s ``ru_maxrss``, which cannot be reset: the growth is then
counted from the highest mark reached before the start, so a transient peak
during set-up (decompressing the data, say) can hide part of the training's own
peak. ``method`` says which measure was used.
"""

from __future__ import annotations

import resource

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_kib(field: str) -> int | None:
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS; True when the kernel honoured it."""
    try:
        with open(_CLEAR_REFS, "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    hwm, rss = _status_kib("VmHWM"), _status_kib("VmRSS")
    # Pages may be touched between the two reads, so allow a little slack.
    return hwm is not None and rss is not None and hwm <= rss + 1024


class PeakRSS:
    """``with PeakRSS() as mem: ...`` then ``mem.growth_mb``, ``mem.baseline_mb``, ``mem.method``."""

    def __enter__(self) -> "PeakRSS":
        if _reset_hwm():
            self.method = "VmHWM after clear_refs"
            self._baseline = _status_kib("VmRSS")
        else:
            self.method = "ru_maxrss"
            self._baseline = _maxrss_kib()
        self.baseline_mb = self._baseline / 1024
        return self

    def __exit__(self, *exc) -> None:
        peak = _status_kib("VmHWM") if self.method.startswith("VmHWM") else _maxrss_kib()
        self.peak_mb = peak / 1024
        self.growth_mb = max(0, peak - self._baseline) / 1024

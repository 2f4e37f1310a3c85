"""A run's folder and its identity: what makes a run the run it is, so that a new run cannot
be mistaken for an old one, nor an old one continued with other settings.

A run folder holds ``run.json``; among its fields, ``id`` (made when the run claims the
folder), ``identity`` (the settings that define the run: model, data and its checksum, seed,
batch size, optimiser, schedule, loss, engine) and ``status`` ("running" until the run has
written its results, then "finished"). The length of a run (epochs or iterations) is not
part of its identity: a finished run may be resumed with a longer one, to extend it.

The rules, in :func:`claim`:

* a new run into a folder that holds another one is refused, naming it, unless the caller
  overwrites it (the folder's run files are removed first);
* a resumed run must have the identity of the folder's run, field by field;
* a resumed run that has finished and is not extended has nothing to do.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import numpy as np

from .._files import atomic_write_bytes

__all__ = ["RUN_FILE", "MODEL_FILE", "CHECKPOINTS", "RunFolderError", "claim", "data_checksum", "holds_a_run", "read_run", "write_run"]

RUN_FILE = "run.json"
MODEL_FILE = "model.npz"
CHECKPOINTS = "checkpoints"


class RunFolderError(ValueError):
    """A run asked for in a folder that holds another run, or a resume that is not the same run."""


def data_checksum(*arrays: np.ndarray) -> str:
    """The SHA-256 of the arrays' shapes, dtypes and bytes (the first 16 hex digits)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()[:16]


def holds_a_run(out: Path) -> bool:
    return any((Path(out) / entry).exists() for entry in (RUN_FILE, MODEL_FILE, CHECKPOINTS))


def read_run(out: Path) -> dict | None:
    """The folder's ``run.json``, or None without one (a damaged one raises, naming it)."""
    path = Path(out) / RUN_FILE
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(f"{path}: not a readable run file ({exc})") from None
    if not isinstance(info, dict):
        raise RunFolderError(f"{path}: not a run file (expected a JSON object)")
    return info


def claim(out: Path, identity: dict, length: dict, *, resume: bool = False, overwrite: bool = False,
          outputs=()) -> str:
    """Claim ``out`` for the run of ``identity`` and ``length`` ({"epochs": n} or
    {"iterations": n}); returns "new", "resumed", or "finished" (a resumed run with nothing
    left to do). Writes ``run.json`` with status "running" unless finished. ``outputs`` names
    what the run writes into its folder (files and folders, ``run.json`` aside): what
    ``overwrite`` removes; anything else in the folder is left."""
    out = Path(out)
    previous = read_run(out)
    if resume:
        if previous is None and not holds_a_run(out):
            raise RunFolderError(f"{out}: there is no run to resume here; start it without --resume")
        if previous is None or "identity" not in previous:
            return "resumed"  # a run from before runs had identities: nothing to compare, its checkpoints resume
        _check_same_run(out, previous["identity"], identity)
        if previous.get("status") == "finished" and not _extends(length, previous.get("length", {})):
            return "finished"
        if not (out / CHECKPOINTS).is_dir():
            raise RunFolderError(f"{out}: the run has no checkpoint to resume from (it stopped before its first "
                                 f"one, or ran without --checkpoint-every); run it again with --overwrite")
        run_id = previous.get("id") or uuid.uuid4().hex
        outcome = "resumed"
    else:
        if holds_a_run(out):
            if not overwrite:
                what = f"run {previous['id'][:8]}" if previous and previous.get("id") else "another run"
                raise RunFolderError(f"{out} holds {what}: give --resume to continue it, --overwrite to replace it, "
                                     f"or another --out")
            _clear(out, (RUN_FILE, *outputs))
        run_id, outcome = uuid.uuid4().hex, "new"
    out.mkdir(parents=True, exist_ok=True)
    record = {**(previous or {}), "id": run_id, "identity": identity, "length": length, "status": "running"}
    write_run(out, record)
    return outcome


def write_run(out: Path, record: dict) -> None:
    atomic_write_bytes(Path(out) / RUN_FILE, (json.dumps(record, indent=2, default=str) + "\n").encode("utf-8"))


def _check_same_run(out: Path, stored: dict, identity: dict) -> None:
    changed = [(key, stored.get(key), identity.get(key)) for key in sorted(set(stored) | set(identity))
               if _jsonable(stored.get(key)) != _jsonable(identity.get(key))]
    if changed:
        listed = "; ".join(f"{key}: {old!r} in the run, {new!r} now" for key, old, new in changed)
        raise RunFolderError(f"{out}: --resume must continue the same run, but {listed}. Resume with the run's "
                             f"settings, or start a new run (another --out, or --overwrite)")


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _extends(length: dict, done: dict) -> bool:
    """Whether ``length`` asks for more than the finished run did (a longer run, same unit)."""
    (unit, n), = length.items()
    return unit in done and n > done[unit]


def _clear(out: Path, entries) -> None:
    for entry in entries:
        path = out / entry
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

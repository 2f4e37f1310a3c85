"""Training checkpoints: a ``.npz`` of arrays plus a ``.json`` of everything else, no pickle.

A checkpoint of iteration ``i`` in folder ``D`` is the pair ``D/ckpt-0000000i.npz`` (the
model's state_dict under ``model/<key>``, the optimiser's state arrays, callbacks' arrays) and
``D/ckpt-0000000i.json``: format and version, iteration, epoch, the run's target, the
optimiser's hyperparameters and scalar state, the scheduler's state, the DataLoader's state,
the global RNG state (:func:`chainrule.random.get_rng_state`), the History, the trainer's
counters and the callbacks' states, and the SHA-256 of the ``.npz``.

Writing: the ``.npz`` first, then the ``.json``, each atomically (temporary file, fsync,
``os.replace``). The ``.json`` is the commit: a checkpoint without its ``.json``, or whose
``.npz`` does not match the recorded checksum, does not exist for :func:`latest_checkpoint`,
and :func:`load_checkpoint` refuses it with a :class:`CheckpointError` naming the file. Older
checkpoints are deleted only after a newer one is complete, so a crash at any moment leaves
the previous checkpoint intact.

Values are encoded exactly: NumPy arrays and scalars go to the ``.npz`` (dtype kept), tuples
and dicts with non-string keys are tagged, and floats are written by ``repr`` (JSON numbers),
so a resumed run continues bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import serialization
from ..serialization import CheckpointError
from ..tensor import Tensor

FORMAT = "chainrule.checkpoint"
VERSION = 1
_NAME = re.compile(r"^ckpt-(\d+)\.json$")

__all__ = ["Checkpoint", "CheckpointError", "save_checkpoint", "load_checkpoint", "latest_checkpoint",
           "list_checkpoints", "checkpoint_paths", "encode", "decode"]


# ----------------------------------------------------------------- exact JSON + arrays
def encode(value, arrays: dict, prefix: str):
    """``value`` as JSON-ready data; arrays and NumPy scalars are moved into ``arrays`` (under
    names starting with ``prefix``) and replaced by references."""
    if isinstance(value, np.ndarray):
        arrays[prefix] = value
        return {"__ndarray__": prefix}
    if isinstance(value, np.generic):
        arrays[prefix] = np.asarray(value)
        return {"__ndarray__": prefix, "scalar": True}
    if isinstance(value, Tensor):
        arrays[prefix] = value._data
        return {"__ndarray__": prefix}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, f"{prefix}/{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, arrays, f"{prefix}/{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") and k.endswith("__") for k in value):
            return {k: encode(v, arrays, f"{prefix}/{k}") for k, v in value.items()}
        return {"__items__": [[encode(k, arrays, f"{prefix}/k{i}"), encode(v, arrays, f"{prefix}/{i}")]
                              for i, (k, v) in enumerate(value.items())]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint ({prefix}): "
                    f"only JSON values, tuples and NumPy arrays are stored")


def decode(value, arrays: dict, source: str = "checkpoint"):
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v, arrays, source) for v in value]
    if isinstance(value, dict):
        if "__ndarray__" in value:
            key = value["__ndarray__"]
            if key not in arrays:
                raise CheckpointError(f"{source}: the array {key!r} is missing from the .npz")
            array = arrays[key]
            return array[()] if value.get("scalar") else array
        if "__tuple__" in value:
            return tuple(decode(v, arrays, source) for v in value["__tuple__"])
        if "__items__" in value:
            return {_hashable(decode(k, arrays, source)): decode(v, arrays, source) for k, v in value["__items__"]}
        return {k: decode(v, arrays, source) for k, v in value.items()}
    return value


def _hashable(key):
    return key.item() if isinstance(key, np.generic) else key


# ----------------------------------------------------------------- files
def checkpoint_paths(folder, iteration: int) -> tuple[Path, Path]:
    """The ``(.npz, .json)`` pair of iteration ``iteration`` in ``folder``."""
    stem = Path(folder) / f"ckpt-{int(iteration):08d}"
    return stem.with_suffix(".npz"), stem.with_suffix(".json")


@dataclass
class Checkpoint:
    """A loaded checkpoint: ``meta`` is the decoded JSON (arrays restored in place),
    ``model_state`` the model's state_dict as arrays."""

    path: Path
    npz_path: Path
    meta: dict
    model_state: dict = field(default_factory=dict)

    @property
    def iteration(self) -> int:
        return int(self.meta["iteration"])

    @property
    def epoch(self) -> int:
        return int(self.meta["epoch"])

    @property
    def history(self):
        from .history import History

        return History.from_dict(self.meta["history"])


def save_checkpoint(folder, iteration: int, meta: dict, model_state: dict, keep: int | None = None) -> Path:
    """Write the checkpoint of ``iteration`` into ``folder`` and return its ``.json`` path;
    ``meta`` may hold arrays (they go to the ``.npz``). Then delete all but the ``keep``
    newest checkpoints (``None``: keep all) and any checkpoint of a later iteration: a folder
    holds one run's timeline, and a run resumed from an earlier checkpoint replaces it."""
    folder = Path(folder)
    npz_path, json_path = checkpoint_paths(folder, iteration)
    arrays = {f"model/{k}": np.asarray(v._data if isinstance(v, Tensor) else v) for k, v in model_state.items()}
    body = encode(meta, arrays, "meta")
    blob = serialization.npz_bytes(arrays)
    document = {"format": FORMAT, "version": VERSION, "iteration": int(iteration),
                "npz": npz_path.name, "npz_sha256": hashlib.sha256(blob).hexdigest(),
                "model_keys": list(model_state), **body}
    text = json.dumps(document, indent=1) + "\n"
    serialization.atomic_write_bytes(npz_path, blob)
    serialization.atomic_write_bytes(json_path, text.encode("utf-8"))
    _prune(folder, keep, json_path)
    return json_path


def _iteration_of(path: Path) -> int | None:
    digits = path.stem[len("ckpt-"):]
    return int(digits) if path.stem.startswith("ckpt-") and digits.isdigit() else None


def _delete(json_path: Path) -> None:
    json_path.unlink(missing_ok=True)  # the .json first: without it the pair is no checkpoint
    json_path.with_suffix(".npz").unlink(missing_ok=True)


def _prune(folder: Path, keep: int | None, newest: Path) -> None:
    """After ``newest`` is complete: drop checkpoints of later iterations (a run resumed from an
    earlier point abandoned them), all but the ``keep`` newest, and ``.npz`` files whose
    ``.json`` was never written."""
    at = _iteration_of(newest)
    older = []
    for path in list_checkpoints(folder):
        iteration = _iteration_of(path)
        if iteration > at:
            _delete(path)
        elif iteration < at:
            older.append(path)
    if keep is not None:
        for path in older[:max(0, len(older) - (keep - 1))]:
            _delete(path)
    for npz in folder.glob("ckpt-*.npz"):
        if npz.stem != newest.stem and _iteration_of(npz) is not None and not npz.with_suffix(".json").exists():
            npz.unlink(missing_ok=True)


def list_checkpoints(folder) -> list[Path]:
    """The ``.json`` files of the checkpoints in ``folder``, oldest first (not validated)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(folder) -> Path | None:
    """The newest checkpoint in ``folder`` that loads without error (a newer broken one is
    skipped), or ``None``."""
    for path in reversed(list_checkpoints(folder)):
        try:
            load_checkpoint(path)
        except CheckpointError:
            continue
        return path
    return None


def resolve(path) -> Path:
    """A checkpoint's ``.json`` from a folder (its newest valid checkpoint), a ``.json`` or a
    ``.npz`` path."""
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            broken = list_checkpoints(path)
            if broken:
                load_checkpoint(broken[-1])  # raises, naming the file and the problem
            raise CheckpointError(f"{path}: no checkpoint in this folder")
        return found
    if path.suffix == ".npz":
        return path.with_suffix(".json")
    return path


def load_checkpoint(path) -> Checkpoint:
    """Read and verify a checkpoint (``.json``/``.npz`` path or a folder: its newest valid
    one). Missing, truncated, corrupt or mismatched files raise :class:`CheckpointError`
    naming the file."""
    json_path = resolve(path)
    document = serialization.read_json(json_path)
    if document.get("format") != FORMAT:
        raise CheckpointError(f"{json_path}: not a chainrule checkpoint (format {document.get('format')!r})")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{json_path}: checkpoint version {document.get('version')!r}, "
                              f"this chainrule reads version {VERSION}")
    required = ("iteration", "npz", "npz_sha256", "model_keys", "epoch", "trainer", "optimizer", "rng", "history")
    missing = [k for k in required if k not in document]
    if missing:
        raise CheckpointError(f"{json_path}: incomplete checkpoint, missing {', '.join(missing)}")
    npz_path = json_path.with_name(document["npz"])
    if not npz_path.is_file():
        raise CheckpointError(f"{npz_path}: no such file (the arrays of checkpoint {json_path.name})")
    blob = npz_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != document["npz_sha256"]:
        raise CheckpointError(f"{npz_path}: corrupt or truncated: its SHA-256 does not match the one recorded "
                              f"in {json_path.name} ({len(blob)} bytes)")
    arrays = serialization.read_npz(npz_path, blob)
    model_state = {}
    for key in document["model_keys"]:
        name = f"model/{key}"
        if name not in arrays:
            raise CheckpointError(f"{npz_path}: the model's array {key!r} is missing")
        model_state[key] = arrays[name]
    meta = {k: v for k, v in document.items() if k not in ("format", "version", "npz", "npz_sha256", "model_keys")}
    meta = decode(meta, arrays, str(npz_path))
    return Checkpoint(json_path, npz_path, meta, model_state)

"""Read the files ``torch.save`` writes (``.pt``, ``.pth``) without PyTorch and without
running any of their code.

Such a file is a zip archive: ``<name>/data.pkl`` is a pickle of the saved object, in which
each tensor is a call of ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``
and each storage a reference (a pickle "persistent id") to the raw little-endian bytes in
``<name>/data/<key>``. A pickle can name any Python callable, and unpickling calls it: that is
how a hostile file runs code. Here the unpickler resolves only the handful of names that
tensors and state dicts use, each to a harmless function of this module that builds a NumPy
array; any other name is refused, naming it, before anything is called (as
``torch.load(weights_only=True)`` does).
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np

__all__ = ["TorchFileError", "is_torch_file", "read_torch_file"]

_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


def _max_bytes() -> int:
    """How much a file may unpack to: ``CHAINRULE_MAX_BYTES``, else the memory available now."""
    if os.environ.get("CHAINRULE_MAX_BYTES"):
        return int(float(os.environ["CHAINRULE_MAX_BYTES"]))
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**34


class TorchFileError(ValueError):
    """A PyTorch file that cannot be read safely here; the message names the file and why."""


class _Storage:
    """A typed storage named in the pickle: its dtype, read from the archive when a tensor needs it."""

    def __init__(self, dtype, name: str) -> None:
        self.dtype, self.name = dtype, name


def _rebuild_tensor(storage: np.ndarray, offset: int, size, stride, requires_grad=False, *_):
    """The array a tensor views: ``size`` elements spaced by ``stride`` from ``offset`` (a copy).
    Every element it reaches must lie in the storage, and the copy may not be much larger
    than the storage (a file declaring a huge tensor over a few bytes)."""
    if not isinstance(storage, np.ndarray):
        raise TorchFileError(f"a tensor's storage is a {type(storage).__name__}, not stored data")
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or min(size, default=0) < 0 or min(stride, default=0) < 0 or offset < 0:
        raise TorchFileError(f"a tensor of size {size}, stride {stride} and offset {offset} is malformed")
    count = int(np.prod(size, dtype=np.int64))
    if count == 0:
        return np.zeros(size, dtype=storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise TorchFileError(f"a tensor of size {size} and stride {stride} reaches past its storage of {storage.size}")
    if count > 16 * storage.size + 2**20:
        raise TorchFileError(f"a tensor of size {size} ({count:,} elements) is declared over a storage of "
                             f"{storage.size:,}: refused")
    view = np.lib.stride_tricks.as_strided(storage[offset:], size, tuple(s * storage.itemsize for s in stride))
    return view.copy()


def _rebuild_parameter(data, requires_grad=True, *_):
    return data


class _SafeUnpickler(pickle.Unpickler):
    _GLOBALS = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
    }

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, path: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.path = archive, prefix, path
        self.storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _Storage(_STORAGE_DTYPES[name], name)
        if (module, name) in self._GLOBALS:
            return self._GLOBALS[(module, name)]
        raise TorchFileError(
            f"{self.path}: refuses to load {module}.{name}: only tensors, numbers, strings, lists and "
            f"dicts are read from a PyTorch file (a pickle naming other objects can run code)"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[1], _Storage)):
            raise TorchFileError(f"{self.path}: an unknown kind of stored object {pid!r:.80}")
        storage_type, key = pid[1], str(pid[2])
        if key not in self.storages:
            try:
                raw = self.archive.read(f"{self.prefix}data/{key}")
            except KeyError:
                raise TorchFileError(f"{self.path}: storage {key} is missing from the archive") from None
            self.storages[key] = np.frombuffer(raw, dtype=np.dtype(storage_type.dtype).newbyteorder("<"))
        return self.storages[key]


def is_torch_file(data: bytes) -> bool:
    """Whether ``data`` is a zip archive holding a ``data.pkl`` (what ``torch.save`` writes)."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.endswith("/data.pkl") or name == "data.pkl" for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def read_torch_file(data: bytes, path: str = "<bytes>"):
    """The object in a ``torch.save`` file's bytes, with every tensor as a NumPy array."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared, limit = sum(info.file_size for info in archive.infolist()), _max_bytes()
            if declared > limit:  # a zip bomb, or a file this machine cannot hold
                raise TorchFileError(f"{path}: its entries unpack to {declared / 2**30:.2f} GiB, more than the "
                                     f"{limit / 2**30:.2f} GiB it may take (set CHAINRULE_MAX_BYTES to change it)")
            pickle_name = next(n for n in archive.namelist() if n.endswith("data.pkl"))
            prefix = pickle_name[: -len("data.pkl")]
            byteorder = f"{prefix}byteorder"
            if byteorder in archive.namelist() and archive.read(byteorder).strip() != b"little":
                raise TorchFileError(f"{path}: big-endian PyTorch files are not supported")
            return _SafeUnpickler(archive.read(pickle_name), archive, prefix, path).load()
    except TorchFileError:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, StopIteration,
            IndexError, AttributeError, RecursionError, MemoryError, OverflowError) as exc:
        raise TorchFileError(f"{path}: not a readable PyTorch file ({type(exc).__name__}: {exc})") from None

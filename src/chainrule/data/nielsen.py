"""Michael Nielsen's ``mnist.pkl.gz`` ("Neural Networks and Deep Learning"), read safely.

The file is a pickle of ``(train, validation, test)``, each ``(images float32 [n, 784] =
pixel/256, labels int64 [n])``, 50k/10k/10k; train + validation in that order is MNIST's
original 60k training set. A pickle can run arbitrary code when loaded, so it is read with an
unpickler that can only build NumPy arrays, and the result is then checked for that structure.
"""

from __future__ import annotations

import codecs
import gzip
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ._fs import atomic_write
from .catalog import SPLIT_FILES
from .errors import DatasetError
from .idx import GZIP_MAGIC, check_md5, compress_if_gz, encode_idx

Split = tuple[np.ndarray, np.ndarray]


def _checked_dtype(*args):
    """``numpy.dtype``, refusing object dtypes: array data must be plain numbers."""
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"refused object dtype {dtype}")
    return dtype


def _checked_reconstruct(subtype, shape, dtype):
    """``numpy._core.multiarray._reconstruct``, for plain ndarrays of plain numbers only."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refused array subclass {subtype!r}")
    return np._core.multiarray._reconstruct(subtype, shape, _checked_dtype(dtype))


def _checked_frombuffer(buffer, dtype, shape, order):
    """``numpy._core.numeric._frombuffer`` (protocol-5 pickles), for plain numbers only."""
    return np._core.numeric._frombuffer(buffer, _checked_dtype(dtype), shape, order)


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles made by Python 3 use it for bytes: latin-1 only."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin-1", errors)


# The only globals a pickle may name: what NumPy's array pickling emits (old and new module
# paths, protocols 2 to 5), each replaced by a checked version. Anything else is refused.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _checked_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _checked_frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _checked_dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that only reconstructs NumPy arrays of numbers (and tuples, lists, ...)."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name} (only NumPy arrays are allowed)"
            ) from None


def safe_unpickle(stream: BinaryIO, path: str | Path = "<stream>"):
    """Unpickle from ``stream`` with :class:`ArrayUnpickler`; any failure is a DatasetError.

    ``encoding='latin1'`` is what NumPy needs to read array data pickled by Python 2, which is
    how Nielsen's file was written.
    """
    try:
        return ArrayUnpickler(stream, encoding="latin1").load()
    except Exception as exc:  # a malformed pickle or gzip stream can raise almost anything
        raise DatasetError(f"{path}: cannot unpickle safely: {exc}") from exc


def _open_maybe_gzip(path: Path) -> BinaryIO:
    """Open ``path`` for reading, through gzip when its content is gzip-compressed."""
    try:
        with path.open("rb") as probe:
            compressed = probe.read(2) == GZIP_MAGIC
        return gzip.open(path, "rb") if compressed else path.open("rb")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def load_nielsen_pickle(path: str | Path) -> tuple[Split, Split, Split]:
    """Read a Nielsen-format ``mnist.pkl.gz`` (or uncompressed ``.pkl``) safely.

    Returns ``((x_train, y_train), (x_validation, y_validation), (x_test, y_test))`` with
    ``x`` float32 ``[n, 784]`` (pixel/256) and ``y`` int64 ``[n]`` in 0..9.
    """
    path = Path(path)
    # Streamed, not read whole: the uncompressed pickle is 220 MB.
    with _open_maybe_gzip(path) as stream:
        content = safe_unpickle(stream, path)
    if not isinstance(content, tuple | list) or len(content) != 3:
        raise DatasetError(f"{path}: not in the Nielsen format: expected (train, validation, test)")
    parts = zip(content, ("train", "validation", "test"), strict=True)
    return tuple(_check_split(part, path, which) for part, which in parts)


def _check_split(part, path: Path, which: str) -> Split:
    """Validate one ``(images, labels)`` pair and give it the documented dtypes."""
    bad = f"{path}: not in the Nielsen format: {which} part"
    if not isinstance(part, tuple | list) or len(part) != 2:
        raise DatasetError(f"{bad} is not an (images, labels) pair")
    x, y = part
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784 or x.dtype.kind != "f":
        raise DatasetError(f"{bad}: images are not a float array of shape [n, 784]")
    if not isinstance(y, np.ndarray) or y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise DatasetError(f"{bad}: labels are not an integer array of shape [{len(x)}]")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DatasetError(f"{bad}: labels outside 0..9")
    return x.astype(np.float32, copy=False), y.astype(np.int64, copy=False)


def _to_pixels(x: np.ndarray, path: Path) -> np.ndarray:
    """Recover the uint8 pixels ``[n, 28, 28]`` from pixel/256 values: ``round(x * 256)``.

    In float32 (k/256 times 256 is exact there), reusing buffers: MNIST's train part is 188 MB.
    """
    scaled = x * np.float32(256)
    pixels = np.rint(scaled)
    error = np.abs(np.subtract(scaled, pixels, out=scaled), out=scaled)
    if pixels.size and (error.max() > 1e-3 or pixels.min() < 0 or pixels.max() > 255):
        raise DatasetError(f"{path}: images are not pixel/256 values, cannot recover the bytes")
    return pixels.astype(np.uint8).reshape(-1, 28, 28)


def nielsen_to_idx(
    pickle_path: str | Path,
    out_dir: str | Path,
    *,
    checksums: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Convert a Nielsen pickle into the four MNIST IDX files (``.gz``) in ``out_dir``.

    The training files hold train + validation (the original 60k), the ``t10k`` files the test
    part. Each file's uncompressed bytes are checked against ``checksums`` (name -> MD5) before
    anything is written, so a wrong pickle never leaves files behind. Returns name -> path.
    """
    pickle_path, out_dir = Path(pickle_path), Path(out_dir)
    train, validation, test = load_nielsen_pickle(pickle_path)
    # Converted part by part, then joined as bytes: far less memory than joining the floats.
    pixels = [_to_pixels(x, pickle_path) for x, _ in (train, validation, test)]
    parts = {
        "train": (np.concatenate(pixels[:2]), np.concatenate([train[1], validation[1]])),
        "test": (pixels[2], test[1]),
    }
    encoded = {}
    for split, (images, labels) in parts.items():
        images_name, labels_name = SPLIT_FILES[split]
        encoded[images_name] = encode_idx(images)
        encoded[labels_name] = encode_idx(labels.astype(np.uint8))
    for name, data in encoded.items():
        if checksums is not None:
            check_md5(data, f"{pickle_path} -> {name}", checksums[name])
    written = {}
    for name, data in encoded.items():
        target = out_dir / f"{name}.gz"
        written[name] = atomic_write(target, compress_if_gz(target, data))
    return written

"""Reading and writing IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x0000TTNN`` (``TT`` the element type, ``NN`` the number
of dimensions), ``NN`` big-endian 32-bit sizes, then the elements, big-endian, row-major. Files
may be gzip-compressed. Everything is validated before any array is returned: a reader either
gets the whole, verified file or a :class:`DatasetError` saying which file is wrong and how.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._fs import atomic_write
from .errors import DatasetError

LABELS_MAGIC = 0x00000801
"""Magic number of an IDX label file: unsigned bytes, one dimension."""
IMAGES_MAGIC = 0x00000803
"""Magic number of an IDX image file: unsigned bytes, three dimensions."""

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of every gzip stream."""

# Element type codes of the IDX format; multi-byte types are big-endian on disk.
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


def uncompressed_name(path: str | Path) -> str:
    """The file name without a ``.gz`` suffix: the key of checksum tables."""
    name = Path(path).name
    return name[:-3] if name.endswith(".gz") else name


def md5_hex(data: bytes) -> str:
    """Hex MD5 of ``data``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def read_bytes(path: str | Path) -> bytes:
    """The uncompressed content of ``path``, gunzipped when it is a gzip file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    return gunzip(data, path)


def gunzip(data: bytes, source: str | Path) -> bytes:
    """``data`` decompressed when it is gzip, as is otherwise; ``source`` names it in errors.

    Data is taken as gzip when ``source`` ends in ``.gz`` or the content starts with the gzip
    magic bytes, so a compressed file that lost its suffix is still read correctly.
    """
    if not str(source).endswith(".gz") and not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except EOFError as exc:
        raise DatasetError(f"{source}: gzip stream is truncated ({exc})") from exc
    except (OSError, zlib.error) as exc:
        # gzip.BadGzipFile (an OSError) covers "CRC check failed" and "Not a gzipped file".
        raise DatasetError(f"{source}: gzip data is corrupt ({exc})") from exc


def _describe(dims: tuple[int, ...], dtype: np.dtype) -> tuple[str, str]:
    """What a header announces, in words, and what its payload is called."""
    if dtype == np.uint8 and len(dims) == 3:
        return f"{dims[0]} images of {dims[1]}x{dims[2]}", "pixels"
    if dtype == np.uint8 and len(dims) == 1:
        return f"{dims[0]} labels", "labels"
    shape = "x".join(map(str, dims))
    return f"an array of shape {shape} ({dtype.name})", "data"


def _parse_header(
    data: bytes, path: str | Path, magic: int | None
) -> tuple[np.dtype, tuple[int, ...], int]:
    """Validate the magic number and sizes; return (dtype, dims, header length)."""
    if len(data) < 4:
        raise DatasetError(f"{path}: truncated: {len(data)} bytes, too short for an IDX header")
    (found,) = struct.unpack(">I", data[:4])
    code, ndim = (found >> 8) & 0xFF, found & 0xFF
    if magic is not None and found != magic:
        kind = {LABELS_MAGIC: "an IDX label file", IMAGES_MAGIC: "an IDX image file"}.get(
            magic, "IDX"
        )
        raise DatasetError(
            f"{path}: bad magic number 0x{found:08X} (expected 0x{magic:08X}, {kind})"
        )
    if found >> 16 or code not in _DTYPES or ndim == 0:
        raise DatasetError(f"{path}: bad magic number 0x{found:08X} (not an IDX file)")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DatasetError(
            f"{path}: truncated: header announces {ndim} dimensions, file has {len(data)} bytes"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    return _DTYPES[code], dims, header_len


def parse_idx(data: bytes, path: str | Path = "<bytes>", *, magic: int | None = None) -> np.ndarray:
    """Decode the uncompressed IDX bytes ``data`` into a writable, native-endian array.

    ``path`` (a file or a URL) only serves the error messages. ``magic``, when given, is the
    exact magic number required (:data:`IMAGES_MAGIC` or :data:`LABELS_MAGIC`).
    """
    dtype, dims, header_len = _parse_header(data, path, magic)
    expected = math.prod(dims) * dtype.itemsize  # Python ints: a wild header cannot overflow
    actual = len(data) - header_len
    if actual != expected:
        what, payload = _describe(dims, dtype)
        problem = "truncated" if actual < expected else "too long"
        raise DatasetError(
            f"{path}: {problem}: header says {what} ({expected} bytes of {payload}), "
            f"file has {actual} bytes of {payload}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    # A copy: frombuffer over bytes is read-only, and callers expect native byte order.
    return array.astype(dtype.newbyteorder("="), copy=True)


def check_md5(data: bytes, path: str | Path, expected: str) -> None:
    """Raise :class:`DatasetError` unless the MD5 of the (uncompressed) ``data`` is ``expected``."""
    actual = md5_hex(data)
    if actual != expected.lower():
        raise DatasetError(
            f"{path}: checksum mismatch (expected {expected.lower()}, got {actual}; "
            "MD5 of the uncompressed bytes)"
        )


def read_idx(path: str | Path, *, magic: int | None = None, md5: str | None = None) -> np.ndarray:
    """Read and validate one IDX file (``.gz`` or raw).

    ``magic`` is the required magic number, ``md5`` the expected MD5 of the uncompressed bytes.
    The structure is checked before the checksum because "truncated" says more than a mismatch.
    """
    data = read_bytes(path)
    array = parse_idx(data, path, magic=magic)
    if md5 is not None:
        check_md5(data, path, md5)
    return array


def read_idx_pair(
    images_path: str | Path,
    labels_path: str | Path,
    *,
    checksums: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an image file and its label file: ``(images uint8 [n, rows, cols], labels int64 [n])``.

    ``checksums`` maps uncompressed file names (``train-images-idx3-ubyte``) to their MD5; a file
    whose name is missing from a given table is refused, so a table can never be bypassed by
    renaming a file. With ``checksums=None`` no content check is made.
    """
    images = read_idx(images_path, magic=IMAGES_MAGIC, md5=_expected_md5(images_path, checksums))
    labels = read_idx(labels_path, magic=LABELS_MAGIC, md5=_expected_md5(labels_path, checksums))
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path}: holds {len(images)} images "
            f"but {labels_path} holds {len(labels)} labels"
        )
    return images, labels.astype(np.int64)


def _expected_md5(path: str | Path, checksums: Mapping[str, str] | None) -> str | None:
    if checksums is None:
        return None
    name = uncompressed_name(path)
    if name not in checksums:
        raise DatasetError(f"{path}: no checksum known for a file named {name!r}")
    return checksums[name]


def encode_idx(array: np.ndarray) -> bytes:
    """The uncompressed IDX bytes of ``array`` (uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, not {array.ndim}")
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(_DTYPES[code], copy=False).tobytes()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``; atomically."""
    path = Path(path)
    return atomic_write(path, compress_if_gz(path, encode_idx(array)))


def compress_if_gz(path: Path, data: bytes) -> bytes:
    """Gzip ``data`` when ``path`` ends in ``.gz``. ``mtime=0`` keeps the output reproducible."""
    return gzip.compress(data, compresslevel=6, mtime=0) if path.suffix == ".gz" else data

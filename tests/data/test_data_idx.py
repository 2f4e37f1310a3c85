"""IDX reading and writing: round trips and every kind of damaged file."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct

import numpy as np
import pytest

from chainrule.data import DatasetError, read_idx, read_idx_pair, write_idx
from chainrule.data.idx import IMAGES_MAGIC, LABELS_MAGIC, encode_idx


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)


@pytest.fixture
def labels():
    return np.arange(7, dtype=np.uint8)


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_round_trip_raw_and_gz(tmp_path, images, name):
    path = write_idx(tmp_path / name, images)
    back = read_idx(path, magic=IMAGES_MAGIC)
    np.testing.assert_array_equal(back, images)
    assert back.dtype == np.uint8 and back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_round_trip_every_idx_type(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    back = read_idx(write_idx(tmp_path / "a.idx", array))
    np.testing.assert_array_equal(back, array)
    assert back.dtype == np.dtype(dtype)


def test_header_is_canonical(images, labels):
    assert encode_idx(images)[:16] == struct.pack(">IIII", IMAGES_MAGIC, 7, 28, 28)
    assert encode_idx(labels)[:8] == struct.pack(">II", LABELS_MAGIC, 7)


def test_gz_suffix_missing_still_read(tmp_path, images):
    path = tmp_path / "renamed"
    path.write_bytes(gzip.compress(encode_idx(images)))
    np.testing.assert_array_equal(read_idx(path), images)


def test_pair_gives_int64_labels(tmp_path, images, labels):
    x, y = read_idx_pair(write_idx(tmp_path / "i.gz", images), write_idx(tmp_path / "l.gz", labels))
    assert x.shape == (7, 28, 28) and y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)


def test_bad_magic(tmp_path, images):
    data = bytearray(encode_idx(images))
    data[0:4] = struct.pack(">I", 0x12345678)
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"bad-idx3-ubyte: bad magic number 0x12345678"):
        read_idx(path)


def test_labels_where_images_expected(tmp_path, labels):
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", labels)
    with pytest.raises(
        DatasetError,
        match=r"train-images-idx3-ubyte.gz: bad magic number 0x00000801 \(expected 0x00000803",
    ):
        read_idx(path, magic=IMAGES_MAGIC)


def test_truncated_pixels(tmp_path, images):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(images)[:-100]))
    expected = (
        "train-images-idx3-ubyte.gz: truncated: header says 7 images of 28x28 "
        r"\(5488 bytes of pixels\), file has 5388 bytes of pixels"
    )
    with pytest.raises(DatasetError, match=expected):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(struct.pack(">I", IMAGES_MAGIC) + b"\x00\x00")
    with pytest.raises(DatasetError, match="short: truncated: header announces 3 dimensions"):
        read_idx(path)


def test_trailing_bytes(tmp_path, labels):
    path = tmp_path / "labels"
    path.write_bytes(encode_idx(labels) + b"\x00")
    with pytest.raises(
        DatasetError,
        match=r"labels: too long: header says 7 labels \(7 bytes of labels\), file has 8",
    ):
        read_idx(path)


def test_count_mismatch_between_images_and_labels(tmp_path, images, labels):
    x, y = write_idx(tmp_path / "i.gz", images), write_idx(tmp_path / "l.gz", labels[:6])
    with pytest.raises(DatasetError, match=r"i.gz: holds 7 images but .*l.gz holds 6 labels"):
        read_idx_pair(x, y)


def test_checksum_mismatch_from_injected_table(tmp_path, images, labels):
    x = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    y = write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    good = {
        "train-images-idx3-ubyte": hashlib.md5(encode_idx(images)).hexdigest(),
        "train-labels-idx1-ubyte": hashlib.md5(encode_idx(labels)).hexdigest(),
    }
    read_idx_pair(x, y, checksums=good)  # the table of the files themselves passes
    bad = {**good, "train-images-idx3-ubyte": "0" * 32}
    expected = f"checksum mismatch (expected {'0' * 32}, got {good['train-images-idx3-ubyte']}"
    with pytest.raises(DatasetError, match=re.escape(f"train-images-idx3-ubyte.gz: {expected}")):
        read_idx_pair(x, y, checksums=bad)


def test_file_unknown_to_table_is_refused(tmp_path, images, labels):
    x, y = write_idx(tmp_path / "odd-name.gz", images), write_idx(tmp_path / "l.gz", labels)
    with pytest.raises(DatasetError, match=r"odd-name\.gz: no checksum known"):
        read_idx_pair(x, y, checksums={})


def test_gzip_crc_error(tmp_path, images):
    data = bytearray(gzip.compress(encode_idx(images)))
    data[-8] ^= 0xFF  # the CRC32 of the gzip trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"crc.gz: gzip data is corrupt \(CRC check failed"):
        read_idx(path)


def test_gzip_stream_cut(tmp_path, images):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(encode_idx(images))[:500])
    with pytest.raises(DatasetError, match=r"cut\.gz: gzip stream is truncated"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DatasetError, match=r"nothing\.gz: cannot read the file"):
        read_idx(tmp_path / "nothing.gz")


def test_write_is_atomic_and_leaves_no_temporary(tmp_path, images):
    write_idx(tmp_path / "a.gz", images)
    write_idx(tmp_path / "a.gz", images[:2])  # replacing keeps exactly one, complete file
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]
    assert read_idx(tmp_path / "a.gz").shape == (2, 28, 28)

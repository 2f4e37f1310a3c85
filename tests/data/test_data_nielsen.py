"""Nielsen's mnist.pkl.gz: safe unpickling and exact conversion to the MNIST IDX files."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import pickletools
import struct

import numpy as np
import pytest

from chainrule.data import DatasetError, load_nielsen_pickle, nielsen_to_idx, read_idx
from chainrule.data.idx import encode_idx


class Py2StylePickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` and the old NumPy module path, as Nielsen's file does."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes

    def save_global(self, obj, name=None):
        if obj is np._core.multiarray._reconstruct:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def _write(tmp_path, data: bytes, name="mnist.pkl.gz"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_conversion_gives_the_exact_bytes(tmp_path, tiny_nielsen, protocol):
    pickle_gz, arrays, table = tiny_nielsen(protocol)
    written = nielsen_to_idx(_write(tmp_path, pickle_gz), tmp_path / "out", checksums=table)
    assert sorted(written) == sorted(arrays)
    for name, array in arrays.items():
        assert gzip.decompress(written[name].read_bytes()) == encode_idx(array)
        assert written[name].name == f"{name}.gz"


def test_python2_style_pickle_like_the_real_file(tmp_path, tiny_nielsen):
    pickle_gz, arrays, table = tiny_nielsen()
    parts = load_nielsen_pickle(_write(tmp_path, pickle_gz))
    buffer = io.BytesIO()
    Py2StylePickler(buffer, protocol=2).dump(parts)
    opcodes = {op.name for op, _, _ in pickletools.genops(buffer.getvalue())}
    assert "BINSTRING" in opcodes and "BINBYTES" not in opcodes
    assert b"numpy.core.multiarray\n_reconstruct" in buffer.getvalue()
    path = _write(tmp_path, buffer.getvalue(), "py2.pkl")  # uncompressed is accepted too
    nielsen_to_idx(path, tmp_path / "out", checksums=table)
    assert (
        read_idx(tmp_path / "out" / "t10k-labels-idx1-ubyte.gz").tolist()
        == arrays["t10k-labels-idx1-ubyte"].tolist()
    )


def test_load_gives_documented_types(tmp_path, tiny_nielsen):
    (x, y), (xv, _), (xt, _) = load_nielsen_pickle(_write(tmp_path, tiny_nielsen()[0]))
    assert x.shape == (5, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert len(xv) == 3 and len(xt) == 4


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = _write(tmp_path, gzip.compress(pickle.dumps(_Exploit(marker), protocol=2)))
    with pytest.raises(
        DatasetError,
        match=r"mnist.pkl.gz: cannot unpickle safely: refused to load global (posix|os)\.system",
    ):
        load_nielsen_pickle(path)
    assert not marker.exists()


def test_object_arrays_are_refused(tmp_path):
    path = _write(tmp_path, pickle.dumps(np.array([1, "a"], dtype=object), protocol=4), "x.pkl")
    with pytest.raises(DatasetError, match="refused object dtype"):
        load_nielsen_pickle(path)


def test_codecs_encode_only_latin1(tmp_path):
    # Protocol 2 encodes bytes through _codecs.encode; any other codec is refused.
    data = pickle.dumps(np.zeros(2, np.uint8), protocol=2).replace(b"latin1", b"rot_13")
    with pytest.raises(DatasetError, match=r"refused _codecs\.encode with encoding 'rot_13'"):
        load_nielsen_pickle(_write(tmp_path, data, "x.pkl"))


def test_wrong_structure(tmp_path):
    path = _write(
        tmp_path, pickle.dumps((np.zeros((2, 784), np.float32), np.zeros(2, np.int64))), "x.pkl"
    )
    with pytest.raises(
        DatasetError,
        match=r"x.pkl: not in the Nielsen format: expected \(train, validation, test\)",
    ):
        load_nielsen_pickle(path)


def test_values_that_are_not_pixels(tmp_path):
    part = (np.full((2, 784), 0.3, np.float32), np.zeros(2, np.int64))
    path = _write(tmp_path, gzip.compress(pickle.dumps((part, part, part))))
    with pytest.raises(DatasetError, match="not pixel/256 values"):
        nielsen_to_idx(path, tmp_path / "out")


def test_checksum_mismatch_writes_nothing(tmp_path, tiny_nielsen):
    pickle_gz, _, table = tiny_nielsen()
    bad = {**table, "t10k-labels-idx1-ubyte": "0" * 32}
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte: checksum mismatch"):
        nielsen_to_idx(_write(tmp_path, pickle_gz), tmp_path / "out", checksums=bad)
    assert not (tmp_path / "out").exists()

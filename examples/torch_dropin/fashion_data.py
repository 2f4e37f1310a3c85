"""Fashion-MNIST as tensors, read from the IDX files with NumPy (no torchvision needed).

Shared by the scripts of this folder; it imports ``torch``, so it gives chainrule's tensors
when the script runs on chainrule.
"""

import gzip
import os

import numpy as np
import torch


def default_data_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("FASHION_MNIST", os.path.join(here, "..", "..", "..", "shared", "data", "fashion-mnist"))


def _idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split: str, data_dir: str, limit: int | None = None):
    """Images as float32 (N, 1, 28, 28) in [0, 1] and labels as int64, the first ``limit`` of them."""
    prefix = "train" if split == "train" else "t10k"
    images = _idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))[:limit]
    labels = _idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))[:limit]
    x = torch.from_numpy(images.copy()).float().div(255).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y

"""Loading datasets as arrays: raw loaders, train/validation splits, normalisation, :func:`load`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .catalog import SPLIT_FILES, DatasetSpec, get_spec
from .errors import DatasetError
from .idx import read_idx_pair
from .sources import fetch, locate
from .synthetic import GENERATORS

SPLITS = ("train", "validation", "test")
NORMALIZATIONS = ("0-1", "standardize", "none")
DIGITS_TRAIN = 1500
"""scikit-learn's digits have no test split: the first 1500 train, the last 297 test."""


@dataclass
class Dataset:
    """One split of a dataset, ready for training.

    ``x`` is float32: ``[n, 1, H, W]`` images, ``[n, H*W]`` when flattened, ``[n, d]`` for
    feature sets; ``y`` int64 class indices into ``classes``; ``shape`` the shape of one sample
    (``x.shape[1:]``); ``normalization`` the method and the numbers it used (JSON-ready).
    """

    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    name: str
    shape: tuple[int, ...]
    split: str = "train"
    normalization: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _load_idx(
    name: str, split: str, data_dir: str | Path | None, download: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 [n, 28, 28], labels int64 [n])`` of an IDX dataset's split, verified."""
    spec = get_spec(name, kind="idx")
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        location = locate(spec.name, data_dir)
    except DatasetError:
        if not download:
            raise
        fetch(spec.name, data_dir)
        location = locate(spec.name, data_dir)
    images_name, labels_name = SPLIT_FILES[split]
    return read_idx_pair(
        location.files[images_name], location.files[labels_name], checksums=spec.md5
    )


def load_mnist(
    split: str = "train", data_dir: str | Path | None = None, *, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's ``'train'`` (60k) or ``'test'`` (10k) split as ``(images, labels)``.

    ``images`` are uint8 ``[n, 28, 28]``, ``labels`` int64 ``[n]``.

    Files are searched as :func:`locate` does and checked against the MD5 table. When they are
    nowhere, ``download=True`` runs :func:`fetch` first; otherwise a :class:`DatasetError` says
    where it looked and how to get them.
    """
    return _load_idx("mnist", split, data_dir, download)


def load_fashion_mnist(
    split: str = "train", data_dir: str | Path | None = None, *, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's ``'train'`` or ``'test'`` split, exactly as :func:`load_mnist`."""
    return _load_idx("fashion-mnist", split, data_dir, download)


def load_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: ``(images uint8 [n, 8, 8] in 0..16, labels int64 [n])``.

    ``'train'`` is the first :data:`DIGITS_TRAIN` images, ``'test'`` the rest.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        from sklearn.datasets import load_digits as sklearn_digits  # slow import, so only here
    except ImportError as exc:
        raise DatasetError(
            "digits: needs scikit-learn, which is not installed (pip install scikit-learn)"
        ) from exc
    bunch = sklearn_digits()
    part = slice(None, DIGITS_TRAIN) if split == "train" else slice(DIGITS_TRAIN, None)
    return bunch.images[part].astype(np.uint8), bunch.target[part].astype(np.int64)


def _split_indices(
    n: int, validation_size: int | float, seed: int | None
) -> tuple[slice | np.ndarray, slice | np.ndarray]:
    """Indices of the training and validation parts of ``n`` samples.

    Without ``seed`` the validation part is the last block (MNIST 50k/10k, as Nielsen splits
    it) and slices are returned, so no data is copied. With ``seed`` it is a random subset;
    both index arrays are sorted so each part keeps the original order.
    """
    count = round(validation_size * n) if isinstance(validation_size, float) else validation_size
    if not 0 <= count < n:
        raise ValueError(
            f"validation_size must be a count in [0, {n}) or a fraction in [0, 1), "
            f"got {validation_size!r}"
        )
    if seed is None:
        return slice(0, n - count), slice(n - count, n)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[count:]), np.sort(order[:count])


def train_val_split(
    x: np.ndarray, y: np.ndarray, validation_size: int | float, seed: int | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split ``(x, y)`` into ``((x_train, y_train), (x_val, y_val))``.

    ``validation_size`` is a count, or a fraction when a float. Without ``seed`` the last
    ``validation_size`` samples are held out; with it, a seeded random subset is.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
    train, validation = _split_indices(len(y), validation_size, seed)
    return (x[train], y[train]), (x[validation], y[validation])


def normalize(
    x: np.ndarray,
    method: str = "0-1",
    *,
    reference: np.ndarray | None = None,
    scale: float | None = 255.0,
    axis: int | None = None,
) -> tuple[np.ndarray, dict]:
    """Normalise ``x`` to float32; return it and a JSON-ready record of what was done.

    ``'0-1'`` divides by ``scale`` (the largest raw value); ``'standardize'`` also subtracts the
    mean and divides by the standard deviation of ``reference / scale`` (pass the training
    portion, so validation and test data never leak into the numbers; default ``x``), over all
    values (``axis=None``, images) or per feature (``axis=0``); ``'none'`` only converts.
    ``scale=None`` marks data without a natural maximum, for which ``'0-1'`` is refused.
    """
    if method not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {method!r}")
    if method == "none":
        return np.asarray(x, dtype=np.float32), {"method": "none"}
    if scale is None and method == "0-1":
        raise ValueError("'0-1' needs the largest raw value (scale); it is meant for image data")
    scale = 1.0 if scale is None else float(scale)
    scaled = np.asarray(x, dtype=np.float32) / np.float32(scale)
    if method == "0-1":
        return scaled, {"method": "0-1", "scale": scale}
    reference = x if reference is None else reference
    mean = np.mean(reference, axis=axis, dtype=np.float64) / scale
    std = np.std(reference, axis=axis, dtype=np.float64) / scale
    std = np.where(std > 0, std, 1.0)  # a constant feature is centred, not divided by zero
    out = ((scaled - mean.astype(np.float32)) / std.astype(np.float32)).astype(np.float32)
    return out, {
        "method": "standardize",
        "scale": scale,
        "mean": mean.tolist(),
        "std": std.tolist(),
    }


_normalize = normalize  # for load(), whose keyword ``normalize`` hides this function


def _raw(
    spec: DatasetSpec, part: str, data_dir, download: bool, options: dict
) -> tuple[np.ndarray, np.ndarray]:
    """The unnormalised ``'train'`` or ``'test'`` part of a dataset."""
    if spec.kind == "idx":
        return _load_idx(spec.name, part, data_dir, download)
    if spec.kind == "sklearn":
        return load_digits(part)
    # Train and test come from independent streams of the same seed.
    kwargs = {key: value for key, value in options.items() if key != "seed"}
    rng = np.random.default_rng([options.get("seed", 0), ("train", "test").index(part)])
    return GENERATORS[spec.name](**kwargs, seed=rng)


def load(
    name: str,
    split: str = "train",
    *,
    data_dir: str | Path | None = None,
    download: bool = False,
    validation_size: int | float = 0,
    split_seed: int | None = None,
    normalize: str | None = None,
    flatten: bool = False,
    **options,
) -> Dataset:
    """Load one split of dataset ``name`` as a :class:`Dataset`.

    ``split`` is ``'train'``, ``'validation'`` or ``'test'``; ``validation_size`` samples (count
    or fraction) are held out of the training set, the last ones or, with ``split_seed``, a
    seeded random subset: ``load('mnist', validation_size=10_000)`` is Nielsen's 50k/10k.
    ``normalize`` is ``'0-1'`` (default for images), ``'standardize'`` (statistics of the training
    portion only; MNIST gives mean 0.1307, std 0.3081) or ``'none'`` (default for synthetic sets).
    Images come as ``[n, 1, H, W]``, or ``[n, H*W]`` with ``flatten=True``. Synthetic sets
    (``'spirals'``, ``'xor'``) take their generator's keyword ``options`` and ``seed`` (default 0).
    """
    spec = get_spec(name)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if options and spec.kind != "synthetic":
        raise TypeError(f"{spec.name} takes no options, got {sorted(options)}")
    method = normalize or ("none" if spec.kind == "synthetic" else "0-1")
    x = y = reference = None
    if split != "test" or method == "standardize":
        train_x, train_y = _raw(spec, "train", data_dir, download, options)
        train, validation = _split_indices(len(train_y), validation_size, split_seed)
        reference = train_x[train] if method == "standardize" else None
        if split != "test":
            part = train if split == "train" else validation
            x, y = train_x[part], train_y[part]
    if split == "test":
        x, y = _raw(spec, "test", data_dir, download, options)
    if len(y) == 0:
        raise ValueError(
            f"split {split!r} is empty: set validation_size > 0 to hold out a validation set"
        )
    axis = None if x.ndim > 2 else 0  # one statistic for image pixels, one per feature otherwise
    x, record = _normalize(x, method, reference=reference, scale=spec.pixel_max, axis=axis)
    if x.ndim == 3:
        x = x.reshape(len(x), -1) if flatten else x[:, None]
    return Dataset(x, y, list(spec.classes), spec.name, x.shape[1:], split, record)

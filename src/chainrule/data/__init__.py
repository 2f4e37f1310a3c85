"""chainrule.data: datasets for the labs, verified, found offline, and batched reproducibly.

MNIST and Fashion-MNIST are read from IDX files checked against the MD5 table of the canonical
files; see :mod:`chainrule.data.sources` for where they are looked for and how :func:`fetch`
gets them. scikit-learn's 8x8 digits, Nielsen's ``mnist.pkl.gz`` and two synthetic sets
(spirals, XOR) complete the catalogue. Credit: MNIST by Y. LeCun, C. Cortes and C. Burges
(CC BY-SA 3.0); Fashion-MNIST by Zalando Research (MIT).
"""

from .catalog import CATALOG, DatasetSpec
from .datasets import (
    Dataset,
    load,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    normalize,
    train_val_split,
)
from .errors import DatasetError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx, read_idx_pair, write_idx
from .loader import DataLoader
from .nielsen import load_nielsen_pickle, nielsen_to_idx
from .sources import DatasetInfo, Location, cache_dir, fetch, list_datasets, locate
from .synthetic import two_spirals, xor

__all__ = [
    "CATALOG",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "DataLoader",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "DatasetSpec",
    "Location",
    "cache_dir",
    "fetch",
    "list_datasets",
    "load",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_nielsen_pickle",
    "locate",
    "nielsen_to_idx",
    "normalize",
    "read_idx",
    "read_idx_pair",
    "train_val_split",
    "two_spirals",
    "write_idx",
    "xor",
]

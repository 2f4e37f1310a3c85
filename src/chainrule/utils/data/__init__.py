"""``torch.utils.data``: datasets, samplers, collation and the ``DataLoader`` that ties them.

A *map-style* dataset has ``__getitem__`` (and usually ``__len__``); an
:class:`IterableDataset` is a stream. A sampler yields the indices to read, a
:class:`BatchSampler` groups them, ``collate_fn`` turns a list of samples into a batch of
tensors, and :class:`DataLoader` runs the three, in this process. Random choices (shuffling,
``random_split``) come from a ``chainrule.random.Generator`` when one is passed, else from the
global generator: reproducible under ``chainrule.manual_seed``, but not PyTorch's numbers.

``chainrule.data.DataLoader`` is a different, array-based loader; this one takes datasets.
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info", "random_split",
]

"""``DataLoader``: batches from a dataset, as ``torch.utils.data.DataLoader`` gives them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def get_worker_info():
    """``None``: the data is always loaded in the calling process (see :class:`DataLoader`)."""
    return None


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the indices for an :class:`IterableDataset`, which ignores them."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples, each batch made by
    ``collate_fn`` (:func:`default_collate`: a dataset of ``(image, label)`` samples gives
    ``[images, labels]``, the samples stacked along a new first dimension).

    The indices come from ``sampler`` (default: in order, or a new random permutation each
    epoch with ``shuffle=True``, drawn from ``generator`` — a ``chainrule.random.Generator`` — or
    else from the global generator), grouped by ``batch_sampler`` (default: ``batch_size`` at a
    time, a shorter last batch dropped with ``drop_last``). ``batch_size=None`` turns batching
    off: each sample comes alone, through :func:`default_convert`. An :class:`IterableDataset`
    is read in its own order and takes no shuffle, sampler or batch sampler.

    Everything runs in the calling process: ``num_workers > 0`` is accepted, and checked as
    PyTorch checks it, but starts no workers (so ``worker_init_fn`` is never called and
    :func:`get_worker_info` is ``None``, as with ``num_workers=0``); ``timeout``,
    ``prefetch_factor``, ``persistent_workers`` and ``multiprocessing_context`` then have nothing
    to act on, and ``pin_memory`` neither, the data living in host memory already.
    """

    _initialized = False

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.num_workers, self.prefetch_factor = num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device, self.timeout = pin_memory, pin_memory_device, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self._initialized = True

    def __setattr__(self, attr, value) -> None:
        # These were used to build the samplers: changing one afterwards would do nothing.
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _index_sampler(self):
        """What iteration walks: lists of indices, or single indices when batching is off."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def __len__(self) -> int:
        """Batches per epoch; for an IterableDataset, from its ``__len__`` (if it has one)."""
        if not self._iterable:
            return len(self._index_sampler)
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator:
        fetch = self._fetcher()
        for index in self._index_sampler:
            try:
                data = fetch(index)
            except StopIteration:  # an IterableDataset has run out
                return
            yield self.collate_fn(data)

    def _fetcher(self) -> Callable:
        """A function from what the index sampler yields to the samples to collate."""
        dataset, batched = self.dataset, self.batch_sampler is not None
        if not self._iterable:
            if not batched:
                return dataset.__getitem__
            getitems = getattr(dataset, "__getitems__", None)
            return getitems if callable(getitems) else (lambda indices: [dataset[i] for i in indices])
        stream = iter(dataset)
        if not batched:
            return lambda _: next(stream)

        def take(indices: list) -> list:
            samples = list(itertools.islice(stream, len(indices)))
            if not samples or (self.drop_last and len(samples) < len(indices)):
                raise StopIteration
            return samples

        return take


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context) -> None:
    """The worker options' checks, PyTorch's, though no worker is started."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                         "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading "
                         f"(num_workers > 0), but got num_workers={num_workers}")


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    if shuffle not in {False, None}:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                         f"but got batch_sampler={batch_sampler}")

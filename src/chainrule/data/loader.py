"""Mini-batch iteration over NumPy arrays, reproducible and resumable."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator

import numpy as np


class DataLoader:
    """Iterate over ``(xb, yb)`` mini-batches of the arrays ``x`` and ``y``; one pass = one epoch.

    With ``shuffle=True`` each epoch visits the samples in a new random order drawn from the
    loader's own :class:`numpy.random.Generator` seeded with ``seed``, so the order of every
    epoch is the same from run to run and no global random state is touched. ``drop_last``
    drops a final batch smaller than ``batch_size``. Every batch is a fresh array, as PyTorch's
    are: changing one in place (augmenting it, say) leaves the dataset as it was.

    :meth:`state_dict` captures the position (epoch, batches already given out) and the random
    state; :meth:`load_state_dict` on a loader over the same data makes its next pass continue
    exactly there, so a training run can be resumed from a checkpoint. Run one pass at a time:
    a new ``iter()`` starts a new epoch and counts an unfinished one as done.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self.x, self.y = np.asarray(x), np.asarray(y)
        if len(self.x) != len(self.y):
            raise ValueError(f"x and y differ in length: {len(self.x)} vs {len(self.y)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size, self.shuffle, self.drop_last = (
            int(batch_size),
            bool(shuffle),
            bool(drop_last),
        )
        if len(self) == 0:
            raise ValueError(
                f"no batches: {len(self.y)} samples, batch_size {batch_size}, drop_last={drop_last}"
            )
        self._rng = np.random.default_rng(seed)
        self._epoch = 0  # epochs completed
        self._batch = 0  # batches given out in the current epoch
        self._epoch_state = self._rng.bit_generator.state  # random state when the epoch began
        self._resume = False  # the next pass continues a restored epoch

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.y)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def epoch(self) -> int:
        """Number of epochs completed."""
        return self._epoch

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self._resume:
            self._resume = False
        else:
            if self._batch:  # an abandoned pass still used up its order
                self._epoch += 1
            self._batch = 0
            self._epoch_state = self._rng.bit_generator.state
        # A resumed epoch draws its order again from the restored state: the same permutation.
        order = self._rng.permutation(len(self.y)) if self.shuffle else None
        return self._batches(order, self._batch)

    def _batches(
        self, order: np.ndarray | None, start: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for b in range(start, len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, len(self.y))
            index = slice(lo, hi) if order is None else order[lo:hi]
            # State is updated before the yield, so a checkpoint taken inside the loop body
            # counts the batch being processed as given out.
            self._batch = b + 1
            if self._batch == len(self):
                self._end_epoch()
            yield self.x[index].copy(), self.y[index].copy()  # a slice would be a view of the data

    def _end_epoch(self) -> None:
        self._epoch += 1
        self._batch = 0
        self._epoch_state = self._rng.bit_generator.state

    def state_dict(self) -> dict:
        """The loader's position and random state, as JSON-serialisable data."""
        return {
            "epoch": self._epoch,
            "batch": self._batch,
            "rng": copy.deepcopy(self._epoch_state),
            "num_samples": len(self.y),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`; the next pass continues where the saved loader was."""
        mine = self.state_dict()
        for key in ("num_samples", "batch_size", "shuffle", "drop_last"):
            if state[key] != mine[key]:
                raise ValueError(
                    f"state is for a loader with {key}={state[key]!r}, this one has {mine[key]!r}"
                )
        self._rng.bit_generator.state = copy.deepcopy(state["rng"])
        self._epoch, self._batch = int(state["epoch"]), int(state["batch"])
        self._epoch_state = copy.deepcopy(state["rng"])
        self._resume = True

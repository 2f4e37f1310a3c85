"""Small seeded 2-D classification sets: two spirals and XOR.

Both return ``(x float32 [n, 2], y int64 [n])`` in random order, and take ``seed`` as an int,
``None`` (fresh entropy) or a :class:`numpy.random.Generator`; the same seed gives the same data.
"""

from __future__ import annotations

import numpy as np


def _split_counts(n_samples: int, n_classes: int) -> list[int]:
    """Class sizes as even as possible, summing to ``n_samples``."""
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be at least {n_classes}, got {n_samples}")
    return [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]


def _shuffled(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int64)


def two_spirals(
    n_samples: int = 400,
    *,
    noise: float = 0.05,
    turns: float = 1.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, one per class, within the unit disc.

    Each spiral winds ``turns`` times; the second is the first turned by half a revolution.
    Angles are drawn as ``sqrt(u)`` of the full sweep so points spread evenly along the arc
    rather than crowding the centre. ``noise`` is the standard deviation of Gaussian jitter.
    """
    rng = np.random.default_rng(seed)
    sweep = 2 * np.pi * turns
    xs, ys = [], []
    for label, count in enumerate(_split_counts(n_samples, 2)):
        angle = np.sqrt(rng.random(count)) * sweep
        radius = angle / sweep
        points = np.stack([np.cos(angle + label * np.pi), np.sin(angle + label * np.pi)], axis=1)
        xs.append(radius[:, None] * points + noise * rng.standard_normal((count, 2)))
        ys.append(np.full(count, label))
    return _shuffled(np.concatenate(xs), np.concatenate(ys), rng)


def xor(
    n_samples: int = 400,
    *,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in ``[-1, 1]^2``, label 1 where the two coordinates differ in sign.

    The labels come from the clean points; ``noise`` (Gaussian standard deviation) then jitters
    them, so a non-zero noise blurs the class border the way measurement noise would.
    """
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    labels = (clean[:, 0] > 0) != (clean[:, 1] > 0)
    x = clean + noise * rng.standard_normal(clean.shape)
    return x.astype(np.float32), labels.astype(np.int64)


GENERATORS = {"spirals": two_spirals, "xor": xor}
"""The generator of each synthetic dataset in the catalogue, by name."""

"""The global random number generator behind ``randn``, initialisation and dropout.

One NumPy ``Generator`` serves the whole library, so ``manual_seed(n)`` makes a
run reproducible, and its state can be saved in a checkpoint and restored.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (like ``torch.manual_seed``) and return it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The global generator (draw from it, do not keep it: manual_seed replaces it)."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state as plain JSON-serialisable data."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state

"""The global random number generator behind ``randn``, initialisation and dropout.

One NumPy ``Generator`` serves the whole library, so ``manual_seed(n)`` makes a
run reproducible, and its state can be saved in a checkpoint and restored.
"""

from __future__ import annotations

import math

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


def keep_mask(shape, p: float) -> np.ndarray:
    """A boolean array, each element True with probability 1 − p: exactly
    ``generator().random(shape, dtype=np.float32) >= np.float32(p)``, and leaving the
    generator where that call would, in about 0.6 of the time.

    NumPy's float32 uniform is u = (w >> 8) / 2²⁴ for the generator's next 32-bit word w,
    so u >= p exactly when w >= ⌈p·2²⁴⌉·2⁸: the comparison needs the words, not the
    floats. The words are the halves of the generator's raw 64-bit draws, low half
    first, and a half left over is kept in the bit generator's state (``has_uint32``,
    ``uinteger``) for the next 32-bit draw, as NumPy does. Unlike NumPy's own draw, the
    reading and writing of that state is not one locked step: do not draw from the global
    generator in two threads at once.
    """
    count = int(np.prod(shape))
    threshold = math.ceil(float(np.float32(p)) * 2**24) << 8
    if threshold > 0xFFFF_FFFF:  # p ≥ 1 − 2⁻²⁵ rounds to 1 in float32: nothing is kept
        _generator.random(count, dtype=np.float32)
        return np.zeros(shape, dtype=bool)
    return (_uint32_words(count) >= threshold).reshape(shape)


def _uint32_words(count: int) -> np.ndarray:
    """The global generator's next ``count`` 32-bit words, as its float32 draws use them."""
    if count == 0:
        return np.empty(0, dtype="<u4")
    bits = _generator.bit_generator
    state = bits.state
    buffered = state["has_uint32"]
    pairs, odd = divmod(count - buffered, 2)
    raw = bits.random_raw(pairs + odd).astype("<u8", copy=False).view("<u4")  # low half first
    words = np.concatenate([np.array([state["uinteger"]], dtype="<u4"), raw]) if buffered else raw
    # The state NumPy would leave: the last raw draw's high half in the buffer, marked
    # unused if that draw's low half was the last word taken.
    state = bits.state
    state["has_uint32"] = odd
    if len(raw):
        state["uinteger"] = int(raw[-1])
    bits.state = state
    return words[:count]


class Generator:
    """A generator of its own, as ``torch.Generator``: pass it as ``generator=`` to a
    ``DataLoader``, ``random_split``, ``randperm`` or ``normal_`` to draw from it and leave the
    global one alone. Its numbers are NumPy's, not PyTorch's: one seed gives a reproducible
    sequence here, not the sequence PyTorch would give.
    """

    default_seed = 67280421310721  # torch.Generator().initial_seed()

    def __init__(self, device="cpu") -> None:
        self.device = device
        self.manual_seed(self.default_seed)

    def manual_seed(self, seed: int) -> "Generator":
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed expects an integer, got {seed!r}")
        self._seed = int(seed) % 2**64  # torch takes negative seeds modulo 2**64 too
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.rng.bit_generator.state = state
        return self

"""Arrays allocated in another array's memory order.

A tensor's shape says nothing about the order of its elements in memory: a
convolution's output, for one, is batch-last in memory under its [N, C, H, W] shape
(see :mod:`.conv`). NumPy's elementwise operations keep their input's order by
themselves (``order='K'``); an op that allocates an array of a *different* shape
(a padded image, a random mask drawn element by element) uses these helpers to do
the same, so that the next op reads memory in runs rather than at a stride.
"""

from __future__ import annotations

import numpy as np


def memory_order(a: np.ndarray) -> tuple[int, ...]:
    """``a``'s axes from the slowest-varying in memory to the fastest."""
    return tuple(sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis])))


def in_order_of(a: np.ndarray, shape, make) -> np.ndarray:
    """``make(permuted_shape)`` seen as an array of ``shape`` laid out in ``a``'s axis order.

    ``make`` gets the shape with ``a``'s axes in memory order and returns a C-ordered
    array of it (``np.zeros``, a random generator, …).
    """
    order = memory_order(a)
    return make(tuple(shape[axis] for axis in order)).transpose(np.argsort(order))


def matching(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b`` (of ``a``'s shape) in ``a``'s memory order: ``b`` itself where the orders
    agree, else one copy, so that the work that follows reads both in the same order."""
    if _moving_axes(b) == _moving_axes(a):
        return b
    out = np.empty_like(a, dtype=b.dtype)  # order='K': a's axis order, compact
    out[...] = b
    return out


def _moving_axes(a: np.ndarray) -> tuple[int, ...]:
    """The memory order of the axes longer than 1 (an axis of length 1 has any stride)."""
    return tuple(axis for axis in memory_order(a) if a.shape[axis] > 1)


def padded(a: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """``a`` [N, C, H, W] with ``padding`` rows and columns of ``value`` on each side,
    in ``a``'s memory order."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return a
    n, c, h, w = a.shape
    out = in_order_of(a, (n, c, h + 2 * ph, w + 2 * pw), lambda shape: np.full(shape, value, a.dtype))
    out[:, :, ph:ph + h, pw:pw + w] = a
    return out

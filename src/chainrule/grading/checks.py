"""Comparing what a submission returned with what the reference computed, in sentences.

Each ``expect_*`` returns quietly when the value is right and raises :class:`~.assignment.Fault`
naming the value, the shape or the first wrong entry otherwise.
"""

from __future__ import annotations

import numpy as np

from .assignment import Fault
from ._child import Handle

RTOL, ATOL = 1e-6, 1e-8


def as_array(what: str, value) -> np.ndarray:
    """``value`` as a float array, or a Fault that says what came back instead."""
    if isinstance(value, Handle):
        raise Fault(f"{what}: returned a {value.type}, expected a NumPy array")
    if value is None:
        raise Fault(f"{what}: returned None, expected a NumPy array (a missing return?)")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Fault(f"{what}: returned {type(value).__name__} {str(value)[:60]!r}, expected numbers") from None
    return array


def expect_array(what: str, got, expected, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """``got`` equals ``expected`` in shape and, to ``rtol``/``atol``, in value (NaN where the
    reference has NaN)."""
    expected = np.asarray(expected, dtype=float)
    got = as_array(what, got)
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            hint = " (transposed?)"
        elif got.size == expected.size:
            hint = " (same entries, another shape: a reshape or a missing keepdims?)"
        raise Fault(f"{what}: shape {got.shape}, expected {expected.shape}{hint}",
                    tags=("transposed",) if "transposed" in hint else ("shape",))
    if not np.all(np.isfinite(got) | ~np.isfinite(expected)):
        bad = np.argwhere(~np.isfinite(got) & np.isfinite(expected))[0]
        raise Fault(f"{what}: {got[tuple(bad)]} at {tuple(int(i) for i in bad)}, expected "
                    f"{expected[tuple(bad)]:.6g} (an overflow or a division by zero?)", tags=("nonfinite",))
    close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all() and got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, expected, rtol, atol):
        raise Fault(f"{what}: the transpose of the expected {expected.shape} matrix (transposed?)", tags=("transposed",))
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        where = f" at {index}" if got.ndim else ""
        raise Fault(f"{what}: {got[index] if got.ndim else float(got):.6g}{where}, expected "
                    f"{expected[index] if expected.ndim else float(expected):.6g} "
                    f"({int((~close).sum())} of {close.size} entries differ)", tags=("value",))
    return got


def expect_number(what: str, got, expected: float, rtol: float = RTOL, atol: float = ATOL) -> float:
    value = as_array(what, got)
    if value.size != 1:
        raise Fault(f"{what}: returned an array of shape {value.shape}, expected one number")
    expect_array(what, value.reshape(()), np.asarray(expected, dtype=float), rtol, atol)
    return float(value.reshape(()))


def expect_sequence(what: str, got, length: int) -> list:
    """``got`` is a list or tuple of ``length`` items."""
    if isinstance(got, np.ndarray) and got.ndim >= 1:
        got = list(got)
    if not isinstance(got, (list, tuple)):
        raise Fault(f"{what}: returned {type(got).__name__}, expected a list of {length}")
    if len(got) != length:
        raise Fault(f"{what}: {len(got)} items, expected {length}", tags=("length",))
    return list(got)

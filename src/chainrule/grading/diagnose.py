"""Recognising a fault from the numbers: which known mistake a wrong answer matches, and what
the ratio of a wrong array to the right one says (a flipped sign, a factor 2, the batch size)."""

from __future__ import annotations

import numpy as np


def _array(value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def same(got, expected, rtol: float = 1e-5, atol: float = 1e-9) -> bool:
    """Whether ``got`` equals ``expected``: arrays, or lists of arrays layer by layer."""
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(same(g, e, rtol, atol) for g, e in zip(got, expected)))
    got = _array(got)
    return got is not None and got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol, atol))


def matching_fault(got, candidates: dict) -> str | None:
    """The name of the first candidate (a faulty computation's result) that ``got`` equals."""
    for name, value in candidates.items():
        if value is not None and same(got, value):
            return name
    return None


def describe_ratio(got, expected, batch: int | None = None) -> str:
    """A sentence when ``got`` is ``expected`` times one constant (−1, 2, ½, the batch size or
    its inverse), "" otherwise."""
    got, expected = _array(got), _array(expected)
    if got is None or expected is None or got.shape != expected.shape:
        return ""
    mask = np.abs(expected) > 1e-12
    if not mask.any():
        return ""
    ratios = got[mask] / expected[mask]
    ratio = float(np.median(ratios))
    if not np.allclose(ratios, ratio, rtol=1e-5):
        return ""
    named = {-1.0: "the sign is flipped", 2.0: "twice the right value (a lost ½?)",
             0.5: "half the right value (an extra ½?)"}
    if batch and batch > 1:
        named[float(batch)] = f"{batch} times the right value: the sum where the mean over the {batch} samples belongs"
        named[1.0 / batch] = f"1/{batch} of the right value: the mean where the sum belongs"
    for value, sentence in named.items():
        if np.isclose(ratio, value, rtol=1e-6):
            return sentence
    return f"every entry is {ratio:.4g} times the right value"

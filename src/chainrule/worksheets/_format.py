"""Number and matrix formatting shared by the worksheets."""

from __future__ import annotations

import numpy as np


def num(value) -> str:
    """A number as a person would write it: integers without a decimal point, others to 6
    significant digits; -0 is written 0."""
    value = float(value)
    if value == 0:
        return "0"
    if np.isfinite(value) and value == round(value) and abs(value) < 1e15:
        return str(int(round(value)))
    return f"{value:.6g}"


def paren(value) -> str:
    """A number in parentheses when negative, for use inside a product."""
    text = num(value)
    return f"({text})" if text.startswith("-") else text


def matrix_lines(array) -> list[str]:
    """An array (scalar, vector or matrix) as aligned text rows in brackets."""
    a = np.asarray(array, dtype=float)
    if a.ndim == 0:
        return [num(a)]
    if a.ndim == 1:
        a = a[None, :]
    cells = [[num(v) for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    rows = ["  ".join(c.rjust(width) for c in row) for row in cells]
    if len(rows) == 1:
        return [f"[ {rows[0]} ]"]
    out = []
    for i, row in enumerate(rows):
        left, right = ("⎡", "⎤") if i == 0 else ("⎣", "⎦") if i == len(rows) - 1 else ("⎢", "⎥")
        out.append(f"{left} {row} {right}")
    return out


def latex_matrix(array) -> str:
    a = np.asarray(array, dtype=float)
    if a.ndim == 0:
        return num(a)
    if a.ndim == 1:
        a = a[None, :]
    body = r" \\ ".join(" & ".join(num(v) for v in row) for row in a)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def parse_matrix(text: str) -> np.ndarray:
    """``"1 2 3; 4 5 6"`` (rows split by ';' or '/', entries by spaces or commas) as a 2-D array."""
    rows = [r for r in text.replace("/", ";").split(";") if r.strip()]
    try:
        data = [[float(v) for v in r.replace(",", " ").split()] for r in rows]
    except ValueError:
        raise ValueError(f"{text!r} is not a matrix like '1 2 3; 4 5 6'") from None
    if not data or any(len(r) != len(data[0]) for r in data) or not data[0]:
        raise ValueError(f"{text!r}: every row of a matrix needs the same number of entries")
    return np.array(data, dtype=float)

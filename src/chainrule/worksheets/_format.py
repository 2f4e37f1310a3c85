"""Number and matrix formatting shared by the worksheets."""

from __future__ import annotations

import re

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


# ------------------------------------------------------------ LaTeX text of the A3 / A4 worksheets
_TEX_MATH = (("ŷ", "y\u0302"), ("∂", r"\partial "), ("σ", r"\sigma "), ("λ", r"\lambda "), ("ε", r"\varepsilon "),
             ("Σ", r"\sum "), ("⊙", r"\odot "), ("ᵀ", r"^\top "), ("−", "-"), ("·", r"\cdot "),
             ("½", r"\tfrac12 "), ("²", "^2"), ("→", r"\to "), ("×", r"\times "), ("||", r"\| "),
             ("diag(", r"\operatorname{diag}("), ("softmax(", r"\operatorname{softmax}("), ("log ", r"\log "),
             (".*", r"\mathbin{.*}"), ("_(", "_{("), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"))
_TEX_NAME = re.compile("([A-Za-z])(\\d*)(\u0302?)(\u0304?)")


def tex_math(text: str) -> str:
    """A worksheet formula (``x̄ = W1ᵀ z̄ + ŷ̄``) as LaTeX math: ``\\bar{x} = W_{1}^\\top \\bar{z} + …``."""
    text = text.replace("ŷ", "y\u0302").replace("ā", "a\u0304").replace("  ", "\1")

    def name(m):
        out = m.group(1)
        if m.group(3):
            out = rf"\hat{{{out}}}"
        if m.group(2):
            out += f"_{{{m.group(2)}}}"
        return rf"\bar{{{out}}}" if m.group(4) else out
    text = _TEX_NAME.sub(name, text)
    for a, b in _TEX_MATH:
        text = text.replace(a, b)
    if "_{(" in text:  # close the subscript opened for n_(l−1)
        text = re.sub(r"_\{(\([^()]*\))", r"_{\1}", text)
    return text.replace("\1", r" \quad ")


def tex_text(text: str) -> str:
    """A sentence for LaTeX's text mode: words with symbols (``ŷ``, ``W1ᵀ``, ``||W||²``) go into
    ``$…$`` through :func:`tex_math`, the rest has LaTeX's special characters escaped."""
    out = []
    for word in text.split(" "):
        if word == "—":
            out.append("---")
        elif any(ord(c) > 127 for c in word) or any(c in word for c in "_^|<>"):
            out.append(f"${tex_math(word)}$")
        else:
            for a, b in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("%", r"\%"), ("&", r"\&"),
                         ("#", r"\#"), ("$", r"\$"), ("~", r"\~{}")):
                word = word.replace(a, b)
            out.append(word)
    return " ".join(out)

"""Activations with an explicit derivative convention at the kink, as autograd Functions.

The engine's own activations follow PyTorch (relu'(0) = 0); a worksheet states its convention
(A1 fixes ReLU'(0) = 1), so it runs its activations through :class:`ConventionActivation`,
whose backward rule uses the value the worksheet chose at z = 0.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

KINDS = ("linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "step")

DEFAULT_AT_ZERO = {"linear": 1.0, "relu": 0.0, "leaky_relu": 1.0, "elu": 1.0, "step": 0.0}
"""f'(0) when a worksheet does not choose: PyTorch's relu'(0) = 0; the left/right limits A5
writes for leaky ReLU and ELU (z if z >= 0) give 1; the step's derivative is 0 wherever it exists."""


class ConventionActivation(Function):
    """f(z) for the activation ``kind``; f'(0) = ``at_zero`` at the kink (smooth ones ignore it)."""

    def forward(self, z, kind="relu", at_zero=None, alpha=0.01):
        if kind not in KINDS:
            raise ValueError(f"unknown activation {kind!r}; choose one of: {', '.join(KINDS)}")
        at0 = DEFAULT_AT_ZERO.get(kind, 0.0) if at_zero is None else float(at_zero)
        pos, zero = z > 0, z == 0
        if kind == "linear":
            out, d = z.copy(), np.ones_like(z)
        elif kind == "relu":
            out = np.where(pos, z, 0.0).astype(z.dtype)
            d = np.where(pos, 1.0, 0.0)
        elif kind == "leaky_relu":
            out = np.where(z >= 0, z, alpha * z).astype(z.dtype)
            d = np.where(pos, 1.0, alpha)
        elif kind == "elu":
            e = np.expm1(np.minimum(z, 0))
            out = np.where(z >= 0, z, alpha * e).astype(z.dtype)
            d = np.where(pos, 1.0, alpha * np.exp(np.minimum(z, 0)))
        elif kind == "sigmoid":
            out = 1 / (1 + np.exp(-z))
            d = out * (1 - out)
        elif kind == "tanh":
            out = np.tanh(z)
            d = 1 - out * out
        else:  # step
            out = (z >= 0).astype(z.dtype)
            d = np.zeros_like(z)
        if kind in DEFAULT_AT_ZERO:
            d = np.where(zero, at0, d)
        self.d = np.asarray(d, dtype=z.dtype)
        return np.asarray(out, dtype=z.dtype)

    def backward(self, grad):
        return grad * self.d


def activate(z: Tensor, kind: str, at_zero=None, alpha: float = 0.01) -> Tensor:
    return ConventionActivation.apply(z, kind=kind, at_zero=at_zero, alpha=alpha)


def derivative(z, kind: str, at_zero=None, alpha: float = 0.01) -> np.ndarray:
    """f'(z) elementwise, by autograd: backward of f(z).sum() from a leaf z."""
    leaf = Tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    activate(leaf, kind, at_zero, alpha).sum().backward()
    return leaf.grad.numpy()


def convention(kind: str, at_zero=None, alpha: float = 0.01) -> str:
    """The convention at 0 in words, e.g. ``relu'(0) = 1``."""
    if kind in ("sigmoid", "tanh"):
        return f"{kind} is smooth"
    at0 = DEFAULT_AT_ZERO[kind] if at_zero is None else float(at_zero)
    from ._format import num

    extra = f", α = {num(alpha)}" if kind in ("leaky_relu", "elu") else ""
    return f"{kind}'(0) = {num(at0)}{extra}"

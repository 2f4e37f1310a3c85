"""Activation functions and (log-)softmax.

Derivatives at the kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope,
elu'(0) = alpha, step' = 0 everywhere.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .shape import wrap_dim


class Sigmoid(Function):
    """σ(x) = 1/(1 + e⁻ˣ),  σ' = σ(1 − σ)."""

    promotes = slice(None)

    def forward(self, x):
        # e⁻ˣ overflows to inf for x < −88 (float32), giving exactly 0: the right limit.
        with np.errstate(over="ignore"):
            out = np.exp(-x)
        if type(out) is not np.ndarray:  # a 0-d x gives a NumPy scalar, which has no out=
            out = np.array(out)
        out += 1
        np.reciprocal(out, out=out)
        self.out = out
        return out

    def backward(self, grad):
        out = self.out
        return grad * out * (1 - out)


class Tanh(Function):
    """tanh' = 1 − tanh²."""

    promotes = slice(None)

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class ReLU(Function):
    """max(0, x); derivative 1 for x > 0, else 0."""

    def forward(self, x):
        self.mask = x > 0
        # Not x * mask: that makes relu(-inf) = -inf · 0 = nan. A zero of x's own dtype
        # keeps np.maximum on its fast loop.
        return np.maximum(x, x.dtype.type(0))

    def backward(self, grad):
        return grad * self.mask


class LeakyReLU(Function):
    """x for x > 0 else slope·x."""

    def forward(self, x, negative_slope=0.01):
        self.scale = np.where(x > 0, 1, negative_slope).astype(x.dtype)
        return x * self.scale

    def backward(self, grad):
        return grad * self.scale


class ELU(Function):
    """x for x > 0 else α(eˣ − 1); derivative α·eˣ for x <= 0."""

    def forward(self, x, alpha=1.0):
        self.positive = x > 0
        self.neg_slope = alpha * np.exp(np.minimum(x, 0))
        # expm1, not eˣ − 1: the subtraction loses most digits of small negative x in float32.
        return np.where(self.positive, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, grad):
        return grad * np.where(self.positive, 1, self.neg_slope).astype(grad.dtype)


class Step(Function):
    """Hard threshold: 1 for x >= 0 else 0. Its derivative is 0 wherever it exists."""

    def forward(self, x):
        return (x >= 0).astype(x.dtype)

    def backward(self, grad):
        return np.zeros_like(grad)


def _softmax_axis(op: str, dim, x) -> int | None:
    """``dim`` checked; None (all of it) for a 0-d ``x``, whose softmax over dim 0 is 1 in PyTorch."""
    axis = wrap_dim(op, dim, x.shape)
    return axis if x.ndim else None


class Softmax(Function):
    """s = e^(x − max) / Σ e^(x − max);  ∂L/∂x = s ⊙ (g − Σ g ⊙ s)."""

    def forward(self, x, dim):
        self.dim = dim = _softmax_axis("softmax", dim, x)
        shifted = np.exp(x - x.max(axis=dim, keepdims=True))
        self.out = shifted / shifted.sum(axis=dim, keepdims=True)
        return self.out

    def backward(self, grad):
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    """x − max − log Σ e^(x − max) (stable);  ∂L/∂x = g − softmax · Σ g."""

    def forward(self, x, dim):
        self.dim = dim = _softmax_axis("log_softmax", dim, x)
        shifted = x - x.max(axis=dim, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        return self.out

    def backward(self, grad):
        return grad - np.exp(self.out) * grad.sum(axis=self.dim, keepdims=True)

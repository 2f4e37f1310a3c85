"""Activation functions and (log-)softmax.

Derivatives at the kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope,
elu'(0) = alpha, step' = 0 everywhere, hardtanh' = 0 at both ends of its range.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from .elementwise import _erf
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


def _sigmoid(x):
    """σ(x) without overflow warnings: e⁻ˣ = inf for very negative x gives exactly 0."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


class GELU(Function):
    """x·Φ(x), Φ the standard normal CDF: Φ(x) = ½(1 + erf(x/√2)),  GELU' = Φ(x) + x·φ(x).

    ``approximate='tanh'``: ½x(1 + tanh u) with u = √(2/π)(x + 0.044715x³), whose derivative
    is ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²).
    """

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.tanh = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.tanh)
        self.cdf = (0.5 * (1 + _erf(x * math.sqrt(0.5)))).astype(x.dtype)
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            t = self.tanh
            du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (self.cdf + x * pdf)


class SiLU(Function):
    """x·σ(x) (swish);  SiLU' = σ(x)(1 + x(1 − σ(x)))."""

    def forward(self, x):
        self.x, self.sig = x, _sigmoid(x)
        return x * self.sig

    def backward(self, grad):
        s = self.sig
        return grad * (s * (1 + self.x * (1 - s)))


class Softplus(Function):
    """(1/β)·log(1 + e^(βx)), and x itself where βx > threshold (PyTorch's switch to the
    identity, where the two agree to float precision);  softplus' = σ(βx), or 1 past the threshold."""

    def forward(self, x, beta=1.0, threshold=20.0):
        bx = beta * x
        self.linear, self.bx = bx > threshold, bx
        # log1p(e^(βx)) overflows to inf only where the identity branch is taken anyway.
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(bx)) / beta
        return np.where(self.linear, x, soft).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * np.where(self.linear, 1, _sigmoid(self.bx)).astype(grad.dtype, copy=False)


class Hardtanh(Function):
    """x clipped to [min_val, max_val]; derivative 1 strictly inside, 0 outside and at the
    ends (PyTorch's choice). ReLU6 is hardtanh(x, 0, 6)."""

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = (x > min_val) & (x < max_val)
        return np.clip(x, x.dtype.type(min_val), x.dtype.type(max_val))

    def backward(self, grad):
        return grad * self.inside


class Mish(Function):
    """x·tanh(softplus(x));  Mish' = tanh(sp) + x·σ(x)·(1 − tanh²(sp))."""

    def forward(self, x):
        with np.errstate(over="ignore"):
            self.tanh_sp = np.tanh(np.log1p(np.exp(x)))  # log1p(inf) = inf, tanh(inf) = 1: the limit
        self.x = x
        return x * self.tanh_sp

    def backward(self, grad):
        t = self.tanh_sp
        return grad * (t + self.x * _sigmoid(self.x) * (1 - t * t))


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

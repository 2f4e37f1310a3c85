"""Elementwise maths: each output element depends on one input element, so each
backward rule is the local derivative times the incoming gradient."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Exp(Function):
    """d eˣ/dx = eˣ (the saved output)."""

    promotes = slice(None)

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    """d ln x/dx = 1/x."""

    promotes = slice(None)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / self.x


class Log1p(Function):
    """d ln(1 + x)/dx = 1/(1 + x); exact for tiny x, where 1 + x would round to 1."""

    promotes = slice(None)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (1 + self.x)


class Expm1(Function):
    """d (eˣ − 1)/dx = eˣ = out + 1; exact for tiny x."""

    promotes = slice(None)

    def forward(self, x):
        self.out = np.expm1(x)
        return self.out

    def backward(self, grad):
        return grad * (self.out + 1)


class Sqrt(Function):
    """d √x/dx = 1/(2√x)."""

    promotes = slice(None)

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore"):
            return grad / (2 * self.out)


class Abs(Function):
    """d|x|/dx = sign(x), 0 at 0 (as PyTorch)."""

    def forward(self, x):
        self.sign = (x > 0).astype(x.dtype) - (x < 0)  # not np.sign: PyTorch's sign of NaN is 0 here
        return np.abs(x)

    def backward(self, grad):
        return grad * self.sign


class Clip(Function):
    """Clamp into [min, max] (numbers or tensors); the gradient passes where min <= x <= max
    (bounds included, as PyTorch)."""

    def forward(self, x, min=None, max=None):
        min, max = _plain(min), _plain(max)
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        self.inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            self.inside &= x >= min
        if max is not None:
            self.inside &= x <= max
        return np.clip(x, min, max)

    def backward(self, grad):
        return grad * self.inside


class Where(Function):
    """Pick from ``a`` where ``condition`` holds, else from ``b``; each gets the gradient of its picks."""

    float_only = False
    promotes = slice(1, None)  # not the condition

    def forward(self, condition, a, b):
        self.condition = condition.astype(bool)
        return np.where(self.condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        return None, np.where(self.condition, grad, zero), np.where(self.condition, zero, grad)


class Maximum(Function):
    """Elementwise larger of two; at a tie each side gets half the gradient. As in PyTorch,
    a side loses its gradient only where it is strictly smaller, so where either is NaN
    (neither smaller) both get all of it."""

    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        if self.recording:
            tie = (a == b).astype(a.dtype)
            self.share_a = np.where(a < b, 0, 1 - 0.5 * tie).astype(a.dtype, copy=False)
            self.share_b = np.where(a > b, 0, 1 - 0.5 * tie).astype(a.dtype, copy=False)
        return np.maximum(a, b)

    def backward(self, grad):
        return grad * self.share_a, grad * self.share_b


class Sin(Function):
    """d sin x/dx = cos x."""

    promotes = slice(None)

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, grad):
        return grad * np.cos(self.x)


class Cos(Function):
    """d cos x/dx = −sin x."""

    promotes = slice(None)

    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, grad):
        return -grad * np.sin(self.x)


class Tan(Function):
    """d tan x/dx = 1 + tan² x."""

    promotes = slice(None)

    def forward(self, x):
        self.out = np.tan(x)
        return self.out

    def backward(self, grad):
        return grad * (1 + self.out * self.out)


_erf = np.vectorize(math.erf, otypes=[np.float64])


class Erf(Function):
    """erf x = 2/√π ∫₀ˣ e^(−t²) dt;  d erf x/dx = 2/√π · e^(−x²)."""

    promotes = slice(None)

    def forward(self, x):
        self.x = x
        return _erf(x).astype(x.dtype)

    def backward(self, grad):
        return grad * (2 / math.sqrt(math.pi)) * np.exp(-self.x * self.x)


class Piecewise(Function):
    """A function constant between jumps (sign, floor, ceil, round, trunc): its derivative is
    0 wherever it exists, so it stays in the graph with a zero gradient, as in PyTorch."""

    float_only = False

    def forward(self, x, fn):
        return fn(x)

    def backward(self, grad):
        return np.zeros_like(grad)


class Sign(Piecewise):
    def forward(self, x):
        return np.sign(x) if x.dtype != bool else x.copy()


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (tensors or numbers)."""
    return Where.apply(condition, a, b)


def maximum(a, b) -> Tensor:
    return Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    """Elementwise smaller of two: the larger of their negatives, so ties share the gradient as in
    ``maximum`` (bool and unsigned tensors, which have no negatives and no gradient, directly)."""
    if all(isinstance(t, Tensor) and t.dtype.kind in "bu" for t in (a, b)):
        return Tensor._wrap(np.minimum(a._data, b._data))
    return -maximum(-a, -b)


def _plain(x):
    return x._data if isinstance(x, Tensor) else x

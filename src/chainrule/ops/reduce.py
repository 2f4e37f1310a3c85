"""Reductions over one, several or all dimensions."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor, int64


def _axes(dim, ndim: int):
    """Normalise ``dim`` (None, int or sequence) to a tuple of non-negative axes."""
    if dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0):
        return tuple(range(ndim))  # dim=() reduces everything, as in PyTorch
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    size = ndim or 1  # not max(ndim, 1): this module's max() shadows the builtin
    for d in dims:
        if not -size <= d < size:
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dimensions")
        axes.append(d % size if ndim else 0)
    return tuple(sorted(set(axes))) if ndim else ()


def _expand(grad, shape, axes, keepdim):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over the input."""
    if not keepdim and axes:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """∂(Σ x)/∂x = 1 for every summed element."""

    float_only = False

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.keepdim = x.shape, keepdim
        self.axes = _axes(dim, x.ndim)
        return np.sum(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        return _expand(grad, self.shape, self.axes, self.keepdim)


class Mean(Function):
    """∂(mean x)/∂x = 1/n for each of the n averaged elements."""

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.keepdim = x.shape, keepdim
        self.axes = _axes(dim, x.ndim)
        self.count = int(np.prod([x.shape[a] for a in self.axes])) if x.ndim else 1
        return np.mean(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        return _expand(grad / self.count, self.shape, self.axes, self.keepdim)


class AMax(Function):
    """Largest value over ``dim``; ties share the gradient equally (as ``torch.amax``)."""

    def forward(self, x, dim=None, keepdim=False):
        self.keepdim = keepdim
        self.axes = _axes(dim, x.ndim)
        out = np.max(x, axis=self.axes, keepdims=True)
        self.winners = x == out
        return out if keepdim else np.squeeze(out, axis=self.axes)

    def backward(self, grad):
        if not self.keepdim and self.axes:
            grad = np.expand_dims(grad, self.axes)
        share = self.winners / self.winners.sum(axis=self.axes, keepdims=True)
        return grad * share


class MaxDim(Function):
    """Largest value along one dimension; the gradient goes to the returned index only."""

    def forward(self, x, dim, keepdim=False):
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        self.indices = np.expand_dims(np.argmax(x, axis=dim), dim)
        out = np.take_along_axis(x, self.indices, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.dim)
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(full, self.indices, grad, axis=self.dim)
        return full


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(x: Tensor, dim: int | None = None, keepdim: bool = False):
    """``torch.max``: over everything (ties share the gradient), or along ``dim``
    returning ``(values, indices)``."""
    if dim is None:
        return AMax.apply(x)
    dim = _axes(dim, x.ndim)[0]
    values = MaxDim.apply(x, dim=dim, keepdim=keepdim)
    indices = np.argmax(x.data, axis=dim)
    return MaxResult(values, Tensor._wrap((np.expand_dims(indices, dim) if keepdim else indices).astype(int64)))

"""Reductions over one, several or all dimensions."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor, int64
from .shape import wrap_dim, wrap_dims


def _axes(op: str, dim, shape: tuple) -> tuple[int, ...]:
    """The axes a reduction over ``dim`` (None, an int or a sequence) covers, checked by ``wrap_dims``."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(len(shape)))  # dim=() reduces everything, as in PyTorch
    axes = wrap_dims(op, dim if isinstance(dim, (tuple, list)) else (dim,), shape)
    return axes if shape else ()  # a 0-d tensor's dim 0 (or -1) is no NumPy axis


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
        self.axes = _axes("sum", dim, x.shape)
        return np.sum(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        return _expand(grad, self.shape, self.axes, self.keepdim)


class Mean(Function):
    """∂(mean x)/∂x = 1/n for each of the n averaged elements."""

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.keepdim = x.shape, keepdim
        self.axes = _axes("mean", dim, x.shape)
        self.count = math.prod(x.shape[a] for a in self.axes) if x.ndim else 1
        return np.mean(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        return _expand(grad / self.count, self.shape, self.axes, self.keepdim)


class AMax(Function):
    """Largest value over ``dim``; ties share the gradient equally (as ``torch.amax``)."""

    def forward(self, x, dim=None, keepdim=False):
        self.keepdim = keepdim
        self.axes = _axes("amax", dim, x.shape)
        out = np.max(x, axis=self.axes, keepdims=True)
        self.winners = x == out
        return out if keepdim else np.squeeze(out, axis=self.axes)

    def backward(self, grad):
        if not self.keepdim and self.axes:
            grad = np.expand_dims(grad, self.axes)
        with np.errstate(invalid="ignore"):  # a NaN maximum wins nowhere: 0/0, NaN, as in PyTorch's amax
            share = self.winners / self.winners.sum(axis=self.axes, keepdims=True)
        return grad * share


class Max(AMax):
    """Largest value of all (``torch.max`` without a dim). Ties share the gradient as in
    ``AMax``, but a NaN maximum sends it to the NaNs (PyTorch's evenly_distribute_backward):
    ``x == nan`` holds nowhere, so AMax's share would be 0/0 everywhere."""

    def forward(self, x):
        out = super().forward(x)
        if np.isnan(out):  # a scalar test: the finite case costs nothing more
            self.winners = np.isnan(x)
        return out


class Norm(Function):
    """The Euclidean norm ‖x‖ = √Σx² over ``dim``;  ∂‖x‖/∂x = x/‖x‖, and 0 where ‖x‖ = 0
    (PyTorch's choice, where the quotient would be 0/0)."""

    def forward(self, x, dim=None, keepdim=False):
        self.keepdim = keepdim
        self.axes = _axes("norm", dim, x.shape)
        self.x = x
        self.norm = np.sqrt(np.sum(x * x, axis=self.axes, keepdims=True))
        return self.norm if keepdim else np.squeeze(self.norm, axis=self.axes)

    def backward(self, grad):
        if not self.keepdim and self.axes:
            grad = np.expand_dims(grad, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.norm == 0, 0, self.x / self.norm)
        return grad * share


class CumSum(Function):
    """Running sums along ``dim``;  the gradient is the running sum of the gradient taken
    from the other end."""

    float_only = False

    def forward(self, x, dim):
        self.dim = wrap_dim("cumsum", dim, x.shape)
        if x.ndim == 0:
            return x.copy()
        return np.cumsum(x, axis=self.dim, dtype=np.int64 if x.dtype.kind in "biu" else x.dtype)

    def backward(self, grad):
        if grad.ndim == 0:
            return grad
        return np.flip(np.cumsum(np.flip(grad, self.dim), axis=self.dim), self.dim)


class MaxDim(Function):
    """Largest value along one dimension; the gradient goes to the returned index only."""

    def forward(self, x, dim, keepdim=False, indices=None):
        """``indices``: argmax along ``dim`` with the dim kept, when the caller has it already."""
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        self.indices = np.expand_dims(np.argmax(x, axis=dim), dim) if indices is None else indices
        out = np.take_along_axis(x, self.indices, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.dim)
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(full, self.indices, grad, axis=self.dim)
        return full


class Prod(Function):
    """y = Πᵢ xᵢ over ``dim`` (all of it by default): ∂y/∂xₖ = Πᵢ≠ₖ xᵢ, the product of the
    others, computed as the running products before k times those after k (so a zero
    among the x gives the right gradient, where y/xₖ would be 0/0)."""

    float_only = False

    def forward(self, x, dim, keepdim):
        self.x, self.keepdim = x, keepdim
        self.dim = None if dim is None else wrap_dim("prod", dim, x.shape)
        return np.prod(x, axis=self.dim, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else x.dtype)

    def backward(self, grad):
        x = self.x.reshape(-1, 1) if self.dim is None else np.moveaxis(self.x, self.dim, 0)
        ones = np.ones_like(x[:1])
        before = np.cumprod(np.concatenate([ones, x[:-1]]), axis=0)
        after = np.flip(np.cumprod(np.flip(np.concatenate([x[1:], ones]), 0), axis=0), 0)
        others = (before * after).reshape(self.x.shape) if self.dim is None else np.moveaxis(before * after, 0, self.dim)
        if self.dim is not None and not self.keepdim:
            grad = np.expand_dims(grad, self.dim)
        return grad * others


class CumProd(Function):
    """Running products yᵢ = Πⱼ≤ᵢ xⱼ along ``dim``:  ∂L/∂xₖ = Σᵢ≥ₖ gᵢ·yᵢ/xₖ. Where an x is 0
    that quotient is undefined, so each ∂L/∂xₖ is then the sum of gᵢ times the running
    product with xₖ left out (n running products: exact, slower)."""

    float_only = False

    def forward(self, x, dim):
        self.dim = wrap_dim("cumprod", dim, x.shape)
        if x.ndim == 0:
            return x.copy()
        self.x = x
        self.out = np.cumprod(x, axis=self.dim, dtype=np.int64 if x.dtype.kind in "biu" else x.dtype)
        return self.out

    def backward(self, grad):
        if grad.ndim == 0:
            return grad
        x, axis = self.x, self.dim
        if np.all(x != 0):
            return _reverse_cumsum(grad * self.out, axis) / x
        result = np.empty_like(grad)
        for k in range(x.shape[axis]):
            left_out = x.copy()
            np.moveaxis(left_out, axis, 0)[k] = 1
            part = np.moveaxis(grad * np.cumprod(left_out, axis=axis), axis, 0)[k:]
            np.moveaxis(result, axis, 0)[k] = part.sum(axis=0)
        return result


def _reverse_cumsum(a, axis):
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(x: Tensor, dim: int | None = None, keepdim: bool = False):
    """``torch.max``: over everything (ties share the gradient), or along ``dim``
    returning ``(values, indices)``. Integer and bool tensors (no gradient) too."""
    if dim is None:
        return Max.apply(x) if x.dtype.kind == "f" else Tensor._wrap(np.max(x._data))
    dim = wrap_dim("max", dim, x.shape)
    if x.ndim == 0:  # dim 0 (or -1) of a 0-d tensor: it is its own maximum, at index 0
        return MaxResult(x.reshape(()), Tensor._wrap(np.array(0, dtype=int64)))
    indices = np.expand_dims(np.argmax(x._data, axis=dim), dim)
    if x.dtype.kind == "f":
        values = MaxDim.apply(x, dim=dim, keepdim=keepdim, indices=indices)
    else:
        values = np.take_along_axis(x._data, indices, axis=dim)
        values = Tensor._wrap(values if keepdim else np.squeeze(values, dim))
    return MaxResult(values, Tensor._wrap((indices if keepdim else np.squeeze(indices, dim)).astype(int64)))


def min(x: Tensor, dim: int | None = None, keepdim: bool = False):
    """``torch.min``: the maximum of −x, so that ties and gradients follow ``max`` (a bool or
    unsigned tensor, which has no −x, directly)."""
    if x.dtype.kind in "bu":
        if dim is None:
            return Tensor._wrap(np.min(x._data))
        dim = wrap_dim("min", dim, x.shape)
        indices = np.argmin(x._data, axis=dim, keepdims=True) if x.ndim else np.array(0)
        values = np.take_along_axis(x._data, indices, axis=dim) if x.ndim else x._data
        squeeze = (lambda a: a) if keepdim or not x.ndim else (lambda a: np.squeeze(a, dim))
        return MaxResult(Tensor._wrap(squeeze(values)), Tensor._wrap(squeeze(indices).astype(int64)))
    if dim is None:
        return -max(-x)
    values, indices = max(-x, dim, keepdim)
    return MaxResult(-values, indices)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if x.dtype.kind != "f":
        return Tensor._wrap(np.max(x._data, axis=_axes("amax", dim, x.shape), keepdims=keepdim))
    return AMax.apply(x, dim=dim, keepdim=keepdim)


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if x.dtype.kind != "f":
        return Tensor._wrap(np.min(x._data, axis=_axes("amin", dim, x.shape), keepdims=keepdim))
    return -AMax.apply(-x, dim=dim, keepdim=keepdim)

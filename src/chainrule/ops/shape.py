"""Shape operations: they move values around, so their gradients move them back."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Reshape(Function):
    float_only = False

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                             f"({x.size} elements)") from None

    def backward(self, grad):
        return grad.reshape(self.shape)


class Permute(Function):
    float_only = False

    def forward(self, x, dims):
        if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise ValueError(f"permute: {tuple(dims)} is not a permutation of the {x.ndim} dimensions of {x.shape}")
        self.dims = tuple(d % max(x.ndim, 1) for d in dims)  # argsort in backward needs them non-negative
        return np.transpose(x, self.dims)

    def backward(self, grad):
        return np.transpose(grad, np.argsort(self.dims))


class Cast(Function):
    """A dtype conversion; the gradient is converted back."""

    float_only = False

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.dtype)


class Clone(Function):
    float_only = False

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


def _is_basic(index) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) selects each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """Indexing and slicing. Advanced (array) indices may pick an element several
    times, so their gradient is scattered with ``np.add.at`` to accumulate."""

    float_only = False

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic(self.index):
            full[self.index] = grad
        else:
            np.add.at(full, self.index, grad)
        return full


class Cat(Function):
    float_only = False

    def forward(self, *arrays, dim=0):
        shapes = [a.shape for a in arrays]
        try:
            out = np.concatenate(arrays, axis=dim)
        except ValueError:
            raise ValueError(f"cat: shapes {shapes} do not match outside dimension {dim}") from None
        self.dim = dim % out.ndim
        self.splits = np.cumsum([a.shape[self.dim] for a in arrays])[:-1]
        return out

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.dim))


class Stack(Function):
    float_only = False

    def forward(self, *arrays, dim=0):
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"stack: every tensor must have the same shape, got {sorted(shapes)}")
        out = np.stack(arrays, axis=dim)
        self.dim = dim % out.ndim
        return out

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (``torch.cat``)."""
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension (``torch.stack``)."""
    return Stack.apply(*tensors, dim=dim)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (``torch.flatten``)."""
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]
    return Reshape.apply(x, shape=shape)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, dims=tuple(dims))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = dim % (x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dim = dim % x.ndim
        shape = x.shape[:dim] + x.shape[dim + 1:] if x.shape[dim] == 1 else x.shape
    return Reshape.apply(x, shape=shape)

"""Shape operations: they move values around, so their gradients move them back."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..errors import ShapeError
from ..tensor import Tensor, _plain


def wrap_dim(op: str, dim, shape: tuple, new: bool = False) -> int:
    """``dim`` of a tensor of ``shape`` as a non-negative axis, or an error naming ``op``.

    ``new=True`` is for ops that insert a dimension (unsqueeze, stack): it may also go after
    the last one. As in PyTorch, a 0-d tensor accepts dims 0 and -1 (both give 0), so that
    ``x.sum(0)`` or ``x.squeeze(-1)`` work whatever ``x``'s rank; callers handle that case.
    """
    size = (len(shape) + new) or 1
    if type(dim) is int and -size <= dim < size:  # the usual case, first: this runs in every flatten
        return dim % size
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):  # PyTorch rejects True as a dim too
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -size <= dim < size:
        raise IndexError(f"{op}: dim {dim} is out of range for a {len(shape)}-d tensor of shape {shape} "
                         f"(expected {-size} to {size - 1})")
    return int(dim) % size


def wrap_dims(op: str, dims, shape: tuple) -> tuple[int, ...]:
    """``wrap_dim`` for each of ``dims``, in order; a dim given twice, even once negative, is an error."""
    axes = tuple(wrap_dim(op, d, shape) for d in dims)
    for i, a in enumerate(axes):
        if a in axes[:i]:
            raise ShapeError(f"{op}: dim {a} appears more than once in dims {tuple(dims)}")
    return axes


class Reshape(Function):
    float_only = False

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                             f"({x.size} elements)") from None

    def backward(self, grad):
        return grad.reshape(self.shape)


class Permute(Function):
    float_only = False

    def forward(self, x, dims):
        if len(dims) != x.ndim:
            raise ShapeError(f"permute: {tuple(dims)} is not a permutation of the {x.ndim} dimensions of {x.shape}")
        self.dims = wrap_dims("permute", dims, x.shape)  # argsort in backward needs them non-negative
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


class SetItem(Function):
    """``x`` with ``x[index]`` replaced by ``value`` (out of place: ``x[index] = value`` on a
    tensor in the graph becomes this op). The index comes as ``(first, rest)``, PyTorch's
    reading of it (see ``tensor._torch_index``): the places are ``x[first][rest]``. ∂/∂x is the
    gradient with the written places zeroed, ∂/∂value the gradient at those places."""

    float_only = False

    def forward(self, x, value, index):
        self.index = index
        out = x.copy()
        _places(out, index)[index[1]] = value
        return out

    def backward(self, grad):
        grad_x = None
        if self.needs_grad[0]:
            grad_x = grad.copy()
            _places(grad_x, self.index)[self.index[1]] = 0
        return grad_x, _places(grad, self.index)[self.index[1]]


def _places(array, index):
    """The array that ``index[1]`` indexes: ``array[index[0]]`` (a view), or ``array`` itself."""
    first = index[0]
    return array if first is None else array[first]


def _gather_index(shape, index, dim) -> tuple:
    """``index`` checked and completed with the positions along the other dimensions."""
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != len(shape) or any(i > n for d, (i, n) in enumerate(zip(index.shape, shape)) if d != dim):
        raise ShapeError(f"gather: index of shape {index.shape} does not fit input of shape {shape} "
                         f"(same number of dimensions, no larger outside dim {dim})")
    if index.size and (index.min() < -shape[dim] or index.max() >= shape[dim]):
        raise IndexError(f"gather: index values must lie in [{-shape[dim]}, {shape[dim] - 1}] "
                         f"for dim {dim} of size {shape[dim]}")
    positions = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    positions[dim] = index
    return tuple(positions)


def gather(x: Tensor, dim: int, index) -> Tensor:
    """out[i][j] = x[i][index[i][j]] along ``dim`` (``torch.gather``): an advanced index, so
    ``GetItem`` scatters the gradient back, repeated picks accumulating."""
    index = np.asarray(_plain(index))
    return GetItem.apply(x, index=_gather_index(x.shape, index, wrap_dim("gather", dim, x.shape)))


ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def sort(x: Tensor, dim: int = -1, descending: bool = False) -> ValuesIndices:
    """Values in order along ``dim`` and where they came from; ties keep their order (stable).
    The values carry the gradient back to where they came from."""
    indices = sort_indices(x, dim, descending, op="sort")
    values = gather(x, dim, indices) if x.ndim else x * 1
    return ValuesIndices(values, Tensor._wrap(indices))


def sort_indices(x: Tensor, dim: int = -1, descending: bool = False, op: str = "argsort") -> np.ndarray:
    """Where ``sort`` takes each value from (``argsort``), int64; ties keep their order."""
    axis = wrap_dim(op, dim, x.shape)
    if x.ndim == 0:
        return np.array(0, dtype=np.int64)
    return np.argsort(-x._data if descending else x._data, axis=axis, kind="stable").astype(np.int64)


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True) -> ValuesIndices:
    """The ``k`` largest (or smallest) values along ``dim``, in order, and their indices."""
    axis = wrap_dim("topk", dim, x.shape)
    size = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise ShapeError(f"topk: k must lie in [0, {size}] for dim {dim} of shape {x.shape}, got {k}")
    values, indices = sort(x, axis, descending=largest)
    first_k = (slice(None),) * axis + (slice(0, k),)
    return ValuesIndices(values[first_k], indices[first_k])


class Cat(Function):
    float_only = False
    promotes = slice(None)

    def forward(self, *arrays, dim=0):
        shapes = [a.shape for a in arrays]
        if not arrays:
            raise ShapeError("cat: expected a non-empty list of tensors")
        if any(a.ndim == 0 for a in arrays):  # checked first: wrap_dim accepts dim 0 of a 0-d tensor
            raise ShapeError(f"cat: zero-dimensional tensors cannot be concatenated, got shapes {shapes}")
        if len({a.ndim for a in arrays}) > 1:
            raise ShapeError(f"cat: tensors must have the same number of dimensions, got shapes {shapes}")
        self.dim = wrap_dim("cat", dim, shapes[0])
        try:
            out = np.concatenate(arrays, axis=self.dim)
        except ValueError:
            raise ShapeError(f"cat: shapes {shapes} do not match outside dimension {dim}") from None
        self.splits = np.cumsum([a.shape[self.dim] for a in arrays])[:-1]
        return out

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.dim))


class Stack(Function):
    float_only = False
    promotes = slice(None)

    def forward(self, *arrays, dim=0):
        if not arrays:
            raise ShapeError("stack: expected a non-empty list of tensors")
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ShapeError(f"stack: every tensor must have the same shape, got {sorted(shapes)}")
        self.dim = wrap_dim("stack", dim, arrays[0].shape, new=True)
        return np.stack(arrays, axis=self.dim)

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
    start, end = wrap_dim("flatten", start_dim, x.shape), wrap_dim("flatten", end_dim, x.shape)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"in a tensor of shape {x.shape}")
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    shape = x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:]
    return Reshape.apply(x, shape=shape)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    a, b = wrap_dim("transpose", dim0, x.shape), wrap_dim("transpose", dim1, x.shape)
    dims = list(range(x.ndim))
    if x.ndim:  # a 0-d tensor has nothing to swap
        dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, dims=tuple(dims))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = wrap_dim("unsqueeze", dim, x.shape, new=True)
    return Reshape.apply(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop size-1 dimensions: all of them, or those of ``dim`` (an int or a tuple, as ``torch.squeeze``)."""
    if dim is None:
        axes = range(x.ndim)
    else:
        axes = wrap_dims("squeeze", dim if isinstance(dim, (tuple, list)) else (dim,), x.shape)
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return Reshape.apply(x, shape=shape)

"""The Tensor: a NumPy array that remembers how it was computed.

A tensor made by an operation on tensors that require gradients keeps a link
(``_ctx``) to the :class:`~chainrule.autograd.Function` that made it, and so to
that function's inputs. ``backward()`` follows those links in reverse.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import random as _random

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_DEFAULT_FLOAT = float32


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert ``data`` as ``torch.tensor`` would: Python floats become float32,
    Python ints int64, NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch.Tensor
        data = data.detach().cpu().numpy()
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray | np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_DEFAULT_FLOAT)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(int64)
    elif arr.dtype.kind not in "b":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} of dtype {arr.dtype}")
    return arr


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    ``data`` is the underlying ``np.ndarray``; ``grad`` (a Tensor, or None) is
    filled by ``backward()`` for tensors that require gradients.
    """

    __slots__ = ("data", "requires_grad", "grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected ops

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _to_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> "Tensor":
        """Fast path for the library's own results: no conversion, no checks."""
        t = object.__new__(cls)
        # A full reduction or an integer index gives a NumPy scalar; a 0-d array keeps
        # in-place operations (out=...) and .numpy() working, as on any other tensor.
        t.data = array if type(array) is np.ndarray else np.asarray(array)
        t.requires_grad = requires_grad
        t.grad = None
        t._ctx = None
        t._retains_grad = False
        return t

    @classmethod
    def _constant(cls, value, dtype_hint=None) -> "Tensor":
        if isinstance(value, numbers.Number) and dtype_hint is not None:
            # A number of a higher category (bool < int < float) than the tensor keeps its
            # own default dtype, as in PyTorch: int_tensor + 0.5 must not truncate 0.5 to 0.
            kinds = "biufc"
            if kinds.index(np.asarray(value).dtype.kind) > kinds.index(dtype_hint.kind):
                return cls._wrap(_to_array(value))
            return cls._wrap(np.asarray(value, dtype=dtype_hint))
        return cls._wrap(_to_array(value))

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that produced this tensor (None for leaves)."""
        return self._ctx

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad. Use tensor.detach().numpy().")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory, like PyTorch)."""
        return Tensor._wrap(self.data)

    def clone(self) -> "Tensor":
        return _ops.shape.Clone.apply(self)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, this one has dtype {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    def to(self, dtype) -> "Tensor":
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind not in "fc":  # an integer or bool result cannot carry gradients
            return Tensor._wrap(self.data.astype(dtype))
        return _ops.shape.Cast.apply(self, dtype=dtype)

    def float(self) -> "Tensor":
        return self.to(float32)

    def double(self) -> "Tensor":
        return self.to(float64)

    def long(self) -> "Tensor":
        return Tensor._wrap(self.data.astype(int64))

    def int(self) -> "Tensor":
        return Tensor._wrap(self.data.astype(np.int32))

    def bool(self) -> "Tensor":
        return Tensor._wrap(self.data.astype(bool_))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # --------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        ``gradient`` is ∂L/∂self; it may be omitted only for a scalar (then 1).
        """
        from .autograd import backward

        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "nothing it depends on requires gradients"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.shape}: pass backward(gradient) with that shape, or reduce it (e.g. .sum())"
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(_to_array(gradient), dtype=self.data.dtype)
            if grad.shape != self.data.shape:
                raise RuntimeError(f"backward: gradient has shape {grad.shape} but the tensor has shape {self.shape}")
        backward(self, grad, retain_graph=retain_graph)

    # ------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _ops.arithmetic.Add.apply(self, other)

    def __radd__(self, other):
        return _ops.arithmetic.Add.apply(other, self)

    def __sub__(self, other):
        return _ops.arithmetic.Sub.apply(self, other)

    def __rsub__(self, other):
        return _ops.arithmetic.Sub.apply(other, self)

    def __mul__(self, other):
        return _ops.arithmetic.Mul.apply(self, other)

    def __rmul__(self, other):
        return _ops.arithmetic.Mul.apply(other, self)

    def __truediv__(self, other):
        return _ops.arithmetic.Div.apply(self, other)

    def __rtruediv__(self, other):
        return _ops.arithmetic.Div.apply(other, self)

    def __pow__(self, other):
        return _ops.arithmetic.Pow.apply(self, other)

    def __rpow__(self, other):
        return _ops.arithmetic.Pow.apply(other, self)

    def __neg__(self):
        return _ops.arithmetic.Neg.apply(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _ops.arithmetic.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return _ops.arithmetic.MatMul.apply(other, self)

    # PyTorch's method forms of the operators
    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ValueError(f"mm: both operands must be matrices, got shapes {self.shape} and {np.shape(other)}")
        return self @ other

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self

    def rsqrt(self):
        return 1 / self.sqrt()

    # In-place updates, for optimisers and hand-written training loops:
    # `with no_grad(): w -= lr * w.grad` must change w itself.
    def _inplace(self, op, other):
        from .autograd import is_grad_enabled

        if is_grad_enabled() and (self.requires_grad or self._ctx is not None):
            raise RuntimeError(
                "an in-place operation on a tensor that is part of a graph would corrupt its gradients; "
                "wrap it in `with chainrule.no_grad():`"
            )
        op(self.data, _plain(other), out=self.data, casting="same_kind")
        return self._note_write()

    def _note_write(self) -> "Tensor":
        """Note an in-place write, so that a backward pass that needs the old values refuses to run."""
        from .autograd import note_inplace_write

        note_inplace_write(self.data)
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(np.divide, other)

    def add_(self, other, alpha=1) -> "Tensor":
        return self._inplace(np.add, other if alpha == 1 else _plain(other) * alpha)

    def sub_(self, other, alpha=1) -> "Tensor":
        return self._inplace(np.subtract, other if alpha == 1 else _plain(other) * alpha)

    def mul_(self, other) -> "Tensor":
        return self._inplace(np.multiply, other)

    def div_(self, other) -> "Tensor":
        return self._inplace(np.divide, other)

    def clamp_(self, min=None, max=None) -> "Tensor":
        def clamp(a, _, out, casting):
            return np.clip(a, min, max, out=out, casting=casting)

        return self._inplace(clamp, None)

    def zero_(self) -> "Tensor":
        self.data[...] = 0
        return self._note_write()

    def fill_(self, value) -> "Tensor":
        self.data[...] = value
        return self._note_write()

    def copy_(self, src) -> "Tensor":
        src = np.asarray(_plain(src))
        if src.shape != self.data.shape:
            raise ValueError(f"copy_: source has shape {src.shape}, destination {self.shape}")
        self.data[...] = src
        return self._note_write()

    # ------------------------------------------------- comparisons (no grad)
    def _compare(self, op, other):
        return Tensor._wrap(op(self.data, _plain(other)))

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self.data)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def all(self, dim=None, keepdim: bool = False) -> "Tensor":
        return Tensor._wrap(np.all(self.data, axis=dim, keepdims=keepdim))

    def any(self, dim=None, keepdim: bool = False) -> "Tensor":
        return Tensor._wrap(np.any(self.data, axis=dim, keepdims=keepdim))

    def equal(self, other) -> bool:
        """Same shape and the same values (``torch.equal``)."""
        return self.shape == np.shape(other) and bool(np.array_equal(self.data, _plain(other)))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return bool(np.allclose(self.data, _plain(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def sign(self) -> "Tensor":
        """−1, 0 or 1 (NaN stays NaN); a constant: its derivative is 0 everywhere."""
        return Tensor._wrap(np.sign(self.data))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum(np.argmax, "argmax", dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum(np.argmin, "argmin", dim, keepdim)

    def _arg_extremum(self, find, op: str, dim, keepdim: bool) -> "Tensor":
        axis = None if dim is None else _ops.shape.wrap_dim(op, dim, self.shape)
        if self.ndim == 0:  # dim 0 or -1 (checked): the only index is 0
            axis = None
        return Tensor._wrap(find(self.data, axis=axis, keepdims=keepdim).astype(int64))

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim: bool = False):
        return _ops.reduce.Sum.apply(self, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        return _ops.reduce.Mean.apply(self, dim=dim, keepdim=keepdim)

    def amax(self, dim=None, keepdim: bool = False):
        return _ops.reduce.AMax.apply(self, dim=dim, keepdim=keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False):
        """Like ``torch.max``: the largest value, or with ``dim`` a ``(values, indices)`` pair."""
        return _ops.reduce.max(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        return -(-self).amax(dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False):
        """Like ``torch.min``: the smallest value, or with ``dim`` a ``(values, indices)`` pair
        (the maximum of −x, so ties and gradients follow ``max``)."""
        if dim is None:
            return -(-self).max()
        values, indices = (-self).max(dim, keepdim)
        return _ops.reduce.MaxResult(-values, indices)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        """The vector norm over ``dim`` (all of it by default): p = 2 ('fro'), 1 or inf."""
        if p in (2, "fro"):
            return _ops.reduce.Norm.apply(self, dim=dim, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p in (float("inf"), "inf"):
            return self.abs().amax(dim, keepdim)
        raise ValueError(f"norm: p must be 2 ('fro'), 1 or inf, got {p!r}")

    def cumsum(self, dim: int):
        return _ops.reduce.CumSum.apply(self, dim=dim)

    def var(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None):
        """Σ(x − mean)² / (n − correction) over ``dim``: Bessel's correction by default, as in
        PyTorch (``unbiased=False`` or ``correction=0`` for the population variance)."""
        if unbiased is not None:
            correction = int(unbiased)
        centred = self - self.mean(dim, keepdim=True)
        squares = (centred * centred).sum(dim, keepdim=keepdim)
        count = self.numel() // max(squares.numel(), 1)  # the elements each result sums over
        return squares / (count - correction)

    def std(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None):
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        return _ops.shape.Reshape.apply(self, shape=_shape_arg(shape))

    def view(self, *shape):
        return self.reshape(*shape)

    def view_as(self, other: "Tensor"):
        return self.reshape(other.shape)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (−1 keeps a dimension); the gradient is summed back, as for
        any broadcast. A new array, where PyTorch returns a view."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {sizes} has fewer dimensions than the tensor's shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: shape {self.shape} cannot be expanded to {sizes}") from None
        return self + Tensor._wrap(np.zeros(shape, dtype=self.dtype))

    def expand_as(self, other: "Tensor"):
        return self.expand(other.shape)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor as it is), ``torch.Tensor.t``."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; use transpose")
        return self.T

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        return _ops.shape.Permute.apply(self, dims=_shape_arg(dims))

    def transpose(self, dim0: int, dim1: int):
        return _ops.shape.transpose(self, dim0, dim1)

    @property
    def T(self):
        return _ops.shape.Permute.apply(self, dims=tuple(reversed(range(self.data.ndim))))

    def unsqueeze(self, dim: int):
        return _ops.shape.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None):
        return _ops.shape.squeeze(self, dim)

    def gather(self, dim: int, index):
        return _ops.shape.gather(self, dim, index)

    def sort(self, dim: int = -1, descending: bool = False):
        return _ops.shape.sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False) -> "Tensor":
        return Tensor._wrap(_ops.shape.sort_indices(self, dim, descending))

    def topk(self, k: int, dim: int = -1, largest: bool = True):
        return _ops.shape.topk(self, k, dim, largest)

    def __getitem__(self, index):
        return _ops.shape.GetItem.apply(self, index=_index_arg(index))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---------------------------------------------------------- elementwise
    def exp(self):
        return _ops.elementwise.Exp.apply(self)

    def log(self):
        return _ops.elementwise.Log.apply(self)

    def sqrt(self):
        return _ops.elementwise.Sqrt.apply(self)

    def abs(self):
        return _ops.elementwise.Abs.apply(self)

    def clip(self, min=None, max=None):
        return _ops.elementwise.Clip.apply(self, min=min, max=max)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` holds, else this tensor's values; the dtype stays this tensor's."""
        return _ops.elementwise.where(mask, Tensor._wrap(np.asarray(_plain(value), dtype=self.dtype)), self)

    clamp = clip

    def sigmoid(self):
        return _ops.activation.Sigmoid.apply(self)

    def tanh(self):
        return _ops.activation.Tanh.apply(self)

    def relu(self):
        return _ops.activation.ReLU.apply(self)

    def softmax(self, dim: int):
        return _ops.activation.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int):
        return _ops.activation.LogSoftmax.apply(self, dim=dim)


def _plain(x):
    """A tensor's array, anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def _shape_arg(args) -> tuple:
    """Accept both ``t.reshape(2, 3)`` and ``t.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _index_arg(index):
    """Indices that are tensors become arrays (a mask or integer index)."""
    if isinstance(index, tuple):
        return tuple(_plain(i) for i in index)
    return _plain(index)


# ------------------------------------------------------------------ creation
def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor from a list, number or array (always a copy, like ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    return Tensor._wrap(np.asarray(array))


def as_tensor(data, dtype=None) -> Tensor:
    """``data`` as a tensor without a copy where none is needed, like ``torch.as_tensor``: a
    tensor of that dtype is returned itself (another dtype: converted, in the graph), an array of
    that dtype is shared; anything else is copied as :func:`tensor` copies it."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def _shape_and_dtype(size, dtype):
    return _shape_arg(size), np.dtype(dtype) if dtype is not None else _DEFAULT_FLOAT


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _shape_and_dtype(size, dtype)
    return Tensor(np.zeros(shape, dtype), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _shape_and_dtype(size, dtype)
    return Tensor(np.ones(shape, dtype), requires_grad=requires_grad)


def _number_kind(n) -> str:
    """'b', 'i' or 'f' (any integer, however large: 2**70 is an integer that int64 cannot hold)."""
    if isinstance(n, (bool, np.bool_)):
        return "b"
    if isinstance(n, (int, np.integer)):
        return "i"
    return np.asarray(n).dtype.kind


def _number_dtype(*numbers) -> np.dtype:
    """The dtype PyTorch infers from numbers: bool if all are bools, else int64 if all are
    integers (NumPy's included), else the default float32."""
    kinds = {_number_kind(n) for n in numbers}
    if kinds == {"b"}:
        return bool_
    return int64 if kinds <= set("biu") else _DEFAULT_FLOAT


# ------------------------------------------------------------ type promotion
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex


def _promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types``: the wider type within a category, the higher category's
    type across them (int64 with float32 gives float32, where NumPy gives float64)."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _priority_and_dtype(x) -> tuple[int, np.dtype]:
    """Tensors with dimensions come first (priority 2), then 0-d tensors (1), then numbers
    (0, at their default dtype)."""
    data = _plain(x)
    if isinstance(data, np.ndarray):
        return (2 if data.ndim else 1), data.dtype
    return 0, _number_dtype(data)


def result_type(*operands) -> np.dtype:
    """The dtype an elementwise op computes ``operands`` (tensors, arrays, numbers) in, by
    PyTorch's rules (``torch.result_type``). Operands rank as tensors with dimensions, then
    0-d tensors, then numbers; a lower priority changes the result only by a higher category
    (bool < integer < floating). So ``float32 + float64 0-d`` is float32, ``int64 + 0.5``
    is float32 (a Python float counts as the default float32) and ``int64 + float32`` is
    float32."""
    by_priority: dict[int, np.dtype] = {}
    for x in operands:
        priority, dtype = _priority_and_dtype(x)
        by_priority[priority] = _promote_types(by_priority[priority], dtype) if priority in by_priority else dtype
    result = None
    for priority in sorted(by_priority):  # each group over the result of the groups below it
        group = by_priority[priority]
        if result is None or group.kind in "fc":
            result = group
        elif group.kind == "b" or result.kind in "fc":
            result = _promote_types(group, result)
        else:  # both integers: the higher priority's
            result = group
    return result


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; without ``dtype``, the value's own
    kind decides (``full((2,), 7)`` is int64, ``full((2,), True)`` bool), as in PyTorch."""
    dtype = _number_dtype(fill_value) if dtype is None else dtype
    return Tensor(np.full(_shape_arg((size,)), fill_value, np.dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (see ``manual_seed``)."""
    shape, dtype = _shape_and_dtype(size, dtype)
    return Tensor(_random.generator().standard_normal(shape, dtype=np.float64).astype(dtype), requires_grad=requires_grad)


def randn_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None) -> Tensor:
    """Integers uniform on [low, high), int64 by default: ``randint(low, high, size)``, or
    ``randint(high, size)`` from 0, as PyTorch's two forms."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    size = () if size is None else size
    return Tensor(_random.generator().integers(low, high, size=_shape_arg((size,)), dtype=np.dtype(dtype or int64)))


def randperm(n: int, dtype=None) -> Tensor:
    """A random permutation of 0 … n−1 from the global generator."""
    return Tensor(_random.generator().permutation(n).astype(dtype or int64))


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like ``zeros`` (a NumPy engine gains nothing from leaving memory uninitialised)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def linspace(start, end, steps: int, dtype=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, float32 by default."""
    return Tensor(np.linspace(start, end, steps).astype(dtype or _DEFAULT_FLOAT))


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from the global generator."""
    shape, dtype = _shape_and_dtype(size, dtype)
    return Tensor(_random.generator().random(shape).astype(dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    """[start, end) in steps; int64 when every argument is an integer, else float32 (as in PyTorch)."""
    if end is None:
        start, end = 0, start
    dtype = _number_dtype(start, end, step) if dtype is None else np.dtype(dtype)
    return Tensor(np.arange(start, end, step).astype(dtype))


def eye(n: int, m: int | None = None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=dtype or _DEFAULT_FLOAT))


from . import ops as _ops  # noqa: E402  (the ops need the Tensor class defined above)

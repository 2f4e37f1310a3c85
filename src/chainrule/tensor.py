"""The Tensor: a NumPy array that remembers how it was computed.

A tensor made by an operation on tensors that require gradients keeps a link
(``_ctx``) to the :class:`~chainrule.autograd.Function` that made it, and so to
that function's inputs. ``backward()`` follows those links in reverse.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from . import random as _random
from .errors import ShapeError

# dtypes are NumPy's: ``x.dtype == chainrule.float32`` and ``isinstance(x.dtype, chainrule.dtype)``
# hold; the package adds PyTorch's short names (``chainrule.float``, ``long``, ``bool`` ...).
dtype = np.dtype
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_DEFAULT_FLOAT = float32

# PyTorch's legacy type names, for ``.type()`` both ways
_TYPE_NAMES = {float32: "torch.FloatTensor", float64: "torch.DoubleTensor", float16: "torch.HalfTensor",
               int64: "torch.LongTensor", int32: "torch.IntTensor", int16: "torch.ShortTensor",
               int8: "torch.CharTensor", uint8: "torch.ByteTensor", bool_: "torch.BoolTensor"}


def as_dtype(d) -> np.dtype:
    """A dtype from a dtype, a NumPy type, a name ('float32') or a legacy type name ('torch.LongTensor')."""
    if isinstance(d, str):
        for known, name in _TYPE_NAMES.items():
            if d in (name, name.replace("torch.", "")):
                return known
        d = d.removeprefix("torch.")
        d = _SHORT_NAMES.get(d, d)
    return np.dtype(d)


# PyTorch's short dtype names, where NumPy reads the same word otherwise ('float' is float64 there)
_SHORT_NAMES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                "short": "int16", "bool": "bool"}


class device:
    """Where a tensor lives (``torch.device``): this NumPy engine computes on the CPU only.
    ``device('cuda')`` can be named (so that ``device = 'cuda' if cuda.is_available() else 'cpu'``
    reads as in PyTorch), but moving a tensor there raises :class:`DeviceError`."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index: int | None = None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index
        kind, _, number = str(type).partition(":")
        if kind not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta device type at start of device string: {type}")
        self.type, self.index = kind, int(number) if number else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
_Device = device  # (Tensor.to has an argument of that name)


class DeviceError(RuntimeError):
    """A tensor or model was sent to a device this engine does not compute on."""


def check_device(where) -> device:
    """``where`` as a device; anything but the CPU raises :class:`DeviceError` naming PyTorch."""
    where = device(where)
    if where.type != "cpu":
        raise DeviceError(
            f"chainrule's NumPy engine runs on the CPU only, not on {where} (chainrule.cuda.is_available() "
            f"is False). For a GPU, train on chainrule's PyTorch backend: chainrule.backends.to_torch(model), "
            f"or `chainrule train --backend torch --device cuda` on the command line."
        )
    return where


class Size(tuple):
    """``torch.Size``: a shape. (``x.shape`` is a plain tuple here, equal to a Size of the same sizes.)"""

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert ``data`` as ``torch.tensor`` would: Python floats become float32,
    Python ints int64, NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data._data
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

    ``_data`` is the underlying ``np.ndarray`` (``.numpy()`` returns it, ``.data`` is a tensor
    sharing it, outside the graph); ``grad`` (a Tensor, or None) is filled by ``backward()``
    for tensors that require gradients.

    ``Tensor(list)`` is float32, as ``torch.Tensor`` is; ``Tensor(ndarray)`` keeps the array's
    dtype; ``Tensor(2, 3)`` is a (2, 3) tensor of zeros (PyTorch's is uninitialised);
    ``tensor(data)`` infers the dtype as ``torch.tensor`` does.
    """

    __slots__ = ("_data", "requires_grad", "grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected ops

    def __init__(self, *data, requires_grad: bool = False, dtype=None):
        if len(data) != 1 or _is_int(data[0]) or isinstance(data[0], Size):  # Tensor(2, 3), Tensor(Size): a size
            data = np.zeros(_shape_arg(data or (0,)), dtype=dtype or _DEFAULT_FLOAT),
        data, = data
        if dtype is None and isinstance(data, (list, tuple, numbers.Number)):
            dtype = _DEFAULT_FLOAT
        self._data = _to_array(data, dtype)
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
        t._data = array if type(array) is np.ndarray else np.asarray(array)
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
    def data(self) -> "Tensor":
        """A tensor sharing this one's storage, outside the graph, as PyTorch's ``.data``:
        ``p.data -= lr * p.grad`` changes ``p`` without being recorded."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = np.asarray(_plain(value))

    @property
    def device(self) -> device:
        return CPU

    is_cuda = False

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that produced this tensor (None for leaves)."""
        return self._ctx

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def item(self):
        if self._data.size != 1:
            raise ShapeError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self._data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad. Use tensor.detach().numpy().")
        return self._data

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory, like PyTorch)."""
        return Tensor._wrap(self._data)

    def clone(self) -> "Tensor":
        return _ops.shape.Clone.apply(self)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self._data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, this one has dtype {self._data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)`` (its dtype):
        the CPU is the only device (see :func:`check_device`)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, _Device)) and not _is_type_name(arg):
                device = arg
            else:
                dtype = arg
        if device is not None:
            check_device(device)
        result = self if dtype is None else self._cast(as_dtype(dtype))
        return result.clone() if copy and result is self else result

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> "Tensor":
        check_device("cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}")

    def type(self, dtype=None):  # noqa: A003 - PyTorch's name
        """Without an argument the legacy type name ('torch.FloatTensor'), else ``to(dtype)``."""
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))
        return self._cast(as_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        return self._cast(other.dtype)

    def _cast(self, dtype: np.dtype) -> "Tensor":
        if dtype == self._data.dtype:
            return self
        if dtype.kind not in "fc":  # an integer or bool result cannot carry gradients
            return Tensor._wrap(self._data.astype(dtype))
        return _ops.shape.Cast.apply(self, dtype=dtype)

    def float(self) -> "Tensor":
        return self._cast(float32)

    def double(self) -> "Tensor":
        return self._cast(float64)

    def half(self) -> "Tensor":
        return self._cast(float16)

    def long(self) -> "Tensor":
        return self._cast(int64)

    def int(self) -> "Tensor":
        return self._cast(int32)

    def bool(self) -> "Tensor":
        return self._cast(bool_)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor as its number (a 0-d one even without a spec)."""
        if self._data.ndim == 0 or spec and self._data.size == 1:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to a tensor of shape {self.shape}")
        return repr(self)

    def __repr__(self) -> str:
        data = self._data
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        whole = data.dtype.kind != "f" or not finite.size or np.array_equal(finite, np.round(finite))
        body = np.array2string(data, separator=", ", precision=4, prefix="tensor(",
                               floatmode="maxprec" if whole else "fixed")
        extras = []
        if self._data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # --------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph: bool = False, create_graph: bool = False, inputs=None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        ``gradient`` is ∂L/∂self; it may be omitted only for a scalar (then 1). The backward
        pass itself is not recorded, so ``create_graph`` (higher-order gradients) and
        ``inputs`` are refused.
        """
        from .autograd import backward

        if create_graph or inputs is not None:
            raise NotImplementedError("backward: create_graph and inputs are not supported (the backward pass "
                                      "is not recorded, so there are no gradients of gradients)")

        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "nothing it depends on requires gradients"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.shape}: pass backward(gradient) with that shape, or reduce it (e.g. .sum())"
                )
            grad = np.ones_like(self._data)
        else:
            grad = np.asarray(_to_array(gradient), dtype=self._data.dtype)
            if grad.shape != self._data.shape:
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

    def __mod__(self, other):
        return _ops.arithmetic.Remainder.apply(self, other)

    def __rmod__(self, other):
        return _ops.arithmetic.Remainder.apply(other, self)

    def __floordiv__(self, other):
        return _ops.arithmetic.FloorDiv.apply(self, other)

    def __rfloordiv__(self, other):
        return _ops.arithmetic.FloorDiv.apply(other, self)

    def __divmod__(self, other):
        return self // other, self % other

    def __rdivmod__(self, other):
        return other // self, other % self

    def __neg__(self):
        return _ops.arithmetic.Neg.apply(self)

    def __abs__(self):
        return self.abs()

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

    def div(self, other, rounding_mode: str | None = None):
        """a / b; ``rounding_mode='floor'`` rounds down (//), ``'trunc'`` towards zero."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            return (self / other).trunc() if result_type(self, other).kind == "f" else \
                Tensor._wrap(np.trunc(np.true_divide(self._data, _plain(other))).astype(result_type(self, other)))
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    def remainder(self, other):
        return self % other

    def floor_divide(self, other):
        return self // other

    true_divide, multiply, subtract = div, mul, sub

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ShapeError(f"mm: both operands must be matrices, got shapes {self.shape} and {np.shape(other)}")
        return self @ other

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self

    def rsqrt(self):
        return 1 / self.sqrt()

    # In-place updates, for optimisers and hand-written training loops:
    # `with no_grad(): w -= lr * w.grad` must change w itself.
    # PyTorch's rule: in grad mode, a leaf that requires grad cannot be changed in place; a
    # change of a tensor in the graph is recorded (``_records``, ``_become``).
    def _check_inplace(self, op: str | None = None) -> None:
        from .autograd import is_grad_enabled

        if is_grad_enabled() and (self.requires_grad or self._ctx is not None):
            what = "a leaf tensor that requires grad" if self._ctx is None else "a tensor that is part of a graph"
            raise RuntimeError(
                f"{op + ': ' if op else ''}an in-place operation on {what} would corrupt its gradients; wrap it "
                f"in `with chainrule.no_grad():` (or change .data), or use an out-of-place op"
            )

    def _records(self, op: str | None, other=None) -> bool:
        """Whether an in-place ``op`` must be recorded in the graph: this tensor is the result of
        an op, or ``other`` requires grad. On a leaf that requires grad it is refused, as in PyTorch."""
        from .autograd import is_grad_enabled

        if not is_grad_enabled():
            return False
        if self.requires_grad and self._ctx is None:
            self._check_inplace(op)
        return self._ctx is not None or (isinstance(other, Tensor) and other.requires_grad)

    def _become(self, change) -> "Tensor":
        """A recorded in-place change: this tensor becomes ``change(old)``, with its values and its
        node in the graph, keeping its shape and dtype as PyTorch does. The old values are not
        overwritten: ops that used the tensor before keep their gradients (they follow the old
        version, see ``autograd._as_seen_by``), but a view taken before does not see the change."""
        from .autograd import note_rebind

        old = Tensor._wrap(self._data, self.requires_grad)
        old._ctx = self._ctx
        note_rebind()
        result = change(old)
        if result.shape != old.shape:
            raise ShapeError(f"in-place operation: the result's shape {result.shape} is not the tensor's "
                             f"shape {old.shape}")
        if result.dtype != old.dtype:
            if not np.can_cast(result.dtype, old.dtype, "same_kind"):
                raise RuntimeError(f"in-place operation: result type {result.dtype} can't be cast to the "
                                   f"tensor's dtype {old.dtype}")
            result = result._cast(old.dtype)
        if result._ctx is not None:
            result._ctx.replaced = old
        self._data, self._ctx, self.requires_grad = result._data, result._ctx, result.requires_grad
        return self

    def _inplace(self, op, other, change=None):
        """``op`` (a ufunc) written into this tensor's storage; or, when the graph must record
        it, ``change`` (the same operation out of place on the old tensor) through ``_become``."""
        if change is not None and self._records(None, other):
            return self._become(change)
        self._check_inplace()
        op(self._data, _plain(other), out=self._data, casting="same_kind")
        return self._note_write()

    def _note_write(self) -> "Tensor":
        """Note an in-place write, so that a backward pass that needs the old values refuses to run."""
        from .autograd import note_inplace_write

        note_inplace_write(self._data)
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other, lambda t: t + other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other, lambda t: t - other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other, lambda t: t * other)

    def __itruediv__(self, other):
        return self._inplace(np.divide, other, lambda t: t / other)

    def add_(self, other, alpha=1) -> "Tensor":
        return self._inplace(np.add, other if alpha == 1 else _plain(other) * alpha, lambda t: t.add(other, alpha))

    def sub_(self, other, alpha=1) -> "Tensor":
        return self._inplace(np.subtract, other if alpha == 1 else _plain(other) * alpha, lambda t: t.sub(other, alpha))

    def mul_(self, other) -> "Tensor":
        return self._inplace(np.multiply, other, lambda t: t * other)

    def div_(self, other) -> "Tensor":
        return self._inplace(np.divide, other, lambda t: t / other)

    def clamp_(self, min=None, max=None) -> "Tensor":
        def clamp(a, _, out, casting):
            return np.clip(a, min, max, out=out, casting=casting)

        return self._inplace(clamp, None, lambda t: t.clamp(min, max))

    def _unary_(self, op: str) -> "Tensor":
        """The in-place form of the method ``op`` (``relu_`` of ``relu``)."""
        if self._records(f"{op}_"):
            return self._become(lambda t: getattr(t, op)())
        self._check_inplace(f"{op}_")
        self._data[...] = getattr(Tensor._wrap(self._data), op)()._data
        return self._note_write()

    def relu_(self):
        return self._unary_("relu")

    def sigmoid_(self):
        return self._unary_("sigmoid")

    def tanh_(self):
        return self._unary_("tanh")

    def exp_(self):
        return self._unary_("exp")

    def log_(self):
        return self._unary_("log")

    def sqrt_(self):
        return self._unary_("sqrt")

    def abs_(self):
        return self._unary_("abs")

    def neg_(self):
        return self._unary_("neg")

    def pow_(self, exponent):
        return self._inplace(np.power, exponent, lambda t: t ** exponent)

    def __imod__(self, other):
        return self._inplace(np.remainder, other)

    def __ifloordiv__(self, other):
        return self._inplace(np.floor_divide, other)

    # zero_, fill_ and copy_ are what load_state_dict and init use: they write even into a leaf
    # that requires grad (PyTorch wants them under no_grad).
    def zero_(self) -> "Tensor":
        self._data[...] = 0
        return self._note_write()

    def fill_(self, value) -> "Tensor":
        self._data[...] = _plain(value)
        return self._note_write()

    def copy_(self, src, non_blocking: bool = False) -> "Tensor":
        """Write ``src`` (broadcast to this shape, cast to this dtype) into this tensor; recorded
        in the graph (as item assignment of everything) when this tensor is in it or ``src`` requires grad."""
        if not (self.requires_grad and self._ctx is None) and self._records("copy_", src):
            return self._become(lambda t: _ops.shape.SetItem.apply(t, src, index=(None, Ellipsis)))
        src = np.asarray(_plain(src))
        try:
            src = np.broadcast_to(src, self._data.shape)
        except ValueError:
            raise ShapeError(f"copy_: source has shape {src.shape}, destination {self.shape}") from None
        self._data[...] = src
        return self._note_write()

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> "Tensor":
        self._check_inplace("normal_")
        self._data[...] = _rng(generator).normal(mean, std, self.shape)
        return self._note_write()

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> "Tensor":
        self._check_inplace("uniform_")
        self._data[...] = _rng(generator).uniform(a, b, self.shape)
        return self._note_write()

    def masked_fill_(self, mask, value) -> "Tensor":
        if self._records("masked_fill_", value):
            return self._become(lambda t: t.masked_fill(mask, value))
        np.copyto(self._data, np.asarray(_plain(value), dtype=self.dtype), where=np.asarray(_plain(mask), dtype=bool))
        return self._note_write()

    def index_put_(self, indices, values, accumulate: bool = False) -> "Tensor":
        """``self[indices] = values`` (``+=``, counting repeated indices, with ``accumulate``)."""
        self._check_inplace("index_put_")
        index = _index_arg(tuple(indices))
        if accumulate:
            np.add.at(self._data, index, _plain(values))
        else:
            self._data[index] = _plain(values)
        return self._note_write()

    def __setitem__(self, index, value) -> None:
        """``x[mask] = 0``, ``x[:, 0] = t``: written in place, or recorded as ``SetItem`` when this
        tensor is in the graph or the value requires grad, as in PyTorch."""
        index = _index_arg(index)
        first, rest = _torch_index(index)
        if self._records("item assignment", value):
            self._become(lambda t: _ops.shape.SetItem.apply(t, value, index=(first, rest)))
            return
        target = self._data if first is None else self._data[first]
        target[rest] = _plain(value)
        self._note_write()

    # ------------------------------------------------- comparisons (no grad)
    def _compare(self, op, other):
        return Tensor._wrap(op(self._data, _plain(other)))

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
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})")
        return bool(self._data)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # Logic on bool (and bitwise on integer) tensors, as PyTorch's ``~``, ``&``, ``|``, ``^``.
    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise TypeError("~ (bitwise not) is only defined on bool and integer tensors, as in PyTorch")
        return Tensor._wrap(np.invert(self._data))

    def __and__(self, other):
        return self._compare(np.bitwise_and, other)

    def __or__(self, other):
        return self._compare(np.bitwise_or, other)

    def __xor__(self, other):
        return self._compare(np.bitwise_xor, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def logical_not(self) -> "Tensor":
        return Tensor._wrap(np.logical_not(self._data))

    def logical_and(self, other) -> "Tensor":
        return self._compare(np.logical_and, other)

    def logical_or(self, other) -> "Tensor":
        return self._compare(np.logical_or, other)

    # Reductions take PyTorch's ``dim`` or NumPy's ``axis`` (so NumPy's own functions, which
    # call ``x.sum(axis=..., out=...)`` on what they are given, work on tensors too).
    def all(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None) -> "Tensor":
        dim, keepdim = _dim_arg(dim, axis, keepdim, keepdims)
        return _out(Tensor._wrap(np.all(self._data, axis=dim, keepdims=keepdim)), out)

    def any(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None) -> "Tensor":
        dim, keepdim = _dim_arg(dim, axis, keepdim, keepdims)
        return _out(Tensor._wrap(np.any(self._data, axis=dim, keepdims=keepdim)), out)

    def equal(self, other) -> bool:
        """Same shape and the same values (``torch.equal``)."""
        return self.shape == np.shape(other) and bool(np.array_equal(self._data, _plain(other)))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return bool(np.allclose(self._data, _plain(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def sign(self) -> "Tensor":
        """−1, 0 or 1 (NaN stays NaN); its derivative is 0 everywhere (but it stays in the graph)."""
        return _ops.elementwise.Sign.apply(self)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis=None, out=None) -> "Tensor":
        return _out(self._arg_extremum(np.argmax, "argmax", *_dim_arg(dim, axis, keepdim)), out)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis=None, out=None) -> "Tensor":
        return _out(self._arg_extremum(np.argmin, "argmin", *_dim_arg(dim, axis, keepdim)), out)

    def _arg_extremum(self, find, op: str, dim, keepdim: bool) -> "Tensor":
        axis = None if dim is None else _ops.shape.wrap_dim(op, dim, self.shape)
        if self.ndim == 0:  # dim 0 or -1 (checked): the only index is 0
            axis = None
        return Tensor._wrap(find(self._data, axis=axis, keepdims=keepdim).astype(int64))

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None, keepdims=None):
        dim, keepdim = _dim_arg(dim, axis, keepdim, keepdims)
        source = self if dtype is None else self._cast(as_dtype(dtype))
        return _out(_ops.reduce.Sum.apply(source, dim=dim, keepdim=keepdim), out)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None, keepdims=None):
        dim, keepdim = _dim_arg(dim, axis, keepdim, keepdims)
        source = self if dtype is None else self._cast(as_dtype(dtype))
        return _out(_ops.reduce.Mean.apply(source, dim=dim, keepdim=keepdim), out)

    def amax(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None):
        return _out(_ops.reduce.amax(self, *_dim_arg(dim, axis, keepdim, keepdims)), out)

    def max(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None):
        """Like ``torch.max``: the largest value, with ``dim`` a ``(values, indices)`` pair,
        with a tensor the elementwise ``maximum``."""
        if isinstance(dim, Tensor):
            return _ops.elementwise.maximum(self, dim)
        return _out(_ops.reduce.max(self, *_dim_arg(dim, axis, keepdim, keepdims)), out)

    def amin(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None):
        return _out(_ops.reduce.amin(self, *_dim_arg(dim, axis, keepdim, keepdims)), out)

    def min(self, dim=None, keepdim: bool = False, *, axis=None, out=None, keepdims=None):
        """Like ``torch.min``: the smallest value, or with ``dim`` a ``(values, indices)`` pair
        (the maximum of −x, so ties and gradients follow ``max``), or the elementwise ``minimum``."""
        if isinstance(dim, Tensor):
            return _ops.elementwise.minimum(self, dim)
        return _out(_ops.reduce.min(self, *_dim_arg(dim, axis, keepdim, keepdims)), out)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        """The vector norm over ``dim`` (all of it by default): p = 2 ('fro'), 1 or inf."""
        if p in (2, "fro"):
            return _ops.reduce.Norm.apply(self, dim=dim, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p in (float("inf"), "inf"):
            return self.abs().amax(dim, keepdim)
        raise ValueError(f"norm: p must be 2 ('fro'), 1 or inf, got {p!r}")

    def cumsum(self, dim: int = None, *, axis=None, dtype=None):
        source = self if dtype is None else self._cast(as_dtype(dtype))
        return _ops.reduce.CumSum.apply(source, dim=_dim_arg(dim, axis, False)[0])

    def cumprod(self, dim: int = None, *, axis=None, dtype=None):
        source = self if dtype is None else self._cast(as_dtype(dtype))
        return _ops.reduce.CumProd.apply(source, dim=_dim_arg(dim, axis, False)[0])

    def var(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None,
            axis=None):
        """Σ(x − mean)² / max(0, n − correction) over ``dim``: Bessel's correction by default, as
        in PyTorch (``unbiased=False`` or ``correction=0`` for the population variance); a
        correction of n or more divides by 0 (inf, or nan for equal values), as PyTorch does."""
        dim, keepdim = _dim_arg(dim, axis, keepdim)
        if isinstance(dim, bool):  # var(x, False): PyTorch's old positional unbiased
            dim, unbiased = None, dim
        if unbiased is not None:
            correction = int(unbiased)
        centred = self - self.mean(dim, keepdim=True)
        squares = (centred * centred).sum(dim, keepdim=keepdim)
        count = self.numel() // builtins.max(squares.numel(), 1)  # the elements each result sums over
        with np.errstate(divide="ignore", invalid="ignore"):
            return squares / builtins.max(count - correction, 0)

    def std(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None,
            axis=None):
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, axis=axis).sqrt()

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
            raise ShapeError(f"expand: {sizes} has fewer dimensions than the tensor's shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ShapeError(f"expand: shape {self.shape} cannot be expanded to {sizes}") from None
        return self + Tensor._wrap(np.zeros(shape, dtype=self.dtype))

    @property
    def mT(self) -> "Tensor":  # noqa: N802 - PyTorch's name
        """The transpose of the last two dimensions (of every matrix in a batch)."""
        return self.transpose(-2, -1)

    def expand_as(self, other: "Tensor"):
        return self.expand(other.shape)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor as it is), ``torch.Tensor.t``."""
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; use transpose")
        return self.T

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        return _ops.shape.Permute.apply(self, dims=_shape_arg(dims))

    def transpose(self, dim0: int, dim1: int):
        return _ops.shape.transpose(self, dim0, dim1)

    @property
    def T(self):
        return _ops.shape.Permute.apply(self, dims=tuple(reversed(range(self._data.ndim))))

    def unsqueeze(self, dim: int):
        return _ops.shape.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None):
        return _ops.shape.squeeze(self, dim)

    def gather(self, dim: int, index):
        return _ops.shape.gather(self, dim, index)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """Always stable (ties keep their order), so ``stable`` changes nothing."""
        return _ops.shape.sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return Tensor._wrap(_ops.shape.sort_indices(self, dim, descending))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        """Always sorted (an unsorted order is any order, this one included)."""
        return _ops.shape.topk(self, k, dim, largest)

    def select(self, dim: int, index: int):
        return self._index_along("select", dim, index)

    def _index_along(self, op: str, dim: int, index):
        """``self[:, …, :, index]`` with ``index`` at dimension ``dim``."""
        dim = _ops.shape.wrap_dim(op, dim, self.shape)
        return self[(slice(None),) * dim + (index,)]

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` pieces along ``dim`` of ⌈n / chunks⌉ each (the last smaller), as ``torch.chunk``."""
        size = self.shape[_ops.shape.wrap_dim("chunk", dim, self.shape)]
        return self.split(builtins.max(-(-size // chunks), 1), dim)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Pieces of ``split_size`` along ``dim`` (the last smaller), or of the listed sizes."""
        dim = _ops.shape.wrap_dim("split", dim, self.shape)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            sizes = [builtins.min(step, size - i) for i in range(0, size, step)]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != size:
                raise ShapeError(f"split: sizes {sizes} do not add up to {size}, the size of dim {dim}")
        starts = np.cumsum([0] + sizes[:-1])
        lead = (slice(None),) * dim
        return tuple(self[lead + (slice(int(a), int(a) + n),)] for a, n in zip(starts, sizes))

    def contiguous(self, memory_format=None) -> "Tensor":
        return self

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def repeat(self, *sizes):
        """Tile ``sizes`` times along each dimension (``torch.Tensor.repeat``, NumPy's ``tile``)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: {len(sizes)} repeats for a tensor of {self.ndim} dimensions")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        for axis, n in enumerate(sizes):
            if n != 1:
                x = _ops.shape.cat([x] * n, dim=axis) if n else x[(slice(None),) * axis + (slice(0, 0),)]
        return x

    def flip(self, *dims):
        dims = _ops.shape.wrap_dims("flip", _shape_arg(dims), self.shape)
        return self[tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(self.ndim))]

    def roll(self, shifts, dims=None):
        """Shift elements ``shifts`` places along ``dims`` (all of them flattened when None), wrapping round."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        x = self
        for shift, dim in zip(shifts, dims):
            dim = _ops.shape.wrap_dim("roll", dim, self.shape)
            n = self.shape[dim]
            order = np.roll(np.arange(n), shift)
            x = x[(slice(None),) * dim + (order,)]
        return x

    def masked_select(self, mask) -> "Tensor":
        """The elements where ``mask`` (broadcast to this shape) holds, as a vector."""
        mask = np.asarray(_plain(mask), dtype=bool)
        shape = np.broadcast_shapes(self.shape, mask.shape)
        return self.broadcast_to(shape)[np.broadcast_to(mask, shape)]

    def broadcast_to(self, *shape):
        shape = _shape_arg(shape)
        return self if shape == self.shape else self.expand(shape)

    def nonzero(self, as_tuple: bool = False):
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one vector per dim."""
        where = np.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(int64)) for i in where)
        return Tensor._wrap(np.stack(where, axis=1).astype(int64) if where else np.zeros((1, 0), int64))

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
               dim=None):
        """The distinct values, sorted; optionally where each element's value is and how often each occurs."""
        values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True, axis=dim)
        out = [Tensor._wrap(values)]
        if return_inverse:
            out.append(Tensor._wrap(inverse.reshape(self.shape if dim is None else -1).astype(int64)))
        if return_counts:
            out.append(Tensor._wrap(counts.astype(int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def isnan(self) -> "Tensor":
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self) -> "Tensor":
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self) -> "Tensor":
        return Tensor._wrap(np.isfinite(self._data))

    def ravel(self):
        return self.reshape(-1)

    def bmm(self, other):
        if self.ndim != 3 or np.ndim(other) != 3:
            raise ShapeError(f"bmm: both operands must be batches of matrices (3-d), got shapes {self.shape} and {np.shape(other)}")
        return self @ other

    def __getitem__(self, index):
        first, rest = _torch_index(_index_arg(index))
        source = self if first is None else _ops.shape.GetItem.apply(self, index=first)
        return _ops.shape.GetItem.apply(source, index=rest)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---------------------------------------------------------- elementwise
    def exp(self):
        return _ops.elementwise.Exp.apply(self)

    def log(self):
        return _ops.elementwise.Log.apply(self)

    def log1p(self):
        return _ops.elementwise.Log1p.apply(self)

    def expm1(self):
        return _ops.elementwise.Expm1.apply(self)

    def prod(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self._cast(as_dtype(dtype))
        return _ops.reduce.Prod.apply(source, dim=dim, keepdim=keepdim)

    def logsumexp(self, dim, keepdim: bool = False):
        """ln Σ exp(x) over ``dim``, computed as m + ln Σ exp(x − m) with m the (constant)
        maximum, so that no exp overflows."""
        m = self.detach().amax(dim, keepdim=True)
        m = m.masked_fill(m.isinf(), 0.0)  # all −inf (or an inf): leave the values as they are
        out = (self - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dim)

    def tril(self, diagonal: int = 0):
        """The lower triangle (of the last two dimensions), from ``diagonal`` down; zeros above."""
        return self * Tensor._wrap(np.tril(np.ones(self.shape[-2:], dtype=bool), diagonal))

    def triu(self, diagonal: int = 0):
        return self * Tensor._wrap(np.triu(np.ones(self.shape[-2:], dtype=bool), diagonal))

    def index_select(self, dim: int, index):
        return self._index_along("index_select", dim, index)

    # new tensors of this one's dtype, as PyTorch's x.new_zeros(...) and friends
    def new_zeros(self, *size, dtype=None, requires_grad: bool = False):
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False):
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False):
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad: bool = False):
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def sqrt(self):
        return _ops.elementwise.Sqrt.apply(self)

    def abs(self):
        return _ops.elementwise.Abs.apply(self)

    def clip(self, min=None, max=None):
        return _ops.elementwise.Clip.apply(self, min=min, max=max)

    def clamp_min(self, min):  # noqa: A002
        return self.clip(min, None)

    def clamp_max(self, max):  # noqa: A002
        return self.clip(None, max)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` holds, else this tensor's values; the dtype stays this tensor's."""
        return _ops.elementwise.where(mask, Tensor._wrap(np.asarray(_plain(value), dtype=self.dtype)), self)

    clamp = clip

    def floor(self):
        return _ops.elementwise.Piecewise.apply(self, fn=np.floor)

    def ceil(self):
        return _ops.elementwise.Piecewise.apply(self, fn=np.ceil)

    def round(self, decimals: int = 0):
        """Halves to even, as PyTorch (and NumPy) round."""
        return _ops.elementwise.Piecewise.apply(self, fn=lambda a: np.round(a, decimals))

    def trunc(self):
        return _ops.elementwise.Piecewise.apply(self, fn=np.trunc)

    def sin(self):
        return _ops.elementwise.Sin.apply(self)

    def cos(self):
        return _ops.elementwise.Cos.apply(self)

    def tan(self):
        return _ops.elementwise.Tan.apply(self)

    def erf(self):
        return _ops.elementwise.Erf.apply(self)

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


def _dim_arg(dim, axis, keepdim, keepdims=None) -> tuple:
    """``(dim, keepdim)`` from PyTorch's ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims``."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either dim or axis (its NumPy name), not both")
        dim = axis
    return dim, keepdim if keepdims is None else keepdims


def _out(result, out):
    """``result``, or written into ``out`` (a tensor or an array) when given, as ``out=`` does."""
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    np.copyto(target._data if isinstance(target, Tensor) else target, _plain(result))
    return target


def _is_type_name(name) -> bool:
    return isinstance(name, str) and (name in _TYPE_NAMES.values() or name.removeprefix("torch.") in np.sctypeDict)


def _plain(x):
    """A tensor's array, anything else as it is."""
    return x._data if isinstance(x, Tensor) else x


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


def _is_int(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, bool)


def _torch_index(index) -> tuple:
    """``(first, rest)``: ``x[index]`` as PyTorch reads it, ``x[first][rest]`` (``first`` None:
    just ``x[rest]``). PyTorch applies integers before index arrays, NumPy broadcasts them
    together: for x of shape (3, 4, 5) and i of 2 elements, ``x[0, :, i]`` is (4, 2) in
    PyTorch, (2, 4) in NumPy. So when both are present, the integers go first."""
    if type(index) is not tuple or len(index) < 2:
        return None, index
    ints = arrays = False
    for i in index:
        if _is_int(i):
            ints = True
        elif isinstance(i, (np.ndarray, list)) and np.ndim(i) > 0:
            arrays = True
    if not (ints and arrays):
        return None, index
    first = tuple(i if _is_int(i) or i is Ellipsis or i is None else
                  (slice(None),) * np.ndim(i) if isinstance(i, np.ndarray) and i.dtype == bool else
                  slice(None) for i in index)
    first = tuple(x for i in first for x in (i if type(i) is tuple else (i,)))
    first = tuple(i for i in first if i is not None)  # a new axis takes no dimension: rest makes it
    rest = tuple(i for i in index if not _is_int(i))
    return first, rest


def _rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind a ``chainrule.Generator`` (or a NumPy one); the global one for None."""
    if generator is None:
        return _random.generator()
    return getattr(generator, "rng", generator)


# ------------------------------------------------------------------ creation
def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor from a list, number or array (always a copy, like ``torch.tensor``)."""
    t = Tensor._wrap(_to_array(data, None if dtype is None else as_dtype(dtype)))
    return t.requires_grad_(True) if requires_grad else t


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


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    """A tensor of ``t``'s shape (and dtype, unless given) filled with ``fill_value``."""
    dtype = t.dtype if dtype is None else as_dtype(dtype)
    return Tensor(np.full(t.shape, fill_value, dtype), requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return full_like(t, 0, dtype, requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return full_like(t, 1, dtype, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from ``generator`` or the global one (see ``manual_seed``)."""
    shape, dtype = _shape_and_dtype(size, dtype)
    samples = _rng(generator).standard_normal(shape, dtype=np.float64)
    return Tensor(samples.astype(dtype), requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return rand(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None) -> Tensor:
    """Integers uniform on [low, high), int64 by default: ``randint(low, high, size)``, or
    ``randint(high, size)`` from 0, as PyTorch's two forms."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    size = () if size is None else size
    return Tensor(_rng(generator).integers(low, high, size=_shape_arg((size,)), dtype=np.dtype(dtype or int64)))


def randperm(n: int, *, generator=None, dtype=None) -> Tensor:
    """A random permutation of 0 … n−1 from ``generator`` or the global one."""
    return Tensor(_rng(generator).permutation(n).astype(dtype or int64))


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like ``zeros`` (a NumPy engine gains nothing from leaving memory uninitialised)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def linspace(start, end, steps: int, dtype=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, float32 by default."""
    if dtype is not None and as_dtype(dtype) == bool_:
        raise TypeError("linspace: dtype bool is not supported (PyTorch refuses it too); use a float or integer dtype")
    return Tensor(np.linspace(start, end, steps).astype(dtype or _DEFAULT_FLOAT))


def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from ``generator`` or the global one."""
    shape, dtype = _shape_and_dtype(size, dtype)
    return Tensor(_rng(generator).random(shape).astype(dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    """[start, end) in steps; int64 when every argument is an integer, else float32 (as in PyTorch)."""
    if end is None:
        start, end = 0, start
    dtype = _number_dtype(start, end, step) if dtype is None else np.dtype(dtype)
    return Tensor(np.arange(start, end, step).astype(dtype))


def eye(n: int, m: int | None = None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=dtype or _DEFAULT_FLOAT))


from . import ops as _ops  # noqa: E402  (the ops need the Tensor class defined above)
